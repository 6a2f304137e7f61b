"""Replaying an idempotency key returns the first outcome and never charges twice."""

from __future__ import annotations

import pytest

from commerce_core import (
    CheckoutFailure,
    CheckoutSuccess,
    FailureReason,
    IdempotencyKeyReuseError,
    InvalidCheckoutError,
    PaymentMethod,
)
from commerce_core.testing.checkout import CheckoutWorld, leaks


def test_replaying_a_successful_checkout_returns_the_same_order_without_a_new_charge() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    first = world.check_out(cart_id, "k-1")
    calls = list(world.gateway.calls)
    again = world.check_out(cart_id, "k-1")
    assert isinstance(first, CheckoutSuccess)
    assert isinstance(again, CheckoutSuccess)
    assert again.replayed
    assert not first.replayed
    assert again.order.order_id == first.order.order_id
    assert again.order.number == first.order.number
    assert world.gateway.calls == calls
    assert len(world.payment_repository.all()) == 1


def test_replaying_a_failed_checkout_returns_the_same_failure() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    declined = PaymentMethod("tok_declined")
    first = world.check_out(cart_id, "k-1", method=declined)
    again = world.check_out(cart_id, "k-1", method=declined)
    assert isinstance(first, CheckoutFailure)
    assert isinstance(again, CheckoutFailure)
    assert again.replayed
    assert (again.reason, again.decline_code) == (FailureReason.PAYMENT_DECLINED, "card_declined")
    # a declined authorization holds nothing: one gateway call, no void, none on replay
    assert [op for op, _ in world.gateway.calls] == ["authorize"]
    assert leaks(world) == []


def test_a_new_key_after_a_decline_is_a_new_attempt_that_can_succeed() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    assert not world.check_out(cart_id, "k-1", method=PaymentMethod("tok_declined")).ok
    assert world.check_out(cart_id, "k-2").ok
    assert leaks(world) == []


def test_the_same_key_for_a_different_request_is_a_typed_error() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    world.check_out(cart_id, "k-1")
    with pytest.raises(IdempotencyKeyReuseError) as raised:
        world.check_out(cart_id, "k-1", coupon_codes=("SAVE5",))
    assert raised.value.key == "k-1"


def test_an_empty_idempotency_key_is_refused() -> None:
    world = CheckoutWorld()
    with pytest.raises(InvalidCheckoutError) as raised:
        world.check_out(world.fill_cart(), " ")
    assert raised.value.field == "idempotency_key"


def test_resending_a_key_from_a_new_session_or_channel_is_the_same_purchase() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    first = world.check_out(cart_id, "k-1")
    again = world.service.checkout(
        cart_id,
        customer=world.customer,
        billing_address=world.address,
        shipping_address=world.address,
        shipping_method="standard",
        payment_method=world.card,
        idempotency_key="k-1",
        session_id="a-new-visit",
        channel="mobile-app",
    )
    assert isinstance(first, CheckoutSuccess)
    assert isinstance(again, CheckoutSuccess)
    assert again.replayed
    assert again.order.order_id == first.order.order_id


def test_coupon_codes_in_another_case_order_or_spacing_are_the_same_purchase() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    first = world.check_out(cart_id, "k-1", coupon_codes=("SAVE5",))
    again = world.check_out(cart_id, "k-1", coupon_codes=(" save5 ",))
    assert isinstance(again, CheckoutSuccess)
    assert again.replayed
    assert isinstance(first, CheckoutSuccess)
    assert again.order.order_id == first.order.order_id


def test_the_same_key_with_another_payment_token_is_a_typed_error() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    world.check_out(cart_id, "k-1")
    with pytest.raises(IdempotencyKeyReuseError):
        world.check_out(cart_id, "k-1", method=PaymentMethod("tok_mastercard"))
