"""Payment rules found missing by review: audit after the gateway, voids, webhooks."""

from __future__ import annotations

from commerce_core import (
    Approved,
    AuthorizeRequest,
    GatewayResult,
    PaymentMethod,
    PaymentStatus,
    PaymentWebhookHandler,
    WebhookOutcome,
    looks_like_card_number,
    money,
    verify_chain,
)
from commerce_core.adapters.memory import InMemoryProcessedEventStore
from commerce_core.adapters.webhooks import HmacSha256WebhookVerifier
from tests.services.test_payments_service import Shop, deliver, evt

# A numeric provider reference that happens to be a Luhn-valid Visa-shaped number.
CARDISH_REFERENCE = "4914073381342280"


class NumericReferenceGateway:
    """A provider whose authorization references are long numbers (approves everything)."""

    def authorize(self, request: AuthorizeRequest) -> GatewayResult:
        return Approved(CARDISH_REFERENCE, request.amount)


def test_an_approval_whose_reference_looks_like_a_card_is_recorded_with_it_masked() -> None:
    assert looks_like_card_number(CARDISH_REFERENCE)
    shop = Shop()
    shop.gateway.authorize = NumericReferenceGateway().authorize  # type: ignore[method-assign]
    result = shop.service.pay("o1", money("10.00", "EUR"), PaymentMethod("tok_x"))
    # the gateway approved: the payment must say so, and the audit log must hold the attempt
    assert result.status is PaymentStatus.AUTHORIZED
    (entry,) = shop.log.entries()
    assert entry.record.reference == "**** 2280"
    assert not looks_like_card_number(repr(entry.record))
    verify_chain(shop.log.entries())


def test_after_a_partial_capture_the_rest_of_the_authorization_can_be_released() -> None:
    shop = Shop()
    method = shop.gateway.tokenize("4242424242424242")
    payment_id = shop.service.pay("o1", money("100.00", "EUR"), method).payment_id
    shop.service.capture(payment_id, money("60.00", "EUR"))
    result = shop.service.void(payment_id)
    # 100.00 - 60.00 = 40.00 released at the provider; the 60.00 stays captured
    assert result.approved
    assert (result.status, result.authorized, result.captured) == (
        PaymentStatus.CAPTURED,
        money("60.00", "EUR"),
        money("60.00", "EUR"),
    )
    assert shop.service.refund(payment_id).status is PaymentStatus.REFUNDED


def test_a_webhook_racing_checkout_is_applied_when_redelivered_after_the_payment_is_saved() -> None:
    shop = Shop()
    handler = PaymentWebhookHandler(
        verifier=HmacSha256WebhookVerifier("whsec_x", shop.clock),
        payments=shop.payments,
        processed=InMemoryProcessedEventStore(),
        clock=shop.clock,
    )
    early = evt("evt_1", "payment.captured", "pay_early", "30.00")
    first = deliver(handler, shop.clock, early)
    assert first.outcome is WebhookOutcome.UNKNOWN_PAYMENT  # answer 409: redeliver later
    shop.service.open_payment(
        "o1", money("30.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_early"
    )
    again = deliver(handler, shop.clock, early)
    assert again.outcome is WebhookOutcome.APPLIED
    assert shop.service.get("pay_early").captured == money("30.00", "EUR")
