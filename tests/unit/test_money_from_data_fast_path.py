"""money_from_data builds stored amounts of an already-resolved currency directly; it must give
exactly what ``money(amount, currency)`` gives (the same value, exponent and currency, or the
same error) for any amount text and code."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.errors import InvalidAmountError, UnknownCurrencyError
from commerce_core.money import Money, money, money_from_data, money_to_data, zero

_CODES = ("EUR", "USD", "JPY", "BHD", "eur", "XXX-NOT", "", "ZZZ")

_amount_texts = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(lambda d: f" {d}\n"),
    st.sampled_from(["1_000.5", "abc", "", " ", "1e3", "-0.00", "+7", "sNaN", "Infinity"]),
    st.text(max_size=8),
)


def _outcome(build: object) -> tuple[str, object]:
    assert callable(build)
    try:
        result = build()
    except (InvalidAmountError, UnknownCurrencyError) as error:
        return type(error).__name__, str(error)
    assert isinstance(result, Money)
    return "ok", (result.amount.as_tuple(), result.currency)


@given(amount=_amount_texts, code=st.sampled_from(_CODES))
def test_money_from_data_matches_money_for_any_stored_text(amount: str, code: str) -> None:
    for known in ("EUR", "USD", "JPY", "BHD", "eur"):
        zero(known)  # resolved once, as a running shop has: the direct path applies
    expected = _outcome(lambda: money(amount, code))
    assert _outcome(lambda: money_from_data({"amount": amount, "currency": code})) == expected


@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=2),
    code=st.sampled_from(["EUR", "USD"]),
)
def test_money_from_data_round_trips_money_to_data(amount: Decimal, code: str) -> None:
    value = money(amount, code)
    rebuilt = money_from_data(money_to_data(value))
    assert rebuilt == value
    assert rebuilt.amount.as_tuple() == value.amount.as_tuple()
    assert rebuilt.currency is value.currency


@pytest.mark.parametrize("amount", [1, Decimal("2.5"), 1.5, True, None])
def test_money_from_data_keeps_money_for_amounts_that_are_not_text(amount: object) -> None:
    data = {"amount": amount, "currency": "EUR"}
    expected = _outcome(lambda: money(amount, "EUR"))  # type: ignore[arg-type]
    assert _outcome(lambda: money_from_data(data)) == expected  # type: ignore[arg-type]
