"""In-memory promotion adapters: coupon usage, customer history, random sources."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from commerce_core.domain.coupons import RedeemOutcome

__all__ = [
    "InMemoryCouponUsage",
    "InMemoryCustomerHistory",
]


class InMemoryCouponUsage:
    """Thread-safe coupon usage: one lock makes each redeem a single conditional write."""

    def __init__(self) -> None:
        self._uses: dict[str, dict[str, str | None]] = {}
        self._lock = threading.Lock()

    def redeem(
        self,
        code: str,
        *,
        order_id: str,
        customer_id: str | None,
        max_uses: int | None,
        max_uses_per_customer: int | None,
    ) -> RedeemOutcome:
        """Record a use if under both limits (see :class:`~commerce_core.ports.CouponUsage`)."""
        with self._lock:
            holders = self._uses.setdefault(code, {})
            if order_id in holders:
                return RedeemOutcome.ALREADY_REDEEMED
            if max_uses_per_customer is not None and customer_id is None:
                return RedeemOutcome.CUSTOMER_REQUIRED
            if max_uses is not None and len(holders) >= max_uses:
                return RedeemOutcome.LIMIT_REACHED
            if max_uses_per_customer is not None:
                mine = sum(1 for c in holders.values() if c == customer_id)
                if mine >= max_uses_per_customer:
                    return RedeemOutcome.CUSTOMER_LIMIT_REACHED
            holders[order_id] = customer_id
            return RedeemOutcome.REDEEMED

    def release(self, code: str, *, order_id: str) -> bool:
        """Give back ``order_id``'s use; idempotent."""
        with self._lock:
            return self._uses.get(code, {}).pop(order_id, _MISSING) is not _MISSING

    def uses(self, code: str, customer_id: str | None = None) -> int:
        """Current uses, in total or by one customer."""
        with self._lock:
            holders = self._uses.get(code, {})
            if customer_id is None:
                return len(holders)
            return sum(1 for c in holders.values() if c == customer_id)


_MISSING = object()


class InMemoryCustomerHistory:
    """Order counts per customer, set by tests and demos."""

    def __init__(self, counts: Mapping[str, int] | None = None) -> None:
        self._counts = dict(counts or {})
        self._lock = threading.Lock()

    def previous_orders(self, customer_id: str) -> int:
        """Orders placed before (0 when unknown)."""
        with self._lock:
            return self._counts.get(customer_id, 0)

    def record_order(self, customer_id: str) -> None:
        """Count one more order for ``customer_id``."""
        with self._lock:
            self._counts[customer_id] = self._counts.get(customer_id, 0) + 1
