"""The whole exception hierarchy of commerce_core.

Every error the library raises derives from :class:`CommerceError` and carries the facts of the
failure as attributes (never only in the message), so a host can map it to an HTTP status, a form
error or a retry. Where a builtin says the same thing, the error also subclasses it
(:class:`ValueError` for bad input, :class:`LookupError` for unknown things), so generic handlers
keep working.

Expected business outcomes (a declined card, a coupon that does not apply) are *values*, not
exceptions; errors are for misuse and impossible requests.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CommerceError",
    "CurrencyMismatchError",
    "InvalidAmountError",
    "UnknownCurrencyError",
    "AllocationError",
    "InvalidQuantityError",
    "NotFoundError",
    "ConcurrencyConflictError",
    "InvalidTransitionError",
    "InvalidTableError",
    # region inventory-all
    # endregion inventory-all
    # region cart-all
    # endregion cart-all
    # region promotions-all
    "PromotionDefinitionError",
    "InvalidPercentageError",
    "NegativeAmountError",
    "EmptyTargetError",
    "ConflictingPromotionError",
    "UnknownPromotionError",
    "InvalidCouponCodeError",
    "DuplicateCouponCodeError",
    "UnknownCouponError",
    "CodeGenerationError",
    # endregion promotions-all
    # region orders-all
    # endregion orders-all
    # region payments-all
    # endregion payments-all
    # region analytics-all
    # endregion analytics-all
]


class CommerceError(Exception):
    """Root of every error raised by commerce_core."""


# --- money -------------------------------------------------------------------------------------


class CurrencyMismatchError(CommerceError, ValueError):
    """Two amounts that must share a currency do not.

    Attributes:
        expected: the currency code the operation works in.
        actual: the currency code that was given.
    """

    def __init__(self, expected: str, actual: str, *, context: str = "") -> None:
        self.expected = expected
        self.actual = actual
        self.context = context
        where = f" in {context}" if context else ""
        super().__init__(f"currency mismatch{where}: expected {expected}, got {actual}")


class InvalidAmountError(CommerceError, ValueError):
    """An amount cannot be used as money (a float, NaN, infinity, or not on the currency grid).

    Attributes:
        value: the offending value (its ``repr``).
        reason: why it was refused.
    """

    def __init__(self, value: object, reason: str) -> None:
        self.value = repr(value)
        self.reason = reason
        super().__init__(f"invalid amount {self.value}: {reason}")


class UnknownCurrencyError(CommerceError, LookupError):
    """A currency code is not an ISO 4217 currency known to py-moneyed.

    Attributes:
        code: the unknown code.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"unknown currency {code!r}")


class AllocationError(CommerceError, ValueError):
    """An amount cannot be split with the given weights (none, negative, or all zero).

    Attributes:
        weights: the weights as given (their ``repr``).
        reason: why the split is impossible.
    """

    def __init__(self, weights: Sequence[object], reason: str) -> None:
        self.weights = tuple(repr(w) for w in weights)
        self.reason = reason
        super().__init__(f"cannot allocate: {reason}")


# --- shared by every capability ------------------------------------------------------------------


class InvalidQuantityError(CommerceError, ValueError):
    """A quantity is not a positive whole number (or breaks a quantity rule).

    Attributes:
        quantity: the offending quantity.
        reason: the rule it breaks.
    """

    def __init__(
        self, quantity: object, reason: str = "quantity must be a positive integer"
    ) -> None:
        self.quantity = quantity
        self.reason = reason
        super().__init__(f"invalid quantity {quantity!r}: {reason}")


class NotFoundError(CommerceError, LookupError):
    """Something looked up by key does not exist.

    Attributes:
        kind: what was looked up (``"cart"``, ``"sku"``, ``"order"``...).
        key: the key that was not found.
    """

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"unknown {kind} {key!r}")


class ConcurrencyConflictError(CommerceError):
    """Saving an aggregate lost an optimistic-concurrency race.

    Someone saved a newer version since this copy was loaded. Reload and retry the use case.

    Attributes:
        kind: the aggregate type (``"cart"``, ``"order"``...).
        key: the aggregate id.
        expected_version: the version this copy was loaded at.
        actual_version: the version found in the store.
    """

    def __init__(self, kind: str, key: str, expected_version: int, actual_version: int) -> None:
        self.kind = kind
        self.key = key
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"{kind} {key!r} was modified concurrently: loaded at version {expected_version}, "
            f"store has version {actual_version}"
        )


class InvalidTransitionError(CommerceError):
    """A state machine was asked for a transition its table does not allow.

    Attributes:
        machine: which state machine (``"order"``, ``"payment"``, ``"reservation"``...).
        current: the current state's value.
        requested: the requested state's value.
        allowed: the states reachable from ``current``.
        reason: an optional guard explanation.
    """

    def __init__(
        self,
        machine: str,
        current: str,
        requested: str,
        allowed: Sequence[str],
        reason: str = "",
    ) -> None:
        self.machine = machine
        self.current = current
        self.requested = requested
        self.allowed = tuple(allowed)
        self.reason = reason
        because = f": {reason}" if reason else ""
        super().__init__(
            f"{machine} cannot go from {current!r} to {requested!r}{because} "
            f"(allowed: {', '.join(self.allowed) or 'none'})"
        )


class InvalidTableError(CommerceError, ValueError):
    """A state machine's transition table is malformed.

    Attributes:
        machine: the lifecycle's name.
        reason: what is wrong (unreachable state, terminal state with exits...).
    """

    def __init__(self, machine: str, reason: str) -> None:
        self.machine = machine
        self.reason = reason
        super().__init__(f"invalid {machine} transition table: {reason}")


# region inventory
# endregion inventory

# region cart
# endregion cart

# region promotions


class PromotionDefinitionError(CommerceError, ValueError):
    """A promotion or coupon is defined in a way that can never work (raised at definition time).

    Attributes:
        field: the offending field (``"percent"``, ``"get_quantity"``, ``"targets"``...).
        reason: the rule it breaks.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"invalid promotion {field}: {reason}")


class InvalidPercentageError(PromotionDefinitionError):
    """A percentage is outside 0..100.

    Attributes:
        percent: the offending value (as a string).
    """

    def __init__(self, field: str, percent: object) -> None:
        self.percent = str(percent)
        super().__init__(field, f"percentage {percent} is outside 0..100")


class NegativeAmountError(PromotionDefinitionError):
    """An amount or a count in a promotion is negative (or zero where it must be positive).

    Attributes:
        value: the offending value (as a string).
    """

    def __init__(self, field: str, value: object, reason: str = "must not be negative") -> None:
        self.value = str(value)
        super().__init__(field, f"{value} {reason}")


class EmptyTargetError(PromotionDefinitionError):
    """A product selector selects nothing (no SKU, category or tag and not "every product")."""

    def __init__(self, field: str = "targets") -> None:
        super().__init__(field, "the target set is empty; use Selector.everything() for all lines")


class ConflictingPromotionError(PromotionDefinitionError):
    """Parts of a promotion contradict each other (get-quantity 0, tiers out of order...)."""


class UnknownPromotionError(CommerceError, LookupError):
    """A coupon or request names a promotion that is not defined.

    Attributes:
        promotion_id: the unknown id.
    """

    def __init__(self, promotion_id: str) -> None:
        self.promotion_id = promotion_id
        super().__init__(f"unknown promotion {promotion_id!r}")


class InvalidCouponCodeError(CommerceError, ValueError):
    """A coupon code is empty or uses characters codes may not contain.

    Attributes:
        code: the code as given.
        reason: the rule it breaks.
    """

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"invalid coupon code {code!r}: {reason}")


class DuplicateCouponCodeError(CommerceError, ValueError):
    """Two coupons normalise to the same code.

    Attributes:
        code: the normalised code.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"coupon code {code!r} is defined twice")


class UnknownCouponError(CommerceError, LookupError):
    """An operation that needs an existing coupon (redeem, release) was given an unknown code.

    (Pricing never raises this: an unknown code in a cart is a ``CodeRejection`` value.)

    Attributes:
        code: the normalised code.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"unknown coupon code {code!r}")


class CodeGenerationError(CommerceError, ValueError):
    """Bulk code generation cannot produce the requested number of unique codes.

    Attributes:
        requested: how many codes were asked for.
        reason: why it is impossible (alphabet too small, too many collisions...).
    """

    def __init__(self, requested: int, reason: str) -> None:
        self.requested = requested
        self.reason = reason
        super().__init__(f"cannot generate {requested} codes: {reason}")


# endregion promotions

# region orders
# endregion orders

# region payments
# endregion payments

# region analytics
# endregion analytics
