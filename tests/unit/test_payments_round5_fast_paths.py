"""Round 5 internals of the payment hot path build exactly what the paths they replace build.

- the payment service writes an amount's key text once, for the idempotency key and for the
  request's fingerprint (``_key_of_text``, ``AuthorizeRequest._of_key``,
  ``CaptureRequest._of_key``): the same keys, the same requests, the same errors.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.payment_gateway import (
    AuthorizeRequest,
    CaptureRequest,
    PaymentMethod,
    PaymentOperation,
    _key_of_text,
    amount_key,
    idempotency_key,
)
from commerce_core.errors import InvalidAmountError
from commerce_core.money import Money, from_minor

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=12)
_AMOUNTS = st.builds(
    from_minor, st.integers(min_value=1, max_value=10**9), st.sampled_from(["EUR", "JPY", "BHD"])
)


def _same_request(built: Any, reference: Any) -> None:
    assert type(built) is type(reference)
    assert built == reference
    assert attrs.asdict(built, recurse=False) == attrs.asdict(reference, recurse=False)
    assert built.fingerprint() == reference.fingerprint() == reference._compute_fingerprint()


@given(
    order_id=_TEXT,
    payment_id=_TEXT,
    operation=st.sampled_from(list(PaymentOperation)),
    amount=st.one_of(st.none(), _AMOUNTS),
    scope=_TEXT,
)
def test_a_key_of_the_amount_text_is_the_idempotency_key(
    order_id: str, payment_id: str, operation: PaymentOperation, amount: Money | None, scope: str
) -> None:
    text = None if amount is None else amount_key(amount)
    expected = idempotency_key(
        order_id=order_id, payment_id=payment_id, operation=operation, amount=amount, scope=scope
    )
    assert _key_of_text(str(operation), order_id, payment_id, text, scope) == expected


def test_a_key_of_ids_that_are_not_text_is_the_idempotency_key_too() -> None:
    expected = idempotency_key(order_id=7, payment_id="p", operation="capture", scope="s")  # type: ignore[arg-type]
    assert _key_of_text("capture", 7, "p", None, "s") == expected  # type: ignore[arg-type]


@given(payment_id=_TEXT, order_id=_TEXT, token=_TEXT, amount=_AMOUNTS, key=_TEXT)
def test_an_authorization_built_from_its_key_text_is_the_constructors(
    payment_id: str, order_id: str, token: str, amount: Money, key: str
) -> None:
    method = PaymentMethod(token.strip() or "tok_x")
    key = key.strip() or "authorize-k"
    reference = AuthorizeRequest(key, payment_id, order_id, amount, method)
    built = AuthorizeRequest._of_key(
        key, payment_id, order_id, amount, method, amount_text=amount_key(amount)
    )
    _same_request(built, reference)


@given(payment_id=_TEXT, reference_=_TEXT, amount=_AMOUNTS, key=_TEXT)
def test_a_capture_built_from_its_key_text_is_the_constructors(
    payment_id: str, reference_: str, amount: Money, key: str
) -> None:
    key = key.strip() or "capture-k"
    reference = CaptureRequest(key, payment_id, reference_, amount)
    built = CaptureRequest._of_key(
        key, payment_id, reference_, amount, amount_text=amount_key(amount)
    )
    _same_request(built, reference)


def test_requests_of_ids_that_are_not_text_have_the_constructors_fingerprint() -> None:
    amount = from_minor(500, "EUR")
    method = PaymentMethod("tok_visa")
    auth = AuthorizeRequest("k", 7, "o", amount, method)  # type: ignore[arg-type]
    built = AuthorizeRequest._of_key("k", 7, "o", amount, method, amount_text=amount_key(amount))  # type: ignore[arg-type]
    _same_request(built, auth)
    capture = CaptureRequest("k", "p", 9, amount)  # type: ignore[arg-type]
    built_capture = CaptureRequest._of_key("k", "p", 9, amount, amount_text=amount_key(amount))  # type: ignore[arg-type]
    _same_request(built_capture, capture)


@pytest.mark.parametrize("key", ["", "   ", None, 3])
def test_a_blank_key_is_refused_as_the_constructor_refuses_it(key: Any) -> None:
    amount = from_minor(500, "EUR")
    method = PaymentMethod("tok_visa")
    with pytest.raises(ValueError, match="must be a non-empty string") as expected:
        AuthorizeRequest(key, "p", "o", amount, method)
    with pytest.raises(ValueError, match="must be a non-empty string") as got:
        AuthorizeRequest._of_key(key, "p", "o", amount, method, amount_text="500 EUR")
    assert str(got.value) == str(expected.value)
    with pytest.raises(ValueError, match="must be a non-empty string") as got:
        CaptureRequest._of_key(key, "p", "r", amount, amount_text="500 EUR")
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize(
    "amount", [Money(Decimal(0), "EUR"), Money(Decimal("-1.00"), "EUR"), "5 EUR", None]
)
def test_an_amount_that_is_not_positive_is_refused_as_the_constructor_refuses_it(
    amount: Any,
) -> None:
    method = PaymentMethod("tok_visa")
    with pytest.raises(InvalidAmountError) as expected:
        AuthorizeRequest("k", "p", "o", amount, method)
    with pytest.raises(InvalidAmountError) as got:
        AuthorizeRequest._of_key("k", "p", "o", amount, method, amount_text="0 EUR")
    assert str(got.value) == str(expected.value)
    with pytest.raises(InvalidAmountError) as expected:
        CaptureRequest("k", "p", "r", amount)
    with pytest.raises(InvalidAmountError) as got:
        CaptureRequest._of_key("k", "p", "r", amount, amount_text="0 EUR")
    assert str(got.value) == str(expected.value)
