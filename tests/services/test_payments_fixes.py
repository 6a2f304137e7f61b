"""Payment rules found missing by review: audit after the gateway, voids, webhooks."""

from __future__ import annotations

from commerce_core import (
    Approved,
    AuthorizeRequest,
    GatewayResult,
    PaymentMethod,
    PaymentStatus,
    looks_like_card_number,
    money,
    verify_chain,
)
from tests.services.test_payments_service import Shop

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
