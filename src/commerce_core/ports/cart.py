"""The CartRepository port: where carts are kept between requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from commerce_core.domain.cart import Cart, CartOwner, CartStatus

__all__ = ["CartRepository"]


@runtime_checkable
class CartRepository(Protocol):
    """Stores carts as snapshots guarded by an optimistic version check.

    Atomicity: ``save`` stores the whole cart or nothing. Concurrency: ``save`` succeeds only if
    the stored version still equals ``cart.version`` (0 for a new cart); it then sets
    ``cart.version`` to the new version. Of several writers that loaded the same version,
    exactly one wins; the others get :class:`ConcurrencyConflictError` and nothing changes.
    Saving the same cart object twice without changes is a new version (not deduplicated).
    """

    def get(self, cart_id: str) -> Cart:
        """The cart ``cart_id``, as last saved.

        Raises:
            NotFoundError: no such cart (kind ``"cart"``).
        """
        ...

    def save(self, cart: Cart) -> None:
        """Store ``cart`` if nobody saved it since it was loaded; bump ``cart.version``.

        Raises:
            ConcurrencyConflictError: the stored version is not ``cart.version``.
        """
        ...

    def find_by_owner(
        self, owner: CartOwner, statuses: Sequence[CartStatus] = (CartStatus.ACTIVE,)
    ) -> Cart | None:
        """The most recently updated cart of ``owner`` in one of ``statuses`` (None: none)."""
        ...

    def find_idle_since(
        self, cutoff: datetime, statuses: Sequence[CartStatus] = (CartStatus.ACTIVE,)
    ) -> Sequence[Cart]:
        """Carts in ``statuses`` with ``updated_at < cutoff``, oldest first."""
        ...
