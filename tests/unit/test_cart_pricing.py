"""The pricing pipeline: base amounts, adjustments, shipping, tax, totals, explanation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from moneyed import Money

from commerce_core import (
    Adjustment,
    AdjustmentNote,
    AdjustmentResult,
    Destination,
    FlatRate,
    Jurisdiction,
    NoteStatus,
    PricingContext,
    PricingError,
    PricingLine,
    RoundingLevel,
    RoundingPolicy,
    ShippingDiscount,
    ShippingMethod,
    ShippingRateTable,
    TaxExemption,
    TaxRate,
    TaxTable,
    money,
    price_cart,
)
from commerce_core.errors import CurrencyMismatchError, InvalidAmountError

NOW = datetime(2026, 3, 1, tzinfo=UTC)
FR = Destination("FR")
VAT = TaxTable(
    [
        TaxRate.percent("VAT", "20", Jurisdiction("FR")),
        TaxRate.percent("VAT", "5.5", Jurisdiction("FR"), tax_class="reduced"),
    ]
)


def eur(amount: str) -> object:
    return money(amount, "EUR")


def ctx(**kwargs: object) -> PricingContext:
    base: dict[str, object] = {"currency": "EUR", "now": NOW, "destination": FR}
    base.update(kwargs)
    return PricingContext(**base)  # type: ignore[arg-type]


def line(line_id: str, unit: str, quantity: int = 1, **kwargs: object) -> PricingLine:
    return PricingLine(line_id, line_id.upper(), line_id, quantity, money(unit, "EUR"), **kwargs)  # type: ignore[arg-type]


class TenPercentOff:
    name = "ten-off"

    def adjust(self, lines: Sequence[PricingLine], context: PricingContext) -> AdjustmentResult:
        adjustments = {
            pl.line_id: (Adjustment("promo-10", "10% off", -(pl.base_total * Decimal("0.1"))),)
            for pl in lines
        }
        note = AdjustmentNote("promo-10", NoteStatus.APPLIED, "10% off everything")
        return AdjustmentResult(line_adjustments=adjustments, notes=(note,), report={"n": 1})


def test_net_prices_get_tax_added_per_line() -> None:
    # 3 x 10.00 net = 30.00; VAT 20% = 6.00; gross 36.00
    b = price_cart([line("a", "10.00", 3)], ctx(), tax=VAT)
    assert b.lines[0].net == money("30.00", "EUR")
    assert b.lines[0].tax == money("6.00", "EUR")
    assert b.grand_total == money("36.00", "EUR")


def test_gross_prices_derive_net_per_line_with_each_lines_rate() -> None:
    # 10.55 gross at 5.5% -> net 10.55 / 1.055 = 10.00; 12.00 gross at 20% -> net 10.00
    b = price_cart(
        [
            line("tea", "10.55", prices_include_tax=True, tax_class="reduced"),
            line("mug", "12.00", prices_include_tax=True),
        ],
        ctx(),
        tax=VAT,
    )
    assert [lb.net for lb in b.lines] == [money("10.00", "EUR"), money("10.00", "EUR")]
    assert b.grand_total == money("22.55", "EUR")
    assert [(r.label, r.tax) for r in b.tax_summary] == [
        ("VAT 5.5%", money("0.55", "EUR")),
        ("VAT 20%", money("2.00", "EUR")),
    ]


def test_discounts_reduce_the_taxable_amount_before_tax() -> None:
    # 50.00 net - 10% = 45.00 taxable; VAT 9.00
    b = price_cart([line("a", "50.00")], ctx(), tax=VAT, stages=[TenPercentOff()])
    lb = b.lines[0]
    assert lb.total == money("45.00", "EUR")
    assert lb.tax == money("9.00", "EUR")
    assert b.discounts == money("5.00", "EUR")
    assert b.extensions["ten-off"] == {"n": 1}
    assert b.notes[0].status is NoteStatus.APPLIED


def test_an_adjustment_for_an_unknown_line_is_refused() -> None:
    class Bad:
        name = "bad"

        def adjust(self, lines: Sequence[PricingLine], context: PricingContext) -> AdjustmentResult:
            return AdjustmentResult(
                line_adjustments={"nope": (Adjustment("x", "x", money("-1", "EUR")),)}
            )

    with pytest.raises(PricingError):
        price_cart([line("a", "5.00")], ctx(), stages=[Bad()])


def test_lines_in_another_currency_are_refused() -> None:
    usd = PricingLine("a", "A", "a", 1, money("1.00", "USD"))
    with pytest.raises(CurrencyMismatchError):
        price_cart([usd], ctx())


def test_exempt_customers_pay_no_tax_and_gross_prices_fall_to_net() -> None:
    b = price_cart(
        [line("mug", "12.00", prices_include_tax=True)],
        ctx(tax_exemption=TaxExemption("EU-VAT-DE123")),
        tax=VAT,
    )
    assert b.grand_total == money("10.00", "EUR")
    assert b.tax_total == money("0.00", "EUR")
    assert any("EU-VAT-DE123" in entry for entry in b.trace)


def test_shipping_taxed_like_the_goods_is_split_by_their_nets() -> None:
    shipping = ShippingRateTable(
        [ShippingMethod("std", "Standard", FlatRate(money("10.00", "EUR")), tax_class=None)]
    )
    # goods nets 30.00 (20%) and 10.00 (5.5%): shipping 10.00 splits 7.50 / 2.50
    # tax 7.50 * 20% = 1.50 and 2.50 * 5.5% = 0.1375 -> 0.14
    b = price_cart(
        [line("mug", "30.00"), line("tea", "10.00", tax_class="reduced")],
        ctx(shipping_method="std"),
        tax=VAT,
        shipping=shipping,
    )
    assert b.shipping is not None
    assert b.shipping.tax == money("1.64", "EUR")
    assert b.grand_total == b.subtotal.gross + b.shipping.gross


@pytest.mark.parametrize(
    "unit_price",
    [
        money("0.333", "EUR"),  # a third of a cent: 3 x 0.333 would total 0.999
        Money(0.1 + 0.2, "EUR"),  # a float-made price: 0.3000000000000000444...
        money("1.5", "JPY"),  # JPY has no minor unit
    ],
)
def test_unit_prices_off_the_currency_grid_are_refused(unit_price: Money) -> None:
    with pytest.raises(InvalidAmountError):
        PricingLine("l", "X", "x", 3, unit_price)


def test_a_unit_price_written_with_trailing_zeros_is_on_the_grid() -> None:
    # 1.500 EUR is 150 cents: accepted, and priced as 1.50.
    b = price_cart([PricingLine("l", "X", "x", 2, money("1.500", "EUR"))], ctx())
    assert b.grand_total == money("3.00", "EUR")


def test_a_sub_cent_adjustment_is_refused_rather_than_rounded_away() -> None:
    # -0.005 EUR on a 5.00 line would round half-up back to 5.00: a discount that vanishes.
    with pytest.raises(InvalidAmountError):
        Adjustment("promo", "half a cent off", money("-0.005", "EUR"))


def test_an_adjustment_on_the_grid_is_kept_to_the_cent() -> None:
    class OneCentOff:
        name = "cent"

        def adjust(self, lines: Sequence[PricingLine], context: PricingContext) -> AdjustmentResult:
            return AdjustmentResult(
                line_adjustments={"a": (Adjustment("promo", "1 cent off", money("-0.01", "EUR")),)}
            )

    # 5.00 - 0.01 = 4.99, and the reduction is reported as 0.01.
    b = price_cart([line("a", "5.00")], ctx(), stages=[OneCentOff()])
    assert b.lines[0].total == money("4.99", "EUR")
    assert b.discounts == money("0.01", "EUR")


SPLIT_SHIPPING = ShippingRateTable(
    [ShippingMethod("std", "Standard", FlatRate(money("6.00", "EUR")), tax_class=None)]
)


def test_shipping_tax_is_weighted_only_by_the_goods_that_are_shipped() -> None:
    # A 10.00 book at 5.5% ships; a 90.00 e-book at 20% does not. All 6.00 of shipping follows
    # the book: 6.00 * 5.5% = 0.33 (weighting by every line taxed 5.40 of it at 20%: 1.11).
    b = price_cart(
        [
            line("book", "10.00", tax_class="reduced"),
            line("ebook", "90.00", shippable=False),
        ],
        ctx(shipping_method="std"),
        tax=VAT,
        shipping=SPLIT_SHIPPING,
    )
    assert b.shipping is not None
    assert [(t.name, t.rate, t.amount) for t in b.shipping.tax_lines] == [
        ("VAT", Decimal("0.055"), money("0.33", "EUR"))
    ]


def test_shipping_of_free_goods_only_is_weighted_by_the_shipped_quantities() -> None:
    # Only free gifts ship (nets 0.00): 1 unit at 5.5% and 3 units at 20% split 6.00 as
    # 1.50 / 4.50 -> tax 0.0825 -> 0.08 and 0.90: 0.98 (it used to be left untaxed).
    b = price_cart(
        [
            line("gift-tea", "0.00", 1, tax_class="reduced"),
            line("gift-mug", "0.00", 3),
            line("ebook", "90.00", shippable=False),
        ],
        ctx(shipping_method="std"),
        tax=VAT,
        shipping=SPLIT_SHIPPING,
    )
    assert b.shipping is not None
    assert b.shipping.tax == money("0.98", "EUR")
    assert any("quantities" in entry for entry in b.trace)


@pytest.mark.parametrize("level", [RoundingLevel.LINE, RoundingLevel.ORDER, RoundingLevel.UNIT])
def test_an_exempt_customers_tax_summary_shows_the_exemption_not_zero_rows_at_normal_rates(
    level: RoundingLevel,
) -> None:
    # 12.00 gross mug (20%) -> 10.00 net; 10.55 gross tea (5.5%) -> 10.00 net; shipping 6.00 net.
    # Exempt: nothing taxed, one summary row naming the exemption on 26.00 of net.
    exemption = TaxExemption("EU-VAT-DE123", "intra-EU supply")
    b = price_cart(
        [
            line("mug", "12.00", prices_include_tax=True),
            line("tea", "10.55", prices_include_tax=True, tax_class="reduced"),
        ],
        ctx(
            tax_exemption=exemption,
            shipping_method="std",
            rounding=RoundingPolicy(level=level),
        ),
        tax=VAT,
        shipping=SPLIT_SHIPPING,
    )
    assert [(row.exemption, row.rate, row.taxable, row.tax) for row in b.tax_summary] == [
        (exemption, Decimal(0), money("26.00", "EUR"), money("0.00", "EUR"))
    ]
    assert "EU-VAT-DE123" in b.tax_summary[0].label
    assert "tax VAT 20%: on" not in b.explain()
    assert all(lb.tax_lines == () for lb in b.lines)
    assert b.shipping is not None
    assert b.shipping.tax_lines == ()
    assert b.grand_total == money("26.00", "EUR")


class ShippingDeal:
    """A stage granting shipping discounts (as the Promotions stage does)."""

    name = "shipping-deal"

    def __init__(self, *discounts: ShippingDiscount) -> None:
        self.discounts = discounts

    def adjust(self, lines: Sequence[PricingLine], context: PricingContext) -> AdjustmentResult:
        return AdjustmentResult(
            shipping_discounts=self.discounts,
            notes=[
                AdjustmentNote(d.source_id, NoteStatus.APPLIED, d.label) for d in self.discounts
            ],
        )


def test_twenty_percent_off_shipping_is_computed_on_the_quoted_charge() -> None:
    # Shipping quoted 6.00 after the stage ran: 20% off is 1.20, the charge 4.80 (+20% VAT).
    deal = ShippingDeal(ShippingDiscount(source_id="ship20", label="20% off", percent=20))
    b = price_cart(
        [line("mug", "30.00")],
        ctx(shipping_method="std"),
        stages=[deal],
        tax=VAT,
        shipping=SPLIT_SHIPPING,
    )
    assert b.shipping is not None
    assert b.shipping.adjustments == (Adjustment("ship20", "20% off", money("-1.20", "EUR")),)
    assert b.shipping.total == money("4.80", "EUR")
    assert b.shipping.gross == money("5.76", "EUR")  # 4.80 + 0.96 VAT
    assert b.discounts == money("1.20", "EUR")
    [note] = b.notes
    assert note.data["shipping_discount"] == "1.20"
    assert "-1.20 EUR on shipping" in note.message


def test_shipping_discounts_never_take_off_more_than_the_quoted_charge() -> None:
    # Free shipping takes the whole 6.00; 10.00 off after it finds nothing left.
    deal = ShippingDeal(
        ShippingDiscount.free("free", "Free shipping"),
        ShippingDiscount(source_id="ten", label="10 off shipping", amount=money("10.00", "EUR")),
    )
    b = price_cart(
        [line("mug", "30.00")], ctx(shipping_method="std"), stages=[deal], shipping=SPLIT_SHIPPING
    )
    assert b.shipping is not None
    assert [a.amount for a in b.shipping.adjustments] == [money("-6.00", "EUR")]
    assert b.shipping.total == money("0.00", "EUR")
    assert b.discounts == money("6.00", "EUR")
    assert [n.data["shipping_discount"] for n in b.notes] == ["6.00", "0.00"]


def test_a_shipping_discount_respects_its_limit() -> None:
    # Free shipping capped at 2.50: 6.00 - 2.50 = 3.50 left to pay.
    deal = ShippingDeal(
        ShippingDiscount.free("free", "Free shipping", limit=money("2.50", "EUR")),
    )
    b = price_cart(
        [line("mug", "30.00")], ctx(shipping_method="std"), stages=[deal], shipping=SPLIT_SHIPPING
    )
    assert b.shipping is not None
    assert b.shipping.total == money("3.50", "EUR")


def test_a_shipping_discount_takes_nothing_while_shipping_is_not_priced() -> None:
    deal = ShippingDeal(ShippingDiscount.free("free", "Free shipping"))
    b = price_cart([line("mug", "30.00")], ctx(), stages=[deal], shipping=SPLIT_SHIPPING)
    assert b.shipping is None
    assert b.discounts == money("0.00", "EUR")
    assert any("not applied: shipping is not priced" in entry for entry in b.trace)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # neither percent nor amount
        {"percent": 10, "amount": money("1.00", "EUR")},  # both
        {"percent": -1},
        {"percent": 101},
        {"percent": 0.5},  # a float
    ],
)
def test_a_shipping_discount_needs_exactly_one_valid_percent_or_amount(
    kwargs: dict[str, object],
) -> None:
    with pytest.raises(PricingError):
        ShippingDiscount(source_id="s", label="s", **kwargs)  # type: ignore[arg-type]


def test_a_shipping_discount_amount_must_be_on_the_grid() -> None:
    with pytest.raises(InvalidAmountError):
        ShippingDiscount(source_id="s", label="s", amount=money("0.005", "EUR"))
