"""OrderService: side effects through the stock/payment ports, outbox dispatch after save."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from commerce_core import (
    Address,
    ConcurrencyConflictError,
    Customer,
    Destination,
    InvalidTransitionError,
    Jurisdiction,
    Money,
    NotFoundError,
    Order,
    OrderService,
    OutboxDispatcher,
    PaymentKind,
    PaymentTerms,
    PricingContext,
    PricingLine,
    RefundExceedsRefundableError,
    ReturnLine,
    ShipmentQuantityError,
    TaxRate,
    TaxTable,
    money,
    price_cart,
)
from commerce_core.adapters.memory import (
    InMemoryClock,
    InMemoryNotifier,
    InMemoryOrderNumbers,
    InMemoryOrderPayments,
    InMemoryOrderRepository,
    InMemoryOrderStock,
    SequentialIdFactory,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ADDRESS = Address("Ann Lee", "1 Main St", "Paris", "75001", "FR")


def eur(amount: str) -> Money:
    return money(amount, "EUR")


@attrs.define
class Shop:
    repo: InMemoryOrderRepository
    stock: InMemoryOrderStock
    payments: InMemoryOrderPayments
    notifier: InMemoryNotifier
    service: OrderService


def make_shop() -> Shop:
    repo = InMemoryOrderRepository()
    stock, payments, notifier = InMemoryOrderStock(), InMemoryOrderPayments(), InMemoryNotifier()
    clock = InMemoryClock(NOW)
    service = OrderService(
        repository=repo,
        numbers=InMemoryOrderNumbers(),
        stock=stock,
        payments=payments,
        clock=clock,
        ids=SequentialIdFactory(),
        dispatcher=OutboxDispatcher(repo.outbox, notifier, clock),
    )
    return Shop(repo, stock, payments, notifier, service)


def place(shop: Shop, method: PaymentTerms | None = None) -> Order:
    # 2 x 10.00 net mugs + 1 x 30.00 net lamp at 20% VAT: gross 24.00 + 36.00 = 60.00
    breakdown = price_cart(
        [
            PricingLine("mug", "MUG", "Mug", 2, eur("10.00")),
            PricingLine("lamp", "LAMP", "Lamp", 1, eur("30.00")),
        ],
        PricingContext(currency="EUR", now=NOW, destination=Destination("FR")),
        tax=TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))]),
    )
    return shop.service.place_order(
        breakdown,
        customer=Customer("ann@example.com"),
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        payment_terms=method or PaymentTerms.card(),
        reservation_id="res_1",
    )


def paid(shop: Shop) -> Order:
    order = place(shop)
    return shop.service.record_payment(
        order.order_id, PaymentKind.CAPTURED, eur("60.00"), reference="cap"
    )


def test_recording_a_payment_on_the_order_just_returned_needs_no_read() -> None:
    shop = make_shop()
    order = place(shop)
    reads: list[str] = []
    get = shop.repo.get

    def counting_get(order_id: str) -> Order:
        reads.append(order_id)
        return get(order_id)

    shop.repo.get = counting_get  # type: ignore[method-assign]
    paid_order = shop.service.record_payment(
        order.order_id, PaymentKind.CAPTURED, eur("60.00"), reference="cap", current=order
    )
    assert reads == []
    assert paid_order.version == 2
    assert get(order.order_id).captured == eur("60.00")


def test_a_stale_copy_of_the_order_is_read_again_and_nothing_is_lost() -> None:
    shop = make_shop()
    stale = place(shop)
    shop.service.record_payment(
        stale.order_id, PaymentKind.AUTHORIZED, eur("60.00"), reference="auth"
    )
    result = shop.service.record_payment(
        stale.order_id, PaymentKind.CAPTURED, eur("60.00"), reference="cap", current=stale
    )
    stored = shop.repo.get(stale.order_id)
    assert [p.reference for p in stored.payments] == ["auth", "cap"]  # the authorization kept
    assert result.version == stored.version == 3
    assert result.payment_status == stored.payment_status == "paid"


def test_placing_from_a_price_breakdown_freezes_lines_and_notifies() -> None:
    shop = make_shop()
    order = place(shop)
    stored = shop.repo.get(order.order_id)
    assert stored.number == "SO-000001"
    assert stored.totals.total.gross == eur("60.00")
    assert stored.line("mug").tax_lines[0].amount == eur("4.00")  # 20% of 20.00
    assert [n.template_key for n in shop.notifier.sent] == ["order.order_placed"]


def test_shipping_commits_the_reserved_stock_from_the_location() -> None:
    shop = make_shop()
    order = paid(shop)
    shop.service.ship(order.order_id, {"mug": 1}, location="paris", actor="staff")
    (commit,) = shop.stock.of("commit")
    assert (commit.sku, commit.quantity, commit.location, commit.reservation_id) == (
        "MUG",
        1,
        "paris",
        "res_1",
    )


def test_shipping_too_much_changes_nothing_anywhere() -> None:
    shop = make_shop()
    order = paid(shop)
    version = shop.repo.get(order.order_id).version
    with pytest.raises(ShipmentQuantityError):
        shop.service.ship(order.order_id, {"mug": 3}, location="paris", actor="staff")
    assert shop.repo.get(order.order_id).version == version
    assert shop.stock.calls == ()


def test_unknown_order_is_a_lookup_error() -> None:
    with pytest.raises(NotFoundError):
        make_shop().service.ship("order_x", {"mug": 1}, location="p", actor="s")


def test_cancelling_a_paid_order_releases_stock_and_refunds_everything() -> None:
    shop = make_shop()
    order = paid(shop)
    result = shop.service.cancel(order.order_id, actor="staff", reason="customer asked")
    assert result.order.status == "cancelled"
    assert result.payment is not None
    assert result.payment.succeeded
    assert result.order.refunded == eur("60.00")
    assert str(result.order.payment_status) == "refunded"
    assert [c.operation for c in shop.stock.calls] == ["release"]


def test_cancelling_an_authorized_order_voids_the_authorization() -> None:
    shop = make_shop()
    order = place(shop)
    shop.service.record_payment(order.order_id, PaymentKind.AUTHORIZED, eur("60.00"), reference="a")
    result = shop.service.cancel(order.order_id, actor="staff")
    assert shop.payments.total("void") == eur("60.00")
    assert result.order.authorized == eur("0")
    assert str(result.order.payment_status) == "unpaid"


def test_cancelling_lines_of_a_paid_order_refunds_their_value_only() -> None:
    shop = make_shop()
    order = paid(shop)
    result = shop.service.cancel_lines(order.order_id, {"mug": 1}, actor="staff")
    assert result.cancelled.gross == eur("12.00")  # one of two mugs of 24.00
    assert result.order.refunded == eur("12.00")
    (release,) = shop.stock.of("release")
    assert (release.sku, release.quantity) == ("MUG", 1)


def test_cannot_cancel_an_order_that_shipped() -> None:
    shop = make_shop()
    order = paid(shop)
    shop.service.ship(order.order_id, {"mug": 2}, location="paris", actor="staff")
    with pytest.raises(InvalidTransitionError):
        shop.service.cancel(order.order_id, actor="staff")
    assert shop.payments.log == ()


def test_a_declined_refund_is_a_value_and_the_order_is_unchanged() -> None:
    shop = make_shop()
    order = paid(shop)
    shop.payments.decline_next("insufficient merchant balance")
    result = shop.service.refund(order.order_id, amount=eur("5.00"), reason="goodwill")
    assert not result.payment.succeeded
    assert result.refund is None
    assert result.order.refunded == eur("0")


def test_refund_above_what_was_paid_never_reaches_the_gateway() -> None:
    shop = make_shop()
    order = paid(shop)
    with pytest.raises(RefundExceedsRefundableError):
        shop.service.refund(order.order_id, amount=eur("60.01"))
    assert shop.payments.log == ()


def test_a_received_return_is_restocked_and_refunded() -> None:
    shop = make_shop()
    order = paid(shop)
    sid = shop.service.ship(order.order_id, {"mug": 2, "lamp": 1}, location="paris", actor="s")
    shop.service.mark_delivered(order.order_id, sid.shipments[0].shipment_id, actor="carrier")
    ret = shop.service.request_return(order.order_id, [ReturnLine("lamp", 1, "broken")], actor="c")
    return_id = ret.returns[-1].return_id
    shop.service.approve_return(order.order_id, return_id, actor="staff")
    shop.service.receive_return(order.order_id, return_id, restock_location=None, actor="staff")
    (write_off,) = shop.stock.of("write_off")
    assert (write_off.sku, write_off.quantity, write_off.location) == ("LAMP", 1, "paris")
    result = shop.service.refund_return(order.order_id, return_id)
    assert result.refund is not None
    assert result.refund.total == eur("36.00")
    assert result.order.find_return(return_id).status == "refunded"


def test_a_failed_save_notifies_nobody() -> None:
    shop = make_shop()
    order = paid(shop)
    sent = len(shop.notifier.sent)
    stale = shop.repo.get(order.order_id)
    shop.service.ship(order.order_id, {"mug": 1}, location="paris", actor="staff")
    stale.cancel_lines({"lamp": 1}, now=NOW, actor="staff")
    with pytest.raises(ConcurrencyConflictError):
        shop.repo.save(stale)
    shop.service.get(order.order_id)  # nothing new was stored for the stale copy
    assert "OrderLinesCancelled" not in [n.event_type for n in shop.notifier.sent[sent:]]
    assert all(m.event_type != "OrderLinesCancelled" for m in shop.repo.outbox.all())


def test_a_failed_dispatch_is_retried_later_and_sent_once() -> None:
    shop = make_shop()
    shop.notifier.fail_next(1)
    order = place(shop)  # the save succeeds; the notification fails
    delivered = len(shop.notifier.sent)
    assert delivered == 0
    assert len(shop.repo.outbox.undispatched()) == 1
    shop.service.record_payment(order.order_id, PaymentKind.CAPTURED, eur("60.00"), reference="c")
    kinds: list[str] = [n.event_type for n in shop.notifier.sent]
    assert kinds.count("OrderPlaced") == 1
    assert "OrderPaid" in kinds
    assert shop.repo.outbox.undispatched() == ()


def test_returned_goods_are_written_off_where_they_shipped_from() -> None:
    shop = make_shop()
    order = paid(shop)
    shop.service.ship(order.order_id, {"lamp": 1, "mug": 1}, location="paris", actor="s")
    shop.service.ship(order.order_id, {"mug": 1}, location="lyon", actor="s")
    ret = shop.service.request_return(order.order_id, [ReturnLine("mug", 2, "broken")], actor="c")
    return_id = ret.returns[-1].return_id
    shop.service.approve_return(order.order_id, return_id, actor="staff")
    shop.service.receive_return(order.order_id, return_id, restock_location=None, actor="staff")
    # one mug left paris, the other lyon: each is written off at its own location
    written = sorted((c.sku, c.quantity, c.location) for c in shop.stock.of("write_off"))
    assert written == [("MUG", 1, "lyon"), ("MUG", 1, "paris")]
