"""Checkout business rules: the happy path, every typed failure, 3-D Secure and capture modes."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from commerce_core import (
    CaptureMode,
    CatalogItem,
    CheckoutFailure,
    CheckoutStatus,
    CheckoutStep,
    CheckoutSuccess,
    FailureReason,
    Money,
    PaymentMethod,
    PaymentStatus,
    PaymentWebhookHandler,
    ReservationState,
    money,
)
from commerce_core.adapters.memory import InMemoryProcessedEventStore
from commerce_core.adapters.webhooks import HmacSha256WebhookVerifier, sign_webhook
from commerce_core.domain.analytics.events import OrderPlaced, PaymentFailed
from commerce_core.money import money_from_data
from commerce_core.testing.checkout import CheckoutWorld, leaks


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def success(result: object) -> CheckoutSuccess:
    assert isinstance(result, CheckoutSuccess), result
    return result


def failure(result: object) -> CheckoutFailure:
    assert isinstance(result, CheckoutFailure), result
    return result


def test_checkout_places_a_paid_order_commits_stock_uses_the_coupon_and_closes_the_cart() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    result = success(world.check_out(cart_id, "k-1", coupon_codes=("save5",)))
    order = result.order
    # TEA 2 x 10.00 = 20.00 - 10% (2.00)... the engine applies 5% first on every line then 10%
    # on TEA: the frozen totals must equal the breakdown; check the parts add up instead.
    totals = order.totals
    assert totals.total.gross == totals.subtotal.gross + totals.shipping.gross
    assert order.captured == totals.total.gross
    assert order.status == "paid"
    assert result.captured
    assert result.completed
    reservation = world.inventory.reservation(result.checkout_id)
    assert reservation.state is ReservationState.COMMITTED
    assert world.inventory.stock_level("TEA", "main").on_hand == 10 - 2
    assert world.carts.get(cart_id).status == "checked_out"
    assert world.coupon_usage.uses("SAVE5") == 1
    assert any(n.event_type == "OrderPlaced" for n in world.notifier.sent)
    assert world.payments.get(result.payment_id).status is PaymentStatus.CAPTURED
    assert world.service.attempt("k-1").status is CheckoutStatus.SUCCEEDED
    assert leaks(world) == []


def test_order_placed_analytics_event_totals_add_up_exactly() -> None:
    world = CheckoutWorld()
    result = success(world.check_out(world.fill_cart(), "k-1", coupon_codes=("SAVE5",)))
    events = [e for e in world.recorded.events if isinstance(e, OrderPlaced)]
    assert len(events) == 1
    event = events[0]
    subtotal = sum(
        (i.unit_price * i.quantity for i in event.items),
        eur("0.00"),
    )
    discount = sum((d.amount for d in event.discounts), eur("0.00"))
    assert event.total == subtotal - discount + event.shipping + event.tax
    assert event.total == result.order.totals.total.gross
    assert {d.coupon_code for d in event.discounts} == {"SAVE5", None}
    assert [e.event_type for e in world.recorded.events] == ["CheckoutStarted", "OrderPlaced"]


def test_authorize_only_mode_holds_the_money_and_still_completes_the_sale() -> None:
    world = CheckoutWorld(capture_mode=CaptureMode.AUTHORIZE_ONLY)
    result = success(world.check_out(world.fill_cart(), "k-1"))
    assert not result.captured
    assert result.order.status == "payment_authorized"
    assert result.order.authorized == result.order.totals.total.gross
    assert world.payments.get(result.payment_id).status is PaymentStatus.AUTHORIZED
    assert CheckoutStep.CAPTURED not in world.service.attempt("k-1").steps
    assert leaks(world) == []


def test_an_empty_cart_cannot_be_checked_out() -> None:
    world = CheckoutWorld()
    result = failure(world.check_out(world.fill_cart(()), "k-1"))
    assert result.reason is FailureReason.EMPTY_CART
    assert result.final
    assert world.service.attempt("k-1").status is CheckoutStatus.FAILED


def test_a_price_change_stops_the_checkout_with_every_change_listed() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    world.catalog.put(CatalogItem.simple("MUG", "Mug", eur("9.00"), weight=Decimal("0.4")))
    result = failure(world.check_out(cart_id, "k-1"))
    assert result.reason is FailureReason.PRICE_CHANGED
    assert [(c.sku, c.old, c.new) for c in result.price_changes] == [
        ("MUG", eur("8.50"), eur("9.00"))
    ]
    assert world.gateway.calls == []
    assert leaks(world) == []


def test_accepted_price_changes_let_the_checkout_continue_at_the_new_price() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart((("MUG", 1),))
    world.catalog.put(CatalogItem.simple("MUG", "Mug", eur("9.00"), weight=Decimal("0.4")))
    result = success(world.check_out(cart_id, "k-1", accept_price_changes=True))
    # 9.00 + 4.90 shipping = 13.90 net, VAT 20% = 2.78 -> 16.68
    assert result.order.totals.total.gross == eur("16.68")


def test_not_enough_stock_fails_with_the_shortages() -> None:
    world = CheckoutWorld(stock=3)
    cart_id = world.fill_cart((("POT", 3),))
    world.inventory.adjust("POT", "main", -2, reason="breakage")
    result = failure(world.check_out(cart_id, "k-1"))
    assert result.reason is FailureReason.OUT_OF_STOCK
    assert [(s.sku, s.requested, s.allocated) for s in result.shortages] == [("POT", 3, 1)]
    assert leaks(world) == []


def test_an_unknown_coupon_code_is_not_applicable_and_nothing_is_held() -> None:
    world = CheckoutWorld()
    result = failure(world.check_out(world.fill_cart(), "k-1", coupon_codes=("NOPE",)))
    assert result.reason is FailureReason.COUPON_NOT_APPLICABLE
    assert result.coupon_code == "NOPE"
    assert result.coupon_reason == "unknown_code"
    assert leaks(world) == []


def test_a_coupon_at_its_limit_fails_with_limit_reached() -> None:
    world = CheckoutWorld(coupon_uses=1)
    success(world.check_out(world.fill_cart(), "k-1", coupon_codes=("SAVE5",)))
    result = failure(world.check_out(world.fill_cart(), "k-2", coupon_codes=("SAVE5",)))
    assert result.reason is FailureReason.COUPON_LIMIT_REACHED
    assert result.coupon_code == "SAVE5"
    assert world.coupon_usage.uses("SAVE5") == 1
    assert leaks(world) == []


def test_a_declined_card_fails_with_its_decline_code_and_gives_everything_back() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    result = failure(
        world.check_out(
            cart_id, "k-1", coupon_codes=("SAVE5",), method=PaymentMethod("tok_insufficient_funds")
        )
    )
    assert result.reason is FailureReason.PAYMENT_DECLINED
    assert result.decline_code == "insufficient_funds"
    assert world.coupon_usage.uses("SAVE5") == 0
    assert world.inventory.reservation(result.checkout_id).state is ReservationState.RELEASED
    assert world.carts.get(cart_id).status == "active"
    failed = [e for e in world.recorded.events if isinstance(e, PaymentFailed)]
    assert [e.reason for e in failed] == ["insufficient_funds"]
    assert leaks(world) == []


def test_a_gateway_down_after_every_retry_is_reported_as_unavailable() -> None:
    world = CheckoutWorld()
    # the retry policy makes 3 attempts; 5 transient failures outlast them
    result = failure(
        world.check_out(world.fill_cart(), "k-1", method=PaymentMethod("tok_transient_5"))
    )
    assert result.reason is FailureReason.GATEWAY_UNAVAILABLE
    assert [op for op, _ in world.gateway.calls] == ["authorize"] * 3
    assert leaks(world) == []


def test_transient_failures_within_the_retry_budget_do_not_fail_the_checkout() -> None:
    world = CheckoutWorld()
    success(world.check_out(world.fill_cart(), "k-1", method=PaymentMethod("tok_transient_2")))
    assert [op for op, _ in world.gateway.calls] == ["authorize"] * 3 + ["capture"]


def test_analytics_failures_never_fail_a_sale() -> None:
    class BrokenSink:
        def record(self, event: object) -> None:
            raise OSError("analytics storage down")

    world = CheckoutWorld(analytics=BrokenSink())
    success(world.check_out(world.fill_cart(), "k-1"))
    assert leaks(world) == []


def _authorize_by_webhook(world: CheckoutWorld, payment_id: str) -> None:
    verifier = HmacSha256WebhookVerifier("whsec", world.clock)
    handler = PaymentWebhookHandler(
        verifier=verifier,
        payments=world.payment_repository,
        processed=InMemoryProcessedEventStore(),
        clock=world.clock,
    )
    body = json.dumps(
        {
            "id": "evt_1",
            "type": "payment.authorized",
            "created": world.clock.now().isoformat(),
            "data": {"payment_id": payment_id},
        }
    ).encode()
    timestamp = int(world.clock.now().timestamp())
    handler.handle(sign_webhook("whsec", body, timestamp), body)


def test_3ds_keeps_stock_and_coupon_held_until_the_customer_completes_it() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    three_ds = PaymentMethod("tok_3ds_required")
    first = failure(world.check_out(cart_id, "k-1", coupon_codes=("SAVE5",), method=three_ds))
    assert first.reason is FailureReason.REQUIRES_ACTION
    assert not first.final
    assert first.required_action is not None
    assert first.required_action.kind == "three_d_secure"
    assert world.inventory.reservation(first.checkout_id).state is ReservationState.ACTIVE
    assert world.coupon_usage.uses("SAVE5") == 1
    # replaying before the challenge is done returns the same answer
    again = failure(world.check_out(cart_id, "k-1", coupon_codes=("SAVE5",), method=three_ds))
    assert again.reason is FailureReason.REQUIRES_ACTION
    assert again.replayed

    payment_id = f"pay_{first.checkout_id.removeprefix('chk_')}"
    reference = world.payments.get(payment_id).reference
    assert reference is not None
    world.gateway.complete_action(reference)
    _authorize_by_webhook(world, payment_id)
    done = success(world.service.resume("k-1"))
    assert done.order.status == "paid"
    assert world.coupon_usage.uses("SAVE5") == 1
    assert leaks(world) == []


def test_an_abandoned_3ds_challenge_is_rolled_back_once_the_hold_expires() -> None:
    world = CheckoutWorld()
    three_ds = PaymentMethod("tok_3ds_required")
    first = failure(
        world.check_out(world.fill_cart(), "k-1", coupon_codes=("SAVE5",), method=three_ds)
    )
    assert world.service.recover().waiting == (first.checkout_id,)
    world.clock.advance(timedelta(minutes=16))
    report = world.service.recover()
    assert report.rolled_back == (first.checkout_id,)
    final = failure(world.service.resume("k-1"))
    assert final.reason is FailureReason.PAYMENT_DECLINED
    assert world.coupon_usage.uses("SAVE5") == 0
    assert leaks(world) == []


def test_a_cart_already_checked_out_cannot_be_checked_out_again_with_another_key() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    success(world.check_out(cart_id, "k-1"))
    result = failure(world.check_out(cart_id, "k-2"))
    assert result.reason is FailureReason.CART_NOT_ACTIVE
    assert len(world.order_repository.outbox.undispatched()) == 0


def test_3ds_with_a_coupon_at_its_usage_limit_places_the_order_that_was_authorized() -> None:
    world = CheckoutWorld(coupon_uses=1)  # the checkout's own held use reaches the limit
    cart_id = world.fill_cart()
    three_ds = PaymentMethod("tok_3ds_required")
    first = failure(world.check_out(cart_id, "k-1", coupon_codes=("SAVE5",), method=three_ds))
    assert first.reason is FailureReason.REQUIRES_ACTION
    payment_id = f"pay_{first.checkout_id.removeprefix('chk_')}"
    amount = world.service.attempt("k-1").amount  # what the customer was asked to authorize
    assert amount is not None
    authorized = money_from_data(amount)
    reference = world.payments.get(payment_id).reference
    assert reference is not None
    world.gateway.complete_action(reference)
    _authorize_by_webhook(world, payment_id)
    done = success(world.service.resume("k-1"))
    assert done.order.totals.total.gross == authorized
    assert {adj.code for line in done.order.lines for adj in line.adjustments} >= {"SAVE5"}
    assert world.coupon_usage.uses("SAVE5") == 1
    assert leaks(world) == []


def test_a_price_change_during_3ds_does_not_change_the_order_the_customer_authorized() -> None:
    world = CheckoutWorld()
    cart_id = world.fill_cart()
    three_ds = PaymentMethod("tok_3ds_required")
    first = failure(world.check_out(cart_id, "k-1", method=three_ds))
    payment_id = f"pay_{first.checkout_id.removeprefix('chk_')}"
    amount = world.service.attempt("k-1").amount  # what the customer was asked to authorize
    assert amount is not None
    authorized = money_from_data(amount)
    world.catalog.put(CatalogItem.simple("MUG", "Mug", eur("9.00"), weight=Decimal("0.4")))
    reference = world.payments.get(payment_id).reference
    assert reference is not None
    world.gateway.complete_action(reference)
    _authorize_by_webhook(world, payment_id)
    done = success(world.service.resume("k-1"))
    assert [line.unit_price for line in done.order.lines if line.sku == "MUG"] == [eur("8.50")]
    assert done.order.captured == authorized
    assert leaks(world) == []
