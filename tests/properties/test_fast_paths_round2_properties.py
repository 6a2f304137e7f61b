"""Round-2 fast paths of pricing and promotions give what the validating or general paths give.

* ``PricingLine._trusted``, ``PromotionLine._trusted`` and ``TaxedMoney._trusted`` build values
  equal to the validating constructors' (EUR, JPY, BHD).
* ``PricingContext._with_estimate`` equals ``attrs.evolve(context, shipping_estimate=...)``.
* ``round_minor`` rounds in one step as it did through ``quantize_decimal`` (every mode).
* ``TaxTable`` keeps its answers only when no row has validity dates: a kept answer equals a
  computed one, a dated table still answers per instant, and the store stays small.
* ``apply_promotions`` decides the common small case (at most one eligible promotion that
  combines) with ``_lone_stack``: what the general steps decide, and the same result.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.pricing import PricingContext, PricingLine
from commerce_core.domain.promotions import (
    PercentOff,
    Promotion,
    PromotionBook,
    Selector,
    Stacking,
    apply_promotions,
    engine,
)
from commerce_core.domain.promotions.core import (
    CartState,
    PromotionInput,
    PromotionLine,
    round_minor,
)
from commerce_core.domain.tax import Destination, Jurisdiction, TaxRate, TaxTable
from commerce_core.errors import UnknownJurisdictionError
from commerce_core.money import (
    Money,
    RoundingMode,
    RoundingPolicy,
    TaxedMoney,
    from_minor,
    minor_units,
    quantize_decimal,
)
from commerce_core.testing import strategies as cst

CODES = ("EUR", "JPY", "BHD")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _copy_line(line: PricingLine, *, trusted: bool) -> PricingLine:
    values = attrs.astuple(line, recurse=False)
    if trusted:
        return PricingLine._trusted(*values)
    return PricingLine(*values)


@given(data=st.data(), code=st.sampled_from(CODES))
def test_trusted_pricing_line_equals_the_validated_one(data: st.DataObject, code: str) -> None:
    for line in data.draw(cst.pricing_lines(code, max_size=4)):
        trusted = _copy_line(line, trusted=True)
        assert trusted == _copy_line(line, trusted=False) == line
        assert trusted.metadata == {}
        assert trusted.currency == code
        assert trusted.base_total == line.base_total


def test_trusted_pricing_line_keeps_read_only_metadata() -> None:
    metadata = MappingProxyType({"gift_of": "p1"})
    price = from_minor(1250, "EUR")
    trusted = PricingLine._trusted(
        "l1",
        "TEA",
        "Tea",
        2,
        price,
        False,
        "standard",
        frozenset({"tea"}),
        frozenset(),
        Decimal("0.2"),
        True,
        metadata,
    )
    checked = PricingLine(
        "l1",
        "TEA",
        "Tea",
        2,
        price,
        categories=frozenset({"tea"}),
        weight=Decimal("0.2"),
        metadata={"gift_of": "p1"},
    )
    assert trusted == checked
    with pytest.raises(TypeError):
        trusted.metadata["gift_of"] = "p2"  # type: ignore[index]


@given(
    code=st.sampled_from(CODES),
    units=st.integers(0, 10**9),
    quantity=st.integers(1, 50),
    categories=st.sets(st.sampled_from(["tea", "cups", "gifts"])),
    tags=st.sets(st.sampled_from(["sale", "new"])),
)
def test_trusted_promotion_line_equals_the_validated_one(
    code: str, units: int, quantity: int, categories: set[str], tags: set[str]
) -> None:
    price = from_minor(units, code)
    for given_categories, given_tags in (
        (frozenset(categories), frozenset(tags)),
        (categories, tags),  # converted as the constructor converts them
    ):
        trusted = PromotionLine._trusted("l1", "SKU", quantity, price, given_categories, given_tags)
        checked = PromotionLine("l1", "SKU", quantity, price, given_categories, given_tags)
        assert trusted == checked
        assert type(trusted.categories) is frozenset
        assert type(trusted.tags) is frozenset


@given(pair=cst.taxed_money())
def test_trusted_taxed_money_equals_the_validated_one(pair: TaxedMoney) -> None:
    trusted = TaxedMoney._trusted(pair.net, pair.gross)
    assert trusted == TaxedMoney(pair.net, pair.gross)
    assert trusted.tax == pair.tax
    assert trusted.currency == pair.currency


@given(code=st.sampled_from(CODES), units=st.integers(0, 10**7), attributes=st.booleans())
def test_context_with_estimate_equals_evolve(*, code: str, units: int, attributes: bool) -> None:
    context = PricingContext(
        currency=code.lower(),
        now=T0,
        channel="web",
        customer_id="c1",
        customer_group="vip",
        destination=Destination("FR"),
        shipping_method="standard",
        coupon_codes=["SAVE5"],
        attributes={"segment": "a"} if attributes else {},
    )
    estimate = from_minor(units, code)
    copied = context._with_estimate(estimate)
    assert copied == attrs.evolve(context, shipping_estimate=estimate)
    assert copied.shipping_estimate is estimate


def _round_minor_through_the_major_unit(value: Decimal, code: str, policy: RoundingPolicy) -> int:
    """The former ``round_minor``: scale to the major unit, ``quantize_decimal``, scale back."""
    exponent = minor_units(code)
    major = quantize_decimal(value.scaleb(-exponent), code, policy)
    return int(major.scaleb(exponent))


@given(
    code=st.sampled_from(CODES),
    value=st.decimals(
        min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False
    ),
    mode=st.sampled_from(list(RoundingMode)),
)
def test_round_minor_in_one_step_equals_the_major_unit_path(
    code: str, value: Decimal, mode: RoundingMode
) -> None:
    policy = RoundingPolicy(mode=mode)
    assert round_minor(value, code, policy) == _round_minor_through_the_major_unit(
        value, code, policy
    )


@given(value=st.decimals(min_value=Decimal(0), max_value=Decimal(10**6), places=3, allow_nan=False))
def test_round_minor_with_a_cash_increment_is_unchanged(value: Decimal) -> None:
    policy = RoundingPolicy.cash("0.05")
    assert round_minor(value, "CHF", policy) == _round_minor_through_the_major_unit(
        value, "CHF", policy
    )


def _us_table(*, dated: bool) -> TaxTable:
    later = {"valid_from": T0} if dated else {}
    return TaxTable(
        [
            TaxRate.percent("Default", "10", Jurisdiction()),
            TaxRate.percent("NY State", "4", Jurisdiction("US", "NY")),
            TaxRate.percent(
                "NYC", "4.5", Jurisdiction("US", "NY", "New York City"), stacks=True, **later
            ),
            TaxRate.percent("GST", "5", Jurisdiction("CA")),
            TaxRate.percent("QST", "9.975", Jurisdiction("CA", "QC"), stacks=True, compound=True),
        ],
        zero_rated_classes=frozenset({"books"}),
    )


DESTINATIONS = [
    None,
    Destination("US", "NY", ("New York City",), "10001"),
    Destination("US", "NY", ("New York City",), "10002"),
    Destination("US", "NY"),
    Destination("CA", "QC"),
    Destination("FR"),
]


@pytest.mark.parametrize("destination", DESTINATIONS)
@pytest.mark.parametrize("tax_class", ["standard", "books"])
def test_a_kept_tax_answer_equals_a_computed_one(
    destination: Destination | None, tax_class: str
) -> None:
    table = _us_table(dated=False)
    first = table.rates_for(tax_class, destination, T0)
    again = table.rates_for(tax_class, destination, T0 + timedelta(days=400))
    assert again is first  # kept
    assert first == _us_table(dated=False)._resolve(tax_class, destination, T0)


def test_a_dated_table_still_answers_per_instant() -> None:
    table = _us_table(dated=True)
    nyc = Destination("US", "NY", ("New York City",))
    before = table.rates_for("standard", nyc, T0 - timedelta(seconds=1))
    after = table.rates_for("standard", nyc, T0)
    assert [c.name for c in before.components] == ["NY State"]
    assert [c.name for c in after.components] == ["NY State", "NYC"]


def test_unknown_jurisdictions_are_refused_every_time_and_the_store_stays_small() -> None:
    table = TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))])
    for _ in range(2):
        with pytest.raises(UnknownJurisdictionError):
            table.rates_for("standard", Destination("DE"), T0)
    for index in range(600):
        table.rates_for("standard", Destination("FR", "IDF", (f"city-{index}",)), T0)
    assert table._resolved is not None
    assert 0 < len(table._resolved) <= 256


def _decision_view(decision: engine._Decision) -> tuple[object, ...]:
    def outcomes(scenario: engine._Scenario) -> list[tuple[str, dict[int, int], int]]:
        return [
            (o.promotion.id, dict(o.award.discounts), o.award.shipping)
            for o in scenario.outcomes
            if o.award is not None
        ]

    return (
        decision.excluded,
        [p.id for p in decision.survivors],
        outcomes(decision.stack),
        decision.stack.stopped,
        decision.stack.stopped_by,
        [o.promotion.id for o in decision.late_failures],
        decision.winner is decision.stack,
        [o.promotion.id for o in decision.dropped],
    )


@given(
    code=st.sampled_from(CODES),
    prices=st.lists(st.integers(0, 50_000), min_size=1, max_size=4),
    percent=st.integers(1, 100),
    eligible=st.booleans(),
    stacking=st.sampled_from(
        [Stacking(), Stacking(priority=3, stop_further=True), Stacking(group="g")]
    ),
)
def test_the_lone_stack_is_what_the_general_steps_decide(
    *, code: str, prices: list[int], percent: int, eligible: bool, stacking: Stacking
) -> None:
    data = PromotionInput(
        currency=code,
        lines=[
            PromotionLine(f"l{i}", f"SKU{i}", 1 + i % 3, from_minor(p, code))
            for i, p in enumerate(prices)
        ],
        now=T0,
    )
    promotion = Promotion(
        id="p1",
        name=f"{percent}% off",
        benefit=PercentOff(percent),
        targets=Selector.of(skus={"SKU0" if eligible else "NOPE"}),
        stacking=stacking,
    )
    cart = CartState(data)
    outcome = engine._run_one(promotion, cart)
    alone = {} if outcome.failure is not None else {promotion.id: outcome}
    candidates = [promotion] if alone else []
    lone = engine._lone_stack(candidates, alone, cart)
    general = engine._stack_and_exclusives(candidates, alone, cart)
    assert _decision_view(lone) == _decision_view(general)
    assert lone.final_cart is cart
    # The carts differ only by the discount applied, which the applied values do not read.
    for applied in lone.winner.outcomes:
        assert engine._applied(applied, lone.final_cart, None) == engine._applied(
            applied, general.final_cart, None
        )
    book = PromotionBook([promotion])
    result = apply_promotions(book, data)
    assert [a.promotion_id for a in result.applied] == [o.promotion.id for o in lone.stack.outcomes]


@given(code=st.sampled_from(CODES), prices=st.lists(st.integers(0, 50_000), max_size=4))
def test_an_exclusive_lone_promotion_takes_the_general_path(code: str, prices: list[int]) -> None:
    # An exclusive worth nothing may lose to the empty stack: only the general steps decide it.
    data = PromotionInput(
        currency=code,
        lines=[
            PromotionLine(f"l{i}", f"SKU{i}", 1, from_minor(p, code)) for i, p in enumerate(prices)
        ],
        now=T0,
    )
    promotion = Promotion(
        id="x",
        name="exclusive",
        benefit=PercentOff(10),
        targets=Selector.everything(),
        stacking=Stacking(exclusive=True),
    )
    result = apply_promotions(PromotionBook([promotion]), data)
    granted = sum(a.amount.amount for a in result.applied)
    assert all(isinstance(a.amount, Money) for a in result.applied)
    assert granted >= 0
    if not result.applied:
        assert [n.promotion_id for n in result.not_applied] == ["x"]
