from __future__ import annotations

from collections.abc import Mapping

from commerce_core.adapters.memory import InMemoryClock, InMemoryInventoryStore, UnlimitedStock
from commerce_core.domain.inventory import Location
from commerce_core.ports.inventory import AvailabilityQuery
from commerce_core.services.inventory import InventoryService
from commerce_core.testing.contracts import AvailabilityQueryContract


class TestInventoryServiceAvailability(AvailabilityQueryContract):
    def make_query(self, stock: Mapping[str, int]) -> AvailabilityQuery:
        service = InventoryService(InMemoryInventoryStore(), InMemoryClock())
        service.define_location("wh")
        for sku, units in stock.items():
            service.define_sku(sku)
            service.receive(sku, "wh", units, reference=f"po-{sku}")
        return service


class TestInMemoryInventoryStoreAvailability(AvailabilityQueryContract):
    def make_query(self, stock: Mapping[str, int]) -> AvailabilityQuery:
        clock = InMemoryClock()
        store = InMemoryInventoryStore()
        store.define_location(Location("wh"))
        for sku, units in stock.items():
            store.define_sku(sku, None)
            store.receive(sku, "wh", units, now=clock.now(), reference=f"po-{sku}")
        return store


class TestUnlimitedStock(AvailabilityQueryContract):
    counts_stock = False
    knows_every_sku = True

    def make_query(self, stock: Mapping[str, int]) -> AvailabilityQuery:
        return UnlimitedStock()
