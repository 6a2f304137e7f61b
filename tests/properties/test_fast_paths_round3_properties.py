"""Round-3 fast paths of pricing and promotions give what the general paths give.

* ``price_cart`` quotes no shipping estimate for a :class:`PromotionEngine` whose promotions can
  neither grant a pending shipping discount nor read the estimate: the breakdown is the one a
  stage that always gets the estimate produces (EUR, JPY, BHD; with and without shipping
  benefits, exclusives and groups, which value shipping on the estimate).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.pricing import (
    AdjustmentResult,
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
    Selector,
    ShippingOff,
    Stacking,
)
from commerce_core.domain.shipping import (
    FlatRate,
    FreeAbove,
    ShippingMethod,
    ShippingRateTable,
)
from commerce_core.domain.tax import Destination
from commerce_core.money import from_minor
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
