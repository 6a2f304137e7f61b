from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.inventory import (
    BackorderPolicy,
    InventoryBook,
    Location,
    PreferLocations,
    PriorityOrder,
    SingleLocationFirst,
)
from commerce_core.testing import strategies as cst

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LATER = T0 + timedelta(minutes=15)


def book_with(stock: dict[tuple[str, str], int]) -> InventoryBook:
    book = InventoryBook()
    for priority, location in enumerate(cst.LOCATIONS):
        book.define_location(Location(location, priority))
    for sku in cst.SKUS:
        book.define_sku(sku)
    for (sku, location), units in stock.items():
        if units:
            book.receive(sku, location, units, now=T0)
    return book


def where(book: InventoryBook, reservation_id: str) -> dict[str, list[tuple[str, int]]]:
    reservation = book.reservation(reservation_id)
    return {
        line.sku: [(a.location, a.quantity) for a in line.allocations] for line in reservation.lines
    }


def test_prefers_a_single_location_that_can_fill_the_whole_reservation() -> None:
    # berlin ranks first but lacks mugs; paris has everything: one shipment from paris.
    book = book_with({("tee-s", "berlin"): 5, ("tee-s", "paris"): 5, ("mug", "paris"): 1})
    book.reserve("c", {"tee-s": 2, "mug": 1}, now=T0, expires_at=LATER)
    assert where(book, "c") == {"tee-s": [("paris", 2)], "mug": [("paris", 1)]}


def test_takes_the_highest_priority_location_when_several_can_fill_it() -> None:
    book = book_with({("mug", "berlin"): 3, ("mug", "paris"): 3})
    book.reserve("c", {"mug": 2}, now=T0, expires_at=LATER)
    assert where(book, "c") == {"mug": [("berlin", 2)]}


def test_splits_across_locations_only_when_allowed() -> None:
    stock = {("mug", "berlin"): 2, ("mug", "paris"): 2}
    splitting = book_with(stock)
    splitting.reserve("c", {"mug": 3}, now=T0, expires_at=LATER)
    assert where(splitting, "c") == {"mug": [("berlin", 2), ("paris", 1)]}

    whole = book_with(stock)
    outcome = whole.reserve(
        "c", {"mug": 3}, now=T0, expires_at=LATER, strategy=SingleLocationFirst(split=False)
    )
    assert not outcome.ok
    assert outcome.shortages[0].allocated == 2  # the best single location holds 2 of the 3


def test_a_host_preference_ranks_locations_before_store_priority() -> None:
    book = book_with({("mug", "berlin"): 3, ("mug", "milan"): 3})
    book.reserve("c", {"mug": 1}, now=T0, expires_at=LATER, strategy=PreferLocations(["milan"]))
    assert where(book, "c") == {"mug": [("milan", 1)]}


def test_allocation_never_takes_units_another_reservation_holds() -> None:
    book = book_with({("mug", "berlin"): 2, ("mug", "paris"): 2})
    book.reserve("a", {"mug": 2}, now=T0, expires_at=LATER, strategy=PriorityOrder())
    book.reserve("b", {"mug": 2}, now=T0, expires_at=LATER, strategy=PriorityOrder())
    assert where(book, "a") == {"mug": [("berlin", 2)]}
    assert where(book, "b") == {"mug": [("paris", 2)]}
    assert not book.reserve("c", {"mug": 1}, now=T0, expires_at=LATER).ok


def test_safety_stock_is_never_offered() -> None:
    book = book_with({("mug", "berlin"): 5})
    book.configure_item("mug", "berlin", safety_stock=2, now=T0)
    assert book.availability("mug", 4).available == 5 - 2
    assert not book.reserve("c", {"mug": 4}, now=T0, expires_at=LATER).ok


def test_backordered_units_are_recorded_on_the_line_within_the_limit() -> None:
    book = book_with({("mug", "berlin"): 2})
    book.define_sku("mug", BackorderPolicy.up_to(3))
    reservation = book.reserve("c", {"mug": 4}, now=T0, expires_at=LATER).unwrap()
    assert reservation.line("mug").backordered == 4 - 2
    assert book.availability("mug", 1).backorderable == 3 - 2
    assert not book.reserve("d", {"mug": 2}, now=T0, expires_at=LATER).ok
    assert book.reserve("d", {"mug": 1}, now=T0, expires_at=LATER).ok


def test_denied_backorders_make_a_short_reservation_fail() -> None:
    book = book_with({("mug", "berlin"): 2})
    outcome = book.reserve("c", {"mug": 3}, now=T0, expires_at=LATER)
    assert outcome.shortages[0].backorderable == 0
    assert book.reserved_counts() == {("mug", "berlin"): 0}


@given(
    stock=cst.stock_maps(),
    requests=st.lists(cst.reservation_requests(), max_size=6),
    strategy=cst.allocation_strategies(),
)
def test_any_strategy_never_allocates_more_than_is_free(
    stock: dict[tuple[str, str], int],
    requests: list[dict[str, int]],
    strategy: PriorityOrder | SingleLocationFirst | PreferLocations,
) -> None:
    book = book_with(stock)
    for index, requested in enumerate(requests):
        outcome = book.reserve(f"r{index}", requested, now=T0, expires_at=LATER, strategy=strategy)
        if outcome.ok:
            reservation = outcome.unwrap()
            assert reservation.requested == requested
    for level in [lvl for sku in cst.SKUS for lvl in book.levels(sku)]:
        assert 0 <= level.reserved <= level.on_hand
