"""Checkout end to end: a paid order, a declined card undone, a replay, crashes recovered, and an
authorize-only order captured at shipment.

Run: python examples/checkout.py
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from commerce_core import (
    Address,
    CaptureMode,
    CartOwner,
    CartService,
    CatalogItem,
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutPolicy,
    CheckoutService,
    CheckoutStep,
    CheckoutSuccess,
    Coupon,
    Customer,
    FailureReason,
    FlatRate,
    InventoryOrderStock,
    InventoryService,
    Jurisdiction,
    OrderService,
    OutboxDispatcher,
    PaymentMethod,
    PaymentService,
    PaymentServiceOrderPayments,
    PercentOff,
    Promotion,
    PromotionBook,
    PromotionEngine,
    ReservationState,
    Selector,
    ShippingMethod,
    ShippingRateTable,
    TaxRate,
    TaxTable,
    money,
)
from commerce_core.adapters.memory import (
    InMemoryAnalyticsSink,
    InMemoryCartRepository,
    InMemoryCatalog,
    InMemoryCheckoutLog,
    InMemoryClock,
    InMemoryCouponUsage,
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


class ProcessKilled(BaseException):
    """Stands for the process dying between two steps (the service does not catch it)."""


crash_after: set[CheckoutStep] = set()


def step_hook(_attempt: CheckoutAttempt, step: CheckoutStep) -> None:
    if step in crash_after:
        crash_after.discard(step)
        raise ProcessKilled


clock = InMemoryClock()
ids = SequentialIdFactory()
notifier = InMemoryNotifier()
eur = "EUR"
catalog = InMemoryCatalog(
    [
        CatalogItem.simple("TEA", "Sencha", money("10.00", eur), weight=Decimal("0.2")),
        CatalogItem.simple("MUG", "Mug", money("8.50", eur), weight=Decimal("0.4")),
        CatalogItem.simple("POT", "Teapot", money("25.00", eur), weight=Decimal(1)),
    ]
)
inventory = InventoryService(InMemoryInventoryStore(), clock)
inventory.define_location("main")
for sku in ("TEA", "MUG", "POT"):
    inventory.define_sku(sku)
    inventory.receive(sku, "main", 20, reference=f"po-1:{sku}")
carts = CartService(
    carts=InMemoryCartRepository(),
    catalog=catalog,
    stock=inventory,
    clock=clock,
    ids=ids,
    notifier=notifier,
)
book = PromotionBook(
    [
        Promotion(
            id="tea-10",
            name="10% off tea",
            benefit=PercentOff(10),
            targets=Selector.of(skus={"TEA"}),
        ),
        Promotion(id="save-5", name="5% off", benefit=PercentOff(5), requires_code=True),
    ],
    [Coupon(code="SAVE5", promotion_id="save-5", max_uses=100)],
)
usage = InMemoryCouponUsage()
promotions = PromotionEngine(book, usage=usage)
gateway = SimulatedPaymentGateway()
payment_repository = InMemoryPaymentRepository()
idempotency = InMemoryIdempotencyStore(clock)
payments = PaymentService(
    gateway=gateway,
    payments=payment_repository,
    idempotency=idempotency,
    log=InMemoryTransactionLog(),
    clock=clock,
    ids=ids,
    sleeper=lambda _seconds: None,  # no real waiting between retries in an example
    random=random.Random(1),  # noqa: S311 - retry jitter
)
order_repository = InMemoryOrderRepository()
orders = OrderService(
    repository=order_repository,
    numbers=InMemoryOrderNumbers(),
    stock=InventoryOrderStock(inventory),  # checkout commits stock when the order is placed
    payments=PaymentServiceOrderPayments(
        payments, repository=payment_repository, idempotency=idempotency
    ),
    clock=clock,
    ids=ids,
)
analytics = InMemoryAnalyticsSink()
checkout = CheckoutService(
    log=InMemoryCheckoutLog(),
    carts=carts,
    inventory=inventory,
    payments=payments,
    orders=orders,
    clock=clock,
    coupons=promotions,
    stages=[promotions],
    tax=TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))]),
    shipping=ShippingRateTable(
        [ShippingMethod("standard", "Standard", FlatRate(money("4.90", eur)))]
    ),
    dispatcher=OutboxDispatcher(order_repository.outbox, notifier, clock),
    analytics=analytics,
    policy=CheckoutPolicy(reservation_ttl=timedelta(minutes=15)),
    on_step=step_hook,
)

customer = Customer("ana@example.test", customer_id="cust-1", name="Ana")
home = Address("Ana", "1 rue du Thé", "Lyon", "69001", "FR")


def new_cart(owner: str) -> str:
    cart = carts.open_cart(CartOwner.customer(owner), eur)
    for sku, quantity in (("TEA", 2), ("MUG", 1), ("POT", 1)):
        carts.add_item(cart.id, sku, quantity)
    return cart.id


def buy(
    cart_id: str,
    key: str,
    token: str = "tok_visa",  # noqa: S107 - a simulated gateway's test token
) -> CheckoutSuccess | CheckoutFailure:
    return checkout.checkout(
        cart_id,
        customer=customer,
        billing_address=home,
        shipping_address=home,
        shipping_method="standard",
        payment_method=PaymentMethod(token),
        idempotency_key=key,
        coupon_codes=["save5"],
    )


# 1. A paid order.
paid = buy(new_cart("cust-1"), "order-form-1")
assert isinstance(paid, CheckoutSuccess)
order = paid.order
print(f"order {order.number}: {order.totals.total.gross} {order.status}")
assert order.status == "paid"
assert order.captured == order.totals.total.gross
assert inventory.reservation(paid.checkout_id).state is ReservationState.COMMITTED
assert usage.uses("SAVE5") == 1

# 2. The same form submitted twice: the same order, no second charge.
calls = len(gateway.calls)
replay = checkout.resume("order-form-1")
assert isinstance(replay, CheckoutSuccess)
assert replay.replayed
assert replay.order.order_id == order.order_id
assert len(gateway.calls) == calls
print(f"replayed: same order {replay.order.number}, no gateway call")

# 3. A declined card: a typed failure, and everything given back.
declined = buy(new_cart("cust-2"), "order-form-2", token="tok_insufficient_funds")  # noqa: S106
assert isinstance(declined, CheckoutFailure)
assert declined.reason is FailureReason.PAYMENT_DECLINED
assert declined.decline_code == "insufficient_funds"
assert inventory.reservation(declined.checkout_id).state is ReservationState.RELEASED
assert usage.uses("SAVE5") == 1  # the failed checkout's use was released
print(f"declined: {declined.reason} ({declined.decline_code}); stock and coupon released")

# 4. The process dies right after the order was created; recovery finishes the sale.
crash_after.add(CheckoutStep.ORDER_CREATED)
cart_id = new_cart("cust-3")
try:
    buy(cart_id, "order-form-3")
except ProcessKilled:
    print("process killed after the order was created")
clock.advance(timedelta(minutes=5))
report = checkout.recover()
assert report.completed == (checkout.attempt("order-form-3").checkout_id,)
finished = checkout.resume("order-form-3")
assert isinstance(finished, CheckoutSuccess)
assert finished.order.status == "paid"
assert carts.get(cart_id).status == "checked_out"
print(f"recovered forward: order {finished.order.number} {finished.order.status}")

# 5. The process dies right after stock was reserved; recovery rolls back.
crash_after.add(CheckoutStep.RESERVED)
try:
    buy(new_cart("cust-4"), "order-form-4")
except ProcessKilled:
    print("process killed after reserving stock")
clock.advance(timedelta(minutes=5))
report = checkout.recover()
rolled = checkout.resume("order-form-4")
assert isinstance(rolled, CheckoutFailure)
assert report.rolled_back == (rolled.checkout_id,)
assert inventory.reservation(rolled.checkout_id).state is ReservationState.RELEASED
print(f"recovered backward: {rolled.reason} - {rolled.message}")

# 6. Authorize only: hold the money at checkout, capture when the parcel ships.
held = checkout.checkout(
    new_cart("cust-5"),
    customer=customer,
    billing_address=home,
    shipping_address=home,
    shipping_method="standard",
    payment_method=PaymentMethod("tok_visa"),
    idempotency_key="order-form-5",
    capture_mode=CaptureMode.AUTHORIZE_ONLY,
)
assert isinstance(held, CheckoutSuccess)
assert held.order.payment_status == "authorized"
shipped = checkout.capture("order-form-5")  # at shipment; idempotent
assert shipped.ok
assert shipped.order.payment_status == "paid"
assert shipped.captured == held.order.totals.total.gross
print(f"authorize-only: {held.order.number} captured {shipped.captured} at shipment")

print("analytics:", [event.event_type for event in analytics.events])
