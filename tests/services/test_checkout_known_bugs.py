"""Checkout bugs found by the stateful test (tests/properties/test_checkout_stateful.py).

Each test is the minimal reproduction of a bug, stating the rule the checkout broke. A bug not
fixed yet is marked ``xfail(strict=True)``, so fixing it turns it into an unexpected pass: then
drop the marker, and remove the matching ``KNOWN BUG`` guard from the state machine.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from commerce_core import (
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutStatus,
    CheckoutStep,
    CheckoutSuccess,
    FailureReason,
)
from commerce_core.testing.checkout import CheckoutWorld, leaks


class Crash(BaseException):
    """The process dies (the service catches only ``Exception``)."""


def test_a_sale_crashed_after_its_order_is_completed_by_recovery_after_its_hold_lapsed() -> None:
    crashed: list[CheckoutStep] = []

    def crash(_attempt: CheckoutAttempt, step: CheckoutStep) -> None:
        if step is CheckoutStep.ORDER_CREATED and not crashed:
            crashed.append(step)
            raise Crash

    world = CheckoutWorld(on_step=crash)
    with contextlib.suppress(Crash):
        world.check_out(world.fill_cart((("TEA", 1),)), "k-1")
    world.clock.advance(timedelta(minutes=16))  # recovery runs after the 15-minute hold lapsed
    cid = world.service.attempt("k-1").checkout_id
    reports = [world.service.recover()]
    world.clock.advance(timedelta(minutes=5))
    reports.append(world.service.recover())
    assert cid in reports[0].completed + reports[1].completed, reports
    assert world.service.attempt("k-1").status is CheckoutStatus.SUCCEEDED
    assert world.inventory.stock_level("TEA", "main").on_hand == 10 - 1
    assert leaks(world) == []


def test_a_sale_recovered_after_its_hold_lapsed_and_its_stock_sold_stands_flagged_short() -> None:
    crashed: list[CheckoutStep] = []

    def crash(_attempt: CheckoutAttempt, step: CheckoutStep) -> None:
        if step is CheckoutStep.ORDER_CREATED and not crashed:
            crashed.append(step)
            raise Crash

    world = CheckoutWorld(stock=1, on_step=crash)
    with contextlib.suppress(Crash):
        world.check_out(world.fill_cart((("TEA", 1),)), "k-1")
    world.clock.advance(timedelta(minutes=16))  # the 15-minute hold lapses
    world.inventory.expire_due()  # the host's sweep frees the unit
    rival = world.check_out(world.fill_cart((("TEA", 1),)), "k-2")  # and another sale takes it
    assert isinstance(rival, CheckoutSuccess)
    cid = world.service.attempt("k-1").checkout_id
    report = world.service.recover()
    assert cid in report.completed
    assert cid in report.short
    attempt = world.service.attempt("k-1")
    assert attempt.status is CheckoutStatus.SUCCEEDED  # the sale stands: never in_progress
    assert [(s.sku, s.requested) for s in attempt.shortages] == [("TEA", 1)]
    replayed = world.service.resume("k-1")
    assert isinstance(replayed, CheckoutSuccess)
    assert replayed.captured  # the customer paid: the order stands, flagged for the merchant
    assert world.inventory.stock_level("TEA", "main").on_hand == 1 - 1  # only the rival's unit
    assert world.service.recover().completed == ()  # nothing left to retry
    assert leaks(world) == []


def test_a_refused_void_is_retried_and_the_undo_then_releases_everything() -> None:
    world = CheckoutWorld()
    world.plan.arm("orders", "save", "exception")  # the checkout fails after authorizing
    world.plan.arm("gateway", "void", "decline")  # and its first void is refused
    failed = world.check_out(world.fill_cart(), "k-1", coupon_codes=("SAVE5",))
    assert isinstance(failed, CheckoutFailure)
    assert failed.reason is FailureReason.INTERNAL_ERROR
    world.plan.clear()  # the gateway accepts voids again
    for _ in range(3):
        world.clock.advance(timedelta(minutes=10))
        world.service.recover()
    assert world.service.attempt("k-1").status is CheckoutStatus.FAILED
    assert leaks(world) == []


def test_replaying_a_decided_failure_returns_it_while_the_undo_cannot_finish() -> None:
    world = CheckoutWorld()
    world.plan.arm("orders", "save", "exception")  # the checkout fails after authorizing
    world.plan.arm("gateway", "void", "transient", times=100)  # and the gateway stays down
    cart_id = world.fill_cart()
    first = world.check_out(cart_id, "k-1")
    assert isinstance(first, CheckoutFailure)
    assert world.service.attempt("k-1").status is CheckoutStatus.ROLLING_BACK
    world.clock.advance(timedelta(minutes=3))  # stale: the replay takes the undo over
    again = world.check_out(cart_id, "k-1")
    assert isinstance(again, CheckoutFailure)
    assert again.reason is first.reason


def test_an_authorization_whose_outcome_stays_unknown_is_asked_again_until_it_is_voided() -> None:
    """Rule: the undo gives back an authorization it cannot rule out.

    The authorization reaches the provider but its answer is lost, so the checkout fails on an
    internal error and its undo asks again under the same key to learn the outcome. When that
    question also goes unanswered (the gateway stays unavailable), the outcome is still unknown:
    the attempt stays rolling back, and a later recovery run learns the approval and voids it.
    (The undo used to take the unanswered question for "nothing held" and end the attempt
    failed, leaving the provider's authorization open.)
    """
    world = CheckoutWorld()
    world.plan.arm("gateway", "authorize", "lost_response")  # authorized; the answer is lost
    world.plan.arm("gateway", "authorize", "transient", times=3)  # the undo's question too
    failed = world.check_out(world.fill_cart(), "k-1")
    assert isinstance(failed, CheckoutFailure)
    assert failed.reason is FailureReason.INTERNAL_ERROR
    assert world.service.attempt("k-1").status is CheckoutStatus.ROLLING_BACK
    assert world.gateway.open_authorizations  # held at the provider, to be given back
    for _ in range(2):
        world.clock.advance(timedelta(minutes=10))
        world.service.recover()
    assert world.service.attempt("k-1").status is CheckoutStatus.FAILED
    assert leaks(world) == []
