"""The payment service starts an operation from the payment its last operation kept.

``PaymentService._load`` hands back the payment the last operation saved (or left unchanged)
instead of reading it again, only while the repository's ``version_of`` says it is still the
stored version. These tests drive the same operations through a service whose repository offers
``version_of`` (it keeps payments) and one whose repository hides it (it reads every payment, as
before), with strangers changing the same payments behind their backs (another service, a
webhook-like change saved straight to the repository): results, errors, stored payments, audit
entries, gateway calls and events are the same, and a stale kept copy never reaches the gateway.
An operation that raises midway (the gateway raising, ``on_events`` raising, a save whose
answer is lost) keeps nothing: the next operation reads the payment again. The service opts in
through the :class:`~commerce_core.ports.payments.PaymentVersions` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from commerce_core.ports.payments import PaymentRepository, PaymentVersions
from commerce_core.services.payments import PaymentService
from commerce_core.testing.checkout import FaultPlan, FaultyPort


class _MidOperationError(RuntimeError):
    """An infrastructure failure in the middle of an operation."""


class _ReadingRepository:
    """The in-memory repository without ``version_of``: the service reads every payment.

    Its next save stores the payment, then loses its answer when ``lose_next_save`` is set;
    it fails before storing anything when ``fail_next_save`` is set.
    """

    def __init__(self, inner: InMemoryPaymentRepository) -> None:
        self.inner = inner
        self.reads = 0
        self.lose_next_save = False
        self.fail_next_save = False

    def get(self, payment_id: str) -> Payment:
        self.reads += 1
        return self.inner.get(payment_id)

    def save(self, payment: Payment) -> None:
        if self.fail_next_save:  # the copy was changed in memory, nothing stored
            self.fail_next_save = False
            raise _MidOperationError("save failed")
        self.inner.save(payment)
        if self.lose_next_save:
            self.lose_next_save = False
            raise _MidOperationError("save response lost")

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
        self.events_fail = False
        """The next ``on_events`` call raises (after the change was saved)."""
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
            on_events=self._publish,
        )

    def _publish(self, events: Sequence[DomainEvent]) -> None:
        if self.events_fail:
            self.events_fail = False
            raise _MidOperationError("on_events failed")
        self.events.extend(events)

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


def _fail_mid_operation(shop: _Shop, fault: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if fault == "gateway":

        def fail(*_args: object) -> None:
            monkeypatch.undo()  # once
            raise _MidOperationError("gateway failed")

        monkeypatch.setattr(shop.gateway, "capture", fail)
    elif fault == "on_events":
        shop.events_fail = True
    elif fault == "failed_save":
        shop.port.fail_next_save = True
    else:
        shop.port.lose_next_save = True


@pytest.mark.parametrize("fault", ["gateway", "on_events", "lost_save", "failed_save"])
def test_after_an_operation_raised_the_next_one_reads_the_payment_again(
    fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = _Shop(keeps=True)
    shop.service.pay("ord_1", _TOTAL, PaymentMethod("tok_visa"), payment_id="p1")
    _fail_mid_operation(shop, fault, monkeypatch)
    with pytest.raises(_MidOperationError):
        shop.service.capture("p1", money("5.00", "EUR"), scope="first")
    assert shop.port.reads == 0
    result = shop.service.capture("p1", money("5.00", "EUR"), scope="second")
    assert shop.port.reads == 1  # nothing kept from the operation that raised
    stored = shop.repository.get("p1")
    assert (result.captured, result.status) == (stored.captured, stored.status)
    # what a service that reads every payment does through the same failure
    reading = _Shop(keeps=False)
    reading.service.pay("ord_1", _TOTAL, PaymentMethod("tok_visa"), payment_id="p1")
    _fail_mid_operation(reading, fault, monkeypatch)
    with pytest.raises(_MidOperationError):
        reading.service.capture("p1", money("5.00", "EUR"), scope="first")
    assert reading.service.capture("p1", money("5.00", "EUR"), scope="second") == result
    assert reading.state() == shop.state()


class _NoVersions(_ReadingRepository):
    """A ``version_of`` attribute that is no method: the repository does not offer versions."""

    version_of = None


def test_the_service_opts_in_when_the_repository_offers_version_of() -> None:
    repository = InMemoryPaymentRepository()
    assert isinstance(repository, PaymentVersions)
    assert isinstance(repository, PaymentRepository)
    shop = _Shop(keeps=False)
    cases: tuple[tuple[Any, int], ...] = (
        (_CountingRepository(shop.repository), 0),
        # a wrapper forwarding through __getattr__ (a fault injector, a tracing proxy) offers it
        # too: on Python 3.12+ ``isinstance`` with a runtime protocol would not see it
        (FaultyPort("payments", _CountingRepository(shop.repository), FaultPlan()), 0),
        (_NoVersions(shop.repository), 1),
        (_ReadingRepository(shop.repository), 1),
    )
    for case, (port, reads) in enumerate(cases):
        service = shop._service(port)
        service.pay(f"ord_{case}", _TOTAL, PaymentMethod("tok_visa"), payment_id=f"p{case}")
        assert service.capture(f"p{case}", _TOTAL).approved
        assert port.reads == reads, case


def test_payment_versions_is_exported_with_the_other_payment_ports() -> None:
    import commerce_core
    from commerce_core.ports import payments as ports

    assert "PaymentVersions" in ports.__all__
    assert "PaymentVersions" in commerce_core.__all__
    assert commerce_core.PaymentVersions is PaymentVersions
