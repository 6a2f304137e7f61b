"""In-memory adapters for carts: catalog, unlimited stock (digital goods), cart repository."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from commerce_core.adapters.memory.core import VersionedSnapshotStore
from commerce_core.domain.cart import Cart, CartOwner, CartStatus
from commerce_core.domain.catalog import CatalogItem, check_quantity
from commerce_core.domain.inventory import Availability
from commerce_core.errors import UnknownSkuError

__all__ = ["InMemoryCatalog", "UnlimitedStock", "InMemoryCartRepository"]


class InMemoryCatalog:
    """A thread-safe dict of :class:`CatalogItem` by SKU (implements the ``Catalog`` port)."""

    def __init__(self, items: Iterable[CatalogItem] = ()) -> None:
        self._items: dict[str, CatalogItem] = {}
        self._lock = threading.Lock()
        for item in items:
            self.put(item)

    def put(self, item: CatalogItem) -> None:
        """Add or replace an item (a price change, for instance)."""
        with self._lock:
            self._items[item.sku] = item

    def remove(self, sku: str) -> None:
        """Delist ``sku`` (no error when absent)."""
        with self._lock:
            self._items.pop(sku, None)

    def get(self, sku: str) -> CatalogItem:
        """The item with ``sku``.

        Raises:
            UnknownSkuError: no such SKU.
        """
        with self._lock:
            item = self._items.get(sku)
        if item is None:
            raise UnknownSkuError(sku)
        return item

    def get_many(self, skus: Iterable[str]) -> Mapping[str, CatalogItem]:
        """The known items among ``skus``."""
        with self._lock:
            return {sku: self._items[sku] for sku in skus if sku in self._items}


class UnlimitedStock:
    """An ``AvailabilityQuery`` for goods that never run out: every quantity can be sold.

    Use it for carts that sell only digital goods (downloads, licences, gift cards) or in a
    host that does not track stock at all. Wherever stock is counted, pass the real
    :class:`~commerce_core.services.inventory.InventoryService` (it satisfies
    ``AvailabilityQuery``) instead. Stateless, so thread-safe.
    """

    def availability(self, sku: str, quantity: int) -> Availability:
        """``quantity`` units of ``sku`` are available, with unlimited backorder room.

        Raises:
            InvalidQuantityError: ``quantity`` is not a positive int.
        """
        check_quantity(quantity)
        return Availability(sku, quantity, quantity, backorderable=None)


class InMemoryCartRepository:
    """The ``CartRepository`` port over a :class:`VersionedSnapshotStore` (thread-safe)."""

    def __init__(self) -> None:
        self._store: VersionedSnapshotStore[Cart] = VersionedSnapshotStore(
            "cart",
            Cart.to_snapshot,
            Cart.from_snapshot,
            fresh_snapshots=True,
            plain_snapshots=True,
            readonly_rebuilds=True,
        )

    def get(self, cart_id: str) -> Cart:
        """The cart ``cart_id``.

        Raises:
            NotFoundError: no such cart.
        """
        return self._store.get(cart_id)

    def save(self, cart: Cart) -> None:
        """Store ``cart`` if its version is current; bump ``cart.version``.

        Raises:
            ConcurrencyConflictError: someone saved it since it was loaded.
        """
        cart.version = self._store.save(cart.id, cart, cart.version)

    def find_by_owner(
        self, owner: CartOwner, statuses: Sequence[CartStatus] = (CartStatus.ACTIVE,)
    ) -> Cart | None:
        """The most recently updated cart of ``owner`` in ``statuses``."""
        found = [c for c in self._store.all() if c.owner == owner and c.status in statuses]
        return max(found, key=lambda c: (c.updated_at, c.id), default=None)

    def find_idle_since(
        self, cutoff: datetime, statuses: Sequence[CartStatus] = (CartStatus.ACTIVE,)
    ) -> Sequence[Cart]:
        """Carts in ``statuses`` with ``updated_at < cutoff``, oldest first."""
        found = [c for c in self._store.all() if c.status in statuses and c.updated_at < cutoff]
        return sorted(found, key=lambda c: (c.updated_at, c.id))

    def __len__(self) -> int:
        return len(self._store)
