"""Who is shopping: shared by carts (ownership) and inventory (reservation time-to-live)."""

from __future__ import annotations

import enum

__all__ = ["OwnerKind"]


class OwnerKind(enum.StrEnum):
    """Whether a shopper is a guest (a session token) or a signed-in customer."""

    GUEST = "guest"
    CUSTOMER = "customer"
