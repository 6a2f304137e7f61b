"""The order fast paths of the sixth checkout round give what the general paths give.

* The in-memory notifier keeps what it delivered as columns (no object per notification) and
  builds the notifications when :attr:`InMemoryNotifier.sent` is read: sends, duplicate keys,
  scheduled failures, clears and reads give what the list of the notifications themselves gave,
  subclasses and notifications built by ``Notification._frozen`` included.
* The in-memory outbox keeps its messages as columns (no object per message, claimed or not):
  ``test_the_outbox_claims_marks_and_releases_as_one_row_per_message_did`` in
  ``test_orders_round5_fast_paths.py`` runs it against one mutable row per message; the test
  below checks that a claim hands out the stored read-only payload itself.
"""

from __future__ import annotations

import contextlib
import marshal
import threading
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_core.adapters.memory import InMemoryNotifier, InMemoryOrderRepository
from commerce_core.adapters.memory.core import VersionedSnapshotStore
from commerce_core.adapters.memory.orders import InMemoryOrderOutbox, _frozen_payload
from commerce_core.domain.notifications import Notification
from commerce_core.domain.orders import Order, OrderStatus, PaymentKind
from commerce_core.errors import (
    CommerceError,
    ConcurrencyConflictError,
    InvalidOrderError,
    NotFoundError,
)
from commerce_core.money import money
from commerce_core.testing.contracts import make_sample_order

_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class _ReferenceNotifier:
    """The in-memory notifier as it was before: the list of the notifications delivered."""

    def __init__(self) -> None:
        self._sent: list[Notification] = []
        self._keys: set[str] = set()
        self._failures_left = 0
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        with self._lock:
            if self._failures_left:
                self._failures_left -= 1
                msg = "notifier unavailable (simulated)"
                raise ConnectionError(msg)
            key = notification.key
            if key:
                if key in self._keys:
                    return
                self._keys.add(key)
            self._sent.append(notification)

    def fail_next(self, times: int = 1) -> None:
        with self._lock:
            self._failures_left = times

    @property
    def sent(self) -> tuple[Notification, ...]:
        with self._lock:
            return tuple(self._sent)

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()
            self._keys.clear()


@attrs.frozen
class _Webhook(Notification):
    """A host's own kind of notification (kept as it is, not rebuilt)."""

    url: str = "https://example.com/hook"


_data = st.dictionaries(
    st.text(max_size=3), st.one_of(st.integers(), st.text(max_size=3)), max_size=3
)
_notifications = st.builds(
    lambda kind, event_type, template, data, key: (
        Notification(event_type, template, data, key)
        if kind == "built"
        else Notification._frozen(event_type, template, MappingProxyType(dict(data)), key)
        if kind == "frozen"
        else _Webhook(event_type, template, data, key)
    ),
    st.sampled_from(["built", "frozen", "webhook"]),
    st.sampled_from(["OrderPlaced", "OrderPaid"]),
    st.sampled_from(["order.order_placed", "order.order_paid"]),
    _data,
    st.sampled_from(["", "k1", "k2", "k3"]),
)
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("send"), _notifications),
        st.tuples(st.just("fail"), st.integers(0, 2)),
        st.tuples(st.just("clear")),
    ),
    max_size=25,
)


def _outcome(notifier: Any, notification: Notification) -> str:
    try:
        notifier.send(notification)
    except ConnectionError as error:
        return repr(error)
    return "sent"


@settings(max_examples=300, deadline=None)
@given(_operations)
def test_the_notifier_delivers_and_reads_back_what_the_list_of_notifications_did(
    operations: list[Any],
) -> None:
    notifier, reference = InMemoryNotifier(), _ReferenceNotifier()
    for operation in operations:
        if operation[0] == "send":
            assert _outcome(notifier, operation[1]) == _outcome(reference, operation[1])
        elif operation[0] == "fail":
            notifier.fail_next(operation[1])
            reference.fail_next(operation[1])
        else:
            notifier.clear()
            reference.clear()
        sent, expected = notifier.sent, reference.sent
        assert sent == expected
        assert [type(n) for n in sent] == [type(n) for n in expected]
        assert [type(n.data) for n in sent] == [type(n.data) for n in expected]
        # a host's own kind of notification is the very object it sent
        assert all(a is b for a, b in zip(sent, expected, strict=True) if type(b) is _Webhook)


def test_a_claim_hands_out_the_stored_read_only_payload_itself() -> None:
    outbox = InMemoryOrderRepository().outbox
    payload = MappingProxyType({"order_id": "order_1", "event_type": "OrderPlaced"})
    outbox._append("order_1:1:0", "order_1", "OrderPlaced", payload)
    (claimed,) = outbox.claim(now=_NOW)
    assert claimed.payload is payload
    assert claimed.attempts == 1
    assert outbox.all() == (claimed,)
    assert outbox.all()[0].payload is payload
    outbox.release(claimed.message_id, error="down")
    (again,) = outbox.claim(now=_NOW)
    assert (again.attempts, again.last_error, again.payload) == (2, "down", payload)


# --- the order repository keeps each snapshot as marshal bytes -----------------------------------


class _ReferenceRepository:
    """The in-memory order repository as it was before: the snapshot trees themselves."""

    def __init__(self) -> None:
        self._store: VersionedSnapshotStore[Order] = VersionedSnapshotStore(
            "order",
            Order.to_snapshot,
            Order.from_snapshot,
            fresh_snapshots=True,
            plain_snapshots=True,
        )
        self._numbers: dict[str, str] = {}
        self.outbox = InMemoryOrderOutbox(self._store.lock)

    def get(self, order_id: str) -> Order:
        return self._store.get(order_id)

    def get_by_number(self, number: str) -> Order:
        order_id = self._numbers.get(number)
        if order_id is None:
            raise NotFoundError("order number", number)
        return self._store.get(order_id)

    def save(self, order: Order) -> int:
        events = order.pending_events
        payloads = [_frozen_payload(e, order._time_text) for e in events]
        owner = self._numbers.get(order.number)
        if owner is not None and owner != order.order_id:
            raise InvalidOrderError(order.order_id, f"number {order.number!r} is taken")
        version = self._store.save(order.order_id, order, order.version)
        self._numbers[order.number] = order.order_id
        for index, (event, payload) in enumerate(zip(events, payloads, strict=True)):
            message_id = f"{order.order_id}:{version}:{index}"
            self.outbox._append(message_id, order.order_id, event.event_type, payload)
        order.version = version
        order.collect_events()
        return version

    def __len__(self) -> int:
        return len(self._store)


class _Note(StrEnum):
    """A caller's own text type: a ``str`` subclass ``marshal`` refuses, kept as given."""

    RUSH = "rush"


def _typed(value: Any) -> Any:
    """``value`` with every leaf paired with its exact type (a StrEnum is not its text)."""
    if type(value) is dict:
        return {key: _typed(item) for key, item in value.items()}
    if type(value) is list:
        return [_typed(item) for item in value]
    return (type(value), value)


def _apply(step: str, order: Order) -> None:
    total = order.totals.total.gross
    if step == "authorize":
        order.record_payment(PaymentKind.AUTHORIZED, total, reference="p1", now=_NOW)
    elif step == "capture":
        order.record_payment(PaymentKind.CAPTURED, total, reference="p1", now=_NOW)
    elif step == "ship":
        order.ship(shipment_id="s1", lines={"l1": 1}, location="main", now=_NOW, actor="wh")
    elif step == "deliver":
        order.mark_delivered("s1", now=_NOW, actor="carrier")
    elif step == "cancel":
        order.cancel(now=_NOW, actor="cs", reason="asked")
    elif step == "refund":
        order.refund(refund_id="f1", amount=money("1.00", "EUR"), now=_NOW, reason="goodwill")
    else:  # a note of the caller's own text type
        order.transition(OrderStatus.CANCELLED, now=_NOW, actor="cs", note=_Note.RUSH)


def _attempt(repository: Any, step: str, *, stale: Order | None) -> Any:
    try:
        order = repository.get("order_1") if stale is None else stale
        _apply(step, order)
        return ("saved", repository.save(order))
    except CommerceError as error:
        return (type(error).__name__, str(error))


_steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["authorize", "capture", "ship", "deliver", "cancel", "refund", "rush note"]
        ),
        st.booleans(),
    ),
    max_size=10,
)


@settings(max_examples=150, deadline=None)
@given(_steps)
def test_the_order_repository_stores_and_rebuilds_what_the_snapshot_store_did(
    steps: list[tuple[str, bool]],
) -> None:
    repository, reference = InMemoryOrderRepository(), _ReferenceRepository()
    for repo in (repository, reference):
        repo.save(make_sample_order())
    for step, stale in steps:
        # ``stale``: a copy read before the other repository's save (a version race)
        old = (repository.get("order_1"), reference.get("order_1")) if stale else (None, None)
        if stale:
            repository.save(repository.get("order_1"))  # no events: only the version moves
            reference.save(reference.get("order_1"))
        assert _attempt(repository, step, stale=old[0]) == _attempt(reference, step, stale=old[1])
        got, expected = repository.get("order_1"), reference.get("order_1")
        assert got.version == expected.version
        assert _typed(got.to_snapshot()) == _typed(expected.to_snapshot())
        assert repository.get_by_number("SO-1").to_snapshot() == expected.to_snapshot()
        assert repository.outbox.all() == reference.outbox.all()
        assert len(repository) == len(reference) == 1
        # every read is a new tree: changing one rebuilt order never reaches the stored one
        assert repository.get("order_1").to_snapshot() == got.to_snapshot()


def test_a_rebuilt_order_keeps_a_callers_own_text_type_as_the_store_did() -> None:
    repository = InMemoryOrderRepository()
    order = make_sample_order()
    order.transition(OrderStatus.CANCELLED, now=_NOW, actor="cs", note=_Note.RUSH)
    repository.save(order)
    (entry,) = repository.get(order.order_id).history
    assert type(entry.note) is _Note


def test_unknown_orders_and_stale_saves_raise_what_the_snapshot_store_raised() -> None:
    repository, reference = InMemoryOrderRepository(), _ReferenceRepository()
    for kind in (NotFoundError,):
        with pytest.raises(kind) as got:
            repository.get("order_9")
        with pytest.raises(kind) as expected:
            reference.get("order_9")
        assert str(got.value) == str(expected.value)
    errors = []
    for repo in (repository, reference):
        repo.save(make_sample_order())
        stale = repo.get("order_1")
        repo.save(repo.get("order_1"))
        with pytest.raises(ConcurrencyConflictError) as conflict:
            repo.save(stale)
        errors.append(str(conflict.value))
    assert errors[0] == errors[1]


@settings(max_examples=100, deadline=None)
@given(_steps)
def test_the_stored_snapshot_is_the_snapshot_in_every_state(steps: list[tuple[str, bool]]) -> None:
    order = make_sample_order()
    assert _typed(order._stored_snapshot()) == _typed(order.to_snapshot())
    for step, _ in steps:
        with contextlib.suppress(CommerceError):
            _apply(step, order)
        stored = order._stored_snapshot()
        assert _typed(stored) == _typed(order.to_snapshot())
        try:
            written = marshal.dumps(stored)
        except ValueError:  # a caller's own text type: the repository keeps a tree instead
            continue
        assert _typed(marshal.loads(written)) == _typed(stored)  # noqa: S302 - our own bytes


def test_an_order_built_from_a_list_of_lines_is_stored_with_the_lines_it_has_at_each_save() -> None:
    """``lines`` has no converter: a host may build an order from a list it changes later.

    The lines' data is built once per order object only for a tuple of lines (which cannot
    change); an order holding another sequence is stored with what it holds at each save.
    """
    placed = make_sample_order()
    extra = attrs.evolve(placed.lines[0], line_id="l9")
    lines = [placed.lines[0]]
    order = attrs.evolve(placed, lines=lines, version=0)  # type: ignore[arg-type]  # a list
    repository = InMemoryOrderRepository()
    repository.save(order)
    assert [line.line_id for line in repository.get(order.order_id).lines] == ["l1"]
    lines.append(extra)
    assert order._stored_snapshot() == order.to_snapshot()
    repository.save(order)
    stored = repository.get(order.order_id)
    assert [line.line_id for line in stored.lines] == ["l1", "l9"]
    assert stored.to_snapshot()["lines"] == order.to_snapshot()["lines"]


class _ShownOrder(Order):
    """A host's order whose own ``to_snapshot`` shows more than the order's snapshot."""

    def to_snapshot(self) -> dict[str, Any]:
        return {**super().to_snapshot(), "shipping_method": "shown by the host"}


@pytest.mark.parametrize("note", ["plain text", _Note.RUSH])
def test_the_repository_stores_the_orders_own_snapshot_not_a_subclass_override(
    note: str,
) -> None:
    """Stored is ``Order.to_snapshot(order)`` (what the snapshot store kept), on both paths.

    A plain note takes the marshal path; a note of the caller's own text type makes ``marshal``
    refuse the tree, and the repository keeps the tree itself.
    """
    repository, reference = InMemoryOrderRepository(), _ReferenceRepository()
    for repo in (repository, reference):
        order = _ShownOrder.from_snapshot(make_sample_order().to_snapshot(), 0)
        order.transition(OrderStatus.CANCELLED, now=_NOW, actor="cs", note=note)
        repo.save(order)
    stored = repository.get("order_1").to_snapshot()
    assert stored["shipping_method"] == "standard"
    assert type(stored["history"][-1]["note"]) is type(note)
    assert _typed(stored) == _typed(reference.get("order_1").to_snapshot())
