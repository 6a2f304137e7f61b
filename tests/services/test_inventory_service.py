from __future__ import annotations

from datetime import timedelta

import pytest

from commerce_core import (
    AvailabilityQuery,
    BackorderPolicy,
    InsufficientStockError,
    InventoryService,
    OwnerKind,
    ReservationState,
    ReservationTtl,
)
from commerce_core.adapters.memory import InMemoryClock, InMemoryInventoryStore, InMemoryNotifier
from commerce_core.domain.events import DomainEvent


@pytest.fixture
def clock() -> InMemoryClock:
    return InMemoryClock()


@pytest.fixture
def notifier() -> InMemoryNotifier:
    return InMemoryNotifier()


@pytest.fixture
def service(clock: InMemoryClock, notifier: InMemoryNotifier) -> InventoryService:
    svc = InventoryService(InMemoryInventoryStore(), clock, notifier)
    svc.define_location("berlin", priority=1)
    svc.define_location("paris", priority=2)
    svc.define_sku("tee")
    svc.define_sku("mug")
    return svc


def alerts(notifier: InMemoryNotifier) -> list[tuple[str, str]]:
    return [(n.event_type, n.data["location"]) for n in notifier.sent]


def test_the_service_answers_availability_queries_for_carts(service: InventoryService) -> None:
    assert isinstance(service, AvailabilityQuery)
    service.receive("tee", "berlin", 3)
    service.receive("tee", "paris", 4)
    answer = service.availability("tee", 8)
    assert (answer.available, dict(answer.per_location)) == (3 + 4, {"berlin": 3, "paris": 4})
    assert not answer.can_fulfil
    assert answer.shortfall == 8 - 7


def test_restock_date_is_the_earliest_eta_that_covers_the_shortfall(
    service: InventoryService, clock: InMemoryClock
) -> None:
    service.receive("tee", "berlin", 2)
    day = timedelta(days=1)
    service.expect_incoming("po-3", "tee", "paris", 10, eta=clock.now() + 3 * day)
    service.expect_incoming("po-1", "tee", "berlin", 1, eta=clock.now() + 1 * day)
    service.expect_incoming("po-2", "tee", "berlin", 2, eta=clock.now() + 2 * day)
    # Asking for 4 with 2 on hand: short by 2. po-1 brings 1 (not enough), po-1 + po-2 bring 3.
    assert service.availability("tee", 4).restock_date == clock.now() + 2 * day
    # Short by 1: po-1 alone covers it.
    assert service.availability("tee", 3).restock_date == clock.now() + 1 * day
    # Short by 20: even all 13 incoming units do not cover it.
    assert service.availability("tee", 22).restock_date is None
    assert service.availability("tee", 2).restock_date is None


def test_receiving_against_incoming_stock_settles_it(
    service: InventoryService, clock: InMemoryClock
) -> None:
    service.expect_incoming("po-1", "tee", "berlin", 5, eta=clock.now() + timedelta(days=1))
    service.receive("tee", "berlin", 3, reference="po-1", incoming_id="po-1")
    assert [i.quantity for i in service.store.incoming("tee")] == [5 - 3]
    service.receive("tee", "berlin", 2, reference="po-1b", incoming_id="po-1")
    assert service.store.incoming("tee") == ()


def test_low_stock_alert_is_raised_once_per_crossing(
    service: InventoryService, notifier: InMemoryNotifier
) -> None:
    service.configure_item("tee", "berlin", low_stock_threshold=3)
    service.receive("tee", "berlin", 10)
    notifier.clear()
    service.reserve("a", [("tee", 6)])  # available 10 -> 4: still above the threshold
    assert alerts(notifier) == []
    service.reserve("b", [("tee", 1)])  # 4 -> 3: crosses it
    service.reserve("c", [("tee", 1)])  # 3 -> 2: still low, no new alert
    service.reserve("d", [("tee", 1)])  # 2 -> 1
    assert alerts(notifier) == [("LowStock", "berlin")]
    service.release("a")  # 1 -> 7: back above; no alert
    service.reserve("e", [("tee", 4)])  # 7 -> 3: a new crossing, a new alert
    assert alerts(notifier) == [("LowStock", "berlin"), ("LowStock", "berlin")]


def test_out_of_stock_and_back_in_stock_fire_on_the_zero_crossing(
    service: InventoryService, notifier: InMemoryNotifier
) -> None:
    service.receive("mug", "paris", 2)
    assert alerts(notifier) == []  # first stocking: it was never out of stock
    service.reserve("a", [("mug", 2)])
    service.commit("a")
    service.commit("a")
    assert alerts(notifier) == [("OutOfStock", "paris")]
    service.restock("mug", "paris", 1, reference="return-1")
    assert alerts(notifier)[1:] == [("BackInStock", "paris")]
    assert notifier.sent[-1].template_key == "inventory.back_in_stock"


def test_alerts_the_notifier_refused_are_delivered_later(
    service: InventoryService, notifier: InMemoryNotifier
) -> None:
    service.receive("mug", "paris", 2)
    notifier.fail_next(1)
    service.reserve("a", [("mug", 2)])  # 2 -> 0 available: OutOfStock, refused by the notifier
    assert notifier.sent == ()
    assert service.deliver_pending() == 0
    assert alerts(notifier) == [("OutOfStock", "paris")]


def test_guests_and_customers_get_their_own_default_time_to_live(
    clock: InMemoryClock, notifier: InMemoryNotifier
) -> None:
    ttl = ReservationTtl(guest=timedelta(minutes=10), customer=timedelta(hours=2))
    service = InventoryService(InMemoryInventoryStore(), clock, notifier, ttl=ttl)
    service.define_location("berlin")
    service.define_sku("tee")
    service.receive("tee", "berlin", 5)
    guest = service.reserve("g", [("tee", 1)]).unwrap()
    customer = service.reserve("c", [("tee", 1)], owner=OwnerKind.CUSTOMER).unwrap()
    assert guest.expires_at - clock.now() == timedelta(minutes=10)
    assert customer.expires_at - clock.now() == timedelta(hours=2)
    explicit = service.reserve("x", [("tee", 1)], ttl=timedelta(minutes=1)).unwrap()
    assert explicit.expires_at - clock.now() == timedelta(minutes=1)


def test_expiry_sweep_frees_the_units_of_abandoned_carts(
    service: InventoryService, clock: InMemoryClock
) -> None:
    service.receive("tee", "berlin", 2)
    service.reserve("abandoned", [("tee", 2)])
    assert not service.reserve("next", [("tee", 1)]).ok
    clock.advance(minutes=16)
    assert [r.id for r in service.expire_due()] == ["abandoned"]
    assert service.reserve("next", [("tee", 1)]).ok


def test_extend_uses_the_owners_time_to_live(
    service: InventoryService, clock: InMemoryClock
) -> None:
    service.receive("tee", "berlin", 2)
    service.reserve("c", [("tee", 1)], owner=OwnerKind.CUSTOMER)
    clock.advance(minutes=30)
    extended = service.extend("c")
    assert extended.expires_at == clock.now() + ReservationTtl().customer


def test_a_changed_cart_replaces_its_reservation_in_one_step(service: InventoryService) -> None:
    service.receive("tee", "berlin", 3)
    service.reserve("cart", [("tee", 2)])
    swapped = service.replace("cart", [("tee", 3)]).unwrap()
    assert swapped.requested == {"tee": 3}
    with pytest.raises(InsufficientStockError):
        service.replace("cart", [("tee", 4)]).unwrap()
    assert service.reservation("cart").requested == {"tee": 3}
    # After a release, replace starts the cart's reservation afresh under the same id.
    service.release("cart")
    assert service.replace("cart", [("tee", 1)]).unwrap().state is ReservationState.ACTIVE


def test_orders_get_the_allocation_and_settle_backorders_from_received_stock(
    service: InventoryService,
) -> None:
    service.define_sku("mug", backorder=BackorderPolicy.up_to(5))
    service.receive("mug", "paris", 1)
    service.reserve("order-1", [("mug", 3)]).unwrap()
    committed = service.commit("order-1", reference="ORD-1")
    line = committed.line("mug")
    assert [(a.location, a.quantity) for a in line.allocations] == [("paris", 1)]
    assert line.backordered == 3 - 1
    assert service.availability("mug", 1).backorderable == 5 - 2
    service.receive("mug", "berlin", 2)
    settled = service.settle_backorder("order-1", "mug", "berlin", 2)
    assert settled.line("mug").backordered == 0
    assert service.availability("mug", 1).backorderable == 5
    assert service.stock_level("mug", "berlin").on_hand == 0


def test_reconciler_finds_no_drift_in_the_in_memory_store(service: InventoryService) -> None:
    service.receive("tee", "berlin", 5)
    service.reserve("a", [("tee", 2)])
    service.reserve("b", [("tee", 1)])
    service.commit("b")
    report = service.reconcile()
    assert report.clean
    assert report.checked == 1


class DriftingStore(InMemoryInventoryStore):
    """A store whose cached reserved counter leaked one unit (what the reconciler is for)."""

    def reserved_counts(self) -> dict[tuple[str, str], int]:
        counts = super().reserved_counts()
        counts["tee", "berlin"] += 1
        return counts


def test_reconciler_reports_a_leaked_reserved_counter(clock: InMemoryClock) -> None:
    service = InventoryService(DriftingStore(), clock)
    service.define_location("berlin")
    service.define_sku("tee")
    service.receive("tee", "berlin", 5)
    service.reserve("a", [("tee", 2)])
    (drift,) = service.reconcile().drift
    assert (drift.quantity, drift.recorded, drift.expected) == ("reserved", 2 + 1, 2)


def test_every_domain_event_reaches_the_event_sink(clock: InMemoryClock) -> None:
    seen: list[DomainEvent] = []
    service = InventoryService(InMemoryInventoryStore(), clock, on_event=seen.append)
    service.define_location("berlin")
    service.define_sku("tee")
    service.receive("tee", "berlin", 1)
    service.reserve("a", [("tee", 1)])
    service.release("a")
    assert [e.event_type for e in seen] == [
        "StockMovementRecorded",
        "StockReserved",
        "OutOfStock",
        "ReservationReleased",
        "BackInStock",
    ]
