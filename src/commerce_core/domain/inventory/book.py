"""The inventory book: stock items, the ledger, reservations and incoming stock, with every rule.

:class:`InventoryBook` is pure (no clock, no I/O, no locks): every method takes ``now`` when it
needs the time, checks everything *before* changing anything (so a refused operation leaves the
book exactly as it was), then changes state and records past-tense events. Adapters make its
operations atomic: the in-memory store runs each one under one lock; a database adapter runs the
same rules inside one transaction guarded by a version compare-and-set on the rows it touches.

Two quantities are never stored as free-running counters:

- ``reserved`` at a (SKU, location) is the sum of the *holds* there, and a hold exists exactly
  while an active reservation's allocation does (holds are added and removed in the same step
  that changes the reservation's state). :meth:`InventoryBook.recomputed_reserved` rebuilds it
  from the reservations themselves, and the reconciler compares the two.
- ``on_hand`` changes only by appending a :class:`StockMovement` to the ledger, so it always
  equals the sum of the ledger's movements for that item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from commerce_core.domain.events import DomainEvent, EventRecorder
from commerce_core.domain.inventory.allocation import AllocationStrategy, SingleLocationFirst
from commerce_core.domain.inventory.events import (
    BackInStock,
    BackorderSettled,
    LowStock,
    OutOfStock,
    ReservationCommitted,
    ReservationExpired,
    ReservationExtended,
    ReservationReleased,
    ReservationReplaced,
    StockMovementRecorded,
    StockReserved,
)
from commerce_core.domain.inventory.reservation import (
    ClosedReservation,
    Reservation,
    ReservationState,
    pack_closed,
    unpack_closed,
)
from commerce_core.domain.inventory.values import (
    Allocation,
    Availability,
    BackorderPolicy,
    IncomingStock,
    Location,
    MovementKind,
    ReservationLine,
    Shortage,
    StockLevel,
    StockMovement,
    _checked_allocation,
    _checked_availability,
    _checked_line,
)
from commerce_core.domain.shoppers import OwnerKind
from commerce_core.errors import (
    ConcurrencyConflictError,
    InsufficientStockError,
    InvalidQuantityError,
    InvalidReservationError,
    InvalidTransitionError,
    ReservationConflictError,
    ReservationNotFoundError,
    UnknownIncomingStockError,
    UnknownLocationError,
    UnknownSkuError,
)

__all__ = ["InventoryBook", "ReserveOutcome"]

_NEW, _OUT, _LOW, _OK = -1, 0, 1, 2  # _NEW: never stocked, so neither out of nor back in stock
_DEFAULT_STRATEGY = SingleLocationFirst()
_SALE = str(MovementKind.SALE)  # the kind text of a sale's StockMovementRecorded
_KINDS = {str(kind): kind for kind in MovementKind}
"""Movement kinds by their text (the kind a ledger entry keeps)."""

_Entry = tuple[str, str, int, str, str, str, datetime, int]
"""A ledger movement as atoms, as the book keeps it: the :class:`StockMovement` fields in order,
with the kind as its text (``"sale"``). The ledger is kept forever and grows with every sale; a
tuple holding only strings, integers and a datetime is untracked by Python's cyclic garbage
collector once it has seen it, where a :class:`StockMovement` is an object every full
collection walks again. :meth:`InventoryBook.ledger` hands out equal :class:`StockMovement`
values built from the entries."""


def _movement_of(entry: _Entry) -> StockMovement:
    """The :class:`StockMovement` a ledger entry stands for (equal to the one recorded)."""
    sku, location, quantity, kind, reason, reference, occurred_at, on_hand_after = entry
    return StockMovement(
        sku, location, quantity, _KINDS[kind], reason, reference, occurred_at, on_hand_after
    )


@attrs.frozen
class ReserveOutcome:
    """The result of ``reserve`` / ``replace``: a reservation, or why there is none.

    Not having enough stock is an expected outcome, so it is a value (``shortages``), not an
    exception; call :meth:`unwrap` to turn it into :class:`InsufficientStockError`.

    Attributes:
        reservation: the reservation (new, replaced, or the existing one on a replay).
        shortages: the SKUs that lacked stock and backorder room (empty on success).
        replayed: true when the same request had already been made (nothing changed).
    """

    reservation: Reservation | None
    shortages: tuple[Shortage, ...] = ()
    replayed: bool = False

    @property
    def ok(self) -> bool:
        """Whether a reservation was made (or already existed for the same lines)."""
        return self.reservation is not None

    def unwrap(self) -> Reservation:
        """The reservation, or :class:`InsufficientStockError` for the first shortage."""
        if self.reservation is None:
            short = self.shortages[0]
            raise InsufficientStockError(short.sku, short.requested, short.allocated)
        return self.reservation


class _Item:
    """Mutable stock of one SKU at one location (private to the book)."""

    __slots__ = ("held", "holds", "low_stock_threshold", "on_hand", "safety_stock", "stocked")

    def __init__(self) -> None:
        self.on_hand = 0
        self.stocked = False  # True once a ledger movement touched it (derived on load)
        self.safety_stock = 0
        self.low_stock_threshold: int | None = None
        self.holds: dict[str, int] = {}
        self.held = 0  # the sum of ``holds``, kept by hold/unhold: no scan of the open holds

    def hold(self, rid: str, quantity: int) -> None:
        self.held += quantity - self.holds.get(rid, 0)
        self.holds[rid] = quantity

    def unhold(self, rid: str) -> None:
        self.held -= self.holds.pop(rid, 0)

    @property
    def reserved(self) -> int:
        return self.held

    def free(self, ignoring: str = "") -> int:
        held = self.held
        if ignoring:
            held -= self.holds.get(ignoring, 0)
        return max(0, self.on_hand - held - self.safety_stock)

    def signal(self) -> int:
        return _signal(self.on_hand - self.held - self.safety_stock, self)


def _signal(available: int, item: _Item) -> int:
    if available <= 0:
        return _OUT
    threshold = item.low_stock_threshold
    if threshold is not None and available <= threshold:
        return _LOW
    return _OK


def _check_positive(quantity: object) -> int:
    if type(quantity) is not int or quantity <= 0:
        raise InvalidQuantityError(quantity)
    return quantity


def _check_count(quantity: object, what: str) -> int:
    if type(quantity) is not int or quantity < 0:
        raise InvalidQuantityError(quantity, f"{what} must be a whole number >= 0")
    return quantity


def _check_aware(moment: datetime, reservation_id: str = "") -> None:
    if moment.tzinfo is None:
        raise InvalidReservationError(reservation_id, "times must be timezone-aware")


def _line_tuples(reservation: Reservation) -> tuple[tuple[str, int, int], ...]:
    return tuple((line.sku, line.quantity, line.backordered) for line in reservation.lines)


@attrs.define(eq=False)
class InventoryBook(EventRecorder):
    """Every inventory rule over one consistent state (see the module docstring).

    Not thread-safe by itself: an adapter serialises calls (one lock, or one transaction).
    ``version`` increases by one with every operation that changes something.
    """

    version: int = 0
    _locations: dict[str, Location] = attrs.field(factory=dict, init=False)
    _ranking: list[str] = attrs.field(factory=list, init=False)
    _policies: dict[str, BackorderPolicy] = attrs.field(factory=dict, init=False)
    _items: dict[str, dict[str, _Item]] = attrs.field(factory=dict, init=False)
    _ledger: list[_Entry] = attrs.field(factory=list, init=False)
    _applied: set[tuple[str, str, str, str]] = attrs.field(factory=set, init=False)
    # Every reservation in creation order: active ones as values, closed ones packed into atoms
    # (see ClosedReservation: kept forever, so kept out of the cyclic GC's way).
    _reservations: dict[str, Reservation | ClosedReservation] = attrs.field(
        factory=dict, init=False
    )
    _active: dict[str, Reservation] = attrs.field(factory=dict, init=False)
    _backorders: dict[str, dict[str, int]] = attrs.field(factory=dict, init=False)
    _incoming: dict[str, IncomingStock] = attrs.field(factory=dict, init=False)
    _events: list[DomainEvent] = attrs.field(factory=list, init=False)

    # --- lookups ---------------------------------------------------------------------------

    def _policy(self, sku: str) -> BackorderPolicy:
        policy = self._policies.get(sku)
        if policy is None:
            raise UnknownSkuError(sku)
        return policy

    def _location(self, location: str) -> None:
        if location not in self._locations:
            raise UnknownLocationError(location)

    def _item(self, sku: str, location: str) -> _Item:
        """The item, or a new empty one not yet stored (after checking SKU and location)."""
        self._policy(sku)
        self._location(location)
        item = self._items.get(sku, {}).get(location)
        return _Item() if item is None else item

    def _store(self, sku: str, location: str, item: _Item) -> None:
        self._items.setdefault(sku, {})[location] = item

    def _find(self, reservation_id: str) -> Reservation | None:
        stored = self._reservations.get(reservation_id)
        if isinstance(stored, tuple):
            return unpack_closed(reservation_id, stored)
        return stored

    def _get_reservation(self, reservation_id: str) -> Reservation:
        reservation = self._find(reservation_id)
        if reservation is None:
            raise ReservationNotFoundError(reservation_id)
        return reservation

    def _outstanding(self, sku: str, ignoring: str = "") -> int:
        per_res = self._backorders.get(sku)
        if not per_res:
            return 0
        total = sum(per_res.values())
        return total - per_res.get(ignoring, 0) if ignoring else total

    # --- alerts ----------------------------------------------------------------------------

    def _signals(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        signals: dict[tuple[str, str], int] = {}
        for sku, location in keys:
            item = self._items.get(sku, {}).get(location)
            signals[sku, location] = _NEW if item is None or not item.stocked else item.signal()
        return signals

    def _raise_alerts(self, before: Mapping[tuple[str, str], int], now: datetime) -> None:
        for (sku, location), was in before.items():
            item = self._items[sku][location]
            after = item.signal()
            if after == was:
                continue
            available = item.free()
            common: dict[str, Any] = {
                "occurred_at": now,
                "sku": sku,
                "location": location,
                "available": available,
                "sequence": self.version,
            }
            if after == _OUT:
                if was != _NEW:
                    self._record(OutOfStock(**common))
            elif was == _OUT:
                self._record(BackInStock(**common))
            elif after == _LOW:
                threshold = item.low_stock_threshold
                assert threshold is not None  # noqa: S101 - _LOW implies a threshold
                self._record(LowStock(**common, threshold=threshold))

    # --- configuration ---------------------------------------------------------------------

    def define_location(self, location: Location) -> None:
        """Add a location, or update its priority and name (idempotent)."""
        if self._locations.get(location.id) == location:
            return
        self._locations[location.id] = location
        self._ranking = sorted(self._locations, key=lambda i: (self._locations[i].priority, i))
        self.version += 1

    def define_sku(self, sku: str, backorder: BackorderPolicy | None = None) -> None:
        """Add a SKU, or change its backorder policy (idempotent).

        Raises:
            InvalidQuantityError: narrowing a limit below the units already on backorder.
        """
        if not sku:
            raise UnknownSkuError(sku)
        policy = backorder if backorder is not None else BackorderPolicy.deny()
        if self._policies.get(sku) == policy:
            return
        outstanding = self._outstanding(sku)
        room = policy.headroom(0)
        if room is not None and outstanding > room:
            raise InvalidQuantityError(
                policy.limit, f"{outstanding} units of {sku!r} are already on backorder"
            )
        self._policies[sku] = policy
        self.version += 1

    def configure_item(
        self,
        sku: str,
        location: str,
        *,
        safety_stock: int | None = None,
        low_stock_threshold: int | None = None,
        now: datetime,
    ) -> StockLevel:
        """Set the safety stock and/or low-stock threshold of a (SKU, location) (idempotent).

        ``None`` leaves a setting unchanged; a threshold of ``0`` switches low-stock alerts off.
        Raises ``UnknownSkuError``, ``UnknownLocationError``, ``InvalidQuantityError``.
        """
        if safety_stock is not None:
            _check_count(safety_stock, "safety stock")
        if low_stock_threshold is not None:
            _check_count(low_stock_threshold, "low-stock threshold")
        item = self._item(sku, location)
        before = self._signals([(sku, location)])
        changed = False
        if safety_stock is not None and safety_stock != item.safety_stock:
            item.safety_stock, changed = safety_stock, True
        if low_stock_threshold is not None:
            threshold = low_stock_threshold or None
            if threshold != item.low_stock_threshold:
                item.low_stock_threshold, changed = threshold, True
        if changed:
            self._store(sku, location, item)
            self.version += 1
            self._raise_alerts(before, now)
        return self.level(sku, location)

    def expect_incoming(self, incoming: IncomingStock) -> None:
        """Record (or update) stock on its way; it feeds restock dates."""
        self._item(incoming.sku, incoming.location)
        if self._incoming.get(incoming.id) != incoming:
            self._incoming[incoming.id] = incoming
            self.version += 1

    def cancel_incoming(self, incoming_id: str) -> None:
        """Forget expected stock (no error when unknown: idempotent)."""
        if self._incoming.pop(incoming_id, None) is not None:
            self.version += 1

    # --- the ledger ------------------------------------------------------------------------

    def _move(
        self,
        sku: str,
        location: str,
        item: _Item,
        quantity: int,
        kind: MovementKind,
        *,
        now: datetime,
        reason: str,
        reference: str,
    ) -> None:
        item.on_hand += quantity
        item.stocked = True
        text = str(kind)
        self._ledger.append((sku, location, quantity, text, reason, reference, now, item.on_hand))
        if reference and kind is not MovementKind.SALE:
            self._applied.add((text, sku, location, reference))
        self._record(
            StockMovementRecorded(
                occurred_at=now,
                sku=sku,
                location=location,
                quantity=quantity,
                kind=text,
                reference=reference,
                on_hand=item.on_hand,
            )
        )

    def _movement(
        self,
        sku: str,
        location: str,
        delta: int,
        kind: MovementKind,
        *,
        now: datetime,
        reason: str,
        reference: str,
    ) -> StockLevel:
        item = self._item(sku, location)
        if reference and (str(kind), sku, location, reference) in self._applied:
            return self.level(sku, location)
        if delta < 0:
            spare = item.on_hand - item.reserved
            if -delta > spare:
                raise InsufficientStockError(sku, -delta, max(0, spare), location)
        if delta == 0:
            return self.level(sku, location)
        before = self._signals([(sku, location)])
        self._store(sku, location, item)
        self.version += 1
        self._move(sku, location, item, delta, kind, now=now, reason=reason, reference=reference)
        self._raise_alerts(before, now)
        return self.level(sku, location)

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
        """Add received units (a ``RECEIVE`` movement); settles ``incoming_id`` if given.

        Idempotent per ``reference``: a receipt already recorded under the same reference for
        this (SKU, location) is not applied twice.

        Raises:
            UnknownIncomingStockError: ``incoming_id`` is not expected stock (never announced,
                or already settled) and this is not a replay of a recorded receipt.
        """
        _check_positive(quantity)
        self._item(sku, location)
        incoming = self._incoming.get(incoming_id) if incoming_id else None
        replay = bool(reference) and ("receive", sku, location, reference) in self._applied
        if incoming_id and incoming is None and not replay:
            raise UnknownIncomingStockError(incoming_id)
        level = self._movement(
            sku,
            location,
            quantity,
            MovementKind.RECEIVE,
            now=now,
            reason=reason,
            reference=reference,
        )
        if incoming is not None and not replay:
            left = incoming.quantity - quantity
            if left > 0:
                self._incoming[incoming_id] = attrs.evolve(incoming, quantity=left)
            else:
                del self._incoming[incoming_id]
        return level

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
        """Put returned units back on hand (a ``RETURN`` movement); idempotent per reference."""
        _check_positive(quantity)
        return self._movement(
            sku,
            location,
            quantity,
            MovementKind.RETURN,
            now=now,
            reason=reason,
            reference=reference,
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
        """Remove damaged or lost units (a ``WRITE_OFF`` movement); idempotent per reference.

        Raises:
            InsufficientStockError: it would take units that live reservations hold (release or
                re-allocate them first) or more than are on hand.
        """
        _check_positive(quantity)
        return self._movement(
            sku,
            location,
            -quantity,
            MovementKind.WRITE_OFF,
            now=now,
            reason=reason,
            reference=reference,
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
        """Correct ``on_hand`` by ``delta`` (a ``COUNT_CORRECTION``); idempotent per reference.

        Raises:
            InvalidQuantityError: ``delta`` is zero or not an integer.
            InsufficientStockError: it would take ``on_hand`` below what reservations hold.
        """
        if type(delta) is not int or delta == 0:
            raise InvalidQuantityError(delta, "an adjustment must be a non-zero integer")
        return self._movement(
            sku,
            location,
            delta,
            MovementKind.COUNT_CORRECTION,
            now=now,
            reason=reason,
            reference=reference,
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
        """Set ``on_hand`` to a physical count (a ``COUNT_CORRECTION`` of the difference).

        Naturally idempotent: counting the same figure again records nothing.
        """
        _check_count(counted, "a count")
        item = self._item(sku, location)
        return self._movement(
            sku,
            location,
            counted - item.on_hand,
            MovementKind.COUNT_CORRECTION,
            now=now,
            reason=reason,
            reference=reference,
        )

    # --- reservations ----------------------------------------------------------------------

    def _plan(
        self,
        requested: Mapping[str, int],
        strategy: AllocationStrategy,
        ignoring: str,
    ) -> tuple[tuple[ReservationLine, ...], tuple[Shortage, ...], dict[str, dict[str, int]]]:
        free: dict[str, dict[str, int]] = {}
        policies, items = self._policies, self._items
        for sku, units in requested.items():
            if sku not in policies:
                raise UnknownSkuError(sku)
            if type(units) is not int or units <= 0:
                raise InvalidQuantityError(units)
            per_location: dict[str, int] = {}
            for location, item in items.get(sku, {}).items():
                # _Item.free inlined: this runs for every location of every reserved line.
                held = item.held - (item.holds.get(ignoring, 0) if ignoring else 0)
                per_location[location] = max(0, item.on_hand - held - item.safety_stock)
            free[sku] = per_location
        plan = strategy.allocate(requested, free, self._ranking)
        lines: list[ReservationLine] = []
        shortages: list[Shortage] = []
        for sku, units in requested.items():
            taken: dict[str, int] = {}
            for location, quantity in plan.get(sku, ()):
                if quantity <= 0:
                    continue
                taken[location] = taken.get(location, 0) + quantity
            allocated = 0
            sku_free = free[sku]
            for location, quantity in taken.items():
                if quantity > sku_free.get(location, 0):
                    raise InvalidQuantityError(
                        quantity, f"the strategy took more {sku!r} than is free at {location!r}"
                    )
                allocated += quantity
            if allocated > units:
                raise InvalidQuantityError(allocated, f"the strategy over-allocated {sku!r}")
            short = units - allocated
            if short:
                room = self._policies[sku].headroom(self._outstanding(sku, ignoring))
                if room is not None and short > room:
                    shortages.append(Shortage(sku, units, allocated, room))
                    continue
            # Checked above (units > 0, each taken quantity > 0 and within what is free, the sum
            # within units): the checked builders skip the validators, unless a strategy
            # returned something that is not an int (then the validators refuse it as before).
            # (A plain loop: a comprehension is one more call per line.)
            allocations: list[Allocation] = []
            for location, quantity in taken.items():
                allocations.append(_checked_allocation(location, quantity))
            lines.append(_checked_line(sku, units, tuple(allocations), short))
        return tuple(lines), tuple(shortages), free

    def _hold(self, reservation: Reservation) -> None:
        rid = reservation.id
        items = self._items
        for line in reservation.lines:
            per_sku = items.get(line.sku, {})
            for allocation in line.allocations:
                # _Item.hold inlined: this runs for every allocation of every reservation.
                item = per_sku[allocation.location]
                quantity = allocation.quantity
                holds = item.holds
                item.held += quantity - holds.get(rid, 0)
                holds[rid] = quantity
            if line.backordered:
                self._backorders.setdefault(line.sku, {})[rid] = line.backordered
        self._active[rid] = reservation

    def _hold_new(
        self, reservation: Reservation, free: Mapping[str, Mapping[str, int]]
    ) -> dict[tuple[str, str], int]:
        """:meth:`_hold` for a reservation of which nothing is held yet; the alert signals.

        ``free`` is what :meth:`_plan` saw free per SKU and location just before (nothing of
        this id was held, so it is the availability before the change). Returns the signal
        before the change of every (SKU, location) whose signal the hold changes, in allocation
        order: :meth:`_raise_alerts` of that gives exactly what it gives for every key (the
        others raise nothing), without a second look at each item.
        """
        rid = reservation.id
        items = self._items
        changed: dict[tuple[str, str], int] = {}
        for line in reservation.lines:
            sku = line.sku
            per_sku = items.get(sku, {})
            sku_free = free[sku]
            for allocation in line.allocations:
                location = allocation.location
                quantity = allocation.quantity
                item = per_sku[location]
                item.held += quantity  # nothing of rid held: _Item.hold, inlined
                item.holds[rid] = quantity
                # A location gives units only when some are free, so ``available`` is exactly
                # on_hand - held - safety_stock before the hold, and less ``quantity`` after.
                available = sku_free[location]
                was = _signal(available, item)
                if _signal(available - quantity, item) != was:
                    changed[sku, location] = was
            if line.backordered:
                self._backorders.setdefault(sku, {})[rid] = line.backordered
        self._active[rid] = reservation
        return changed

    def _unhold(self, reservation: Reservation, *, backorders: bool = True) -> None:
        rid = reservation.id
        for line in reservation.lines:
            per_sku = self._items.get(line.sku, {})
            for allocation in line.allocations:
                per_sku[allocation.location].unhold(rid)
            if backorders and line.backordered:
                self._backorders[line.sku].pop(rid, None)
        self._active.pop(rid, None)

    @staticmethod
    def _keys(reservation: Reservation | None) -> list[tuple[str, str]]:
        if reservation is None:
            return []
        return [(line.sku, a.location) for line in reservation.lines for a in line.allocations]

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
        """Hold stock for every line, or for none (all-or-nothing).

        Reserving again with the same id and the same ``{sku: quantity}`` returns the existing
        reservation (``replayed``), whatever its state. Use :meth:`replace` to change lines.

        Raises:
            ReservationConflictError: the id exists with different lines.
            UnknownSkuError, InvalidQuantityError, InvalidReservationError: bad input.
        """
        existing = self._find(reservation_id)
        if existing is not None:
            if existing.requested == dict(requested):
                return ReserveOutcome(existing, replayed=True)
            raise ReservationConflictError(reservation_id, existing.requested, dict(requested))
        return self._make(
            reservation_id,
            requested,
            now=now,
            expires_at=expires_at,
            owner=owner,
            strategy=strategy,
            previous=None,
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
        """Swap a reservation's lines for ``requested`` in one step (or make it if absent).

        An active reservation's holds are re-planned as if it were released, and swapped only if
        the new lines can all be held: when they cannot, the old reservation stays untouched and
        the outcome carries the shortages. A released or expired reservation is started afresh
        under the same id. The same lines and expiry again is a replay.

        ``expected_version`` makes the swap a compare-and-set: it happens only if the stored
        reservation is at that version (0: absent), so a caller that computed the new lines from
        the reservation it read cannot overwrite a change made since.

        Raises:
            InvalidTransitionError: the reservation is committed.
            ConcurrencyConflictError: ``expected_version`` is not the stored version.
        """
        existing = self._find(reservation_id)
        if expected_version is not None:
            actual = 0 if existing is None else existing.version
            if actual != expected_version:
                raise ConcurrencyConflictError(
                    "reservation", reservation_id, expected_version, actual
                )
        if existing is None:
            return self._make(
                reservation_id,
                requested,
                now=now,
                expires_at=expires_at,
                owner=owner,
                strategy=strategy,
                previous=None,
            )
        if existing.state is ReservationState.COMMITTED:
            raise InvalidTransitionError(
                "reservation",
                str(existing.state),
                "replaced",
                (),
                reason="a committed reservation cannot change",
            )
        if (
            existing.is_active
            and existing.requested == dict(requested)
            and existing.expires_at == expires_at
        ):
            return ReserveOutcome(existing, replayed=True)
        return self._make(
            reservation_id,
            requested,
            now=now,
            expires_at=expires_at,
            owner=owner,
            strategy=strategy,
            previous=existing,
        )

    def _make(
        self,
        reservation_id: str,
        requested: Mapping[str, int],
        *,
        now: datetime,
        expires_at: datetime,
        owner: OwnerKind,
        strategy: AllocationStrategy | None,
        previous: Reservation | None,
    ) -> ReserveOutcome:
        if not reservation_id:
            raise InvalidReservationError(reservation_id, "the id must not be empty")
        if not requested:
            raise InvalidReservationError(reservation_id, "a reservation needs at least one line")
        _check_aware(now, reservation_id)
        _check_aware(expires_at, reservation_id)
        if expires_at <= now:
            raise InvalidReservationError(reservation_id, "expires_at must be after now")
        swapping = previous is not None and previous.is_active
        ignoring = reservation_id if swapping else ""
        lines, shortages, free = self._plan(requested, strategy or _DEFAULT_STRATEGY, ignoring)
        if shortages:
            return ReserveOutcome(None, shortages)
        reservation = Reservation(  # positional, in field order (the common path of a sale)
            reservation_id,
            lines,
            owner,
            ReservationState.ACTIVE,
            now,
            expires_at,
            1 if previous is None else previous.version + 1,
        )
        if swapping:
            assert previous is not None  # noqa: S101 - implied by swapping
            before = self._signals(self._keys(reservation) + self._keys(previous))
            self.version += 1
            self._unhold(previous)
            self._hold(reservation)
        else:
            self.version += 1
            before = self._hold_new(reservation, free)
        self._reservations[reservation_id] = reservation
        event = ReservationReplaced if swapping else StockReserved
        self._record(
            event(
                occurred_at=now,
                reservation_id=reservation_id,
                lines=_line_tuples(reservation),
                expires_at=expires_at,
            )
        )
        if before:
            self._raise_alerts(before, now)
        return ReserveOutcome(reservation)

    def extend(self, reservation_id: str, *, expires_at: datetime, now: datetime) -> Reservation:
        """Push an active reservation's expiry to ``expires_at`` (the same expiry: a replay).

        Raises:
            ReservationNotFoundError: unknown id.
            InvalidTransitionError: it is committed, released or expired.
            ReservationExpiredError: its expiry has passed (even if not yet swept).
        """
        reservation = self._get_reservation(reservation_id)
        if reservation.is_active and reservation.expires_at == expires_at:
            return reservation
        extended = reservation.extended(expires_at, now)
        self.version += 1
        self._reservations[reservation_id] = extended
        self._active[reservation_id] = extended
        self._record(
            ReservationExtended(
                occurred_at=now, reservation_id=reservation_id, expires_at=expires_at
            )
        )
        return extended

    def commit(self, reservation_id: str, *, now: datetime, reference: str = "") -> Reservation:
        """Turn the reservation into a sale: ``SALE`` movements deduct its allocated units.

        Idempotent: committing a committed reservation returns it unchanged. Backordered units
        stay outstanding (they still count against the backorder limit) until
        :meth:`settle_backorder` ships them from received stock.

        Raises:
            ReservationNotFoundError: unknown id.
            InvalidTransitionError: it was released or expired.
            ReservationExpiredError: its expiry has passed (even if not yet swept).
        """
        reservation = self._get_reservation(reservation_id)
        if reservation.state is ReservationState.COMMITTED:
            return reservation
        committed = reservation.closed(ReservationState.COMMITTED, now, reference)
        self.version += 1
        self._active.pop(reservation_id, None)
        # One pass per allocation: release its hold, then its SALE movement (what _unhold with
        # backorders=False and then _move per allocation do; a SALE adds no _applied key).
        # Neither the movements nor their events read the holds, so the result is the same.
        # The same pass gathers the packed lines of the closed reservation (pack_closed).
        items, ledger, events = self._items, self._ledger, self._events
        texts: list[str] = []
        numbers: list[int] = []
        for line in reservation.lines:
            sku = line.sku
            allocations = line.allocations
            texts.append(sku)
            numbers += (line.quantity, line.backordered, len(allocations))
            per_sku = items.get(sku, {})
            for allocation in allocations:
                location = allocation.location
                quantity = allocation.quantity
                texts.append(location)
                numbers.append(quantity)
                item = per_sku[location]
                item.held -= item.holds.pop(reservation_id, 0)
                delta = -quantity
                item.on_hand += delta
                item.stocked = True
                on_hand = item.on_hand
                ledger.append(
                    (
                        sku,
                        location,
                        delta,
                        _SALE,
                        "reservation committed",
                        reservation_id,
                        now,
                        on_hand,
                    )
                )
                events.append(
                    StockMovementRecorded(
                        occurred_at=now,
                        sku=sku,
                        location=location,
                        quantity=delta,
                        kind=_SALE,
                        reference=reservation_id,
                        on_hand=on_hand,
                    )
                )
        self._reservations[reservation_id] = pack_closed(committed, (tuple(texts), tuple(numbers)))
        self._record(
            ReservationCommitted(
                occurred_at=now, reservation_id=reservation_id, reference=reference
            )
        )
        return committed

    def release(self, reservation_id: str, *, now: datetime) -> Reservation:
        """Give the reservation's units back. Idempotent: released or expired ones are returned.

        Raises:
            ReservationNotFoundError: unknown id.
            InvalidTransitionError: it is committed.
        """
        reservation = self._get_reservation(reservation_id)
        if reservation.state in (ReservationState.RELEASED, ReservationState.EXPIRED):
            return reservation
        return self._close(reservation, ReservationState.RELEASED, now)

    def _close(
        self, reservation: Reservation, state: ReservationState, now: datetime
    ) -> Reservation:
        closed = reservation.closed(state, now)
        items = self._items
        before: dict[tuple[str, str], int] = {}
        for line in reservation.lines:  # _signals(_keys(reservation)) in one pass
            per_sku = items.get(line.sku, {})
            for allocation in line.allocations:
                item = per_sku.get(allocation.location)
                before[line.sku, allocation.location] = (
                    _NEW if item is None or not item.stocked else item.signal()
                )
        self.version += 1
        self._unhold(reservation)
        self._reservations[reservation.id] = pack_closed(closed)
        if state is ReservationState.EXPIRED:
            self._record(
                ReservationExpired(
                    occurred_at=now,
                    reservation_id=reservation.id,
                    expires_at=reservation.expires_at,
                )
            )
        else:
            self._record(ReservationReleased(occurred_at=now, reservation_id=reservation.id))
        self._raise_alerts(before, now)
        return closed

    def expire_due(self, now: datetime) -> tuple[Reservation, ...]:
        """Expire every active reservation whose expiry is not after ``now``; return them."""
        _check_aware(now)
        due = [r for r in self._active.values() if r.expires_at <= now]
        return tuple(self._close(r, ReservationState.EXPIRED, now) for r in due)

    def settle_backorder(
        self, reservation_id: str, sku: str, location: str, quantity: int, *, now: datetime
    ) -> Reservation:
        """Ship ``quantity`` backordered units of a committed reservation from ``location``.

        Records a ``SALE`` movement referencing the reservation, moves the units from the line's
        ``backordered`` to its allocations (so the order can build the shipment) and frees that
        much backorder room.

        Raises:
            ReservationNotFoundError, UnknownSkuError, UnknownLocationError: unknown things.
            InvalidTransitionError: the reservation is not committed.
            InvalidQuantityError: more than the line has on backorder.
            InsufficientStockError: ``location`` does not have the units free.
        """
        _check_positive(quantity)
        reservation = self._get_reservation(reservation_id)
        item = self._item(sku, location)
        if reservation.state is not ReservationState.COMMITTED:
            raise InvalidTransitionError(
                "reservation",
                str(reservation.state),
                "settle_backorder",
                (),
                reason="only a committed reservation's backorders can be settled",
            )
        index = next((i for i, line in enumerate(reservation.lines) if line.sku == sku), None)
        if index is None or reservation.lines[index].backordered < quantity:
            owed = 0 if index is None else reservation.lines[index].backordered
            raise InvalidQuantityError(quantity, f"only {owed} units of {sku!r} are backordered")
        if item.free() < quantity:
            raise InsufficientStockError(sku, quantity, item.free(), location)
        line = reservation.lines[index]
        taken = {a.location: a.quantity for a in line.allocations}
        taken[location] = taken.get(location, 0) + quantity
        new_line = ReservationLine(
            sku,
            line.quantity,
            tuple(Allocation(loc, qty) for loc, qty in taken.items()),
            line.backordered - quantity,
        )
        lines = list(reservation.lines)
        lines[index] = new_line
        settled = attrs.evolve(reservation, lines=tuple(lines), version=reservation.version + 1)
        before = self._signals([(sku, location)])
        self.version += 1
        self._reservations[reservation_id] = pack_closed(settled)
        if new_line.backordered:
            self._backorders[sku][reservation_id] = new_line.backordered
        else:
            self._backorders[sku].pop(reservation_id, None)
        self._move(
            sku,
            location,
            item,
            -quantity,
            MovementKind.SALE,
            now=now,
            reason="backorder settled",
            reference=reservation_id,
        )
        self._record(
            BackorderSettled(
                occurred_at=now,
                reservation_id=reservation_id,
                sku=sku,
                location=location,
                quantity=quantity,
            )
        )
        self._raise_alerts(before, now)
        return settled

    # --- queries ---------------------------------------------------------------------------

    def availability(self, sku: str, quantity: int) -> Availability:
        """Units sellable now, per location, backorder room, and the restock date if short.

        The restock date is the earliest ETA at which the incoming stock, in ETA order, covers
        both the units already owed on backorder and this request's shortfall.
        """
        # _check_positive, _policy and _outstanding inlined (the same checks, in the same
        # order): checkout asks once per line
        if type(quantity) is not int or quantity <= 0:
            raise InvalidQuantityError(quantity)
        policy = self._policies.get(sku)
        if policy is None:
            raise UnknownSkuError(sku)
        items = self._items.get(sku, {})
        per_location: dict[str, int] = {}
        for loc in self._ranking:  # _Item.free inlined
            item = items.get(loc)
            if item is not None:
                per_location[loc] = max(0, item.on_hand - item.held - item.safety_stock)
        available = sum(per_location.values())
        owed = self._backorders.get(sku)
        outstanding = sum(owed.values()) if owed else 0
        restock_date = None
        shortfall = quantity - available
        if shortfall > 0:
            needed = shortfall + outstanding
            arriving = 0
            for incoming in sorted(
                (i for i in self._incoming.values() if i.sku == sku), key=lambda i: (i.eta, i.id)
            ):
                arriving += incoming.quantity
                if arriving >= needed:
                    restock_date = incoming.eta
                    break
        # per_location is this answer's own dict: handed over, not copied (checkout asks once
        # per line)
        return _checked_availability(
            sku, quantity, available, per_location, policy.headroom(outstanding), restock_date
        )

    def level(self, sku: str, location: str) -> StockLevel:
        """The stock of ``sku`` at ``location`` (zeros when nothing was ever recorded)."""
        self._policy(sku)
        self._location(location)
        item = self._items.get(sku, {}).get(location)
        if item is None:
            return StockLevel(sku, location, 0, 0)
        return StockLevel(
            sku, location, item.on_hand, item.reserved, item.safety_stock, item.low_stock_threshold
        )

    def levels(self, sku: str) -> tuple[StockLevel, ...]:
        """The stock of ``sku`` at every location that has an item, in ranking order."""
        self._policy(sku)
        items = self._items.get(sku, {})
        return tuple(self.level(sku, loc) for loc in self._ranking if loc in items)

    def reservation(self, reservation_id: str) -> Reservation:
        """The reservation stored under ``reservation_id`` (``ReservationNotFoundError``)."""
        return self._get_reservation(reservation_id)

    def active_reservations(self) -> tuple[Reservation, ...]:
        """Every active reservation."""
        return tuple(self._active.values())

    def ledger(
        self, sku: str | None = None, location: str | None = None
    ) -> tuple[StockMovement, ...]:
        """The ledger, oldest first, optionally for one SKU and/or location."""
        return tuple(
            _movement_of(entry)
            for entry in self._ledger
            if (sku is None or entry[0] == sku) and (location is None or entry[1] == location)
        )

    def incoming(self, sku: str | None = None) -> tuple[IncomingStock, ...]:
        """Expected stock, by ETA."""
        return tuple(
            sorted(
                (i for i in self._incoming.values() if sku is None or i.sku == sku),
                key=lambda i: (i.eta, i.id),
            )
        )

    def outstanding_backorders(self, sku: str) -> int:
        """Units of ``sku`` promised on backorder and not yet settled."""
        self._policy(sku)
        return self._outstanding(sku)

    def locations(self) -> tuple[Location, ...]:
        """Every location in ranking order."""
        return tuple(self._locations[loc] for loc in self._ranking)

    def skus(self) -> tuple[str, ...]:
        """Every defined SKU."""
        return tuple(self._policies)

    def reserved_counts(self) -> dict[tuple[str, str], int]:
        """``reserved`` per (SKU, location) as the book holds it (the sum of its holds)."""
        return {
            (sku, loc): item.reserved
            for sku, per_sku in self._items.items()
            for loc, item in per_sku.items()
        }

    # --- persistence -----------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        """The whole book as JSON primitives (holds are derived again on load)."""
        return {
            "locations": [[loc.id, loc.priority, loc.name] for loc in self._locations.values()],
            "skus": {sku: policy.to_data() for sku, policy in self._policies.items()},
            "items": [
                [sku, loc, item.safety_stock, item.low_stock_threshold]
                for sku, per_sku in self._items.items()
                for loc, item in per_sku.items()
            ],
            "ledger": [
                [sku, location, quantity, kind, reason, reference, occurred_at.isoformat()]
                for sku, location, quantity, kind, reason, reference, occurred_at, _ in self._ledger
            ],
            "reservations": [
                [r.version, r.to_snapshot()]
                for r in (
                    unpack_closed(rid, stored) if isinstance(stored, tuple) else stored
                    for rid, stored in self._reservations.items()
                )
            ],
            "incoming": [
                [i.id, i.sku, i.location, i.quantity, i.eta.isoformat()]
                for i in self._incoming.values()
            ],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], version: int) -> InventoryBook:
        """Rebuild a book: ``on_hand`` by replaying the ledger, holds from the reservations."""
        book = cls(version=version)
        for loc_id, priority, name in data["locations"]:
            book._locations[loc_id] = Location(loc_id, priority, name)
        book._ranking = sorted(book._locations, key=lambda i: (book._locations[i].priority, i))
        for sku, policy in data["skus"].items():
            book._policies[sku] = BackorderPolicy.from_data(policy)
        for sku, loc, safety, threshold in data["items"]:
            item = book._items.setdefault(sku, {}).setdefault(loc, _Item())
            item.safety_stock, item.low_stock_threshold = safety, threshold
        for sku, loc, quantity, kind, reason, reference, at in data["ledger"]:
            item = book._items[sku][loc]
            item.on_hand += quantity
            item.stocked = True
            text = str(MovementKind(kind))
            moment = datetime.fromisoformat(at)
            book._ledger.append((sku, loc, quantity, text, reason, reference, moment, item.on_hand))
            if reference and text != _SALE:
                book._applied.add((text, sku, loc, reference))
        for res_version, snapshot in data["reservations"]:
            reservation = Reservation.from_snapshot(snapshot, res_version)
            if reservation.is_active:
                book._reservations[reservation.id] = reservation
                book._hold(reservation)
                continue
            book._reservations[reservation.id] = pack_closed(reservation)
            if reservation.state is ReservationState.COMMITTED:
                for line in reservation.lines:
                    if line.backordered:
                        book._backorders.setdefault(line.sku, {})[reservation.id] = line.backordered
        for inc_id, sku, loc, quantity, eta in data["incoming"]:
            book._incoming[inc_id] = IncomingStock(
                inc_id, sku, loc, quantity, datetime.fromisoformat(eta)
            )
        return book
