"""Closed reservations are kept packed into atoms; they answer exactly as the full values did."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.inventory import (
    BackorderPolicy,
    InventoryBook,
    Location,
    PriorityOrder,
    Reservation,
    ReservationState,
)
from commerce_core.domain.inventory.reservation import pack_closed, unpack_closed
from commerce_core.domain.shoppers import OwnerKind
from commerce_core.testing.strategies.inventory import LOCATIONS, SKUS, reservation_requests

NOW = datetime(2026, 1, 1, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=15)

_ending = st.sampled_from(["commit", "release", "expire"])


def _book(stock: int) -> InventoryBook:
    """Every SKU at every location with ``stock`` units, and 5 units of backorder room."""
    book = InventoryBook()
    for priority, location in enumerate(LOCATIONS):
        book.define_location(Location(location, priority))
    for sku in SKUS:
        book.define_sku(sku, BackorderPolicy.up_to(5))
        for location in LOCATIONS:
            if stock:
                book.receive(sku, location, stock, now=NOW)
    book.collect_events()
    return book


def _close(book: InventoryBook, rid: str, ending: str) -> Reservation:
    if ending == "commit":
        return book.commit(rid, now=NOW, reference=f"order-{rid}")
    if ending == "release":
        return book.release(rid, now=NOW + timedelta(minutes=1))
    (expired,) = book.expire_due(EXPIRES)
    return expired


@given(
    requests=st.lists(reservation_requests(max_quantity=12), min_size=1, max_size=4),
    stock=st.integers(0, 6),
    endings=st.lists(_ending, min_size=4, max_size=4),
    owner=st.sampled_from(OwnerKind),
)
def test_a_closed_reservation_reads_replays_snapshots_and_restores_as_the_value_it_was(
    requests: list[dict[str, int]], stock: int, endings: list[str], owner: OwnerKind
) -> None:
    # Little stock per location (0-6 units, up to 12 asked): lines split across locations and
    # go on backorder, so the packed form must carry several allocations and backordered units.
    book = _book(stock)
    closed: dict[str, Reservation] = {}
    for number, (requested, ending) in enumerate(zip(requests, endings, strict=False)):
        rid = f"cart-{number}"
        outcome = book.reserve(
            rid, requested, now=NOW, expires_at=EXPIRES, owner=owner, strategy=PriorityOrder()
        )
        if outcome.reservation is None:
            continue
        closed[rid] = _close(book, rid, ending)
    for rid, value in closed.items():
        assert book.reservation(rid) == value
        replay = book.reserve(rid, value.requested, now=NOW, expires_at=EXPIRES)
        assert replay.replayed
        assert replay.reservation == value
        if value.state is ReservationState.COMMITTED:
            assert book.commit(rid, now=NOW) == value
        else:
            assert book.release(rid, now=NOW) == value
    restored = InventoryBook.from_snapshot(book.to_snapshot(), book.version)
    assert restored.to_snapshot() == book.to_snapshot()
    for rid, value in closed.items():
        assert restored.reservation(rid) == value
        assert restored.reservation(rid).version == value.version
    assert restored.reserved_counts() == book.reserved_counts()
    for sku in SKUS:
        assert restored.outstanding_backorders(sku) == book.outstanding_backorders(sku)


@given(requested=reservation_requests(), stock=st.integers(0, 6), ending=_ending)
def test_packing_a_closed_reservation_round_trips_to_an_equal_value(
    requested: dict[str, int], stock: int, ending: str
) -> None:
    book = _book(stock)
    book.reserve("cart", requested, now=NOW, expires_at=EXPIRES, strategy=PriorityOrder())
    value = _close(book, "cart", ending) if book.active_reservations() else None
    if value is None:
        return
    packed = pack_closed(value)
    assert unpack_closed("cart", packed) == value
    assert unpack_closed("cart", packed).to_snapshot() == value.to_snapshot()


def test_a_packed_closed_reservation_is_left_alone_by_the_cyclic_garbage_collector() -> None:
    book = _book(10)
    book.reserve("cart", {"mug": 3}, now=NOW, expires_at=EXPIRES)
    packed = pack_closed(book.release("cart", now=NOW))
    gc.collect()  # the flat inner tuples are untracked on the first pass
    gc.collect()  # and then the tuple holding them
    assert not gc.is_tracked(packed)
