"""The order fast paths of the fourth checkout round give what Money's operators give.

* ``_step_sums`` (one payment entry's step of captured and open authorization) adds and takes
  off on the Decimals when every amount is a plain Money of one currency object: it gives what
  ``captured + amount`` and ``authorized - min(authorized, amount)`` give, and raises what they
  raise otherwise.
* ``_covers`` is ``amount >= other``.
* A capture compares itself with ``amount_due - captured`` on the Decimals: it is refused
  exactly when the Money comparison refuses it, with the same amount due on the error.
* ``Order.record_payment`` takes a PaymentKind member as it is; other values still convert
  (or are refused).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.orders import PaymentKind, _covers, _step_sums
from commerce_core.errors import InvalidOrderError, PaymentFactRejectedError
from commerce_core.money import Money, money
from commerce_core.testing.contracts import make_sample_order

_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

_amounts = st.decimals(min_value=Decimal(0), max_value=Decimal(500), places=3, allow_nan=False)
_places = st.sampled_from([0, 1, 2, 3])
_codes = st.sampled_from(["EUR", "EUR", "EUR", "USD"])


@st.composite
def _moneys(draw: st.DrawFn) -> Money:
    value = draw(_amounts).quantize(Decimal(1).scaleb(-draw(_places)))
    return money(value, draw(_codes))


def _reference(
    captured: Money, authorized: Money, kind: PaymentKind, amount: Money
) -> tuple[Money, Money]:
    if kind is PaymentKind.AUTHORIZED:
        return captured, authorized + amount
    if kind is PaymentKind.CAPTURED:
        captured += amount
    return captured, authorized - min(authorized, amount)


def _same(left: Money, right: Money) -> None:
    assert type(left) is type(right)
    assert left.currency is right.currency
    assert left.amount == right.amount
    assert str(left.amount) == str(right.amount)  # the same exponent too


@given(_moneys(), _moneys(), st.sampled_from(list(PaymentKind)), _moneys())
def test_step_sums_equals_the_money_operators(
    captured: Money, authorized: Money, kind: PaymentKind, amount: Money
) -> None:
    try:
        expected = _reference(captured, authorized, kind, amount)
    except Exception as error:  # noqa: BLE001 - the same error, whatever it is
        with pytest.raises(type(error)):
            _step_sums(captured, authorized, kind, amount)
        return
    got = _step_sums(captured, authorized, kind, amount)
    _same(got[0], expected[0])
    _same(got[1], expected[1])


@given(_moneys(), _moneys())
def test_covers_is_greater_or_equal(amount: Money, other: Money) -> None:
    try:
        expected = amount >= other
    except Exception as error:  # noqa: BLE001 - the same error, whatever it is
        with pytest.raises(type(error)):
            _covers(amount, other)
        return
    assert _covers(amount, other) is expected


@given(st.lists(st.integers(1, 20_000), min_size=1, max_size=4))
def test_a_capture_is_refused_exactly_above_what_is_still_due(cents: list[int]) -> None:
    order = make_sample_order()
    code = order.currency
    for index, value in enumerate(cents):
        amount = money(Decimal(value).scaleb(-2), code)
        due = order.amount_due - order.captured
        if amount > due:
            with pytest.raises(PaymentFactRejectedError) as caught:
                order.record_payment(PaymentKind.CAPTURED, amount, reference=f"c{index}", now=_NOW)
            assert (
                caught.value.args
                == PaymentFactRejectedError(
                    order.order_id, str(PaymentKind.CAPTURED), amount, due
                ).args
            )
        else:
            assert order.record_payment(
                PaymentKind.CAPTURED, amount, reference=f"c{index}", now=_NOW
            )


def test_a_payment_kind_given_as_text_converts_and_an_unknown_one_is_refused() -> None:
    order = make_sample_order()
    text_kind: Any = "authorized"
    assert order.record_payment(text_kind, order.amount_due, reference="a", now=_NOW)
    assert order.payments[-1].kind is PaymentKind.AUTHORIZED
    unknown: Any = "bogus"
    with pytest.raises(InvalidOrderError, match="unknown payment kind 'bogus'"):
        order.record_payment(unknown, order.amount_due, reference="b", now=_NOW)
