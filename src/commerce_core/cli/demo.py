"""The whole-shop demo: a small tea shop simulated end to end, then its dashboard.

Everything is wired the way a host application would wire it, with the in-memory adapters: a
catalog with two warehouses, tax (French VAT, standard and reduced), shipping, an automatic
promotion and a welcome coupon, carts, checkout, payments on the simulated gateway, orders and
analytics. A few hundred shopper journeys run on a simulated clock: visitors browse, some add to
cart and leave, some check out — a few cards are declined, some payments fail transiently and are
retried — then orders ship (partly from each warehouse when stock is split), get delivered, and
one is refunded. The live analytics aggregate then renders the dashboard in the terminal and as a
self-contained HTML page.

The run is deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final, TextIO

import attrs

from commerce_core.adapters.memory import (
    AggregatingAnalyticsSink,
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
from commerce_core.domain.analytics import AnalyticsAggregator, ReportOptions
from commerce_core.domain.analytics.events import ProductViewed, SessionStarted
from commerce_core.domain.cart import CartOwner
from commerce_core.domain.catalog import CatalogItem
from commerce_core.domain.checkout import CheckoutFailure
from commerce_core.domain.coupons import Coupon
from commerce_core.domain.orders import Address, Customer, Order
from commerce_core.domain.payment_gateway import PaymentMethod, RetryPolicy
from commerce_core.domain.promotions import PercentOff, Promotion, PromotionBook, Selector
from commerce_core.domain.shipping import FlatRate, FreeAbove, ShippingMethod, ShippingRateTable
from commerce_core.domain.tax import Jurisdiction, TaxRate, TaxTable
from commerce_core.errors import StockUnavailableError
from commerce_core.money import money
from commerce_core.services.cart import CartPolicy, CartService
from commerce_core.services.checkout import CheckoutService
from commerce_core.services.inventory import InventoryService
from commerce_core.services.journey import JourneyContext
from commerce_core.services.order_effects import InventoryOrderStock, PaymentServiceOrderPayments
from commerce_core.services.orders import OrderService, OutboxDispatcher
from commerce_core.services.payments import PaymentService
from commerce_core.services.promotions import PromotionEngine

__all__ = ["DemoSummary", "Shop", "build_shop", "run_demo", "simulate"]

CURRENCY: Final = "EUR"
START: Final = datetime(2026, 9, 1, 8, tzinfo=UTC)
CHANNELS: Final = (("organic", 40), ("ads", 25), ("email", 20), ("social", 15))
SPEND: Final = {"ads": "450.00", "email": "60.00", "social": "120.00"}
"""Marketing spend per channel over the simulated period (for CAC and ROAS)."""
CAMPAIGNS: Final = {"ads": "autumn-tea", "email": "newsletter", "social": "insta"}
CUSTOMERS: Final = tuple(f"cust-{n:03d}" for n in range(1, 121))

# sku, name, price with VAT, tax class, category, weight kg, stock in paris / lyon
PRODUCTS: Final = (
    ("SENCHA", "Sencha 100 g", "8.90", "reduced", "tea", "0.1", 120, 60),
    ("EARLGREY", "Earl Grey 100 g", "7.50", "reduced", "tea", "0.1", 20, 90),
    ("MATCHA", "Matcha 30 g", "19.90", "reduced", "tea", "0.05", 0, 60),
    ("ESPRESSO", "Espresso beans 1 kg", "18.90", "reduced", "coffee", "1", 80, 0),
    ("TEAPOT", "Cast-iron teapot", "39.00", "standard", "ware", "1.2", 8, 12),
    ("MUG", "Stoneware mug", "9.50", "standard", "ware", "0.4", 60, 60),
    ("GRINDER", "Hand grinder", "49.00", "standard", "ware", "0.7", 10, 0),
    ("GIFTCARD", "Gift card (e-mail)", "25.00", "standard", "gift", "0", 0, 0),
)
SKUS: Final = tuple(p[0] for p in PRODUCTS)
POPULARITY: Final = (8, 6, 3, 5, 2, 6, 1, 2)


@attrs.define
class Shop:
    """The wired services of the demo shop (what a host builds once at start-up)."""

    clock: InMemoryClock
    catalog: InMemoryCatalog
    inventory: InventoryService
    carts: CartService
    promotions: PromotionEngine
    payments: PaymentService
    orders: OrderService
    checkout: CheckoutService
    analytics: AggregatingAnalyticsSink
    notifier: InMemoryNotifier
    gateway: SimulatedPaymentGateway
    journeys: dict[str, JourneyContext] = attrs.field(factory=dict)


@attrs.define
class DemoSummary:
    """What happened during the simulation (counted by the demo, as a host would log it)."""

    sessions: int = 0
    carts: int = 0
    abandoned: int = 0
    checkouts: int = 0
    orders: int = 0
    declined: int = 0
    retried_payments: int = 0
    shipments: int = 0
    split_shipments: int = 0
    delivered: int = 0
    refunds: int = 0
    recovery_emails: int = 0
    partial_shipments: int = 0
    out_of_stock_adds: int = 0
    failures: Counter[str] = attrs.field(factory=Counter)


def build_shop(seed: int) -> Shop:
    """Wire every service of the demo shop with in-memory adapters."""
    clock = InMemoryClock(START)
    ids = SequentialIdFactory()
    notifier = InMemoryNotifier()
    items = []
    for sku, name, price, tax_class, category, weight, _paris, _lyon in PRODUCTS:
        items.append(
            CatalogItem.simple(
                sku,
                name,
                money(price, CURRENCY),
                prices_include_tax=True,
                tax_class=tax_class,
                categories=frozenset({category}),
                weight=Decimal(weight),
                shippable=category != "gift",
            )
        )
    catalog = InMemoryCatalog(items)

    inventory = InventoryService(InMemoryInventoryStore(), clock, notifier)
    inventory.define_location("paris", priority=1, name="Paris warehouse")
    inventory.define_location("lyon", priority=2, name="Lyon warehouse")
    for sku, *_rest, paris, lyon in PRODUCTS:
        inventory.define_sku(sku)
        for location, quantity in (("paris", paris), ("lyon", lyon)):
            inventory.configure_item(sku, location, low_stock_threshold=3)
            if quantity:
                inventory.receive(sku, location, quantity, reference=f"opening:{sku}:{location}")
    inventory.receive("GIFTCARD", "paris", 10_000, reference="opening:GIFTCARD:paris")

    analytics = AggregatingAnalyticsSink(AnalyticsAggregator("Europe/Paris", "week"))
    carts = CartService(
        carts=InMemoryCartRepository(),
        catalog=catalog,
        stock=inventory,
        clock=clock,
        ids=ids,
        notifier=notifier,
        random=random.Random(seed),  # noqa: S311 - reproducible demo tokens, never in production
        policy=CartPolicy(abandon_after=timedelta(hours=2)),
        analytics=analytics,
    )
    book = PromotionBook(
        [
            Promotion(
                id="tea-week",
                name="10% off every tea",
                benefit=PercentOff(10),
                targets=Selector.of(categories={"tea"}),
            ),
            Promotion(
                id="welcome",
                name="Welcome: 5% off your order",
                benefit=PercentOff(5),
                requires_code=True,
            ),
        ],
        [Coupon(code="WELCOME5", promotion_id="welcome", max_uses=40, max_uses_per_customer=1)],
    )
    promotions = PromotionEngine(book, usage=InMemoryCouponUsage())
    tax = TaxTable(
        [
            TaxRate.percent("TVA", "20", Jurisdiction("FR")),
            TaxRate.percent("TVA", "5.5", Jurisdiction("FR"), tax_class="reduced"),
        ]
    )
    shipping = ShippingRateTable(
        [
            ShippingMethod(
                "colissimo",
                "Colissimo",
                FreeAbove(money("60.00", CURRENCY), FlatRate(money("4.90", CURRENCY))),
                tax_class=None,
                price_includes_tax=True,
            )
        ]
    )
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
        retry=RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=2.0),
        sleeper=lambda _seconds: None,  # simulated time: never really wait
        random=random.Random(seed + 1),  # noqa: S311 - retry jitter
    )
    journeys: dict[str, JourneyContext] = {}
    order_repository = InMemoryOrderRepository()
    orders = OrderService(
        repository=order_repository,
        numbers=InMemoryOrderNumbers(),
        stock=InventoryOrderStock(inventory),
        payments=PaymentServiceOrderPayments(
            payments, repository=payment_repository, idempotency=idempotency
        ),
        clock=clock,
        ids=ids,
        analytics=analytics,
        journey=lambda order: journeys.get(
            order.order_id, JourneyContext(f"order:{order.order_id}", "organic")
        ),
    )
    checkout = CheckoutService(
        log=InMemoryCheckoutLog(),
        carts=carts,
        inventory=inventory,
        payments=payments,
        orders=orders,
        clock=clock,
        coupons=promotions,
        stages=[promotions],
        tax=tax,
        shipping=shipping,
        dispatcher=OutboxDispatcher(order_repository.outbox, notifier, clock),
        analytics=analytics,
    )
    return Shop(
        clock=clock,
        catalog=catalog,
        inventory=inventory,
        carts=carts,
        promotions=promotions,
        payments=payments,
        orders=orders,
        checkout=checkout,
        analytics=analytics,
        notifier=notifier,
        gateway=gateway,
        journeys=journeys,
    )


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _ship_everything(shop: Shop, order: Order, summary: DemoSummary) -> None:
    """Ship what remains of an order from where its stock was reserved: one parcel a warehouse."""
    reservation = shop.inventory.reservation(order.reservation_id or "")
    shipped: Counter[tuple[str, str]] = Counter()
    for shipment in order.shipments:
        for line_id, quantity in shipment.lines:
            shipped[line_id, shipment.location] += quantity
    line_of = {line.sku: line.line_id for line in order.lines if line.sku != "GIFTCARD"}
    per_location: dict[str, dict[str, int]] = {}
    for reserved in reservation.lines:
        target = line_of.get(reserved.sku)
        if target is None:
            continue
        for allocation in reserved.allocations:
            left = allocation.quantity - shipped.pop((target, allocation.location), 0)
            if left > 0:
                lines = per_location.setdefault(allocation.location, {})
                lines[target] = lines.get(target, 0) + left
    if len(per_location) > 1:
        summary.split_shipments += 1
    for location, lines in sorted(per_location.items()):
        shop.orders.ship(
            order.order_id,
            lines,
            location=location,
            tracking_reference=f"TRK-{order.number}-{location}",
            actor="warehouse",
        )
        summary.shipments += 1


PAYMENT_METHODS: Final = (
    (PaymentMethod("tok_visa"), 88),
    (PaymentMethod("tok_insufficient_funds"), 6),  # declined: the checkout undoes itself
    (PaymentMethod("tok_transient_2"), 6),  # fails twice transiently, then the retry succeeds
)


def simulate(shop: Shop, *, seed: int, sessions: int) -> DemoSummary:
    """Run ``sessions`` shopper journeys through the shop; returns what happened."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation
    summary = DemoSummary()
    placed: list[Order] = []
    for n in range(sessions):
        shop.clock.advance(minutes=rng.randint(20, 400))
        order = _journey(shop, rng, n, summary)
        if order is not None:
            placed.append(order)
        if n % 25 == 0:
            summary.recovery_emails += len(shop.carts.mark_abandoned())
    _fulfil(shop, placed, summary, rng)
    return summary


def _journey(shop: Shop, rng: random.Random, n: int, summary: DemoSummary) -> Order | None:
    """One visit: arrive, browse, maybe fill a cart, maybe check out."""
    session = f"s{n:05d}"
    channel = _weighted(rng, CHANNELS)
    customer_id = rng.choice(CUSTOMERS) if rng.random() < 0.55 else None
    viewed = _browse(shop, rng, session, channel, customer_id)
    summary.sessions += 1
    if rng.random() > 0.5:
        return None
    owner = CartOwner.customer(customer_id) if customer_id else CartOwner.guest(session)
    cart = shop.carts.open_cart(owner, CURRENCY, channel=channel, replace=True)
    summary.carts += 1
    for sku in dict.fromkeys(viewed):
        try:
            shop.carts.add_item(cart.id, sku, rng.randint(1, 3), session_id=session)
        except StockUnavailableError:  # the shopper moves on without it
            summary.out_of_stock_adds += 1
    if not shop.carts.get(cart.id).lines or rng.random() < 0.35:
        summary.abandoned += 1
        return None
    shop.clock.advance(minutes=rng.randint(1, 15))
    method = rng.choices([m for m, _ in PAYMENT_METHODS], weights=[w for _, w in PAYMENT_METHODS])[
        0
    ]
    buyer = customer_id or f"guest-{session}"
    address = Address(buyer, f"{n} rue du Thé", "Lyon", "69001", "FR")
    summary.checkouts += 1
    result = shop.checkout.checkout(
        cart.id,
        customer=Customer(f"{buyer}@example.test", customer_id=customer_id, name=buyer),
        billing_address=address,
        shipping_address=address,
        shipping_method="colissimo",
        payment_method=method,
        idempotency_key=f"checkout-{session}",
        coupon_codes=("welcome5",) if rng.random() < 0.25 else (),
        session_id=session,
        channel=channel,
        accept_price_changes=True,
    )
    if isinstance(result, CheckoutFailure):
        summary.failures[str(result.reason)] += 1
        summary.declined += int(bool(result.decline_code))
        return None
    summary.orders += 1
    summary.retried_payments += int(method.token.startswith("tok_transient"))
    shop.journeys[result.order.order_id] = JourneyContext(session, channel, customer_id)
    return result.order


def _browse(
    shop: Shop, rng: random.Random, session: str, channel: str, customer_id: str | None
) -> list[str]:
    """The visit's arrival and product views (the host's web layer records these)."""
    campaign = CAMPAIGNS.get(channel)
    shop.analytics.record(
        SessionStarted(
            occurred_at=shop.clock.now(),
            session_id=session,
            channel=channel,
            customer_id=customer_id,
            campaign=campaign,
            utm_source=channel if campaign else None,
        )
    )
    viewed = rng.choices(SKUS, weights=POPULARITY, k=rng.randint(1, 4))
    for sku in viewed:
        shop.analytics.record(
            ProductViewed(
                occurred_at=shop.clock.now(),
                session_id=session,
                channel=channel,
                customer_id=customer_id,
                sku=sku,
            )
        )
    return viewed


def _fulfil(shop: Shop, placed: list[Order], summary: DemoSummary, rng: random.Random) -> None:
    """Ship every order (some in two steps), deliver most, refund one."""
    for index, order in enumerate(placed):
        shippable = [line for line in order.lines if line.sku != "GIFTCARD"]
        if index % 7 == 3 and len(shippable) > 1:
            _ship_first_line_now(shop, order, shippable[0].line_id, summary)
    shop.clock.advance(days=1)
    for order in placed:
        _ship_everything(shop, shop.orders.get(order.order_id), summary)
    shop.clock.advance(days=2)
    for order in placed:
        current = shop.orders.get(order.order_id)
        for shipment in current.shipments:
            if rng.random() < 0.9:
                shop.orders.mark_delivered(order.order_id, shipment.shipment_id, actor="carrier")
                summary.delivered += 1
    if placed:
        refunded = placed[len(placed) // 2]
        first_line = refunded.lines[0]
        result = shop.orders.refund(
            refunded.order_id, lines={first_line.line_id: 1}, reason="damaged in transit"
        )
        summary.refunds += int(result.refund is not None)


def _ship_first_line_now(shop: Shop, order: Order, line_id: str, summary: DemoSummary) -> None:
    """A partial shipment: one line leaves now from its first warehouse, the rest later."""
    reservation = shop.inventory.reservation(order.reservation_id or "")
    sku = next(line.sku for line in order.lines if line.line_id == line_id)
    allocation = next(r for r in reservation.lines if r.sku == sku).allocations[0]
    shop.orders.ship(
        order.order_id,
        {line_id: allocation.quantity},
        location=allocation.location,
        tracking_reference=f"TRK-{order.number}-early",
        actor="warehouse",
    )
    summary.shipments += 1
    summary.partial_shipments += 1


def _print_summary(summary: DemoSummary, out: TextIO) -> None:
    print("commerce_core demo — a tea shop, simulated end to end", file=out)
    print(
        f"  {summary.sessions} sessions, {summary.carts} carts ({summary.abandoned} abandoned), "
        f"{summary.checkouts} checkouts -> {summary.orders} orders",
        file=out,
    )
    print(
        f"  {summary.declined} cards declined, {summary.retried_payments} payments approved after "
        f"transient failures were retried",
        file=out,
    )
    print(
        f"  {summary.shipments} shipments ({summary.split_shipments} orders split across both "
        f"warehouses), {summary.delivered} delivered, {summary.refunds} refund, "
        f"{summary.recovery_emails} cart-recovery e-mails",
        file=out,
    )
    print(
        f"  {summary.partial_shipments} orders shipped in two steps (partial shipment first), "
        f"{summary.out_of_stock_adds} add-to-cart refused for lack of stock",
        file=out,
    )
    if summary.failures:
        reasons = ", ".join(f"{name}: {count}" for name, count in sorted(summary.failures.items()))
        print(f"  failed checkouts by reason: {reasons}", file=out)


def run_demo(
    seed: int = 7,
    *,
    sessions: int = 400,
    html: Path | None = Path("demo-dashboard.html"),
    out: TextIO | None = None,
    write: Callable[[Path, str], object] | None = None,
) -> int:
    """Simulate the shop, print the summary and the dashboard, write the HTML page; returns 0."""
    import sys

    stream = out if out is not None else sys.stdout
    shop = build_shop(seed)
    summary = simulate(shop, seed=seed, sessions=sessions)
    _print_summary(summary, stream)
    options = ReportOptions(spend={k: money(v, CURRENCY) for k, v in SPEND.items()})
    dashboard = shop.analytics.dashboard(options)
    print(file=stream)
    print(dashboard.render_text(), file=stream)
    if html is not None:
        (write or _write_text)(html, dashboard.render_html())
        print(f"\nHTML dashboard written to {html}", file=stream)
    return 0


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
