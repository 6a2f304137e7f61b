from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given

from commerce_core import (
    CardBrand,
    CardExpiry,
    CardNumber,
    InvalidCardError,
    brand_of,
    check_card,
    luhn_valid,
    mask_number,
)
from commerce_core.domain.cards import rule_for
from commerce_core.testing import strategies as cst

NOW = datetime(2026, 6, 15, tzinfo=UTC)

# Public test card numbers (Stripe / Adyen / network test lists).
PUBLIC_TEST_CARDS = [
    ("4242424242424242", CardBrand.VISA),
    ("4000056655665556", CardBrand.VISA),
    ("5555555555554444", CardBrand.MASTERCARD),
    ("2223003122003222", CardBrand.MASTERCARD),
    ("5200828282828210", CardBrand.MASTERCARD),
    ("378282246310005", CardBrand.AMEX),
    ("371449635398431", CardBrand.AMEX),
    ("6011111111111117", CardBrand.DISCOVER),
    ("6011000990139424", CardBrand.DISCOVER),
    ("3566002020360505", CardBrand.JCB),
    ("36227206271667", CardBrand.DINERS),
    ("3056930009020004", CardBrand.DINERS),
    ("6200000000000005", CardBrand.UNIONPAY),
]


@pytest.mark.parametrize(("number", "brand"), PUBLIC_TEST_CARDS)
def test_public_test_cards_pass_luhn_and_get_their_brand(number: str, brand: CardBrand) -> None:
    assert luhn_valid(number)
    assert brand_of(number) is brand
    assert CardNumber.parse(number).brand is brand


def test_luhn_rejects_a_single_wrong_digit_and_non_digits() -> None:
    # 4242424242424242 sums to 80; changing the last digit to 1 makes 79, not a multiple of 10.
    assert not luhn_valid("4242424242424241")
    assert not luhn_valid("4242a42424242424")
    assert not luhn_valid("")


@pytest.mark.parametrize(
    ("prefix", "brand"),
    [
        ("2221", CardBrand.MASTERCARD),
        ("2720", CardBrand.MASTERCARD),
        ("2220", None),
        ("2721", None),
        ("51", CardBrand.MASTERCARD),
        ("56", None),
        ("6011", CardBrand.DISCOVER),
        ("3528", CardBrand.JCB),
        ("3095", CardBrand.DINERS),
    ],
)
def test_mastercard_two_series_and_iin_range_edges(prefix: str, brand: CardBrand | None) -> None:
    assert brand_of(prefix + "0" * 12) is brand


def test_each_brand_has_its_lengths_and_cvc_length() -> None:
    amex = rule_for("378282246310005")
    visa = rule_for("4242424242424242")
    assert amex is not None
    assert visa is not None
    assert (amex.cvc_length, sorted(amex.lengths)) == (4, [15])
    assert (visa.cvc_length, sorted(visa.lengths)) == (3, [13, 16, 19])


def test_a_visa_of_the_wrong_length_is_refused_with_a_masked_error() -> None:
    with pytest.raises(InvalidCardError) as caught:
        CardNumber.parse("4242 4242 4242 424")  # 15 digits: not a Visa length
    assert caught.value.reason == "length"
    assert "424242424242424" not in str(caught.value)


def test_expiry_is_valid_through_the_end_of_its_month() -> None:
    assert not CardExpiry(6, 2026).is_past(NOW)
    assert CardExpiry(5, 2026).is_past(NOW)
    with pytest.raises(InvalidCardError):
        CardExpiry(13, 2026)


def test_check_card_reports_every_problem_as_values() -> None:
    good = check_card("4242 4242 4242 4242", "123", 12, 2030, now=NOW)
    assert good.ok
    assert good.summary is not None
    assert good.summary.masked == "**** 4242"
    amex_with_3_digit_cvc = check_card("378282246310005", "123", 12, 2030, now=NOW)
    assert amex_with_3_digit_cvc.problems == ("cvc",)
    bad = check_card("4242424242424241", "12", 1, 2020, now=NOW)
    assert bad.problems == ("luhn", "cvc", "expired")


def test_masking_keeps_only_the_last_four_digits() -> None:
    assert mask_number("5555 5555 5555 4444") == "**** 4444"
    card = CardNumber.parse("5555555555554444")
    assert repr(card) == "CardNumber('**** 4444', brand='mastercard')"
    assert str(card) == "**** 4444"
    assert "5555555555554444" not in repr(card.summary(CardExpiry(1, 2030)))


@given(cst.card_numbers())
def test_generated_card_numbers_are_valid_and_never_shown(number: str) -> None:
    card = CardNumber(number)
    assert card.reveal() == number
    assert number not in repr(card) + str(card)


def test_card_shaped_text_is_detected_but_digests_and_tokens_are_not() -> None:
    from commerce_core.domain.cards import looks_like_card_number

    assert looks_like_card_number("paid with 4242 4242 4242 4242 today")
    assert looks_like_card_number("tok_4242424242424242")
    assert not looks_like_card_number("4242424242424241")  # fails Luhn
    assert not looks_like_card_number("capture-ab4242424242424242cd")  # inside a hex digest
    assert not looks_like_card_number("tok_visa")
