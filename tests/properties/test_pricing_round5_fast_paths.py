"""Round-5 fast paths of pricing and promotions give what the general paths give.

* ``PromotionInput._trusted`` builds the input the validating constructor builds from the same
  (already converted) values, and refuses what it refuses with the same errors;
  ``PromotionEngine.promotion_input`` (which builds through it) gives the input the
  constructor gives from the pricing lines.
* ``CartState`` builds its lines, index and subtotal in one pass: the values of the former
  passes; ``CartState.matching`` reads a plain :class:`Selector`'s keys and exclusions directly:
  the positions ``matches()`` selects (a subclass still goes through its own methods).
* ``PromotionEngine.adjust`` negates the library's own amounts without Money's operator: the
  result a subclass (the general path) builds.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money

from commerce_core.domain.pricing import PricingContext, PricingLine
from commerce_core.domain.promotions import (
    PercentOff,
    Promotion,
    PromotionBook,
    PromotionInput,
    PromotionLine,
    Selector,
)
from commerce_core.domain.promotions.core import CartState, Key, LineState
from commerce_core.domain.tax import Destination
from commerce_core.errors import CurrencyMismatchError, InvalidQuantityError
from commerce_core.money import DEFAULT_ROUNDING, from_minor
from commerce_core.services.promotions import PromotionEngine

CODES = ("EUR", "JPY", "BHD")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SKUS = ("TEA", "MUG", "POT", "CUP")
CATEGORIES = ("tea", "cups", "gifts")
TAGS = ("sale", "new")
NONE: frozenset[str] = frozenset()


@st.composite
def pricing_lines(draw: st.DrawFn, code: str) -> list[PricingLine]:
    ids = draw(st.lists(st.sampled_from([f"l{i}" for i in range(9)]), max_size=5, unique=True))
    return [
        PricingLine(
            line_id,
            draw(st.sampled_from(SKUS)),
            "name",
            draw(st.integers(1, 5)),
            from_minor(draw(st.integers(0, 10**6)), code),
            categories=frozenset(draw(st.sets(st.sampled_from(CATEGORIES)))),
            tags=frozenset(draw(st.sets(st.sampled_from(TAGS)))),
        )
        for line_id in ids
    ]


@st.composite
def selectors(draw: st.DrawFn) -> Selector:
    if draw(st.booleans()):
        return Selector.everything(
            exclude_skus=draw(st.sets(st.sampled_from(SKUS))),
            exclude_tags=draw(st.sets(st.sampled_from(TAGS))),
        )
    skus = draw(st.sets(st.sampled_from(SKUS)))
    categories = draw(st.sets(st.sampled_from(CATEGORIES)))
    tags = draw(st.sets(st.sampled_from(TAGS), min_size=0 if skus or categories else 1))
    return Selector.of(
        skus=skus,
        categories=categories,
        tags=tags,
        exclude_skus=draw(st.sets(st.sampled_from(SKUS))) - skus,
        exclude_categories=draw(st.sets(st.sampled_from(CATEGORIES))) - categories,
        exclude_tags=draw(st.sets(st.sampled_from(TAGS))) - tags,
    )


def _context(code: str, *, group: str | None = None, codes: tuple[str, ...] = ()) -> PricingContext:
    return PricingContext(
        currency=code,
        now=T0,
        channel="web",
        customer_id="c1",
        customer_group=group,
        destination=Destination("FR"),
        coupon_codes=codes,
    )


@given(
    data=st.data(),
    code=st.sampled_from(CODES),
    group=st.none() | st.just("vip"),
    codes=st.lists(st.sampled_from(["SAVE5", "nope"]), max_size=2).map(tuple),
)
def test_promotion_input_equals_the_constructor(
    data: st.DataObject, code: str, group: str | None, codes: tuple[str, ...]
) -> None:
    lines = data.draw(pricing_lines(code))
    context = _context(code, group=group, codes=codes)
    built = PromotionEngine(PromotionBook([])).promotion_input(lines, context)
    expected = PromotionInput(
        currency=code,
        lines=[
            PromotionLine(
                line.line_id, line.sku, line.quantity, line.unit_price, line.categories, line.tags
            )
            for line in lines
        ],
        now=T0,
        channel="web",
        customer_id="c1",
        customer_groups=() if group is None else (group,),
        previous_orders=None,
        shipping_country="FR",
        codes=codes,
        exhausted_codes=frozenset(),
        rounding=context.rounding,
    )
    assert built == expected
    assert [type(built.lines), type(built.customer_groups), type(built.codes)] == [
        tuple,
        frozenset,
        tuple,
    ]


def _trusted(lines: tuple[PromotionLine, ...], estimate: Money | None = None) -> PromotionInput:
    return PromotionInput._trusted(
        "EUR", lines, T0, None, None, NONE, None, None, None, estimate, (), NONE, DEFAULT_ROUNDING
    )


def test_trusted_input_refuses_what_the_constructor_refuses() -> None:
    eur = PromotionLine("l1", "TEA", 1, from_minor(100, "EUR"))
    usd = PromotionLine("l2", "TEA", 1, from_minor(100, "USD"))
    twice = PromotionLine("l1", "MUG", 1, from_minor(100, "EUR"))
    for lines in ((eur, usd), (eur, twice)):
        with pytest.raises((CurrencyMismatchError, InvalidQuantityError)) as checked:
            PromotionInput(currency="EUR", lines=lines, now=T0)
        with pytest.raises(type(checked.value)) as trusted:
            _trusted(lines)
        assert str(trusted.value) == str(checked.value)
    with pytest.raises(CurrencyMismatchError):
        _trusted((eur,), from_minor(5, "USD"))
    assert _trusted((eur,)) == PromotionInput(currency="EUR", lines=(eur,), now=T0)


class _OwnSelector(Selector):
    """A subclass: matched through its own ``anchor_keys`` and ``excludes``."""

    def excludes(self, line: PromotionLine) -> bool:
        return line.quantity > 2 or super().excludes(line)


@given(data=st.data(), code=st.sampled_from(CODES))
def test_cart_state_and_matching_equal_the_former_passes(data: st.DataObject, code: str) -> None:
    lines = data.draw(pricing_lines(code))
    engine = PromotionEngine(PromotionBook([]))
    cart = CartState(engine.promotion_input(lines, _context(code)))
    states = [LineState(i, line) for i, line in enumerate(cart.input.lines)]
    assert [(s.position, s.line, s.original, s.remaining) for s in cart.lines] == [
        (s.position, s.line, s.original, s.remaining) for s in states
    ]
    assert cart.original_subtotal == sum(s.original for s in states)
    index: dict[Key, list[int]] = {}
    for state in states:
        for key in state.line.anchor_keys():
            index.setdefault(key, []).append(state.position)
    assert cart.by_key == index
    for selector in data.draw(st.lists(selectors(), max_size=4)):
        own = _OwnSelector(
            selector.skus,
            selector.categories,
            selector.tags,
            selector.exclude_skus,
            selector.exclude_categories,
            selector.exclude_tags,
            selector.all_products,
        )
        for chosen in (selector, own):
            expected = tuple(s.position for s in cart.lines if chosen.matches(s.line))
            assert cart.matching(chosen) == expected
            assert cart.matching(chosen) == expected  # cached


class _Subclass(PromotionEngine):
    """Gets the general path (Money's operator, the validating constructors)."""


@given(data=st.data(), code=st.sampled_from(CODES), percent=st.integers(1, 100))
def test_adjust_negates_as_the_general_path(data: st.DataObject, code: str, percent: int) -> None:
    lines = data.draw(pricing_lines(code))
    book = PromotionBook(
        [
            Promotion(
                id="p",
                name="off",
                benefit=PercentOff(percent),
                targets=Selector.of(categories={"tea"}),
            )
        ]
    )
    context = _context(code)
    fast = PromotionEngine(book).adjust(lines, context)
    general = _Subclass(book).adjust(lines, context)
    assert fast == general
    assert all(
        type(adjustment.amount) is Money
        for adjustments in fast.line_adjustments.values()
        for adjustment in adjustments
    )
