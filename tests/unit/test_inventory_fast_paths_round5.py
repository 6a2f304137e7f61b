"""The inventory book's round-5 internal paths build exactly what the paths they replace built.

- the ledger keeps each movement as a tuple of atoms: ``ledger()`` hands out the movements the
  book recorded, the snapshot is the same, and the entries leave the cyclic GC's view;
- ``commit`` gathers the packed lines of the closed reservation as it walks the allocations:
  the same atoms as ``pack_closed``;
- ``_make`` holds a new reservation and finds the alert signals it changes in one pass
  (``_hold_new``): the same book and the same events as holding it and comparing every key's
  signal before and after (the path it replaces).
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.inventory import (
    Availability,
    BackorderPolicy,
    InventoryBook,
    Location,
    MovementKind,
    PriorityOrder,
    Reservation,
    StockMovement,
)
from commerce_core.domain.inventory.book import _signal
from commerce_core.domain.inventory.reservation import pack_closed
from commerce_core.domain.inventory.values import _checked_availability
from commerce_core.errors import CommerceError
from commerce_core.testing.strategies.inventory import LOCATIONS, SKUS, reservation_requests

NOW = datetime(2026, 1, 1, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=15)

_settings = st.dictionaries(
    st.tuples(st.sampled_from(SKUS), st.sampled_from(LOCATIONS)),
    st.tuples(st.integers(0, 8), st.integers(0, 3), st.integers(0, 6)),
)
"""Per (SKU, location): units received, safety stock, low-stock threshold (0: off)."""


class _OldBook(InventoryBook):
    """The book with the hold-then-compare-every-key path ``_hold_new`` replaces."""

    def _hold_new(
        self, reservation: Reservation, free: Mapping[str, Mapping[str, int]]
    ) -> dict[tuple[str, str], int]:
        items = self._items
        before = {
            (line.sku, a.location): _signal(free[line.sku][a.location], items[line.sku][a.location])
            for line in reservation.lines
            for a in line.allocations
        }
        self._hold(reservation)
        return before


def _setup(book: InventoryBook, settings: dict[tuple[str, str], tuple[int, int, int]]) -> None:
    for priority, location in enumerate(LOCATIONS):
        book.define_location(Location(location, priority))
    for sku in SKUS:
        book.define_sku(sku, BackorderPolicy.up_to(5))
    for (sku, location), (units, safety, threshold) in settings.items():
        if units:
            book.receive(sku, location, units, now=NOW, reference=f"po-{sku}-{location}")
        book.configure_item(
            sku, location, safety_stock=safety, low_stock_threshold=threshold, now=NOW
        )


@given(
    settings=_settings,
    steps=st.lists(
        st.tuples(st.sampled_from(["reserve", "replace", "commit", "release"]), st.integers(0, 2)),
        min_size=1,
        max_size=8,
    ),
    requests=st.lists(reservation_requests(max_quantity=6), min_size=3, max_size=3),
    split=st.booleans(),
)
def test_reserve_commit_and_release_leave_the_book_and_events_of_the_paths_they_replace(
    *,
    settings: dict[tuple[str, str], tuple[int, int, int]],
    steps: list[tuple[str, int]],
    requests: list[dict[str, int]],
    split: bool,
) -> None:
    new, old = InventoryBook(), _OldBook()
    for book in (new, old):
        _setup(book, settings)
    assert new.collect_events() == old.collect_events()
    strategy = PriorityOrder() if split else None
    for index, (action, which) in enumerate(steps):
        rid = f"r{which}"
        results = []
        for book in (new, old):
            try:
                if action == "reserve":
                    result: object = book.reserve(
                        rid, requests[which], now=NOW, expires_at=EXPIRES, strategy=strategy
                    )
                elif action == "replace":
                    wanted = requests[(which + index) % 3]
                    result = book.replace(
                        rid, wanted, now=NOW, expires_at=EXPIRES, strategy=strategy
                    )
                elif action == "commit":
                    result = book.commit(rid, now=NOW, reference=f"order-{rid}")
                else:
                    result = book.release(rid, now=NOW)
            except CommerceError as error:
                result = (type(error), str(error))
            results.append(result)
        assert results[0] == results[1]
        assert new.collect_events() == old.collect_events()
        assert new.version == old.version
    assert new._reservations == old._reservations
    assert new.to_snapshot() == old.to_snapshot()
    assert new.ledger() == old.ledger()
    assert new.reserved_counts() == old.reserved_counts()
    for sku in SKUS:
        assert new.levels(sku) == old.levels(sku)


@given(
    stock=st.dictionaries(
        st.tuples(st.sampled_from(SKUS), st.sampled_from(LOCATIONS)), st.integers(1, 8)
    ),
    requests=st.lists(reservation_requests(max_quantity=10), min_size=1, max_size=3),
)
def test_commit_packs_the_closed_reservation_as_pack_closed_does(
    *, stock: dict[tuple[str, str], int], requests: list[dict[str, int]]
) -> None:
    book = InventoryBook()
    _setup(book, {key: (units, 0, 0) for key, units in stock.items()})
    for index, requested in enumerate(requests):
        rid = f"r{index}"
        if book.reserve(rid, requested, now=NOW, expires_at=EXPIRES).ok:
            committed = book.commit(rid, now=NOW, reference="order")
            assert book._reservations[rid] == pack_closed(committed)
            assert book.reservation(rid) == committed


def test_the_ledger_hands_out_the_movements_recorded_and_keeps_atoms() -> None:
    book = InventoryBook()
    book.define_location(Location("main"))
    book.define_sku("tee")
    book.receive("tee", "main", 5, now=NOW, reference="po-1", reason="delivery")
    book.reserve("r1", {"tee": 2}, now=NOW, expires_at=EXPIRES)
    book.commit("r1", now=NOW, reference="order-1")
    book.write_off("tee", "main", 1, now=NOW, reason="broken")
    expected = (
        StockMovement("tee", "main", 5, MovementKind.RECEIVE, "delivery", "po-1", NOW, 5),
        StockMovement("tee", "main", -2, MovementKind.SALE, "reservation committed", "r1", NOW, 3),
        StockMovement("tee", "main", -1, MovementKind.WRITE_OFF, "broken", "", NOW, 2),
    )
    assert book.ledger() == expected
    assert all(type(m.kind) is MovementKind for m in book.ledger())
    assert book.ledger("tee", "main") == expected
    assert book.ledger("mug") == ()
    assert book.ledger(location="elsewhere") == ()
    rebuilt = InventoryBook.from_snapshot(book.to_snapshot(), book.version)
    assert rebuilt.ledger() == expected
    assert rebuilt.to_snapshot() == book.to_snapshot()
    # a replayed receipt is still recognised after a reload (the applied keys are the same)
    rebuilt.receive("tee", "main", 5, now=NOW, reference="po-1")
    assert rebuilt.ledger() == expected
    gc.collect()
    assert not any(gc.is_tracked(entry) for entry in book._ledger)
    assert all(type(entry[3]) is str for entry in book._ledger)


@given(
    requested=st.integers(1, 20),
    available=st.integers(0, 20),
    per_location=st.dictionaries(st.sampled_from(LOCATIONS), st.integers(0, 9)),
    backorderable=st.one_of(st.none(), st.integers(0, 5)),
    restock=st.one_of(st.none(), st.just(EXPIRES)),
)
def test_a_checked_availability_is_what_the_constructor_builds(
    *,
    requested: int,
    available: int,
    per_location: dict[str, int],
    backorderable: int | None,
    restock: datetime | None,
) -> None:
    built = Availability("tee", requested, available, per_location, backorderable, restock)
    checked = _checked_availability(
        "tee", requested, available, dict(per_location), backorderable, restock
    )
    assert checked == built
    assert repr(checked) == repr(built)
    assert isinstance(checked.per_location, MappingProxyType)
    assert checked.can_fulfil == built.can_fulfil
    assert checked.shortfall == built.shortfall
    # anything but an exact dict takes the constructor (which copies it)
    view = MappingProxyType(dict(per_location))
    assert _checked_availability("tee", requested, available, view, None, None) == Availability(  # type: ignore[arg-type]
        "tee", requested, available, view, None, None
    )


@given(settings=_settings, quantity=st.integers(1, 12))
def test_the_books_availability_answer_is_read_only_and_its_own(
    *, settings: dict[tuple[str, str], tuple[int, int, int]], quantity: int
) -> None:
    book = InventoryBook()
    _setup(book, settings)
    for sku in SKUS:
        first = book.availability(sku, quantity)
        second = book.availability(sku, quantity)
        assert first == second
        assert first.per_location is not second.per_location
        assert isinstance(first.per_location, MappingProxyType)
        with pytest.raises(TypeError):
            first.per_location["x"] = 1  # type: ignore[index]
