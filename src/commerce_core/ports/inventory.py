"""Inventory ports: the read-only availability question, and the atomic inventory store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

from commerce_core.domain.events import DomainEvent
from commerce_core.domain.inventory import (
    AllocationStrategy,
    Availability,
    BackorderPolicy,
    IncomingStock,
    Location,
    Reservation,
    ReserveOutcome,
    StockLevel,
    StockMovement,
)
from commerce_core.domain.shoppers import OwnerKind

__all__ = ["AvailabilityQuery", "InventoryStore"]


@runtime_checkable
class AvailabilityQuery(Protocol):
    """Answers stock questions without reserving anything (used by carts on add/change).

    Raises ``NotFoundError`` for an unknown SKU and ``InvalidQuantityError`` for a quantity that is
    not a positive integer. Read-only, so trivially idempotent.
    """

    def availability(self, sku: str, quantity: int) -> Availability:
        """How many units of ``sku`` can be sold now, and whether ``quantity`` can."""
        ...


@runtime_checkable
class InventoryStore(AvailabilityQuery, Protocol):
    """Stock, its ledger, reservations and incoming stock, behind atomic operations.

    **Semantics** are those of :class:`commerce_core.domain.inventory.InventoryBook`, whose
    methods have the same names and arguments; an adapter may simply run that book.

    **Atomicity.** Every operation either happens completely or not at all, also under
    concurrent callers in several threads or processes: a reservation holds all its lines or
    none, and two reservations can never both take the last unit. How adapters guarantee it:

    - the in-memory adapter runs every operation under one lock per store (the check and the
      write happen inside the same critical section; the lock is never held between calls);
    - a database adapter runs each operation in one transaction that reads the stock rows it
      needs with ``SELECT ... FOR UPDATE`` or guards each write with a conditional update /
      version compare-and-set (``UPDATE stock SET version = version + 1 WHERE id = :id AND
      version = :seen``), rolling back and retrying (``retry_on_conflict``) on a lost race.

    **Derived quantities.** ``reserved`` is what the live reservations hold; ``on_hand`` is the
    sum of the ledger. An adapter that caches either as a counter must keep it in the same
    transaction as the change; :meth:`reserved_counts` exposes what it uses, so the service's
    reconciler can recompute it from :meth:`active_reservations` and report drift.

    **Events.** State changes record domain events (movements, reservation changes, stock
    alerts) in an outbox stored atomically with the change; :meth:`take_events` drains it.

    **Errors** (and the store is unchanged after each): ``UnknownSkuError``,
    ``UnknownLocationError``, ``ReservationNotFoundError`` (all ``LookupError``);
    ``InvalidQuantityError``, ``InvalidReservationError``, ``ReservationConflictError`` (all
    ``ValueError``); ``InvalidTransitionError`` / ``ReservationExpiredError`` for lifecycle misuse;
    ``InsufficientStockError`` for decreases that would take reserved or missing units.

    **Idempotency.** Reserving the same id with the same lines, replace with the same lines and
    expiry, extend to the same expiry, commit, release, expire_due, configuration calls, count
    of the same figure, and any stock movement repeated with the same non-empty ``reference``
    all change nothing the second time.
    """

    # configuration
    def define_location(self, location: Location) -> None:
        """Add a location or update its priority and name."""
        ...

    def define_sku(self, sku: str, backorder: BackorderPolicy | None = None) -> None:
        """Add a SKU or change its backorder policy (deny by default)."""
        ...

    def configure_item(
        self,
        sku: str,
        location: str,
        *,
        safety_stock: int | None = None,
        low_stock_threshold: int | None = None,
        now: datetime,
    ) -> StockLevel:
        """Set the safety stock and low-stock threshold of a (SKU, location)."""
        ...

    def expect_incoming(self, incoming: IncomingStock) -> None:
        """Record or update stock on its way (feeds restock dates)."""
        ...

    def cancel_incoming(self, incoming_id: str) -> None:
        """Forget expected stock (no error when unknown)."""
        ...

    # the ledger
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
        """Add received units; settles ``incoming_id`` by ``quantity`` when given."""
        ...

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
        """Put returned units back on hand at ``location``."""
        ...

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
        """Remove damaged or lost units (never units that reservations hold)."""
        ...

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
        """Correct ``on_hand`` by a signed, non-zero ``delta``."""
        ...

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
        """Set ``on_hand`` to a physical count."""
        ...

    # reservations
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
        """Hold every line or none; a shortage is an outcome, not an error."""
        ...

    def replace(
        self,
        reservation_id: str,
        requested: Mapping[str, int],
        *,
        now: datetime,
        expires_at: datetime,
        owner: OwnerKind = OwnerKind.GUEST,
        strategy: AllocationStrategy | None = None,
    ) -> ReserveOutcome:
        """Swap a reservation's lines atomically (old ones kept when the new cannot be held)."""
        ...

    def extend(self, reservation_id: str, *, expires_at: datetime, now: datetime) -> Reservation:
        """Push an active reservation's expiry."""
        ...

    def commit(self, reservation_id: str, *, now: datetime, reference: str = "") -> Reservation:
        """Deduct the reservation's allocated units from ``on_hand`` (a sale)."""
        ...

    def release(self, reservation_id: str, *, now: datetime) -> Reservation:
        """Give the reservation's units back."""
        ...

    def expire_due(self, now: datetime) -> tuple[Reservation, ...]:
        """Expire every active reservation due at ``now``; return them."""
        ...

    def settle_backorder(
        self, reservation_id: str, sku: str, location: str, quantity: int, *, now: datetime
    ) -> Reservation:
        """Ship backordered units of a committed reservation from ``location``."""
        ...

    # queries
    def level(self, sku: str, location: str) -> StockLevel:
        """The stock of ``sku`` at ``location``."""
        ...

    def levels(self, sku: str) -> tuple[StockLevel, ...]:
        """The stock of ``sku`` at every location, in ranking order."""
        ...

    def reservation(self, reservation_id: str) -> Reservation:
        """The reservation stored under ``reservation_id``."""
        ...

    def active_reservations(self) -> tuple[Reservation, ...]:
        """Every active reservation."""
        ...

    def ledger(
        self, sku: str | None = None, location: str | None = None
    ) -> tuple[StockMovement, ...]:
        """Ledger movements, oldest first."""
        ...

    def incoming(self, sku: str | None = None) -> tuple[IncomingStock, ...]:
        """Expected stock, by ETA."""
        ...

    def outstanding_backorders(self, sku: str) -> int:
        """Units of ``sku`` promised on backorder and not yet settled."""
        ...

    def reserved_counts(self) -> dict[tuple[str, str], int]:
        """``reserved`` per (SKU, location) as the adapter holds it (for the reconciler)."""
        ...

    def take_events(self) -> tuple[DomainEvent, ...]:
        """Drain the outbox: events recorded by committed operations, oldest first."""
        ...
