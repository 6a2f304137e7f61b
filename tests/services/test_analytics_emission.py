"""Cart and order services emit journey events after a successful save; analytics never fails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce_core import (
    Address,
    CartOwner,
    CartService,
    CatalogItem,
    ConcurrencyConflictError,
    Customer,
    Destination,
    InvalidTransitionError,
    JourneyContext,
    JourneyEvent,
    Jurisdiction,
    Money,
    Order,
    OrderService,
    PaymentKind,
    PaymentTerms,
    PricingContext,
    PricingLine,
    ProductAddedToCart,
    ProductRemovedFromCart,
    StockUnavailableError,
    TaxRate,
    TaxTable,
    journey,
    money,
    price_cart,
)
from commerce_core.adapters.memory import (
    InMemoryAnalyticsSink,
    InMemoryCartRepository,
    InMemoryCatalog,
    InMemoryClock,
    InMemoryInventoryStore,
    InMemoryNotifier,
    InMemoryOrderNumbers,
    InMemoryOrderPayments,
    InMemoryOrderRepository,
    InMemoryOrderStock,
    SequentialIdFactory,
)
from commerce_core.domain.cart import Cart
from commerce_core.services.inventory import InventoryService

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ADDRESS = Address("Ann Lee", "1 Main St", "Paris", "75001", "FR")


def eur(amount: str) -> Money:
    return money(amount, "EUR")


class BrokenSink:
    """A sink whose storage is down."""

    def __init__(self) -> None:
        self.calls = 0

    def record(self, event: JourneyEvent) -> None:
        self.calls += 1
        raise OSError("analytics disk full")


class ConflictingCarts(InMemoryCartRepository):
    """A cart store where every save loses an optimistic-concurrency race."""

    def save(self, cart: Cart) -> None:
        raise ConcurrencyConflictError("cart", cart.id, cart.version, cart.version + 1)


def cart_service(
    sink: object, carts: InMemoryCartRepository | None = None
) -> tuple[CartService, InMemoryCartRepository]:
    repo = carts if carts is not None else InMemoryCartRepository()
    clock = InMemoryClock(NOW)
    stock = InventoryService(InMemoryInventoryStore(), clock)
    stock.define_location("main")
    stock.define_sku("TEA")
    stock.define_sku("MUG")
    stock.receive("TEA", "main", 5)
    stock.receive("MUG", "main", 100)
    service = CartService(
        carts=repo,
        catalog=InMemoryCatalog(
            [
                CatalogItem.simple("TEA", "Tea", eur("4.50")),
                CatalogItem.simple("MUG", "Mug", eur("12.00")),
            ]
        ),
        stock=stock,
        clock=clock,
        ids=SequentialIdFactory(),
        notifier=InMemoryNotifier(),
        analytics=sink,  # type: ignore[arg-type]
    )
    return service, repo


def moves(sink: InMemoryAnalyticsSink) -> list[tuple[str, str, int]]:
    return [
        (e.event_type, e.sku, e.quantity)
        for e in sink.events
        if isinstance(e, ProductAddedToCart | ProductRemovedFromCart)
    ]


def test_cart_line_changes_emit_added_and_removed_units_per_sku() -> None:
    sink = InMemoryAnalyticsSink()
    service, repo = cart_service(sink)
    cart = service.open_cart(CartOwner.guest("g"), "EUR", channel="ads")
    service.add_item(cart.id, "TEA", 2, session_id="s1")
    tea = repo.get(cart.id).lines[0].line_id
    service.change_quantity(cart.id, tea, 5, session_id="s1")
    service.change_quantity(cart.id, tea, 1, session_id="s1")
    service.add_item(cart.id, "MUG", 1, session_id="s1")
    service.clear(cart.id, session_id="s1")
    assert moves(sink) == [
        ("ProductAddedToCart", "TEA", 2),
        ("ProductAddedToCart", "TEA", 5 - 2),
        ("ProductRemovedFromCart", "TEA", 5 - 1),
        ("ProductAddedToCart", "MUG", 1),
        ("ProductRemovedFromCart", "TEA", 1),
        ("ProductRemovedFromCart", "MUG", 1),
    ]
    first = sink.events[0]
    assert (first.session_id, first.channel, first.customer_id) == ("s1", "ads", None)
    assert isinstance(first, ProductAddedToCart)
    assert first.cart_id == cart.id


def test_without_a_session_the_cart_id_stands_for_it_and_a_customer_is_named() -> None:
    sink = InMemoryAnalyticsSink()
    service, repo = cart_service(sink)
    cart = service.open_cart(CartOwner.customer("c7"), "EUR")
    service.add_item(cart.id, "MUG", 1)
    service.remove_line(cart.id, repo.get(cart.id).lines[0].line_id)
    assert [(e.session_id, e.customer_id, e.channel) for e in sink.events] == [
        (f"cart:{cart.id}", "c7", "default")
    ] * 2


def test_a_refused_cart_change_emits_nothing() -> None:
    sink = InMemoryAnalyticsSink()
    service, _ = cart_service(sink)
    cart = service.open_cart(CartOwner.guest("g"), "EUR")
    with pytest.raises(StockUnavailableError):
        service.add_item(cart.id, "TEA", 6)
    assert sink.events == ()


def test_a_cart_save_that_fails_emits_nothing() -> None:
    sink = InMemoryAnalyticsSink()
    repo = InMemoryCartRepository()
    setup, _ = cart_service(None, repo)
    cart = setup.open_cart(CartOwner.guest("g"), "EUR")
    broken = ConflictingCarts()
    broken.__dict__.update(repo.__dict__)  # the same stored carts, saves always conflict
    service, _ = cart_service(sink, broken)
    with pytest.raises(ConcurrencyConflictError):
        service.add_item(cart.id, "TEA", 1)
    assert sink.events == ()


def test_a_failing_sink_never_breaks_a_cart_change_and_is_counted() -> None:
    sink = BrokenSink()
    service, repo = cart_service(sink)
    cart = service.open_cart(CartOwner.guest("g"), "EUR")
    service.add_item(cart.id, "TEA", 2)
    assert repo.get(cart.id).item_count == 2
    assert (sink.calls, service.analytics_failures) == (1, 1)


def order_service(sink: object, **kwargs: object) -> tuple[OrderService, InMemoryOrderPayments]:
    payments = InMemoryOrderPayments()
    service = OrderService(
        repository=InMemoryOrderRepository(),
        numbers=InMemoryOrderNumbers(),
        stock=InMemoryOrderStock(),
        payments=payments,
        clock=InMemoryClock(NOW),
        ids=SequentialIdFactory(),
        analytics=sink,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )
    return service, payments


def paid_order(service: OrderService) -> Order:
    # 2 x 10.00 net mugs + 1 x 30.00 net lamp at 20% VAT: gross 24.00 + 36.00 = 60.00
    breakdown = price_cart(
        [
            PricingLine("mug", "MUG", "Mug", 2, eur("10.00")),
            PricingLine("lamp", "LAMP", "Lamp", 1, eur("30.00")),
        ],
        PricingContext(currency="EUR", now=NOW, destination=Destination("FR")),
        tax=TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))]),
    )
    order = service.place_order(
        breakdown,
        customer=Customer("ann@example.com", "c1"),
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        payment_terms=PaymentTerms.card(),
        reservation_id=None,
    )
    return service.record_payment(
        order.order_id, PaymentKind.CAPTURED, eur("60.00"), reference="cap"
    )


def test_a_saved_refund_emits_order_refunded_with_its_tax() -> None:
    sink = InMemoryAnalyticsSink()
    service, _ = order_service(sink)
    order = paid_order(service)
    service.refund(order.order_id, lines={"mug": 1})
    (event,) = sink.events
    assert isinstance(event, journey.OrderRefunded)
    # one mug: 10.00 net + 2.00 VAT, no shipping
    assert (event.amount, event.tax, event.shipping) == (eur("12.00"), eur("2.00"), eur("0"))
    assert (event.session_id, event.channel, event.customer_id) == (
        f"order:{order.order_id}",
        "unknown",
        "c1",
    )


def test_a_declined_refund_emits_nothing() -> None:
    sink = InMemoryAnalyticsSink()
    service, payments = order_service(sink)
    order = paid_order(service)
    payments.decline_next("card closed")
    result = service.refund(order.order_id, amount=eur("5.00"))
    assert not result.payment.succeeded
    assert sink.events == ()


def test_cancelling_emits_order_cancelled_once_with_the_host_journey() -> None:
    sink = InMemoryAnalyticsSink()
    service, _ = order_service(
        sink, journey=lambda order: JourneyContext("s9", "email", order.customer.customer_id)
    )
    order = paid_order(service)
    service.cancel_lines(order.order_id, {"mug": 1}, actor="ann")
    assert [e.event_type for e in sink.events] == ["OrderRefunded"]  # a partial cancel
    service.cancel_lines(order.order_id, {"mug": 1, "lamp": 1}, actor="ann")
    types = [e.event_type for e in sink.events]
    assert types.count("OrderCancelled") == 1
    cancelled = next(e for e in sink.events if isinstance(e, journey.OrderCancelled))
    assert (cancelled.session_id, cancelled.channel, cancelled.order_id) == (
        "s9",
        "email",
        order.order_id,
    )


def test_a_refused_cancellation_emits_nothing() -> None:
    sink = InMemoryAnalyticsSink()
    service, _ = order_service(sink)
    order = paid_order(service)
    service.ship(order.order_id, {"mug": 1}, location="paris", actor="staff")
    with pytest.raises(InvalidTransitionError):
        service.cancel(order.order_id, actor="ann")
    assert sink.events == ()


def test_a_failing_sink_never_breaks_a_cancellation_and_is_counted() -> None:
    sink = BrokenSink()
    service, _ = order_service(sink)
    order = paid_order(service)
    result = service.cancel(order.order_id, actor="ann", reason="changed mind")
    assert result.order.fully_cancelled
    assert result.payment is not None
    assert result.payment.succeeded
    # OrderCancelled, then OrderRefunded for the 60.00: both dropped, both counted
    assert (sink.calls, service.analytics_failures) == (2, 2)
