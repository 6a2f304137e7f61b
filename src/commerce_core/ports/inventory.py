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

    Raises ``NotFoundError`` for an unknown SKU (an adapter for goods that never run out, such as
    :class:`~commerce_core.adapters.memory.UnlimitedStock`, knows every SKU) and
    ``InvalidQuantityError`` for a quantity that is not a positive integer. Read-only, so
    trivially idempotent.
    """

    def availability(self, sku: str, quantity: int) -> Availability:
        """How many units of ``sku`` can be sold now, and whether ``quantity`` can."""
        ...


@runtime_checkable
class InventoryStore(AvailabilityQuery, Protocol):
    """Stock, its ledger, reservations and incoming stock, behind atomic operations.

    **Semantics** are stated on each method below; they are exactly those of
    :class:`commerce_core.domain.inventory.InventoryBook`, whose methods have the same names and
    arguments, so an adapter may simply run that book (the in-memory one does).

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
    ``UnknownLocationError``, ``ReservationNotFoundError``, ``UnknownIncomingStockError`` (all
    ``LookupError``); ``InvalidQuantityError``, ``InvalidReservationError``,
    ``ReservationConflictError`` (all ``ValueError``); ``InvalidTransitionError`` /
    ``ReservationExpiredError`` for lifecycle misuse; ``InsufficientStockError`` for decreases
    that would take reserved or missing units.

    **Idempotency.** Reserving the same id with the same lines, replace with the same lines and
    expiry, extend to the same expiry, commit, release, expire_due, configuration calls, count
    of the same figure, and any stock movement repeated with the same non-empty ``reference``
    all change nothing the second time.
    """

    # configuration
    def define_location(self, location: Location) -> None:
        """Add a location, or update its priority and name (allocation ranks by priority).

        Idempotent: the same location again changes nothing. Never raises.
        """
        ...

    def define_sku(self, sku: str, backorder: BackorderPolicy | None = None) -> None:
        """Add a SKU, or change its backorder policy (deny by default).

        Idempotent: the same policy again changes nothing.

        Raises:
            UnknownSkuError: ``sku`` is empty.
            InvalidQuantityError: the new policy's limit is below the units already on
                backorder for this SKU.
        """
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
        """Set the safety stock and/or low-stock threshold of a (SKU, location); return its level.

        ``None`` leaves a setting unchanged; a threshold of ``0`` switches low-stock alerts off.
        A change that moves ``available`` across a threshold records the matching alert.
        Idempotent: the same settings again change nothing.

        Raises:
            UnknownSkuError, UnknownLocationError: unknown SKU or location.
            InvalidQuantityError: a negative or non-integer setting.
        """
        ...

    def expect_incoming(self, incoming: IncomingStock) -> None:
        """Record or update stock on its way under ``incoming.id`` (feeds restock dates).

        A past ETA is accepted (an overdue delivery, still expected). Idempotent: the same
        incoming stock again changes nothing; another one under the same id replaces it.

        Raises:
            UnknownSkuError, UnknownLocationError: unknown SKU or location.
        """
        ...

    def cancel_incoming(self, incoming_id: str) -> None:
        """Forget expected stock. Idempotent: an unknown id is not an error. Never raises."""
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
        """Add ``quantity`` received units (a ``RECEIVE`` movement); return the new level.

        With ``incoming_id``, the incoming stock is reduced by ``quantity`` (and forgotten when
        fully received). Records ``BackInStock`` / ``LowStock`` on a threshold crossing (never
        on the first receipt of an item that was never stocked).

        Idempotent per non-empty ``reference``: a receipt already recorded under it for this
        (SKU, location) changes nothing (also for its incoming stock).

        Raises:
            InvalidQuantityError: ``quantity`` is not a positive integer.
            UnknownSkuError, UnknownLocationError: unknown SKU or location.
            UnknownIncomingStockError: ``incoming_id`` is not expected (and this is no replay).
        """
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
        """Put returned units back on hand (a ``RETURN`` movement); return the new level.

        Idempotent per non-empty ``reference``.

        Raises:
            InvalidQuantityError: ``quantity`` is not a positive integer.
            UnknownSkuError, UnknownLocationError: unknown SKU or location.
        """
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
        """Remove damaged or lost units (a ``WRITE_OFF`` movement); return the new level.

        Idempotent per non-empty ``reference``.

        Raises:
            InvalidQuantityError: ``quantity`` is not a positive integer.
            UnknownSkuError, UnknownLocationError: unknown SKU or location.
            InsufficientStockError: it would take units live reservations hold, or more than
                are on hand.
        """
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
        """Correct ``on_hand`` by a signed, non-zero ``delta`` (a ``COUNT_CORRECTION``).

        Idempotent per non-empty ``reference``.

        Raises:
            InvalidQuantityError: ``delta`` is zero or not an integer.
            UnknownSkuError, UnknownLocationError: unknown SKU or location.
            InsufficientStockError: it would take ``on_hand`` below what reservations hold.
        """
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
        """Set ``on_hand`` to a physical count (a ``COUNT_CORRECTION`` of the difference).

        Naturally idempotent: counting the same figure again records nothing.

        Raises:
            InvalidQuantityError: ``counted`` is negative or not an integer.
            UnknownSkuError, UnknownLocationError: unknown SKU or location.
            InsufficientStockError: the count is below what reservations hold.
        """
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
        """Hold stock for every line or for none; a shortage is an outcome, not an error.

        Units are allocated by ``strategy`` (single location first by default), then put on
        backorder as the SKU's policy allows. The reservation expires at ``expires_at``.

        Idempotent: the same id with the same ``{sku: quantity}`` returns the existing
        reservation (``replayed``), whatever its state.

        Raises:
            ReservationConflictError: the id exists with different lines (use ``replace``).
            InvalidReservationError: an empty id, no lines, naive times, or ``expires_at`` not
                after ``now``.
            UnknownSkuError, InvalidQuantityError: an unknown SKU or a bad quantity.
        """
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
        expected_version: int | None = None,
    ) -> ReserveOutcome:
        """Swap a reservation's lines atomically, or make it when absent.

        The new lines are planned as if the old holds were released; they replace them only if
        all can be held, otherwise the old reservation stays untouched and the outcome carries
        the shortages. A released or expired reservation starts afresh under the same id.

        With ``expected_version`` the swap is a compare-and-set, checked in the same atomic
        step: it happens only if the stored reservation is at that version (0 when absent).
        A caller that derives the new lines from a reservation it read (cancelling some units)
        passes that reservation's ``version`` and, on a conflict, reads again and retries
        (``retry_on_conflict``), so concurrent reductions never overwrite one another.

        Idempotent: the same lines and expiry on an active reservation is a replay.

        Raises:
            ConcurrencyConflictError: ``expected_version`` is not the stored version (the
                store is unchanged).
            InvalidTransitionError: the reservation is committed.
            InvalidReservationError, UnknownSkuError, InvalidQuantityError: as for ``reserve``.
        """
        ...

    def extend(self, reservation_id: str, *, expires_at: datetime, now: datetime) -> Reservation:
        """Move an active reservation's expiry to ``expires_at``.

        Idempotent: the same expiry again changes nothing.

        Raises:
            ReservationNotFoundError: unknown id.
            InvalidTransitionError: it is committed, released or expired.
            ReservationExpiredError: its expiry has passed (even if not swept yet).
        """
        ...

    def commit(self, reservation_id: str, *, now: datetime, reference: str = "") -> Reservation:
        """Turn the reservation into a sale: ``SALE`` movements deduct its allocated units.

        Backordered units stay outstanding until ``settle_backorder``. Idempotent: committing a
        committed reservation returns it unchanged.

        Raises:
            ReservationNotFoundError: unknown id.
            InvalidTransitionError: it was released or expired.
            ReservationExpiredError: its expiry has passed (even if not swept yet).
        """
        ...

    def release(self, reservation_id: str, *, now: datetime) -> Reservation:
        """Give the reservation's units (and backorder room) back.

        Idempotent: a released or expired reservation is returned unchanged.

        Raises:
            ReservationNotFoundError: unknown id.
            InvalidTransitionError: it is committed.
        """
        ...

    def expire_due(self, now: datetime) -> tuple[Reservation, ...]:
        """Expire every active reservation whose expiry is not after ``now``; return them.

        Idempotent: a second sweep at the same ``now`` expires nothing more.

        Raises:
            InvalidReservationError: ``now`` is naive.
        """
        ...

    def settle_backorder(
        self, reservation_id: str, sku: str, location: str, quantity: int, *, now: datetime
    ) -> Reservation:
        """Ship ``quantity`` backordered units of a committed reservation from ``location``.

        Records a ``SALE`` movement, moves the units from the line's ``backordered`` to its
        allocations and frees that much backorder room. Not idempotent: each call ships more.

        Raises:
            ReservationNotFoundError, UnknownSkuError, UnknownLocationError: unknown things.
            InvalidTransitionError: the reservation is not committed.
            InvalidQuantityError: more than the line has on backorder.
            InsufficientStockError: ``location`` does not have the units free.
        """
        ...

    # queries
    def level(self, sku: str, location: str) -> StockLevel:
        """The stock of ``sku`` at ``location`` (zeros when nothing was ever recorded).

        Raises:
            UnknownSkuError, UnknownLocationError: unknown SKU or location.
        """
        ...

    def levels(self, sku: str) -> tuple[StockLevel, ...]:
        """The stock of ``sku`` at every location that has an item, in ranking order.

        Raises:
            UnknownSkuError: unknown SKU.
        """
        ...

    def reservation(self, reservation_id: str) -> Reservation:
        """The reservation stored under ``reservation_id``, in whatever state.

        Raises:
            ReservationNotFoundError: unknown id.
        """
        ...

    def active_reservations(self) -> tuple[Reservation, ...]:
        """Every active reservation (read-only; never raises)."""
        ...

    def ledger(
        self, sku: str | None = None, location: str | None = None
    ) -> tuple[StockMovement, ...]:
        """Ledger movements, oldest first, optionally for one SKU and/or location (never raises)."""
        ...

    def incoming(self, sku: str | None = None) -> tuple[IncomingStock, ...]:
        """Expected stock not yet received, by ETA (never raises)."""
        ...

    def outstanding_backorders(self, sku: str) -> int:
        """Units of ``sku`` promised on backorder and not yet settled.

        Raises:
            UnknownSkuError: unknown SKU.
        """
        ...

    def reserved_counts(self) -> dict[tuple[str, str], int]:
        """``reserved`` per (SKU, location) as the adapter holds it (for the reconciler)."""
        ...

    def take_events(self) -> tuple[DomainEvent, ...]:
        """Drain the outbox: events recorded by committed operations, oldest first."""
        ...
