from __future__ import annotations

from commerce_core.adapters.memory import (
    InMemoryClock,
    InMemoryInventoryStore,
    InMemoryOrderPayments,
    InMemoryOrderStock,
)
from commerce_core.domain.checkout import CaptureMode, CheckoutSuccess
from commerce_core.money import Money, money
from commerce_core.services.inventory import InventoryService
from commerce_core.services.order_effects import InventoryOrderStock, PaymentServiceOrderPayments
from commerce_core.testing.checkout import CheckoutWorld
from commerce_core.testing.contracts import (
    OrderPaymentsContract,
    OrderStockContract,
    PaymentsSetup,
    StockSetup,
)


class TestInventoryOrderStock(OrderStockContract):
    def make_stock(self) -> StockSetup:
        store = InMemoryInventoryStore()
        inventory = InventoryService(store, InMemoryClock())
        inventory.define_location("wh")
        for sku in ("tee", "mug"):
            inventory.define_sku(sku)
            inventory.receive(sku, "wh", 10, reference=f"po-{sku}")
        inventory.reserve("res-1", [("tee", 3), ("mug", 1)])

        def state() -> object:
            return (
                tuple(store.levels(sku) for sku in ("tee", "mug")),
                store.ledger(),
                store.active_reservations(),
                inventory.reservation("res-1"),
            )

        return StockSetup(InventoryOrderStock(inventory), "res-1", "wh", state)


class TestInMemoryOrderStock(OrderStockContract):
    def make_stock(self) -> StockSetup:
        stock = InMemoryOrderStock()
        return StockSetup(stock, "res-1", "wh", lambda: stock.calls, knows_references=False)


def _total(*amounts: Money | None) -> Money:
    total = money("0.00", "EUR")
    for amount in amounts:
        if amount is not None:
            total += amount
    return total


class TestInMemoryOrderPayments(OrderPaymentsContract):
    def make_payments(self, *, captured: bool) -> PaymentsSetup:
        payments = InMemoryOrderPayments()
        return PaymentsSetup(
            payments,
            "ord-1",
            money("50.00", "EUR"),
            lambda: _total(payments.total("refund"), payments.total("void")),
        )


class TestPaymentServiceOrderPayments(OrderPaymentsContract):
    def make_payments(self, *, captured: bool) -> PaymentsSetup:
        mode = CaptureMode.IMMEDIATE if captured else CaptureMode.AUTHORIZE_ONLY
        world = CheckoutWorld(capture_mode=mode, faults=False)
        result = world.check_out(world.fill_cart(), "checkout-1")
        assert isinstance(result, CheckoutSuccess)
        order_id = result.order.order_id
        before = world.payments.summary(order_id, "EUR")
        amount = before.captured if captured else before.authorized

        def moved() -> Money:
            now = world.payments.summary(order_id, "EUR")
            return now.refunded + (before.authorized - now.authorized)

        adapter = PaymentServiceOrderPayments(
            world.payments, repository=world.payment_repository, idempotency=world.idempotency
        )
        return PaymentsSetup(adapter, order_id, amount, moved)
