"""Round-3 fast paths of the checkout orchestration give what the general paths give.

* ``build_checkout_started`` checks a ``CheckoutStarted`` in one pass and assembles it unchecked:
  the event equals the validating constructor's, and when that refuses the values it raises its
  very error.
* An attempt keeps its ``CheckoutStepCompleted`` events as ``(time, step)`` until they are read:
  ``collect_events`` and ``pending_events`` give the events (and in the order) the attempt
  recorded eagerly before; ``_drop_events`` forgets them.
* ``CheckoutAttempt.start`` with the checkout id already derived builds the same attempt.
* A snapshot writes ``started_at`` from its text written once, and follows a reassigned time.
* The in-memory checkout log's ``find`` answers as ``get`` does, with None for an absent id;
  its ``save`` checks a stored version once (the store's own check): an attempt never begun
  is still ``NotFoundError`` whatever its version, a stale one ``ConcurrencyConflictError``.
* A checkout validated in this run uses the grand total as the amount: what the recorded
  amount reads back as (``money_from_data(money_to_data(total))``), digit for digit.
* ``is_terminal`` answers from the lifecycle's terminal statuses, as the table does.
* A fingerprint writes one address's JSON once when the billing and shipping addresses are
  equal: the same digest as the JSON encoder (one address, equal ones and different ones).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money

from commerce_core.adapters.memory.checkout import InMemoryCheckoutLog
from commerce_core.domain.analytics.events import CheckoutStarted, build_checkout_started
from commerce_core.domain.checkout import (
    CHECKOUT_LIFECYCLE,
    STEP_ORDER,
    CheckoutAttempt,
    CheckoutFailed,
    CheckoutFailure,
    CheckoutRequest,
    CheckoutStatus,
    CheckoutStep,
    CheckoutStepCompleted,
    CheckoutSucceeded,
    FailureReason,
)
from commerce_core.domain.events import DomainEvent
from commerce_core.domain.orders import Address, Customer
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.errors import ConcurrencyConflictError, NotFoundError
from commerce_core.money import money_from_data, money_to_data
from commerce_core.testing.contracts.checkout import make_checkout_request

_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _text(good: str) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(good), st.just(good), st.sampled_from(["", None, 3, b"x"]))


@st.composite
def _started_values(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "occurred_at": draw(
            st.sampled_from(
                [
                    _AT,
                    _AT.astimezone(timezone(timedelta(hours=2))),
                    _AT.replace(tzinfo=None),
                    "2026-03-01",
                ]
            )
        ),
        "session_id": draw(_text("s-1")),
        "channel": draw(_text("web")),
        "customer_id": draw(st.one_of(st.none(), _text("cust-1"))),
        "cart_id": draw(_text("cart-1")),
    }


def _outcome(build: Any, values: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "event", build(**values)
    except Exception as error:  # noqa: BLE001 - the error itself is compared
        return type(error).__name__, str(error)


@given(_started_values())
def test_build_checkout_started_gives_what_the_constructor_gives(values: dict[str, Any]) -> None:
    fast = _outcome(build_checkout_started, values)
    assert fast == _outcome(CheckoutStarted, values)
    if fast[0] == "event":
        event = fast[1]
        assert type(event) is CheckoutStarted
        assert attrs.asdict(event) == attrs.asdict(CheckoutStarted(**values))


def _eager_events(
    steps: list[CheckoutStep], outcome: str, times: list[datetime], checkout_id: str
) -> list[DomainEvent]:
    """The events the attempt recorded before (each built as its step was recorded)."""
    events: list[DomainEvent] = [
        CheckoutStepCompleted(occurred_at=at, checkout_id=checkout_id, step=step)
        for at, step in zip(times, steps, strict=True)
    ]
    end = times[-1] if times else _AT
    if outcome == "succeed":
        events.append(CheckoutSucceeded(occurred_at=end, checkout_id=checkout_id, order_id="o-1"))
    elif outcome == "fail":
        events.append(
            CheckoutFailed(
                occurred_at=end, checkout_id=checkout_id, reason=FailureReason.PAYMENT_DECLINED
            )
        )
    return events


@given(
    count=st.integers(min_value=0, max_value=len(STEP_ORDER)),
    outcome=st.sampled_from(["none", "succeed", "fail"]),
    split=st.integers(min_value=0, max_value=len(STEP_ORDER)),
    peek=st.booleans(),
)
def test_step_events_are_collected_as_when_built_eagerly(
    count: int, outcome: str, split: int, *, peek: bool
) -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=_AT)
    steps = list(STEP_ORDER[:count])
    times = [_AT + timedelta(seconds=n) for n in range(count)]
    collected: list[DomainEvent] = []
    for index, (at, step) in enumerate(zip(times, steps, strict=True)):
        if index == split:  # collect part way: the rest comes with the next collection
            collected.extend(attempt.collect_events())
        attempt.complete_step(step, now=at, order_id="o-1")
        attempt.complete_step(step, now=at)  # a recorded step again: no event
    end = times[-1] if times else _AT
    if outcome == "succeed" and steps:
        attempt.succeed(now=end)
    elif outcome == "fail":
        attempt.begin_rollback(
            CheckoutFailure(checkout_id=attempt.checkout_id, reason=FailureReason.PAYMENT_DECLINED),
            now=end,
        )
        attempt.finish_rollback(now=end)
    if peek:
        pending = attempt.pending_events
        assert attempt.pending_events == pending
        assert all(a is b for a, b in zip(attempt.pending_events, pending, strict=True))
    collected.extend(attempt.collect_events())
    expected_outcome = outcome if (outcome != "succeed" or steps) else "none"
    assert collected == _eager_events(steps, expected_outcome, times, attempt.checkout_id)
    assert attempt.collect_events() == ()
    assert attempt.pending_events == ()


def test_dropped_events_are_forgotten() -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=_AT)
    attempt.complete_step(CheckoutStep.VALIDATED, now=_AT)
    attempt.complete_step(CheckoutStep.RESERVED, now=_AT)
    attempt._drop_events()
    assert attempt.pending_events == ()
    attempt.complete_step(CheckoutStep.AUTHORIZED, now=_AT)
    assert attempt.collect_events() == (
        CheckoutStepCompleted(
            occurred_at=_AT, checkout_id=attempt.checkout_id, step=CheckoutStep.AUTHORIZED
        ),
    )


def test_start_with_the_derived_checkout_id_builds_the_same_attempt() -> None:
    request = make_checkout_request()
    given_id = CheckoutAttempt.start(request, now=_AT, checkout_id=request.checkout_id)
    derived = CheckoutAttempt.start(request, now=_AT)
    assert given_id.checkout_id == derived.checkout_id == request.checkout_id
    assert given_id.to_snapshot() == derived.to_snapshot()


def test_a_snapshot_follows_a_reassigned_start_time() -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=_AT)
    assert attempt.to_snapshot()["started_at"] == _AT.isoformat()
    assert attempt.to_snapshot()["updated_at"] == _AT.isoformat()
    later = _AT + timedelta(hours=1)
    attempt.started_at = later
    attempt.complete_step(CheckoutStep.VALIDATED, now=later.astimezone(UTC))
    snapshot = attempt.to_snapshot()
    assert snapshot["started_at"] == later.isoformat()
    assert snapshot["updated_at"] == later.isoformat()
    rebuilt = CheckoutAttempt.from_snapshot(snapshot, 1)
    assert rebuilt.to_snapshot() == snapshot


def test_the_log_finds_what_it_gets() -> None:
    log = InMemoryCheckoutLog()
    assert log.find("chk_missing") is None
    attempt, created = log.begin(CheckoutAttempt.start(make_checkout_request(), now=_AT))
    assert created
    found = log.find(attempt.checkout_id)
    assert found is not None
    assert found.to_snapshot() == log.get(attempt.checkout_id).to_snapshot()
    assert found.version == 1


_TEXT = st.text(max_size=8)


@given(
    billing=st.tuples(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT),
    shipping=st.one_of(st.none(), st.tuples(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT)),
    same_object=st.booleans(),
)
def test_a_fingerprint_with_one_address_for_both_equals_the_json_encoder(
    billing: tuple[str, str, str, str, str],
    shipping: tuple[str, str, str, str, str] | None,
    *,
    same_object: bool,
) -> None:
    bill = Address(*billing)
    ship = Address(*(billing if shipping is None else shipping))
    if shipping is None and same_object:  # one address for both: the same object, or equal ones
        ship = bill
    request = CheckoutRequest(
        cart_id="c",
        customer=Customer("a@example.test", customer_id="c-1"),
        billing_address=bill,
        shipping_address=ship,
        shipping_method="standard",
        payment_method=PaymentMethod("tok_visa"),
        idempotency_key="k",
    )
    data = request.to_data()
    purchase = {
        "cart_id": "c",
        "customer": data["customer"],
        "billing_address": data["billing_address"],
        "shipping_address": data["shipping_address"],
        "shipping_method": "standard",
        "payment_token": "tok_visa",
        "coupon_codes": [],
        "capture_mode": None,
        "accept_price_changes": False,
    }
    blob = json.dumps(purchase, sort_keys=True, separators=(",", ":"))
    assert request.fingerprint() == hashlib.sha256(blob.encode()).hexdigest()


@attrs.frozen
class _LoyalCustomer(Customer):
    tier: str = "gold"


@given(
    email=_TEXT.filter(str.strip),
    customer_id=st.one_of(st.none(), _TEXT),
    name=_TEXT,
    subclass=st.booleans(),
)
def test_the_request_data_holds_the_customer_as_attrs_asdict(
    email: str, customer_id: str | None, name: str, *, subclass: bool
) -> None:
    kind = _LoyalCustomer if subclass else Customer
    customer = kind(email, customer_id=customer_id, name=name)
    request = attrs.evolve(make_checkout_request(), customer=customer)
    data = request.to_data()["customer"]
    assert data == attrs.asdict(customer)
    assert list(data) == list(attrs.asdict(customer))


@pytest.mark.parametrize("version", [0, 1, 5])
def test_saving_an_attempt_never_begun_is_not_found_whatever_its_version(version: int) -> None:
    log = InMemoryCheckoutLog()
    attempt = CheckoutAttempt.start(make_checkout_request(), now=_AT)
    attempt.version = version
    with pytest.raises(NotFoundError):
        log.save(attempt)
    assert log.find(attempt.checkout_id) is None
    assert attempt.version == version


def test_saving_a_stale_or_early_version_conflicts() -> None:
    log = InMemoryCheckoutLog()
    attempt, _ = log.begin(CheckoutAttempt.start(make_checkout_request(), now=_AT))
    log.save(attempt)
    for version in (0, 1, 7):
        stale = log.get(attempt.checkout_id)
        stale.version = version
        with pytest.raises(ConcurrencyConflictError) as raised:
            log.save(stale)
        assert raised.value.actual_version == 2
    assert log.get(attempt.checkout_id).version == 2


@pytest.mark.parametrize("status", list(CheckoutStatus))
def test_is_terminal_answers_as_the_lifecycle(status: CheckoutStatus) -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=_AT)
    attempt._status = status
    assert attempt.is_terminal is CHECKOUT_LIFECYCLE.is_terminal(status)


@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**9),
    code=st.sampled_from(["EUR", "JPY", "USD"]),
)
def test_the_validated_amount_is_what_the_recorded_amount_reads_back_as(
    amount: Decimal, code: str
) -> None:
    """A checkout validated in this run authorizes the grand total itself, not its reading."""
    total = Money(amount, code)
    read = money_from_data(money_to_data(total))
    assert read == total
    assert str(read.amount) == str(total.amount)
    assert read.currency == total.currency
