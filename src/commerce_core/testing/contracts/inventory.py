"""Contract suite for the :class:`~commerce_core.ports.inventory.InventoryStore` port.

Subclass :class:`InventoryStoreContract`, override :meth:`~InventoryStoreContract.make_store` to
return an empty store, and name the subclass ``Test...``: pytest runs every contract, including
16 threads racing for the last units.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commerce_core.domain.inventory import (
    BackorderPolicy,
    Location,
    MovementKind,
    ReservationState,
)
from commerce_core.errors import (
    ConcurrencyConflictError,
    InsufficientStockError,
    InvalidQuantityError,
    InvalidReservationError,
    InvalidTransitionError,
    ReservationConflictError,
    ReservationExpiredError,
    ReservationNotFoundError,
    UnknownLocationError,
    UnknownSkuError,
)
from commerce_core.ports.inventory import InventoryStore

__all__ = ["InventoryStoreContract"]

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LATER = T0 + timedelta(minutes=15)
SKUS = ("tee", "mug")


def _state(store: InventoryStore) -> tuple[Any, ...]:
    """Everything observable, to prove a refused operation changed nothing."""
    return (
        tuple(store.levels(sku) for sku in SKUS),
        store.ledger(),
        store.active_reservations(),
        store.reserved_counts(),
        tuple(store.outstanding_backorders(sku) for sku in SKUS),
    )


class InventoryStoreContract:
    """What every InventoryStore adapter must do. Override :meth:`make_store`."""

    threads = 16
    """How many threads race in the concurrency contracts."""

    def make_store(self) -> InventoryStore:
        """Return a fresh, empty store under test."""
        raise NotImplementedError

    def stocked(self, berlin: int = 5, paris: int = 5) -> InventoryStore:
        """A store with locations berlin (first) and paris, SKUs tee and mug, tee in stock."""
        store = self.make_store()
        store.define_location(Location("berlin", 1))
        store.define_location(Location("paris", 2))
        for sku in SKUS:
            store.define_sku(sku)
        if berlin:
            store.receive("tee", "berlin", berlin, now=T0, reference="po-b")
        if paris:
            store.receive("tee", "paris", paris, now=T0, reference="po-p")
        store.take_events()
        return store

    # all-or-nothing ---------------------------------------------------------------------------

    def test_reserve_holds_every_line_or_none(self) -> None:
        store = self.stocked()
        before = _state(store)
        outcome = store.reserve("cart-1", {"tee": 2, "mug": 1}, now=T0, expires_at=LATER)
        assert not outcome.ok
        assert [s.sku for s in outcome.shortages] == ["mug"]
        assert _state(store) == before
        ok = store.reserve("cart-2", {"tee": 10}, now=T0, expires_at=LATER)
        assert ok.ok
        assert sum(level.reserved for level in store.levels("tee")) == 10

    def test_reserved_is_the_sum_of_active_reservation_allocations(self) -> None:
        store = self.stocked()
        store.reserve("a", {"tee": 3}, now=T0, expires_at=LATER)
        store.reserve("b", {"tee": 4}, now=T0, expires_at=LATER)
        expected: dict[tuple[str, str], int] = {}
        for reservation in store.active_reservations():
            for line in reservation.lines:
                for allocation in line.allocations:
                    key = (line.sku, allocation.location)
                    expected[key] = expected.get(key, 0) + allocation.quantity
        counts = {k: v for k, v in store.reserved_counts().items() if v}
        assert counts == expected
        assert sum(expected.values()) == 3 + 4

    # idempotency ------------------------------------------------------------------------------

    def test_reserving_again_with_the_same_lines_returns_the_existing_reservation(self) -> None:
        store = self.stocked()
        first = store.reserve("cart-1", {"tee": 2}, now=T0, expires_at=LATER)
        again = store.reserve("cart-1", {"tee": 2}, now=T0, expires_at=LATER)
        assert again.replayed
        assert again.reservation == first.reservation
        assert sum(level.reserved for level in store.levels("tee")) == 2

    def test_reusing_an_id_with_other_lines_is_a_conflict_and_changes_nothing(self) -> None:
        store = self.stocked()
        store.reserve("cart-1", {"tee": 2}, now=T0, expires_at=LATER)
        before = _state(store)
        with pytest.raises(ReservationConflictError) as info:
            store.reserve("cart-1", {"tee": 3}, now=T0, expires_at=LATER)
        assert info.value.existing == {"tee": 2}
        assert _state(store) == before

    def test_replace_swaps_lines_atomically_or_keeps_the_old_ones(self) -> None:
        store = self.stocked()
        store.reserve("cart-1", {"tee": 6}, now=T0, expires_at=LATER)
        swapped = store.replace("cart-1", {"tee": 10}, now=T0, expires_at=LATER).unwrap()
        assert swapped.requested == {"tee": 10}
        assert sum(level.reserved for level in store.levels("tee")) == 10
        before = _state(store)
        short = store.replace("cart-1", {"tee": 11}, now=T0, expires_at=LATER)
        assert not short.ok
        assert _state(store) == before
        assert store.reservation("cart-1").requested == {"tee": 10}

    def test_replace_at_a_stale_expected_version_is_refused_and_changes_nothing(self) -> None:
        store = self.stocked()
        made = store.reserve("cart-1", {"tee": 6}, now=T0, expires_at=LATER).unwrap()
        swapped = store.replace(
            "cart-1", {"tee": 5}, now=T0, expires_at=LATER, expected_version=made.version
        ).unwrap()
        assert swapped.version == made.version + 1
        before = _state(store)
        with pytest.raises(ConcurrencyConflictError) as info:
            store.replace(
                "cart-1", {"tee": 4}, now=T0, expires_at=LATER, expected_version=made.version
            )
        assert (info.value.expected_version, info.value.actual_version) == (
            made.version,
            swapped.version,
        )
        assert _state(store) == before
        with pytest.raises(ConcurrencyConflictError):
            store.replace("absent", {"tee": 1}, now=T0, expires_at=LATER, expected_version=1)
        assert _state(store) == before

    def test_commit_is_idempotent_and_books_a_sale_per_allocation(self) -> None:
        store = self.stocked()
        store.reserve("cart-1", {"tee": 7}, now=T0, expires_at=LATER)
        committed = store.commit("cart-1", now=T0, reference="order-1")
        assert committed.state is ReservationState.COMMITTED
        assert store.commit("cart-1", now=T0, reference="order-1") == committed
        sales = [m for m in store.ledger("tee") if m.kind is MovementKind.SALE]
        assert sum(m.quantity for m in sales) == -7
        assert {m.reference for m in sales} == {"cart-1"}
        assert sum(level.on_hand for level in store.levels("tee")) == 10 - 7
        assert sum(level.reserved for level in store.levels("tee")) == 0

    def test_release_is_idempotent_and_frees_the_units(self) -> None:
        store = self.stocked()
        store.reserve("cart-1", {"tee": 4}, now=T0, expires_at=LATER)
        released = store.release("cart-1", now=T0)
        assert released.state is ReservationState.RELEASED
        after = _state(store)
        assert store.release("cart-1", now=T0) == released
        assert _state(store) == after
        assert store.availability("tee", 10).available == 10

    def test_stock_movements_with_the_same_reference_apply_once(self) -> None:
        store = self.stocked(berlin=0, paris=0)
        for _ in range(2):
            store.receive("tee", "berlin", 5, now=T0, reference="po-9")
            store.write_off("tee", "berlin", 1, now=T0, reference="dmg-1")
            store.restock("tee", "berlin", 2, now=T0, reference="ret-1")
            store.adjust("tee", "berlin", -1, now=T0, reference="cc-1")
            store.count("tee", "berlin", 4, now=T0)
        assert store.level("tee", "berlin").on_hand == 4
        assert [m.quantity for m in store.ledger("tee", "berlin")] == [5, -1, 2, -1, -1]

    def test_extend_to_the_same_expiry_is_a_replay(self) -> None:
        store = self.stocked()
        store.reserve("cart-1", {"tee": 1}, now=T0, expires_at=LATER)
        extended = store.extend("cart-1", expires_at=LATER + timedelta(hours=1), now=T0)
        assert store.extend("cart-1", expires_at=extended.expires_at, now=T0) == extended

    # expiry -----------------------------------------------------------------------------------

    def test_expire_due_releases_everything_past_due_and_returns_it(self) -> None:
        store = self.stocked()
        store.reserve("early", {"tee": 3}, now=T0, expires_at=T0 + timedelta(minutes=5))
        store.reserve("late", {"tee": 3}, now=T0, expires_at=T0 + timedelta(minutes=30))
        expired = store.expire_due(T0 + timedelta(minutes=5))
        assert [r.id for r in expired] == ["early"]
        assert expired[0].state is ReservationState.EXPIRED
        assert store.expire_due(T0 + timedelta(minutes=5)) == ()
        assert [r.id for r in store.active_reservations()] == ["late"]
        assert store.availability("tee", 1).available == 10 - 3

    def test_an_expired_reservation_cannot_be_committed_or_extended(self) -> None:
        store = self.stocked()
        store.reserve("cart-1", {"tee": 1}, now=T0, expires_at=LATER)
        before = _state(store)
        with pytest.raises(ReservationExpiredError):
            store.commit("cart-1", now=LATER)
        with pytest.raises(ReservationExpiredError):
            store.extend("cart-1", expires_at=LATER + timedelta(hours=1), now=LATER)
        assert _state(store) == before
        store.expire_due(LATER)
        with pytest.raises(InvalidTransitionError):
            store.commit("cart-1", now=LATER)

    # lifecycle misuse and bad input -----------------------------------------------------------

    def test_misuse_raises_typed_errors_and_leaves_the_store_unchanged(self) -> None:
        store = self.stocked()
        store.reserve("done", {"tee": 1}, now=T0, expires_at=LATER)
        store.commit("done", now=T0)
        store.reserve("gone", {"tee": 1}, now=T0, expires_at=LATER)
        store.release("gone", now=T0)
        before = _state(store)
        attempts: list[tuple[type[Exception], Any]] = [
            (
                InvalidQuantityError,
                lambda: store.reserve("x", {"tee": 0}, now=T0, expires_at=LATER),
            ),
            (InvalidQuantityError, lambda: store.receive("tee", "berlin", -1, now=T0)),
            (InvalidQuantityError, lambda: store.write_off("tee", "berlin", 0, now=T0)),
            (InvalidQuantityError, lambda: store.availability("tee", 0)),
            (UnknownSkuError, lambda: store.reserve("x", {"hat": 1}, now=T0, expires_at=LATER)),
            (UnknownSkuError, lambda: store.receive("hat", "berlin", 1, now=T0)),
            (UnknownLocationError, lambda: store.receive("tee", "oslo", 1, now=T0)),
            (InvalidReservationError, lambda: store.reserve("x", {}, now=T0, expires_at=LATER)),
            (
                InvalidReservationError,
                lambda: store.reserve("x", {"tee": 1}, now=T0, expires_at=T0),
            ),
            (InvalidTransitionError, lambda: store.commit("gone", now=T0)),
            (InvalidTransitionError, lambda: store.extend("done", expires_at=LATER, now=T0)),
            (InvalidTransitionError, lambda: store.release("done", now=T0)),
            (
                InvalidTransitionError,
                lambda: store.replace("done", {"tee": 1}, now=T0, expires_at=LATER),
            ),
            (ReservationNotFoundError, lambda: store.release("nope", now=T0)),
            (ReservationNotFoundError, lambda: store.commit("nope", now=T0)),
            (InsufficientStockError, lambda: store.write_off("tee", "berlin", 99, now=T0)),
        ]
        for error, attempt in attempts:
            with pytest.raises(error):
                attempt()
            assert _state(store) == before, error

    def test_units_held_by_reservations_cannot_be_written_off(self) -> None:
        store = self.stocked(berlin=5, paris=0)
        store.reserve("cart-1", {"tee": 4}, now=T0, expires_at=LATER)
        with pytest.raises(InsufficientStockError) as info:
            store.write_off("tee", "berlin", 2, now=T0)
        assert info.value.available == 5 - 4
        store.write_off("tee", "berlin", 1, now=T0)
        assert store.level("tee", "berlin").on_hand == 4

    def test_the_outbox_hands_out_each_event_once(self) -> None:
        store = self.stocked()
        store.reserve("cart-1", {"tee": 1}, now=T0, expires_at=LATER)
        events = store.take_events()
        assert [e.event_type for e in events] == ["StockReserved"]
        assert store.take_events() == ()

    # concurrency ------------------------------------------------------------------------------

    def _race(self, store: InventoryStore, units_each: int) -> list[bool]:
        barrier = threading.Barrier(self.threads)
        results: list[bool] = []
        lock = threading.Lock()

        def attempt(index: int) -> None:
            barrier.wait()
            outcome = store.reserve(f"cart-{index}", {"tee": units_each}, now=T0, expires_at=LATER)
            with lock:
                results.append(outcome.ok)

        workers = [threading.Thread(target=attempt, args=(i,)) for i in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
        return results

    def test_racing_threads_reserve_exactly_the_last_units(self) -> None:
        last = 5
        store = self.stocked(berlin=3, paris=2)
        results = self._race(store, units_each=1)
        assert results.count(True) == last
        reserved = sum(level.reserved for level in store.levels("tee"))
        assert reserved == last
        assert all(level.available >= 0 for level in store.levels("tee"))
        assert all(level.on_hand - level.reserved >= 0 for level in store.levels("tee"))

    def test_racing_threads_never_exceed_the_backorder_limit(self) -> None:
        store = self.stocked(berlin=3, paris=2)
        store.define_sku("tee", BackorderPolicy.up_to(4))
        results = self._race(store, units_each=1)
        assert results.count(True) == 5 + 4
        assert store.outstanding_backorders("tee") == 4
        assert store.availability("tee", 1).backorderable == 0

    def test_racing_multi_unit_requests_never_oversell(self) -> None:
        store = self.stocked(berlin=7, paris=6)
        results = self._race(store, units_each=3)
        # 13 units, 3 per cart: at most 4 carts fit (12 units), however they are allocated.
        assert results.count(True) == 13 // 3
        assert sum(level.reserved for level in store.levels("tee")) == 12
