"""Invariants of the promotion engine over random carts and promotions of every type."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from commerce_core import (
    AmountOffEachUnit,
    BuyXGetY,
    Coupon,
    FixedUnitPrice,
    Limits,
    PercentOff,
    Promotion,
    PromotionBook,
    PromotionInput,
    RewardOrder,
    Stacking,
    apply_promotions,
    from_minor,
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


@st.composite
def same_set_deals(draw: st.DrawFn) -> tuple[BuyXGetY, PromotionInput]:
    deal = BuyXGetY(
        draw(st.integers(1, 3)),
        draw(st.integers(1, 2)),
        draw(st.integers(1, 100)),
        order=draw(st.sampled_from(list(RewardOrder))),
        max_repeats=draw(st.none() | st.integers(1, 3)),
    )
    return deal, draw(cst.promotion_inputs("EUR"))


@given(same_set_deals())
def test_same_set_buy_x_get_y_never_discounts_more_than_the_cheapest_units_of_each_group(
    case: tuple[BuyXGetY, PromotionInput],
) -> None:
    # Sort every unit by value and cut groups of buy + get: whatever the reward order, each
    # rewarded unit must be paid for by ``buy`` units at least as expensive, so the discount
    # is at most the value of the cheapest ``get`` units of every group (a buy-one-get-one
    # never exceeds half of what it covers).
    deal, data = case
    result = apply_promotions(PromotionBook([Promotion(id="p", name="p", benefit=deal)]), data)
    units = sorted(
        (to_minor(line.unit_price) for line in data.lines for _ in range(line.quantity)),
        reverse=True,
    )
    group = deal.buy + deal.get
    bound = sum(
        sum(units[start + deal.buy : start + group])
        for start in range(0, len(units) - group + 1, group)
    )
    granted = to_minor(result.total_discount)
    assert granted <= bound
    assert granted * group <= deal.get * sum(units)


@given(
    cst.promotion_inputs("EUR"),
    st.integers(1, 20_000),
    st.integers(1, 5_000),
    st.sampled_from([FixedUnitPrice, AmountOffEachUnit]),
)
def test_a_per_application_cap_applies_to_each_discounted_unit_separately(
    data: PromotionInput,
    amount: int,
    cap: int,
    kind: type[FixedUnitPrice] | type[AmountOffEachUnit],
) -> None:
    fixed_price = kind is FixedUnitPrice
    benefit = kind(from_minor(amount, "EUR"))
    promotion = Promotion(
        id="p",
        name="p",
        benefit=benefit,
        limits=Limits(max_discount_per_application=from_minor(cap, "EUR")),
    )
    result = apply_promotions(PromotionBook([promotion]), data)
    # Each unit's own discount, then capped on its own; caps never pool across units.
    expected = 0
    for line in data.lines:
        unit = to_minor(line.unit_price)
        off = max(0, unit - amount) if fixed_price else min(amount, unit)
        expected += min(off, cap) * line.quantity
    assert to_minor(result.total_discount) == expected


@given(scenarios())
def test_a_promotion_the_index_skips_would_not_have_applied_anyway(
    case: tuple[list[Promotion], PromotionInput],
) -> None:
    # The index skips automatic promotions whose benefit targets or conditions require a
    # SKU / category / tag no line carries. Unlocked by a code, a promotion is always
    # considered: then it must not apply either.
    promotions, data = case
    carried = {key for line in data.lines for key in line.anchor_keys()}
    for promotion in promotions:
        keys = promotion.index_keys()
        if keys is None or not keys.isdisjoint(carried):
            continue
        coded = attrs.evolve(promotion, requires_code=True, stacking=Stacking())
        result = apply_promotions(
            PromotionBook([coded], [Coupon(code="TRY", promotion_id=coded.id)]),
            data.with_codes(["TRY"]),
        )
        assert result.applied == ()


@given(scenarios())
def test_the_customer_gets_at_least_the_best_of_the_combining_offers_and_each_exclusive(
    case: tuple[list[Promotion], PromotionInput],
) -> None:
    # The allowed combinations are: every promotion that combines (one per group, in
    # priority order), or one exclusive promotion alone. The engine picks the one worth most.
    promotions, data = case
    result = apply_promotions(PromotionBook(promotions), data)
    combining = [p for p in promotions if not p.stacking.exclusive]
    best = to_minor(apply_promotions(PromotionBook(combining), data).total_discount)
    for promotion in promotions:
        if promotion.stacking.exclusive:
            alone = apply_promotions(PromotionBook([promotion]), data).total_discount
            best = max(best, to_minor(alone))
    assert to_minor(result.total_discount) == best
