"""Round-3 fast paths of pricing and promotions give what the general paths give.

* ``price_cart`` quotes no shipping estimate for a :class:`PromotionEngine` whose promotions can
  neither grant a pending shipping discount nor read the estimate: the breakdown is the one a
  stage that always gets the estimate produces (EUR, JPY, BHD; with and without shipping
  benefits, exclusives and groups, which value shipping on the estimate).
* ``Adjustment._trusted``, ``AdjustmentNote._owned`` and ``AdjustmentResult._owned`` build values
  equal to the validating constructors'; ``PromotionEngine.adjust`` builds through them the
  result a subclass (which gets the validating constructors) builds.
* ``apply_promotions`` decides one code-free candidate that combines with ``_lone_candidate``:
  the result of the general steps (forced by an unknown code, whose rejection is then the only
  difference).
* ``LineBreakdown.taxed`` is built once and kept: equal to ``TaxedMoney(net, gross)`` for every
  priced line, and a breakdown built with sides in two currencies still refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.pricing import (
    Adjustment,
    AdjustmentNote,
    AdjustmentResult,
    LineBreakdown,
    NoteStatus,
    PricingContext,
    PricingLine,
    price_cart,
)
from commerce_core.domain.promotions import (
    AllOf,
    AmountOffOrder,
    Benefit,
    MinSubtotal,
    PercentOff,
    Promotion,
    PromotionBook,
    PromotionInput,
    PromotionLine,
    Selector,
    ShippingOff,
    Stacking,
)
from commerce_core.domain.promotions.engine import apply_promotions
from commerce_core.domain.shipping import (
    FlatRate,
    FreeAbove,
    ShippingMethod,
    ShippingRateTable,
)
from commerce_core.domain.tax import Destination
from commerce_core.errors import CurrencyMismatchError
from commerce_core.money import TaxedMoney, from_minor
from commerce_core.services.promotions import PromotionEngine
from commerce_core.testing import strategies as cst

CODES = ("EUR", "JPY", "BHD")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class _AlwaysEstimated:
    """A stage that is not a PromotionEngine: ``price_cart`` always quotes its estimate."""

    def __init__(self, engine: PromotionEngine) -> None:
        self.engine = engine

    @property
    def name(self) -> str:
        return self.engine.name

    def adjust(self, lines: Sequence[PricingLine], context: PricingContext) -> AdjustmentResult:
        return self.engine.adjust(lines, context)


class _PercentOffSubclass(PercentOff):
    """A host's refinement of a built-in benefit: it may do anything."""


@st.composite
def _promotions(draw: st.DrawFn, code: str) -> list[Promotion]:
    count = draw(st.integers(0, 3))
    promotions = []
    for index in range(count):
        kind = draw(st.sampled_from(["percent", "amount", "shipping", "shipping_amount"]))
        benefit: Benefit
        if kind == "percent":
            benefit = PercentOff(draw(st.integers(1, 100)))
        elif kind == "amount":
            benefit = AmountOffOrder(from_minor(draw(st.integers(1, 50_000)), code))
        elif kind == "shipping":
            benefit = ShippingOff(percent=draw(st.sampled_from([None, 50, 100])))
        else:
            benefit = ShippingOff(amount=from_minor(draw(st.integers(1, 5_000)), code))
        conditions = []
        if draw(st.booleans()):
            conditions.append(AllOf([MinSubtotal(from_minor(draw(st.integers(0, 200_000)), code))]))
        promotions.append(
            Promotion(
                id=f"p{index}",
                name=f"promotion {index}",
                benefit=benefit,
                targets=draw(
                    st.sampled_from([Selector.everything(), Selector.of(skus={"SKU-1", "SKU-2"})])
                ),
                conditions=conditions,
                stacking=draw(
                    st.sampled_from(
                        [
                            Stacking(),
                            Stacking(exclusive=True),
                            Stacking(group="g"),
                            Stacking(priority=2, stop_further=True),
                        ]
                    )
                ),
            )
        )
    return promotions


@given(data=st.data(), code=st.sampled_from(CODES))
def test_an_engine_without_shipping_benefits_prices_as_with_the_estimate(
    data: st.DataObject, code: str
) -> None:
    lines = data.draw(cst.pricing_lines(code, max_size=5))
    book = PromotionBook(data.draw(_promotions(code)))
    engine = PromotionEngine(book)
    flat = from_minor(data.draw(st.integers(0, 2_000)), code)
    rule = (
        FreeAbove(from_minor(data.draw(st.integers(0, 100_000)), code), FlatRate(flat))
        if data.draw(st.booleans())
        else FlatRate(flat)
    )
    shipping = ShippingRateTable([ShippingMethod("std", "Standard", rule)])
    tax = data.draw(cst.tax_tables())
    context = PricingContext(
        currency=code,
        now=T0,
        destination=Destination("FR"),
        shipping_method=data.draw(st.sampled_from(["std", None])),
    )
    skipped = price_cart(lines, context, stages=[engine], tax=tax, shipping=shipping)
    estimated = price_cart(
        lines, context, stages=[_AlwaysEstimated(engine)], tax=tax, shipping=shipping
    )
    assert skipped == estimated
    assert skipped.trace == estimated.trace
    assert skipped.extensions == estimated.extensions
    shipping_benefit = any(type(p.benefit) is ShippingOff for p in book.promotions)
    assert engine._reads_shipping_estimate is shipping_benefit


def test_what_may_read_the_estimate_always_gets_it() -> None:
    plain = Promotion(id="p", name="p", benefit=PercentOff(10))
    assert not PromotionEngine(PromotionBook([plain]))._reads_shipping_estimate
    assert not PromotionEngine(PromotionBook([]))._reads_shipping_estimate
    for promotion in (
        Promotion(id="s", name="s", benefit=ShippingOff()),
        Promotion(id="h", name="h", benefit=_PercentOffSubclass(10)),
    ):
        assert PromotionEngine(PromotionBook([plain, promotion]))._reads_shipping_estimate

    class Engine(PromotionEngine):
        pass

    class Book(PromotionBook):
        pass

    assert Engine(PromotionBook([plain]))._reads_shipping_estimate
    assert PromotionEngine(Book([plain]))._reads_shipping_estimate


@given(code=st.sampled_from(CODES), units=st.integers(-(10**9), 10**9), tag=st.booleans())
def test_trusted_adjustment_equals_the_validated_one(*, code: str, units: int, tag: bool) -> None:
    amount = from_minor(units, code)
    given_code = "SAVE5" if tag else ""
    trusted = Adjustment._trusted("p1", "10% off", amount, given_code)
    assert trusted == Adjustment("p1", "10% off", amount, given_code)
    assert trusted.amount is amount


@given(
    data=st.dictionaries(
        st.sampled_from(["amount", "lines", "code", "reason"]),
        st.one_of(st.text(max_size=5), st.integers(), st.lists(st.text(max_size=3))),
        max_size=4,
    ),
    status=st.sampled_from(list(NoteStatus)),
)
def test_owned_note_equals_the_validated_one(data: dict[str, object], status: NoteStatus) -> None:
    owned = AdjustmentNote._owned("p1", status, "a message", dict(data))
    assert owned == AdjustmentNote("p1", status, "a message", data)
    assert owned.data == data
    try:
        owned.data["new"] = 1  # type: ignore[index]
    except TypeError:
        pass
    else:  # pragma: no cover - the data is read-only
        raise AssertionError("a note's data must be read-only")


@given(data=st.data(), code=st.sampled_from(CODES))
def test_engine_adjust_equals_the_validating_constructors(data: st.DataObject, code: str) -> None:
    class Validating(PromotionEngine):
        """Not exactly the engine: its adjustments go through the validating constructor."""

    lines = data.draw(cst.pricing_lines(code, max_size=5))
    book = PromotionBook(data.draw(_promotions(code)))
    context = PricingContext(
        currency=code,
        now=T0,
        shipping_estimate=from_minor(data.draw(st.integers(0, 2_000)), code),
    )
    fast = PromotionEngine(book).adjust(lines, context)
    checked = Validating(book).adjust(lines, context)
    assert fast == checked
    rebuilt = AdjustmentResult(
        line_adjustments={k: list(v) for k, v in fast.line_adjustments.items()},
        shipping_adjustments=list(fast.shipping_adjustments),
        shipping_discounts=list(fast.shipping_discounts),
        extra_lines=list(fast.extra_lines),
        notes=list(fast.notes),
        report=fast.report,
    )
    assert fast == rebuilt
    for adjs in fast.line_adjustments.values():
        for adj in adjs:
            assert adj == Adjustment(adj.source_id, adj.label, adj.amount, adj.code)


@given(data=st.data(), code=st.sampled_from(CODES))
def test_the_lone_candidate_is_what_the_general_steps_decide(
    data: st.DataObject, code: str
) -> None:
    promotions = data.draw(_promotions(code))[:1]
    prices = data.draw(st.lists(st.integers(0, 50_000), min_size=0, max_size=4))
    cart = PromotionInput(
        currency=code,
        lines=[
            PromotionLine(f"l{i}", f"SKU-{i}", 1 + i % 3, from_minor(p, code))
            for i, p in enumerate(prices)
        ],
        now=T0,
        shipping_estimate=data.draw(st.sampled_from([None, from_minor(490, code)])),
        shipping=data.draw(st.sampled_from([None, from_minor(300, code)])),
    )
    book = PromotionBook(promotions)
    lean = apply_promotions(book, cart)
    general = apply_promotions(book, cart.with_codes(["NO-SUCH-CODE"]))
    assert [r.code for r in general.rejected_codes] == ["NO-SUCH-CODE"]
    assert lean == attrs.evolve(general, rejected_codes=())


@given(data=st.data(), code=st.sampled_from(CODES))
def test_a_line_keeps_its_taxed_pair(data: st.DataObject, code: str) -> None:
    lines = data.draw(cst.pricing_lines(code, min_size=1, max_size=4))
    tax = data.draw(cst.tax_tables())
    breakdown = price_cart(lines, PricingContext(currency=code, now=T0), tax=tax)
    for priced in breakdown.lines:
        taxed = priced.taxed
        assert taxed == TaxedMoney(priced.net, priced.gross)
        assert priced.taxed is taxed
        assert taxed.tax == priced.tax


def test_a_line_with_sides_in_two_currencies_refuses_its_taxed_pair() -> None:
    line = PricingLine("l1", "TEA", "Tea", 1, from_minor(100, "EUR"))
    eur, jpy = from_minor(100, "EUR"), from_minor(100, "JPY")
    priced = LineBreakdown(line, eur, (), eur, eur, (), jpy)
    with pytest.raises(CurrencyMismatchError):
        _ = priced.taxed
