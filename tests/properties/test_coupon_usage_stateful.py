"""CouponUsage against a plain model: redeem/release sequences never break the limits."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from commerce_core import RedeemOutcome
from commerce_core.adapters.memory import InMemoryCouponUsage

CODES = st.sampled_from(["A", "B"])
ORDERS = st.sampled_from([f"o{i}" for i in range(6)])
CUSTOMERS = st.sampled_from(["c1", "c2", "c3"])
LIMITS = {"A": (3, 1), "B": (2, None)}  # code -> (max uses, max per customer)


class CouponUsageMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.usage = InMemoryCouponUsage()
        self.model: dict[str, dict[str, str]] = {"A": {}, "B": {}}

    @rule(code=CODES, order=ORDERS, customer=CUSTOMERS)
    def redeem(self, code: str, order: str, customer: str) -> None:
        max_uses, per_customer = LIMITS[code]
        holders = self.model[code]
        if order in holders:
            expected = RedeemOutcome.ALREADY_REDEEMED
        elif len(holders) >= max_uses:
            expected = RedeemOutcome.LIMIT_REACHED
        elif per_customer is not None and list(holders.values()).count(customer) >= per_customer:
            expected = RedeemOutcome.CUSTOMER_LIMIT_REACHED
        else:
            expected = RedeemOutcome.REDEEMED
            holders[order] = customer
        outcome = self.usage.redeem(
            code,
            order_id=order,
            customer_id=customer,
            max_uses=max_uses,
            max_uses_per_customer=per_customer,
        )
        assert outcome is expected

    @rule(code=CODES, order=ORDERS)
    def release(self, code: str, order: str) -> None:
        expected = self.model[code].pop(order, None) is not None
        assert self.usage.release(code, order_id=order) is expected

    @invariant()
    def counts_match_the_model_and_stay_within_limits(self) -> None:
        for code, holders in self.model.items():
            assert self.usage.uses(code) == len(holders) <= LIMITS[code][0]
            for customer in ("c1", "c2", "c3"):
                assert self.usage.uses(code, customer) == list(holders.values()).count(customer)


TestCouponUsageMachine = CouponUsageMachine.TestCase
TestCouponUsageMachine.settings = settings(max_examples=40, stateful_step_count=25)
