"""Inventory ports."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from commerce_core.domain.inventory import Availability

__all__ = ["AvailabilityQuery"]


@runtime_checkable
class AvailabilityQuery(Protocol):
    """Answers stock questions without reserving anything (used by carts on add/change).

    Raises ``NotFoundError`` for an unknown SKU and ``InvalidQuantityError`` for a quantity that is
    not a positive integer. Read-only, so trivially idempotent.
    """

    def availability(self, sku: str, quantity: int) -> Availability:
        """How many units of ``sku`` can be sold now, and whether ``quantity`` can."""
        ...
