"""Checkout ports: the durable checkout log, and the coupon seam checkout redeems through."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from commerce_core.domain.checkout import CheckoutAttempt

__all__ = ["CheckoutLog", "CouponRedeemer", "CouponRedemptionOutcome"]


@runtime_checkable
class CheckoutLog(Protocol):
    """Stores checkout attempts: the idempotency record and the crash-recovery journal.

    **Atomicity.** :meth:`begin` is one atomic operation (an ``INSERT`` guarded by a unique key on
    the checkout id and a partial unique index on the cart id of unfinished attempts in SQL): of
    concurrent callers with the same checkout id exactly one creates the attempt and the others
    get the stored one; while an attempt for a cart is unfinished (not succeeded nor failed),
    beginning another attempt for that cart raises ``CheckoutInProgressError``.

    **Versions.** :meth:`save` stores the attempt only if the stored version equals
    ``attempt.version`` and then increments ``attempt.version``; otherwise it raises
    ``ConcurrencyConflictError`` and stores nothing. So two processes (a checkout and a recovery
    run) can never both act on one attempt: the loser of the version race stops.

    **Durability.** A save that returned is durable: after a crash :meth:`unfinished` lists
    every attempt not saved as succeeded or failed. Loaded attempts are independent copies.

    **Optional lookup.** An adapter may also offer ``find(checkout_id)``, returning the attempt
    as :meth:`get` does, or ``None`` where :meth:`get` raises ``NotFoundError``: the checkout
    service then uses it to look up each new key (a new key is the common case, and an
    exception per checkout costs more than the lookup). Without it, the service uses :meth:`get`.
    """

    def begin(self, attempt: CheckoutAttempt) -> tuple[CheckoutAttempt, bool]:
        """Store a new attempt, or return the one stored under its checkout id.

        Returns ``(stored, created)``; when ``created`` the given attempt was stored (its
        ``version`` is now 1); otherwise ``stored`` is the earlier attempt, unchanged (compare
        fingerprints).

        Raises:
            CheckoutInProgressError: another unfinished attempt holds the same cart.
        """
        ...

    def get(self, checkout_id: str) -> CheckoutAttempt:
        """The attempt ``checkout_id``.

        Raises:
            NotFoundError: no such attempt (kind ``"checkout"``).
        """
        ...

    def save(self, attempt: CheckoutAttempt) -> None:
        """Store a changed attempt (see the version rule); a terminal status frees its cart.

        Raises:
            ConcurrencyConflictError: the stored version is not ``attempt.version``.
            NotFoundError: the attempt was never begun.
        """
        ...

    def unfinished(self) -> tuple[CheckoutAttempt, ...]:
        """Every attempt neither succeeded nor failed, least recently updated first."""
        ...

    def unannounced(self) -> tuple[CheckoutAttempt, ...]:
        """Every succeeded or failed attempt not marked ``announced``, least recently updated first.

        Recovery emits their outcome event (``OrderPlaced`` / ``PaymentFailed``) and saves them
        marked. In SQL: a partial index on terminal attempts where ``announced`` is false.
        """
        ...


@runtime_checkable
class CouponRedemptionOutcome(Protocol):
    """What redeeming an order's codes did (promotions' ``CouponRedemption`` satisfies it)."""

    @property
    def ok(self) -> bool:
        """Whether every code now holds a use for the order."""
        ...

    @property
    def failed_code(self) -> str | None:
        """The code that could not be redeemed."""
        ...

    @property
    def reason(self) -> str | None:
        """Why (``"limit_reached"``)."""
        ...


@runtime_checkable
class CouponRedeemer(Protocol):
    """Takes and gives back coupon uses for a checkout (promotions' ``PromotionEngine``).

    ``redeem_codes`` is atomic and all-or-nothing per call: either every code holds one use for
    ``order_id`` afterwards, or the order holds exactly what it held before the call (uses
    taken by this call are given back; codes it already held stay held). Codes held from an
    earlier call and not named are left alone (release them with ``release_codes``). Of
    concurrent callers racing for a code's last use exactly one succeeds. Both methods are
    idempotent per ``order_id``: redeeming again returns ``ok`` without counting twice,
    releasing again releases nothing.
    """

    def redeem_codes(
        self, codes: Iterable[str], *, order_id: str, customer_id: str | None
    ) -> CouponRedemptionOutcome:
        """Take one use of each code for ``order_id`` (all or nothing)."""
        ...

    def release_codes(self, codes: Iterable[str], *, order_id: str) -> tuple[str, ...]:
        """Give back the uses ``order_id`` holds; return the codes released."""
        ...
