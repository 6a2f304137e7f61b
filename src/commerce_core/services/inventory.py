"""Inventory use cases: stock movements, reservations, expiry, availability, reconciliation, alerts.

:class:`InventoryService` adds what the pure rules leave out: the time (from the ``Clock``),
the default reservation time-to-live per owner kind, the default allocation strategy, retrying
lost optimistic-concurrency races of database adapters, and delivering stock alerts to the
``Notifier`` (at least once: a notification the notifier refused is kept and retried).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from commerce_core.domain.events import DomainEvent
from commerce_core.domain.inventory import (
    AllocationStrategy,
    Availability,
    BackInStock,
    BackorderPolicy,
    IncomingStock,
    Location,
    LowStock,
    OutOfStock,
    PreferLocations,
    Reservation,
    ReservationTtl,
    ReserveOutcome,
    SingleLocationFirst,
    StockAlert,
    StockLevel,
    StockRequest,
    merge_requests,
    on_hand_from,
    reserved_from,
)
from commerce_core.domain.notifications import Notification
from commerce_core.domain.shoppers import OwnerKind
from commerce_core.errors import InvalidReservationError
from commerce_core.ports.clock import Clock
from commerce_core.ports.inventory import InventoryStore
from commerce_core.ports.notifier import Notifier
from commerce_core.services.retry import DEFAULT_CONFLICT_ATTEMPTS, retry_on_conflict

__all__ = ["Drift", "InventoryService", "ReconciliationReport", "alert_notification"]

T = TypeVar("T")

_TEMPLATES: dict[type[StockAlert], str] = {
    LowStock: "inventory.low_stock",
    OutOfStock: "inventory.out_of_stock",
    BackInStock: "inventory.back_in_stock",
}


def alert_notification(alert: StockAlert) -> Notification:
    """The notification for a stock alert (template ``inventory.<alert>``; deduplication key)."""
    data = {
        "sku": alert.sku,
        "location": alert.location,
        "available": alert.available,
        "occurred_at": alert.occurred_at.isoformat(),
    }
    if isinstance(alert, LowStock):
        data["threshold"] = alert.threshold
    return Notification(
        event_type=alert.event_type,
        template_key=_TEMPLATES.get(type(alert), "inventory.stock_alert"),
        data=data,
        key=alert.key,
    )


@attrs.frozen
class Drift:
    """A stored quantity that disagrees with what it is derived from.

    Attributes:
        quantity: ``"reserved"`` (vs. the active reservations) or ``"on_hand"`` (vs. the ledger).
        sku: the SKU.
        location: the location.
        recorded: what the store holds.
        expected: what recomputing gives.
    """

    quantity: str
    sku: str
    location: str
    recorded: int
    expected: int


@attrs.frozen
class ReconciliationReport:
    """What the reconciler found: no drift means every derived quantity agrees."""

    checked: int
    drift: tuple[Drift, ...] = ()

    @property
    def clean(self) -> bool:
        """Whether nothing drifted."""
        return not self.drift


class InventoryService:
    """Receive, adjust, reserve, extend, commit, release, expire, query and reconcile stock.

    It satisfies :class:`~commerce_core.ports.inventory.AvailabilityQuery`, so carts can check
    stock through it.

    Args:
        store: the inventory store.
        clock: where the time comes from.
        notifier: receives ``LowStock`` / ``OutOfStock`` / ``BackInStock`` notifications.
        ttl: default reservation time-to-live per owner kind.
        strategy: default allocation strategy (prefer one location, split when needed).
        on_event: also called with every domain event the store records (for an analytics
            sink or a message bus).
    """

    def __init__(
        self,
        store: InventoryStore,
        clock: Clock,
        notifier: Notifier | None = None,
        *,
        ttl: ReservationTtl | None = None,
        strategy: AllocationStrategy | None = None,
        on_event: Callable[[DomainEvent], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.notifier = notifier
        self.ttl = ttl if ttl is not None else ReservationTtl()
        self.strategy: AllocationStrategy = (
            strategy if strategy is not None else SingleLocationFirst()
        )
        self._on_event = on_event
        self._undelivered: list[Notification] = []
        self._lock = threading.Lock()

    # plumbing --------------------------------------------------------------------------------

    def _run(self, use_case: Callable[[], T], *, attempts: int = DEFAULT_CONFLICT_ATTEMPTS) -> T:
        try:
            return retry_on_conflict(use_case, attempts=attempts)
        finally:
            self._dispatch(self.store.take_events())

    def _dispatch(self, events: Iterable[DomainEvent]) -> None:
        notes: list[Notification] = []
        for event in events:
            if self._on_event is not None:
                self._on_event(event)
            if isinstance(event, StockAlert):
                notes.append(alert_notification(event))
        if notes or self._undelivered:
            with self._lock:
                self._undelivered.extend(notes)
            self.deliver_pending()

    def deliver_pending(self) -> int:
        """Send the notifications not delivered yet; return how many are still pending."""
        if self.notifier is None:
            with self._lock:
                self._undelivered.clear()
            return 0
        with self._lock:
            pending, self._undelivered = self._undelivered, []
        failed: list[Notification] = []
        for note in pending:
            if failed:
                failed.append(note)
                continue
            try:
                self.notifier.send(note)
            except Exception:  # noqa: BLE001 - any notifier failure means "retry later"
                failed.append(note)
        with self._lock:
            self._undelivered[:0] = failed
            return len(self._undelivered)

    def _expiry(
        self, owner: OwnerKind, now: datetime, ttl: timedelta | None, expires_at: datetime | None
    ) -> datetime:
        if expires_at is not None and ttl is not None:
            raise InvalidReservationError("", "give ttl or expires_at, not both")
        if expires_at is not None:
            return expires_at
        return now + (ttl if ttl is not None else self.ttl.for_owner(owner))

    def _strategy(
        self, strategy: AllocationStrategy | None, preference: Sequence[str]
    ) -> AllocationStrategy:
        chosen = strategy if strategy is not None else self.strategy
        return PreferLocations(preference, chosen) if preference else chosen

    # configuration ---------------------------------------------------------------------------

    def define_location(self, location_id: str, *, priority: int = 100, name: str = "") -> None:
        """Add a stock location (lower ``priority`` is allocated first)."""
        self._run(lambda: self.store.define_location(Location(location_id, priority, name)))

    def define_sku(self, sku: str, *, backorder: BackorderPolicy | None = None) -> None:
        """Add a SKU with its backorder policy (deny by default)."""
        self._run(lambda: self.store.define_sku(sku, backorder))

    def configure_item(
        self,
        sku: str,
        location: str,
        *,
        safety_stock: int | None = None,
        low_stock_threshold: int | None = None,
    ) -> StockLevel:
        """Set safety stock and the low-stock threshold of ``sku`` at ``location``."""
        return self._run(
            lambda: self.store.configure_item(
                sku,
                location,
                safety_stock=safety_stock,
                low_stock_threshold=low_stock_threshold,
                now=self.clock.now(),
            )
        )

    def expect_incoming(
        self, incoming_id: str, sku: str, location: str, quantity: int, *, eta: datetime
    ) -> IncomingStock:
        """Record a purchase order or transfer on its way (feeds restock dates)."""
        incoming = IncomingStock(incoming_id, sku, location, quantity, eta)
        self._run(lambda: self.store.expect_incoming(incoming))
        return incoming

    # stock movements -------------------------------------------------------------------------

    def receive(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reference: str = "",
        reason: str = "",
        incoming_id: str = "",
    ) -> StockLevel:
        """Book received units in (idempotent per ``reference``)."""
        return self._run(
            lambda: self.store.receive(
                sku,
                location,
                quantity,
                now=self.clock.now(),
                reference=reference,
                reason=reason,
                incoming_id=incoming_id,
            )
        )

    def adjust(
        self, sku: str, location: str, delta: int, *, reason: str = "", reference: str = ""
    ) -> StockLevel:
        """Correct ``on_hand`` by ``delta`` (a count correction)."""
        return self._run(
            lambda: self.store.adjust(
                sku, location, delta, now=self.clock.now(), reason=reason, reference=reference
            )
        )

    def count(self, sku: str, location: str, counted: int, *, reference: str = "") -> StockLevel:
        """Set ``on_hand`` to a physical count (records the difference)."""
        return self._run(
            lambda: self.store.count(
                sku, location, counted, now=self.clock.now(), reference=reference
            )
        )

    def write_off(
        self, sku: str, location: str, quantity: int, *, reason: str = "", reference: str = ""
    ) -> StockLevel:
        """Remove damaged or lost units."""
        return self._run(
            lambda: self.store.write_off(
                sku, location, quantity, now=self.clock.now(), reason=reason, reference=reference
            )
        )

    def restock(
        self, sku: str, location: str, quantity: int, *, reference: str = "", reason: str = ""
    ) -> StockLevel:
        """Put returned units back on hand at ``location`` (idempotent per ``reference``)."""
        return self._run(
            lambda: self.store.restock(
                sku, location, quantity, now=self.clock.now(), reference=reference, reason=reason
            )
        )

    # reservations ----------------------------------------------------------------------------

    def reserve(
        self,
        reservation_id: str,
        lines: Iterable[StockRequest | tuple[str, int]],
        *,
        owner: OwnerKind = OwnerKind.GUEST,
        ttl: timedelta | None = None,
        expires_at: datetime | None = None,
        strategy: AllocationStrategy | None = None,
        preference: Sequence[str] = (),
    ) -> ReserveOutcome:
        """Hold stock for all ``lines`` or none; idempotent for the same id and lines.

        The expiry is ``expires_at``, else now + ``ttl``, else now + the owner's default TTL.
        ``preference`` ranks locations first (e.g. nearest to the shipping address).
        """
        requested = merge_requests(lines)
        chosen = self._strategy(strategy, preference)

        def use_case() -> ReserveOutcome:
            now = self.clock.now()
            return self.store.reserve(
                reservation_id,
                requested,
                now=now,
                expires_at=self._expiry(owner, now, ttl, expires_at),
                owner=owner,
                strategy=chosen,
            )

        return self._run(use_case)

    def replace(
        self,
        reservation_id: str,
        lines: Iterable[StockRequest | tuple[str, int]],
        *,
        owner: OwnerKind = OwnerKind.GUEST,
        ttl: timedelta | None = None,
        expires_at: datetime | None = None,
        strategy: AllocationStrategy | None = None,
        preference: Sequence[str] = (),
        expected_version: int | None = None,
    ) -> ReserveOutcome:
        """Swap the reservation's lines atomically (keeps the old ones if the new cannot be held).

        Creates the reservation when absent; starts a fresh one after release or expiry.
        ``expected_version`` (the ``version`` of the reservation the new lines were derived
        from) makes it a compare-and-set: a reservation changed since raises
        :class:`~commerce_core.errors.ConcurrencyConflictError` at once (not retried here, since
        only the caller can recompute the lines; wrap the read-and-replace in
        :func:`~commerce_core.services.retry.retry_on_conflict`).
        """
        requested = merge_requests(lines)
        chosen = self._strategy(strategy, preference)

        def use_case() -> ReserveOutcome:
            now = self.clock.now()
            return self.store.replace(
                reservation_id,
                requested,
                now=now,
                expires_at=self._expiry(owner, now, ttl, expires_at),
                owner=owner,
                strategy=chosen,
                expected_version=expected_version,
            )

        return self._run(
            use_case, attempts=1 if expected_version is not None else DEFAULT_CONFLICT_ATTEMPTS
        )

    def extend(
        self,
        reservation_id: str,
        *,
        ttl: timedelta | None = None,
        expires_at: datetime | None = None,
    ) -> Reservation:
        """Push the expiry to ``expires_at``, else now + ``ttl``, else now + the owner's TTL."""

        def use_case() -> Reservation:
            now = self.clock.now()
            owner = self.store.reservation(reservation_id).owner
            new_expiry = self._expiry(owner, now, ttl, expires_at)
            return self.store.extend(reservation_id, expires_at=new_expiry, now=now)

        return self._run(use_case)

    def commit(self, reservation_id: str, *, reference: str = "") -> Reservation:
        """Turn the reservation into a sale (idempotent); its lines say where units came from."""
        return self._run(
            lambda: self.store.commit(reservation_id, now=self.clock.now(), reference=reference)
        )

    def release(self, reservation_id: str) -> Reservation:
        """Give the reservation's units back (idempotent)."""
        return self._run(lambda: self.store.release(reservation_id, now=self.clock.now()))

    def expire_due(self, now: datetime | None = None) -> tuple[Reservation, ...]:
        """Expire every reservation due at ``now`` (default: the clock); return them."""
        return self._run(
            lambda: self.store.expire_due(now if now is not None else self.clock.now())
        )

    def settle_backorder(
        self, reservation_id: str, sku: str, location: str, quantity: int
    ) -> Reservation:
        """Ship backordered units of a committed reservation from ``location``."""
        return self._run(
            lambda: self.store.settle_backorder(
                reservation_id, sku, location, quantity, now=self.clock.now()
            )
        )

    # queries ---------------------------------------------------------------------------------

    def availability(self, sku: str, quantity: int) -> Availability:
        """How many units of ``sku`` can be sold now, and whether ``quantity`` can."""
        return self.store.availability(sku, quantity)

    def reservation(self, reservation_id: str) -> Reservation:
        """The reservation stored under ``reservation_id``."""
        return self.store.reservation(reservation_id)

    def stock_level(self, sku: str, location: str) -> StockLevel:
        """The stock of ``sku`` at ``location``."""
        return self.store.level(sku, location)

    def reconcile(self) -> ReconciliationReport:
        """Recompute ``reserved`` from active reservations and ``on_hand`` from the ledger.

        Reports every (SKU, location) where the store's figure differs: with the in-memory store
        there is never drift; an adapter that caches counters can use this to find and repair it.
        """
        recorded = self.store.reserved_counts()
        expected = reserved_from(self.store.active_reservations())
        drift = [
            Drift("reserved", sku, location, recorded.get((sku, location), 0), units)
            for (sku, location), units in sorted(expected.items())
            if recorded.get((sku, location), 0) != units
        ]
        drift.extend(
            Drift("reserved", sku, location, units, 0)
            for (sku, location), units in sorted(recorded.items())
            if units and (sku, location) not in expected
        )
        ledger_totals = on_hand_from(self.store.ledger())
        for (sku, location), units in sorted(ledger_totals.items()):
            on_hand = self.store.level(sku, location).on_hand
            if on_hand != units:
                drift.append(Drift("on_hand", sku, location, on_hand, units))
        return ReconciliationReport(
            checked=len(set(recorded) | set(ledger_totals)), drift=tuple(drift)
        )
