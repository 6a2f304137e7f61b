"""Inventory values: requests, allocations, stock levels, ledger movements, policies, answers."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import attrs

from commerce_core.domain.shoppers import OwnerKind
from commerce_core.errors import InvalidInventoryValueError, InvalidQuantityError

__all__ = [
    "Availability",
    "Allocation",
    "BackorderMode",
    "BackorderPolicy",
    "IncomingStock",
    "Location",
    "MovementKind",
    "ReservationLine",
    "ReservationTtl",
    "Shortage",
    "StockLevel",
    "StockMovement",
    "StockRequest",
    "merge_requests",
    "on_hand_from",
]


def _freeze_counts(counts: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(counts))


def _positive(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value <= 0:
        raise InvalidQuantityError(value, f"{attribute.name} must be a positive integer")


def _not_negative(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 0:
        raise InvalidQuantityError(value, f"{attribute.name} must be a whole number >= 0")


def _aware(_inst: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInventoryValueError(attribute.name, value, "must be a timezone-aware datetime")


def _non_empty(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidInventoryValueError(attribute.name, value, "must be a non-empty string")


@attrs.frozen
class Availability:
    """The answer to "can I sell ``requested`` units of ``sku``?" (a query, not a reservation).

    Attributes:
        sku: the stock-keeping unit asked about.
        requested: the quantity asked about.
        available: units sellable now across all locations (never negative).
        per_location: units sellable now per location id.
        backorderable: extra units that may be sold on backorder (0 when backorders are denied;
            ``None`` when unlimited).
        restock_date: the earliest incoming-stock ETA covering the shortfall, if any.
    """

    sku: str
    requested: int
    available: int
    per_location: Mapping[str, int] = attrs.field(factory=dict, converter=_freeze_counts)
    backorderable: int | None = 0
    restock_date: datetime | None = None

    @property
    def can_fulfil(self) -> bool:
        """Whether ``requested`` units can be sold now, from stock or on backorder."""
        if self.requested <= self.available:
            return True
        if self.backorderable is None:
            return True
        return self.requested <= self.available + self.backorderable

    @property
    def shortfall(self) -> int:
        """Units of ``requested`` not covered by stock on hand now (0 when in stock)."""
        return max(0, self.requested - self.available)


def _checked_availability(  # noqa: PLR0917 - the fields, in order
    sku: str,
    requested: int,
    available: int,
    per_location: dict[str, int],
    backorderable: int | None,
    restock_date: datetime | None,
) -> Availability:
    """``Availability(...)`` of the same values, for a ``per_location`` dict the caller made.

    The validating constructor copies ``per_location`` into a new read-only mapping; a book
    that built the dict for this answer alone (and keeps no reference to it) hands it over
    instead: the answer is equal and holds a read-only view that nothing else can change.
    Anything but an exact ``dict`` takes the constructor.
    """
    if type(per_location) is not dict:
        return Availability(sku, requested, available, per_location, backorderable, restock_date)
    answer = object.__new__(Availability)
    _set(answer, "sku", sku)
    _set(answer, "requested", requested)
    _set(answer, "available", available)
    _set(answer, "per_location", MappingProxyType(per_location))
    _set(answer, "backorderable", backorderable)
    _set(answer, "restock_date", restock_date)
    return answer


@attrs.frozen
class ReservationTtl:
    """Default time-to-live of a reservation, per owner kind.

    Guests abandon carts more often than signed-in customers, so their holds are shorter.

    >>> ReservationTtl().for_owner(OwnerKind.GUEST)
    datetime.timedelta(seconds=900)
    """

    guest: timedelta = timedelta(minutes=15)
    customer: timedelta = timedelta(hours=1)

    def __attrs_post_init__(self) -> None:
        ttls: tuple[tuple[str, object], ...] = (("guest", self.guest), ("customer", self.customer))
        for field, ttl in ttls:
            if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
                raise InvalidInventoryValueError(
                    field, ttl, "reservation time-to-live must be a positive timedelta"
                )

    def for_owner(self, owner: OwnerKind) -> timedelta:
        """The default time-to-live for ``owner``."""
        return self.customer if owner is OwnerKind.CUSTOMER else self.guest


class BackorderMode(enum.StrEnum):
    """Whether a SKU may be sold beyond its stock."""

    DENY = "deny"
    LIMITED = "limited"
    UNLIMITED = "unlimited"


@attrs.frozen
class BackorderPolicy:
    """How many units of a SKU may be promised beyond stock (backorders and preorders).

    Backordered units are held on the reservation line without a location; they count against
    ``limit`` from the moment they are reserved until they are settled from received stock, so
    the limit caps every unit promised and not yet shipped.

    Attributes:
        mode: deny (default), limited, or unlimited.
        limit: the most units outstanding on backorder at once (``LIMITED`` only).
        preorder: a label: the units are a preorder of a product not yet released. It changes
            wording in notifications, not arithmetic.
    """

    mode: BackorderMode = BackorderMode.DENY
    limit: int = 0
    preorder: bool = False

    def __attrs_post_init__(self) -> None:
        if type(self.limit) is not int or self.limit < 0:
            raise InvalidQuantityError(self.limit, "backorder limit must be a whole number >= 0")
        if self.mode is not BackorderMode.LIMITED and self.limit:
            raise InvalidQuantityError(self.limit, "only a LIMITED backorder policy has a limit")

    @classmethod
    def deny(cls) -> BackorderPolicy:
        """Never sell beyond stock (the default)."""
        return cls()

    @classmethod
    def up_to(cls, limit: int, *, preorder: bool = False) -> BackorderPolicy:
        """Allow at most ``limit`` units outstanding on backorder (or preorder)."""
        return cls(BackorderMode.LIMITED, limit, preorder)

    @classmethod
    def unlimited(cls, *, preorder: bool = False) -> BackorderPolicy:
        """Allow any quantity on backorder (or preorder)."""
        return cls(BackorderMode.UNLIMITED, 0, preorder)

    def headroom(self, outstanding: int) -> int | None:
        """Units that may still go on backorder given ``outstanding`` ones (``None``: no cap)."""
        if self.mode is BackorderMode.UNLIMITED:
            return None
        if self.mode is BackorderMode.DENY:
            return 0
        return max(0, self.limit - outstanding)

    def to_data(self) -> dict[str, Any]:
        """The policy as primitives."""
        return {"mode": str(self.mode), "limit": self.limit, "preorder": self.preorder}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> BackorderPolicy:
        """Rebuild a policy from :meth:`to_data`."""
        return cls(BackorderMode(data["mode"]), int(data["limit"]), bool(data["preorder"]))


@attrs.frozen
class Location:
    """A place stock is kept (warehouse, store, drop-shipper).

    Attributes:
        id: the location id.
        priority: allocation order, lower first; ties broken by id.
        name: a display name.

    Raises:
        InvalidInventoryValueError: an empty id.
    """

    id: str = attrs.field(validator=_non_empty)
    priority: int = 100
    name: str = ""


@attrs.frozen
class StockRequest:
    """One line of a reservation request: ``quantity`` units of ``sku``.

    Raises:
        InvalidQuantityError: ``quantity`` is not a positive integer.
    """

    sku: str = attrs.field(validator=_non_empty)
    quantity: int = attrs.field(validator=_positive)


def merge_requests(lines: Iterable[StockRequest | tuple[str, int]]) -> dict[str, int]:
    """Requested quantities per SKU, in first-seen order, duplicate SKUs summed.

    >>> merge_requests([("tee", 1), StockRequest("mug", 2), ("tee", 3)])
    {'tee': 4, 'mug': 2}
    """
    merged: dict[str, int] = {}
    for line in lines:
        if type(line) is tuple and len(line) == 2:
            # The common case without building a StockRequest: the checks it would make.
            sku, quantity = line
            if type(sku) is str and sku and type(quantity) is int and quantity > 0:
                merged[sku] = merged.get(sku, 0) + quantity
                continue
        request = line if isinstance(line, StockRequest) else StockRequest(*line)
        merged[request.sku] = merged.get(request.sku, 0) + request.quantity
    return merged


@attrs.frozen
class Allocation:
    """``quantity`` units taken from stock at ``location``."""

    location: str
    quantity: int = attrs.field(validator=_positive)


def _checked_allocation(location: str, quantity: int) -> Allocation:
    """``Allocation(location, quantity)`` for a book that already checked ``quantity``.

    Builds exactly what the validating constructor builds when ``quantity`` is an ``int`` above
    zero, without its validator call; anything else takes the validating constructor (and its
    error).
    """
    if type(quantity) is not int or quantity <= 0:
        return Allocation(location, quantity)
    allocation = object.__new__(Allocation)
    _set(allocation, "location", location)
    _set(allocation, "quantity", quantity)
    return allocation


_set = object.__setattr__
"""Sets a field of a frozen value that a ``checked_*`` builder is making."""


@attrs.frozen
class ReservationLine:
    """A reserved line: where its units come from.

    Attributes:
        sku: the SKU.
        quantity: units reserved in total (``sum(allocations) + backordered``).
        allocations: units held from stock, per location, in allocation order. Orders build
            shipments from these.
        backordered: units promised beyond stock (no location yet).
    """

    sku: str
    quantity: int = attrs.field(validator=_positive)
    allocations: tuple[Allocation, ...] = ()
    backordered: int = attrs.field(default=0, validator=_not_negative)

    def __attrs_post_init__(self) -> None:
        held = sum(a.quantity for a in self.allocations)
        if held + self.backordered != self.quantity:
            raise InvalidQuantityError(
                self.quantity,
                f"line quantity must equal allocated ({held}) plus backordered "
                f"({self.backordered})",
            )

    @property
    def allocated(self) -> int:
        """Units held from stock (all locations)."""
        return self.quantity - self.backordered

    def to_data(self) -> dict[str, Any]:
        """The line as primitives."""
        return {
            "sku": self.sku,
            "quantity": self.quantity,
            "allocations": [[a.location, a.quantity] for a in self.allocations],
            "backordered": self.backordered,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ReservationLine:
        """Rebuild a line from :meth:`to_data`."""
        return cls(
            str(data["sku"]),
            int(data["quantity"]),
            tuple(Allocation(str(loc), int(qty)) for loc, qty in data["allocations"]),
            int(data["backordered"]),
        )


def _checked_line(
    sku: str, quantity: int, allocations: tuple[Allocation, ...], backordered: int
) -> ReservationLine:
    """``ReservationLine(sku, quantity, allocations, backordered)`` for a book's checked values.

    Builds exactly what the validating constructor builds when ``quantity`` is an ``int`` above
    zero, ``backordered`` an ``int`` of at least zero and the allocations add up to
    ``quantity - backordered``, without the validator and post-init calls; anything else takes
    the validating constructor (and its error).
    """
    held = 0
    for allocation in allocations:
        held += allocation.quantity
    if (
        type(quantity) is not int
        or quantity <= 0
        or type(backordered) is not int
        or backordered < 0
        or held + backordered != quantity
    ):
        return ReservationLine(sku, quantity, allocations, backordered)
    line = object.__new__(ReservationLine)
    _set(line, "sku", sku)
    _set(line, "quantity", quantity)
    _set(line, "allocations", allocations)
    _set(line, "backordered", backordered)
    return line


class MovementKind(enum.StrEnum):
    """Why ``on_hand`` changed: every change is one of these ledger movements."""

    RECEIVE = "receive"
    SALE = "sale"
    RETURN = "return"
    COUNT_CORRECTION = "count_correction"
    WRITE_OFF = "write_off"


@attrs.frozen
class StockMovement:
    """One line of the stock ledger: ``on_hand`` of (sku, location) changed by ``quantity``.

    Attributes:
        sku: the SKU.
        location: the location.
        quantity: the signed change (receipts positive, sales and write-offs negative).
        kind: the movement kind.
        reason: free text (``"damaged in transit"``).
        reference: what caused it (a reservation id for sales, a PO number for receipts...).
        occurred_at: when.
        on_hand_after: ``on_hand`` right after this movement.
    """

    sku: str
    location: str
    quantity: int
    kind: MovementKind
    reason: str
    reference: str
    occurred_at: datetime
    on_hand_after: int


@attrs.frozen
class IncomingStock:
    """Stock on its way (a purchase order or a transfer) with an estimated arrival.

    An ETA in the past is accepted on purpose: it is an overdue delivery, still expected until
    it is received or cancelled, and availability reports that past date as the restock date
    (so a host can show "overdue" rather than silently losing the purchase order).

    Attributes:
        id: the caller's id (PO number).
        sku: the SKU.
        location: where it will arrive.
        quantity: units expected.
        eta: estimated arrival (timezone-aware; a past ETA means overdue).

    Raises:
        InvalidInventoryValueError: an empty id, SKU or location, or a naive ETA.
        InvalidQuantityError: a quantity that is not a positive integer.
    """

    id: str = attrs.field(validator=_non_empty)
    sku: str = attrs.field(validator=_non_empty)
    location: str = attrs.field(validator=_non_empty)
    quantity: int = attrs.field(validator=_positive)
    eta: datetime = attrs.field(validator=_aware)


@attrs.frozen
class StockLevel:
    """The stock of one SKU at one location, at a moment.

    Attributes:
        sku: the SKU.
        location: the location.
        on_hand: units physically there (the sum of the ledger).
        reserved: units held by active reservations (derived from them).
        safety_stock: units never offered for sale.
        low_stock_threshold: ``available`` at or below this raises ``LowStock`` (``None``: off).
    """

    sku: str
    location: str
    on_hand: int
    reserved: int
    safety_stock: int = 0
    low_stock_threshold: int | None = None

    @property
    def available(self) -> int:
        """Units that can be reserved now: ``on_hand - reserved - safety_stock``, at least 0."""
        return max(0, self.on_hand - self.reserved - self.safety_stock)


@attrs.frozen
class Shortage:
    """Why a reservation could not be made: a SKU lacks stock (and backorder room).

    Attributes:
        sku: the SKU.
        requested: units requested.
        allocated: units the allocation strategy could take from stock.
        backorderable: units that could have gone on backorder (``None``: unlimited).
    """

    sku: str
    requested: int
    allocated: int
    backorderable: int | None


def on_hand_from(movements: Iterable[StockMovement]) -> dict[tuple[str, str], int]:
    """``on_hand`` per (SKU, location) recomputed by summing ledger movements."""
    totals: dict[tuple[str, str], int] = {}
    for movement in movements:
        key = (movement.sku, movement.location)
        totals[key] = totals.get(key, 0) + movement.quantity
    return totals
