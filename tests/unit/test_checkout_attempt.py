"""The checkout attempt aggregate: lifecycle, steps in order, snapshots, request fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core import (
    CHECKOUT_LIFECYCLE,
    Address,
    CaptureMode,
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutStatus,
    CheckoutStep,
    Customer,
    FailureReason,
    InvalidCheckoutError,
    InvalidTransitionError,
    PaymentMethod,
    PriceChange,
    RequiredAction,
    Shortage,
    checkout_id_for,
    money,
)
from commerce_core.testing.contracts import make_checkout_request

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_steps_are_recorded_in_order_and_may_skip_but_never_go_back() -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=NOW)
    attempt.complete_step(CheckoutStep.VALIDATED, now=NOW)
    attempt.complete_step(CheckoutStep.ORDER_CREATED, now=NOW, order_id="ord-1")
    attempt.complete_step(CheckoutStep.VALIDATED, now=NOW)  # already recorded: no-op
    with pytest.raises(InvalidCheckoutError):
        attempt.complete_step(CheckoutStep.RESERVED, now=NOW)
    assert attempt.steps == (CheckoutStep.VALIDATED, CheckoutStep.ORDER_CREATED)
    assert [e.event_type for e in attempt.collect_events()] == ["CheckoutStepCompleted"] * 2


def test_a_failed_attempt_records_no_more_steps_and_cannot_succeed() -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=NOW)
    failure = CheckoutFailure(checkout_id=attempt.checkout_id, reason=FailureReason.EMPTY_CART)
    attempt.begin_rollback(failure, now=NOW)
    attempt.finish_rollback(now=NOW)
    assert attempt.status is CheckoutStatus.FAILED
    with pytest.raises(InvalidCheckoutError):
        attempt.complete_step(CheckoutStep.VALIDATED, now=NOW)
    with pytest.raises(InvalidTransitionError):
        attempt.resume(now=NOW)


def test_success_needs_an_order() -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=NOW)
    with pytest.raises(InvalidCheckoutError):
        attempt.succeed(now=NOW)


def test_the_lifecycle_table_ends_only_in_succeeded_or_failed() -> None:
    CHECKOUT_LIFECYCLE.validate()
    assert CHECKOUT_LIFECYCLE.terminal == {"succeeded", "failed"}
    assert not CHECKOUT_LIFECYCLE.can("awaiting_action", "succeeded")


def test_the_checkout_id_derives_from_the_key_only() -> None:
    request = make_checkout_request("key-9", "cart-a")
    assert request.checkout_id == checkout_id_for("key-9")
    assert make_checkout_request("key-9", "cart-b").checkout_id == request.checkout_id


def test_every_field_that_changes_the_purchase_changes_its_fingerprint() -> None:
    base = make_checkout_request()
    elsewhere = Address("Bob", "2 Main St", "Paris", "75001", "FR")
    variants = [
        attrs.evolve(base, cart_id="other"),
        attrs.evolve(base, customer=Customer("bob@example.test", customer_id="c-2")),
        attrs.evolve(base, billing_address=elsewhere),
        attrs.evolve(base, shipping_address=elsewhere),
        attrs.evolve(base, shipping_method="express"),
        attrs.evolve(base, payment_method=PaymentMethod("tok_mastercard")),
        attrs.evolve(base, accept_price_changes=True),
        attrs.evolve(base, coupon_codes=()),
        attrs.evolve(base, capture_mode=CaptureMode.AUTHORIZE_ONLY),
    ]
    prints = {v.fingerprint() for v in variants}
    assert base.fingerprint() not in prints
    assert len(prints) == len(variants)


def test_the_analytics_session_channel_and_coupon_spelling_do_not_change_the_purchase() -> None:
    base = make_checkout_request()  # coupon SAVE5
    same = [
        attrs.evolve(base, session_id="visit-2"),
        attrs.evolve(base, channel="email"),
        attrs.evolve(base, coupon_codes=(" save5",)),
        attrs.evolve(base, coupon_codes=("SAVE5", "save5")),
    ]
    assert {v.fingerprint() for v in same} == {base.fingerprint()}


failures = st.builds(
    CheckoutFailure,
    checkout_id=st.just("chk_1"),
    reason=st.sampled_from(FailureReason),
    message=st.text(max_size=20),
    price_changes=st.lists(
        st.builds(
            PriceChange,
            st.just("l1"),
            st.sampled_from(["TEA", "MUG"]),
            st.just(money("1.00", "EUR")),
            st.just(money("2.50", "EUR")),
        ),
        max_size=2,
    ),
    shortages=st.lists(
        st.builds(
            Shortage,
            st.just("POT"),
            st.integers(1, 5),
            st.integers(0, 4),
            st.none() | st.integers(0, 3),
        ),
        max_size=2,
    ),
    coupon_code=st.none() | st.just("SAVE5"),
    decline_code=st.none() | st.just("card_declined"),
    required_action=st.none() | st.builds(RequiredAction, st.just("three_d_secure"), st.text()),
)


@given(
    steps=st.lists(st.sampled_from(CheckoutStep), unique=True, max_size=7).map(
        lambda s: sorted(s, key=list(CheckoutStep).index)
    ),
    failure=st.none() | failures,
    minutes=st.integers(0, 10_000),
)
def test_an_attempt_survives_a_snapshot_round_trip(
    steps: list[CheckoutStep], failure: CheckoutFailure | None, minutes: int
) -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=NOW)
    later = NOW + timedelta(minutes=minutes)
    for step in steps:
        attempt.complete_step(step, now=later, codes=("SAVE5",), order_id="ord-1")
    if failure is not None:
        attempt.begin_rollback(failure, now=later)
    rebuilt = CheckoutAttempt.from_snapshot(attempt.to_snapshot(), 3)
    assert rebuilt.to_snapshot() == attempt.to_snapshot()
    assert rebuilt.version == 3
    assert rebuilt.failure == failure
    expected = later if steps or failure is not None else NOW
    assert rebuilt.updated_at == expected


def test_the_order_draft_round_trips_to_an_order_with_the_same_totals() -> None:
    from commerce_core import Destination, Order, PaymentTerms, PricingContext
    from commerce_core.domain.checkout import breakdown_from_draft, draft_from_breakdown
    from commerce_core.testing.checkout import CheckoutWorld

    world = CheckoutWorld()
    cart_id = world.fill_cart()
    context = PricingContext(
        currency="EUR",
        now=world.clock.now(),
        destination=Destination("FR"),
        shipping_method="standard",
        coupon_codes=("SAVE5",),
    )
    breakdown = world.carts.price(
        cart_id, context, stages=[world.promotions], tax=world.tax, shipping=world.shipping
    )
    assert breakdown.discounts.amount > 0  # promotions on lines, shipping taxed
    rebuilt = breakdown_from_draft(draft_from_breakdown(breakdown))
    assert rebuilt.grand_total == breakdown.grand_total
    now = datetime(2026, 1, 1, tzinfo=UTC)
    orders = [
        Order.from_breakdown(
            b,
            order_id="o-1",
            number="1",
            customer=Customer("a@example.test"),
            billing_address=world.address,
            shipping_address=world.address,
            payment_terms=PaymentTerms.card(),
            reservation_id=None,
            now=now,
        ).to_snapshot()
        for b in (breakdown, rebuilt)
    ]
    assert orders[0] == orders[1]
