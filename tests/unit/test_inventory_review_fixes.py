"""Inventory rules that a review found broken: each test failed before its fix."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from commerce_core import (
    CommerceError,
    IncomingStock,
    InvalidInventoryValueError,
    InventoryService,
    Location,
    ReservationTtl,
    UnknownIncomingStockError,
)
from commerce_core.adapters.memory import InMemoryClock, InMemoryInventoryStore, InMemoryNotifier


@pytest.fixture
def clock() -> InMemoryClock:
    return InMemoryClock()


@pytest.fixture
def notifier() -> InMemoryNotifier:
    return InMemoryNotifier()


@pytest.fixture
def store() -> InMemoryInventoryStore:
    return InMemoryInventoryStore()


@pytest.fixture
def service(
    store: InMemoryInventoryStore, clock: InMemoryClock, notifier: InMemoryNotifier
) -> InventoryService:
    svc = InventoryService(store, clock, notifier)
    svc.define_location("berlin")
    svc.define_sku("tee")
    return svc


def test_a_location_needs_a_non_empty_id_and_says_so_with_a_commerce_error() -> None:
    with pytest.raises(InvalidInventoryValueError) as caught:
        Location("")
    assert (caught.value.field, isinstance(caught.value, CommerceError)) == ("id", True)


@pytest.mark.parametrize("field", ["guest", "customer"])
def test_a_reservation_time_to_live_must_be_positive_with_a_commerce_error(field: str) -> None:
    with pytest.raises(InvalidInventoryValueError) as caught:
        ReservationTtl(**{field: timedelta(0)})
    assert caught.value.field == field


def test_an_incoming_stock_eta_must_be_timezone_aware_with_a_commerce_error() -> None:
    with pytest.raises(InvalidInventoryValueError) as caught:
        IncomingStock("po-1", "tee", "berlin", 1, datetime(2030, 1, 1))  # noqa: DTZ001
    assert caught.value.field == "eta"


def test_receiving_against_an_unknown_incoming_id_is_refused_and_books_nothing(
    service: InventoryService, store: InMemoryInventoryStore
) -> None:
    before = store.snapshot()
    with pytest.raises(UnknownIncomingStockError) as caught:
        service.receive("tee", "berlin", 1, incoming_id="nope")
    assert caught.value.key == "nope"
    assert store.snapshot() == before


def test_replaying_a_receipt_that_settled_its_incoming_stock_is_still_a_no_op(
    service: InventoryService, store: InMemoryInventoryStore, clock: InMemoryClock
) -> None:
    service.expect_incoming("po-1", "tee", "berlin", 2, eta=clock.now() + timedelta(days=1))
    service.receive("tee", "berlin", 2, reference="GRN-1", incoming_id="po-1")
    # po-1 is settled and gone; the same receipt replayed must not fail nor double-count
    level = service.receive("tee", "berlin", 2, reference="GRN-1", incoming_id="po-1")
    assert level.on_hand == 2
    assert store.incoming("tee") == ()


def test_an_overdue_incoming_stock_is_kept_and_reported_as_the_restock_date(
    service: InventoryService, clock: InMemoryClock
) -> None:
    overdue = clock.now() - timedelta(days=1)
    service.expect_incoming("po-late", "tee", "berlin", 3, eta=overdue)
    assert service.availability("tee", 2).restock_date == overdue


def test_the_first_ever_receipt_raises_no_back_in_stock_alert(
    service: InventoryService, notifier: InMemoryNotifier
) -> None:
    service.receive("tee", "berlin", 5)
    assert notifier.sent == ()


def test_a_configured_but_never_stocked_item_is_not_back_in_stock_on_its_first_receipt(
    service: InventoryService, notifier: InMemoryNotifier
) -> None:
    service.configure_item("tee", "berlin", low_stock_threshold=2, safety_stock=1)
    service.receive("tee", "berlin", 10)
    assert notifier.sent == ()


def test_back_in_stock_follows_only_an_out_of_stock_crossing(
    service: InventoryService, notifier: InMemoryNotifier
) -> None:
    service.receive("tee", "berlin", 2)
    service.reserve("r1", [("tee", 2)])  # 2 -> 0 available: out of stock
    service.release("r1")  # 0 -> 2: back in stock
    assert [n.event_type for n in notifier.sent] == ["OutOfStock", "BackInStock"]


def test_an_item_out_of_stock_before_a_reload_is_back_in_stock_after_it(
    clock: InMemoryClock,
) -> None:
    from commerce_core.domain.inventory.book import InventoryBook

    book = InventoryBook()
    book.define_location(Location("berlin"))
    book.define_sku("tee")
    now = clock.now()
    book.receive("tee", "berlin", 1, now=now)
    book.write_off("tee", "berlin", 1, now=now)
    reloaded = InventoryBook.from_snapshot(book.to_snapshot(), book.version)
    reloaded.collect_events()
    reloaded.receive("tee", "berlin", 1, now=now)
    assert "BackInStock" in [e.event_type for e in reloaded.collect_events()]
