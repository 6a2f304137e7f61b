"""In-memory adapters of the order ports: repository + outbox, numbers, stock and payments.

The repository and its outbox share one lock, so saving an order and appending its events is
one atomic step, as a database transaction would make it. The stock and payment adapters record
every call (idempotent by key) for tests and examples.
"""

from __future__ import annotations

import itertools
import marshal
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import attrs

from commerce_core.adapters.memory.core import _copy, _is_plain, _plain
from commerce_core.domain.catalog import check_quantity
from commerce_core.domain.events import DomainEvent
from commerce_core.domain.orders import (
    DEFAULT_WORKFLOW,
    Order,
    OrderWorkflow,
    OutboxMessage,
    PaymentOutcome,
    StockLine,
)
from commerce_core.errors import ConcurrencyConflictError, InvalidOrderError, NotFoundError
from commerce_core.money import Money

__all__ = [
    "InMemoryOrderRepository",
    "InMemoryOrderOutbox",
    "InMemoryOrderNumbers",
    "InMemoryOrderStock",
    "InMemoryOrderPayments",
    "StockCall",
]


class InMemoryOrderOutbox:
    """The outbox of an :class:`InMemoryOrderRepository` (get it from ``repository.outbox``)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        # Every message ever stored, oldest first, kept as columns keyed by message id (as a
        # table's rows would be): no object per message, so nothing a checkout leaves behind
        # here for the garbage collector to count or walk; an ``OutboxMessage`` is built when a
        # message is handed out. ``_payloads`` gives the order of the messages; every message
        # is in ``_order_ids``, ``_event_types`` and ``_payloads`` (its read-only payload).
        self._order_ids: dict[str, str] = {}
        self._event_types: dict[str, str] = {}
        self._payloads: dict[str, MappingProxyType[str, Any]] = {}
        # How many times a message was claimed (absent: never) and the error its last release
        # wrote (absent: none).
        self._attempts: dict[str, int] = {}
        self._errors: dict[str, str] = {}
        # The undispatched messages' ids, in the order of ``_payloads``, each with the end of
        # its lease (None when not leased): a claim scans only these, not every message ever
        # stored; a dispatched message is one that is no longer here.
        self._pending: dict[str, datetime | None] = {}

    def _append(
        self, message_id: str, order_id: str, event_type: str, payload: MappingProxyType[str, Any]
    ) -> None:
        """Store a new message (``payload`` a read-only view no one else can change).

        Called by the repository while it holds the shared lock.
        """
        self._order_ids[message_id] = order_id
        self._event_types[message_id] = event_type
        self._payloads[message_id] = payload
        self._pending[message_id] = None

    def _message(self, message_id: str) -> OutboxMessage:
        """The stored message ``message_id`` (it exists), as it stands now."""
        return OutboxMessage._frozen(
            message_id,
            self._order_ids[message_id],
            self._event_types[message_id],
            self._payloads[message_id],  # the stored read-only view: no one can change it
            self._attempts.get(message_id, 0),
            self._errors.get(message_id, ""),
        )

    def claim(
        self, *, now: datetime, limit: int = 100, lease: timedelta = timedelta(seconds=60)
    ) -> tuple[OutboxMessage, ...]:
        """Lease up to ``limit`` undispatched, unleased messages, oldest first."""
        claimed: list[OutboxMessage] = []
        leased_until = now + lease
        with self._lock:
            pending, attempts, errors = self._pending, self._attempts, self._errors
            # only values of existing keys change while iterating (no key is added or removed)
            for message_id, lease_end in pending.items():
                if len(claimed) >= limit:
                    break
                if lease_end is not None and lease_end > now:
                    continue
                count = attempts[message_id] = attempts.get(message_id, 0) + 1
                pending[message_id] = leased_until
                claimed.append(
                    OutboxMessage._frozen(
                        message_id,
                        self._order_ids[message_id],
                        self._event_types[message_id],
                        self._payloads[message_id],
                        count,
                        errors.get(message_id, ""),
                    )
                )
        return tuple(claimed)

    def _check_known(self, message_id: str) -> None:
        if message_id not in self._payloads:
            raise NotFoundError("outbox message", message_id)

    def mark_dispatched(self, message_id: str, *, now: datetime) -> None:
        """Record delivery (idempotent)."""
        del now  # the in-memory outbox keeps no delivery times
        with self._lock:
            self._check_known(message_id)
            self._pending.pop(message_id, None)  # its lease ends with it

    def release(self, message_id: str, *, error: str) -> None:
        """End a lease after a failed delivery so the next claim retries it."""
        with self._lock:
            self._check_known(message_id)
            if message_id in self._pending:
                self._pending[message_id] = None
            self._errors[message_id] = error

    def undispatched(self) -> tuple[OutboxMessage, ...]:
        """Messages not yet dispatched, oldest first."""
        with self._lock:
            return tuple(self._message(message_id) for message_id in self._pending)

    def dispatched(self) -> tuple[OutboxMessage, ...]:
        """Messages already dispatched, oldest first (for tests)."""
        with self._lock:
            pending = self._pending
            return tuple(self._message(i) for i in self._payloads if i not in pending)

    def all(self) -> tuple[OutboxMessage, ...]:
        """Every message ever stored, oldest first (for tests)."""
        with self._lock:
            return tuple(self._message(message_id) for message_id in self._payloads)


def _payload(event: DomainEvent) -> dict[str, Any]:
    """The event's dict as a JSON round trip gives it back (TypeError for what JSON refuses).

    ``to_dict`` builds a new tree on every call, almost always plain JSON data already: it is
    then kept as it is; anything else (a tuple, a StrEnum, a Decimal) is converted as JSON would.
    """
    data = _fresh_payload(event)
    if data is not None:
        return data
    data = event.to_dict()
    return data if _is_plain(data) else _plain(data)


def _fresh_payload(
    event: DomainEvent, time_text: Callable[[datetime], str] | None = None
) -> dict[str, Any] | None:
    """``to_dict`` of an event of the usual field values: a new tree of exact JSON data.

    None for any other event (one whose class writes its own ``to_dict``, or a field value
    ``to_dict`` serialises through ``attrs.asdict``). ``time_text`` gives a time's
    ``isoformat()`` text (see ``DomainEvent._plain_dict``).
    """
    if type(event).to_dict is not DomainEvent.to_dict:
        return None
    return event._plain_dict(time_text)


def _frozen_payload(
    event: DomainEvent, time_text: Callable[[datetime], str] | None = None
) -> MappingProxyType[str, Any]:
    """The outbox message payload of ``event``, as ``OutboxMessage`` converts :func:`_payload`.

    A read-only view of a dict no one else holds. ``time_text`` gives a time's
    ``isoformat()`` text (see ``DomainEvent._plain_dict``).
    """
    data = _fresh_payload(event, time_text)
    if data is not None:  # a new tree: the view needs no copy of its own
        return MappingProxyType(data)
    return MappingProxyType(dict(_payload(event)))


def _stored(order: Order) -> bytes | dict[str, Any]:
    """What the repository keeps of ``order``: its snapshot as ``marshal`` bytes.

    ``Order.to_snapshot`` builds a tree of plain JSON data (exact dicts, lists, strings,
    numbers, booleans and None: ``tests/contracts/test_snapshot_freshness.py`` checks it), which
    ``marshal`` writes and reads back exactly, with each container new on every read (so the
    tree written may share the lines' data with the order: ``Order._stored_snapshot``). Bytes
    are one object the garbage collector never counts or walks, where the tree is some fifty
    containers an order would leave behind (most of them for as long as the shop runs), and
    writing them costs less than the collections those containers would cause. A tree
    ``marshal`` refuses (a ``str`` subclass a caller handed the order, such as a StrEnum
    member) is kept itself, as a store keeping snapshots uncopied keeps it, and copied when
    read.
    """
    try:
        # a tree no one keeps: marshal copies it (the lines' data is the order's own, shared
        # by each such tree of the order; see ``Order._stored_snapshot``)
        return marshal.dumps(Order._stored_snapshot(order))
    except ValueError:
        # a new tree of its own: kept as it is (the order's own snapshot, as the store kept:
        # never a host subclass's override of ``to_snapshot``)
        return Order.to_snapshot(order)


class InMemoryOrderRepository:
    """Thread-safe order repository with optimistic locking and a transactional outbox.

    Each order is kept as its snapshot (see :func:`_stored`) with a version: ``save`` succeeds
    only when the order's ``version`` is the stored one (0 for a new order), otherwise it raises
    :class:`~commerce_core.errors.ConcurrencyConflictError` and changes nothing; ``get``
    rebuilds the order from a new copy of its snapshot.

    Args:
        workflow: the workflow orders are rebuilt with (pass the host's extended one).
    """

    def __init__(self, workflow: OrderWorkflow = DEFAULT_WORKFLOW) -> None:
        self._workflow = workflow
        self._lock = threading.RLock()
        # the stored snapshot and the version of each order, changed together under the lock
        # (two dicts listing the same keys in the same order: no pair object per order)
        self._snapshots: dict[str, bytes | dict[str, Any]] = {}
        self._versions: dict[str, int] = {}
        self._numbers: dict[str, str] = {}
        self._outbox = InMemoryOrderOutbox(self._lock)

    @property
    def outbox(self) -> InMemoryOrderOutbox:
        """The outbox this repository writes events to."""
        return self._outbox

    def get(self, order_id: str) -> Order:
        """The stored order (``NotFoundError`` when unknown)."""
        with self._lock:
            version = self._versions.get(order_id)
            if version is None:
                raise NotFoundError("order", order_id)
            stored = self._snapshots[order_id]
        # bytes this repository wrote itself (never outside input)
        data = marshal.loads(stored) if type(stored) is bytes else _copy(stored)  # noqa: S302
        return Order.from_snapshot(data, version, self._workflow)

    def get_by_number(self, number: str) -> Order:
        """The order with ``number`` (``NotFoundError`` when unknown)."""
        with self._lock:
            order_id = self._numbers.get(number)
        if order_id is None:
            raise NotFoundError("order number", number)
        return self.get(order_id)

    def save(self, order: Order) -> int:
        """Store the order and append its pending events to the outbox, atomically."""
        events = order.pending_events
        # the events of one command share its ``now``: the order formats it once for them all
        # (and for the snapshot's history and payment entries)
        time_text = order._time_text
        payloads = [_frozen_payload(e, time_text) for e in events]
        order_id = order.order_id
        expected = order.version
        with self._lock:
            owner = self._numbers.get(order.number)
            if owner is not None and owner != order_id:
                raise InvalidOrderError(order_id, f"number {order.number!r} is taken")
            stored = _stored(order)
            current = self._versions.get(order_id, 0)
            if current != expected:
                raise ConcurrencyConflictError("order", order_id, expected, current)
            version = self._versions[order_id] = current + 1
            self._snapshots[order_id] = stored
            self._numbers[order.number] = order_id
            append = self._outbox._append
            for index, (event, payload) in enumerate(zip(events, payloads, strict=True)):
                append(f"{order_id}:{version}:{index}", order_id, event.event_type, payload)
        order.version = version
        order.collect_events()
        return version

    def __len__(self) -> int:
        with self._lock:
            return len(self._versions)


class InMemoryOrderNumbers:
    """Sequential, patterned order numbers: ``pattern.format(n=...)`` (thread-safe).

    Args:
        pattern: a ``str.format`` pattern using ``n`` (default ``"SO-{n:06d}"``).
        start: the first ``n``.
    """

    def __init__(self, pattern: str = "SO-{n:06d}", start: int = 1) -> None:
        if "{n" not in pattern:
            msg = "the pattern must use {n}"
            raise ValueError(msg)
        self._pattern = pattern
        self._counter = itertools.count(start)
        self._lock = threading.Lock()

    def next_number(self) -> str:
        """The next number."""
        with self._lock:
            n = next(self._counter)
        return self._pattern.format(n=n)


@attrs.frozen
class StockCall:
    """One call received by :class:`InMemoryOrderStock`."""

    operation: str
    key: str
    sku: str
    quantity: int
    location: str = ""
    reservation_id: str = ""
    reason: str = ""


class InMemoryOrderStock:
    """Records stock side effects, once per key (what the inventory service would do)."""

    def __init__(self) -> None:
        self._calls: list[StockCall] = []
        self._keys: set[str] = set()
        self._lock = threading.Lock()

    def _once(self, key: str, calls: list[StockCall]) -> None:
        with self._lock:
            if key in self._keys:
                return
            self._keys.add(key)
            self._calls.extend(calls)

    def commit(
        self,
        reservation_id: str,
        *,
        lines: Sequence[StockLine],
        location: str,
        idempotency_key: str,
    ) -> None:
        """Record committed units."""
        calls = [
            StockCall("commit", idempotency_key, li.sku, li.quantity, location, reservation_id)
            for li in lines
        ]
        self._once(f"commit:{idempotency_key}", calls)

    def release(
        self, reservation_id: str, *, lines: Sequence[StockLine] = (), idempotency_key: str
    ) -> None:
        """Record released units (one call with sku ``"*"`` for everything still held)."""
        calls = [
            StockCall("release", idempotency_key, li.sku, li.quantity, "", reservation_id)
            for li in lines
        ] or [StockCall("release", idempotency_key, "*", 0, "", reservation_id)]
        self._once(f"release:{idempotency_key}", calls)

    def restock(self, sku: str, *, location: str, quantity: int, reference: str) -> None:
        """Record a restock.

        Raises:
            InvalidQuantityError: a quantity that is not a positive integer.
        """
        check_quantity(quantity)
        self._once(
            f"restock:{reference}", [StockCall("restock", reference, sku, quantity, location)]
        )

    def write_off(
        self, sku: str, *, location: str, quantity: int, reference: str, reason: str
    ) -> None:
        """Record a write-off.

        Raises:
            InvalidQuantityError: a quantity that is not a positive integer.
        """
        check_quantity(quantity)
        call = StockCall("write_off", reference, sku, quantity, location, reason=reason)
        self._once(f"write_off:{reference}", [call])

    @property
    def calls(self) -> tuple[StockCall, ...]:
        """Every effective call, in order."""
        with self._lock:
            return tuple(self._calls)

    def of(self, operation: str) -> tuple[StockCall, ...]:
        """The effective calls of one operation."""
        return tuple(c for c in self.calls if c.operation == operation)


class InMemoryOrderPayments:
    """Voids and refunds that succeed (or decline on demand), idempotent by key."""

    def __init__(self) -> None:
        self._outcomes: dict[str, PaymentOutcome] = {}
        self._log: list[tuple[str, str, PaymentOutcome]] = []
        self._declines: list[str] = []
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def decline_next(self, reason: str = "declined", times: int = 1) -> None:
        """Make the next ``times`` new requests decline with ``reason``."""
        with self._lock:
            self._declines.extend([reason] * times)

    def _handle(self, operation: str, order_id: str, amount: Money, key: str) -> PaymentOutcome:
        with self._lock:
            known = self._outcomes.get(key)
            if known is not None:
                return known
            if self._declines:
                outcome = PaymentOutcome(False, amount, "", self._declines.pop(0))
            else:
                outcome = PaymentOutcome(True, amount, f"{operation}_{next(self._counter):06d}")
            self._outcomes[key] = outcome
            self._log.append((operation, order_id, outcome))
            return outcome

    def void(self, order_id: str, amount: Money, *, idempotency_key: str) -> PaymentOutcome:
        """Void ``amount`` of the order's authorization."""
        return self._handle("void", order_id, amount, idempotency_key)

    def refund(
        self, order_id: str, amount: Money, *, idempotency_key: str, reason: str = ""
    ) -> PaymentOutcome:
        """Refund ``amount`` of the order's captured money."""
        del reason
        return self._handle("refund", order_id, amount, idempotency_key)

    @property
    def log(self) -> tuple[tuple[str, str, PaymentOutcome], ...]:
        """``(operation, order_id, outcome)`` for every distinct request."""
        with self._lock:
            return tuple(self._log)

    def total(self, operation: str) -> Money | None:
        """The sum of successful amounts of one operation (None when there are none)."""
        amounts = [o.amount for op, _, o in self.log if op == operation and o.succeeded]
        if not amounts:
            return None
        total = amounts[0]
        for amount in amounts[1:]:
            total += amount
        return total
