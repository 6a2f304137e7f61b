"""A stateful run over the order service against a plain model of quantities and money."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from commerce_core import (
    ORDER_TABLE,
    CommerceError,
    Order,
    OrderService,
    OutboxDispatcher,
    PaymentKind,
    ReturnLine,
    from_minor,
    money,
)
from commerce_core.adapters.memory import (
    InMemoryClock,
    InMemoryOrderNumbers,
    InMemoryOrderPayments,
    InMemoryOrderRepository,
    InMemoryOrderStock,
    SequentialIdFactory,
)
from commerce_core.testing.contracts import CountingNotifier, make_sample_order

LINES = {"l1": 3, "l2": 1}


def _exactly_plain(value: Any) -> bool:
    if type(value) is dict:
        return all(type(k) is str and _exactly_plain(v) for k, v in value.items())
    if type(value) is list:
        return all(_exactly_plain(v) for v in value)
    return type(value) in (str, int, float, bool, type(None))


class OrderLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.repo = InMemoryOrderRepository()
        self.clock = InMemoryClock()
        self.notifier = CountingNotifier(fail_every=3)
        self.dispatcher = OutboxDispatcher(self.repo.outbox, self.notifier, self.clock)
        self.service = OrderService(
            repository=self.repo,
            numbers=InMemoryOrderNumbers(),
            stock=InMemoryOrderStock(),
            payments=InMemoryOrderPayments(),
            clock=self.clock,
            ids=SequentialIdFactory(),
            dispatcher=self.dispatcher,
        )
        self.repo.save(make_sample_order("o", "SO-1"))
        # the plain model: units shipped per line, money captured
        self.shipped = dict.fromkeys(LINES, 0)
        self.captured = money("0", "EUR")

    @property
    def order(self) -> Order:
        return self.repo.get("o")

    def attempt(self, action: object) -> bool:
        """Run an action; a typed refusal must leave the stored order as it was."""
        before = self.order.to_snapshot()
        try:
            assert callable(action)
            action()
        except CommerceError:
            assert self.order.to_snapshot() == before
            return False
        return True

    @rule(
        cents=st.one_of(st.just(6600), st.integers(min_value=1, max_value=6600)),
        authorize=st.booleans(),
    )
    def pay(self, cents: int, authorize: bool) -> None:  # noqa: FBT001 - drawn by Hypothesis
        amount = from_minor(cents, "EUR")
        kind = PaymentKind.AUTHORIZED if authorize else PaymentKind.CAPTURED
        self.clock.advance(minutes=1)
        reference = f"p{self.clock.now()}"
        if (
            self.attempt(
                lambda: self.service.record_payment("o", kind, amount, reference=reference)
            )
            and not authorize
        ):
            self.captured += amount

    @rule(line=st.sampled_from(sorted(LINES)), quantity=st.integers(min_value=1, max_value=3))
    def ship(self, line: str, quantity: int) -> None:
        if self.attempt(
            lambda: self.service.ship("o", {line: quantity}, location="wh", actor="staff")
        ):
            self.shipped[line] += quantity

    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        shipments = self.order.shipments
        if shipments:
            shipment = data.draw(st.sampled_from(shipments))
            self.service.mark_delivered("o", shipment.shipment_id, actor="carrier")

    @rule(dice=st.integers(min_value=0, max_value=5))
    def cancel(self, dice: int) -> None:
        if dice == 0:  # rarely: a cancelled order ends the interesting part of the run
            self.attempt(lambda: self.service.cancel("o", actor="staff"))

    @rule(
        line=st.sampled_from(sorted(LINES)),
        quantity=st.integers(min_value=1, max_value=3),
        dice=st.integers(min_value=0, max_value=2),
    )
    def cancel_lines(self, line: str, quantity: int, dice: int) -> None:
        if dice == 0:
            self.attempt(lambda: self.service.cancel_lines("o", {line: quantity}, actor="staff"))

    @rule(cents=st.integers(min_value=1, max_value=7000), shipping=st.booleans())
    def refund(self, cents: int, shipping: bool) -> None:  # noqa: FBT001 - drawn by Hypothesis
        amount = from_minor(cents, "EUR")
        if shipping:
            self.attempt(lambda: self.service.refund("o", shipping=amount))
        else:
            self.attempt(lambda: self.service.refund("o", amount=amount))

    @rule(line=st.sampled_from(sorted(LINES)), quantity=st.integers(min_value=1, max_value=3))
    def request_return(self, line: str, quantity: int) -> None:
        self.attempt(
            lambda: self.service.request_return("o", [ReturnLine(line, quantity)], actor="c")
        )

    @precondition(lambda self: bool(self.order.returns))
    @rule(data=st.data(), restock=st.booleans())
    def progress_return(self, data: st.DataObject, restock: bool) -> None:  # noqa: FBT001
        ret = data.draw(st.sampled_from(self.order.returns))
        step = {
            "requested": lambda: self.service.approve_return("o", ret.return_id, actor="staff"),
            "approved": lambda: self.service.receive_return(
                "o", ret.return_id, restock_location="wh" if restock else None, actor="staff"
            ),
            "received": lambda: self.service.refund_return("o", ret.return_id),
        }.get(ret.status)
        if step is not None:
            self.attempt(step)

    @rule()
    def complete(self) -> None:
        self.attempt(lambda: self.service.complete("o", actor="staff"))

    @rule()
    def dispatch_later(self) -> None:
        self.clock.advance(timedelta(minutes=5))
        self.dispatcher.dispatch_pending()

    @invariant()
    def refunded_never_exceeds_paid(self) -> None:
        order = self.order
        assert order.captured == self.captured
        assert order.refunded <= order.captured

    @invariant()
    def quantities_stay_within_bounds(self) -> None:
        order = self.order
        for line_id, ordered in LINES.items():
            shipped = order.shipped_quantity(line_id)
            assert shipped == self.shipped[line_id]
            assert shipped + order.cancelled_quantity(line_id) <= ordered
            assert order.returned_quantity(line_id) <= shipped

    @invariant()
    def history_only_holds_allowed_transitions(self) -> None:
        assert all(ORDER_TABLE.can(h.from_status, h.to_status) for h in self.order.history)

    @invariant()
    def the_stored_snapshot_is_exact_json_data(self) -> None:
        # the order store trusts it (plain_snapshots): nothing JSON would change may be in it
        snapshot = self.order.to_snapshot()
        assert _exactly_plain(snapshot)
        assert json.loads(json.dumps(snapshot)) == snapshot

    @invariant()
    def no_event_is_sent_twice(self) -> None:
        assert all(count == 1 for count in self.notifier.counts.values())

    def teardown(self) -> None:
        for _ in range(50):
            if not self.repo.outbox.undispatched():
                break
            self.dispatcher.dispatch_pending()
        every = {m.message_id for m in self.repo.outbox.all()}
        assert set(self.notifier.counts) == every
        assert set(self.notifier.counts.values()) <= {1}


OrderLifecycle.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestOrderLifecycle = OrderLifecycle.TestCase
