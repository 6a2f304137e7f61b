"""Inventory domain events: what happened to stock and reservations, and the stock alerts."""

from __future__ import annotations

from datetime import datetime

import attrs

from commerce_core.domain.events import DomainEvent

__all__ = [
    "StockMovementRecorded",
    "StockReserved",
    "ReservationReplaced",
    "ReservationExtended",
    "ReservationCommitted",
    "ReservationReleased",
    "ReservationExpired",
    "BackorderSettled",
    "StockAlert",
    "LowStock",
    "OutOfStock",
    "BackInStock",
]


@attrs.frozen(kw_only=True)
class StockMovementRecorded(DomainEvent):
    """A ledger movement changed ``on_hand`` (receipt, sale, return, correction, write-off)."""

    sku: str
    location: str
    quantity: int
    kind: str
    reference: str
    on_hand: int


@attrs.frozen(kw_only=True)
class StockReserved(DomainEvent):
    """A reservation was made: ``lines`` are ``(sku, quantity, backordered)`` triples."""

    reservation_id: str
    lines: tuple[tuple[str, int, int], ...]
    expires_at: datetime


@attrs.frozen(kw_only=True)
class ReservationReplaced(DomainEvent):
    """An active reservation's lines were swapped for new ones in one step."""

    reservation_id: str
    lines: tuple[tuple[str, int, int], ...]
    expires_at: datetime


@attrs.frozen(kw_only=True)
class ReservationExtended(DomainEvent):
    """An active reservation's expiry was pushed back."""

    reservation_id: str
    expires_at: datetime


@attrs.frozen(kw_only=True)
class ReservationCommitted(DomainEvent):
    """A reservation became a sale: its allocated units left ``on_hand``."""

    reservation_id: str
    reference: str


@attrs.frozen(kw_only=True)
class ReservationReleased(DomainEvent):
    """A reservation was given up; its units are available again."""

    reservation_id: str


@attrs.frozen(kw_only=True)
class ReservationExpired(DomainEvent):
    """A reservation passed its expiry and an expiry sweep released its units."""

    reservation_id: str
    expires_at: datetime


@attrs.frozen(kw_only=True)
class BackorderSettled(DomainEvent):
    """Backordered units of a committed reservation were shipped from received stock."""

    reservation_id: str
    sku: str
    location: str
    quantity: int


@attrs.frozen(kw_only=True)
class StockAlert(DomainEvent):
    """Base of the stock alerts, raised once per threshold crossing of ``available``.

    ``sequence`` is the store revision that crossed the threshold: with the event type, SKU and
    location it identifies the crossing (used as the notification's deduplication key).
    """

    sku: str
    location: str
    available: int
    sequence: int

    @property
    def key(self) -> str:
        """A stable identity of this crossing."""
        return f"inventory:{self.event_type}:{self.sku}:{self.location}:{self.sequence}"


@attrs.frozen(kw_only=True)
class LowStock(StockAlert):
    """``available`` fell to or below the low-stock threshold (from above it)."""

    threshold: int


@attrs.frozen(kw_only=True)
class OutOfStock(StockAlert):
    """``available`` fell to zero."""


@attrs.frozen(kw_only=True)
class BackInStock(StockAlert):
    """``available`` rose above zero again."""
