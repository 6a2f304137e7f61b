"""Payment rules found missing by review (aggregate, parsing, cards, webhooks)."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from commerce_core import (
    Approved,
    CardNumber,
    InvalidCardError,
    InvalidPaymentSettingError,
    InvalidTransitionError,
    InvalidWebhookPayloadError,
    InvalidWebhookSignatureError,
    Money,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderEvent,
    RawCardDataError,
    RetryPolicy,
    check_card,
    money,
    parse_provider_event,
)
from commerce_core.adapters.memory import InMemoryClock
from commerce_core.adapters.webhooks import HmacSha256WebhookVerifier
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


def captured_and_refunded(refund: str) -> Payment:
    payment = authorized()
    payment.record_capture(eur("100.00"), Approved("r", eur("100.00")), key="c", now=NOW)
    payment.record_refund(eur(refund), Approved("r", eur(refund)), key="r", now=NOW)
    return payment


def test_a_capture_after_a_refund_is_refused_because_refunds_began() -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        captured_and_refunded("10.00").ensure_can_capture(eur("1.00"))
    assert caught.value.reason == "capturing stops once refunds begin"


def test_a_refund_of_a_fully_refunded_payment_says_everything_was_refunded() -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        captured_and_refunded("100.00").ensure_can_refund(eur("1.00"))
    assert caught.value.reason == "everything captured was refunded"


def test_a_capture_of_a_fully_captured_payment_says_everything_was_captured() -> None:
    payment = authorized()
    payment.record_capture(eur("100.00"), Approved("r", eur("100.00")), key="c", now=NOW)
    with pytest.raises(InvalidTransitionError) as caught:
        payment.ensure_can_capture(eur("1.00"))
    assert caught.value.reason == "everything authorized was captured"


def test_a_card_number_never_leaves_through_asdict_pickle_or_attributes() -> None:
    card = CardNumber.parse("4242 4242 4242 4242")
    with pytest.raises(attrs.exceptions.NotAnAttrsClassError):
        attrs.asdict(card)  # type: ignore[arg-type]
    with pytest.raises(RawCardDataError):
        pickle.dumps(card)
    assert not hasattr(card, "__dict__")
    assert "4242424242424242" not in repr(card) + str(card) + f"{card}"
    assert card == CardNumber.parse("4242424242424242")
    assert card.reveal() == "4242424242424242"


@pytest.mark.parametrize(("number", "cvc", "reason"), [(None, "123", "characters")])
def test_card_input_that_is_not_text_is_a_typed_error(
    number: object, cvc: object, reason: str
) -> None:
    with pytest.raises(InvalidCardError) as caught:
        check_card(number, cvc, 12, 2030, now=NOW)  # type: ignore[arg-type]
    assert caught.value.reason == reason


def test_a_cvc_that_is_not_text_is_a_typed_error() -> None:
    with pytest.raises(InvalidCardError) as caught:
        check_card("4242424242424242", 123, 12, 2030, now=NOW)  # type: ignore[arg-type]
    assert caught.value.reason == "cvc"


@pytest.mark.parametrize(
    "settings",
    [{"max_attempts": 0}, {"base_delay": -1.0}, {"max_delay": float("nan")}],
)
def test_an_unusable_retry_policy_is_a_typed_error(settings: dict[str, float]) -> None:
    with pytest.raises(InvalidPaymentSettingError):
        RetryPolicy(**settings)  # type: ignore[arg-type]


def test_a_webhook_verifier_needs_a_secret_and_a_non_negative_tolerance() -> None:
    clock = InMemoryClock(NOW)
    with pytest.raises(InvalidPaymentSettingError):
        HmacSha256WebhookVerifier("", clock)
    with pytest.raises(InvalidPaymentSettingError):
        HmacSha256WebhookVerifier("whsec", clock, tolerance=timedelta(seconds=-1))


@pytest.mark.parametrize(
    ("header", "body"),
    [
        (b"t=1,v1=00", b"{}"),
        ("t=1767225600,v1=00", "{}"),
        ("t=\u00b2,v1=00", b"{}"),
    ],
)
def test_a_malformed_webhook_delivery_is_a_signature_error(header: object, body: object) -> None:
    verifier = HmacSha256WebhookVerifier("whsec", InMemoryClock(NOW))
    with pytest.raises(InvalidWebhookSignatureError):
        verifier.verify(header, body)  # type: ignore[arg-type]


def test_the_payment_events_and_audit_chain_helpers_are_public() -> None:
    import commerce_core

    public = set(commerce_core.__all__)
    wanted = {
        "PaymentCreated",
        "PaymentActionRequired",
        "PaymentAuthorized",
        "PaymentCaptured",
        "PaymentVoided",
        "PaymentRefunded",
        "PaymentOperationDeclined",
        "looks_like_card_number",
        "mask_card_numbers",
        "chain_entry",
        "chain_hash",
        "GENESIS_HASH",
    }
    assert wanted <= public
    assert all(hasattr(commerce_core, name) for name in wanted)
