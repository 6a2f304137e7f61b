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
    "UnknownSkuError",
    "PriceNotFoundError",
    "QuantityRuleError",
    "CartLimitError",
    "StockUnavailableError",
    "CartNotActiveError",
    "RecoveryTokenError",
    "InvalidTaxRateError",
    "UnknownJurisdictionError",
    "ShippingUnavailableError",
    "PricingError",
    "InvalidCatalogItemError",
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


class UnknownSkuError(NotFoundError):
    """A SKU is not in the catalog.

    Attributes:
        sku: the unknown SKU (also ``key``; ``kind`` is ``"sku"``).
    """

    def __init__(self, sku: str) -> None:
        self.sku = sku
        super().__init__("sku", sku)


class PriceNotFoundError(CommerceError, LookupError):
    """A catalog item has no price in a currency (for a price list, nor in the default list).

    Attributes:
        sku: the item.
        currency: the currency asked for.
        price_list: the price list asked for.
    """

    def __init__(self, sku: str, currency: str, price_list: str) -> None:
        self.sku = sku
        self.currency = currency
        self.price_list = price_list
        super().__init__(f"no {currency} price for {sku!r} in price list {price_list!r}")


class InvalidCatalogItemError(CommerceError, ValueError):
    """A catalog item is malformed (no price, a negative weight, a bad quantity rule...).

    Attributes:
        sku: the item.
        reason: what is wrong.
    """

    def __init__(self, sku: str, reason: str) -> None:
        self.sku = sku
        self.reason = reason
        super().__init__(f"invalid catalog item {sku!r}: {reason}")


class QuantityRuleError(InvalidQuantityError):
    """A quantity breaks an item's quantity rule (minimum, maximum or step).

    Attributes:
        sku: the item.
        quantity: the refused quantity.
        minimum: the smallest quantity allowed.
        maximum: the largest quantity allowed (None: no maximum).
        step: quantities must be ``minimum + k * step``.
    """

    def __init__(
        self, sku: str, quantity: int, minimum: int, maximum: int | None, step: int
    ) -> None:
        self.sku = sku
        self.minimum = minimum
        self.maximum = maximum
        self.step = step
        upper = f", at most {maximum}" if maximum is not None else ""
        super().__init__(quantity, f"{sku!r} is sold from {minimum}{upper}, in steps of {step}")


class CartLimitError(CommerceError, ValueError):
    """A cart limit would be exceeded (lines per cart, quantity per line).

    Attributes:
        cart_id: the cart.
        limit: which limit (``"max_lines"``, ``"max_quantity_per_line"``).
        maximum: the limit's value.
        requested: what was asked for.
    """

    def __init__(self, cart_id: str, limit: str, maximum: int, requested: int) -> None:
        self.cart_id = cart_id
        self.limit = limit
        self.maximum = maximum
        self.requested = requested
        super().__init__(f"cart {cart_id!r}: {limit} is {maximum}, {requested} requested")


class StockUnavailableError(CommerceError, ValueError):
    """A cart asked for more units than can be sold now (a stock check, not a reservation).

    Attributes:
        sku: the item.
        requested: the quantity the line would hold.
        available: units sellable now (including allowed backorders).
    """

    def __init__(self, sku: str, requested: int, available: int) -> None:
        self.sku = sku
        self.requested = requested
        self.available = available
        super().__init__(f"only {available} of {sku!r} available, {requested} requested")


class CartNotActiveError(CommerceError, ValueError):
    """A cart that is not active (checked out, merged, expired...) was asked to change.

    Attributes:
        cart_id: the cart.
        status: its current status.
    """

    def __init__(self, cart_id: str, status: str) -> None:
        self.cart_id = cart_id
        self.status = status
        super().__init__(f"cart {cart_id!r} is {status}, not active")


class RecoveryTokenError(CommerceError, ValueError):
    """A cart recovery token is malformed, unknown, used or expired.

    Attributes:
        reason: why it was refused (never echoes the secret).
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cart recovery refused: {reason}")


class InvalidTaxRateError(CommerceError, ValueError):
    """A tax rate, jurisdiction or exemption is malformed (a float rate, naive dates...).

    Attributes:
        value: the offending value (its ``repr``).
        reason: what is wrong.
    """

    def __init__(self, value: object, reason: str) -> None:
        self.value = repr(value)
        self.reason = reason
        super().__init__(f"invalid tax rate {self.value}: {reason}")


class UnknownJurisdictionError(CommerceError, LookupError):
    """No tax rate matches a destination and tax class, and the table has no default.

    Attributes:
        country: the destination country ("" when none was given).
        region: the destination region.
        tax_class: the tax class asked for.
        reason: details.
    """

    def __init__(self, country: str, region: str, tax_class: str, *, reason: str = "") -> None:
        self.country = country
        self.region = region
        self.tax_class = tax_class
        self.reason = reason
        where = "/".join(p for p in (country, region) if p) or "no destination"
        super().__init__(f"no tax rate for class {tax_class!r} at {where}: {reason}")


class ShippingUnavailableError(CommerceError, ValueError):
    """A shipping method was chosen that cannot ship this cart (unknown, restricted...).

    Attributes:
        method: the method code.
        reason: why it is unavailable.
    """

    def __init__(self, method: str, reason: str) -> None:
        self.method = method
        self.reason = reason
        super().__init__(f"shipping method {method!r} unavailable: {reason}")


class PricingError(CommerceError, ValueError):
    """The pricing pipeline got inconsistent input (an adjustment for an unknown line...).

    Attributes:
        reason: what is inconsistent.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cannot price: {reason}")


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
