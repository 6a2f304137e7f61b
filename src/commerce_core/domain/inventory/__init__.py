"""Inventory: stock per location, a ledger, reservations, allocation, backorders and alerts.

The pure rules live here; :mod:`commerce_core.ports.inventory` says what a store must guarantee
and :mod:`commerce_core.services.inventory` orchestrates them with a clock and a notifier.
"""

from commerce_core.domain.inventory.allocation import (
    AllocationStrategy,
    Plan,
    PreferLocations,
    PriorityOrder,
    SingleLocationFirst,
)
from commerce_core.domain.inventory.book import InventoryBook, ReserveOutcome
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
    StockAlert,
    StockMovementRecorded,
    StockReserved,
)
from commerce_core.domain.inventory.reservation import (
    RESERVATION_LIFECYCLE,
    Reservation,
    ReservationState,
    reserved_from,
)
from commerce_core.domain.inventory.values import (
    Allocation,
    Availability,
    BackorderMode,
    BackorderPolicy,
    IncomingStock,
    Location,
    MovementKind,
    ReservationLine,
    ReservationTtl,
    Shortage,
    StockLevel,
    StockMovement,
    StockRequest,
    merge_requests,
    on_hand_from,
)

__all__ = [
    "Allocation",
    "AllocationStrategy",
    "Availability",
    "BackInStock",
    "BackorderMode",
    "BackorderPolicy",
    "BackorderSettled",
    "IncomingStock",
    "InventoryBook",
    "Location",
    "LowStock",
    "MovementKind",
    "OutOfStock",
    "Plan",
    "PreferLocations",
    "PriorityOrder",
    "RESERVATION_LIFECYCLE",
    "Reservation",
    "ReservationCommitted",
    "ReservationExpired",
    "ReservationExtended",
    "ReservationLine",
    "ReservationReleased",
    "ReservationReplaced",
    "ReservationState",
    "ReservationTtl",
    "ReserveOutcome",
    "Shortage",
    "SingleLocationFirst",
    "StockAlert",
    "StockLevel",
    "StockMovement",
    "StockMovementRecorded",
    "StockRequest",
    "StockReserved",
    "merge_requests",
    "on_hand_from",
    "reserved_from",
]
