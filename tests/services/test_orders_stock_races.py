"""Concurrent partial cancellations of one still-active reservation (InventoryOrderStock).

The reservation holds 3 tees and 1 mug. Three callers each cancel one tee under their own key.
Every caller reads the reservation before any of them writes (a barrier in the store's read
forces the worst interleaving), so a release that computed its reduced lines from a stale
reservation would overwrite another's: 3 - 1 = 2 tees left instead of 3 - 3 = 0.
"""

from __future__ import annotations

import threading

from commerce_core import InventoryOrderStock, InventoryService, StockLine
from commerce_core.adapters.memory import InMemoryClock, InMemoryInventoryStore
from commerce_core.domain.inventory import Reservation
from commerce_core.testing.contracts._threads import race

CALLERS = 3


class ReadsTogetherStore(InMemoryInventoryStore):
    """An in-memory store whose first ``CALLERS`` reservation reads wait for one another."""

    def __init__(self) -> None:
        super().__init__()
        self.barrier = threading.Barrier(CALLERS)
        self._armed = False
        self._reads = 0
        self._count = threading.Lock()

    def arm(self) -> None:
        self._armed = True

    def reservation(self, reservation_id: str) -> Reservation:
        found = super().reservation(reservation_id)
        with self._count:
            self._reads += 1
            wait = self._armed and self._reads <= CALLERS
        if wait:
            self.barrier.wait(timeout=5)
        return found


def _inventory() -> tuple[ReadsTogetherStore, InventoryService]:
    store = ReadsTogetherStore()
    inventory = InventoryService(store, InMemoryClock())
    inventory.define_location("wh")
    for sku in ("tee", "mug"):
        inventory.define_sku(sku)
        inventory.receive(sku, "wh", 10, reference=f"po-{sku}")
    inventory.reserve("res-1", [("tee", 3), ("mug", 1)])
    store.arm()
    return store, inventory


def _assert_every_tee_released(store: ReadsTogetherStore, inventory: InventoryService) -> None:
    reservation = inventory.reservation("res-1")
    assert reservation.requested == {"mug": 1}  # 3 tees - 3 x 1 cancelled
    assert reservation.version == 1 + CALLERS  # one replace per cancellation
    assert store.level("tee", "wh").reserved == 0


def test_concurrent_partial_releases_through_one_adapter_each_take_effect_once() -> None:
    store, inventory = _inventory()
    stock = InventoryOrderStock(inventory)
    race(
        CALLERS,
        lambda i: stock.release("res-1", lines=[StockLine("tee", 1)], idempotency_key=f"c{i}"),
    )
    _assert_every_tee_released(store, inventory)


def test_concurrent_partial_releases_through_separate_adapters_each_take_effect_once() -> None:
    """Separate adapter instances share no lock (as separate processes would not)."""
    store, inventory = _inventory()
    adapters = [InventoryOrderStock(inventory) for _ in range(CALLERS)]
    race(
        CALLERS,
        lambda i: adapters[i].release(
            "res-1", lines=[StockLine("tee", 1)], idempotency_key=f"c{i}"
        ),
    )
    _assert_every_tee_released(store, inventory)


def test_one_key_raced_from_several_threads_releases_once() -> None:
    store, inventory = _inventory()
    stock = InventoryOrderStock(inventory)
    store.barrier = threading.Barrier(1)  # no forced interleaving: the key alone must guard
    race(
        CALLERS,
        lambda _: stock.release("res-1", lines=[StockLine("tee", 1)], idempotency_key="c1"),
    )
    assert inventory.reservation("res-1").requested == {"tee": 2, "mug": 1}  # 3 - 1 once
