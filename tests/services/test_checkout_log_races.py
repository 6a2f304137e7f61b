"""The checkout log failing once, and recovery taking over a checkout that is still running."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commerce_core import (
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutStatus,
    CheckoutStep,
    CheckoutSuccess,
    FailureReason,
    OrderStatus,
    PaymentStatus,
    RecoveryReport,
)
from commerce_core.testing.checkout import CheckoutWorld, leaks


@pytest.mark.parametrize("skip", range(4))
@pytest.mark.parametrize("kind", ["exception", "lost_response"])
def test_one_failed_log_save_is_retried_and_the_checkout_succeeds(skip: int, kind: str) -> None:
    world = CheckoutWorld()
    world.plan.arm("checkout_log", "save", kind, skip=skip)
    result = world.check_out(world.fill_cart(), "k-1", coupon_codes=("SAVE5",))
    assert world.plan.fired
    assert isinstance(result, CheckoutSuccess)
    assert world.service.attempt("k-1").status is CheckoutStatus.SUCCEEDED
    assert leaks(world) == []


@pytest.mark.parametrize(
    ("codes", "saved_after"),
    [
        (
            ("SAVE5",),
            [
                CheckoutStep.RESERVED,  # the codes are durable before a coupon use is taken
                CheckoutStep.COUPONS_REDEEMED,  # a takeover is noticed before the authorization
                CheckoutStep.ORDER_CREATED,  # recovery resumes forward from here
                CheckoutStep.COMPLETED,
            ],
        ),
        ((), [CheckoutStep.COUPONS_REDEEMED, CheckoutStep.ORDER_CREATED, CheckoutStep.COMPLETED]),
    ],
)
def test_a_clean_checkout_saves_its_attempt_only_where_a_crash_needs_it(
    codes: tuple[str, ...], saved_after: list[CheckoutStep]
) -> None:
    world = CheckoutWorld()
    saves: list[CheckoutStep | None] = []
    save = world.checkout_log.save

    def counting_save(attempt: CheckoutAttempt) -> None:
        saves.append(attempt.last_step)
        save(attempt)

    world.checkout_log.save = counting_save  # type: ignore[method-assign]
    assert world.check_out(world.fill_cart(), "k-1", coupon_codes=codes).ok
    assert saves == saved_after
    assert world.service.attempt("k-1").steps == tuple(CheckoutStep)


def test_a_log_that_keeps_failing_still_fails_the_checkout_cleanly() -> None:
    world = CheckoutWorld()
    world.plan.arm("checkout_log", "save", "exception", times=100)
    result = world.check_out(world.fill_cart(), "k-1")
    assert isinstance(result, CheckoutFailure)
    assert result.reason is FailureReason.INTERNAL_ERROR
    world.plan.clear()
    world.clock.advance(timedelta(minutes=10))
    world.service.recover()
    assert leaks(world) == []


@pytest.mark.parametrize("step", [CheckoutStep.RESERVED, CheckoutStep.AUTHORIZED])
def test_when_recovery_takes_over_a_slow_checkout_its_caller_gets_the_outcome(
    step: CheckoutStep,
) -> None:
    reports: list[RecoveryReport] = []

    def stall(_attempt: CheckoutAttempt, done: CheckoutStep) -> None:
        if done is step and not reports:
            world.clock.advance(timedelta(minutes=5))  # the process stalls past stale_after
            reports.append(world.service.recover())

    world = CheckoutWorld(on_step=stall)
    result = world.check_out(world.fill_cart(), "k-1", coupon_codes=("SAVE5",))
    checkout_id = world.service.attempt("k-1").checkout_id
    assert reports[0].rolled_back == (checkout_id,)
    assert isinstance(result, CheckoutFailure)  # the attempt's outcome, not an error
    assert result.reason is FailureReason.INTERNAL_ERROR
    # whatever the slow run did after the recovery's undo is given back as well
    order_id = f"ord_{checkout_id.removeprefix('chk_')}"
    if len(world.order_repository):
        assert world.order_repository.get(order_id).status == OrderStatus.CANCELLED
    payments = world.payment_repository.all()
    assert all(p.status not in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED) for p in payments)
    assert world.gateway.open_authorizations == ()
    assert leaks(world) == []
