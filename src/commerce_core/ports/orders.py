"""Order ports: the repository with its outbox, order numbers, and the stock and payment seams.

The order service changes stock and money only through :class:`OrderStock` and
:class:`OrderPayments`, two narrow protocols the inventory and payment services satisfy (or a
host adapts to them). Every call carries an idempotency key, so a use case retried after a
version conflict never moves stock or money twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from commerce_core.domain.orders import Order, OutboxMessage, PaymentOutcome, StockLine
from commerce_core.money import Money

__all__ = ["OrderRepository", "OrderOutbox", "OrderNumbers", "OrderStock", "OrderPayments"]


@runtime_checkable
class OrderRepository(Protocol):
    """Stores orders with optimistic concurrency, and their new events in the same transaction.

    ``save`` is ONE atomic operation: it checks that the stored version is ``order.version``
    (0 for a new order), stores the order's snapshot and appends every pending event of the
    order to the outbox (:class:`OrderOutbox`) as :class:`OutboxMessage` s, or does none of it.
    On success it sets ``order.version`` to the new version and drains the order's pending
    events; on failure the order object, the store and the outbox are unchanged.
    """

    def get(self, order_id: str) -> Order:
        """The stored order, at its stored version, with no pending events.

        Raises:
            NotFoundError: no order ``order_id`` (kind ``"order"``).
        """
        ...

    def get_by_number(self, number: str) -> Order:
        """The order with the human-friendly ``number``.

        Raises:
            NotFoundError: no such number (kind ``"order number"``).
        """
        ...

    def save(self, order: Order) -> int:
        """Store ``order`` and its pending events atomically; return the new version.

        Raises:
            ConcurrencyConflictError: the stored version is not ``order.version``.
        """
        ...


@runtime_checkable
class OrderOutbox(Protocol):
    """The events saved with orders, waiting to be dispatched.

    Claims are leases: a claimed message is not handed to another claimer until it is marked
    dispatched, released, or its lease expires (a dispatcher that crashed). So concurrent
    dispatchers never send the same message at the same time, and nothing is lost.
    """

    def claim(
        self, *, now: datetime, limit: int = 100, lease: timedelta = timedelta(seconds=60)
    ) -> tuple[OutboxMessage, ...]:
        """Atomically lease up to ``limit`` undispatched, unleased messages, oldest first.

        Each claimed message's ``attempts`` is incremented. Nothing to claim is an empty tuple,
        not an error.

        Raises:
            Nothing of its own: a storage failure propagates as the backend's error, with no
            message leased (the claim is all or nothing).
        """
        ...

    def mark_dispatched(self, message_id: str, *, now: datetime) -> None:
        """Record that the message was delivered; it is never claimed again. Idempotent.

        Raises:
            NotFoundError: unknown message (kind ``"outbox message"``).
        """
        ...

    def release(self, message_id: str, *, error: str) -> None:
        """End a lease after a failed delivery, so the next ``claim`` retries it.

        Raises:
            NotFoundError: unknown message (kind ``"outbox message"``).
        """
        ...

    def undispatched(self) -> tuple[OutboxMessage, ...]:
        """Every message not yet marked dispatched (leased or not), oldest first."""
        ...


@runtime_checkable
class OrderNumbers(Protocol):
    """Makes human-friendly order numbers (``"SO-000123"``).

    Every number returned is unique for the shop, across threads and processes, and never
    reused, even when the order that took it fails to save (gaps are allowed). Numbers may be
    sequential or follow a host pattern.
    """

    def next_number(self) -> str:
        """A fresh, never reused order number (a gap, never a duplicate, on failure).

        Raises:
            Nothing of its own: a storage failure propagates as the backend's error, and no
            number is handed out by that call.
        """
        ...


@runtime_checkable
class OrderStock(Protocol):
    """The stock side effects of orders (the inventory service satisfies it).

    Every method is idempotent by its key (``idempotency_key`` or ``reference``): a repeated call
    with the same key does nothing more and does not raise.
    """

    def commit(
        self,
        reservation_id: str,
        *,
        lines: Sequence[StockLine],
        location: str,
        idempotency_key: str,
    ) -> None:
        """Turn reserved units into shipped ones: on-hand at ``location`` goes down.

        A no-op for units already sold when checkout committed the reservation.

        Raises:
            NotFoundError: unknown reservation (kind ``"reservation"``).
            InvalidQuantityError: more than the reservation holds for a SKU.
        """
        ...

    def release(
        self, reservation_id: str, *, lines: Sequence[StockLine] = (), idempotency_key: str
    ) -> None:
        """Give reserved units back to sale: ``lines``, or everything still held when empty.

        Releasing an already released or expired reservation is a no-op. When checkout commits
        the reservation at placement (the library's model, see
        :class:`~commerce_core.services.order_effects.InventoryOrderStock`), the cancelled units
        of the committed reservation are put back on hand where they were allocated.

        Raises:
            NotFoundError: unknown reservation (kind ``"reservation"``).
        """
        ...

    def restock(self, sku: str, *, location: str, quantity: int, reference: str) -> None:
        """Put returned units back on hand at ``location`` (a ledger entry per ``reference``).

        Raises:
            NotFoundError: unknown SKU or location.
            InvalidQuantityError: a quantity that is not a positive integer.
        """
        ...

    def write_off(
        self, sku: str, *, location: str, quantity: int, reference: str, reason: str
    ) -> None:
        """Record returned units that will not be sold again (damaged), without stock change.

        Raises:
            NotFoundError: unknown SKU.
            InvalidQuantityError: a quantity that is not a positive integer.
        """
        ...


@runtime_checkable
class OrderPayments(Protocol):
    """The money side effects of orders (the payment service satisfies it).

    Declines are values (:class:`PaymentOutcome` with ``succeeded=False``), never exceptions.
    Both methods are idempotent by ``idempotency_key``: a repeated call returns the first
    outcome without moving money again. A repeat made while the first call with the key is
    still running waits for that call and returns its outcome; an adapter may bound the wait,
    and a repeat that outwaits the bound returns ``PaymentOutcome(succeeded=False,
    in_progress=True)`` (undecided, not a decline: repeat it with the same key later).
    """

    def void(self, order_id: str, amount: Money, *, idempotency_key: str) -> PaymentOutcome:
        """Release ``amount`` of the order's open authorization (the whole hold when equal).

        A provider refusal is ``PaymentOutcome(succeeded=False, ...)``, never an exception;
        repeating the call with the same key returns the first outcome.

        Raises:
            Nothing of its own: declines are values; an unreachable provider propagates as the
            adapter's error with no money moved, and the call may be repeated with the same
            key. A key names one request: derive it from the amount too (as
            :attr:`~commerce_core.domain.orders.Refund.idempotency_key` does).
        """
        ...

    def refund(
        self, order_id: str, amount: Money, *, idempotency_key: str, reason: str = ""
    ) -> PaymentOutcome:
        """Give ``amount`` of the order's captured money back to the customer.

        A provider refusal is ``PaymentOutcome(succeeded=False, ...)``, never an exception;
        repeating the call with the same key returns the first outcome.

        Raises:
            Nothing of its own: declines are values; an unreachable provider propagates as the
            adapter's error with no money moved, and the call may be repeated with the same
            key. A key names one request: derive it from the amount too (as
            :attr:`~commerce_core.domain.orders.Refund.idempotency_key` does).
        """
        ...
