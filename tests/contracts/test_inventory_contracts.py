from __future__ import annotations

from commerce_core.adapters.memory import InMemoryInventoryStore
from commerce_core.ports.inventory import AvailabilityQuery, InventoryStore
from commerce_core.testing.contracts import InventoryStoreContract


class TestInMemoryInventoryStore(InventoryStoreContract):
    def make_store(self) -> InventoryStore:
        return InMemoryInventoryStore()


def test_in_memory_store_satisfies_both_inventory_ports() -> None:
    store = InMemoryInventoryStore()
    assert isinstance(store, InventoryStore)
    assert isinstance(store, AvailabilityQuery)
