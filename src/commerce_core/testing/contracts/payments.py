"""Contract suites for the payment ports. Subclass one and override its factory method(s).

* :class:`PaymentGatewayContract` - ``make_gateway()``, plus ``approving_method()`` and
  ``declining_method()`` returning test-mode payment methods of your provider.
* :class:`IdempotencyStoreContract` - ``make_store()``.
* :class:`TransactionLogContract` - ``make_log()``.
* :class:`ProcessedEventStoreContract` - ``make_store()``.
* :class:`PaymentRepositoryContract` - ``make_repository()``.

The ``WebhookVerifier`` suite is
:class:`~commerce_core.testing.contracts.webhooks.WebhookVerifierContract`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import attrs
import pytest

from commerce_core.domain.payment import Payment, PaymentStatus
from commerce_core.domain.payment_gateway import (
    Approved,
    AuthorizeRequest,
    CaptureRequest,
    ClaimStatus,
    Declined,
    GatewayResult,
    PaymentMethod,
    RefundRequest,
    VoidRequest,
)
from commerce_core.domain.transaction_log import GENESIS_HASH, TransactionRecord, verify_chain
from commerce_core.errors import (
    ConcurrencyConflictError,
    IdempotencyKeyReuseError,
    NotFoundError,
    TransactionLogCorruptError,
)
from commerce_core.money import Money, money
from commerce_core.ports.payments import (
    IdempotencyStore,
    PaymentGateway,
    PaymentRepository,
    ProcessedEventStore,
    TransactionLog,
)

__all__ = [
    "PaymentGatewayContract",
    "IdempotencyStoreContract",
    "TransactionLogContract",
    "ProcessedEventStoreContract",
    "PaymentRepositoryContract",
]

T = TypeVar("T")
RACERS = 8


def _race(action: Callable[[int], T], racers: int = RACERS) -> list[T]:
    """Run ``action(i)`` on ``racers`` threads released together; return the results."""
    barrier = threading.Barrier(racers)

    def run(index: int) -> T:
        barrier.wait(timeout=10)
        return action(index)

    with ThreadPoolExecutor(max_workers=racers) as pool:
        return list(pool.map(run, range(racers)))


class PaymentGatewayContract:
    """What every PaymentGateway adapter must do (run it against your provider's test mode)."""

    currency = "EUR"

    def make_gateway(self) -> PaymentGateway:
        """Return a gateway under test (a sandbox account for a real provider)."""
        raise NotImplementedError

    def approving_method(self) -> PaymentMethod:
        """A test payment method the provider approves."""
        raise NotImplementedError

    def declining_method(self) -> PaymentMethod:
        """A test payment method the provider declines."""
        raise NotImplementedError

    def unique(self, label: str) -> str:
        """A fresh idempotency key (override if your provider needs a particular format)."""
        return f"contract-{label}-{uuid.uuid4().hex}"

    def eur(self, amount: str) -> Money:
        return money(amount, self.currency)

    def _authorize(self, gateway: PaymentGateway, amount: str = "100.00") -> Approved:
        result = gateway.authorize(
            AuthorizeRequest(
                self.unique("auth"), "pay_c1", "ord_c1", self.eur(amount), self.approving_method()
            )
        )
        assert isinstance(result, Approved), result
        return result

    def test_an_approved_authorization_holds_the_amount_and_has_a_reference(self) -> None:
        approved = self._authorize(self.make_gateway(), "42.00")
        assert approved.reference
        assert approved.amount == self.eur("42.00")

    def test_a_declined_method_is_a_declined_value_with_a_reason_code(self) -> None:
        result = self.make_gateway().authorize(
            AuthorizeRequest(
                self.unique("decl"), "pay_c2", "ord_c2", self.eur("10.00"), self.declining_method()
            )
        )
        assert isinstance(result, Declined)
        assert result.code

    def test_the_same_key_replays_the_first_answer_without_a_second_authorization(self) -> None:
        gateway = self.make_gateway()
        request = AuthorizeRequest(
            self.unique("replay"), "pay_c3", "ord_c3", self.eur("15.00"), self.approving_method()
        )
        first = gateway.authorize(request)
        second = gateway.authorize(request)
        assert isinstance(first, Approved)
        assert second == first

    def test_the_same_key_for_another_request_is_refused(self) -> None:
        gateway = self.make_gateway()
        key = self.unique("reuse")
        gateway.authorize(
            AuthorizeRequest(key, "pay_c4", "ord_c4", self.eur("15.00"), self.approving_method())
        )
        with pytest.raises(IdempotencyKeyReuseError):
            gateway.authorize(
                AuthorizeRequest(
                    key, "pay_c4", "ord_c4", self.eur("16.00"), self.approving_method()
                )
            )

    def test_partial_captures_add_up_to_the_authorization_and_no_further(self) -> None:
        gateway = self.make_gateway()
        ref = self._authorize(gateway, "100.00").reference
        first = gateway.capture(CaptureRequest(self.unique("c1"), "pay_c1", ref, self.eur("60.00")))
        second = gateway.capture(
            CaptureRequest(self.unique("c2"), "pay_c1", ref, self.eur("40.00"))
        )
        over = gateway.capture(CaptureRequest(self.unique("c3"), "pay_c1", ref, self.eur("0.01")))
        assert isinstance(first, Approved)
        assert isinstance(second, Approved)
        assert isinstance(over, Declined)

    def test_partial_refunds_never_exceed_the_captured_amount(self) -> None:
        gateway = self.make_gateway()
        ref = self._authorize(gateway, "50.00").reference
        gateway.capture(CaptureRequest(self.unique("cap"), "pay_c1", ref, self.eur("30.00")))
        part = gateway.refund(RefundRequest(self.unique("r1"), "pay_c1", ref, self.eur("20.00")))
        over = gateway.refund(RefundRequest(self.unique("r2"), "pay_c1", ref, self.eur("10.01")))
        rest = gateway.refund(RefundRequest(self.unique("r3"), "pay_c1", ref, self.eur("10.00")))
        assert isinstance(part, Approved)
        assert isinstance(over, Declined)
        assert isinstance(rest, Approved)

    def test_a_voided_authorization_can_no_longer_be_captured(self) -> None:
        gateway = self.make_gateway()
        ref = self._authorize(gateway).reference
        voided = gateway.void(VoidRequest(self.unique("void"), "pay_c1", ref))
        capture = gateway.capture(CaptureRequest(self.unique("c"), "pay_c1", ref, self.eur("1.00")))
        assert isinstance(voided, Approved)
        assert isinstance(capture, Declined)

    def test_concurrent_identical_requests_authorize_once(self) -> None:
        gateway = self.make_gateway()
        request = AuthorizeRequest(
            self.unique("race"), "pay_c5", "ord_c5", self.eur("9.99"), self.approving_method()
        )
        results: list[GatewayResult] = _race(lambda _: gateway.authorize(request))
        references = {r.reference for r in results if isinstance(r, Approved)}
        assert len(references) == 1


class IdempotencyStoreContract:
    """What every IdempotencyStore adapter must do."""

    def make_store(self) -> IdempotencyStore:
        """Return an empty store under test."""
        raise NotImplementedError

    def test_a_new_key_is_claimed_by_its_caller(self) -> None:
        assert self.make_store().claim("k1", "fp").status is ClaimStatus.CLAIMED

    def test_a_completed_key_replays_its_stored_result(self) -> None:
        store = self.make_store()
        store.claim("k1", "fp")
        store.complete("k1", "fp", {"outcome": "approved", "n": 1})
        replay = store.claim("k1", "fp")
        assert replay.status is ClaimStatus.COMPLETED
        assert replay.result == {"outcome": "approved", "n": 1}

    def test_the_first_result_stays_when_completed_twice(self) -> None:
        store = self.make_store()
        store.claim("k1", "fp")
        store.complete("k1", "fp", {"n": 1})
        store.complete("k1", "fp", {"n": 2})
        assert store.claim("k1", "fp").result == {"n": 1}

    def test_the_same_key_with_another_fingerprint_is_a_typed_error(self) -> None:
        store = self.make_store()
        store.claim("k1", "fp-a")
        with pytest.raises(IdempotencyKeyReuseError) as caught:
            store.claim("k1", "fp-b")
        assert (caught.value.key, caught.value.fingerprint) == ("k1", "fp-b")
        store.complete("k1", "fp-a", {"n": 1})
        with pytest.raises(IdempotencyKeyReuseError):
            store.claim("k1", "fp-b")

    def test_an_unfinished_claim_is_in_progress_for_others(self) -> None:
        store = self.make_store()
        store.claim("k1", "fp")
        assert store.claim("k1", "fp").status is ClaimStatus.IN_PROGRESS

    def test_a_released_claim_can_be_claimed_again(self) -> None:
        store = self.make_store()
        store.claim("k1", "fp")
        store.release("k1", "fp")
        assert store.claim("k1", "fp").status is ClaimStatus.CLAIMED

    def test_releasing_never_forgets_a_completed_result(self) -> None:
        store = self.make_store()
        store.claim("k1", "fp")
        store.complete("k1", "fp", {"n": 1})
        store.release("k1", "fp")
        assert store.claim("k1", "fp").status is ClaimStatus.COMPLETED

    def test_completing_an_unknown_key_is_not_found(self) -> None:
        with pytest.raises(NotFoundError):
            self.make_store().complete("never", "fp", {})

    def test_exactly_one_of_concurrent_claims_wins(self) -> None:
        store = self.make_store()
        statuses = _race(lambda _: store.claim("hot", "fp").status)
        assert statuses.count(ClaimStatus.CLAIMED) == 1
        assert statuses.count(ClaimStatus.IN_PROGRESS) == RACERS - 1


def _record(n: int) -> TransactionRecord:
    return TransactionRecord(
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        payment_id=f"pay_{n}",
        order_id="ord_1",
        operation="authorize",
        idempotency_key=f"key-{n}",
        attempt=1,
        amount=money("10.00", "EUR"),
        outcome="approved",
        detail="",
        reference="ref",
        method_kind="card",
    )


class TransactionLogContract:
    """What every TransactionLog adapter must do."""

    def make_log(self) -> TransactionLog:
        """Return an empty log under test."""
        raise NotImplementedError

    def test_an_empty_log_has_the_genesis_head(self) -> None:
        log = self.make_log()
        assert log.head() == GENESIS_HASH
        assert list(log.entries()) == []

    def test_appended_entries_form_a_verifiable_chain(self) -> None:
        log = self.make_log()
        entries = [log.append(_record(n)) for n in range(1, 6)]
        assert [e.sequence for e in log.entries()] == [1, 2, 3, 4, 5]
        assert entries[1].previous_hash == entries[0].hash
        assert log.head() == entries[-1].hash
        verify_chain(log.entries(), expected_head=log.head())

    def test_an_edited_entry_is_detected(self) -> None:
        log = self.make_log()
        for n in range(1, 4):
            log.append(_record(n))
        entries = list(log.entries())
        forged = attrs.evolve(entries[1].record, amount=money("1.00", "EUR"))
        entries[1] = attrs.evolve(entries[1], record=forged)
        with pytest.raises(TransactionLogCorruptError) as caught:
            verify_chain(entries)
        assert (caught.value.sequence, caught.value.reason) == (2, "hash_mismatch")

    def test_a_deleted_entry_is_detected(self) -> None:
        log = self.make_log()
        for n in range(1, 4):
            log.append(_record(n))
        entries = list(log.entries())
        del entries[1]
        with pytest.raises(TransactionLogCorruptError):
            verify_chain(entries)
        with pytest.raises(TransactionLogCorruptError):
            verify_chain(list(log.entries())[:-1], expected_head=log.head())

    def test_concurrent_appends_form_one_chain_without_gaps(self) -> None:
        log = self.make_log()
        _race(lambda n: log.append(_record(n)))
        assert len(log.entries()) == RACERS
        verify_chain(log.entries(), expected_head=log.head())


class ProcessedEventStoreContract:
    """What every ProcessedEventStore adapter must do."""

    def make_store(self) -> ProcessedEventStore:
        """Return an empty store under test."""
        raise NotImplementedError

    def test_an_event_is_marked_once(self) -> None:
        store = self.make_store()
        assert not store.is_processed("evt_1")
        assert store.mark_processed("evt_1")
        assert store.is_processed("evt_1")
        assert not store.mark_processed("evt_1")

    def test_exactly_one_concurrent_marker_wins(self) -> None:
        store = self.make_store()
        assert _race(lambda _: store.mark_processed("evt_hot")).count(True) == 1


class PaymentRepositoryContract:
    """What every PaymentRepository adapter must do."""

    def make_repository(self) -> PaymentRepository:
        """Return an empty repository under test."""
        raise NotImplementedError

    def _payment(self, payment_id: str = "pay_1", order_id: str = "ord_1") -> Payment:
        return Payment.create(
            payment_id,
            order_id,
            money("25.00", "EUR"),
            PaymentMethod("tok_visa"),
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )

    def test_a_saved_payment_loads_back_equal_in_state(self) -> None:
        repo = self.make_repository()
        payment = self._payment()
        repo.save(payment)
        loaded = repo.get("pay_1")
        assert loaded.to_snapshot() == payment.to_snapshot()
        assert loaded.version == payment.version == 1
        assert loaded.status is PaymentStatus.CREATED

    def test_an_unknown_payment_is_not_found(self) -> None:
        with pytest.raises(NotFoundError):
            self.make_repository().get("nope")

    def test_saving_a_stale_copy_is_a_conflict_and_changes_nothing(self) -> None:
        repo = self.make_repository()
        repo.save(self._payment())
        first, second = repo.get("pay_1"), repo.get("pay_1")
        first.ensure_can_authorize()
        repo.save(first)
        with pytest.raises(ConcurrencyConflictError):
            repo.save(second)
        assert repo.get("pay_1").version == 2

    def test_the_optional_version_of_answers_the_stored_version(self) -> None:
        """``PaymentVersions``: 0 when absent, one more on every save, the saved copy's version."""
        repo = self.make_repository()
        version_of = getattr(repo, "version_of", None)  # as PaymentService looks it up
        if not callable(version_of):
            pytest.skip("this adapter has no optional version_of (the service reads payments)")
        assert version_of("pay_1") == 0
        payment = self._payment()
        repo.save(payment)
        assert version_of("pay_1") == payment.version == 1
        stale = repo.get("pay_1")
        payment.ensure_can_authorize()
        repo.save(payment)
        assert version_of("pay_1") == payment.version == 2
        assert stale.version != version_of("pay_1")  # a stale copy is told apart
        with pytest.raises(ConcurrencyConflictError):
            repo.save(stale)
        assert version_of("pay_1") == 2  # a refused save moves nothing
        assert version_of("pay_2") == 0

    def test_payments_are_listed_per_order_oldest_first(self) -> None:
        repo = self.make_repository()
        for pid, oid in (("pay_a", "ord_1"), ("pay_b", "ord_2"), ("pay_c", "ord_1")):
            repo.save(self._payment(pid, oid))
        assert [p.id for p in repo.for_order("ord_1")] == ["pay_a", "pay_c"]
        assert repo.for_order("ord_9") == []

    def test_exactly_one_of_concurrent_saves_of_one_version_wins(self) -> None:
        repo = self.make_repository()
        repo.save(self._payment())
        copies = [repo.get("pay_1") for _ in range(RACERS)]

        def save(index: int) -> bool:
            try:
                repo.save(copies[index])
            except ConcurrencyConflictError:
                return False
            return True

        assert _race(save).count(True) == 1
