"""A key repeated while its first call is still running (PaymentServiceOrderPayments).

The order paid 50.00-ish at checkout (``CheckoutWorld``, captured at once); each test refunds
5.00 of it. A gated idempotency store holds the first call's ``complete`` until the repeats have
seen the key in progress, forcing the interleaving the port must survive.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from commerce_core import PaymentServiceOrderPayments, money
from commerce_core.adapters.memory import InMemoryIdempotencyStore
from commerce_core.domain.checkout import CaptureMode, CheckoutSuccess
from commerce_core.domain.payment_gateway import ClaimStatus, IdempotencyClaim
from commerce_core.money import Money
from commerce_core.testing.checkout import CheckoutWorld
from commerce_core.testing.contracts._threads import race

REPEATS = 4
FIVE = money("5.00", "EUR")


class GatedIdempotencyStore(InMemoryIdempotencyStore):
    """Completes a key only after ``in_progress_seen`` claims found it in progress."""

    def __init__(self, in_progress_seen: int) -> None:
        super().__init__()
        self.claimed = threading.Event()
        self._needed = in_progress_seen
        self._seen = 0
        self._gate = threading.Event()
        self._count = threading.Lock()

    def claim(self, key: str, fingerprint: str) -> IdempotencyClaim:
        claim = super().claim(key, fingerprint)
        if claim.status is ClaimStatus.CLAIMED:
            self.claimed.set()
        if claim.status is ClaimStatus.IN_PROGRESS:
            with self._count:
                self._seen += 1
                if self._seen >= self._needed:
                    self._gate.set()
        return claim

    def complete(self, key: str, fingerprint: str, result: Mapping[str, Any]) -> None:
        assert self._gate.wait(timeout=5), "the repeats never saw the key in progress"
        super().complete(key, fingerprint, result)


def _paid_order() -> tuple[CheckoutWorld, str]:
    world = CheckoutWorld(capture_mode=CaptureMode.IMMEDIATE, faults=False)
    result = world.check_out(world.fill_cart(), "checkout-1")
    assert isinstance(result, CheckoutSuccess)
    return world, result.order.order_id


def _refunded(world: CheckoutWorld, order_id: str) -> Money:
    return world.payments.summary(order_id, "EUR").refunded


def test_repeats_racing_the_first_call_wait_and_get_its_outcome() -> None:
    world, order_id = _paid_order()
    store = GatedIdempotencyStore(in_progress_seen=REPEATS - 1)
    payments = PaymentServiceOrderPayments(
        world.payments, repository=world.payment_repository, idempotency=store
    )
    outcomes = race(REPEATS, lambda _: payments.refund(order_id, FIVE, idempotency_key="r1"))
    assert outcomes[0].succeeded
    assert all(outcome == outcomes[0] for outcome in outcomes)
    assert _refunded(world, order_id) == FIVE  # moved once


def test_a_repeat_that_outwaits_its_bound_gets_an_in_progress_outcome_then_the_first() -> None:
    world, order_id = _paid_order()
    store = GatedIdempotencyStore(in_progress_seen=1)
    first_caller = PaymentServiceOrderPayments(
        world.payments, repository=world.payment_repository, idempotency=store
    )
    impatient = PaymentServiceOrderPayments(
        world.payments,
        repository=world.payment_repository,
        idempotency=store,
        in_progress_wait=timedelta(0),
    )
    first: list[Any] = []
    worker = threading.Thread(
        target=lambda: first.append(first_caller.refund(order_id, FIVE, idempotency_key="r1"))
    )
    worker.start()
    assert store.claimed.wait(timeout=5)
    pending = impatient.refund(order_id, FIVE, idempotency_key="r1")
    worker.join(timeout=5)
    assert not pending.succeeded
    assert pending.in_progress  # typed: retry with the same key
    assert pending.amount == FIVE
    assert first[0].succeeded
    assert impatient.refund(order_id, FIVE, idempotency_key="r1") == first[0]
    assert _refunded(world, order_id) == FIVE
