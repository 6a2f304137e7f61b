"""Round 6 internals of the payment hot path decide and build exactly what the paths they replace.

- card-number scans first look for a run of 13 ASCII digits, spaces or dashes (``_ASCII_RUN``):
  ``looks_like_card_number`` and ``mask_card_numbers`` answer what the full ``_CARDISH`` scan
  alone answers, for any text (ASCII or not), and raise the same errors for what is not text.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from commerce_core.domain import cards
from commerce_core.domain.cards import looks_like_card_number, mask_card_numbers, mask_number

_FULL_SCAN = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
"""The pattern the scans used alone (kept here as the reference)."""


def _reference_looks_like(text: str) -> bool:
    if _FULL_SCAN.search(text) is None:
        return False
    return any(cards._is_card_number(match.group()) for match in _FULL_SCAN.finditer(text))


def _reference_mask(text: str) -> str:
    if _FULL_SCAN.search(text) is None:
        return text
    return _FULL_SCAN.sub(
        lambda m: mask_number(m.group()) if cards._is_card_number(m.group()) else m.group(), text
    )


_CARD_TEXT = st.text(
    # digits (ASCII and other scripts), the separators, letters, and what stands between words
    alphabet=st.sampled_from("0123456789 -_\n\tax.Z/\u0661\u0967\u00e9"),
    max_size=60,
)
_NUMBERS = st.sampled_from(
    ["4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", "378282246310005"]
)


@given(text=st.one_of(_CARD_TEXT, st.text(max_size=40)))
@example(text="pay_000001\nord_000001\ncapture\napproved\ncard\n\nsim_auth_000001")
@example(text="tok_4242424242424242")
@example(text="1234567890123")
@example(text="123456789012")
@example(text="\u0664\u0662\u0664\u0662" * 4)  # Arabic-Indic digits: \d matches them
def test_the_scans_answer_what_the_full_scan_answers(text: str) -> None:
    assert looks_like_card_number(text) is _reference_looks_like(text)
    assert mask_card_numbers(text) == _reference_mask(text)


@given(before=_CARD_TEXT, number=_NUMBERS, after=_CARD_TEXT)
def test_a_card_number_among_other_text_is_found_as_before(
    before: str, number: str, after: str
) -> None:
    text = f"{before}{number}{after}"
    assert looks_like_card_number(text) is _reference_looks_like(text)
    assert mask_card_numbers(text) == _reference_mask(text)


@pytest.mark.parametrize("value", [None, 4242424242424242, b"4242424242424242"])
def test_what_is_not_text_raises_as_the_full_scan_raises(value: object) -> None:
    with pytest.raises(TypeError):
        _FULL_SCAN.search(value)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        looks_like_card_number(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mask_card_numbers(value)  # type: ignore[arg-type]


def test_the_reference_is_the_pattern_the_scans_use() -> None:
    assert cards._CARDISH.pattern == _FULL_SCAN.pattern
