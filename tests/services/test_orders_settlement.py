"""Cancellation settlement: stock release, void and refund are recorded as pending with the
cancellation, carried out after it, and retried until done (never twice, never lost)."""

from __future__ import annotations

from collections.abc import Sequence

from commerce_core import (
    CancellationSettled,
    Order,
    OrderService,
    OrderStatus,
    OutboxDispatcher,
    PaymentKind,
    ReturnLine,
    SettlementStep,
    StockLine,
)
from commerce_core.adapters.memory import (
    InMemoryClock,
    InMemoryOrderNumbers,
    InMemoryOrderStock,
    SequentialIdFactory,
)
from tests.services.test_orders_service import NOW, Shop, eur, make_shop, paid, place


class DownStock(InMemoryOrderStock):
    """An inventory that is unreachable until ``up`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.up = False

    def release(
        self, reservation_id: str, *, lines: Sequence[StockLine] = (), idempotency_key: str
    ) -> None:
        if not self.up:
            raise ConnectionError("inventory down")
        super().release(reservation_id, lines=lines, idempotency_key=idempotency_key)


def shop_with_stock_down() -> tuple[Shop, DownStock]:
    shop = make_shop()
    stock = DownStock()
    repo, clock = shop.repo, InMemoryClock(NOW)
    shop.stock = stock
    shop.service = OrderService(
        repository=repo,
        numbers=InMemoryOrderNumbers(),
        stock=stock,
        payments=shop.payments,
        clock=clock,
        ids=SequentialIdFactory(),
        dispatcher=OutboxDispatcher(repo.outbox, shop.notifier, clock),
    )
    return shop, stock


def test_a_cancellation_records_its_stock_and_payment_steps_in_the_same_save() -> None:
    shop = make_shop()
    order = paid(shop)
    # Cancelling is one aggregate change: the settlement is pending on the order before any
    # side effect runs (here checked on the domain object, without the service).
    stored = shop.repo.get(order.order_id)
    stored.cancel(now=stored.placed_at, actor="staff")
    (settlement,) = stored.pending_settlements
    assert settlement.settlement_id == f"{order.order_id}:cancel"
    assert settlement.pending == {
        SettlementStep.RELEASE_STOCK,
        SettlementStep.VOID,
        SettlementStep.REFUND,
    }
    assert settlement.value == eur("60.00")
    rebuilt = Order.from_snapshot(stored.to_snapshot(), stored.version)
    assert rebuilt.pending_settlements == stored.pending_settlements


def test_a_stock_outage_during_cancel_still_refunds_and_leaves_the_release_pending() -> None:
    shop, stock = shop_with_stock_down()
    order = paid(shop)
    result = shop.service.cancel(order.order_id, actor="staff", reason="changed mind")
    assert result.order.status == OrderStatus.CANCELLED
    # the payment side does not depend on the stock side: all 60.00 captured is refunded
    assert result.order.refunded == eur("60.00")
    (failure,) = result.failures
    assert failure.step is SettlementStep.RELEASE_STOCK
    assert "inventory down" in failure.error
    assert not result.settled
    (pending,) = result.order.pending_settlements
    assert pending.pending == {SettlementStep.RELEASE_STOCK}
    assert stock.of("release") == ()
    failed = [n for n in shop.notifier.sent if n.event_type == "CancellationSettlementFailed"]
    assert [n.data["step"] for n in failed] == ["release_stock"]


def test_cancelling_a_cancelled_order_again_finishes_the_pending_settlement() -> None:
    shop, stock = shop_with_stock_down()
    order = paid(shop)
    shop.service.cancel(order.order_id, actor="staff")
    stock.up = True
    again = shop.service.cancel(order.order_id, actor="staff")
    assert again.settled
    assert [(r.step, r.succeeded) for r in again.steps] == [(SettlementStep.RELEASE_STOCK, True)]
    (release,) = stock.of("release")
    assert release.key == f"{order.order_id}:cancel"
    # nothing moved twice: one refund of the 60.00 captured, one cancellation in the history
    assert [op for op, _, _ in shop.payments.log] == ["refund"]
    assert [h.to_status for h in again.order.history].count(OrderStatus.CANCELLED) == 1
    settled = [n for n in shop.notifier.sent if n.event_type == CancellationSettled.event_type]
    assert len(settled) == 1


def test_settle_cancellation_is_idempotent_once_everything_is_done() -> None:
    shop = make_shop()
    order = paid(shop)
    first = shop.service.cancel(order.order_id, actor="staff")
    assert first.settled
    log, calls = shop.payments.log, shop.stock.calls
    again = shop.service.settle_cancellation(order.order_id)
    assert again.settled
    assert again.steps == ()
    assert again.cancelled.gross == eur("0")
    assert (shop.payments.log, shop.stock.calls) == (log, calls)


def test_a_crash_between_the_cancellation_save_and_its_side_effects_is_recoverable() -> None:
    shop = make_shop()
    order = paid(shop)
    # the process dies right after saving the cancellation: no side effect ran
    crashed = shop.repo.get(order.order_id)
    crashed.cancel(now=crashed.placed_at, actor="staff")
    shop.repo.save(crashed)
    assert shop.payments.log == ()
    recovered = shop.service.settle_cancellation(order.order_id)
    assert recovered.settled
    assert recovered.order.refunded == eur("60.00")
    assert len(shop.stock.of("release")) == 1


def test_a_refund_carried_out_before_a_crash_is_not_repeated_by_the_retry() -> None:
    shop = make_shop()
    order = paid(shop)
    crashed = shop.repo.get(order.order_id)
    crashed.cancel(now=crashed.placed_at, actor="staff")
    shop.repo.save(crashed)
    # the provider refunded under the refund step's key, then the process died before the save
    refund_key = f"{order.order_id}:cancel:refund:6000"  # refund id and 60.00 in minor units
    shop.payments.refund(order.order_id, eur("60.00"), idempotency_key=refund_key)
    recovered = shop.service.settle_cancellation(order.order_id)
    assert recovered.settled
    assert recovered.order.refunded == eur("60.00")
    assert len(shop.payments.log) == 1  # the retry got the stored outcome, no second refund


def test_a_declined_cancellation_refund_is_retried_under_a_fresh_key() -> None:
    shop = make_shop()
    order = paid(shop)
    shop.payments.decline_next("provider busy")
    first = shop.service.cancel(order.order_id, actor="staff")
    assert not first.settled
    assert first.order.refunded == eur("0")
    (failure,) = first.failures
    assert (failure.step, failure.error) == (SettlementStep.REFUND, "provider busy")
    retried = shop.service.settle_cancellation(order.order_id)
    assert retried.settled
    assert retried.order.refunded == eur("60.00")
    refunds = [o for op, _, o in shop.payments.log if op == "refund"]
    assert [o.succeeded for o in refunds] == [False, True]


def test_cancelling_lines_with_the_stock_side_down_keeps_their_release_pending() -> None:
    shop, stock = shop_with_stock_down()
    order = place(shop)
    shop.service.record_payment(
        order.order_id, PaymentKind.AUTHORIZED, eur("60.00"), reference="auth"
    )
    result = shop.service.cancel_lines(order.order_id, {"mug": 1}, actor="staff")
    # one mug is 12.00 gross: that much of the authorization is voided regardless of the stock
    assert result.order.authorized == eur("48.00")
    assert [f.step for f in result.failures] == [SettlementStep.RELEASE_STOCK]
    stock.up = True
    done = shop.service.settle_cancellation(order.order_id)
    assert done.settled
    (release,) = stock.of("release")
    assert (release.sku, release.quantity) == ("MUG", 1)
    assert done.order.authorized == eur("48.00")  # the void was not repeated


def test_a_declined_void_is_reported_even_when_the_refund_beside_it_succeeds() -> None:
    shop = make_shop()
    order = place(shop)
    oid = order.order_id
    shop.service.record_payment(oid, PaymentKind.AUTHORIZED, eur("60.00"), reference="auth")
    shop.service.record_payment(oid, PaymentKind.CAPTURED, eur("10.00"), reference="cap")
    shop.payments.decline_next("hold already expired at the bank")
    result = shop.service.cancel(oid, actor="staff")
    # 60.00 authorized - 10.00 captured = 50.00 still held: its void declines; 10.00 is refunded
    void, refund = result.payments
    assert (void.succeeded, void.amount) == (False, eur("50.00"))
    assert (refund.succeeded, refund.amount) == (True, eur("10.00"))
    assert result.payment == void  # the headline outcome is the failure, not the refund
    assert [(f.step, f.error) for f in result.failures] == [
        (SettlementStep.VOID, "hold already expired at the bank")
    ]
    assert result.order.authorized == eur("50.00")
    assert not result.settled
    retried = shop.service.settle_cancellation(oid)
    assert retried.settled
    assert [(o.succeeded, o.amount) for o in retried.payments] == [(True, eur("50.00"))]
    assert retried.order.authorized == eur("0")
    assert retried.order.refunded == eur("10.00")  # the refund was not asked again


def test_refunding_a_refunded_return_again_returns_the_first_refund_and_moves_no_money() -> None:
    shop = make_shop()
    order = paid(shop)
    oid = order.order_id
    shipped = shop.service.ship(oid, {"mug": 2, "lamp": 1}, location="paris", actor="staff")
    shop.service.mark_delivered(oid, shipped.shipments[0].shipment_id, actor="carrier")
    asked = shop.service.request_return(oid, [ReturnLine("lamp", 1, "broken")], actor="ann")
    return_id = asked.returns[-1].return_id
    shop.service.approve_return(oid, return_id, actor="staff")
    shop.service.receive_return(oid, return_id, restock_location="paris", actor="staff")
    first = shop.service.refund_return(oid, return_id)
    again = shop.service.refund_return(oid, return_id)
    assert first.refund is not None
    assert again.refund == first.refund
    assert again.payment.succeeded
    assert again.payment.reference == first.payment.reference
    assert again.order.refunded == eur("36.00")  # the lamp: 30.00 net + 6.00 VAT, once
    assert [op for op, _, _ in shop.payments.log] == ["refund"]
