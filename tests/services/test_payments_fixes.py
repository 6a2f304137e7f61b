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
