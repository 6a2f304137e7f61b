"""A customer action finished after the stock hold lapsed, and recovery reporting honestly."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

from commerce_core import (
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutStep,
    CheckoutSuccess,
    FailureReason,
    PaymentMethod,
    PaymentStatus,
    PaymentWebhookHandler,
    ReservationState,
)
from commerce_core.adapters.memory import InMemoryProcessedEventStore
from commerce_core.adapters.webhooks import HmacSha256WebhookVerifier, sign_webhook
from commerce_core.testing.checkout import CheckoutWorld, leaks

THREE_DS = PaymentMethod("tok_3ds_required")


def pass_3ds(world: CheckoutWorld, checkout_id: str) -> str:
    """The customer passes the challenge and the provider's webhook authorizes the payment."""
    payment_id = f"pay_{checkout_id.removeprefix('chk_')}"
    reference = world.payments.get(payment_id).reference
    assert reference is not None
    world.gateway.complete_action(reference)
    handler = PaymentWebhookHandler(
        verifier=HmacSha256WebhookVerifier("whsec", world.clock),
        payments=world.payment_repository,
        processed=InMemoryProcessedEventStore(),
        clock=world.clock,
    )
    body = json.dumps(
        {
            "id": "evt_1",
            "type": "payment.authorized",
            "created": world.clock.now().isoformat(),
            "data": {"payment_id": payment_id},
        }
    ).encode()
    handler.handle(sign_webhook("whsec", body, int(world.clock.now().timestamp())), body)
    assert world.payments.get(payment_id).status is PaymentStatus.AUTHORIZED
    return payment_id


def test_3ds_passed_after_the_hold_lapsed_and_the_stock_was_sold_fails_out_of_stock() -> None:
    world = CheckoutWorld(stock=1)
    first = world.check_out(world.fill_cart((("TEA", 1),)), "k-1", method=THREE_DS)
    assert isinstance(first, CheckoutFailure)
    world.clock.advance(timedelta(minutes=20))  # the 15-minute hold lapses
    world.inventory.expire_due()
    other = world.check_out(world.fill_cart((("TEA", 1),)), "k-other")
    assert isinstance(other, CheckoutSuccess)  # the unit is sold to someone else
    payment_id = pass_3ds(world, first.checkout_id)
    late = world.service.resume("k-1")
    assert isinstance(late, CheckoutFailure)
    assert late.reason is FailureReason.OUT_OF_STOCK
    assert [(s.sku, s.requested, s.allocated) for s in late.shortages] == [("TEA", 1, 0)]
    assert world.payments.get(payment_id).status is PaymentStatus.VOIDED
    assert world.inventory.stock_level("TEA", "main").on_hand == 0  # sold once, not twice
    assert leaks(world) == []


def test_3ds_passed_after_the_hold_lapsed_holds_the_stock_again_when_it_is_there() -> None:
    world = CheckoutWorld(stock=1)
    first = world.check_out(world.fill_cart((("TEA", 1),)), "k-1", method=THREE_DS)
    assert isinstance(first, CheckoutFailure)
    world.clock.advance(timedelta(minutes=20))
    world.inventory.expire_due()
    pass_3ds(world, first.checkout_id)
    late = world.service.resume("k-1")
    assert isinstance(late, CheckoutSuccess)
    assert late.completed
    reservation = world.inventory.reservation(first.checkout_id)
    assert reservation.state is ReservationState.COMMITTED
    assert world.inventory.stock_level("TEA", "main").on_hand == 0
    assert leaks(world) == []


def test_recovery_resuming_a_late_3ds_after_the_hold_lapsed_finishes_the_sale() -> None:
    world = CheckoutWorld(stock=1)
    first = world.check_out(world.fill_cart((("TEA", 1),)), "k-1", method=THREE_DS)
    assert isinstance(first, CheckoutFailure)
    world.clock.advance(timedelta(minutes=20))  # not even swept: the expiry has just passed
    pass_3ds(world, first.checkout_id)
    report = world.service.recover()
    assert report.completed == (first.checkout_id,)
    assert world.service.recover().completed == ()
    assert leaks(world) == []


class Crash(BaseException):
    """The process dies."""


def test_recovery_counts_a_sale_whose_completion_failed_again_as_an_error_not_completed() -> None:
    crashed: list[CheckoutStep] = []

    def crash(_attempt: CheckoutAttempt, step: CheckoutStep) -> None:
        if step is CheckoutStep.CAPTURED and not crashed:  # recovery redoes the unsaved capture
            crashed.append(step)
            raise Crash

    world = CheckoutWorld(on_step=crash)
    with contextlib.suppress(Crash):
        world.check_out(world.fill_cart(), "k-1")
    world.clock.advance(timedelta(minutes=5))
    world.plan.arm("inventory", "commit", "exception")  # step 7 fails again during recovery
    cid = world.service.attempt("k-1").checkout_id
    report = world.service.recover()
    assert report.completed == ()
    assert report.errors == (cid,)
    world.clock.advance(timedelta(minutes=5))
    assert world.service.recover().completed == (cid,)
    assert leaks(world) == []
