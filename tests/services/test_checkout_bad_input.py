"""Bad checkout input is a typed error raised before anything is stored, held or emitted."""

from __future__ import annotations

import logging

import pytest

from commerce_core import (
    Address,
    CheckoutFailure,
    FailureReason,
    NotFoundError,
    ShippingUnavailableError,
    UnknownJurisdictionError,
)
from commerce_core.testing.checkout import CheckoutWorld, leaks


def nothing_happened(world: CheckoutWorld) -> None:
    assert world.checkout_log.all() == ()
    assert list(world.recorded.events) == []
    assert world.gateway.calls == []
    assert world.inventory_store.active_reservations() == ()
    assert leaks(world) == []


def test_an_unknown_shipping_method_is_refused_before_the_checkout_begins() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    with pytest.raises(ShippingUnavailableError):
        world.service.checkout(
            cart_id,
            customer=world.customer,
            billing_address=world.address,
            shipping_address=world.address,
            shipping_method="express",
            payment_method=world.card,
            idempotency_key="k-1",
        )
    nothing_happened(world)


def test_a_destination_without_a_tax_rate_is_refused_before_the_checkout_begins() -> None:
    world = CheckoutWorld()  # the tax table only knows FR
    cart_id = world.fill_cart()
    with pytest.raises(UnknownJurisdictionError):
        world.service.checkout(
            cart_id,
            customer=world.customer,
            billing_address=world.address,
            shipping_address=Address("Bob", "1 Main St", "New York", "10001", "US"),
            shipping_method="standard",
            payment_method=world.card,
            idempotency_key="k-1",
        )
    nothing_happened(world)


def test_an_unknown_cart_is_refused_before_the_checkout_begins() -> None:
    world = CheckoutWorld()
    with pytest.raises(NotFoundError):
        world.check_out("no-such-cart", "k-1")
    nothing_happened(world)


def test_the_key_can_be_used_once_the_input_is_corrected() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    with pytest.raises(ShippingUnavailableError):
        world.service.checkout(
            cart_id,
            customer=world.customer,
            billing_address=world.address,
            shipping_address=world.address,
            shipping_method="express",
            payment_method=world.card,
            idempotency_key="k-1",
        )
    assert world.check_out(cart_id, "k-1").ok


def test_an_internal_error_never_shows_an_exception_class_to_the_customer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = CheckoutWorld()
    world.plan.arm("inventory", "reserve", "exception")
    with caplog.at_level(logging.ERROR, logger="commerce_core.checkout"):
        result = world.check_out(world.fill_cart(), "k-1")
    assert isinstance(result, CheckoutFailure)
    assert result.reason is FailureReason.INTERNAL_ERROR
    assert "Error" not in result.message
    assert "InjectedFaultError" in caplog.text  # the details go to the log, for support
    assert leaks(world) == []
