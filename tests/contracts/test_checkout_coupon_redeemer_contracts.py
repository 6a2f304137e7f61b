from __future__ import annotations

from collections.abc import Mapping

from commerce_core.adapters.memory import InMemoryCouponUsage
from commerce_core.domain.coupons import Coupon
from commerce_core.domain.promotions import AmountOffOrder, Promotion, PromotionBook
from commerce_core.money import money
from commerce_core.ports.checkout import CouponRedeemer
from commerce_core.services.promotions import PromotionEngine
from commerce_core.testing.contracts import CouponRedeemerContract


class TestPromotionEngineRedeemer(CouponRedeemerContract):
    def make_redeemer(self, max_uses: Mapping[str, int]) -> CouponRedeemer:
        promotion = Promotion(
            id="five-off",
            name="5 off",
            benefit=AmountOffOrder(money("5.00", "EUR")),
            requires_code=True,
        )
        coupons = [
            Coupon(code=code, promotion_id="five-off", max_uses=limit)
            for code, limit in max_uses.items()
        ]
        return PromotionEngine(PromotionBook([promotion], coupons), usage=InMemoryCouponUsage())
