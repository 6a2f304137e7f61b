from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from commerce_core.domain.inventory import (
    RESERVATION_LIFECYCLE,
    BackorderPolicy,
    IncomingStock,
    InventoryBook,
    Location,
    ReservationLine,
    StockRequest,
)
from commerce_core.errors import InvalidQuantityError, InvalidTransitionError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LATER = T0 + timedelta(minutes=15)


def test_reservation_lifecycle_ends_in_committed_released_or_expired() -> None:
    assert RESERVATION_LIFECYCLE.allowed("active") == {"committed", "released", "expired"}
    assert RESERVATION_LIFECYCLE.terminal == {"committed", "released", "expired"}
    with pytest.raises(InvalidTransitionError):
        RESERVATION_LIFECYCLE.check("released", "committed")


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True])
def test_a_requested_quantity_must_be_a_positive_integer(quantity: object) -> None:
    with pytest.raises(InvalidQuantityError):
        StockRequest("tee", quantity)  # type: ignore[arg-type]


def test_a_line_quantity_is_its_allocations_plus_backorders() -> None:
    with pytest.raises(InvalidQuantityError):
        ReservationLine("tee", 3, (), backordered=2)


def test_only_a_limited_backorder_policy_has_a_limit() -> None:
    with pytest.raises(InvalidQuantityError):
        BackorderPolicy.up_to(-1)
    assert BackorderPolicy.unlimited().headroom(1_000) is None
    assert BackorderPolicy.up_to(5).headroom(3) == 5 - 3
    assert BackorderPolicy.deny().headroom(0) == 0


def test_a_backorder_limit_cannot_be_narrowed_below_what_is_owed() -> None:
    book = InventoryBook()
    book.define_location(Location("berlin"))
    book.define_sku("mug", BackorderPolicy.up_to(5))
    book.reserve("c", {"mug": 4}, now=T0, expires_at=LATER)
    with pytest.raises(InvalidQuantityError):
        book.define_sku("mug", BackorderPolicy.up_to(3))


def test_the_book_rebuilds_from_its_snapshot() -> None:
    book = InventoryBook()
    book.define_location(Location("berlin", 1, "Berlin"))
    book.define_location(Location("paris", 2))
    book.define_sku("tee")
    book.define_sku("mug", BackorderPolicy.up_to(2))
    book.receive("tee", "berlin", 5, now=T0, reference="po-1")
    book.configure_item("tee", "paris", safety_stock=1, low_stock_threshold=2, now=T0)
    book.expect_incoming(IncomingStock("po-2", "tee", "paris", 4, LATER))
    book.reserve("a", {"tee": 2, "mug": 1}, now=T0, expires_at=LATER)
    book.reserve("b", {"tee": 1}, now=T0, expires_at=LATER)
    book.commit("b", now=T0)
    data = json.loads(json.dumps(book.to_snapshot()))
    copy = InventoryBook.from_snapshot(data, book.version)
    assert copy.to_snapshot() == book.to_snapshot()
    assert copy.reserved_counts() == book.reserved_counts()
    assert copy.outstanding_backorders("mug") == 1
    assert copy.levels("tee") == book.levels("tee")
    assert copy.reservation("a") == book.reservation("a")
    # A replayed receipt is still recognised after the round trip.
    copy.receive("tee", "berlin", 5, now=T0, reference="po-1")
    assert copy.level("tee", "berlin").on_hand == book.level("tee", "berlin").on_hand
