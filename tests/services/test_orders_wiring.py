"""Orders wired to the real inventory and payment services, end to end with in-memory adapters.

The shop: mugs (10.00 net) and lamps (30.00 net) at 20% VAT, stocked in Paris and Lyon. The
standard order is 2 mugs + 1 lamp: gross 2 x 12.00 + 36.00 = 60.00, paid 20.00 by gift card and
40.00 by card. Checkout reserves the stock, places the order and commits the reservation.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce_core import (
    Address,
    CartOwner,
    CartService,
    CatalogItem,
    Customer,
    Destination,
    InvalidQuantityError,
    InventoryOrderStock,
    InventoryService,
    Jurisdiction,
    Money,
    MovementKind,
    NotFoundError,
    Order,
    OrderPayments,
    OrderService,
    OrderStock,
    PaymentKind,
    PaymentMethod,
    PaymentService,
    PaymentServiceOrderPayments,
    PaymentTerms,
    PricingContext,
    ReservationState,
    RetryPolicy,
    ReturnLine,
    StockLine,
    TaxRate,
    TaxTable,
    money,
)
from commerce_core.adapters.memory import (
    InMemoryCartRepository,
    InMemoryCatalog,
    InMemoryClock,
    InMemoryIdempotencyStore,
    InMemoryInventoryStore,
    InMemoryNotifier,
    InMemoryOrderNumbers,
    InMemoryOrderRepository,
    InMemoryPaymentRepository,
    InMemoryTransactionLog,
    SequentialIdFactory,
    SimulatedPaymentGateway,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ADDRESS = Address("Ann Lee", "1 Main St", "Paris", "75001", "FR")
GIFT_CARD = PaymentMethod("gc_2000", "gift_card")
CARD = PaymentMethod("tok_visa", "card")


def eur(amount: str) -> Money:
    return money(amount, "EUR")


class World:
    """Cart, inventory, payments and orders services over in-memory adapters."""

    def __init__(self) -> None:
        self.clock = InMemoryClock(NOW)
        ids = SequentialIdFactory()
        self.inventory = InventoryService(InMemoryInventoryStore(), self.clock)
        self.inventory.define_location("paris", priority=1)
        self.inventory.define_location("lyon", priority=2)
        for sku in ("MUG", "LAMP"):
            self.inventory.define_sku(sku)
        # One mug in each city, so a 2-mug reservation is split: paris 1, lyon 1.
        self.inventory.receive("MUG", "paris", 1, reference="po-1")
        self.inventory.receive("MUG", "lyon", 1, reference="po-2")
        self.inventory.receive("LAMP", "paris", 5, reference="po-3")
        self.carts = CartService(
            carts=InMemoryCartRepository(),
            catalog=InMemoryCatalog(
                [
                    CatalogItem.simple("MUG", "Mug", eur("10.00")),
                    CatalogItem.simple("LAMP", "Lamp", eur("30.00")),
                ]
            ),
            stock=self.inventory,
            clock=self.clock,
            ids=ids,
            notifier=InMemoryNotifier(),
        )
        self.gateway = SimulatedPaymentGateway()
        self.payment_repo = InMemoryPaymentRepository()
        self.idempotency = InMemoryIdempotencyStore(self.clock)
        self.payments = PaymentService(
            gateway=self.gateway,
            payments=self.payment_repo,
            idempotency=self.idempotency,
            log=InMemoryTransactionLog(),
            clock=self.clock,
            ids=ids,
            retry=RetryPolicy(max_attempts=1),
            sleeper=lambda _seconds: None,
        )
        self.stock = InventoryOrderStock(self.inventory)
        self.order_payments = PaymentServiceOrderPayments(
            self.payments, repository=self.payment_repo, idempotency=self.idempotency
        )
        self.orders = OrderService(
            repository=InMemoryOrderRepository(),
            numbers=InMemoryOrderNumbers(),
            stock=self.stock,
            payments=self.order_payments,
            clock=self.clock,
            ids=ids,
        )

    def on_hand(self, sku: str, location: str) -> int:
        return self.inventory.stock_level(sku, location).on_hand

    def checkout(self, *, capture: bool = True, commit: bool = True) -> Order:
        """Cart -> price -> reserve -> place -> (commit) -> pay by gift card and card."""
        cart = self.carts.open_cart(CartOwner.customer("c1"), "EUR")
        self.carts.add_item(cart.id, "MUG", 2)
        self.carts.add_item(cart.id, "LAMP", 1)
        breakdown = self.carts.price(
            cart.id,
            PricingContext(currency="EUR", now=NOW, destination=Destination("FR")),
            tax=TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))]),
        )
        assert breakdown.grand_total == eur("60.00")  # 2 x 12.00 + 36.00
        self.inventory.reserve("res_1", [("MUG", 2), ("LAMP", 1)]).unwrap()
        order = self.orders.place_order(
            breakdown,
            customer=Customer("ann@example.com", "c1"),
            billing_address=ADDRESS,
            shipping_address=ADDRESS,
            payment_terms=PaymentTerms.card(),
            reservation_id="res_1",
        )
        if commit:
            self.inventory.commit("res_1", reference=order.number)
        kind = PaymentKind.CAPTURED if capture else PaymentKind.AUTHORIZED
        for pid, method, amount in (("pay_gc", GIFT_CARD, "20.00"), ("pay_card", CARD, "40.00")):
            assert self.payments.pay(order.order_id, eur(amount), method, payment_id=pid).approved
            if capture:
                assert self.payments.capture(pid).approved
            self.orders.record_payment(order.order_id, kind, eur(amount), reference=pid)
        return self.orders.get(order.order_id)


def line_id(order: Order, sku: str) -> str:
    return next(line.line_id for line in order.lines if line.sku == sku)


@pytest.fixture
def world() -> World:
    return World()


def test_both_adapters_satisfy_the_order_ports(world: World) -> None:
    assert isinstance(world.stock, OrderStock)
    assert isinstance(world.order_payments, OrderPayments)


def test_shipping_a_committed_reservation_moves_no_stock_twice(world: World) -> None:
    order = world.checkout()
    assert (world.on_hand("MUG", "paris"), world.on_hand("MUG", "lyon")) == (0, 0)
    world.orders.ship(order.order_id, {line_id(order, "MUG"): 1}, location="paris", actor="s")
    sales = [m for m in world.inventory.store.ledger("MUG") if m.kind is MovementKind.SALE]
    assert len(sales) == 2  # one per allocation, made at checkout; none at shipment
    assert world.inventory.reservation("res_1").state is ReservationState.COMMITTED


def test_cancelling_the_unshipped_rest_restocks_where_it_was_allocated_and_splits_the_refund(
    world: World,
) -> None:
    order = world.checkout()
    mug, lamp = line_id(order, "MUG"), line_id(order, "LAMP")
    world.orders.ship(order.order_id, {mug: 1}, location="paris", actor="s")

    result = world.orders.cancel_lines(order.order_id, {mug: 1, lamp: 1}, actor="ann")

    # The unshipped mug goes back to the last allocation (lyon), the lamp to paris.
    assert (world.on_hand("MUG", "paris"), world.on_hand("MUG", "lyon")) == (0, 1)
    assert world.on_hand("LAMP", "paris") == 5 - 1 + 1
    # 48.00 cancelled (12.00 + 36.00), split over what each tender can refund, 20 : 40.
    assert result.payment is not None
    assert result.payment.succeeded
    assert result.cancelled.gross == eur("48.00")
    assert world.payments.get("pay_gc").refunded == eur("16.00")  # 48 x 20/60
    assert world.payments.get("pay_card").refunded == eur("32.00")  # 48 x 40/60
    assert result.order.refunded == eur("48.00")
    assert world.inventory.reconcile().clean


def test_cancelling_a_whole_authorized_order_restocks_everything_and_voids_every_hold(
    world: World,
) -> None:
    order = world.checkout(capture=False)
    result = world.orders.cancel(order.order_id, actor="ann", reason="changed mind")
    assert (world.on_hand("MUG", "paris"), world.on_hand("MUG", "lyon")) == (1, 1)
    assert world.on_hand("LAMP", "paris") == 5
    assert result.payment is not None
    assert result.payment.succeeded
    assert world.payments.summary(order.order_id, "EUR").open_authorizations == ()
    assert world.gateway.open_authorizations == ()


def test_a_partial_void_that_no_hold_matches_is_a_decline_and_voids_nothing(
    world: World,
) -> None:
    order = world.checkout(capture=False)
    outcome = world.order_payments.void(order.order_id, eur("12.00"), idempotency_key="k")
    assert not outcome.succeeded
    assert "cannot be released in part" in outcome.reason
    assert len(world.payments.summary(order.order_id, "EUR").open_authorizations) == 2


def test_a_void_matching_one_tender_releases_only_that_hold(world: World) -> None:
    order = world.checkout(capture=False)
    outcome = world.order_payments.void(order.order_id, eur("40.00"), idempotency_key="k")
    assert outcome.succeeded
    summary = world.payments.summary(order.order_id, "EUR")
    assert summary.open_authorizations == ("pay_gc",)


def test_cancelling_lines_of_an_active_reservation_shrinks_it_and_a_full_cancel_releases_it(
    world: World,
) -> None:
    order = world.checkout(commit=False)
    world.orders.cancel_lines(order.order_id, {line_id(order, "MUG"): 1}, actor="ann")
    reservation = world.inventory.reservation("res_1")
    assert reservation.is_active
    assert reservation.requested == {"MUG": 1, "LAMP": 1}
    world.orders.cancel(order.order_id, actor="ann")
    assert world.inventory.reservation("res_1").state is ReservationState.RELEASED
    assert world.inventory.availability("MUG", 2).available == 2


def test_shipping_from_an_active_reservation_commits_it(world: World) -> None:
    order = world.checkout(commit=False)
    world.orders.ship(order.order_id, {line_id(order, "LAMP"): 1}, location="paris", actor="s")
    assert world.inventory.reservation("res_1").state is ReservationState.COMMITTED
    assert world.on_hand("LAMP", "paris") == 5 - 1


def test_stock_side_effects_are_idempotent_by_key(world: World) -> None:
    world.checkout(commit=False)
    lines = [StockLine("MUG", 1)]
    world.stock.release("res_1", lines=lines, idempotency_key="cx-1")
    world.stock.release("res_1", lines=lines, idempotency_key="cx-1")
    assert world.inventory.reservation("res_1").requested == {"MUG": 1, "LAMP": 1}
    world.stock.commit("res_1", lines=lines, location="paris", idempotency_key="sh-1")
    world.stock.commit("res_1", lines=lines, location="paris", idempotency_key="sh-1")
    on_hand = world.on_hand("LAMP", "paris")
    world.stock.release("res_1", lines=[StockLine("LAMP", 1)], idempotency_key="cx-2")
    world.stock.release("res_1", lines=[StockLine("LAMP", 1)], idempotency_key="cx-2")
    assert world.on_hand("LAMP", "paris") == on_hand + 1


def test_restocking_never_puts_back_more_than_was_allocated_at_a_location(world: World) -> None:
    world.checkout()
    world.stock.release("res_1", lines=[StockLine("MUG", 1)], idempotency_key="a")
    world.stock.release("res_1", lines=[StockLine("MUG", 1)], idempotency_key="b")
    assert (world.on_hand("MUG", "paris"), world.on_hand("MUG", "lyon")) == (1, 1)


def test_stock_misuse_is_a_typed_error(world: World) -> None:
    world.checkout()
    with pytest.raises(NotFoundError):
        world.stock.release("res_x", idempotency_key="k")
    with pytest.raises(InvalidQuantityError):
        world.stock.release("res_1", lines=[StockLine("MUG", 3)], idempotency_key="k")
    with pytest.raises(InvalidQuantityError):
        world.stock.commit(
            "res_1", lines=[StockLine("TEA", 1)], location="paris", idempotency_key="k"
        )


def test_returns_restock_or_write_off_through_the_ledger_and_refund_both_tenders(
    world: World,
) -> None:
    order = world.checkout()
    mug = line_id(order, "MUG")
    world.orders.ship(order.order_id, {mug: 2}, location="paris", actor="s")
    good = world.orders.request_return(order.order_id, [ReturnLine(mug, 1)], actor="ann")
    good_id = good.returns[-1].return_id
    world.orders.approve_return(order.order_id, good_id, actor="staff")
    world.orders.receive_return(order.order_id, good_id, restock_location="paris", actor="staff")
    assert world.on_hand("MUG", "paris") == 0 + 1

    broken = world.orders.request_return(order.order_id, [ReturnLine(mug, 1)], actor="ann")
    broken_id = broken.returns[-1].return_id
    world.orders.approve_return(order.order_id, broken_id, actor="staff")
    world.orders.receive_return(order.order_id, broken_id, restock_location=None, actor="staff")
    assert world.on_hand("MUG", "paris") == 1  # net zero: returned, then written off
    moves = [
        (m.kind, m.quantity)
        for m in world.inventory.store.ledger("MUG", "paris")
        if m.reference.startswith(broken_id)
    ]
    assert moves == [(MovementKind.RETURN, 1), (MovementKind.WRITE_OFF, -1)]

    refunded = world.orders.refund_return(order.order_id, good_id)
    assert refunded.payment.succeeded
    # One mug is 12.00 gross, split 20 : 40 over the tenders -> 4.00 and 8.00.
    assert world.payments.get("pay_gc").refunded == eur("4.00")
    assert world.payments.get("pay_card").refunded == eur("8.00")
    assert world.inventory.reconcile().clean


def test_refunds_are_idempotent_by_key_and_replay_the_first_outcome(world: World) -> None:
    order = world.checkout()
    first = world.order_payments.refund(order.order_id, eur("30.00"), idempotency_key="r1")
    again = world.order_payments.refund(order.order_id, eur("30.00"), idempotency_key="r1")
    assert first == again
    assert first.succeeded
    total = world.payments.summary(order.order_id, "EUR").refunded
    assert total == eur("30.00")  # 10.00 + 20.00, once


def test_a_refund_split_is_exact_to_the_cent(world: World) -> None:
    order = world.checkout()
    world.order_payments.refund(order.order_id, eur("0.01"), idempotency_key="r1")
    world.order_payments.refund(order.order_id, eur("10.00"), idempotency_key="r2")
    gc, card = world.payments.get("pay_gc").refunded, world.payments.get("pay_card").refunded
    # 1 cent over 20.00 : 40.00 -> exact shares 0.33 / 0.67 cent, the card has the larger
    # remainder. Then 1000 cents over 20.00 : 39.99 -> 333.39 / 666.61: floors 333 + 666, the
    # last cent to the card (remainder .61 > .39). Card: 0.01 + 6.67.
    assert gc + card == eur("10.01")
    assert (gc, card) == (eur("3.33"), eur("6.68"))


def test_a_failed_refund_is_a_value_not_an_exception(world: World) -> None:
    order = world.checkout()
    world.gateway.fail_next(1)
    outcome = world.order_payments.refund(order.order_id, eur("6.00"), idempotency_key="r1")
    assert not outcome.succeeded
    assert "transient" in outcome.reason
    too_much = world.order_payments.refund(order.order_id, eur("61.00"), idempotency_key="r2")
    assert not too_much.succeeded
    assert world.payments.summary(order.order_id, "EUR").refunded == eur("0.00")
