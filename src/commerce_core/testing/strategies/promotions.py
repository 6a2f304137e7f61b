"""Strategies for promotions: selectors, cart inputs, every benefit type, promotions, books."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import strategies as st

from commerce_core.domain.promotions import (
    AmountOffEachUnit,
    AmountOffOrder,
    Benefit,
    BundlePart,
    BundlePrice,
    BuyXGetY,
    Contains,
    FixedUnitPrice,
    Limits,
    MinQuantity,
    MinSubtotal,
    NForPriceOfM,
    PercentOff,
    Promotion,
    PromotionBook,
    PromotionInput,
    PromotionLine,
    RewardOrder,
    Selector,
    ShippingOff,
    Stacking,
    Tiered,
)
from commerce_core.money import from_minor
from commerce_core.testing.strategies.money import currency_codes

__all__ = [
    "SKUS",
    "CATEGORIES",
    "TAGS",
    "selectors",
    "promotion_lines",
    "promotion_inputs",
    "benefits",
    "promotions",
    "promotion_lists",
    "promotion_books",
]

SKUS = ("TEA", "MUG", "CUP", "PEN", "BAG")
CATEGORIES = ("drinks", "kitchen", "office")
TAGS = ("sale", "new")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def selectors() -> st.SearchStrategy[Selector]:
    """Selectors over the small SKU / category / tag pools, sometimes with exclusions."""

    @st.composite
    def targeted(draw: st.DrawFn) -> Selector:
        kind = draw(st.sampled_from(["skus", "categories", "tags"]))
        pool = {"skus": SKUS, "categories": CATEGORIES, "tags": TAGS}[kind]
        chosen = draw(st.sampled_from(pool))
        include = {kind: {chosen}}
        others = [t for t in TAGS if kind != "tags" or t != chosen]  # never include and exclude
        exclude = draw(st.frozensets(st.sampled_from(others), max_size=1))
        return Selector.of(**include, exclude_tags=exclude)

    everything = st.builds(
        Selector.everything, exclude_skus=st.frozensets(st.sampled_from(SKUS), max_size=1)
    )
    return st.one_of(targeted(), everything)


def promotion_lines(currency: str, *, max_lines: int = 6) -> st.SearchStrategy[list[PromotionLine]]:
    """Cart lines with unique ids, prices up to 500 major units, quantities up to 4."""

    @st.composite
    def build(draw: st.DrawFn) -> list[PromotionLine]:
        count = draw(st.integers(0, max_lines))
        lines = []
        for index in range(count):
            sku = draw(st.sampled_from(SKUS))
            lines.append(
                PromotionLine(
                    f"l{index:02d}",
                    sku,
                    draw(st.integers(1, 4)),
                    from_minor(draw(st.integers(0, 50_000)), currency),
                    categories=draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=2)),
                    tags=draw(st.frozensets(st.sampled_from(TAGS), max_size=1)),
                )
            )
        return lines

    return build()


def promotion_inputs(
    currency: str | None = None, *, max_lines: int = 6
) -> st.SearchStrategy[PromotionInput]:
    """Carts (with an optional known shipping price) at a fixed instant."""
    codes = st.just(currency) if currency is not None else currency_codes()

    @st.composite
    def build(draw: st.DrawFn) -> PromotionInput:
        code = draw(codes)
        shipping = draw(st.none() | st.integers(0, 2_000).map(lambda u: from_minor(u, code)))
        return PromotionInput(
            code, draw(promotion_lines(code, max_lines=max_lines)), NOW, shipping=shipping
        )

    return build()


def _percent() -> st.SearchStrategy[Decimal]:
    return st.integers(1, 100).map(Decimal)  # 0 % is refused at definition (grants nothing)


def benefits(currency: str) -> st.SearchStrategy[Benefit]:
    """One of every built-in benefit type, with amounts in ``currency``."""
    amount = st.integers(1, 20_000).map(lambda u: from_minor(u, currency))
    price = st.integers(0, 20_000).map(lambda u: from_minor(u, currency))
    return st.one_of(
        st.builds(PercentOff, _percent()),
        st.builds(AmountOffEachUnit, amount),
        st.builds(AmountOffOrder, amount),
        st.builds(FixedUnitPrice, price),
        st.builds(
            BuyXGetY,
            st.integers(1, 3),
            st.integers(1, 2),
            _percent(),
            st.none() | selectors(),
            st.sampled_from(list(RewardOrder)),
            st.none() | st.integers(1, 3),
        ),
        st.builds(NForPriceOfM, st.integers(2, 4), st.just(1)),
        st.builds(
            BundlePrice,
            st.lists(st.builds(BundlePart, selectors(), st.integers(1, 2)), min_size=1, max_size=2),
            price,
        ),
        st.builds(Tiered.by_quantity, st.just([(2, Decimal(5)), (4, Decimal(10))])),
        st.builds(ShippingOff, _percent()),
    )


def promotions(currency: str, promotion_id: str = "p") -> st.SearchStrategy[Promotion]:
    """Automatic promotions of every benefit type with random targets, limits and stacking."""
    cap = st.none() | st.integers(1, 30_000).map(lambda u: from_minor(u, currency))
    return st.builds(
        Promotion,
        id=st.just(promotion_id),
        name=st.just(promotion_id),
        benefit=benefits(currency),
        targets=selectors(),
        conditions=st.lists(
            st.one_of(
                st.builds(MinQuantity, st.integers(1, 4)),
                st.builds(Contains, selectors()),
                st.builds(
                    MinSubtotal,
                    st.integers(0, 60_000).map(lambda u: from_minor(u, currency)),
                    st.booleans(),
                ),
            ),
            max_size=1,
        ),
        limits=st.builds(
            Limits,
            max_discount_per_application=cap,
            max_discount_total=cap,
            max_items=st.none() | st.integers(1, 5),
            max_applications=st.none() | st.integers(1, 3),
        ),
        stacking=st.builds(
            Stacking,
            priority=st.integers(0, 2),
            exclusive=st.booleans(),
            group=st.none() | st.sampled_from(["g1", "g2"]),
            stop_further=st.booleans(),
        ),
    )


def promotion_lists(currency: str, *, max_size: int = 4) -> st.SearchStrategy[list[Promotion]]:
    """Promotions with distinct ids ``p0``, ``p1``..."""
    return st.integers(0, max_size).flatmap(
        lambda n: st.tuples(*(promotions(currency, f"p{i}") for i in range(n))).map(list)
    )


def promotion_books(currency: str) -> st.SearchStrategy[PromotionBook]:
    """Books of a few automatic promotions."""
    return promotion_lists(currency).map(PromotionBook)
