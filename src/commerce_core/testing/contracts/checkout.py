"""The contract suite of the :class:`~commerce_core.ports.checkout.CheckoutLog` port.

Subclass it in your tests and override the factory method::

    class TestSqlCheckoutLog(CheckoutLogContract):
        def make_log(self) -> CheckoutLog:
            return SqlCheckoutLog(engine)
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from commerce_core.domain.checkout import (
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutRequest,
    CheckoutStatus,
    CheckoutStep,
    FailureReason,
)
from commerce_core.domain.orders import Address, Customer
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.errors import CheckoutInProgressError, ConcurrencyConflictError, NotFoundError
from commerce_core.money import money, money_to_data
from commerce_core.ports.checkout import CheckoutLog

__all__ = ["CheckoutLogContract", "make_checkout_request"]

_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def make_checkout_request(key: str = "key-1", cart_id: str = "cart-1") -> CheckoutRequest:
    """A complete checkout request for ``cart_id`` under the idempotency key ``key``."""
    address = Address("Ana", "1 rue du Thé", "Lyon", "69001", "FR")
    return CheckoutRequest(
        cart_id=cart_id,
        customer=Customer("ana@example.test", customer_id="c-1"),
        billing_address=address,
        shipping_address=address,
        shipping_method="standard",
        payment_method=PaymentMethod("tok_visa"),
        idempotency_key=key,
        coupon_codes=("SAVE5",),
    )


class CheckoutLogContract:
    """What every :class:`CheckoutLog` adapter must guarantee. Override :meth:`make_log`."""

    def make_log(self) -> CheckoutLog:
        """A new, empty log."""
        raise NotImplementedError

    def _begin(self, log: CheckoutLog, key: str = "key-1", cart: str = "cart-1") -> CheckoutAttempt:
        attempt, created = log.begin(
            CheckoutAttempt.start(make_checkout_request(key, cart), now=_NOW)
        )
        assert created
        return attempt

    def test_a_begun_attempt_reads_back_equal_with_version_one(self) -> None:
        log = self.make_log()
        attempt = self._begin(log)
        assert attempt.version == 1
        loaded = log.get(attempt.checkout_id)
        assert loaded.to_snapshot() == attempt.to_snapshot()
        assert loaded.version == 1
        assert loaded.request == make_checkout_request()

    def test_beginning_the_same_checkout_again_returns_the_stored_attempt(self) -> None:
        log = self.make_log()
        first = self._begin(log)
        first.complete_step(CheckoutStep.VALIDATED, now=_NOW, codes=("SAVE5",))
        log.save(first)
        again, created = log.begin(CheckoutAttempt.start(make_checkout_request(), now=_NOW))
        assert not created
        assert again.steps == (CheckoutStep.VALIDATED,)
        assert again.redeemed_codes == ("SAVE5",)

    def test_a_second_unfinished_attempt_for_one_cart_is_refused(self) -> None:
        log = self.make_log()
        first = self._begin(log, "key-1")
        with pytest.raises(CheckoutInProgressError) as raised:
            log.begin(CheckoutAttempt.start(make_checkout_request("key-2"), now=_NOW))
        assert raised.value.checkout_id == first.checkout_id

    def test_a_finished_attempt_frees_its_cart(self) -> None:
        log = self.make_log()
        first = self._begin(log, "key-1")
        failure = CheckoutFailure(checkout_id=first.checkout_id, reason=FailureReason.EMPTY_CART)
        first.begin_rollback(failure, now=_NOW)
        log.save(first)
        with pytest.raises(CheckoutInProgressError):
            self._begin(log, "key-2")
        first.finish_rollback(now=_NOW)
        log.save(first)
        assert self._begin(log, "key-2").cart_id == "cart-1"

    def test_saving_a_stale_copy_conflicts_and_changes_nothing(self) -> None:
        log = self.make_log()
        attempt = self._begin(log)
        stale = log.get(attempt.checkout_id)
        attempt.complete_step(
            CheckoutStep.VALIDATED, now=_NOW, amount=money_to_data(money("10.00", "EUR"))
        )
        log.save(attempt)
        assert attempt.version == 2
        stale.touch(now=_NOW + timedelta(minutes=1))
        with pytest.raises(ConcurrencyConflictError):
            log.save(stale)
        assert log.get(attempt.checkout_id).steps == (CheckoutStep.VALIDATED,)

    def test_an_unknown_attempt_is_not_found(self) -> None:
        log = self.make_log()
        with pytest.raises(NotFoundError):
            log.get("chk_missing")
        with pytest.raises(NotFoundError):
            log.save(CheckoutAttempt.start(make_checkout_request(), now=_NOW))

    def test_the_optional_find_answers_as_get_does(self) -> None:
        log = self.make_log()
        find = getattr(log, "find", None)
        if find is None:
            pytest.skip("this adapter has no optional find (the service uses get)")
        assert find("chk_missing") is None
        attempt = self._begin(log)
        found = find(attempt.checkout_id)
        assert isinstance(found, CheckoutAttempt)
        assert found.version == 1
        assert found.to_snapshot() == log.get(attempt.checkout_id).to_snapshot()

    def test_unfinished_lists_running_attempts_least_recently_updated_first(self) -> None:
        log = self.make_log()
        older = self._begin(log, "key-1", "cart-1")
        newer = self._begin(log, "key-2", "cart-2")
        done = self._begin(log, "key-3", "cart-3")
        done.complete_step(CheckoutStep.VALIDATED, now=_NOW, order_id="ord-3")
        newer.touch(now=_NOW + timedelta(minutes=2))
        log.save(newer)
        older.touch(now=_NOW + timedelta(minutes=1))
        log.save(older)
        done.succeed(now=_NOW)
        log.save(done)
        ids = [a.checkout_id for a in log.unfinished()]
        assert ids == [older.checkout_id, newer.checkout_id]
        assert all(a.status is CheckoutStatus.IN_PROGRESS for a in log.unfinished())

    def test_unannounced_lists_finished_attempts_until_they_are_marked(self) -> None:
        log = self.make_log()
        running = self._begin(log, "key-1", "cart-1")
        done = self._begin(log, "key-2", "cart-2")
        done.begin_rollback(
            CheckoutFailure(checkout_id=done.checkout_id, reason=FailureReason.PAYMENT_DECLINED),
            now=_NOW,
        )
        done.finish_rollback(now=_NOW)
        log.save(done)
        assert [a.checkout_id for a in log.unannounced()] == [done.checkout_id]
        assert running.checkout_id not in {a.checkout_id for a in log.unannounced()}
        done.mark_announced()
        log.save(done)
        assert log.unannounced() == ()
        assert log.get(done.checkout_id).announced

    def test_concurrent_begins_of_one_checkout_create_it_exactly_once(self) -> None:
        log = self.make_log()
        barrier = threading.Barrier(8)
        created: list[bool] = []
        lock = threading.Lock()

        def begin() -> None:
            barrier.wait()
            _, made = log.begin(CheckoutAttempt.start(make_checkout_request(), now=_NOW))
            with lock:
                created.append(made)

        threads = [threading.Thread(target=begin) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(created) == [False] * 7 + [True]

    def test_concurrent_saves_of_one_version_let_exactly_one_win(self) -> None:
        log = self.make_log()
        attempt = self._begin(log)
        copies = [log.get(attempt.checkout_id) for _ in range(8)]
        barrier = threading.Barrier(len(copies))
        outcomes: list[str] = []
        lock = threading.Lock()

        def save(copy: CheckoutAttempt) -> None:
            copy.touch(now=_NOW + timedelta(seconds=1))
            barrier.wait()
            try:
                log.save(copy)
                outcome = "won"
            except ConcurrencyConflictError:
                outcome = "lost"
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=save, args=(c,)) for c in copies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["lost"] * 7 + ["won"]
