"""Stacking: priority, exclusivity, groups, stop-further, the tie-break, order independence."""

from __future__ import annotations

import pytest

from commerce_core import (
    AmountOffOrder,
    ConflictingPromotionError,
    Coupon,
    MinSubtotal,
    NotAppliedReason,
    PercentOff,
    Promotion,
    PromotionBook,
    Stacking,
)
from tests.promo_helpers import NOW, cart, eur, line, price

CART = cart(line("a", "A", 1, "100.00"))


def promo(pid: str, percent: int, **stacking: object) -> Promotion:
    return Promotion(
        id=pid,
        name=pid,
        benefit=PercentOff(percent),
        stacking=Stacking(**stacking),  # type: ignore[arg-type]
    )


def test_higher_priority_applies_first_and_later_ones_see_the_reduced_price() -> None:
    fixed = Promotion(
        id="z-fixed",
        name="10 off",
        benefit=AmountOffOrder(eur("10.00")),
        stacking=Stacking(priority=5),
    )
    pct = promo("a-pct", 10)
    result = price([pct, fixed], CART)
    # 10.00 off first (priority 5), then 10% of the remaining 90.00 = 9.00.
    assert result.applied_ids() == ("z-fixed", "a-pct")
    assert result.total_discount == eur("19.00")


def test_two_percentages_compound_instead_of_adding_up_past_the_price() -> None:
    result = price([promo("a", 60), promo("b", 60)], CART)
    # 60.00 then 60% of 40.00 = 24.00: 84.00, never more than the 100.00 line.
    assert result.total_discount == eur("84.00")


def test_an_exclusive_promotion_wins_when_it_is_worth_more_than_the_rest_combined() -> None:
    result = price([promo("a", 10), promo("b", 10), promo("x", 25, exclusive=True)], CART)
    # stack: 10.00 + 9.00 = 19.00 < exclusive 25.00
    assert result.applied_ids() == ("x",)
    missed = {n.promotion_id: n for n in result.not_applied}
    assert missed["a"].reason is NotAppliedReason.EXCLUDED_BY_BETTER_PROMOTION
    assert missed["a"].excluded_by == ("x",)


def test_the_stack_wins_when_it_is_worth_more_than_the_exclusive() -> None:
    result = price([promo("a", 15), promo("b", 15), promo("x", 25, exclusive=True)], CART)
    # stack: 15.00 + 12.75 = 27.75 > 25.00
    assert set(result.applied_ids()) == {"a", "b"}
    assert result.total_discount == eur("27.75")


def test_competing_exclusives_the_best_for_the_customer_wins() -> None:
    result = price([promo("x", 20, exclusive=True), promo("y", 30, exclusive=True)], CART)
    assert result.applied_ids() == ("y",)


def test_equal_exclusives_tie_break_on_priority_then_on_id() -> None:
    by_priority = price(
        [promo("a", 20, exclusive=True), promo("b", 20, exclusive=True, priority=1)], CART
    )
    assert by_priority.applied_ids() == ("b",)
    by_id = price([promo("b", 20, exclusive=True), promo("a", 20, exclusive=True)], CART)
    assert by_id.applied_ids() == ("a",)


def test_only_the_best_member_of_a_group_applies() -> None:
    result = price([promo("a", 10, group="welcome"), promo("b", 15, group="welcome")], CART)
    assert result.applied_ids() == ("b",)
    assert result.not_applied[0].excluded_by == ("b",)


def test_stop_further_blocks_lower_priority_promotions() -> None:
    result = price([promo("top", 10, priority=2, stop_further=True), promo("low", 10)], CART)
    assert result.applied_ids() == ("top",)
    assert result.not_applied[0].reason is NotAppliedReason.STOPPED_BY_HIGHER_PRIORITY


def test_the_result_does_not_depend_on_the_order_promotions_are_given_in() -> None:
    promos = [promo("a", 10), promo("b", 5, priority=1), promo("x", 12, exclusive=True)]
    assert price(promos, CART) == price(list(reversed(promos)), CART)


def test_two_promotions_with_one_id_are_refused() -> None:
    with pytest.raises(ConflictingPromotionError):
        PromotionBook([promo("a", 10), promo("a", 20)])


def test_every_loser_of_a_group_names_the_final_winner() -> None:
    result = price(
        [promo("a", 10, group="g"), promo("b", 15, group="g"), promo("c", 20, group="g")], CART
    )
    assert result.applied_ids() == ("c",)
    assert {n.promotion_id: n.excluded_by for n in result.not_applied} == {
        "a": ("c",),
        "b": ("c",),
    }


def test_when_a_group_winner_fails_in_the_stack_the_next_best_member_of_the_group_applies() -> None:
    automatic = Promotion(
        id="auto",
        name="20.00 off",
        benefit=AmountOffOrder(eur("20.00")),
        stacking=Stacking(priority=10),
    )
    big = Promotion(
        id="A",
        name="20% from 100.00 after discounts",
        benefit=PercentOff(20),
        conditions=[MinSubtotal(eur("100.00"), after_discounts=True)],
        stacking=Stacking(group="g"),
    )
    small = Promotion(
        id="B", name="5.00 off", benefit=AmountOffOrder(eur("5.00")), stacking=Stacking(group="g")
    )
    result = price([automatic, big, small], cart(line("l1", "X", 1, "110.00")))
    # A is worth most alone (22.00), but after the 20.00 off only 90.00 is left, below its
    # 100.00 minimum: it does not apply, so the group's next best member, B, does.
    assert result.applied_ids() == ("auto", "B")
    assert result.total_discount == eur("25.00")  # 20.00 + 5.00, as without A
    missed = {n.promotion_id: n for n in result.not_applied}
    assert missed["A"].reason is NotAppliedReason.MINIMUM_NOT_MET
    assert missed["A"].missing_amount == eur("10.00")  # 100.00 - 90.00


def test_tied_losers_are_told_of_the_tie_not_that_the_winner_is_worth_more() -> None:
    # The stack (10.00 + 10.00 = 20.00) and the exclusive (20.00) are worth the same; the
    # stack's best priority (1) beats the exclusive's (0).
    stack = [
        promo("a", 10, priority=1),
        Promotion(
            id="b", name="b", benefit=AmountOffOrder(eur("10.00")), stacking=Stacking(priority=1)
        ),
    ]
    exclusive = promo("x", 20, exclusive=True)
    result = price([*stack, exclusive], CART)
    assert result.applied_ids() == ("a", "b")
    [missed] = result.not_applied
    assert missed.message == "the offers that combine are worth as much together and win the tie"
    # When the exclusive is worth more, the stack's members are told so.
    bigger = price([*stack, promo("x", 30, exclusive=True)], CART)
    assert {n.message for n in bigger.not_applied} == {"an exclusive offer worth more applies"}
    # And when the stack is worth more, the exclusive learns that.
    smaller = price([*stack, promo("x", 15, exclusive=True)], CART)
    assert smaller.not_applied[0].message == "the offers that combine are worth more together"


def test_an_offer_whose_own_window_ended_says_the_offer_ended_not_the_code() -> None:
    ended = Promotion(id="old", name="old", benefit=PercentOff(10), requires_code=True, ends=NOW)
    coupons = [
        Coupon(code="OLDOFFER", promotion_id="old"),
        Coupon(code="OLDCODE", promotion_id="live", ends=NOW),
    ]
    live = Promotion(id="live", name="live", benefit=PercentOff(10), requires_code=True)
    result = price(
        [ended, live],
        cart(line("a", "A", 1, "100.00"), codes=["OLDOFFER", "OLDCODE"]),
        coupons,
    )
    messages = {r.code: (r.reason, r.message) for r in result.rejected_codes}
    assert messages["OLDOFFER"] == (NotAppliedReason.EXPIRED, "this offer has ended")
    assert messages["OLDCODE"] == (NotAppliedReason.EXPIRED, "this code has expired")


def test_an_exclusive_group_member_does_not_knock_a_combining_member_out_of_the_stack() -> None:
    # Group g holds an exclusive 30% and a combining 15%; a 20% offer combines with anything.
    # The exclusive applies alone anyway, so it competes as its own scenario: the stack
    # 20% + 15% of the rest (20.00 + 12.00 = 32.00) beats it (30.00).
    result = price(
        [promo("e", 30, exclusive=True, group="g"), promo("n", 15, group="g"), promo("m", 20)],
        CART,
    )
    assert result.applied_ids() == ("m", "n")
    assert result.total_discount == eur("32.00")
