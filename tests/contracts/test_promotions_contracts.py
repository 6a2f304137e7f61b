from __future__ import annotations

from commerce_core.adapters.memory import InMemoryCouponUsage
from commerce_core.ports.promotions import CouponUsage
from commerce_core.testing.contracts import CouponUsageContract


class TestInMemoryCouponUsage(CouponUsageContract):
    def make_usage(self) -> CouponUsage:
        return InMemoryCouponUsage()
