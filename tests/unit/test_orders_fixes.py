"""Order rules found missing by review: stale refunds, payment facts, return sources."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce_core import (
    Address,
    Customer,
    InvalidOrderError,
    InvalidQuantityError,
    InvalidTransitionError,
    Money,
    Order,
    OrderPaymentStatus,
    OrderStatus,
    PaymentFactRejectedError,
    PaymentKind,
    PaymentTerms,
    RefundExceedsRefundableError,
    ReturnLine,
    money,
)
from commerce_core.testing.contracts import make_sample_order

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def paid_order() -> Order:
    # 3 x 12.00 gross (l1) + 1 x 24.00 gross (l2) + 6.00 shipping = 66.00
    order = make_sample_order()
    order.record_payment(PaymentKind.CAPTURED, eur("66.00"), reference="cap", now=NOW)
    return order


def test_a_stale_planned_refund_cannot_refund_a_line_twice() -> None:
    order = paid_order()
    first = order.plan_refund(refund_id="r1", lines={"l2": 1}, now=NOW)
    stale = order.plan_refund(refund_id="r2", lines={"l2": 1}, now=NOW)
    order.apply_refund(first)
    snapshot = order.to_snapshot()
    with pytest.raises((RefundExceedsRefundableError, InvalidQuantityError)):
        order.apply_refund(stale)
    # l2 is 1 unit of 24.00: refunded once, never 48.00 or 2 units.
    assert order.line_refunded("l2").gross == eur("24.00")
    assert order.line_refunded_units("l2") == 1
    assert order.to_snapshot() == snapshot


def test_a_stale_amount_refund_cannot_exceed_a_lines_remaining_value() -> None:
    order = paid_order()
    by_lines = order.plan_refund(refund_id="r1", lines={"l2": 1}, now=NOW)
    # 30.00 by amount over l1 (36.00 left) and l2 (24.00 left): l2 takes 30 * 24/60 = 12.00.
    by_amount = order.plan_refund(refund_id="r2", amount=eur("30.00"), now=NOW)
    order.apply_refund(by_lines)
    with pytest.raises(RefundExceedsRefundableError) as caught:
        order.apply_refund(by_amount)
    assert caught.value.part == "l2"
    assert order.refunded == eur("24.00")


def test_a_stale_shipping_refund_cannot_refund_shipping_twice() -> None:
    order = paid_order()
    first = order.plan_refund(refund_id="r1", shipping=eur("6.00"), now=NOW)
    stale = order.plan_refund(refund_id="r2", shipping=eur("6.00"), now=NOW)
    order.apply_refund(first)
    with pytest.raises(RefundExceedsRefundableError) as caught:
        order.apply_refund(stale)
    assert caught.value.part == "shipping"


def test_a_refund_replanned_for_another_amount_gets_another_payment_key() -> None:
    order = paid_order()
    one = order.plan_refund(refund_id="r1", amount=eur("10.00"), now=NOW)
    again = order.plan_refund(refund_id="r1", amount=eur("10.00"), now=NOW)
    other = order.plan_refund(refund_id="r1", amount=eur("12.00"), now=NOW)
    assert one.idempotency_key == again.idempotency_key == "r1:1000"  # 10.00 EUR = 1000 cents
    assert other.idempotency_key != one.idempotency_key


def test_an_authorization_and_its_capture_may_share_the_providers_reference() -> None:
    order = make_sample_order()
    assert order.record_payment(PaymentKind.AUTHORIZED, eur("66.00"), reference="pi_1", now=NOW)
    assert order.record_payment(PaymentKind.CAPTURED, eur("66.00"), reference="pi_1", now=NOW)
    assert order.captured == eur("66.00")
    assert order.status == OrderStatus.PAID
    # the same capture delivered again is still one fact
    assert not order.record_payment(PaymentKind.CAPTURED, eur("66.00"), reference="pi_1", now=NOW)
    assert order.captured == eur("66.00")


def test_a_payment_kind_given_as_text_is_checked_like_the_enum() -> None:
    order = paid_order()
    with pytest.raises(PaymentFactRejectedError):
        order.record_payment("captured", eur("1.00"), reference="c2", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidOrderError):
        order.record_payment("chargeback", eur("1.00"), reference="c3", now=NOW)  # type: ignore[arg-type]


def test_a_void_cannot_release_more_than_the_open_authorization() -> None:
    order = make_sample_order()
    order.record_payment(PaymentKind.AUTHORIZED, eur("66.00"), reference="a", now=NOW)
    order.record_payment(PaymentKind.CAPTURED, eur("60.00"), reference="c", now=NOW)
    snapshot = order.to_snapshot()
    with pytest.raises(PaymentFactRejectedError) as caught:
        # 66.00 authorized - 60.00 captured = 6.00 still open
        order.record_payment(PaymentKind.VOIDED, eur("999.00"), reference="v", now=NOW)
    assert caught.value.allowed == eur("6.00")
    assert order.to_snapshot() == snapshot
    assert order.record_payment(PaymentKind.VOIDED, eur("6.00"), reference="v", now=NOW)
    assert order.authorized == eur("0.00")


def test_a_void_without_any_authorization_is_refused() -> None:
    order = make_sample_order()
    with pytest.raises(PaymentFactRejectedError):
        order.record_payment(PaymentKind.VOIDED, eur("1.00"), reference="v", now=NOW)
    assert order.payments == ()


def test_a_capture_cannot_exceed_what_is_still_due_after_cancelled_lines() -> None:
    order = make_sample_order()
    order.cancel_lines({"l1": 2}, now=NOW, actor="staff")
    # 66.00 - 2 x 12.00 cancelled = 42.00 due
    assert order.amount_due == eur("42.00")
    snapshot = order.to_snapshot()
    with pytest.raises(PaymentFactRejectedError) as caught:
        order.record_payment(PaymentKind.CAPTURED, eur("66.00"), reference="c", now=NOW)
    assert caught.value.allowed == eur("42.00")
    assert order.to_snapshot() == snapshot
    order.record_payment(PaymentKind.CAPTURED, eur("40.00"), reference="c1", now=NOW)
    with pytest.raises(PaymentFactRejectedError) as caught:
        order.record_payment(PaymentKind.CAPTURED, eur("2.01"), reference="c2", now=NOW)
    assert caught.value.allowed == eur("2.00")  # 42.00 due - 40.00 captured


def test_a_capture_on_a_cancelled_order_is_refused_and_never_makes_it_paid() -> None:
    order = make_sample_order()
    order.cancel(now=NOW, actor="staff")
    snapshot = order.to_snapshot()
    with pytest.raises(InvalidTransitionError):
        order.record_payment(PaymentKind.CAPTURED, eur("66.00"), reference="late", now=NOW)
    assert order.to_snapshot() == snapshot
    assert order.status == OrderStatus.CANCELLED
    assert order.payment_status is not OrderPaymentStatus.PAID


def test_a_return_knows_the_location_each_returned_unit_shipped_from() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l2": 1, "l1": 1}, location="paris", now=NOW, actor="wh")
    order.ship(shipment_id="s2", lines={"l1": 2}, location="lyon", now=NOW, actor="wh")
    order.request_return(return_id="r1", lines=[ReturnLine("l1", 2)], now=NOW, actor="c")
    order.request_return(
        return_id="r2", lines=[ReturnLine("l1", 1), ReturnLine("l2", 1)], now=NOW, actor="c"
    )
    # l1: 1 unit left paris, 2 left lyon; r1 takes the first two (paris, then lyon) ...
    assert order.return_sources("r1") == (("l1", "paris", 1), ("l1", "lyon", 1))
    # ... so r2's unit of l1 is the last lyon one; l2 only ever left paris.
    assert order.return_sources("r2") == (("l1", "lyon", 1), ("l2", "paris", 1))


def test_a_rejected_return_does_not_consume_shipped_units() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 1}, location="paris", now=NOW, actor="wh")
    order.ship(shipment_id="s2", lines={"l1": 2}, location="lyon", now=NOW, actor="wh")
    order.request_return(return_id="r1", lines=[ReturnLine("l1", 1)], now=NOW, actor="c")
    order.reject_return("r1", now=NOW, actor="staff", reason="late")
    order.request_return(return_id="r2", lines=[ReturnLine("l1", 1)], now=NOW, actor="c")
    assert order.return_sources("r2") == (("l1", "paris", 1),)


@pytest.mark.parametrize("email", ["", "   "])
def test_a_customer_needs_an_email_typed_error(email: str) -> None:
    with pytest.raises(InvalidOrderError):
        Customer(email)


@pytest.mark.parametrize(
    "fields",
    [
        {"postal_code": 69001},
        {"country": None},
        {"phone": b"0102"},
        {"line2": ["2nd floor"]},
    ],
)
def test_an_address_holds_only_text_typed_error(fields: dict[str, object]) -> None:
    given: dict[str, object] = {
        "name": "Ana",
        "line1": "1 rue du The",
        "city": "Lyon",
        "postal_code": "69001",
        "country": "FR",
    }
    given.update(fields)
    with pytest.raises(InvalidOrderError, match="must be a string"):
        Address(**given)  # type: ignore[arg-type]


@pytest.mark.parametrize("fields", [{"customer_id": 7}, {"name": None}])
def test_a_customer_holds_only_text_typed_error(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidOrderError, match="must be a string"):
        Customer("ana@example.test", **fields)  # type: ignore[arg-type]


def test_payment_terms_need_a_code_typed_error() -> None:
    with pytest.raises(InvalidOrderError):
        PaymentTerms("")
