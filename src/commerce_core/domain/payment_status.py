"""An order's payment status: one enum and one derivation, shared by Orders and Payments."""

from __future__ import annotations

import enum

from moneyed import Money

__all__ = ["OrderPaymentStatus", "derive_order_payment_status"]


class OrderPaymentStatus(enum.StrEnum):
    """An order's payment axis (see :func:`derive_order_payment_status`)."""

    UNPAID = "unpaid"
    PARTIALLY_AUTHORIZED = "partially_authorized"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


def derive_order_payment_status(
    amount_due: Money, *, authorized: Money, captured: Money, refunded: Money
) -> OrderPaymentStatus:
    """The payment status of an order owing ``amount_due``.

    Refunds first (any refund: partially refunded; everything captured refunded: refunded), then
    captures (paid once captured covers what is due), then open authorizations (authorized once
    they cover it), else unpaid. ``authorized`` counts authorizations not yet captured or voided.
    """
    if refunded.amount > 0:
        if refunded >= captured:
            return OrderPaymentStatus.REFUNDED
        return OrderPaymentStatus.PARTIALLY_REFUNDED
    if captured.amount > 0:
        if captured >= amount_due:
            return OrderPaymentStatus.PAID
        return OrderPaymentStatus.PARTIALLY_PAID
    if authorized.amount > 0:
        if authorized >= amount_due:
            return OrderPaymentStatus.AUTHORIZED
        return OrderPaymentStatus.PARTIALLY_AUTHORIZED
    return OrderPaymentStatus.UNPAID
