"""The payment service starts an operation from the payment its last operation kept.

``PaymentService._load`` hands back the payment the last operation saved (or left unchanged)
instead of reading it again, only while the repository's ``version_of`` says it is still the
stored version. These tests drive the same operations through a service whose repository offers
``version_of`` (it keeps payments) and one whose repository hides it (it reads every payment, as
before), with strangers changing the same payments behind their backs (another service, a
webhook-like change saved straight to the repository): results, errors, stored payments, audit
entries, gateway calls and events are the same, and a stale kept copy never reaches the gateway.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_core.adapters.memory import (
    InMemoryClock,
    InMemoryIdempotencyStore,
    InMemoryPaymentRepository,
    InMemoryTransactionLog,
    SequentialIdFactory,
    SimulatedPaymentGateway,
)
from commerce_core.domain.events import DomainEvent
from commerce_core.domain.payment import Payment, ProviderEvent
from commerce_core.domain.payment_gateway import PaymentMethod, RetryPolicy
from commerce_core.errors import CommerceError
from commerce_core.money import money
from commerce_core.services.payments import PaymentService


class _ReadingRepository:
    """The in-memory repository without ``version_of``: the service reads every payment."""

    def __init__(self, inner: InMemoryPaymentRepository) -> None:
        self.inner = inner
        self.reads = 0

    def get(self, payment_id: str) -> Payment:
        self.reads += 1
        return self.inner.get(payment_id)

    def save(self, payment: Payment) -> None:
        self.inner.save(payment)

    def for_order(self, order_id: str) -> list[Payment]:
        return self.inner.for_order(order_id)


class _CountingRepository(_ReadingRepository):
    """The in-memory repository with ``version_of``, counting reads."""

    def version_of(self, payment_id: str) -> int:
        return self.inner.version_of(payment_id)


class _Shop:
    def __init__(self, *, keeps: bool) -> None:
        self.clock = InMemoryClock()
        self.gateway = SimulatedPaymentGateway()
        self.repository = InMemoryPaymentRepository()
        self.port = (_CountingRepository if keeps else _ReadingRepository)(self.repository)
        self.idempotency = InMemoryIdempotencyStore(self.clock)
        self.log = InMemoryTransactionLog()
        self.events: list[DomainEvent] = []
        self.service = self._service(self.port)
        # a stranger: the same stores, its own service (so its own kept payment)
        self.stranger = self._service(self.repository)

    def _service(self, payments: Any) -> PaymentService:
        return PaymentService(
            gateway=self.gateway,
            payments=payments,
            idempotency=self.idempotency,
            log=self.log,
            clock=self.clock,
            ids=SequentialIdFactory(),
            retry=RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0),
            sleeper=lambda _seconds: None,
            on_events=self.events.extend,
        )

    def state(self) -> object:
        return (
            [(p.version, p.to_snapshot()) for p in self.repository.all()],
            [(e.sequence, e.record, e.hash) for e in self.log.entries()],
            list(self.gateway.calls),
            list(self.events),
        )


_TOTAL = money("20.00", "EUR")
_TOKENS = st.sampled_from(["tok_visa", "tok_declined", "tok_3ds_required", "tok_transient_1"])
_AMOUNTS = st.sampled_from([None, "1.00", "5.00", "10.00", "30.00"])
_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(0, 1), _TOKENS),
        st.tuples(
            st.sampled_from(["capture", "refund", "stranger_capture", "stranger_refund"]),
            st.integers(0, 1),
            _AMOUNTS,
            st.sampled_from(["", "s1", "s2"]),
        ),
        st.tuples(st.sampled_from(["void", "stranger_void", "authorize"]), st.integers(0, 1)),
        st.tuples(st.just("provider_captured"), st.integers(0, 1)),
    ),
    max_size=12,
)


def _run(shop: _Shop, step: tuple[Any, ...]) -> object:
    action, n = step[0], step[1]
    payment_id = f"pay_{n}"
    try:
        if action == "pay":
            method = PaymentMethod(step[2])
            return shop.service.pay(f"ord_{n}", _TOTAL, method, payment_id=payment_id)
        if action == "authorize":
            return shop.service.authorize(payment_id)
        if action == "provider_captured":
            # a webhook-like change saved straight to the repository (version bumped)
            payment = shop.repository.get(payment_id)
            event = ProviderEvent(
                f"evt_{len(shop.events)}", "payment.captured", payment_id, _TOTAL, shop.clock.now()
            )
            payment.apply_provider_event(event, now=shop.clock.now())
            shop.repository.save(payment)
            return payment.status
        service = shop.stranger if action.startswith("stranger_") else shop.service
        operation = action.removeprefix("stranger_")
        if operation == "void":
            return service.void(payment_id)
        amount = None if step[2] is None else money(step[2], "EUR")
        run = service.capture if operation == "capture" else service.refund
        return run(payment_id, amount, scope=step[3])
    except CommerceError as error:
        return (type(error), str(error))


@settings(max_examples=150, deadline=None)
@given(steps=_STEPS)
def test_a_kept_payment_acts_as_the_payment_read_again(steps: list[tuple[Any, ...]]) -> None:
    keeping, reading = _Shop(keeps=True), _Shop(keeps=False)
    for step in steps:
        assert _run(keeping, step) == _run(reading, step)
        assert keeping.state() == reading.state()
    assert keeping.port.reads <= reading.port.reads


def test_the_capture_after_a_payment_reads_nothing() -> None:
    shop = _Shop(keeps=True)
    shop.service.pay("ord_1", _TOTAL, PaymentMethod("tok_visa"), payment_id="p1")
    result = shop.service.capture("p1", _TOTAL, scope="chk_1")
    assert result.approved
    assert shop.port.reads == 0
    assert shop.repository.get("p1").captured == _TOTAL


@pytest.mark.parametrize("change", ["stranger", "provider"])
def test_a_stale_kept_payment_never_reaches_the_gateway(change: str) -> None:
    shop = _Shop(keeps=True)
    shop.service.pay("ord_1", _TOTAL, PaymentMethod("tok_visa"), payment_id="p1")
    if change == "stranger":  # captured by another service: the kept copy is stale
        shop.stranger.capture("p1", _TOTAL, scope="elsewhere")
    else:
        payment = shop.repository.get("p1")
        event = ProviderEvent("evt_1", "payment.captured", "p1", _TOTAL, shop.clock.now())
        payment.apply_provider_event(event, now=shop.clock.now())
        shop.repository.save(payment)
    calls = list(shop.gateway.calls)
    with pytest.raises(CommerceError):  # the stored payment has nothing left to capture
        shop.service.capture("p1", _TOTAL, scope="chk_1")
    assert shop.gateway.calls == calls
    assert shop.port.reads == 1


def test_a_kept_payment_of_another_id_is_left_kept() -> None:
    shop = _Shop(keeps=True)
    method = PaymentMethod("tok_visa")
    shop.service.pay("ord_1", _TOTAL, method, payment_id="p1")
    with pytest.raises(CommerceError):
        shop.service.capture("missing", money("1.00", "EUR"))
    assert shop.service.capture("p1", _TOTAL).approved
    assert shop.port.reads == 1  # the missing payment only
