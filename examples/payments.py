"""Payments: split tender, retries, partial capture and refund, webhooks, audit log.

Run: python examples/payments.py
"""

from __future__ import annotations

import json

from commerce_core import (
    CardExpiry,
    OrderPaymentStatus,
    OverRefundError,
    PaymentMethod,
    PaymentService,
    PaymentStatus,
    PaymentWebhookHandler,
    RetryPolicy,
    check_card,
    money,
    verify_chain,
)
from commerce_core.adapters.memory import (
    InMemoryClock,
    InMemoryIdempotencyStore,
    InMemoryPaymentRepository,
    InMemoryProcessedEventStore,
    InMemoryTransactionLog,
    ScriptedRandomSource,
    SequentialIdFactory,
    SimulatedPaymentGateway,
)
from commerce_core.adapters.webhooks import HmacSha256WebhookVerifier, sign_webhook


def main() -> None:
    clock = InMemoryClock()
    gateway = SimulatedPaymentGateway()
    payments = InMemoryPaymentRepository()
    log = InMemoryTransactionLog()
    waited: list[float] = []
    service = PaymentService(
        gateway=gateway,
        payments=payments,
        idempotency=InMemoryIdempotencyStore(clock),
        log=log,
        clock=clock,
        ids=SequentialIdFactory(),
        retry=RetryPolicy(max_attempts=3, base_delay=0.2),
        sleeper=waited.append,  # no real sleeping in an example
        random=ScriptedRandomSource([0.5]),
    )

    # 1. Check what the customer typed, then tokenize: only the token goes further.
    typed = check_card("4242 4242 4242 4242", "123", 12, 2030, now=clock.now())
    assert typed.ok
    card = gateway.tokenize("4242 4242 4242 4242", CardExpiry(12, 2030))
    print("tokenized:", card.token, card.card.masked if card.card else "")

    # 2. Split tender: 20.00 on a gift card, 80.00 on the card (whose gateway times out once).
    gift = service.pay("ord_1", money("20.00", "EUR"), PaymentMethod("tok_gift_card", "gift_card"))
    gateway.fail_next(1)
    main_tender = service.pay("ord_1", money("80.00", "EUR"), card)
    print("card authorized after", main_tender.attempts, "attempts; waited", waited)
    assert gift.approved
    assert main_tender.approved
    assert main_tender.attempts == 2

    # 3. Ship in two parts: capture 50.00 now (scoped by shipment), the rest later.
    service.capture(gift.payment_id)
    service.capture(main_tender.payment_id, money("50.00", "EUR"), scope="shipment-1")
    replay = service.capture(main_tender.payment_id, money("50.00", "EUR"), scope="shipment-1")
    assert replay.replayed, "the same shipment never captures twice"
    service.capture(main_tender.payment_id, scope="shipment-2")
    total = money("100.00", "EUR")
    summary = service.summary("ord_1", "EUR")
    print("captured", summary.captured.amount, "->", summary.status_for(total))
    assert summary.status_for(total) is OrderPaymentStatus.PAID

    # 4. A partial refund; refunding more than was captured is a typed error.
    service.refund(main_tender.payment_id, money("15.00", "EUR"), scope="return-1")
    try:
        service.refund(main_tender.payment_id, money("70.00", "EUR"))
    except OverRefundError as error:
        print("refused:", error)

    # 5. A 3-D Secure payment completes through a signed webhook.
    pending = service.pay("ord_2", money("30.00", "EUR"), PaymentMethod("tok_3ds_required"))
    assert pending.status is PaymentStatus.REQUIRES_ACTION
    print("customer must:", pending.required_action)
    handler = PaymentWebhookHandler(
        verifier=HmacSha256WebhookVerifier("whsec_demo", clock),
        payments=payments,
        processed=InMemoryProcessedEventStore(),
        clock=clock,
    )
    event = {
        "id": "evt_1",
        "type": "payment.authorized",
        "created": clock.now().isoformat(),
        "data": {"payment_id": pending.payment_id, "amount": "30.00", "currency": "EUR"},
    }
    body = json.dumps(event).encode()
    header = sign_webhook("whsec_demo", body, int(clock.now().timestamp()))
    print(
        "webhook:",
        handler.handle(header, body).outcome,
        "| again:",
        handler.handle(header, body).outcome,
    )
    assert service.get(pending.payment_id).status is PaymentStatus.AUTHORIZED

    # 6. The audit log is hash-chained: verify it.
    verify_chain(log.entries(), expected_head=log.head())
    print(len(log.entries()), "gateway calls logged; chain intact")


if __name__ == "__main__":
    main()
