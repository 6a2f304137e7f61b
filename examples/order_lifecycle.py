"""An order's life: placed from a priced cart, paid, shipped in two parts, delivered, a line
returned and refunded, then completed — with every notification the host would send."""

from __future__ import annotations

from datetime import UTC, datetime

from commerce_core import (
    Address,
    Customer,
    Destination,
    Jurisdiction,
    OrderService,
    OutboxDispatcher,
    PaymentKind,
    PaymentTerms,
    PricingContext,
    PricingLine,
    ReturnLine,
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


def main() -> None:
    clock = InMemoryClock(datetime(2026, 5, 4, 9, tzinfo=UTC))
    repo, notifier = InMemoryOrderRepository(), InMemoryNotifier()
    stock, payments = InMemoryOrderStock(), InMemoryOrderPayments()
    service = OrderService(
        repository=repo,
        numbers=InMemoryOrderNumbers("WEB-{n:05d}"),
        stock=stock,
        payments=payments,
        clock=clock,
        ids=SequentialIdFactory(),
        dispatcher=OutboxDispatcher(repo.outbox, notifier, clock),
    )

    # 2 x 15.00 net teapots + 1 x 8.00 net tea, 20% VAT: gross 36.00 + 9.60 = 45.60
    breakdown = price_cart(
        [
            PricingLine("teapot", "POT-1", "Teapot", 2, money("15.00", "EUR")),
            PricingLine("tea", "TEA-1", "Green tea", 1, money("8.00", "EUR")),
        ],
        PricingContext(currency="EUR", now=clock.now(), destination=Destination("FR")),
        tax=TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))]),
    )
    home = Address("Ann Lee", "1 Rue Haute", "Lyon", "69001", "FR")
    order = service.place_order(
        breakdown,
        customer=Customer("ann@example.com", customer_id="cus_1"),
        billing_address=home,
        shipping_address=home,
        payment_terms=PaymentTerms.card(),
        reservation_id="res_42",
    )
    assert order.totals.total.gross == money("45.60", "EUR")
    oid = order.order_id

    service.record_payment(oid, PaymentKind.AUTHORIZED, money("45.60", "EUR"), reference="auth")
    service.record_payment(oid, PaymentKind.CAPTURED, money("45.60", "EUR"), reference="cap")
    clock.advance(hours=3)
    first = service.ship(oid, {"teapot": 2}, location="lyon", tracking_reference="TRK1", actor="bo")
    second = service.ship(oid, {"tea": 1}, location="lyon", tracking_reference="TRK2", actor="bo")
    assert second.status == "shipped"
    clock.advance(days=2)
    for shipment in second.shipments:
        service.mark_delivered(oid, shipment.shipment_id, actor="carrier")
    assert first.shipments[0].tracking_reference == "TRK1"

    clock.advance(days=3)
    returned = service.request_return(oid, [ReturnLine("teapot", 1, "chipped lid")], actor="ann")
    return_id = returned.returns[-1].return_id
    service.approve_return(oid, return_id, actor="bo")
    service.receive_return(oid, return_id, restock_location=None, actor="bo")  # written off
    result = service.refund_return(oid, return_id)
    assert result.refund is not None
    assert result.refund.total == money("18.00", "EUR")  # one of two teapots of 36.00 gross
    final = service.complete(oid, actor="bo")

    assert str(final.payment_status) == "partially_refunded"
    assert str(final.fulfilment_status) == "partially_returned"
    print(
        f"order {final.number}: {final.status}, {final.payment_status}, {final.fulfilment_status}"
    )
    for entry in final.history:
        moved = f"{entry.from_status:>18} -> {entry.to_status:<18}"
        print(f"  {entry.at:%Y-%m-%d %H:%M}  {moved} by {entry.actor}")
    print("stock calls:", [(c.operation, c.sku, c.quantity) for c in stock.calls])
    print("notifications:", [n.template_key for n in notifier.sent])
    assert repo.outbox.undispatched() == ()


if __name__ == "__main__":
    main()
