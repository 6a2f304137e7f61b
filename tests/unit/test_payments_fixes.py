"""Payment rules found missing by review (aggregate, parsing, cards, webhooks)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from commerce_core import (
    Approved,
    InvalidWebhookPayloadError,
    Money,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderEvent,
    money,
    parse_provider_event,
)
from commerce_core.domain.payment import PaymentVoided

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def body(amount: str, currency: str = "EUR") -> bytes:
    data = {
        "id": "evt_1",
        "type": "payment.captured",
        "created": "2026-01-01T00:00:00+00:00",
        "data": {"payment_id": "pay_1", "amount": amount, "currency": currency},
    }
    return json.dumps(data).encode()


def status_of(payment: Payment) -> PaymentStatus:
    return payment.status


def authorized(amount: str = "100.00") -> Payment:
    payment = Payment.create("pay_1", "o1", eur(amount), PaymentMethod("tok_visa"), now=NOW)
    payment.record_authorization(Approved("ref", eur(amount)), key="auth", now=NOW)
    return payment


@pytest.mark.parametrize(("amount", "currency"), [("33.333", "EUR"), ("1.5", "JPY")])
def test_a_webhook_amount_below_the_currencys_minor_unit_is_an_invalid_payload(
    amount: str, currency: str
) -> None:
    with pytest.raises(InvalidWebhookPayloadError):
        parse_provider_event(body(amount, currency))


def test_a_webhook_amount_on_the_grid_parses() -> None:
    assert parse_provider_event(body("33.30")).amount == eur("33.30")


def test_an_off_grid_provider_amount_never_reaches_a_payment() -> None:
    payment = authorized()
    event = ProviderEvent("evt_1", "payment.captured", "pay_1", eur("33.333"), NOW)
    assert not payment.apply_provider_event(event, now=NOW)
    assert payment.captured == eur("0.00")
    assert payment.status is PaymentStatus.AUTHORIZED


def test_a_void_after_a_partial_capture_releases_only_the_uncaptured_rest() -> None:
    payment = authorized()
    payment.record_capture(eur("60.00"), Approved("r", eur("60.00")), key="c", now=NOW)
    payment.collect_events()
    assert payment.record_void(Approved("r", eur("100.00")), key="v", now=NOW)
    # 100.00 authorized - 60.00 captured = 40.00 released; the 60.00 stays captured
    assert payment.status is PaymentStatus.CAPTURED
    assert (payment.authorized, payment.captured, payment.capturable) == (
        eur("60.00"),
        eur("60.00"),
        eur("0.00"),
    )
    (event,) = payment.collect_events()
    assert isinstance(event, PaymentVoided)
    assert event.released == eur("40.00")
    # the captured money is still refundable
    payment.record_refund(eur("60.00"), Approved("r", eur("60.00")), key="r", now=NOW)
    assert status_of(payment) is PaymentStatus.REFUNDED


def test_a_provider_void_after_a_partial_capture_releases_the_rest() -> None:
    payment = authorized()
    payment.record_capture(eur("60.00"), Approved("r", eur("60.00")), key="c", now=NOW)
    voided = ProviderEvent("evt_v", "payment.voided", "pay_1", None, NOW)
    assert payment.apply_provider_event(voided, now=NOW)
    assert (payment.status, payment.authorized) == (PaymentStatus.CAPTURED, eur("60.00"))
