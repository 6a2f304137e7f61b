"""Round 4 payment fast paths equal the general paths they stand in for.

- ``_minus`` builds what Money's ``-`` builds (``total + (-amount)``), zeros and signs included.
- ``PaymentMethod._from_own_data`` rebuilds what ``from_data`` rebuilds from ``to_data`` output.
- ``Payment._from_own_snapshot`` (the in-memory repository's rebuild) rebuilds what
  ``from_snapshot`` rebuilds, and both write the same snapshot again; the creation time's text
  kept by ``to_snapshot`` follows a reassigned ``created_at``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.cards import CardBrand, CardExpiry, CardSummary
from commerce_core.domain.payment import Payment, _minus
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.money import Money

CODES = ("EUR", "USD", "JPY", "KWD")

amounts = st.decimals(
    allow_nan=False, allow_infinity=False, places=3, max_value=10**9, min_value=-(10**9)
)
signed_zeros = st.sampled_from([Decimal(0), Decimal("-0"), Decimal("0.00"), Decimal("-0.000")])


@given(
    code=st.sampled_from(CODES),
    left=st.one_of(amounts, signed_zeros),
    right=st.one_of(amounts, signed_zeros),
)
def test_minus_is_money_subtraction(code: str, left: Decimal, right: Decimal) -> None:
    total, amount = Money(left, code), Money(right, code)
    fast, slow = _minus(total, amount), total - amount
    assert type(fast) is type(slow)
    assert fast.currency is slow.currency
    assert fast.amount.as_tuple() == slow.amount.as_tuple()  # same digits, exponent and sign


def test_minus_of_two_currencies_raises_as_money_does() -> None:
    with pytest.raises(TypeError) as expected:
        _ = Money("1", "EUR") - Money("1", "USD")
    with pytest.raises(TypeError, match=re.escape(str(expected.value))):
        _minus(Money("1", "EUR"), Money("1", "USD"))


cards = st.one_of(
    st.none(),
    st.builds(
        CardSummary,
        brand=st.one_of(st.none(), st.sampled_from(list(CardBrand))),
        last4=st.from_regex(r"\A[0-9]{4}\Z"),
        expiry=st.one_of(
            st.none(), st.builds(CardExpiry, month=st.integers(1, 12), year=st.integers(2000, 2099))
        ),
    ),
)
methods = st.builds(
    PaymentMethod,
    token=st.sampled_from(["tok_visa", "pm_1Nx", "gift-42", "tok 1234"]),
    kind=st.sampled_from(["card", "gift_card", "wallet"]),
    card=cards,
)


@given(method=methods)
def test_own_method_data_rebuilds_what_from_data_rebuilds(method: PaymentMethod) -> None:
    data = method.to_data()
    fast, slow = PaymentMethod._from_own_data(data), PaymentMethod.from_data(data)
    assert fast == slow == method
    assert fast.to_data() == slow.to_data()


offsets = st.one_of(
    st.none(),
    st.just(UTC),
    st.builds(
        timezone,
        # whole seconds, as every real offset is (historic local mean times included): Python
        # 3.11's ``fromisoformat`` reads a sub-second offset ("+00:00:00.000001") as "+00:00",
        # so no snapshot of such an instant can come back as it was
        st.integers(-23 * 3600, 23 * 3600).map(lambda seconds: timedelta(seconds=seconds)),
    ),
)
instants = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.datetimes(),
    offsets,
)


@given(
    method=methods,
    created=instants,
    later=instants,
    cents=st.integers(1, 10**9),
    code=st.sampled_from(CODES),
)
def test_own_snapshot_rebuilds_what_from_snapshot_rebuilds(
    method: PaymentMethod, created: datetime, later: datetime, cents: int, code: str
) -> None:
    payment = Payment.create(
        "pay_1", "ord_1", Money(Decimal(cents) / 1000, code), method, now=created
    )
    snapshot = payment.to_snapshot()
    assert snapshot["created_at"] == created.isoformat()
    assert payment.to_snapshot() == snapshot  # the kept text, written again
    fast, slow = Payment._from_own_snapshot(snapshot, 3), Payment.from_snapshot(snapshot, 3)
    assert fast.to_snapshot() == slow.to_snapshot() == snapshot
    assert (fast.created_at, fast.method, fast.version) == (slow.created_at, slow.method, 3)
    assert repr(fast) == repr(slow)
    # a reassigned creation time is written as it is, not as the kept text
    fast.created_at = later
    assert fast.to_snapshot()["created_at"] == later.isoformat()
