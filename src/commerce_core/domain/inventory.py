"""Inventory: stock per location, reservations with expiry, allocation, backorders, alerts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

__all__ = ["Availability"]


def _freeze_counts(counts: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(counts))


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
