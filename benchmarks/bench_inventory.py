"""Inventory: reserve+release pairs per second on the in-memory store, 1 and 8 threads.

The baseline is a plain dict-and-lock doing the same bookkeeping: validate the request (known
SKU, positive int quantity, aware expiry after ``now``), compute free units per location from
the holds (``on_hand - held - safety``, reserved derived, never a counter), prefer one location
that can fill the line, else take them in priority order, all-or-nothing across lines, record the
reservation with its times, and on release drop the holds and mark it released.

Two baselines are reported. ``DictAndLock`` records nothing more. ``DictAndLockWithEvents`` also
does the rest of the bookkeeping the library does on every operation: it records a
``StockReserved`` / ``ReservationReleased`` event (a dict with the same fields) in an outbox that
is drained after every pair, and checks each touched stock level before and after for a
low-stock / out-of-stock / back-in-stock crossing. The issue's target ("a plain dict-and-lock
baseline doing the same bookkeeping") is measured against the second; the first shows what the
events, alerts and immutable values cost.
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


class DictAndLockWithEvents(DictAndLock):
    """The baseline plus the library's events and alert-crossing checks, in plain Python."""

    LOW = 5

    def __init__(self) -> None:
        super().__init__()
        self.outbox: list[dict[str, object]] = []

    def _levels(self, sku: str) -> dict[str, int]:
        return {
            loc: self.on_hand[sku, loc] - sum(self.holds[sku, loc].values()) - self.safety[sku, loc]
            for loc in self.ranking
        }

    def _alerts(self, sku: str, before: dict[str, int], after: dict[str, int]) -> None:
        for loc, was in before.items():
            now = after[loc]
            if was > self.LOW >= now:
                self.outbox.append({"type": "LowStock", "sku": sku, "location": loc})
            if was > 0 >= now:
                self.outbox.append({"type": "OutOfStock", "sku": sku, "location": loc})
            if was <= 0 < now:
                self.outbox.append({"type": "BackInStock", "sku": sku, "location": loc})

    def reserve(
        self, rid: str, requested: dict[str, int], now: datetime, expires_at: datetime
    ) -> bool:
        before = {sku: self._levels(sku) for sku in requested}
        if not super().reserve(rid, requested, now, expires_at):
            return False
        with self.lock:
            plan = self.reservations[rid][0]
            self.outbox.append(
                {"type": "StockReserved", "reservation_id": rid, "lines": plan, "at": now}
            )
            for sku in requested:
                self._alerts(sku, before[sku], self._levels(sku))
        return True

    def release_at(self, rid: str, now: datetime) -> None:
        plan = self.reservations[rid][0]
        before = {sku: self._levels(sku) for sku in plan}
        super().release(rid)
        with self.lock:
            self.outbox.append({"type": "ReservationReleased", "reservation_id": rid, "at": now})
            for sku in plan:
                self._alerts(sku, before[sku], self._levels(sku))

    def take_events(self) -> list[dict[str, object]]:
        with self.lock:
            events, self.outbox = self.outbox, []
            return events


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


def _measure(threads: int) -> tuple[float, float, float]:
    subject_rates = []
    baseline_rates = []
    full_rates = []
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

        full = DictAndLockWithEvents()

        def full_baseline(first: int, count: int, full: DictAndLockWithEvents = full) -> None:
            request = {"tee": 2}
            for i in range(first, first + count):
                rid = f"r{i}"
                full.reserve(rid, request, NOW, EXPIRES)
                full.release_at(rid, NOW)
                full.take_events()

        subject_rates.append(_pairs_per_second(subject, threads))
        baseline_rates.append(_pairs_per_second(baseline, threads))
        full_rates.append(_pairs_per_second(full_baseline, threads))
        del store, base, full  # keep each round's objects out of the next round's GC
    subject_rates.sort()
    baseline_rates.sort()
    full_rates.sort()
    return subject_rates[2], baseline_rates[2], full_rates[2]


def run() -> list[Row]:
    rows = []
    for threads, target in ((1, ">= 50,000 pairs/s, ratio <= 3"), (THREADS, "ratio <= 3")):
        rate, base_rate, full_rate = _measure(threads)
        rows.append(
            Row(
                f"reserve+release, {threads} thread(s): {rate:,.0f} pairs/s",
                1 / rate,
                1 / full_rate,
                f"vs dict+lock with events and alert checks ({full_rate:,.0f} pairs/s)",
                target,
            )
        )
        rows.append(
            Row(
                f"  same, vs the minimal dict+lock ({threads} thread(s))",
                1 / rate,
                1 / base_rate,
                f"no events, no alerts ({base_rate:,.0f} pairs/s)",
            )
        )
    return rows
