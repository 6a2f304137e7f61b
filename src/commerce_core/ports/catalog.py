"""The Catalog port: how commerce_core reads the host's product catalog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from commerce_core.domain.catalog import CatalogItem

__all__ = ["Catalog"]


@runtime_checkable
class Catalog(Protocol):
    """Read-only access to sellable items.

    Both methods are queries: no side effects, so trivially idempotent. Items returned are
    immutable values; a cart snapshots what it needs when an item is added, so later catalog
    changes reach a cart only through ``Cart.reprice``.
    """

    def get(self, sku: str) -> CatalogItem:
        """The item with ``sku``.

        Raises:
            UnknownSkuError: no such SKU.
        """
        ...

    def get_many(self, skus: Iterable[str]) -> Mapping[str, CatalogItem]:
        """The items for ``skus`` that exist, by SKU (unknown SKUs are simply absent)."""
        ...
