"""Authorize and capture with the payment in hand (``current=``): what reading it again does.

A caller that keeps the payment :meth:`PaymentService.open_payment` returned (a checkout) passes
it to ``authorize`` and ``capture`` instead of having it read again. The results, the stored
payment, the audit chain, the idempotency records, the events and the gateway calls are those of
the reading path; a stale copy loses the version race (or, when it refuses a capture, the stored
payment decides) and the stored payment wins.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_core import (
    DomainEvent,
    InvalidTransitionError,
    OverCaptureError,
    PaymentMethod,
    PaymentResult,
    PaymentService,
    PaymentStatus,
    RetryPolicy,
    money,
)
from commerce_core.adapters.memory import (
    InMemoryClock,
    InMemoryIdempotencyStore,
    InMemoryPaymentRepository,
    InMemoryTransactionLog,
    ScriptedRandomSource,
    SequentialIdFactory,
    SimulatedPaymentGateway,
)
from commerce_core.money import Money


class _Shop:
    def __init__(self) -> None:
        self.clock = InMemoryClock()
        self.gateway = SimulatedPaymentGateway()
        self.payments = InMemoryPaymentRepository()
        self.idempotency = InMemoryIdempotencyStore(self.clock)
        self.log = InMemoryTransactionLog()
        self.events: list[DomainEvent] = []
        self.service = PaymentService(
            gateway=self.gateway,
            payments=self.payments,
            idempotency=self.idempotency,
            log=self.log,
            clock=self.clock,
            ids=SequentialIdFactory(),
            retry=RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=10.0),
            sleeper=lambda _seconds: None,
            random=ScriptedRandomSource([0.5]),
            on_events=self.events.extend,
        )

    def state(self) -> tuple[Any, ...]:
        stored = self.payments.get("pay_1")
        return (
            stored.to_snapshot(),
            stored.version,
            [entry.hash for entry in self.log.entries()],
            self.log.entries(),
            self.events,
            self.gateway.calls,
            len(self.idempotency),
        )


_TOKENS = ["tok_visa", "tok_declined", "tok_3ds_required", "tok_transient_1", "tok_transient_5"]


def _read_path(shop: _Shop, token: str, total: Money, part: Money) -> list[PaymentResult]:
    method = PaymentMethod(token)
    results = [shop.service.pay("ord_1", total, method, payment_id="pay_1")]
    for scope in ("s1", "s2"):
        try:
            results.append(shop.service.capture("pay_1", part, scope=scope))
        except (InvalidTransitionError, OverCaptureError) as error:
            results.append(type(error))  # type: ignore[arg-type]
    return results


def _in_hand(shop: _Shop, token: str, total: Money, part: Money) -> list[PaymentResult]:
    method = PaymentMethod(token)
    payment = shop.service.open_payment("ord_1", total, method, payment_id="pay_1")
    results = [shop.service.authorize("pay_1", current=payment)]
    for scope in ("s1", "s2"):
        try:
            results.append(shop.service.capture("pay_1", part, scope=scope, current=payment))
        except (InvalidTransitionError, OverCaptureError) as error:
            results.append(type(error))  # type: ignore[arg-type]
    return results


@settings(max_examples=30, deadline=None)
@given(
    token=st.sampled_from(_TOKENS),
    cents=st.integers(min_value=2, max_value=10**6),
    share=st.sampled_from([1, 2, 3]),
)
def test_the_payment_in_hand_does_what_reading_it_again_does(
    token: str, cents: int, share: int
) -> None:
    total = money(f"{cents / 100:.2f}", "EUR")
    part = money(f"{cents // share / 100:.2f}", "EUR")
    if part.amount <= 0:
        part = total
    read, hand = _Shop(), _Shop()
    assert _in_hand(hand, token, total, part) == _read_path(read, token, total, part)
    assert hand.state() == read.state()


def test_replaying_with_the_payment_in_hand_returns_the_stored_results() -> None:
    shop = _Shop()
    payment = shop.service.open_payment(
        "ord_1", money("10", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_1"
    )
    first = shop.service.authorize("pay_1", current=payment)
    capture = shop.service.capture("pay_1", money("10", "EUR"), scope="s", current=payment)
    again = shop.service.authorize("pay_1", current=payment)
    capture_again = shop.service.capture("pay_1", money("10", "EUR"), scope="s", current=payment)
    assert again.replayed
    assert capture_again.replayed
    assert (again.status, again.result) == (PaymentStatus.CAPTURED, first.result)
    assert capture_again.result == capture.result
    assert len(shop.gateway.calls) == 2


def test_a_stale_copy_loses_the_version_race_and_the_stored_payment_wins() -> None:
    shop = _Shop()
    payment = shop.service.open_payment(
        "ord_1", money("10", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_1"
    )
    shop.service.authorize("pay_1", current=payment)
    # another caller captures part of it (reading the payment): the copy in hand is now stale
    shop.service.capture("pay_1", money("4", "EUR"), scope="other")
    result = shop.service.capture("pay_1", money("6", "EUR"), scope="mine", current=payment)
    assert result.status is PaymentStatus.CAPTURED
    assert result.captured == money("10", "EUR")
    stored = shop.payments.get("pay_1")
    assert stored.captured == money("10", "EUR")
    assert stored.status is PaymentStatus.CAPTURED


def test_a_capture_a_stale_copy_refuses_is_decided_by_the_stored_payment() -> None:
    shop = _Shop()
    opened = shop.service.open_payment(
        "ord_1", money("10", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_1"
    )
    stale = shop.service.get("pay_1")  # read while still created
    shop.service.authorize("pay_1", current=opened)
    result = shop.service.capture("pay_1", money("10", "EUR"), scope="s", current=stale)
    assert result.status is PaymentStatus.CAPTURED
    assert shop.payments.get("pay_1").captured == money("10", "EUR")


def test_a_refused_capture_raises_as_it_does_without_the_payment_in_hand() -> None:
    shop = _Shop()
    payment = shop.service.open_payment(
        "ord_1", money("10", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_1"
    )
    with pytest.raises(InvalidTransitionError):
        shop.service.capture("pay_1", money("5", "EUR"), scope="s", current=payment)
    shop.service.authorize("pay_1", current=payment)
    with pytest.raises(OverCaptureError):
        shop.service.capture("pay_1", money("11", "EUR"), scope="s", current=payment)
    assert shop.gateway.calls == [("authorize", shop.gateway.calls[0][1])]


@pytest.mark.parametrize("how", ["another id", "no scope", "no amount"])
def test_a_copy_the_key_could_depend_on_is_not_used(how: str) -> None:
    shop = _Shop()
    payment = shop.service.open_payment(
        "ord_1", money("10", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_1"
    )
    shop.service.authorize("pay_1", current=payment)
    stale = shop.service.get("pay_1")
    shop.service.capture("pay_1", money("4", "EUR"))  # the stale copy's totals are now wrong
    if how == "another id":
        other = shop.service.open_payment(
            "ord_1", money("3", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_2"
        )
        shop.service.capture("pay_1", money("6", "EUR"), scope="s", current=other)
    elif how == "no scope":
        shop.service.capture("pay_1", money("6", "EUR"), current=stale)
    else:
        shop.service.capture("pay_1", scope="s", current=stale)
    stored = shop.payments.get("pay_1")
    assert stored.captured == money("10", "EUR")
    assert stored.version == 4  # opened, authorized, captured twice: nothing lost a race
