"""Authorize-only checkouts: the host captures at shipment and the order records it, once."""

from __future__ import annotations

import pytest

from commerce_core import (
    CaptureMode,
    CheckoutSuccess,
    InvalidCheckoutError,
    NotFoundError,
    PaymentMethod,
    PaymentStatus,
)
from commerce_core.testing.checkout import CheckoutWorld, leaks


def authorized_checkout(world: CheckoutWorld) -> CheckoutSuccess:
    result = world.check_out(world.fill_cart(), "k-1")
    assert isinstance(result, CheckoutSuccess)
    assert result.order.payment_status == "authorized"
    return result


def test_capturing_an_authorize_only_checkout_takes_the_money_and_marks_the_order_paid() -> None:
    world = CheckoutWorld(capture_mode=CaptureMode.AUTHORIZE_ONLY)
    sale = authorized_checkout(world)
    total = sale.order.totals.total.gross
    captured = world.service.capture("k-1")
    assert captured.ok
    assert captured.captured == total
    assert captured.order.payment_status == "paid"
    assert captured.order.captured == total
    assert world.payments.get(sale.payment_id).status is PaymentStatus.CAPTURED
    assert world.orders.get(sale.order.order_id).payment_status == "paid"
    assert leaks(world) == []


def test_capturing_twice_charges_once_and_records_the_capture_once() -> None:
    world = CheckoutWorld(capture_mode=CaptureMode.AUTHORIZE_ONLY)
    sale = authorized_checkout(world)
    first = world.service.capture("k-1")
    calls = list(world.gateway.calls)
    again = world.service.capture("k-1")
    assert again.ok
    assert world.gateway.calls == calls
    assert again.order.captured == first.order.captured == sale.order.totals.total.gross


def test_a_refused_capture_is_a_value_and_leaves_the_order_authorized() -> None:
    world = CheckoutWorld(capture_mode=CaptureMode.AUTHORIZE_ONLY)
    sale = authorized_checkout(world)
    world.plan.arm("gateway", "capture", "decline")
    refused = world.service.capture("k-1")
    assert not refused.ok
    assert refused.decline_code == "card_declined"
    assert refused.order.payment_status == "authorized"
    world.plan.clear()
    calls = list(world.gateway.calls)
    again = world.service.capture("k-1")  # the same request: the first answer, no new call
    assert again.decline_code == "card_declined"
    assert world.gateway.calls == calls
    assert world.orders.get(sale.order.order_id).payment_status == "authorized"


def test_capturing_an_immediate_checkout_changes_nothing() -> None:
    world = CheckoutWorld()
    sale = world.check_out(world.fill_cart(), "k-1")
    assert isinstance(sale, CheckoutSuccess)
    calls = list(world.gateway.calls)
    result = world.service.capture("k-1")
    assert result.ok
    assert result.order.captured == sale.order.captured
    assert world.gateway.calls == calls


def test_a_checkout_without_an_order_cannot_be_captured() -> None:
    world = CheckoutWorld(capture_mode=CaptureMode.AUTHORIZE_ONLY)
    world.check_out(world.fill_cart(), "k-1", method=PaymentMethod("tok_declined"))
    with pytest.raises(InvalidCheckoutError):
        world.service.capture("k-1")
    with pytest.raises(NotFoundError):
        world.service.capture("never-used")
