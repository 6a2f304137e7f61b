"""Promotion ports: coupon usage counting, customer order history, and a random source."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from commerce_core.domain.coupons import RedeemOutcome

__all__ = ["CouponUsage", "CustomerHistory"]


@runtime_checkable
class CouponUsage(Protocol):
    """Counts coupon uses; the one place a coupon's usage limits are enforced.

    A use is identified by ``(code, order_id)``. Codes are passed normalised.

    Atomicity: :meth:`redeem` is one conditional write (``INSERT ... WHERE uses < limit`` in a
    database): under any number of concurrent callers racing for the last use, exactly one gets
    ``REDEEMED``. Idempotency: redeeming the same ``(code, order_id)`` again returns
    ``ALREADY_REDEEMED`` without counting twice; releasing an unknown or already released use is a
    no-op returning ``False``. No method raises for an unknown code: usage is just zero.
    """

    def redeem(
        self,
        code: str,
        *,
        order_id: str,
        customer_id: str | None,
        max_uses: int | None,
        max_uses_per_customer: int | None,
    ) -> RedeemOutcome:
        """Record one use of ``code`` for ``order_id`` if under both limits (``None``: no limit).

        Returns ``REDEEMED``, ``ALREADY_REDEEMED`` (this order already holds a use),
        ``CUSTOMER_REQUIRED`` (a per-customer limit is set but ``customer_id`` is ``None``: a
        guest cannot use a per-customer-limited code), ``LIMIT_REACHED`` or
        ``CUSTOMER_LIMIT_REACHED``; nothing is recorded unless ``REDEEMED``.
        """
        ...

    def release(self, code: str, *, order_id: str) -> bool:
        """Give back the use ``order_id`` holds (checkout failed, order cancelled).

        Returns whether a use was released; idempotent.
        """
        ...

    def uses(self, code: str, customer_id: str | None = None) -> int:
        """Current uses of ``code`` in total, or by ``customer_id`` when given."""
        ...


@runtime_checkable
class CustomerHistory(Protocol):
    """What promotions may know about a customer's past (first / n-th order conditions)."""

    def previous_orders(self, customer_id: str) -> int:
        """How many orders ``customer_id`` placed before (0 for a new customer). Read-only."""
        ...
