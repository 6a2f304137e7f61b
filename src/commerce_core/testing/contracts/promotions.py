"""Contract suite for the :class:`~commerce_core.ports.promotions.CouponUsage` port."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from commerce_core.domain.coupons import RedeemOutcome
from commerce_core.ports.promotions import CouponUsage, CustomerHistory
from commerce_core.testing.contracts._threads import race

__all__ = ["CouponUsageContract", "CustomerHistoryContract"]


def _race(workers: int, work: Callable[[int], RedeemOutcome]) -> list[RedeemOutcome]:
    barrier = threading.Barrier(workers)
    results: list[RedeemOutcome] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        barrier.wait(timeout=5)
        outcome = work(index)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


class CouponUsageContract:
    """What every CouponUsage adapter must do. Override :meth:`make_usage`."""

    def make_usage(self) -> CouponUsage:
        """Return a fresh, empty usage store under test."""
        raise NotImplementedError

    def test_a_code_under_its_limit_is_redeemed_and_counted(self) -> None:
        usage = self.make_usage()
        outcome = usage.redeem(
            "SAVE10", order_id="o1", customer_id="c1", max_uses=2, max_uses_per_customer=None
        )
        assert outcome is RedeemOutcome.REDEEMED
        assert usage.uses("SAVE10") == 1
        assert usage.uses("SAVE10", "c1") == 1
        assert usage.uses("SAVE10", "c2") == 0

    def test_a_code_at_its_global_limit_is_refused_and_nothing_is_recorded(self) -> None:
        usage = self.make_usage()
        usage.redeem(
            "ONCE", order_id="o1", customer_id="c1", max_uses=1, max_uses_per_customer=None
        )
        outcome = usage.redeem(
            "ONCE", order_id="o2", customer_id="c2", max_uses=1, max_uses_per_customer=None
        )
        assert outcome is RedeemOutcome.LIMIT_REACHED
        assert usage.uses("ONCE") == 1
        assert usage.uses("ONCE", "c2") == 0

    def test_a_customer_at_the_per_customer_limit_is_refused_but_others_are_not(self) -> None:
        usage = self.make_usage()
        usage.redeem(
            "WELCOME", order_id="o1", customer_id="c1", max_uses=None, max_uses_per_customer=1
        )
        again = usage.redeem(
            "WELCOME", order_id="o2", customer_id="c1", max_uses=None, max_uses_per_customer=1
        )
        other = usage.redeem(
            "WELCOME", order_id="o3", customer_id="c2", max_uses=None, max_uses_per_customer=1
        )
        assert again is RedeemOutcome.CUSTOMER_LIMIT_REACHED
        assert other is RedeemOutcome.REDEEMED
        assert usage.uses("WELCOME") == 2

    def test_a_guest_cannot_redeem_a_code_limited_per_customer(self) -> None:
        usage = self.make_usage()
        outcomes = [
            usage.redeem(
                "WELCOME",
                order_id=f"o{i}",
                customer_id=None,
                max_uses=None,
                max_uses_per_customer=1,
            )
            for i in range(3)
        ]
        # Guests cannot be told apart: a per-customer limit needs a known customer.
        assert outcomes == [RedeemOutcome.CUSTOMER_REQUIRED] * 3
        assert usage.uses("WELCOME") == 0
        assert (
            usage.redeem(
                "OPEN", order_id="o9", customer_id=None, max_uses=5, max_uses_per_customer=None
            )
            is RedeemOutcome.REDEEMED
        )

    def test_redeeming_again_for_the_same_order_is_idempotent(self) -> None:
        usage = self.make_usage()
        first = usage.redeem(
            "ONCE", order_id="o1", customer_id=None, max_uses=1, max_uses_per_customer=None
        )
        second = usage.redeem(
            "ONCE", order_id="o1", customer_id=None, max_uses=1, max_uses_per_customer=None
        )
        assert (first, second) == (RedeemOutcome.REDEEMED, RedeemOutcome.ALREADY_REDEEMED)
        assert usage.uses("ONCE") == 1

    def test_releasing_a_use_makes_it_available_again(self) -> None:
        usage = self.make_usage()
        usage.redeem(
            "ONCE", order_id="o1", customer_id="c1", max_uses=1, max_uses_per_customer=None
        )
        assert usage.release("ONCE", order_id="o1") is True
        assert usage.uses("ONCE") == 0
        outcome = usage.redeem(
            "ONCE", order_id="o2", customer_id="c2", max_uses=1, max_uses_per_customer=None
        )
        assert outcome is RedeemOutcome.REDEEMED

    def test_releasing_twice_or_an_unknown_use_is_a_no_op(self) -> None:
        usage = self.make_usage()
        usage.redeem(
            "ONCE", order_id="o1", customer_id=None, max_uses=1, max_uses_per_customer=None
        )
        assert usage.release("ONCE", order_id="o1") is True
        assert usage.release("ONCE", order_id="o1") is False
        assert usage.release("NEVER", order_id="o9") is False
        assert usage.uses("ONCE") == 0

    def test_unknown_codes_have_no_uses(self) -> None:
        assert self.make_usage().uses("NOPE") == 0

    def test_threads_racing_for_the_last_use_exactly_one_wins(self) -> None:
        usage = self.make_usage()
        usage.redeem(
            "LAST", order_id="o0", customer_id="c0", max_uses=2, max_uses_per_customer=None
        )
        results = _race(
            8,
            lambda i: usage.redeem(
                "LAST",
                order_id=f"o{i + 1}",
                customer_id=f"c{i + 1}",
                max_uses=2,
                max_uses_per_customer=None,
            ),
        )
        assert results.count(RedeemOutcome.REDEEMED) == 1
        assert results.count(RedeemOutcome.LIMIT_REACHED) == 7
        assert usage.uses("LAST") == 2

    def test_one_customer_racing_with_many_orders_gets_only_their_allowance(self) -> None:
        usage = self.make_usage()
        results = _race(
            8,
            lambda i: usage.redeem(
                "PERCUST",
                order_id=f"o{i}",
                customer_id="c1",
                max_uses=None,
                max_uses_per_customer=1,
            ),
        )
        assert results.count(RedeemOutcome.REDEEMED) == 1
        assert usage.uses("PERCUST", "c1") == 1


class CustomerHistoryContract:
    """What every CustomerHistory adapter must do. Override :meth:`make_history`."""

    def make_history(self, previous_orders: Mapping[str, int]) -> CustomerHistory:
        """Return a history where each customer of ``previous_orders`` placed that many orders."""
        raise NotImplementedError

    def test_a_new_customer_has_no_previous_orders(self) -> None:
        history = self.make_history({"c1": 3})
        assert history.previous_orders("never-seen") == 0

    def test_a_known_customer_reports_their_order_count(self) -> None:
        history = self.make_history({"c1": 3, "c2": 1})
        assert history.previous_orders("c1") == 3
        assert history.previous_orders("c2") == 1
        assert type(history.previous_orders("c1")) is int

    def test_asking_changes_nothing(self) -> None:
        history = self.make_history({"c1": 3})
        answers = [history.previous_orders(c) for _ in range(3) for c in ("c1", "new")]
        assert answers == [3, 0] * 3

    def test_eight_threads_asking_at_once_get_the_same_answer(self) -> None:
        history = self.make_history({"c1": 3})
        answers = race(8, lambda _: [history.previous_orders("c1") for _ in range(50)])
        assert all(a == 3 for batch in answers for a in batch)
