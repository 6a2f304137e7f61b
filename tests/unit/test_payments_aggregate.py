from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce_core import (
    PAYMENT_TRANSITIONS,
    Approved,
    DeclineCode,
    Declined,
    InvalidTransitionError,
    OrderPaymentStatus,
    OverCaptureError,
    OverRefundError,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PaymentSummary,
    ProviderEvent,
    RawCardDataError,
    RequiredAction,
    RequiresAction,
    TransientFailure,
    money,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def status_of(payment: Payment) -> PaymentStatus:
    """Read the status through a function so mypy does not narrow it across state changes."""
    return payment.status


def authorized_payment(amount: str = "100.00", pid: str = "pay_1") -> Payment:
    payment = Payment.create(pid, "ord_1", money(amount, "EUR"), PaymentMethod("tok_visa"), now=NOW)
    payment.record_authorization(Approved("ref_1", money(amount, "EUR")), key="a", now=NOW)
    return payment


def test_the_transition_table_is_the_documented_lifecycle() -> None:
    s = PaymentStatus
    assert PAYMENT_TRANSITIONS.initial == s.CREATED
    assert PAYMENT_TRANSITIONS.allowed(s.AUTHORIZED) == {s.PARTIALLY_CAPTURED, s.CAPTURED, s.VOIDED}
    assert PAYMENT_TRANSITIONS.terminal == {s.REFUNDED, s.VOIDED, s.FAILED}
    assert not PAYMENT_TRANSITIONS.can(s.CAPTURED, s.VOIDED)


def test_a_token_that_is_a_card_number_never_becomes_a_payment_method() -> None:
    with pytest.raises(RawCardDataError) as caught:
        PaymentMethod("4242 4242 4242 4242")
    assert "4242 4242" not in str(caught.value)


def test_an_approval_authorizes_and_a_partial_approval_authorizes_less() -> None:
    payment = Payment.create("p", "o", money("50.00", "EUR"), PaymentMethod("tok_gift"), now=NOW)
    payment.record_authorization(Approved("r", money("20.00", "EUR")), key="k", now=NOW)
    assert status_of(payment) is PaymentStatus.AUTHORIZED
    assert payment.authorized == money("20.00", "EUR")
    assert payment.capturable == money("20.00", "EUR")


def test_a_decline_fails_the_payment_with_its_code() -> None:
    payment = Payment.create("p", "o", money("5.00", "EUR"), PaymentMethod("tok_x"), now=NOW)
    payment.record_authorization(Declined(DeclineCode.INSUFFICIENT_FUNDS), key="k", now=NOW)
    assert status_of(payment) is PaymentStatus.FAILED
    assert payment.decline_code is DeclineCode.INSUFFICIENT_FUNDS


def test_requires_action_keeps_what_the_client_must_do_and_transient_changes_nothing() -> None:
    payment = Payment.create("p", "o", money("5.00", "EUR"), PaymentMethod("tok_x"), now=NOW)
    assert not payment.record_authorization(TransientFailure(), key="k0", now=NOW)
    assert status_of(payment) is PaymentStatus.CREATED
    action = RequiredAction("three_d_secure", "https://acs.test")
    payment.record_authorization(RequiresAction("r", action), key="k", now=NOW)
    assert status_of(payment) is PaymentStatus.REQUIRES_ACTION
    assert payment.required_action == action


def test_partial_captures_then_refunds_walk_the_lifecycle() -> None:
    payment = authorized_payment("100.00")
    payment.record_capture(
        money("30.00", "EUR"), Approved("r", money("30.00", "EUR")), key="c1", now=NOW
    )
    assert status_of(payment) is PaymentStatus.PARTIALLY_CAPTURED
    payment.record_capture(
        money("70.00", "EUR"), Approved("r", money("70.00", "EUR")), key="c2", now=NOW
    )
    assert status_of(payment) is PaymentStatus.CAPTURED
    payment.record_refund(
        money("40.00", "EUR"), Approved("r", money("40.00", "EUR")), key="r1", now=NOW
    )
    assert status_of(payment) is PaymentStatus.PARTIALLY_REFUNDED
    payment.record_refund(
        money("60.00", "EUR"), Approved("r", money("60.00", "EUR")), key="r2", now=NOW
    )
    assert status_of(payment) is PaymentStatus.REFUNDED
    assert (payment.captured, payment.refunded) == (money("100.00", "EUR"), money("100.00", "EUR"))


def test_an_over_capture_is_a_typed_error_and_changes_nothing() -> None:
    payment = authorized_payment("100.00")
    before = payment.to_snapshot()
    with pytest.raises(OverCaptureError) as caught:
        payment.ensure_can_capture(money("100.01", "EUR"))
    assert (caught.value.requested, caught.value.capturable) == ("100.01 EUR", "100.00 EUR")
    with pytest.raises(OverCaptureError):
        payment.record_capture(
            money("100.01", "EUR"), Approved("r", money("100.01", "EUR")), key="c", now=NOW
        )
    assert payment.to_snapshot() == before


def test_an_over_refund_is_a_typed_error_and_changes_nothing() -> None:
    payment = authorized_payment("100.00")
    payment.record_capture(
        money("30.00", "EUR"), Approved("r", money("30.00", "EUR")), key="c", now=NOW
    )
    before = payment.to_snapshot()
    with pytest.raises(OverRefundError) as caught:
        payment.ensure_can_refund(money("30.01", "EUR"))
    assert caught.value.refundable == "30.00 EUR"
    assert payment.to_snapshot() == before


def test_captures_and_voids_stop_once_refunds_begin() -> None:
    payment = authorized_payment()
    payment.record_capture(
        money("10.00", "EUR"), Approved("r", money("10.00", "EUR")), key="c", now=NOW
    )
    payment.record_refund(
        money("5.00", "EUR"), Approved("r", money("5.00", "EUR")), key="r", now=NOW
    )
    with pytest.raises(InvalidTransitionError):
        payment.ensure_can_capture(money("1.00", "EUR"))
    with pytest.raises(InvalidTransitionError):
        payment.ensure_can_void()


def test_each_idempotency_key_is_applied_once() -> None:
    payment = authorized_payment()
    result = Approved("r", money("10.00", "EUR"))
    assert payment.record_capture(money("10.00", "EUR"), result, key="c", now=NOW)
    assert not payment.record_capture(money("10.00", "EUR"), result, key="c", now=NOW)
    assert payment.captured == money("10.00", "EUR")


def test_a_snapshot_round_trip_keeps_the_whole_state() -> None:
    payment = authorized_payment()
    payment.record_capture(
        money("10.00", "EUR"), Approved("r", money("10.00", "EUR")), key="c", now=NOW
    )
    copy = Payment.from_snapshot(payment.to_snapshot(), 3)
    assert copy.to_snapshot() == payment.to_snapshot()
    assert copy.version == 3


def event(kind: str, amount: str | None, event_id: str) -> ProviderEvent:
    return ProviderEvent(
        event_id, kind, "pay_1", None if amount is None else money(amount, "EUR"), NOW
    )


def test_a_late_authorized_event_after_captured_moves_nothing_back() -> None:
    payment = Payment.create("pay_1", "o", money("100.00", "EUR"), PaymentMethod("t"), now=NOW)
    assert payment.apply_provider_event(event("payment.captured", "100.00", "e2"), now=NOW)
    assert status_of(payment) is PaymentStatus.CAPTURED
    assert not payment.apply_provider_event(event("payment.authorized", "100.00", "e1"), now=NOW)
    assert status_of(payment) is PaymentStatus.CAPTURED


def test_cumulative_totals_make_out_of_order_captures_harmless() -> None:
    payment = authorized_payment()
    payment.apply_provider_event(event("payment.captured", "60.00", "e2"), now=NOW)
    assert not payment.apply_provider_event(event("payment.captured", "30.00", "e1"), now=NOW)
    assert payment.captured == money("60.00", "EUR")
    assert status_of(payment) is PaymentStatus.PARTIALLY_CAPTURED


def test_unknown_or_inconsistent_provider_events_are_ignored() -> None:
    payment = authorized_payment()
    before = payment.to_snapshot()
    assert not payment.apply_provider_event(event("charge.dispute.created", None, "e1"), now=NOW)
    assert not payment.apply_provider_event(event("payment.captured", "500.00", "e2"), now=NOW)
    usd = ProviderEvent("e3", "payment.captured", "pay_1", money("1.00", "USD"), NOW)
    assert not payment.apply_provider_event(usd, now=NOW)
    assert payment.to_snapshot() == before


def test_split_tender_summary_derives_the_order_payment_status() -> None:
    gift = authorized_payment("20.00", "pay_gift")
    card = authorized_payment("80.00", "pay_card")
    failed = Payment.create("pay_x", "ord_1", money("80.00", "EUR"), PaymentMethod("t"), now=NOW)
    failed.record_authorization(Declined(DeclineCode.CARD_DECLINED), key="k", now=NOW)
    total = money("100.00", "EUR")
    summary = PaymentSummary.of([gift, card, failed], "EUR")
    assert summary.authorized == money("100.00", "EUR")  # 20 + 80, the failed one counts 0
    assert summary.status_for(total) is OrderPaymentStatus.AUTHORIZED
    assert summary.open_authorizations == ("pay_gift", "pay_card")
    gift.record_capture(
        money("20.00", "EUR"), Approved("r", money("20.00", "EUR")), key="c", now=NOW
    )
    assert (
        PaymentSummary.of([gift, card], "EUR").status_for(total)
        is OrderPaymentStatus.PARTIALLY_PAID
    )
    card.record_capture(
        money("80.00", "EUR"), Approved("r", money("80.00", "EUR")), key="c", now=NOW
    )
    assert PaymentSummary.of([gift, card], "EUR").status_for(total) is OrderPaymentStatus.PAID
    card.record_refund(
        money("10.00", "EUR"), Approved("r", money("10.00", "EUR")), key="r", now=NOW
    )
    paid_back = PaymentSummary.of([gift, card], "EUR")
    assert paid_back.net_captured == money("90.00", "EUR")  # 100 captured - 10 refunded
    assert paid_back.status_for(total) is OrderPaymentStatus.PARTIALLY_REFUNDED
    assert PaymentSummary.of([], "EUR").status_for(total) is OrderPaymentStatus.UNPAID
