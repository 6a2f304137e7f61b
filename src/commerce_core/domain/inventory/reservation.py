"""Reservations: stock held for a cart or an order until it is committed, released or expires."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from commerce_core.domain.inventory.values import Allocation, ReservationLine
from commerce_core.domain.shoppers import OwnerKind
from commerce_core.domain.state_machine import TransitionTable
from commerce_core.errors import (
    InvalidReservationError,
    InvalidTransitionError,
    ReservationExpiredError,
)

__all__ = [
    "ClosedReservation",
    "Reservation",
    "ReservationState",
    "RESERVATION_LIFECYCLE",
    "pack_closed",
    "reserved_from",
    "unpack_closed",
]


class ReservationState(enum.StrEnum):
    """Where a reservation is in its lifecycle (see :data:`RESERVATION_LIFECYCLE`)."""

    ACTIVE = "active"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


RESERVATION_LIFECYCLE = TransitionTable(
    machine="reservation",
    initial=ReservationState.ACTIVE,
    edges={
        ReservationState.ACTIVE: {
            ReservationState.COMMITTED,
            ReservationState.RELEASED,
            ReservationState.EXPIRED,
        },
        ReservationState.COMMITTED: set(),
        ReservationState.RELEASED: set(),
        ReservationState.EXPIRED: set(),
    },
    terminal={ReservationState.COMMITTED, ReservationState.RELEASED, ReservationState.EXPIRED},
)
"""The reservation lifecycle: ``active -> committed | released | expired``, all terminal."""


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@attrs.frozen
class Reservation:
    """Stock held under a caller-chosen id (the cart or order id).

    Immutable: every change (replace, extend, commit, release, expire, settle a backorder) makes
    a new value with ``version`` increased, so what a store hands out can never be changed behind
    its back.

    Attributes:
        id: the caller's id.
        lines: the reserved lines, one per SKU, with their allocations.
        owner: guest or customer (decides the default time-to-live).
        state: where it is in :data:`RESERVATION_LIFECYCLE`.
        created_at: when it was first made.
        expires_at: when it lapses unless extended or committed.
        version: 1 when made, +1 on every change.
        reference: what committed it (an order number), once committed.
        closed_at: when it was committed, released or expired.
    """

    id: str
    lines: tuple[ReservationLine, ...]
    owner: OwnerKind
    state: ReservationState
    created_at: datetime
    expires_at: datetime
    version: int = 1
    reference: str = ""
    closed_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        if not self.id:
            raise InvalidReservationError(self.id, "the id must not be empty")
        if not self.lines:
            raise InvalidReservationError(self.id, "a reservation needs at least one line")
        if self.created_at.tzinfo is None or self.expires_at.tzinfo is None:
            raise InvalidReservationError(self.id, "times must be timezone-aware")
        if self.expires_at <= self.created_at:
            raise InvalidReservationError(self.id, "expires_at must be after created_at")

    @property
    def requested(self) -> dict[str, int]:
        """The reserved quantities as ``{sku: quantity}``."""
        return {line.sku: line.quantity for line in self.lines}

    @property
    def is_active(self) -> bool:
        """Whether it still holds stock."""
        return self.state is ReservationState.ACTIVE

    @property
    def backordered(self) -> int:
        """Units on backorder across its lines."""
        return sum(line.backordered for line in self.lines)

    def line(self, sku: str) -> ReservationLine:
        """The line for ``sku`` (``KeyError`` when absent)."""
        for line in self.lines:
            if line.sku == sku:
                return line
        raise KeyError(sku)

    def is_due(self, now: datetime) -> bool:
        """Whether it is active and its expiry is not after ``now``."""
        return self.state is ReservationState.ACTIVE and self.expires_at <= now

    def _expired_error(self, requested: str) -> ReservationExpiredError:
        return ReservationExpiredError(
            self.id, str(self.state), requested, self.expires_at.isoformat()
        )

    def closed(self, state: ReservationState, now: datetime, reference: str = "") -> Reservation:
        """The reservation moved to a terminal ``state`` at ``now``.

        Raises:
            InvalidTransitionError: ``state`` is not reachable from the current one, or expiring
                before ``expires_at``.
            ReservationExpiredError: committing at or after ``expires_at``.
        """
        RESERVATION_LIFECYCLE.check(self.state, state)
        if state is ReservationState.COMMITTED and self.expires_at <= now:
            raise self._expired_error(str(state))
        if state is ReservationState.EXPIRED and self.expires_at > now:
            raise InvalidTransitionError(
                "reservation",
                str(self.state),
                str(state),
                sorted(RESERVATION_LIFECYCLE.allowed(self.state)),
                reason=f"it only expires at {self.expires_at.isoformat()}",
            )
        return Reservation(
            self.id,
            self.lines,
            self.owner,
            state,
            self.created_at,
            self.expires_at,
            self.version + 1,
            reference,
            now,
        )

    def extended(self, expires_at: datetime, now: datetime) -> Reservation:
        """The reservation with its expiry moved to ``expires_at``.

        Raises:
            InvalidTransitionError: it is not active (committed, released or expired).
            ReservationExpiredError: it is active but its expiry is not after ``now``.
            InvalidReservationError: ``expires_at`` is not after ``now``.
        """
        if not self.is_active:
            raise InvalidTransitionError(
                "reservation",
                str(self.state),
                "extended",
                (),
                reason="only an active reservation can be extended",
            )
        if self.expires_at <= now:
            raise self._expired_error("extended")
        if expires_at.tzinfo is None or expires_at <= now:
            raise InvalidReservationError(self.id, "a new expiry must be a future, aware time")
        return attrs.evolve(self, expires_at=expires_at, version=self.version + 1)

    def to_snapshot(self) -> dict[str, Any]:
        """The reservation as JSON primitives (ISO strings for times)."""
        return {
            "id": self.id,
            "lines": [line.to_data() for line in self.lines],
            "owner": str(self.owner),
            "state": str(self.state),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "reference": self.reference,
            "closed_at": _iso(self.closed_at),
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], version: int) -> Reservation:
        """Rebuild a reservation from :meth:`to_snapshot` and its stored version."""
        return cls(
            id=str(data["id"]),
            lines=tuple(ReservationLine.from_data(line) for line in data["lines"]),
            owner=OwnerKind(data["owner"]),
            state=ReservationState(data["state"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            expires_at=datetime.fromisoformat(data["expires_at"]),
            version=version,
            reference=str(data["reference"]),
            closed_at=_from_iso(data["closed_at"]),
        )


ClosedReservation = tuple[
    str, str, datetime, datetime, int, str, datetime | None, tuple[str, ...], tuple[int, ...]
]
"""A closed reservation as atoms, without its id (the key it is stored under).

``(state, owner, created_at, expires_at, version, reference, closed_at, texts, numbers)``: the
state and owner as plain strings; the lines flattened into ``texts`` (per line: the SKU, then
each allocation's location) and ``numbers`` (per line: quantity, backordered, the number of
allocations, then each allocation's units). A store keeps every closed reservation forever (so
commit and release stay idempotent). Tuples holding only strings, integers and datetimes are
untracked by Python's cyclic garbage collector once it has seen them, and flat ones at the first
pass; a closed :class:`Reservation` is five tracked objects (it, its lines, a line, allocations
and their tuples) that every full collection would walk again.
"""


def pack_closed(
    reservation: Reservation, lines: tuple[tuple[str, ...], tuple[int, ...]] | None = None
) -> ClosedReservation:
    """The :data:`ClosedReservation` atoms of ``reservation`` (:func:`unpack_closed` inverts it).

    ``lines``: the ``(texts, numbers)`` of ``reservation.lines`` when the caller gathered them
    already (as it walked the lines for another reason); they must be what this function would
    gather.

    >>> from datetime import UTC, datetime, timedelta
    >>> from commerce_core.domain.inventory.values import Allocation
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> line = ReservationLine("tee", 4, (Allocation("a", 2), Allocation("b", 1)), 1)
    >>> r = Reservation(
    ...     "cart-1", (line,), OwnerKind.GUEST, ReservationState.ACTIVE, t, t + timedelta(1)
    ... ).closed(ReservationState.RELEASED, t)
    >>> pack_closed(r)[0], pack_closed(r)[7:]
    ('released', (('tee', 'a', 'b'), (4, 1, 2, 2, 1)))
    >>> unpack_closed("cart-1", pack_closed(r)) == r
    True
    """
    if lines is None:
        lines = _pack_lines(reservation.lines)
    return (
        str(reservation.state),
        str(reservation.owner),
        reservation.created_at,
        reservation.expires_at,
        reservation.version,
        reservation.reference,
        reservation.closed_at,
        *lines,
    )


def _pack_lines(lines: Iterable[ReservationLine]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The ``(texts, numbers)`` of :data:`ClosedReservation` for ``lines``."""
    # Plain loops: this runs on every release.
    texts: list[str] = []
    numbers: list[int] = []
    for line in lines:
        texts.append(line.sku)
        numbers.append(line.quantity)
        numbers.append(line.backordered)
        numbers.append(len(line.allocations))
        for allocation in line.allocations:
            texts.append(allocation.location)
            numbers.append(allocation.quantity)
    return tuple(texts), tuple(numbers)


def unpack_closed(reservation_id: str, packed: ClosedReservation) -> Reservation:
    """The :class:`Reservation` that :func:`pack_closed` made ``packed`` from (equal to it)."""
    state, owner, created_at, expires_at, version, reference, closed_at, texts, numbers = packed
    lines: list[ReservationLine] = []
    text, number = 0, 0
    while text < len(texts):
        sku = texts[text]
        quantity, backordered, count = numbers[number], numbers[number + 1], numbers[number + 2]
        text, number = text + 1, number + 3
        allocations: list[Allocation] = []
        for _ in range(count):
            allocations.append(Allocation(texts[text], numbers[number]))
            text, number = text + 1, number + 1
        lines.append(ReservationLine(sku, quantity, tuple(allocations), backordered))
    return Reservation(
        reservation_id,
        tuple(lines),
        OwnerKind(owner),
        ReservationState(state),
        created_at,
        expires_at,
        version,
        reference,
        closed_at,
    )


def reserved_from(reservations: Iterable[Reservation]) -> dict[tuple[str, str], int]:
    """``reserved`` per (SKU, location) recomputed from the reservations that are active.

    >>> from datetime import UTC, datetime, timedelta
    >>> from commerce_core.domain.inventory.values import Allocation
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> line = ReservationLine("tee", 3, (Allocation("a", 2), Allocation("b", 1)))
    >>> r = Reservation(
    ...     "cart-1", (line,), OwnerKind.GUEST, ReservationState.ACTIVE, t, t + timedelta(1)
    ... )
    >>> reserved_from([r])
    {('tee', 'a'): 2, ('tee', 'b'): 1}
    """
    totals: dict[tuple[str, str], int] = {}
    for reservation in reservations:
        if not reservation.is_active:
            continue
        for line in reservation.lines:
            for allocation in line.allocations:
                key = (line.sku, allocation.location)
                totals[key] = totals.get(key, 0) + allocation.quantity
    return totals
