"""The inventory store against a plain-dictionary model, over random operation sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from commerce_core.adapters.memory import InMemoryInventoryStore
from commerce_core.domain.inventory import BackorderPolicy, Location, Reservation
from commerce_core.errors import (
    InsufficientStockError,
    InvalidTransitionError,
    ReservationConflictError,
    ReservationExpiredError,
    ReservationNotFoundError,
)

SKUS = ("tee", "mug")
LIMITS = {"tee": 0, "mug": 3}  # tee: backorders denied; mug: up to 3 units
LOCATIONS = ("berlin", "paris")
IDS = ("r1", "r2", "r3", "r4", "r5")
T0 = datetime(2026, 1, 1, tzinfo=UTC)

requests = st.dictionaries(st.sampled_from(SKUS), st.integers(1, 6), min_size=1, max_size=2)


class InventoryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = InMemoryInventoryStore()
        for priority, location in enumerate(LOCATIONS):
            self.store.define_location(Location(location, priority))
        self.store.define_sku("tee", BackorderPolicy.deny())
        self.store.define_sku("mug", BackorderPolicy.up_to(LIMITS["mug"]))
        self.now = T0
        self.swept_at: datetime | None = None
        # The model: plain dictionaries.
        self.on_hand: dict[tuple[str, str], int] = {}
        self.reservations: dict[str, dict[str, Any]] = {}

    # model helpers ---------------------------------------------------------------------------

    def reserved(self, sku: str, location: str, ignoring: str = "") -> int:
        return sum(
            r["alloc"].get((sku, location), 0)
            for rid, r in self.reservations.items()
            if r["state"] == "active" and rid != ignoring
        )

    def outstanding(self, sku: str, ignoring: str = "") -> int:
        return sum(
            r["backordered"].get(sku, 0)
            for rid, r in self.reservations.items()
            if r["state"] in {"active", "committed"} and rid != ignoring
        )

    def fits(self, requested: dict[str, int], ignoring: str = "") -> bool:
        for sku, units in requested.items():
            free = sum(
                max(0, self.on_hand.get((sku, loc), 0) - self.reserved(sku, loc, ignoring))
                for loc in LOCATIONS
            )
            short = max(0, units - free)
            if short > LIMITS[sku] - self.outstanding(sku, ignoring):
                return False
        return True

    def record(self, reservation: Reservation) -> None:
        alloc: dict[tuple[str, str], int] = {}
        for line in reservation.lines:
            for a in line.allocations:
                # Allocation never takes more than is free, ignoring this id's own old holds.
                free = self.on_hand.get((line.sku, a.location), 0) - self.reserved(
                    line.sku, a.location, ignoring=reservation.id
                )
                assert a.quantity <= free
                alloc[line.sku, a.location] = a.quantity
        self.reservations[reservation.id] = {
            "requested": reservation.requested,
            "alloc": alloc,
            "backordered": {line.sku: line.backordered for line in reservation.lines},
            "state": "active",
            "expires_at": reservation.expires_at,
        }

    # rules -----------------------------------------------------------------------------------

    @rule(sku=st.sampled_from(SKUS), location=st.sampled_from(LOCATIONS), units=st.integers(1, 8))
    def receive(self, sku: str, location: str, units: int) -> None:
        self.store.receive(sku, location, units, now=self.now)
        self.on_hand[sku, location] = self.on_hand.get((sku, location), 0) + units

    @rule(
        sku=st.sampled_from(SKUS),
        location=st.sampled_from(LOCATIONS),
        delta=st.integers(-5, 5).filter(bool),
    )
    def adjust(self, sku: str, location: str, delta: int) -> None:
        after = self.on_hand.get((sku, location), 0) + delta
        if after < self.reserved(sku, location):
            with pytest.raises(InsufficientStockError):
                self.store.adjust(sku, location, delta, now=self.now)
            return
        self.store.adjust(sku, location, delta, now=self.now)
        self.on_hand[sku, location] = after

    @rule(rid=st.sampled_from(IDS), requested=requests, minutes=st.integers(1, 30))
    def reserve(self, rid: str, requested: dict[str, int], minutes: int) -> None:
        expires_at = self.now + timedelta(minutes=minutes)
        existing = self.reservations.get(rid)
        if existing is not None:
            if existing["requested"] == requested:
                assert self.store.reserve(
                    rid, requested, now=self.now, expires_at=expires_at
                ).replayed
            else:
                with pytest.raises(ReservationConflictError):
                    self.store.reserve(rid, requested, now=self.now, expires_at=expires_at)
            return
        outcome = self.store.reserve(rid, requested, now=self.now, expires_at=expires_at)
        assert outcome.ok == self.fits(requested)
        if outcome.ok:
            self.record(outcome.unwrap())

    @rule(rid=st.sampled_from(IDS), requested=requests, minutes=st.integers(1, 30))
    def replace(self, rid: str, requested: dict[str, int], minutes: int) -> None:
        expires_at = self.now + timedelta(minutes=minutes)
        existing = self.reservations.get(rid)
        if existing is not None and existing["state"] == "committed":
            with pytest.raises(InvalidTransitionError):
                self.store.replace(rid, requested, now=self.now, expires_at=expires_at)
            return
        swapping = existing is not None and existing["state"] == "active"
        outcome = self.store.replace(rid, requested, now=self.now, expires_at=expires_at)
        assert outcome.ok == self.fits(requested, ignoring=rid if swapping else "")
        if outcome.ok:
            self.record(outcome.unwrap())

    @rule(rid=st.sampled_from(IDS), minutes=st.integers(1, 30))
    def extend(self, rid: str, minutes: int) -> None:
        expires_at = self.now + timedelta(minutes=minutes)
        existing = self.reservations.get(rid)
        if existing is None:
            with pytest.raises(ReservationNotFoundError):
                self.store.extend(rid, expires_at=expires_at, now=self.now)
        elif existing["state"] != "active":
            with pytest.raises(InvalidTransitionError):
                self.store.extend(rid, expires_at=expires_at, now=self.now)
        elif existing["expires_at"] <= self.now:
            with pytest.raises(ReservationExpiredError):
                self.store.extend(rid, expires_at=expires_at, now=self.now)
        else:
            self.store.extend(rid, expires_at=expires_at, now=self.now)
            existing["expires_at"] = expires_at

    @rule(rid=st.sampled_from(IDS))
    def commit(self, rid: str) -> None:
        existing = self.reservations.get(rid)
        if existing is None:
            with pytest.raises(ReservationNotFoundError):
                self.store.commit(rid, now=self.now)
        elif existing["state"] in {"released", "expired"}:
            with pytest.raises(InvalidTransitionError):
                self.store.commit(rid, now=self.now)
        elif existing["state"] == "active" and existing["expires_at"] <= self.now:
            with pytest.raises(ReservationExpiredError):
                self.store.commit(rid, now=self.now)
        else:
            self.store.commit(rid, now=self.now)
            if existing["state"] == "active":
                for key, units in existing["alloc"].items():
                    self.on_hand[key] -= units
                existing["state"] = "committed"

    @rule(rid=st.sampled_from(IDS))
    def release(self, rid: str) -> None:
        existing = self.reservations.get(rid)
        if existing is None:
            with pytest.raises(ReservationNotFoundError):
                self.store.release(rid, now=self.now)
        elif existing["state"] == "committed":
            with pytest.raises(InvalidTransitionError):
                self.store.release(rid, now=self.now)
        else:
            self.store.release(rid, now=self.now)
            if existing["state"] == "active":
                existing["state"] = "released"

    @rule(minutes=st.integers(1, 20))
    def advance_clock(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule()
    def expire(self) -> None:
        due = {
            rid
            for rid, r in self.reservations.items()
            if r["state"] == "active" and r["expires_at"] <= self.now
        }
        expired = self.store.expire_due(self.now)
        assert {r.id for r in expired} == due
        for rid in due:
            self.reservations[rid]["state"] = "expired"
        self.swept_at = self.now

    # invariants ------------------------------------------------------------------------------

    @invariant()
    def reserved_is_the_sum_of_active_reservation_lines(self) -> None:
        from_store = {
            (line.sku, a.location): 0
            for r in self.store.active_reservations()
            for line in r.lines
            for a in line.allocations
        }
        for r in self.store.active_reservations():
            for line in r.lines:
                for a in line.allocations:
                    from_store[line.sku, a.location] += a.quantity
        for sku in SKUS:
            for level in self.store.levels(sku):
                key = (sku, level.location)
                assert level.reserved == from_store.get(key, 0) == self.reserved(*key)

    @invariant()
    def on_hand_is_the_sum_of_the_ledger(self) -> None:
        for sku in SKUS:
            for level in self.store.levels(sku):
                movements = self.store.ledger(sku, level.location)
                assert level.on_hand == sum(m.quantity for m in movements)
                assert level.on_hand == self.on_hand.get((sku, level.location), 0)

    @invariant()
    def available_never_goes_below_zero_nor_backorders_past_the_limit(self) -> None:
        for sku in SKUS:
            for level in self.store.levels(sku):
                assert level.on_hand - level.reserved >= 0
            outstanding = self.store.outstanding_backorders(sku)
            assert outstanding == self.outstanding(sku) <= LIMITS[sku]

    @invariant()
    def no_reservation_outlives_its_expiry_after_a_sweep(self) -> None:
        if self.swept_at is not None:
            for r in self.store.active_reservations():
                assert r.expires_at > self.swept_at

    @invariant()
    def states_match_the_model(self) -> None:
        for rid, r in self.reservations.items():
            assert str(self.store.reservation(rid).state) == r["state"]


InventoryMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
TestInventoryLifecycle = InventoryMachine.TestCase
