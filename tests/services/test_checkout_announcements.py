"""OrderPlaced and PaymentFailed reach analytics at least once across crashes and sink outages."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from commerce_core import CheckoutAttempt, CheckoutStep, PaymentMethod
from commerce_core.adapters.memory import InMemoryAnalyticsSink
from commerce_core.domain.analytics.events import JourneyEvent, OrderPlaced, PaymentFailed
from commerce_core.testing.checkout import CheckoutWorld, leaks


class FlakySink:
    """An analytics store that is down while ``down`` is set."""

    def __init__(self) -> None:
        self.inner = InMemoryAnalyticsSink()
        self.down = False

    def record(self, event: JourneyEvent) -> None:
        if self.down:
            raise OSError("analytics storage down")
        self.inner.record(event)


def kinds(events: tuple[JourneyEvent, ...], kind: type[JourneyEvent]) -> int:
    return sum(isinstance(e, kind) for e in events)


class Crash(BaseException):
    """The process dies."""


def test_a_crash_right_after_the_sale_is_saved_still_reports_the_order_once() -> None:
    def crash(_attempt: CheckoutAttempt, step: CheckoutStep) -> None:
        if step is CheckoutStep.COMPLETED:
            raise Crash

    world = CheckoutWorld(on_step=crash)
    with contextlib.suppress(Crash):
        world.check_out(world.fill_cart(), "k-1")
    world.clock.advance(timedelta(minutes=5))
    world.service.recover()
    assert kinds(world.recorded.events, OrderPlaced) == 1
    assert world.service.attempt("k-1").announced


def test_an_order_placed_while_analytics_was_down_is_reported_by_recovery_exactly_once() -> None:
    sink = FlakySink()
    world = CheckoutWorld(analytics=sink)
    sink.down = True
    assert world.check_out(world.fill_cart(), "k-1").ok
    assert not world.service.attempt("k-1").announced
    assert world.service.recover().announced == ()  # still down: tried again later
    sink.down = False
    cid = world.service.attempt("k-1").checkout_id
    assert world.service.recover().announced == (cid,)
    assert world.service.recover().announced == ()
    assert kinds(sink.inner.events, OrderPlaced) == 1
    assert leaks(world) == []


def test_a_payment_failure_while_analytics_was_down_is_reported_by_recovery_exactly_once() -> None:
    sink = FlakySink()
    world = CheckoutWorld(analytics=sink)
    sink.down = True
    declined = world.check_out(world.fill_cart(), "k-1", method=PaymentMethod("tok_declined"))
    assert not declined.ok
    sink.down = False
    world.service.recover()
    world.service.recover()
    failed = [e for e in sink.inner.events if isinstance(e, PaymentFailed)]
    assert [e.reason for e in failed] == ["card_declined"]


def test_a_failure_without_a_payment_event_needs_no_announcement() -> None:
    world = CheckoutWorld()
    assert not world.check_out(world.fill_cart(()), "k-1").ok  # empty cart
    assert world.service.attempt("k-1").announced
    assert world.service.recover().announced == ()
