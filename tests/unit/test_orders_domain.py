"""The order aggregate: workflow, guards, history, shipments, cancellation, refunds, returns."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from commerce_core import (
    DEFAULT_WORKFLOW,
    ORDER_TABLE,
    CancellationQuantityError,
    FulfilmentStatus,
    InvalidTableError,
    InvalidTransitionError,
    Money,
    NotFoundError,
    Order,
    OrderPaymentStatus,
    OrderStatus,
    PaymentKind,
    PaymentTerms,
    RefundExceedsRefundableError,
    ReturnLine,
    ReturnQuantityError,
    ShipmentQuantityError,
    money,
)
from commerce_core.testing.contracts import make_sample_order

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def paid_order() -> Order:
    # 3 x 12.00 gross + 1 x 24.00 gross + 6.00 shipping = 66.00
    order = make_sample_order()
    order.record_payment(PaymentKind.CAPTURED, money("66.00", "EUR"), reference="cap", now=NOW)
    return order


def test_placed_order_totals_are_frozen_from_its_lines_and_shipping() -> None:
    order = make_sample_order()
    assert order.totals.subtotal.gross == eur("60.00")  # 36.00 + 24.00
    assert order.totals.total.gross == eur("66.00")  # + 6.00 shipping
    assert (order.status, order.payment_status, order.fulfilment_status) == (
        "placed",
        OrderPaymentStatus.UNPAID,
        FulfilmentStatus.UNFULFILLED,
    )


def test_capturing_the_amount_due_pays_the_order_and_writes_history() -> None:
    order = paid_order()
    assert order.status == OrderStatus.PAID
    assert order.payment_status is OrderPaymentStatus.PAID
    entry = order.history[-1]
    assert (entry.from_status, entry.to_status, entry.actor) == ("placed", "paid", "payments")
    assert "OrderPaid" in [e.event_type for e in order.collect_events()]


def test_recording_the_same_payment_reference_twice_counts_once() -> None:
    order = paid_order()
    assert not order.record_payment(PaymentKind.CAPTURED, eur("66.00"), reference="cap", now=NOW)
    assert order.captured == eur("66.00")


def test_a_partial_capture_makes_the_order_partially_paid() -> None:
    order = make_sample_order()
    order.record_payment(PaymentKind.AUTHORIZED, eur("66.00"), reference="a", now=NOW)
    assert order.payment_status is OrderPaymentStatus.AUTHORIZED
    assert order.status == OrderStatus.PAYMENT_AUTHORIZED
    order.record_payment(PaymentKind.CAPTURED, eur("20.00"), reference="c", now=NOW)
    assert str(order.payment_status) == "partially_paid"
    assert order.authorized == eur("46.00")  # 66.00 authorized - 20.00 captured


def test_an_unpaid_card_order_cannot_ship_and_stays_unchanged() -> None:
    order = make_sample_order()
    before = order.to_snapshot()
    with pytest.raises(InvalidTransitionError) as caught:
        order.ship(shipment_id="s1", lines={"l1": 1}, location="wh", now=NOW, actor="staff")
    assert caught.value.current == "placed"
    assert caught.value.requested == "partially_shipped"
    assert "does not allow fulfilment before payment" in caught.value.reason
    assert "partially_shipped" in caught.value.allowed
    assert order.to_snapshot() == before
    assert [e.event_type for e in order.pending_events] == ["OrderPlaced"]


def test_cash_on_delivery_orders_ship_before_payment() -> None:
    order = make_sample_order()
    data = order.to_snapshot()
    data["payment_terms"] = {"code": "cod", "allows_fulfilment_before_payment": True}
    cod = Order.from_snapshot(data, 0)
    cod.ship(shipment_id="s1", lines={"l1": 3, "l2": 1}, location="wh", now=NOW, actor="staff")
    assert cod.status == OrderStatus.SHIPPED
    assert cod.payment_status is OrderPaymentStatus.UNPAID
    assert PaymentTerms.cash_on_delivery().allows_fulfilment_before_payment


def test_partial_shipments_never_ship_more_than_ordered() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 2}, location="wh", now=NOW, actor="staff")
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert order.fulfilment_status is FulfilmentStatus.PARTIALLY_FULFILLED
    before = order.to_snapshot()
    with pytest.raises(ShipmentQuantityError) as caught:
        order.ship(shipment_id="s2", lines={"l1": 2}, location="wh", now=NOW, actor="staff")
    assert (caught.value.line_id, caught.value.requested, caught.value.shippable) == ("l1", 2, 1)
    assert order.to_snapshot() == before
    order.ship(shipment_id="s2", lines={"l1": 1, "l2": 1}, location="wh", now=NOW, actor="x")
    assert order.status == OrderStatus.SHIPPED
    assert str(order.fulfilment_status) == "fulfilled"


def test_unknown_line_is_a_lookup_error() -> None:
    with pytest.raises(NotFoundError):
        paid_order().ship(shipment_id="s", lines={"zz": 1}, location="wh", now=NOW, actor="x")


def test_delivered_only_when_every_shipment_arrived() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 3}, location="wh", now=NOW, actor="x")
    order.ship(shipment_id="s2", lines={"l2": 1}, location="wh", now=NOW, actor="x")
    order.mark_delivered("s1", now=NOW, actor="carrier")
    assert order.status == OrderStatus.SHIPPED
    order.mark_delivered("s2", now=NOW, actor="carrier")
    assert order.status == OrderStatus.DELIVERED
    assert not order.mark_delivered("s2", now=NOW, actor="carrier")


def test_an_order_that_shipped_cannot_be_cancelled_whole() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 1}, location="wh", now=NOW, actor="x")
    with pytest.raises(InvalidTransitionError) as caught:
        order.cancel(now=NOW, actor="staff")
    assert "have shipped" in caught.value.reason
    with pytest.raises(CancellationQuantityError) as qty:
        order.cancel_lines({"l1": 3}, now=NOW, actor="staff")
    assert qty.value.cancellable == 2  # 3 ordered - 1 shipped


def test_cancelling_the_remaining_lines_completes_the_shipment() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 1}, location="wh", now=NOW, actor="x")
    value = order.cancel_lines({"l1": 2, "l2": 1}, now=NOW, actor="staff")
    # l1: 36.00 split over 3 units = 12.00 each -> 24.00; l2: 24.00
    assert value.gross == eur("48.00")
    assert order.status == OrderStatus.SHIPPED
    assert order.amount_due == eur("18.00")  # 66.00 - 48.00


def test_cancelling_every_line_cancels_the_order_and_nothing_is_due() -> None:
    order = make_sample_order()
    order.cancel_lines({"l1": 3, "l2": 1}, now=NOW, actor="staff")
    assert order.status == OrderStatus.CANCELLED
    assert order.amount_due == eur("0")


def test_refund_by_amount_splits_exactly_over_lines_and_their_tax() -> None:
    order = paid_order()
    refund = order.refund(refund_id="r1", amount=eur("10.00"), now=NOW)
    # weights 36.00 : 24.00 -> 6.00 and 4.00; each split net:tax 30:6 and 20:4 -> 5+1, 3.33+0.67
    parts = {p.line_id: p.amount for p in refund.lines}
    assert parts["l1"].gross == eur("6.00")
    assert parts["l1"].net == eur("5.00")
    assert parts["l2"].gross == eur("4.00")
    assert parts["l2"].net + parts["l2"].tax == eur("4.00")
    assert refund.total == eur("10.00")
    assert order.payment_status is OrderPaymentStatus.PARTIALLY_REFUNDED


def test_refund_by_lines_gives_back_the_exact_unit_values_and_shipping_separately() -> None:
    order = paid_order()
    refund = order.refund(refund_id="r1", lines={"l1": 1}, shipping=eur("6.00"), now=NOW)
    assert refund.lines[0].amount.gross == eur("12.00")  # one of three units of 36.00
    assert refund.shipping.gross == eur("6.00")
    assert refund.shipping.net == eur("5.00")
    assert refund.total == eur("18.00")


def test_refund_above_refundable_is_refused_and_the_order_unchanged() -> None:
    order = make_sample_order()
    order.record_payment(PaymentKind.CAPTURED, eur("30.00"), reference="c", now=NOW)
    before = order.to_snapshot()
    with pytest.raises(RefundExceedsRefundableError) as caught:
        order.refund(refund_id="r1", amount=eur("30.01"), now=NOW)
    assert caught.value.refundable == eur("30.00")
    with pytest.raises(RefundExceedsRefundableError):
        order.refund(refund_id="r2", shipping=eur("6.01"), now=NOW)
    assert order.to_snapshot() == before


def test_everything_refunded_makes_the_payment_status_refunded() -> None:
    order = paid_order()
    order.refund(refund_id="r1", amount=eur("60.00"), shipping=eur("6.00"), now=NOW)
    assert order.payment_status is OrderPaymentStatus.REFUNDED
    assert order.refundable == eur("0.00")


def test_returns_go_requested_approved_received_refunded() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 3, "l2": 1}, location="wh", now=NOW, actor="x")
    order.mark_delivered("s1", now=NOW, actor="carrier")
    with pytest.raises(ReturnQuantityError):
        order.request_return(
            return_id="x", lines=[ReturnLine("l2", 2, "too big")], now=NOW, actor="c"
        )
    order.request_return(return_id="rt", lines=[ReturnLine("l2", 1, "too big")], now=NOW, actor="c")
    with pytest.raises(InvalidTransitionError):
        order.receive_return("rt", restock_location="wh", now=NOW, actor="x")
    order.approve_return("rt", now=NOW, actor="staff")
    order.receive_return("rt", restock_location="wh", now=NOW, actor="staff")
    assert order.fulfilment_status is FulfilmentStatus.PARTIALLY_RETURNED
    with pytest.raises(InvalidTransitionError, match="returns"):
        order.complete(now=NOW, actor="staff")
    refund = order.plan_return_refund("rt", refund_id="rf", now=NOW)
    order.apply_refund(refund)
    assert order.find_return("rt").status == "refunded"
    assert refund.total == eur("24.00")
    order.complete(now=NOW, actor="staff")
    assert order.status == OrderStatus.COMPLETED


def test_returning_what_was_not_shipped_is_refused() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 1}, location="wh", now=NOW, actor="x")
    with pytest.raises(ReturnQuantityError) as caught:
        order.request_return(return_id="r", lines=[ReturnLine("l2", 1)], now=NOW, actor="c")
    assert caught.value.returnable == 0


def test_a_rejected_return_frees_its_units_for_another_request() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l2": 1}, location="wh", now=NOW, actor="x")
    order.request_return(return_id="r1", lines=[ReturnLine("l2", 1)], now=NOW, actor="c")
    assert order.returnable_quantity("l2") == 0
    order.reject_return("r1", now=NOW, actor="staff", reason="worn")
    assert order.returnable_quantity("l2") == 1


def test_everything_back_makes_the_order_returned() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 3, "l2": 1}, location="wh", now=NOW, actor="x")
    order.mark_delivered("s1", now=NOW, actor="carrier")
    lines = [ReturnLine("l1", 3), ReturnLine("l2", 1)]
    order.request_return(return_id="r", lines=lines, now=NOW, actor="c")
    order.approve_return("r", now=NOW, actor="staff")
    order.receive_return("r", restock_location=None, now=NOW, actor="staff")
    assert order.status == OrderStatus.RETURNED
    assert order.fulfilment_status is FulfilmentStatus.RETURNED


def test_every_history_entry_is_an_allowed_transition() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 3, "l2": 1}, location="wh", now=NOW, actor="x")
    order.mark_delivered("s1", now=NOW, actor="carrier")
    order.complete(now=NOW, actor="staff")
    assert [h.to_status for h in order.history] == ["paid", "shipped", "delivered", "completed"]
    assert all(ORDER_TABLE.can(h.from_status, h.to_status) for h in order.history)


def test_a_host_can_add_a_fraud_review_state_with_a_guard() -> None:
    def reviewed(order: Order) -> str | None:
        return None if order.customer.email.endswith("@example.com") else "unknown customer"

    workflow = DEFAULT_WORKFLOW.extended(
        states=["awaiting_fraud_review"],
        transitions=[("placed", "awaiting_fraud_review"), ("awaiting_fraud_review", "paid")],
        remove=[("placed", "paid")],
        guards={"paid": [reviewed]},
    )
    data = make_sample_order().to_snapshot()
    order = Order.from_snapshot(data, 0, workflow)
    order.record_payment(PaymentKind.CAPTURED, eur("66.00"), reference="c", now=NOW)
    assert order.status == "placed"  # the capture is recorded; the table has no placed -> paid
    assert order.payment_status is OrderPaymentStatus.PAID
    order.transition("awaiting_fraud_review", now=NOW, actor="risk")
    order.transition("paid", now=NOW, actor="risk", note="looks fine")
    assert order.history[-1].note == "looks fine"
    assert "awaiting_fraud_review" in workflow.to_mermaid()


def test_a_malformed_extension_is_rejected() -> None:
    with pytest.raises(InvalidTableError):
        DEFAULT_WORKFLOW.extended(states=["limbo"])  # unreachable, no exit
    with pytest.raises(InvalidTableError):
        DEFAULT_WORKFLOW.extended(transitions=[("cancelled", "placed")])  # terminal with exit
    with pytest.raises(InvalidTableError):
        DEFAULT_WORKFLOW.extended(guards={"nowhere": [lambda _o: None]})


def test_the_snapshot_round_trips_through_json() -> None:
    order = paid_order()
    order.ship(shipment_id="s1", lines={"l1": 2}, location="wh", now=NOW, actor="x")
    order.refund(refund_id="r", lines={"l1": 1}, now=NOW)
    order.request_return(return_id="rt", lines=[ReturnLine("l1", 1, "broken")], now=NOW, actor="c")
    data = json.loads(json.dumps(order.to_snapshot()))
    again = Order.from_snapshot(data, 4)
    assert again.to_snapshot() == order.to_snapshot()
    assert again.version == 4
    assert again.pending_events == ()
