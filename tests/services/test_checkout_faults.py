"""Fault injection: every port failing at every step, and crashes between steps, leak nothing.

Each case makes one port operation fail once (an exception before it runs, a lost response after
it ran, a gateway decline, or a gateway outage outlasting the retries), or kills the process
after a step (an exception the service does not catch, raised from the step hook). Afterwards,
and after a recovery run, nothing may be left half-done (:func:`leaks`), and the caller's answer
must agree with what happened: a success has a live, paid order; a failure has none.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest

from commerce_core import (
    CaptureMode,
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutStatus,
    CheckoutStep,
    CheckoutSuccess,
    FailureReason,
)
from commerce_core.testing.checkout import CheckoutWorld, InjectedFaultError, leaks

# (step, port, method, skip): the port operation that runs during that step; ``skip`` good
# calls pass first (the cart is saved once by repricing before step 7 closes it). The cart is
# read only once, by the up-front check before the attempt begins (see
# test_a_cart_read_failing_before_the_checkout_begins_raises_and_changes_nothing): validation
# reprices and step 7 closes that same cart object, and a stale one is read again. The payment
# is saved when it is opened and when it is authorized; the capture reads only its stored version
# (``PaymentVersions.version_of``: the payment the authorization saved is still the stored one).
OPERATIONS = [
    ("validate", "carts", "save", 0),
    ("reserve", "inventory", "reserve", 0),
    ("coupons", "coupons", "redeem", 0),
    ("authorize", "gateway", "authorize", 0),
    ("authorize", "idempotency", "complete", 0),
    ("authorize", "payment_repository", "save", 0),
    ("authorize", "payment_repository", "save", 1),
    ("order", "orders", "save", 0),
    ("capture", "gateway", "capture", 0),
    ("capture", "payment_repository", "version_of", 0),
    ("capture", "payment_repository", "save", 2),
    ("capture", "orders", "save", 1),
    ("complete", "inventory", "commit", 0),
    ("complete", "carts", "save", 1),
    *[("log", "checkout_log", "save", n) for n in range(4)],
]
"""With a coupon code a clean checkout saves its attempt 4 times (see
``test_checkout_log_races``): before the coupon use, before the authorization, once the order
exists, and at the end. Every one of them fails once above."""
GATEWAY_KINDS = ("exception", "lost_response", "decline", "transient")
OTHER_KINDS = ("exception", "lost_response")

CASES = [
    pytest.param(port, method, skip, kind, id=f"{step}-{port}.{method}#{skip}-{kind}")
    for step, port, method, skip in OPERATIONS
    for kind in (GATEWAY_KINDS if port == "gateway" else OTHER_KINDS)
]


def assert_consistent(world: CheckoutWorld, result: object) -> None:
    assert leaks(world) == []
    live = [
        a
        for a in world.checkout_log.all()
        if a.order_id is not None and world.order_repository.get(a.order_id).status != "cancelled"
    ]
    if isinstance(result, CheckoutSuccess):
        assert [a.order_id for a in live] == [result.order.order_id]
        assert world.order_repository.get(result.order.order_id).payment_status in (
            "paid",
            "authorized",
        )
    else:
        assert isinstance(result, CheckoutFailure)
        assert live == []
    assert all(a.is_terminal for a in world.checkout_log.all())


def recover(world: CheckoutWorld) -> None:
    world.plan.clear()
    world.clock.advance(timedelta(minutes=10))
    report = world.service.recover()
    assert report.errors == ()


@pytest.mark.parametrize(("port", "method", "skip", "kind"), CASES)
def test_a_failing_port_at_any_step_leaves_nothing_behind(
    port: str, method: str, skip: int, kind: str
) -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    world.plan.arm(port, method, kind, skip=skip, times=10 if kind == "transient" else 1)
    result = world.check_out(cart_id, "k-1", coupon_codes=("SAVE5",))
    assert world.plan.fired, "the fault was never reached"
    recover(world)
    final = world.service.resume("k-1")
    assert final.ok == result.ok
    assert_consistent(world, final)


@pytest.mark.parametrize("kind", ["decline", "transient"])
@pytest.mark.parametrize("mode", list(CaptureMode))
def test_a_capture_that_fails_cancels_the_order_and_voids_the_hold(
    kind: str, mode: CaptureMode
) -> None:
    world = CheckoutWorld(capture_mode=mode)
    world.plan.arm("gateway", "capture", kind, times=10)
    result = world.check_out(world.fill_cart(), "k-1", coupon_codes=("SAVE5",))
    if mode is CaptureMode.AUTHORIZE_ONLY:
        assert isinstance(result, CheckoutSuccess)  # nothing is captured at checkout
    else:
        assert isinstance(result, CheckoutFailure)
        expected = (
            FailureReason.PAYMENT_DECLINED
            if kind == "decline"
            else FailureReason.GATEWAY_UNAVAILABLE
        )
        assert result.reason is expected
        order = world.order_repository.get(world.checkout_log.all()[0].order_id or "")
        assert order.status == "cancelled"
    assert_consistent(world, result)


def test_the_checkout_log_refusing_to_begin_changes_nothing() -> None:
    world = CheckoutWorld()
    world.plan.arm("checkout_log", "begin", "exception")
    with pytest.raises(InjectedFaultError):
        world.check_out(world.fill_cart(), "k-1")
    assert leaks(world) == []
    assert world.gateway.calls == []


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_a_cart_read_failing_before_the_checkout_begins_raises_and_changes_nothing(
    kind: str,
) -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    world.plan.arm("carts", "get", kind)
    with pytest.raises(InjectedFaultError):
        world.check_out(cart_id, "k-1")
    assert world.checkout_log.all() == ()
    assert world.gateway.calls == []
    assert leaks(world) == []
    assert world.check_out(cart_id, "k-1").ok  # nothing was stored under the key


class Crash(BaseException):
    """Stands for the process dying: the service does not catch it."""


@pytest.mark.parametrize("mode", list(CaptureMode))
@pytest.mark.parametrize("step", list(CheckoutStep))
def test_a_crash_after_any_step_is_resumed_or_rolled_back_by_recovery(
    step: CheckoutStep, mode: CaptureMode
) -> None:
    crashed: list[CheckoutStep] = []

    def crash(_attempt: CheckoutAttempt, done: CheckoutStep) -> None:
        # the process dies once; recovery may redo a step that was not saved yet (idempotently)
        if done is step and not crashed:
            crashed.append(done)
            raise Crash

    world = CheckoutWorld(capture_mode=mode, on_step=crash)
    cart_id = world.fill_cart()
    reached = True
    try:
        world.check_out(cart_id, "k-1", coupon_codes=("SAVE5",))
        reached = False  # authorize-only skips the capture step: no crash there
    except Crash:
        pass
    attempt = world.service.attempt("k-1")
    if reached and step is not CheckoutStep.COMPLETED:
        assert not attempt.is_terminal
        # a replay while the crashed run still looks alive is refused, never run twice
        if step in (CheckoutStep.VALIDATED, CheckoutStep.RESERVED, CheckoutStep.COUPONS_REDEEMED):
            assert world.service.recover().waiting == (attempt.checkout_id,)
    recover(world)
    final = world.service.resume("k-1")
    forward = step in (CheckoutStep.ORDER_CREATED, CheckoutStep.CAPTURED, CheckoutStep.COMPLETED)
    assert final.ok == (forward or not reached)
    assert world.service.attempt("k-1").status is (
        CheckoutStatus.SUCCEEDED if final.ok else CheckoutStatus.FAILED
    )
    assert_consistent(world, final)


def test_a_replay_right_after_a_crash_past_the_unsaved_capture_finishes_the_sale() -> None:
    # the capture is not saved on its own: the replay learns it from the payment, by its id
    crashed: list[CheckoutStep] = []

    def crash(_attempt: CheckoutAttempt, done: CheckoutStep) -> None:
        if done is CheckoutStep.CAPTURED and not crashed:
            crashed.append(done)
            raise Crash

    world = CheckoutWorld(on_step=crash)
    cart_id = world.fill_cart()
    with contextlib.suppress(Crash):
        world.check_out(cart_id, "k-1", coupon_codes=("SAVE5",))
    assert CheckoutStep.CAPTURED not in world.service.attempt("k-1").steps
    again = world.check_out(cart_id, "k-1", coupon_codes=("SAVE5",))  # not stale yet
    assert isinstance(again, CheckoutSuccess)
    assert again.captured
    assert len(world.gateway.calls) == len(set(world.gateway.calls))  # nothing charged twice
    assert world.service.attempt("k-1").status is CheckoutStatus.SUCCEEDED
    assert_consistent(world, again)
