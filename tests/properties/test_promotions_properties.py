"""Invariants of the promotion engine over random carts and promotions of every type."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from commerce_core import (
    Coupon,
    PercentOff,
    Promotion,
    PromotionBook,
    PromotionInput,
    apply_promotions,
    to_minor,
)
from commerce_core.testing import strategies as cst

CURRENCIES = st.sampled_from(["EUR", "JPY", "BHD"])


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Promotion], PromotionInput]:
    currency = draw(CURRENCIES)
    return draw(cst.promotion_lists(currency)), draw(cst.promotion_inputs(currency))


@given(scenarios())
def test_no_line_or_shipping_is_discounted_below_zero(
    case: tuple[list[Promotion], PromotionInput],
) -> None:
    promotions, data = case
    result = apply_promotions(PromotionBook(promotions), data)
    for line in data.lines:
        value = to_minor(line.unit_price) * line.quantity
        assert 0 <= to_minor(result.line_discount(line.line_id)) <= value
    if data.shipping is not None:
        shipping = sum(to_minor(a.shipping_amount) for a in result.applied)
        assert 0 <= shipping <= to_minor(data.shipping)


@given(scenarios())
def test_each_promotion_discount_is_within_its_eligible_value_and_its_cap(
    case: tuple[list[Promotion], PromotionInput],
) -> None:
    promotions, data = case
    result = apply_promotions(PromotionBook(promotions), data)
    total_value = sum(to_minor(line.unit_price) * line.quantity for line in data.lines)
    by_id = {p.id: p for p in promotions}
    for applied in result.applied:
        assert to_minor(applied.lines_amount) <= total_value
        cap = by_id[applied.promotion_id].limits.max_discount_total
        if cap is not None:
            assert to_minor(applied.amount) <= to_minor(cap)


@given(scenarios())
def test_line_discounts_sum_exactly_to_each_promotions_discount(
    case: tuple[list[Promotion], PromotionInput],
) -> None:
    promotions, data = case
    result = apply_promotions(PromotionBook(promotions), data)
    for applied in result.applied:
        parts = sum(to_minor(m) for m in applied.line_amounts.values())
        assert parts == to_minor(applied.lines_amount)
        assert all(to_minor(m) > 0 for m in applied.line_amounts.values())
    total = sum(to_minor(result.line_discount(line.line_id)) for line in data.lines)
    shipping = sum(to_minor(a.shipping_amount) for a in result.applied)
    assert total + shipping == to_minor(result.total_discount)


@given(scenarios(), st.randoms(use_true_random=False))
def test_the_result_is_independent_of_the_order_of_promotions_and_lines(
    case: tuple[list[Promotion], PromotionInput], rnd: object
) -> None:
    promotions, data = case
    shuffled_promotions = list(promotions)
    shuffled_lines = list(data.lines)
    rnd.shuffle(shuffled_promotions)  # type: ignore[attr-defined]
    rnd.shuffle(shuffled_lines)  # type: ignore[attr-defined]
    again = attrs.evolve(data, lines=shuffled_lines)
    assert apply_promotions(PromotionBook(promotions), data) == apply_promotions(
        PromotionBook(shuffled_promotions), again
    )


@given(scenarios())
def test_repricing_is_idempotent(case: tuple[list[Promotion], PromotionInput]) -> None:
    promotions, data = case
    book = PromotionBook(promotions)
    assert apply_promotions(book, data) == apply_promotions(book, data)


@given(scenarios())
def test_removing_a_code_restores_the_price_without_it(
    case: tuple[list[Promotion], PromotionInput],
) -> None:
    promotions, data = case
    coded = Promotion(id="zz-code", name="code", benefit=PercentOff(15), requires_code=True)
    book = PromotionBook([*promotions, coded], [Coupon(code="SAVE15", promotion_id="zz-code")])
    without = apply_promotions(book, data)
    with_code = apply_promotions(book, data.with_codes(["save15"]))
    removed = apply_promotions(book, data.with_codes([]))
    assert removed == without
    assert to_minor(with_code.total_discount) >= 0
    assert apply_promotions(PromotionBook(promotions), data) == without
