"""In-memory inventory store: the pure book behind one lock, with an event outbox."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from commerce_core.domain.events import DomainEvent
from commerce_core.domain.inventory import (
    AllocationStrategy,
    Availability,
    BackorderPolicy,
    IncomingStock,
    InventoryBook,
    Location,
    Reservation,
    ReserveOutcome,
    StockLevel,
    StockMovement,
)
from commerce_core.domain.shoppers import OwnerKind

__all__ = ["InMemoryInventoryStore"]


T = TypeVar("T")


class InMemoryInventoryStore:
    """A thread-safe :class:`~commerce_core.ports.inventory.InventoryStore` held in memory.

    Atomicity: every operation runs the :class:`InventoryBook` rule under one lock per store,
    so the availability check and the write happen in the same critical section; the book
    checks everything before it changes anything, so a refused operation leaves it unchanged.
    The events an operation records go to the outbox inside the same critical section.
    """

    def __init__(self, book: InventoryBook | None = None) -> None:
        self._book = book if book is not None else InventoryBook()
        self._outbox: list[DomainEvent] = []
        self._lock = threading.Lock()

    def _flush(self) -> None:
        self._outbox.extend(self._book.collect_events())

    def _write(self, change: Callable[[], T]) -> T:
        """Run one change of the book under the lock; its events go to the outbox, even on error."""
        with self._lock:
            try:
                return change()
            finally:
                self._flush()

    # configuration ---------------------------------------------------------------------------

    def define_location(self, location: Location) -> None:
        """See :meth:`InventoryBook.define_location`."""
        with self._lock:
            self._book.define_location(location)

    def define_sku(self, sku: str, backorder: BackorderPolicy | None = None) -> None:
        """See :meth:`InventoryBook.define_sku`."""
        with self._lock:
            self._book.define_sku(sku, backorder)

    def configure_item(
        self,
        sku: str,
        location: str,
        *,
        safety_stock: int | None = None,
        low_stock_threshold: int | None = None,
        now: datetime,
    ) -> StockLevel:
        """See :meth:`InventoryBook.configure_item`."""
        return self._write(
            lambda: self._book.configure_item(
                sku,
                location,
                safety_stock=safety_stock,
                low_stock_threshold=low_stock_threshold,
                now=now,
            )
        )

    def expect_incoming(self, incoming: IncomingStock) -> None:
        """See :meth:`InventoryBook.expect_incoming`."""
        with self._lock:
            self._book.expect_incoming(incoming)

    def cancel_incoming(self, incoming_id: str) -> None:
        """See :meth:`InventoryBook.cancel_incoming`."""
        with self._lock:
            self._book.cancel_incoming(incoming_id)

    # the ledger -----------------------------------------------------------------------------

    def receive(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        now: datetime,
        reference: str = "",
        reason: str = "",
        incoming_id: str = "",
    ) -> StockLevel:
        """See :meth:`InventoryBook.receive`."""
        return self._write(
            lambda: self._book.receive(
                sku,
                location,
                quantity,
                now=now,
                reference=reference,
                reason=reason,
                incoming_id=incoming_id,
            )
        )

    def restock(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        now: datetime,
        reference: str = "",
        reason: str = "",
    ) -> StockLevel:
        """See :meth:`InventoryBook.restock`."""
        return self._write(
            lambda: self._book.restock(
                sku, location, quantity, now=now, reference=reference, reason=reason
            )
        )

    def write_off(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        now: datetime,
        reason: str = "",
        reference: str = "",
    ) -> StockLevel:
        """See :meth:`InventoryBook.write_off`."""
        return self._write(
            lambda: self._book.write_off(
                sku, location, quantity, now=now, reason=reason, reference=reference
            )
        )

    def adjust(
        self,
        sku: str,
        location: str,
        delta: int,
        *,
        now: datetime,
        reason: str = "",
        reference: str = "",
    ) -> StockLevel:
        """See :meth:`InventoryBook.adjust`."""
        return self._write(
            lambda: self._book.adjust(
                sku, location, delta, now=now, reason=reason, reference=reference
            )
        )

    def count(
        self,
        sku: str,
        location: str,
        counted: int,
        *,
        now: datetime,
        reason: str = "stock count",
        reference: str = "",
    ) -> StockLevel:
        """See :meth:`InventoryBook.count`."""
        return self._write(
            lambda: self._book.count(
                sku, location, counted, now=now, reason=reason, reference=reference
            )
        )

    # reservations ---------------------------------------------------------------------------

    def reserve(
        self,
        reservation_id: str,
        requested: Mapping[str, int],
        *,
        now: datetime,
        expires_at: datetime,
        owner: OwnerKind = OwnerKind.GUEST,
        strategy: AllocationStrategy | None = None,
    ) -> ReserveOutcome:
        """See :meth:`InventoryBook.reserve`."""
        return self._write(
            lambda: self._book.reserve(
                reservation_id,
                requested,
                now=now,
                expires_at=expires_at,
                owner=owner,
                strategy=strategy,
            )
        )

    def replace(
        self,
        reservation_id: str,
        requested: Mapping[str, int],
        *,
        now: datetime,
        expires_at: datetime,
        owner: OwnerKind = OwnerKind.GUEST,
        strategy: AllocationStrategy | None = None,
        expected_version: int | None = None,
    ) -> ReserveOutcome:
        """See :meth:`InventoryBook.replace`."""
        return self._write(
            lambda: self._book.replace(
                reservation_id,
                requested,
                now=now,
                expires_at=expires_at,
                owner=owner,
                strategy=strategy,
                expected_version=expected_version,
            )
        )

    def extend(self, reservation_id: str, *, expires_at: datetime, now: datetime) -> Reservation:
        """See :meth:`InventoryBook.extend`."""
        return self._write(
            lambda: self._book.extend(reservation_id, expires_at=expires_at, now=now)
        )

    def commit(self, reservation_id: str, *, now: datetime, reference: str = "") -> Reservation:
        """See :meth:`InventoryBook.commit`."""
        return self._write(lambda: self._book.commit(reservation_id, now=now, reference=reference))

    def release(self, reservation_id: str, *, now: datetime) -> Reservation:
        """See :meth:`InventoryBook.release`."""
        return self._write(lambda: self._book.release(reservation_id, now=now))

    def expire_due(self, now: datetime) -> tuple[Reservation, ...]:
        """See :meth:`InventoryBook.expire_due`."""
        return self._write(lambda: self._book.expire_due(now))

    def settle_backorder(
        self, reservation_id: str, sku: str, location: str, quantity: int, *, now: datetime
    ) -> Reservation:
        """See :meth:`InventoryBook.settle_backorder`."""
        return self._write(
            lambda: self._book.settle_backorder(reservation_id, sku, location, quantity, now=now)
        )

    # queries --------------------------------------------------------------------------------

    def availability(self, sku: str, quantity: int) -> Availability:
        """See :meth:`InventoryBook.availability`."""
        with self._lock:
            return self._book.availability(sku, quantity)

    def level(self, sku: str, location: str) -> StockLevel:
        """See :meth:`InventoryBook.level`."""
        with self._lock:
            return self._book.level(sku, location)

    def levels(self, sku: str) -> tuple[StockLevel, ...]:
        """See :meth:`InventoryBook.levels`."""
        with self._lock:
            return self._book.levels(sku)

    def reservation(self, reservation_id: str) -> Reservation:
        """See :meth:`InventoryBook.reservation`."""
        with self._lock:
            return self._book.reservation(reservation_id)

    def active_reservations(self) -> tuple[Reservation, ...]:
        """See :meth:`InventoryBook.active_reservations`."""
        with self._lock:
            return self._book.active_reservations()

    def ledger(
        self, sku: str | None = None, location: str | None = None
    ) -> tuple[StockMovement, ...]:
        """See :meth:`InventoryBook.ledger`."""
        with self._lock:
            return self._book.ledger(sku, location)

    def incoming(self, sku: str | None = None) -> tuple[IncomingStock, ...]:
        """See :meth:`InventoryBook.incoming`."""
        with self._lock:
            return self._book.incoming(sku)

    def outstanding_backorders(self, sku: str) -> int:
        """See :meth:`InventoryBook.outstanding_backorders`."""
        with self._lock:
            return self._book.outstanding_backorders(sku)

    def reserved_counts(self) -> dict[tuple[str, str], int]:
        """See :meth:`InventoryBook.reserved_counts`."""
        with self._lock:
            return self._book.reserved_counts()

    def take_events(self) -> tuple[DomainEvent, ...]:
        """Drain the outbox."""
        with self._lock:
            events = tuple(self._outbox)
            self._outbox.clear()
            return events

    def snapshot(self) -> tuple[int, dict[str, object]]:
        """The book's version and plain-data snapshot (a consistent copy)."""
        with self._lock:
            return self._book.version, self._book.to_snapshot()
