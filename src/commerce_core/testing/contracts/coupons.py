"""Contract suite for the :class:`~commerce_core.ports.checkout.CouponRedeemer` port."""

from __future__ import annotations

from collections.abc import Mapping

from commerce_core.ports.checkout import CouponRedeemer
from commerce_core.testing.contracts._threads import race

__all__ = ["CouponRedeemerContract"]


class CouponRedeemerContract:
    """What every CouponRedeemer adapter must do. Override :meth:`make_redeemer`."""

    def make_redeemer(self, max_uses: Mapping[str, int]) -> CouponRedeemer:
        """Return a redeemer knowing each code of ``max_uses`` (upper case) with that limit.

        No use is held yet; codes have no per-customer limit.
        """
        raise NotImplementedError

    def test_a_code_under_its_limit_is_redeemed(self) -> None:
        redeemer = self.make_redeemer({"SAVE5": 2})
        outcome = redeemer.redeem_codes(["SAVE5"], order_id="o1", customer_id="c1")
        assert outcome.ok
        assert outcome.failed_code is None

    def test_redeeming_again_for_the_same_order_is_ok_and_counts_once(self) -> None:
        redeemer = self.make_redeemer({"ONCE": 1})
        assert redeemer.redeem_codes(["ONCE"], order_id="o1", customer_id=None).ok
        assert redeemer.redeem_codes(["ONCE"], order_id="o1", customer_id=None).ok
        late = redeemer.redeem_codes(["ONCE"], order_id="o2", customer_id=None)
        assert not late.ok
        assert late.failed_code == "ONCE"
        assert late.reason

    def test_redeeming_several_codes_is_all_or_nothing(self) -> None:
        redeemer = self.make_redeemer({"AAA": 1, "BBB": 1})
        assert redeemer.redeem_codes(["BBB"], order_id="o0", customer_id=None).ok
        outcome = redeemer.redeem_codes(["AAA", "BBB"], order_id="o1", customer_id=None)
        assert not outcome.ok
        assert outcome.failed_code == "BBB"
        # o1 holds nothing: it has nothing to give back, and AAA's one use is still free
        assert redeemer.release_codes(["AAA", "BBB"], order_id="o1") == ()
        assert redeemer.redeem_codes(["AAA"], order_id="o2", customer_id=None).ok

    def test_a_failed_redemption_leaves_the_order_holding_exactly_what_it_held_before(
        self,
    ) -> None:
        redeemer = self.make_redeemer({"AAA": 1, "BBB": 1})
        assert redeemer.redeem_codes(["AAA"], order_id="o1", customer_id=None).ok
        assert redeemer.redeem_codes(["BBB"], order_id="o0", customer_id=None).ok
        outcome = redeemer.redeem_codes(["AAA", "BBB"], order_id="o1", customer_id=None)
        assert not outcome.ok
        assert outcome.failed_code == "BBB"
        # o1 still holds AAA (held before the call, so not this call's to give back)...
        assert not redeemer.redeem_codes(["AAA"], order_id="o2", customer_id=None).ok
        # ...and BBB is still o0's alone
        assert redeemer.release_codes(["AAA", "BBB"], order_id="o1") == ("AAA",)
        assert redeemer.redeem_codes(["AAA"], order_id="o2", customer_id=None).ok

    def test_a_redemption_leaves_codes_held_from_an_earlier_call_and_not_named_alone(
        self,
    ) -> None:
        """A redeem call only takes uses; dropping a code is ``release_codes``' job."""
        redeemer = self.make_redeemer({"AAA": 1, "BBB": 1})
        assert redeemer.redeem_codes(["AAA"], order_id="o1", customer_id=None).ok
        assert redeemer.redeem_codes(["BBB"], order_id="o1", customer_id=None).ok
        assert not redeemer.redeem_codes(["AAA"], order_id="o2", customer_id=None).ok
        assert sorted(redeemer.release_codes(["AAA", "BBB"], order_id="o1")) == ["AAA", "BBB"]

    def test_releasing_gives_the_uses_back_once(self) -> None:
        redeemer = self.make_redeemer({"AAA": 1, "BBB": 1})
        assert redeemer.redeem_codes(["AAA", "BBB"], order_id="o1", customer_id=None).ok
        assert sorted(redeemer.release_codes(["AAA", "BBB"], order_id="o1")) == ["AAA", "BBB"]
        assert redeemer.release_codes(["AAA", "BBB"], order_id="o1") == ()
        assert redeemer.redeem_codes(["AAA", "BBB"], order_id="o2", customer_id=None).ok

    def test_releasing_codes_an_order_never_held_releases_nothing(self) -> None:
        redeemer = self.make_redeemer({"AAA": 1})
        assert redeemer.redeem_codes(["AAA"], order_id="o1", customer_id=None).ok
        assert redeemer.release_codes(["AAA"], order_id="o2") == ()
        assert not redeemer.redeem_codes(["AAA"], order_id="o3", customer_id=None).ok

    def test_of_eight_orders_racing_for_the_last_use_exactly_one_wins(self) -> None:
        redeemer = self.make_redeemer({"LAST": 1})
        outcomes = race(
            8, lambda i: redeemer.redeem_codes(["LAST"], order_id=f"o{i}", customer_id=f"c{i}")
        )
        assert sum(o.ok for o in outcomes) == 1

    def test_racing_for_two_scarce_codes_gives_both_to_one_order_or_none(self) -> None:
        redeemer = self.make_redeemer({"AAA": 1, "BBB": 1})
        outcomes = race(
            8,
            lambda i: (
                i,
                redeemer.redeem_codes(["BBB", "AAA"], order_id=f"o{i}", customer_id=None),
            ),
        )
        winners = [i for i, o in outcomes if o.ok]
        assert len(winners) == 1
        losers = [i for i, o in outcomes if not o.ok]
        assert all(redeemer.release_codes(["AAA", "BBB"], order_id=f"o{i}") == () for i in losers)
        released = redeemer.release_codes(["AAA", "BBB"], order_id=f"o{winners[0]}")
        assert sorted(released) == ["AAA", "BBB"]
