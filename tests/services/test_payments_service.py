from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core import (
    Approved,
    AuthorizeRequest,
    CardExpiry,
    DeclineCode,
    DomainEvent,
    IdempotencyInProgressError,
    IdempotencyKeyReuseError,
    InvalidTransitionError,
    OrderPaymentStatus,
    OverCaptureError,
    OverRefundError,
    PaymentMethod,
    PaymentService,
    PaymentStatus,
    PaymentWebhookHandler,
    RetryPolicy,
    TransientFailure,
    WebhookOutcome,
    WebhookResult,
    idempotency_key,
    money,
    result_to_data,
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


class Shop:
    """The payment service wired to in-memory adapters, with a recording sleeper."""

    def __init__(self, retry: RetryPolicy | None = None, randoms: Sequence[float] = (0.5,)) -> None:
        self.clock = InMemoryClock()
        self.gateway = SimulatedPaymentGateway()
        self.payments = InMemoryPaymentRepository()
        self.idempotency = InMemoryIdempotencyStore(self.clock)
        self.log = InMemoryTransactionLog()
        self.sleeps: list[float] = []
        self.events: list[DomainEvent] = []
        values = list(randoms)
        self.service = PaymentService(
            gateway=self.gateway,
            payments=self.payments,
            idempotency=self.idempotency,
            log=self.log,
            clock=self.clock,
            ids=SequentialIdFactory(),
            retry=retry or RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=10.0),
            sleeper=self.sleeps.append,
            random=ScriptedRandomSource(values),
            on_events=self.events.extend,
        )


def eur(amount: str) -> object:
    return money(amount, "EUR")


def test_authorize_then_capture_partially_then_the_rest() -> None:
    shop = Shop()
    paid = shop.service.pay("ord_1", money("100.00", "EUR"), PaymentMethod("tok_visa"))
    assert paid.approved
    assert paid.status is PaymentStatus.AUTHORIZED
    first = shop.service.capture(paid.payment_id, money("40.00", "EUR"))
    rest = shop.service.capture(paid.payment_id)
    assert (first.status, rest.status) == (PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED)
    assert rest.amount == money("60.00", "EUR")  # 100.00 authorized - 40.00 captured
    assert shop.service.get(paid.payment_id).version == 4  # created, authorized, 2 captures


def test_a_declined_card_is_a_value_and_the_payment_fails() -> None:
    shop = Shop()
    result = shop.service.pay(
        "ord_1", money("10.00", "EUR"), PaymentMethod("tok_insufficient_funds")
    )
    assert not result.approved
    assert result.decline_code is DeclineCode.INSUFFICIENT_FUNDS
    assert result.status is PaymentStatus.FAILED
    assert result.attempts == 1, "a decline is never retried"


def test_transient_failures_are_retried_with_full_jitter_backoff() -> None:
    shop = Shop(randoms=(0.5, 0.25))
    result = shop.service.pay("ord_1", money("10.00", "EUR"), PaymentMethod("tok_transient_2"))
    assert result.approved
    assert result.attempts == 3
    # after attempt 1: 0.5 * min(10, 1.0 * 2**0) = 0.5; after attempt 2: 0.25 * (1.0 * 2**1) = 0.5
    assert shop.sleeps == [0.5, 0.5]
    assert [e.record.outcome for e in shop.log.entries()] == [
        "transient_failure",
        "transient_failure",
        "approved",
    ]


def test_when_retries_run_out_the_key_is_released_for_a_later_attempt() -> None:
    shop = Shop(retry=RetryPolicy(max_attempts=2, base_delay=0.0))
    method = PaymentMethod("tok_transient_3")
    first = shop.service.pay("ord_1", money("10.00", "EUR"), method)
    assert first.is_transient
    assert first.status is PaymentStatus.CREATED
    later = shop.service.authorize(first.payment_id)
    assert later.approved
    assert later.idempotency_key == first.idempotency_key


def test_a_replay_returns_the_stored_result_without_calling_the_gateway() -> None:
    shop = Shop()
    paid = shop.service.pay("ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"))
    calls = len(shop.gateway.calls)
    again = shop.service.authorize(paid.payment_id)
    assert again.replayed
    assert again.result == paid.result
    assert len(shop.gateway.calls) == calls
    capture = shop.service.capture(paid.payment_id, money("4.00", "EUR"), scope="shipment-1")
    replay = shop.service.capture(paid.payment_id, money("4.00", "EUR"), scope="shipment-1")
    assert replay.replayed
    assert replay.captured == capture.captured == money("4.00", "EUR")


def test_a_result_stored_before_a_crash_is_applied_on_replay_without_a_second_charge() -> None:
    shop = Shop()
    payment = shop.service.open_payment("ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"))
    key = idempotency_key(
        order_id="ord_1", payment_id=payment.id, operation="authorize", amount=payment.amount
    )
    request = AuthorizeRequest(key, payment.id, "ord_1", payment.amount, payment.method)
    # The gateway answered and the answer was recorded, then the process died before saving.
    answer = shop.gateway.authorize(request)
    shop.idempotency.claim(key, request.fingerprint())
    shop.idempotency.complete(key, request.fingerprint(), result_to_data(answer))
    calls = len(shop.gateway.calls)
    resumed = shop.service.authorize(payment.id)
    assert resumed.replayed
    assert resumed.status is PaymentStatus.AUTHORIZED
    assert len(shop.gateway.calls) == calls


def test_concurrent_identical_authorizations_reach_the_gateway_once() -> None:
    shop = Shop()
    payment = shop.service.open_payment("ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"))
    barrier = threading.Barrier(6)

    def attempt(_: int) -> str:
        barrier.wait(timeout=10)
        try:
            return str(shop.service.authorize(payment.id).outcome)
        except (IdempotencyInProgressError, InvalidTransitionError) as error:
            return type(error).__name__

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert [op for op, _ in shop.gateway.calls].count("authorize") == 1
    assert "approved" in outcomes
    assert shop.service.get(payment.id).status is PaymentStatus.AUTHORIZED


def test_over_capture_and_over_refund_are_refused_before_the_gateway() -> None:
    shop = Shop()
    paid = shop.service.pay("ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"))
    calls = len(shop.gateway.calls)
    with pytest.raises(OverCaptureError):
        shop.service.capture(paid.payment_id, money("10.01", "EUR"))
    shop.service.capture(paid.payment_id, money("6.00", "EUR"))
    with pytest.raises(OverRefundError):
        shop.service.refund(paid.payment_id, money("6.01", "EUR"))
    assert len(shop.gateway.calls) == calls + 1  # only the valid capture
    assert len(shop.idempotency) == 2  # authorize + that capture; nothing half-written


def test_void_releases_an_open_authorization_once() -> None:
    shop = Shop()
    paid = shop.service.pay("ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"))
    voided = shop.service.void(paid.payment_id)
    assert voided.status is PaymentStatus.VOIDED
    assert shop.gateway.open_authorizations == ()
    assert shop.service.void(paid.payment_id).replayed
    with pytest.raises(InvalidTransitionError):
        shop.service.capture(paid.payment_id, money("1.00", "EUR"))


def test_split_tender_summary_for_the_order() -> None:
    shop = Shop()
    gift = shop.service.pay(
        "ord_1", money("20.00", "EUR"), PaymentMethod("tok_gift_card", "gift_card")
    )
    card = shop.service.pay("ord_1", money("80.00", "EUR"), PaymentMethod("tok_visa"))
    shop.service.capture(gift.payment_id)
    shop.service.capture(card.payment_id)
    shop.service.refund(card.payment_id, money("5.00", "EUR"), scope="return-1")
    summary = shop.service.summary("ord_1", "EUR")
    assert (summary.captured, summary.refunded) == (money("100.00", "EUR"), money("5.00", "EUR"))
    assert summary.status_for(money("100.00", "EUR")) is OrderPaymentStatus.PARTIALLY_REFUNDED


def test_the_same_payment_id_with_another_amount_is_key_reuse() -> None:
    shop = Shop()
    shop.service.open_payment(
        "ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_ck_1"
    )
    again = shop.service.open_payment(
        "ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_ck_1"
    )
    assert again.version == 1
    with pytest.raises(IdempotencyKeyReuseError):
        shop.service.open_payment(
            "ord_1", money("11.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_ck_1"
        )


def test_keys_are_deterministic_and_ignore_how_an_amount_is_written() -> None:
    one = idempotency_key(
        order_id="o", payment_id="p", operation="capture", amount=money("10", "EUR")
    )
    two = idempotency_key(
        order_id="o", payment_id="p", operation="capture", amount=money("10.00", "EUR")
    )
    other = idempotency_key(
        order_id="o", payment_id="p", operation="refund", amount=money("10", "EUR")
    )
    assert one == two != other


@given(
    attempts=st.integers(1, 8),
    base=st.floats(0, 5, allow_nan=False),
    cap=st.floats(0, 60, allow_nan=False),
    rnd=st.floats(0, 1, exclude_max=True),
)
def test_full_jitter_delay_stays_under_the_exponential_ceiling(
    attempts: int, base: float, cap: float, rnd: float
) -> None:
    policy = RetryPolicy(max_attempts=8, base_delay=base, max_delay=cap)
    delay = policy.delay(attempts, rnd)
    assert 0 <= delay <= min(cap, base * 2 ** (attempts - 1))
    assert policy.should_retry(TransientFailure(), attempts) is (attempts < 8)
    assert not policy.should_retry(Approved("r", money("1", "EUR")), 1)


def webhook_shop() -> tuple[Shop, PaymentWebhookHandler, str]:
    shop = Shop()
    handler = PaymentWebhookHandler(
        verifier=HmacSha256WebhookVerifier("whsec_x", shop.clock),
        payments=shop.payments,
        processed=InMemoryProcessedEventStore(),
        clock=shop.clock,
    )
    payment = shop.service.pay("ord_1", money("50.00", "EUR"), PaymentMethod("tok_3ds_required"))
    return shop, handler, payment.payment_id


def deliver(
    handler: PaymentWebhookHandler, clock: InMemoryClock, payload: dict[str, object]
) -> WebhookResult:
    body = json.dumps(payload).encode()
    return handler.handle(sign_webhook("whsec_x", body, int(clock.now().timestamp())), body)


def evt(event_id: str, kind: str, payment_id: str, amount: str | None = None) -> dict[str, object]:
    data: dict[str, object] = {"payment_id": payment_id}
    if amount is not None:
        data |= {"amount": amount, "currency": "EUR"}
    return {"id": event_id, "type": kind, "created": "2026-01-01T00:00:00+00:00", "data": data}


def test_webhooks_complete_3ds_dedupe_and_apply_out_of_order_events_monotonically() -> None:
    shop, handler, pid = webhook_shop()
    assert shop.service.get(pid).status is PaymentStatus.REQUIRES_ACTION
    captured = deliver(handler, shop.clock, evt("evt_2", "payment.captured", pid, "50.00"))
    late = deliver(handler, shop.clock, evt("evt_1", "payment.authorized", pid, "50.00"))
    dup = deliver(handler, shop.clock, evt("evt_2", "payment.captured", pid, "50.00"))
    unknown = deliver(handler, shop.clock, evt("evt_3", "charge.dispute.created", pid))
    stranger = deliver(handler, shop.clock, evt("evt_4", "payment.captured", "pay_other", "1.00"))
    assert [r.outcome for r in (captured, late, dup, unknown, stranger)] == [
        WebhookOutcome.APPLIED,
        WebhookOutcome.NO_CHANGE,
        WebhookOutcome.DUPLICATE,
        WebhookOutcome.IGNORED,
        WebhookOutcome.UNKNOWN_PAYMENT,
    ]
    assert shop.service.get(pid).status is PaymentStatus.CAPTURED


def test_card_numbers_never_appear_in_reprs_logs_events_errors_or_audit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    number = "4000000000009995"  # the insufficient-funds public test card
    caplog.set_level(logging.DEBUG)
    shop = Shop()
    seen: list[str] = []
    method = shop.gateway.tokenize(number, CardExpiry(12, 2030))
    declined = shop.service.pay("ord_1", money("10.00", "EUR"), method)
    approved = shop.service.pay(
        "ord_1", money("10.00", "EUR"), shop.gateway.tokenize("4242424242424242")
    )
    shop.service.capture(approved.payment_id)
    try:
        PaymentMethod(number)
    except ValueError as error:
        seen += [str(error), repr(error)]
    seen += [repr(method), str(method), repr(declined), repr(approved)]
    seen += [repr(p) for p in shop.payments.all()]
    seen += [json.dumps(p.to_snapshot()) for p in shop.payments.all()]
    seen += [json.dumps(e.to_dict()) + repr(e) for e in shop.events]
    seen += [json.dumps(e.record.to_data()) + repr(e) for e in shop.log.entries()]
    seen += [r.getMessage() for r in caplog.records]
    assert caplog.records, "the service logs its gateway calls"
    assert shop.log.entries()[0].record.card is not None
    haystack = "\n".join(seen)
    assert "9995" in haystack  # the last four may be shown...
    for secret in (number, "4242424242424242", "400000000000"):
        assert secret not in haystack  # ...the number never
    verify_chain(shop.log.entries(), expected_head=shop.log.head())


def test_a_claim_abandoned_by_a_crashed_caller_expires_after_its_lease() -> None:
    from datetime import timedelta

    from commerce_core import ClaimStatus

    clock = InMemoryClock()
    store = InMemoryIdempotencyStore(clock, lease=timedelta(minutes=5))
    store.claim("k", "fp")
    clock.advance(minutes=4, seconds=59)
    assert store.claim("k", "fp").status is ClaimStatus.IN_PROGRESS
    clock.advance(seconds=1)
    assert store.claim("k", "fp").status is ClaimStatus.CLAIMED
