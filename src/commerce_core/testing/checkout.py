"""A whole in-memory shop wired for checkout, port fault injection, and a leak detector.

:class:`CheckoutWorld` builds every service checkout needs on the in-memory adapters (catalog,
inventory, carts, promotions with a coupon, tax, shipping, the simulated gateway, orders with
their outbox, analytics). Each port can be wrapped by a :class:`FaultyPort` driven by a shared
:class:`FaultPlan`, so a test makes one port operation fail once, in one of these ways:

- ``"exception"``: raise before the operation runs (nothing happened);
- ``"lost_response"``: run the operation, then raise (it happened; the caller does not know);
- ``"decline"`` / ``"transient"``: for gateway operations, answer ``Declined`` / keep answering
  ``TransientFailure`` without reaching the provider.

:func:`leaks` lists everything a finished checkout must not leave behind: active reservations,
held coupon uses without a live order, open authorizations, orders without a payment, payments
without an order.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast

import attrs

from commerce_core.adapters.memory.analytics import InMemoryAnalyticsSink
from commerce_core.adapters.memory.cart import InMemoryCartRepository, InMemoryCatalog
from commerce_core.adapters.memory.checkout import InMemoryCheckoutLog
from commerce_core.adapters.memory.core import (
    InMemoryClock,
    InMemoryNotifier,
    SequentialIdFactory,
)
from commerce_core.adapters.memory.inventory import InMemoryInventoryStore
from commerce_core.adapters.memory.orders import (
    InMemoryOrderNumbers,
    InMemoryOrderRepository,
)
from commerce_core.adapters.memory.payments import (
    InMemoryIdempotencyStore,
    InMemoryPaymentRepository,
    InMemoryTransactionLog,
    SimulatedPaymentGateway,
)
from commerce_core.adapters.memory.promotions import InMemoryCouponUsage
from commerce_core.domain.cart import CartOwner
from commerce_core.domain.catalog import CatalogItem
from commerce_core.domain.checkout import CaptureMode, CheckoutResult
from commerce_core.domain.coupons import Coupon
from commerce_core.domain.inventory import ReservationState
from commerce_core.domain.orders import Address, Customer, OrderStatus
from commerce_core.domain.payment import PaymentStatus
from commerce_core.domain.payment_gateway import (
    DeclineCode,
    Declined,
    PaymentMethod,
    RetryPolicy,
    TransientFailure,
)
from commerce_core.domain.promotions import (
    PercentOff,
    Promotion,
    PromotionBook,
    Selector,
)
from commerce_core.domain.shipping import FlatRate, ShippingMethod, ShippingRateTable
from commerce_core.domain.tax import Jurisdiction, TaxRate, TaxTable
from commerce_core.money import money
from commerce_core.ports.analytics import AnalyticsSink
from commerce_core.ports.cart import CartRepository
from commerce_core.ports.checkout import CheckoutLog
from commerce_core.ports.orders import OrderRepository
from commerce_core.ports.payments import IdempotencyStore, PaymentGateway, PaymentRepository
from commerce_core.ports.promotions import CouponUsage
from commerce_core.services.cart import CartService
from commerce_core.services.checkout import CheckoutPolicy, CheckoutService, StepHook
from commerce_core.services.inventory import InventoryService
from commerce_core.services.order_effects import InventoryOrderStock, PaymentServiceOrderPayments
from commerce_core.services.orders import OrderService, OutboxDispatcher
from commerce_core.services.payments import PaymentService
from commerce_core.services.promotions import PromotionEngine

__all__ = [
    "FAULT_KINDS",
    "FaultPlan",
    "FaultyPort",
    "InjectedFaultError",
    "CheckoutWorld",
    "leaks",
]

P = TypeVar("P")

FAULT_KINDS = ("exception", "lost_response", "decline", "transient")
"""The ways a :class:`FaultyPort` can make an operation fail."""


class InjectedFaultError(RuntimeError):
    """The error a :class:`FaultyPort` raises (an infrastructure failure, not a business one)."""


@attrs.define
class _Rule:
    port: str
    method: str
    kind: str
    times: int
    skip: int


class FaultPlan:
    """Which port operations fail next, and how (shared by every :class:`FaultyPort`)."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self.fired: list[tuple[str, str, str]] = []
        """Every injected fault, as ``(port, method, kind)``."""

    def arm(self, port: str, method: str, kind: str, *, times: int = 1, skip: int = 0) -> None:
        """Make ``times`` calls of ``port.method`` fail as ``kind``, after ``skip`` good ones."""
        if kind not in FAULT_KINDS:
            msg = f"unknown fault kind {kind!r}"
            raise ValueError(msg)
        with self._lock:
            self._rules.append(_Rule(port, method, kind, times, skip))

    def clear(self) -> None:
        """Disarm every rule."""
        with self._lock:
            self._rules.clear()

    def take(self, port: str, method: str) -> str | None:
        """The fault to inject for this call, if any (consumes one use of the rule)."""
        with self._lock:
            for rule in self._rules:
                if rule.port == port and rule.method == method and rule.times > 0:
                    if rule.skip > 0:
                        rule.skip -= 1
                        return None
                    rule.times -= 1
                    self.fired.append((port, method, rule.kind))
                    return rule.kind
        return None


class FaultyPort:
    """Wraps any port: every method call first asks the :class:`FaultPlan` for a fault."""

    def __init__(self, name: str, inner: object, plan: FaultPlan) -> None:
        self._name = name
        self._inner = inner
        self._plan = plan

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self._inner, attribute)
        if not callable(target) or attribute.startswith("_"):
            return target
        name, plan = self._name, self._plan

        def call(*args: Any, **kwargs: Any) -> Any:
            kind = plan.take(name, attribute)
            if kind is None:
                return target(*args, **kwargs)
            if kind == "exception":
                raise InjectedFaultError(f"{name}.{attribute} failed")
            if kind == "decline":
                return Declined(DeclineCode.CARD_DECLINED, "injected decline")
            if kind == "transient":
                return TransientFailure("injected outage")
            target(*args, **kwargs)
            raise InjectedFaultError(f"{name}.{attribute} response lost")

        return call


def _eur(amount: str) -> Any:
    return money(amount, "EUR")


class CheckoutWorld:
    """A shop on in-memory adapters, ready to check out (ports wrapped for fault injection).

    Catalog (net prices, VAT 20% in FR): ``TEA`` 10.00, ``MUG`` 8.50, ``POT`` 25.00; 10 units
    of each in stock. Promotion ``tea-10``: 10% off ``TEA``, always on. Coupon ``SAVE5`` (5% off
    everything) with ``coupon_uses`` uses. Shipping ``standard``: 4.90 flat, taxed at 20%.

    Args:
        stock: units of each SKU received at location ``main``.
        coupon_uses: the usage limit of ``SAVE5`` (None: unlimited).
        capture_mode: the checkout policy's default.
        on_step: the checkout step hook.
        analytics: the analytics sink (default: ``recorded``, an :class:`InMemoryAnalyticsSink`).
        faults: wrap the ports in :class:`FaultyPort` (False for benchmarks).
        clock: the clock every service reads (default: a new :class:`InMemoryClock`, which
            moves only when a test moves it; a subclass may read a real clock instead).
    """

    def __init__(
        self,
        *,
        stock: int = 10,
        coupon_uses: int | None = None,
        capture_mode: CaptureMode = CaptureMode.IMMEDIATE,
        on_step: StepHook | None = None,
        analytics: AnalyticsSink | None = None,
        faults: bool = True,
        clock: InMemoryClock | None = None,
    ) -> None:
        self.plan = FaultPlan()
        self._faults = faults
        self.clock = clock if clock is not None else InMemoryClock()
        self.ids = SequentialIdFactory()
        self.notifier = InMemoryNotifier()
        self.catalog = InMemoryCatalog(
            [
                CatalogItem.simple("TEA", "Sencha", _eur("10.00"), weight=Decimal("0.2")),
                CatalogItem.simple("MUG", "Mug", _eur("8.50"), weight=Decimal("0.4")),
                CatalogItem.simple("POT", "Teapot", _eur("25.00"), weight=Decimal(1)),
            ]
        )
        self.inventory_store = InMemoryInventoryStore()
        self.inventory = InventoryService(self._wrap("inventory", self.inventory_store), self.clock)
        self.inventory.define_location("main")
        for sku in ("TEA", "MUG", "POT"):
            self.inventory.define_sku(sku)
            self.inventory.receive(sku, "main", stock, reference=f"initial:{sku}")
        self.cart_repository = InMemoryCartRepository()
        self.carts = CartService(
            carts=self._wrap("carts", cast("CartRepository", self.cart_repository)),
            catalog=self.catalog,
            stock=self.inventory,
            clock=self.clock,
            ids=self.ids,
            notifier=self.notifier,
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
            [Coupon(code="SAVE5", promotion_id="save-5", max_uses=coupon_uses)],
        )
        self.coupon_usage = InMemoryCouponUsage()
        self.promotions = PromotionEngine(
            book, usage=self._wrap("coupons", cast("CouponUsage", self.coupon_usage))
        )
        self.tax = TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))])
        self.shipping = ShippingRateTable(
            [ShippingMethod("standard", "Standard", FlatRate(_eur("4.90")))]
        )
        self.gateway = SimulatedPaymentGateway()
        self.payment_repository = InMemoryPaymentRepository()
        self.idempotency = InMemoryIdempotencyStore(self.clock)
        self.payments = PaymentService(
            gateway=self._wrap("gateway", cast("PaymentGateway", self.gateway)),
            payments=self._wrap(
                "payment_repository", cast("PaymentRepository", self.payment_repository)
            ),
            idempotency=self._wrap("idempotency", cast("IdempotencyStore", self.idempotency)),
            log=InMemoryTransactionLog(),
            clock=self.clock,
            ids=self.ids,
            retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
            sleeper=lambda _seconds: None,
            random=random.Random(7),  # noqa: S311 - jitter in tests
        )
        self.order_repository = InMemoryOrderRepository()
        self.orders = OrderService(
            repository=self._wrap("orders", cast("OrderRepository", self.order_repository)),
            numbers=InMemoryOrderNumbers(),
            stock=InventoryOrderStock(self.inventory),
            payments=PaymentServiceOrderPayments(
                self.payments, repository=self.payment_repository, idempotency=self.idempotency
            ),
            clock=self.clock,
            ids=self.ids,
        )
        self.dispatcher = OutboxDispatcher(self.order_repository.outbox, self.notifier, self.clock)
        self.checkout_log = InMemoryCheckoutLog()
        self.recorded = InMemoryAnalyticsSink()
        self.analytics: AnalyticsSink = analytics if analytics is not None else self.recorded
        self.service = CheckoutService(
            log=self._wrap("checkout_log", cast("CheckoutLog", self.checkout_log)),
            carts=self.carts,
            inventory=self.inventory,
            payments=self.payments,
            orders=self.orders,
            clock=self.clock,
            coupons=self.promotions,
            stages=[self.promotions],
            tax=self.tax,
            shipping=self.shipping,
            dispatcher=self.dispatcher,
            analytics=self.analytics,
            policy=CheckoutPolicy(capture_mode=capture_mode, reservation_ttl=timedelta(minutes=15)),
            on_step=on_step,
        )
        self.customer = Customer("ana@example.test", customer_id="cust-1", name="Ana")
        self.address = Address("Ana", "1 rue du Thé", "Lyon", "69001", "FR")
        self.card = PaymentMethod("tok_visa")
        self._carts = 0

    def _wrap(self, name: str, port: P) -> P:
        if not self._faults:
            return port
        return cast("P", FaultyPort(name, port, self.plan))

    def fill_cart(
        self, lines: tuple[tuple[str, int], ...] = (("TEA", 2), ("MUG", 1), ("POT", 1))
    ) -> str:
        """A new customer cart holding ``lines``; returns its id."""
        self._carts += 1
        cart = self.carts.open_cart(CartOwner.customer(f"cust-{self._carts}"), "EUR")
        for sku, quantity in lines:
            self.carts.add_item(cart.id, sku, quantity)
        return cart.id

    def check_out(
        self,
        cart_id: str,
        key: str,
        *,
        coupon_codes: tuple[str, ...] = (),
        method: PaymentMethod | None = None,
        accept_price_changes: bool = False,
    ) -> CheckoutResult:
        """Check ``cart_id`` out with the world's customer, address and card."""
        return self.service.checkout(
            cart_id,
            customer=self.customer,
            billing_address=self.address,
            shipping_address=self.address,
            shipping_method="standard",
            payment_method=method if method is not None else self.card,
            idempotency_key=key,
            accept_price_changes=accept_price_changes,
            coupon_codes=coupon_codes,
        )


def leaks(world: CheckoutWorld) -> list[str]:
    """Everything left half-done: empty when every checkout ended clean (or fully sold).

    Checks: no active reservation; every coupon use belongs to a live (not cancelled) order;
    no open authorization at the gateway without a live order; every live order is authorized
    or paid by a payment in that state; every authorized or captured (not refunded) payment has
    a live order; every live order's reservation is committed (unless the sale was flagged short
    of stock, :attr:`CheckoutAttempt.shortages`) and its cart checked out.
    """
    problems = [f"active reservation {r.id}" for r in world.inventory_store.active_reservations()]
    live: dict[str, Any] = {}
    short: set[str] = set()  # standing sales flagged short of stock: nothing to commit
    coupon_holders: dict[str, int] = {}
    for attempt in world.checkout_log.all():
        order_id = attempt.order_id
        if order_id is None:
            continue
        order = world.order_repository.get(order_id)
        if order.status != OrderStatus.CANCELLED:
            live[order_id] = order
            if attempt.shortages:
                short.add(order_id)
            for code in attempt.redeemed_codes:
                coupon_holders[code] = coupon_holders.get(code, 0) + 1
    for code in ("SAVE5",):
        uses = world.coupon_usage.uses(code)
        if uses != coupon_holders.get(code, 0):
            problems.append(f"coupon {code}: {uses} uses, {coupon_holders.get(code, 0)} orders")
    payments = {p.order_id: p for p in world.payment_repository.all()}
    for order_id, order in live.items():
        payment = payments.get(order_id)
        if payment is None or payment.status not in (
            PaymentStatus.AUTHORIZED,
            PaymentStatus.CAPTURED,
        ):
            problems.append(f"order {order_id} without a payment")
        reservation = world.inventory_store.reservation(order.reservation_id or "")
        if reservation.state is not ReservationState.COMMITTED and order_id not in short:
            problems.append(f"order {order_id}: reservation {reservation.state}")
    for order_id, payment in payments.items():
        held = payment.status in (
            PaymentStatus.AUTHORIZED,
            PaymentStatus.CAPTURED,
            PaymentStatus.REQUIRES_ACTION,
            PaymentStatus.PARTIALLY_CAPTURED,
        )
        if held and order_id not in live:
            problems.append(f"payment {payment.id} ({payment.status}) without an order")
    open_refs = set(world.gateway.open_authorizations)
    live_refs = {payments[o].reference for o in live if o in payments}
    problems.extend(
        f"open authorization {ref} at the gateway" for ref in sorted(open_refs - live_refs)
    )
    return problems
