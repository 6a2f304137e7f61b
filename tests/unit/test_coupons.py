"""Coupon codes: normalisation, generation, and why a code does not apply."""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

import pytest

from commerce_core import (
    CODE_ALPHABET,
    CodeGenerationError,
    ConflictingPromotionError,
    Coupon,
    DuplicateCouponCodeError,
    InvalidCouponCodeError,
    MinSubtotal,
    NotAppliedReason,
    PercentOff,
    Promotion,
    PromotionBook,
    Stacking,
    UnknownPromotionError,
    generate_codes,
    normalize_code,
)
from tests.promo_helpers import NOW, cart, eur, line, price

SUMMER = Promotion(
    id="summer",
    name="Summer 10%",
    benefit=PercentOff(10),
    requires_code=True,
    conditions=[MinSubtotal(eur("30.00"))],
)


def test_codes_ignore_case_and_surrounding_spaces() -> None:
    assert normalize_code("  summer10\t") == "SUMMER10"
    result = price(
        [SUMMER],
        cart(line("a", "A", 1, "40.00"), codes=[" summer10 "]),
        [Coupon(code="SUMMER10", promotion_id="summer")],
    )
    assert result.accepted_codes == ("SUMMER10",)
    assert result.total_discount == eur("4.00")


@pytest.mark.parametrize("raw", ["", "   ", "SPA CE", "EMOJI🎉"])
def test_malformed_codes_are_refused_when_defined(raw: str) -> None:
    with pytest.raises(InvalidCouponCodeError):
        Coupon(code=raw, promotion_id="summer")


def test_a_code_promotion_does_not_apply_without_its_code() -> None:
    coupons = [Coupon(code="SUMMER10", promotion_id="summer")]
    assert price([SUMMER], cart(line("a", "A", 1, "40.00")), coupons).applied == ()


def test_many_codes_unlock_one_promotion_but_it_applies_once() -> None:
    coupons = [Coupon(code=c, promotion_id="summer") for c in ("A1", "B2")]
    result = price([SUMMER], cart(line("a", "A", 1, "40.00"), codes=["b2", "a1"]), coupons)
    assert result.total_discount == eur("4.00")
    assert result.accepted_codes == ("A1",)  # the smallest code represents the promotion


def test_a_second_code_for_the_same_offer_is_rejected_with_a_reason() -> None:
    coupons = [Coupon(code=c, promotion_id="summer") for c in ("AAA1", "BBB1", "CCC1")]
    data = cart(line("a", "A", 1, "40.00"), codes=["ccc1", "bbb1", "aaa1"])
    result = price([SUMMER], data, coupons)
    # The offer applies once, through the smallest code; the shopper learns why the others
    # did nothing instead of seeing them vanish.
    assert result.accepted_codes == ("AAA1",)
    assert result.total_discount == eur("4.00")
    assert [(r.code, r.reason) for r in result.rejected_codes] == [
        ("BBB1", NotAppliedReason.ANOTHER_CODE_FOR_PROMOTION),
        ("CCC1", NotAppliedReason.ANOTHER_CODE_FOR_PROMOTION),
    ]
    assert all(r.promotion_id == "summer" for r in result.rejected_codes)


def test_every_reason_a_code_does_not_apply_is_a_value() -> None:
    coupons = [
        Coupon(code="LATER", promotion_id="summer", starts=NOW + timedelta(days=1)),
        Coupon(code="OLD", promotion_id="summer", ends=NOW),
        Coupon(code="USED", promotion_id="summer", max_uses=1),
    ]
    data = cart(
        line("a", "A", 1, "40.00"), codes=["NOPE", "LATER", "OLD", "USED"], exhausted_codes={"USED"}
    )
    reasons = {r.code: r.reason for r in price([SUMMER], data, coupons).rejected_codes}
    assert reasons == {
        "NOPE": NotAppliedReason.UNKNOWN_CODE,
        "LATER": NotAppliedReason.NOT_STARTED,
        "OLD": NotAppliedReason.EXPIRED,
        "USED": NotAppliedReason.LIMIT_REACHED,
    }


def test_a_code_below_its_minimum_reports_the_shortfall() -> None:
    coupons = [Coupon(code="SUMMER10", promotion_id="summer")]
    result = price([SUMMER], cart(line("a", "A", 1, "25.50"), codes=["SUMMER10"]), coupons)
    rejection = result.rejected_codes[0]
    assert rejection.reason is NotAppliedReason.MINIMUM_NOT_MET
    assert rejection.missing_amount == eur("4.50")  # 30.00 - 25.50


def test_a_code_excluded_by_a_better_exclusive_promotion_says_so() -> None:
    better = Promotion(
        id="sale", name="sale 30%", benefit=PercentOff(30), stacking=Stacking(exclusive=True)
    )
    coupons = [Coupon(code="SUMMER10", promotion_id="summer")]
    result = price([SUMMER, better], cart(line("a", "A", 1, "40.00"), codes=["SUMMER10"]), coupons)
    rejection = result.rejected_codes[0]
    assert rejection.reason is NotAppliedReason.EXCLUDED_BY_BETTER_PROMOTION
    assert rejection.excluded_by == ("sale",)


def test_a_code_for_the_wrong_channel_or_customer_says_so() -> None:
    app_only = Promotion(
        id="app", name="app", benefit=PercentOff(5), requires_code=True, channels={"app"}
    )
    coupons = [Coupon(code="APP5", promotion_id="app")]
    result = price(
        [app_only], cart(line("a", "A", 1, "9.00"), codes=["APP5"], channel="web"), coupons
    )
    assert result.rejected_codes[0].reason is NotAppliedReason.WRONG_CHANNEL


def test_coupon_definitions_are_checked_against_the_book() -> None:
    with pytest.raises(UnknownPromotionError):
        PromotionBook([SUMMER], [Coupon(code="X1", promotion_id="nope")])
    with pytest.raises(DuplicateCouponCodeError):
        PromotionBook(
            [SUMMER],
            [Coupon(code="x1", promotion_id="summer"), Coupon(code="X1 ", promotion_id="summer")],
        )


def test_a_coupon_with_a_naive_validity_date_is_refused_when_defined() -> None:
    # A naive datetime cannot be compared with the (aware) pricing instant: refusing it up front
    # keeps a shopper's checkout from crashing later.
    with pytest.raises(ConflictingPromotionError):
        Coupon(code="NAIVE", promotion_id="summer", ends=datetime(2027, 1, 1))  # noqa: DTZ001
    with pytest.raises(ConflictingPromotionError):
        Coupon(code="NAIVE", promotion_id="summer", starts=datetime(2026, 1, 1))  # noqa: DTZ001


def test_generated_codes_are_unique_unambiguous_and_avoid_existing_ones() -> None:
    source = Random(7)
    codes = generate_codes(500, source.randrange, prefix="VIP-", existing=["VIP-AAAAAAAAAAAA"])
    assert len(set(codes)) == 500
    assert all(c.startswith("VIP-") and len(c) == 16 for c in codes)
    assert all(set(c[4:]) <= set(CODE_ALPHABET) for c in codes)
    assert not set(codes) & {"VIP-AAAAAAAAAAAA"}
    assert "0" not in CODE_ALPHABET
    assert "O" not in CODE_ALPHABET


def test_generation_refuses_guessable_or_impossible_requests() -> None:
    source = Random(1)
    with pytest.raises(CodeGenerationError):
        generate_codes(10, source.randrange, length=4)
    with pytest.raises(CodeGenerationError):
        # 2**6 = 64 possible codes: less than 4x the 20 requested, collisions would dominate
        generate_codes(20, source.randrange, length=6, alphabet="AB")
    with pytest.raises(CodeGenerationError):
        generate_codes(3, lambda n: 0)  # a broken source only ever repeats itself
