"""Inventory: reserve+release pairs per second on the in-memory store, 1 and 8 threads.

The baseline is a plain dict-and-lock doing the same bookkeeping: validate the request (known
SKU, positive int quantity, aware expiry after ``now``), compute free units per location from
the holds (``on_hand - held - safety``, reserved derived, never a counter), prefer one location
that can fill the line, else take them in priority order, all-or-nothing across lines, record the
reservation with its times, and on release drop the holds and mark it released. It records no
events, alert signals or immutable values: that is the library's extra work being measured.
The subject drains the store's outbox after every pair, as ``InventoryService`` does after every
operation (an outbox left to grow to 40,000 events is not a state a host runs in).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from benchmarks.harness import Row
from commerce_core.adapters.memory import InMemoryInventoryStore

TITLE = "Inventory reservations (issue 3)"

PAIRS = 20_000
THREADS = 8
NOW = datetime(2026, 1, 1, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=15)


class DictAndLock:
    """The plain-Python baseline."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ranking = ["berlin", "paris"]
        self.skus = {"tee"}
        self.on_hand = {("tee", "berlin"): 1_000_000, ("tee", "paris"): 1_000_000}
        self.safety = dict.fromkeys(self.on_hand, 0)
        self.holds: dict[tuple[str, str], dict[str, int]] = {k: {} for k in self.on_hand}
        self.reservations: dict[
            str, tuple[dict[str, list[tuple[str, int]]], datetime, datetime, str]
        ] = {}

    def reserve(
        self, rid: str, requested: dict[str, int], now: datetime, expires_at: datetime
    ) -> bool:
        with self.lock:
            if rid in self.reservations:
                return True
            if expires_at.tzinfo is None or expires_at <= now:
                raise ValueError(expires_at)
            plan: dict[str, list[tuple[str, int]]] = {}
            for sku, wanted in requested.items():
                if sku not in self.skus:
                    raise KeyError(sku)
                if type(wanted) is not int or wanted <= 0:
                    raise ValueError(wanted)
                free = {}
                for loc in self.ranking:
                    key = (sku, loc)
                    if key in self.on_hand:
                        held = sum(self.holds[key].values())
                        free[loc] = max(0, self.on_hand[key] - held - self.safety[key])
                for loc, units_free in free.items():  # one location for the whole line
                    if units_free >= wanted:
                        plan[sku] = [(loc, wanted)]
                        break
                if sku in plan:
                    continue
                units = wanted
                taken = []
                for loc, units_free in free.items():
                    take = min(units, units_free)
                    if take > 0:
                        taken.append((loc, take))
                        units -= take
                    if not units:
                        break
                if units:
                    return False
                plan[sku] = taken
            for sku, taken in plan.items():
                for loc, qty in taken:
                    self.holds[sku, loc][rid] = qty
            self.reservations[rid] = (plan, now, expires_at, "active")
            return True

    def release(self, rid: str) -> None:
        with self.lock:
            plan, created_at, expires_at, state = self.reservations[rid]
            if state != "active":
                return
            for sku, taken in plan.items():
                for loc, _qty in taken:
                    self.holds[sku, loc].pop(rid, None)
            self.reservations[rid] = (plan, created_at, expires_at, "released")


def _store() -> InMemoryInventoryStore:
    from commerce_core.domain.inventory import Location

    store = InMemoryInventoryStore()
    store.define_location(Location("berlin", 1))
    store.define_location(Location("paris", 2))
    store.define_sku("tee")
    store.receive("tee", "berlin", 1_000_000, now=NOW)
    store.receive("tee", "paris", 1_000_000, now=NOW)
    store.take_events()
    return store


def _pairs_per_second(work: Callable[[int, int], None], threads: int) -> float:
    per_thread = PAIRS // threads
    workers = [
        threading.Thread(target=work, args=(t * per_thread, per_thread)) for t in range(threads)
    ]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    return per_thread * threads / elapsed


def _measure(threads: int) -> tuple[float, float]:
    subject_rates = []
    baseline_rates = []
    for _round in range(5):
        store = _store()

        def subject(first: int, count: int, store: InMemoryInventoryStore = store) -> None:
            request = {"tee": 2}
            for i in range(first, first + count):
                rid = f"r{i}"
                store.reserve(rid, request, now=NOW, expires_at=EXPIRES)
                store.release(rid, now=NOW)
                store.take_events()  # as InventoryService does after every operation

        base = DictAndLock()

        def baseline(first: int, count: int, base: DictAndLock = base) -> None:
            request = {"tee": 2}
            for i in range(first, first + count):
                rid = f"r{i}"
                base.reserve(rid, request, NOW, EXPIRES)
                base.release(rid)

        subject_rates.append(_pairs_per_second(subject, threads))
        baseline_rates.append(_pairs_per_second(baseline, threads))
    subject_rates.sort()
    baseline_rates.sort()
    return subject_rates[2], baseline_rates[2]


def run() -> list[Row]:
    rows = []
    for threads, target in ((1, ">= 50,000 pairs/s, ratio <= 3"), (THREADS, "ratio <= 3")):
        rate, base_rate = _measure(threads)
        rows.append(
            Row(
                f"reserve+release, {threads} thread(s): {rate:,.0f} pairs/s",
                1 / rate,
                1 / base_rate,
                f"per pair; baseline {base_rate:,.0f} pairs/s",
                target,
            )
        )
    return rows
