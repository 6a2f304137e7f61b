"""Contract suites for the order ports: repository + outbox, order numbers, outbox dispatch.

Subclass them in your tests and override the factory method::

    class TestSqlOrderRepository(OrderRepositoryContract):
        def make_store(self) -> tuple[OrderRepository, OrderOutbox]:
            repo = SqlOrderRepository(engine)
            return repo, repo.outbox
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from commerce_core.domain.notifications import Notification
from commerce_core.domain.orders import (
    Address,
    Customer,
    Order,
    OrderLine,
    PaymentKind,
    PaymentTerms,
)
from commerce_core.errors import ConcurrencyConflictError, NotFoundError
from commerce_core.money import TaxedMoney, money
from commerce_core.ports.orders import OrderNumbers, OrderOutbox, OrderRepository

__all__ = [
    "OrderRepositoryContract",
    "OrderNumbersContract",
    "OrderOutboxContract",
    "make_sample_order",
    "CountingNotifier",
]

_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def make_sample_order(order_id: str = "order_1", number: str = "SO-1") -> Order:
    """A placed order of two lines (3 x 10.00 + 1 x 20.00 net, 20% tax) and 5.00 shipping."""
    eur = "EUR"
    lines = [
        OrderLine(
            "l1",
            "MUG",
            "Mug",
            3,
            money("10.00", eur),
            TaxedMoney(money("30.00", eur), money("36.00", eur)),
        ),
        OrderLine(
            "l2",
            "TEE",
            "Tee",
            1,
            money("20.00", eur),
            TaxedMoney(money("20.00", eur), money("24.00", eur)),
        ),
    ]
    address = Address("Ann Lee", "1 Main St", "Paris", "75001", "FR")
    return Order.place(
        order_id=order_id,
        number=number,
        lines=lines,
        shipping=TaxedMoney(money("5.00", eur), money("6.00", eur)),
        customer=Customer("ann@example.com"),
        billing_address=address,
        shipping_address=address,
        shipping_method="standard",
        payment_terms=PaymentTerms.card(),
        reservation_id="res_1",
        now=_NOW,
    )


class CountingNotifier:
    """A notifier that counts every call per key (no deduplication) and can fail on demand."""

    def __init__(self, *, fail_every: int = 0) -> None:
        self.counts: Counter[str] = Counter()
        self._fail_every = fail_every
        self._calls = 0
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        """Count the notification, or raise ``ConnectionError`` on every ``fail_every``-th call."""
        with self._lock:
            self._calls += 1
            if self._fail_every and self._calls % self._fail_every == 0:
                msg = "simulated outage"
                raise ConnectionError(msg)
            self.counts[notification.key] += 1


class OrderRepositoryContract:
    """What every OrderRepository (with its outbox) must do. Override :meth:`make_store`."""

    def make_store(self) -> tuple[OrderRepository, OrderOutbox]:
        """Return a fresh, empty repository and the outbox it writes to."""
        raise NotImplementedError

    def test_a_saved_order_reads_back_identical_at_version_one(self) -> None:
        repo, _ = self.make_store()
        order = make_sample_order()
        assert repo.save(order) == 1
        loaded = repo.get("order_1")
        assert loaded.version == 1
        assert loaded.to_snapshot() == order.to_snapshot()
        assert repo.get_by_number("SO-1").order_id == "order_1"

    def test_unknown_order_raises_not_found(self) -> None:
        repo, _ = self.make_store()
        with pytest.raises(NotFoundError):
            repo.get("nope")
        with pytest.raises(NotFoundError):
            repo.get_by_number("SO-404")

    def test_saving_stores_the_pending_events_in_the_outbox_and_drains_them(self) -> None:
        repo, outbox = self.make_store()
        order = make_sample_order()
        order.record_payment(PaymentKind.CAPTURED, money("66.00", "EUR"), reference="p", now=_NOW)
        recorded = [e.event_type for e in order.pending_events]
        repo.save(order)
        assert order.pending_events == ()
        assert [m.event_type for m in outbox.undispatched()] == recorded
        ids = [m.message_id for m in outbox.undispatched()]
        assert len(set(ids)) == len(ids)

    def test_a_stale_version_is_refused_and_changes_nothing(self) -> None:
        repo, outbox = self.make_store()
        repo.save(make_sample_order())
        first, second = repo.get("order_1"), repo.get("order_1")
        first.record_payment(PaymentKind.CAPTURED, money("66.00", "EUR"), reference="a", now=_NOW)
        repo.save(first)
        before = len(outbox.undispatched())
        second.cancel(now=_NOW, actor="staff")
        with pytest.raises(ConcurrencyConflictError):
            repo.save(second)
        assert second.version == 1
        assert second.pending_events  # still pending: the save did not happen
        assert len(outbox.undispatched()) == before
        assert repo.get("order_1").status == "paid"

    def test_racing_saves_of_one_version_let_exactly_one_win(self) -> None:
        repo, outbox = self.make_store()
        repo.save(make_sample_order())
        copies = [repo.get("order_1") for _ in range(8)]
        for i, copy in enumerate(copies):
            copy.record_payment(
                PaymentKind.AUTHORIZED, money("66.00", "EUR"), reference=f"auth{i}", now=_NOW
            )
        wins: list[int] = []
        barrier = threading.Barrier(len(copies))

        def attempt(order: Order) -> None:
            barrier.wait()
            try:
                repo.save(order)
            except ConcurrencyConflictError:
                return
            wins.append(1)

        threads = [threading.Thread(target=attempt, args=(c,)) for c in copies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1
        assert repo.get("order_1").version == 2
        authorized = [m for m in outbox.undispatched() if m.event_type == "OrderPaymentAuthorized"]
        assert len(authorized) == 1


class OrderNumbersContract:
    """What every OrderNumbers adapter must do. Override :meth:`make_numbers`."""

    def make_numbers(self) -> OrderNumbers:
        """Return a fresh order-number source."""
        raise NotImplementedError

    def test_numbers_are_non_empty_and_unique(self) -> None:
        numbers = self.make_numbers()
        made = [numbers.next_number() for _ in range(200)]
        assert all(made)
        assert len(set(made)) == 200

    def test_numbers_stay_unique_under_concurrent_threads(self) -> None:
        numbers = self.make_numbers()
        made: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(8)

        def take() -> None:
            barrier.wait()
            mine = [numbers.next_number() for _ in range(100)]
            with lock:
                made.extend(mine)

        threads = [threading.Thread(target=take) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(made) == 800
        assert len(set(made)) == 800


class OrderOutboxContract:
    """What every OrderOutbox must do (fed by its repository). Override :meth:`make_store`."""

    def make_store(self) -> tuple[OrderRepository, OrderOutbox]:
        """Return a fresh, empty repository and the outbox it writes to."""
        raise NotImplementedError

    def _filled(self, orders: int = 3) -> tuple[OrderRepository, OrderOutbox]:
        repo, outbox = self.make_store()
        for i in range(orders):
            order = make_sample_order(f"order_{i}", f"SO-{i}")
            order.record_payment(
                PaymentKind.CAPTURED, money("66.00", "EUR"), reference=f"p{i}", now=_NOW
            )
            repo.save(order)
        return repo, outbox

    def test_a_claimed_message_is_not_claimed_again_while_leased(self) -> None:
        _, outbox = self._filled(1)
        first = outbox.claim(now=_NOW, limit=2, lease=timedelta(minutes=1))
        assert len(first) == 2
        rest = outbox.claim(now=_NOW, limit=100, lease=timedelta(minutes=1))
        assert {m.message_id for m in first}.isdisjoint(m.message_id for m in rest)
        assert outbox.claim(now=_NOW, limit=100) == ()

    def test_a_released_or_expired_message_is_retried_and_a_dispatched_one_never(self) -> None:
        _, outbox = self._filled(1)
        a, b, *_ = outbox.claim(now=_NOW, limit=100, lease=timedelta(minutes=1))
        outbox.release(a.message_id, error="boom")
        outbox.mark_dispatched(b.message_id, now=_NOW)
        outbox.mark_dispatched(b.message_id, now=_NOW)  # idempotent
        again = outbox.claim(now=_NOW, limit=100)
        assert [m.message_id for m in again] == [a.message_id]
        assert again[0].attempts == 2
        later = outbox.claim(now=_NOW + timedelta(hours=1), limit=100)
        assert b.message_id not in {m.message_id for m in later}
        assert a.message_id in {m.message_id for m in later}

    def test_unknown_message_raises_not_found(self) -> None:
        _, outbox = self.make_store()
        with pytest.raises(NotFoundError):
            outbox.mark_dispatched("nope", now=_NOW)
        with pytest.raises(NotFoundError):
            outbox.release("nope", error="x")

    def test_concurrent_dispatchers_send_every_message_exactly_once(self) -> None:
        from commerce_core.adapters.memory.core import InMemoryClock
        from commerce_core.services.orders import OutboxDispatcher

        _, outbox = self._filled(5)
        expected = {m.message_id for m in outbox.undispatched()}
        notifier = CountingNotifier(fail_every=4)
        clock = InMemoryClock(_NOW)
        dispatchers = [
            OutboxDispatcher(outbox, notifier, clock, batch=2, lease=timedelta(minutes=5))
            for _ in range(4)
        ]

        def run(dispatcher: OutboxDispatcher) -> None:
            for _ in range(20):
                dispatcher.dispatch_pending()

        threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        while outbox.undispatched():
            dispatchers[0].dispatch_pending()
        assert set(notifier.counts) == expected
        assert set(notifier.counts.values()) == {1}
