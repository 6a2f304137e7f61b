"""Invariants of the pricing pipeline over generated carts, and a stateful cart test."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from commerce_core import (
    Adjustment,
    AdjustmentResult,
    Cart,
    CartLimitError,
    CartOwner,
    CatalogItem,
    Destination,
    FlatRate,
    Jurisdiction,
    MergeStrategy,
    PricingContext,
    PricingLine,
    QuantityRule,
    QuantityRuleError,
    RoundingLevel,
    RoundingPolicy,
    ShippingDiscount,
    ShippingMethod,
    ShippingRateTable,
    TaxExemption,
    TaxRate,
    TaxTable,
    from_minor,
    minor_units,
    money,
    price_cart,
    quantize,
    to_minor,
    zero,
)
from commerce_core.testing import strategies as cst

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def shipping_table(currency: str) -> ShippingRateTable:
    return ShippingRateTable(
        [
            ShippingMethod("own", "Own class", FlatRate(from_minor(490, currency))),
            ShippingMethod(
                "split",
                "Split",
                FlatRate(from_minor(600, currency)),
                tax_class=None,
                price_includes_tax=True,
            ),
        ]
    )


class PercentOff:
    name = "percent"

    def __init__(self, percent: int) -> None:
        self.percent = percent

    def adjust(self, lines: Sequence[PricingLine], context: PricingContext) -> AdjustmentResult:
        rate = Decimal(self.percent) / 100
        one = from_minor(10 ** minor_units(context.currency), context.currency)
        return AdjustmentResult(
            line_adjustments={
                line.line_id: (Adjustment("p", "off", -quantize(line.base_total * rate)),)
                for line in lines
            },
            shipping_adjustments=(Adjustment("p", "ship", -one),),
            shipping_discounts=(
                ShippingDiscount(source_id="p", label="ship %", percent=min(self.percent, 100)),
            ),
        )


def contexts(currency: str) -> st.SearchStrategy[PricingContext]:
    return st.builds(
        PricingContext,
        currency=st.just(currency),
        now=st.just(NOW),
        destination=st.just(Destination("FR")),
        shipping_method=st.sampled_from([None, "own", "split"]),
        rounding=st.builds(RoundingPolicy, level=st.sampled_from(list(RoundingLevel))),
        tax_exemption=st.sampled_from([None, TaxExemption("EX-1")]),
    )


@st.composite
def priced_carts(draw: st.DrawFn) -> tuple[list[PricingLine], TaxTable, PricingContext]:
    """Lines, a table and a context in EUR (2 decimals), JPY (0) or BHD (3)."""
    currency = draw(cst.pricing_currencies())
    return draw(cst.pricing_lines(currency)), draw(cst.tax_tables()), draw(contexts(currency))


def price(lines: list[PricingLine], table: TaxTable, ctx: PricingContext, percent: int):  # type: ignore[no-untyped-def]
    stages = [PercentOff(percent)] if percent else []
    return price_cart(lines, ctx, stages=stages, tax=table, shipping=shipping_table(ctx.currency))


@given(priced_carts(), st.sampled_from([0, 10, 150]))
def test_totals_add_up_and_tax_is_gross_minus_net_everywhere(
    priced: tuple[list[PricingLine], TaxTable, PricingContext], percent: int
) -> None:
    lines, table, ctx = priced
    b = price(lines, table, ctx, percent)
    nothing = zero(ctx.currency)
    shipping_gross = b.shipping.gross if b.shipping else nothing
    assert b.grand_total == sum((lb.gross for lb in b.lines), nothing) + shipping_gross
    for lb in b.lines:
        assert lb.gross - lb.net == sum((t.amount for t in lb.tax_lines), nothing)
        assert lb.net.amount >= 0
        assert lb.gross.amount >= 0
        assert lb.total.amount >= 0
    if b.shipping is not None:
        assert b.shipping.gross - b.shipping.net == sum(
            (t.amount for t in b.shipping.tax_lines), nothing
        )
        # Adjustments and discounts never take off more than the quoted charge: the recorded
        # adjustments explain the total exactly, unless an explicit one was clamped at zero.
        adjusted = b.shipping.price + sum((a.amount for a in b.shipping.adjustments), nothing)
        assert b.shipping.total == max(adjusted, nothing)
    assert b.tax_total == b.total.gross - b.total.net
    assert b.tax_total == sum((row.tax for row in b.tax_summary), nothing)
    assert b.grand_total.amount >= 0
    # Every amount is on the currency's grid (0, 2 or 3 decimals).
    for amount in (b.grand_total, b.tax_total, *(lb.tax for lb in b.lines)):
        to_minor(amount)


@given(priced_carts(), st.randoms(use_true_random=False))
def test_the_breakdown_does_not_depend_on_line_order(
    priced: tuple[list[PricingLine], TaxTable, PricingContext], rnd: object
) -> None:
    lines, table, ctx = priced
    shuffled = list(lines)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a = price(lines, table, ctx, 10)
    b = price(shuffled, table, ctx, 10)
    assert a.total == b.total
    assert a.tax_summary == b.tax_summary
    assert {lb.line_id: lb for lb in a.lines} == {lb.line_id: lb for lb in b.lines}


@given(
    currency=cst.pricing_currencies(),
    minor=st.integers(0, 10**6),
    quantity=st.integers(1, 20),
    percent=st.sampled_from(["5.5", "7.7", "8.875", "19.6", "20"]),
    gross=st.booleans(),
)
def test_line_tax_rounds_half_up_to_the_currencys_own_decimals(
    *, currency: str, minor: int, quantity: int, percent: str, gross: bool
) -> None:
    # Per line, one rate: net prices get tax = round_half_up(net * rate); gross prices get
    # net = round_half_up(gross / (1 + rate)); both to 0 (JPY), 2 (EUR) or 3 (BHD) decimals.
    rate = Decimal(percent) / 100
    table = TaxTable([TaxRate.percent("T", percent, Jurisdiction())])
    line = PricingLine("l", "X", "x", quantity, from_minor(minor, currency), gross)
    b = price_cart([line], PricingContext(currency=currency, now=NOW), tax=table)
    quantum = Decimal(1).scaleb(-minor_units(currency))
    base = from_minor(minor, currency).amount * quantity
    lb = b.lines[0]
    if gross:
        assert lb.net.amount == (base / (1 + rate)).quantize(quantum, rounding=ROUND_HALF_UP)
        assert lb.gross.amount == base
    else:
        assert lb.tax.amount == (base * rate).quantize(quantum, rounding=ROUND_HALF_UP)
        assert lb.net.amount == base


@given(cst.carts())
def test_repricing_an_unchanged_cart_changes_nothing(cart: Cart) -> None:
    before = cart.to_snapshot()
    items = {
        line.sku: CatalogItem(
            sku=line.sku,
            name=line.name,
            prices=(cst_price(line.unit_price),),
            prices_include_tax=line.prices_include_tax,
            tax_class=line.tax_class,
            categories=line.categories,
            tags=line.tags,
            weight=line.weight,
            shippable=line.shippable,
            quantity_rule=line.quantity_rule,
        )
        for line in cart.lines
    }
    assert cart.reprice(items, now=NOW) == ()
    assert cart.to_snapshot() == before


def cst_price(amount: object):  # type: ignore[no-untyped-def]
    from commerce_core import ItemPrice

    return ItemPrice(amount)  # type: ignore[arg-type]


# --- stateful: the cart against a plain model ----------------------------------------------------

ITEMS = {
    sku: CatalogItem.simple(sku, sku, money(price, "EUR"), quantity_rule=rule)
    for sku, price, rule in [
        ("A", "1.00", QuantityRule()),
        ("B", "2.50", QuantityRule(maximum=6)),
        ("C", "0.99", QuantityRule(2, None, 2)),
    ]
}
MAX_LINES = 2
MAX_PER_LINE = 8


class CartMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        from commerce_core import CartLimits

        limits = CartLimits(max_lines=MAX_LINES, max_quantity_per_line=MAX_PER_LINE)
        self.cart = Cart.create("c", CartOwner.customer("u"), "EUR", now=NOW, limits=limits)
        self.model: dict[str, int] = {}
        self.limits = limits

    def _allowed(self, sku: str, quantity: int) -> bool:
        rule = ITEMS[sku].quantity_rule
        return rule.allows(quantity) and quantity <= MAX_PER_LINE

    @rule(sku=st.sampled_from(sorted(ITEMS)), quantity=st.integers(1, 5))
    def add(self, sku: str, quantity: int) -> None:
        wanted = self.model.get(sku, 0) + quantity
        ok = self._allowed(sku, wanted) and (sku in self.model or len(self.model) < MAX_LINES)
        try:
            self.cart.add(ITEMS[sku], quantity, now=NOW)
        except (QuantityRuleError, CartLimitError):
            assert not ok
            return
        assert ok
        self.model[sku] = wanted

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), quantity=st.integers(0, 9))
    def change(self, data: st.DataObject, quantity: int) -> None:
        sku = data.draw(st.sampled_from(sorted(self.model)))
        line_id = next(line.line_id for line in self.cart.lines if line.sku == sku)
        ok = quantity == 0 or self._allowed(sku, quantity)
        try:
            self.cart.change_quantity(line_id, quantity, now=NOW)
        except (QuantityRuleError, CartLimitError):
            assert not ok
            return
        assert ok
        if quantity == 0:
            del self.model[sku]
        else:
            self.model[sku] = quantity

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        sku = data.draw(st.sampled_from(sorted(self.model)))
        line_id = next(line.line_id for line in self.cart.lines if line.sku == sku)
        self.cart.remove(line_id, now=NOW)
        del self.model[sku]

    @rule(guest_items=st.dictionaries(st.sampled_from(sorted(ITEMS)), st.integers(1, 4)))
    def merge(self, guest_items: dict[str, int]) -> None:
        guest = Cart.create("g", CartOwner.guest("g"), "EUR", now=NOW)
        added: dict[str, int] = {}
        for sku, quantity in guest_items.items():
            rule_ = ITEMS[sku].quantity_rule
            q = rule_.clamp(quantity)
            if q:
                guest.add(ITEMS[sku], q, now=NOW)
                added[sku] = q
        self.cart.merge_from(guest, MergeStrategy.MERGE, now=NOW)
        for sku, quantity in added.items():
            rule_ = ITEMS[sku].quantity_rule
            capped = attrs_evolve_max(rule_, MAX_PER_LINE)
            if sku in self.model:
                self.model[sku] = max(self.model[sku], capped.clamp(self.model[sku] + quantity))
            elif len(self.model) < MAX_LINES and capped.clamp(quantity):
                self.model[sku] = capped.clamp(quantity)

    @rule()
    def reprice(self) -> None:
        assert self.cart.reprice(ITEMS, now=NOW) == ()

    @invariant()
    def matches_the_model(self) -> None:
        assert {line.sku: line.quantity for line in self.cart.lines} == self.model

    @invariant()
    def prices_to_the_sum_of_its_lines(self) -> None:
        ctx = PricingContext(currency="EUR", now=NOW)
        expected = sum(
            (ITEMS[sku].price_for("EUR") * q for sku, q in self.model.items()), money("0", "EUR")
        )
        assert price_cart(self.cart, ctx).grand_total == expected


def attrs_evolve_max(rule_: object, cap: int):  # type: ignore[no-untyped-def]
    import attrs

    current = rule_.maximum  # type: ignore[attr-defined]
    return attrs.evolve(rule_, maximum=min(current or cap, cap))  # type: ignore[misc]


CartMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
TestCartStateful = CartMachine.TestCase
