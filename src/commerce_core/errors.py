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
    "InvalidRoundingPolicyError",
    "InvalidQuantityError",
    "NotFoundError",
    "ConcurrencyConflictError",
    "InvalidTransitionError",
    "InvalidTableError",
    # region inventory-all
    "UnknownSkuError",
    "UnknownLocationError",
    "ReservationNotFoundError",
    "InsufficientStockError",
    "ReservationConflictError",
    "InvalidReservationError",
    "ReservationExpiredError",
    "InvalidInventoryValueError",
    "UnknownIncomingStockError",
    # endregion inventory-all
    # region cart-all
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
    "CartMergeError",
    "ActiveCartConflictError",
    "InvalidCartSettingError",
    "InvalidShippingRuleError",
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
    "NoOpBenefitError",
    "InvalidPromotionQuantityError",
    "CouponForAutomaticPromotionError",
    # endregion promotions-all
    # region orders-all
    "OrderError",
    "InvalidOrderError",
    "ShipmentQuantityError",
    "CancellationQuantityError",
    "ReturnQuantityError",
    "RefundExceedsRefundableError",
    "PaymentFactRejectedError",
    # endregion orders-all
    # region payments-all
    "PaymentError",
    "InvalidCardError",
    "RawCardDataError",
    "OverCaptureError",
    "OverRefundError",
    "IdempotencyKeyReuseError",
    "IdempotencyInProgressError",
    "InvalidWebhookSignatureError",
    "TransactionLogCorruptError",
    "InvalidWebhookPayloadError",
    "InvalidCheckoutError",
    "CheckoutInProgressError",
    "InvalidPaymentSettingError",
    # endregion payments-all
    # region analytics-all
    "InvalidAnalyticsEventError",
    "MalformedEventLineError",
    "InvalidTimeRangeError",
    "UnknownTimeZoneError",
    "InvalidSpendError",
    "UnknownBucketError",
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


class InvalidRoundingPolicyError(CommerceError, ValueError):
    """A rounding policy names a mode or level that does not exist.

    Attributes:
        field: ``"mode"`` or ``"level"``.
        value: the offending value (its ``repr``).
        reason: what would have been accepted.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = repr(value)
        self.reason = reason
        super().__init__(f"invalid rounding {field} {self.value}: {reason}")


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


class UnknownSkuError(NotFoundError):
    """A SKU is unknown: not in the catalog, or never defined in an inventory store.

    Attributes:
        sku: the unknown SKU (also ``key``; ``kind`` is ``"sku"``).
    """

    def __init__(self, sku: str) -> None:
        self.sku = sku
        super().__init__("sku", sku)


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


class UnknownLocationError(NotFoundError):
    """An inventory operation names a stock location that was never defined in the store.

    Attributes:
        kind: always ``"location"``.
        key: the unknown location id.
    """

    def __init__(self, location: str) -> None:
        super().__init__("location", location)


class ReservationNotFoundError(NotFoundError):
    """No reservation exists under the given id.

    Attributes:
        kind: always ``"reservation"``.
        key: the unknown reservation id.
    """

    def __init__(self, reservation_id: str) -> None:
        super().__init__("reservation", reservation_id)


class InsufficientStockError(CommerceError):
    """Stock that an operation needs is not there.

    Raised by ``ReserveOutcome.unwrap()`` when a reservation could not be made, and by stock
    decreases (write-off, count correction, settling a backorder) that would take away units
    promised to live reservations or more units than are on hand.

    Attributes:
        sku: the SKU that is short.
        requested: the units the operation needed.
        available: the units it could have used.
        location: the location concerned, when the shortage is at one location.
    """

    def __init__(self, sku: str, requested: int, available: int, location: str = "") -> None:
        self.sku = sku
        self.requested = requested
        self.available = available
        self.location = location
        where = f" at {location!r}" if location else ""
        super().__init__(
            f"not enough stock of {sku!r}{where}: requested {requested}, available {available}"
        )


class ReservationConflictError(CommerceError, ValueError):
    """A reservation id is reused with different lines.

    Reserving again with the same id and the *same* lines is an idempotent replay; different lines
    need ``replace`` (which swaps them atomically).

    Attributes:
        reservation_id: the id that is already taken.
        existing: the existing lines as ``{sku: quantity}``.
        requested: the requested lines as ``{sku: quantity}``.
    """

    def __init__(
        self, reservation_id: str, existing: dict[str, int], requested: dict[str, int]
    ) -> None:
        self.reservation_id = reservation_id
        self.existing = dict(existing)
        self.requested = dict(requested)
        super().__init__(
            f"reservation {reservation_id!r} already holds {self.existing}; "
            f"use replace() to change it to {self.requested}"
        )


class InvalidReservationError(CommerceError, ValueError):
    """A reservation request is malformed (no lines, empty id, expiry not after creation...).

    Attributes:
        reservation_id: the id of the request.
        reason: what is wrong.
    """

    def __init__(self, reservation_id: str, reason: str) -> None:
        self.reservation_id = reservation_id
        self.reason = reason
        super().__init__(f"invalid reservation {reservation_id!r}: {reason}")


class ReservationExpiredError(InvalidTransitionError):
    """A reservation past its expiry was asked to commit or extend.

    It is expired even if no sweep has marked it yet: its ``expires_at`` is not after ``now``.

    Attributes:
        reservation_id: the reservation.
        expires_at: when it expired (ISO string).
    """

    def __init__(self, reservation_id: str, current: str, requested: str, expires_at: str) -> None:
        self.reservation_id = reservation_id
        self.expires_at = expires_at
        super().__init__(
            "reservation",
            current,
            requested,
            (),
            reason=f"reservation {reservation_id!r} expired at {expires_at}",
        )


class InvalidInventoryValueError(CommerceError, ValueError):
    """An inventory value is malformed (an empty id, a naive time, a non-positive TTL...).

    Attributes:
        field: the offending field (``"id"``, ``"eta"``, ``"guest"``...).
        value: the offending value (its ``repr``).
        reason: the rule it breaks.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = repr(value)
        self.reason = reason
        super().__init__(f"invalid {field} {self.value}: {reason}")


class UnknownIncomingStockError(NotFoundError):
    """A receipt names an incoming-stock id that is not expected (never announced, or settled).

    Attributes:
        kind: always ``"incoming stock"``.
        key: the unknown incoming id.
    """

    def __init__(self, incoming_id: str) -> None:
        super().__init__("incoming stock", incoming_id)


# endregion inventory

# region cart


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


class CartMergeError(CommerceError, ValueError):
    """Two carts cannot be merged: the source is not a guest cart, or it is the target itself.

    Attributes:
        source_cart_id: the cart whose lines were to be taken.
        target_cart_id: the cart that was to receive them.
        reason: why the merge is refused.
    """

    def __init__(self, source_cart_id: str, target_cart_id: str, reason: str) -> None:
        self.source_cart_id = source_cart_id
        self.target_cart_id = target_cart_id
        self.reason = reason
        super().__init__(f"cannot merge cart {source_cart_id!r} into {target_cart_id!r}: {reason}")


class ActiveCartConflictError(CommerceError, ValueError):
    """The owner already has an active cart in another currency or channel.

    An owner has one active cart at a time. Keep using the existing cart, or ask
    ``open_cart(..., replace=True)`` to close it (expired) and open a new one.

    Attributes:
        cart_id: the owner's active cart.
        owner: the owner (``"guest:<token>"`` / ``"customer:<id>"``).
        currency: the active cart's currency.
        channel: the active cart's channel.
        requested_currency: the currency asked for.
        requested_channel: the channel asked for.
    """

    def __init__(
        self,
        cart_id: str,
        owner: str,
        *,
        currency: str,
        channel: str,
        requested_currency: str,
        requested_channel: str,
    ) -> None:
        self.cart_id = cart_id
        self.owner = owner
        self.currency = currency
        self.channel = channel
        self.requested_currency = requested_currency
        self.requested_channel = requested_channel
        super().__init__(
            f"{owner} already has active cart {cart_id!r} in {currency} on channel {channel!r}; "
            f"{requested_currency} on channel {requested_channel!r} was requested"
        )


class InvalidCartSettingError(CommerceError, ValueError):
    """A cart owner, cart limit or merge strategy is malformed.

    Attributes:
        field: the offending field (``"owner.id"``, ``"max_lines"``, ``"strategy"``...).
        value: the offending value (its ``repr``).
        reason: the rule it breaks.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = repr(value)
        self.reason = reason
        super().__init__(f"invalid cart {field} {self.value}: {reason}")


class InvalidShippingRuleError(CommerceError, ValueError):
    """A shipping rule is malformed (a weight band that is not a non-negative number...).

    Attributes:
        field: the offending field (``"up_to"``...).
        value: the offending value (its ``repr``).
        reason: the rule it breaks.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = repr(value)
        self.reason = reason
        super().__init__(f"invalid shipping rule {field} {self.value}: {reason}")


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


class NoOpBenefitError(PromotionDefinitionError):
    """A benefit that can never grant anything (0 % off, 0.00 off): refused, not silently inert."""

    def __init__(self, field: str, reason: str = "grants nothing") -> None:
        super().__init__(field, reason)


class InvalidPromotionQuantityError(PromotionDefinitionError, InvalidQuantityError):
    """A count in a promotion condition is below 1 (``MinQuantity(0)``, ``NthOrder(0)``).

    Both a :class:`PromotionDefinitionError` (like every other definition check) and an
    :class:`InvalidQuantityError`.

    Attributes:
        field: the offending field.
        quantity: the offending value.
        reason: the rule it breaks.
    """

    def __init__(self, field: str, quantity: object, reason: str) -> None:
        PromotionDefinitionError.__init__(self, field, reason)
        self.quantity = quantity


class CouponForAutomaticPromotionError(PromotionDefinitionError):
    """A coupon unlocks a promotion that needs no code (its limits would mean nothing).

    Attributes:
        code: the coupon code.
        promotion_id: the automatic promotion.
    """

    def __init__(self, code: str, promotion_id: str) -> None:
        self.code = code
        self.promotion_id = promotion_id
        super().__init__(
            "requires_code",
            f"coupon {code!r} unlocks {promotion_id!r}, which applies without a code",
        )


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


class OrderError(CommerceError):
    """Root of the order capability's errors.

    Attributes:
        order_id: the order the request was about.
    """

    def __init__(self, order_id: str, message: str) -> None:
        self.order_id = order_id
        super().__init__(message)


class InvalidOrderError(OrderError, ValueError):
    """An order cannot be built from the given snapshot (no lines, inconsistent totals...).

    Attributes:
        reason: what is wrong.
    """

    def __init__(self, order_id: str, reason: str) -> None:
        self.reason = reason
        super().__init__(order_id, f"invalid order {order_id!r}: {reason}")


class ShipmentQuantityError(OrderError, ValueError):
    """A shipment asks for more units of a line than remain to ship (ordered - cancelled - shipped).

    Attributes:
        line_id: the order line.
        requested: the units the shipment asked for.
        shippable: the units that could still ship.
    """

    def __init__(self, order_id: str, line_id: str, requested: int, shippable: int) -> None:
        self.line_id = line_id
        self.requested = requested
        self.shippable = shippable
        super().__init__(
            order_id,
            f"cannot ship {requested} of line {line_id!r} of order {order_id!r}: "
            f"only {shippable} left to ship",
        )


class CancellationQuantityError(OrderError, ValueError):
    """A cancellation asks for more units than are still unshipped and uncancelled.

    Shipped quantities can never be cancelled (return them instead).

    Attributes:
        line_id: the order line.
        requested: the units asked to cancel.
        cancellable: the units that can still be cancelled.
    """

    def __init__(self, order_id: str, line_id: str, requested: int, cancellable: int) -> None:
        self.line_id = line_id
        self.requested = requested
        self.cancellable = cancellable
        super().__init__(
            order_id,
            f"cannot cancel {requested} of line {line_id!r} of order {order_id!r}: "
            f"only {cancellable} are neither shipped nor cancelled",
        )


class ReturnQuantityError(OrderError, ValueError):
    """A return asks for units that were not shipped (or are already being returned).

    Attributes:
        line_id: the order line.
        requested: the units asked to return.
        returnable: shipped units not yet in a (non-rejected) return.
    """

    def __init__(self, order_id: str, line_id: str, requested: int, returnable: int) -> None:
        self.line_id = line_id
        self.requested = requested
        self.returnable = returnable
        super().__init__(
            order_id,
            f"cannot return {requested} of line {line_id!r} of order {order_id!r}: "
            f"only {returnable} shipped and not yet returned",
        )


class RefundExceedsRefundableError(OrderError, ValueError):
    """A refund asks for more than can be refunded.

    The total refunded never exceeds what was captured, a line never gives back more than it
    cost, and shipping never more than was charged for it.

    Attributes:
        requested: the amount asked for (a ``Money``).
        refundable: the most that could be refunded for that part (a ``Money``).
        part: ``"order"``, ``"shipping"`` or a line id.
    """

    def __init__(self, order_id: str, requested: object, refundable: object, part: str) -> None:
        self.requested = requested
        self.refundable = refundable
        self.part = part
        super().__init__(
            order_id,
            f"cannot refund {requested} for {part} of order {order_id!r}: "
            f"at most {refundable} is refundable",
        )


class PaymentFactRejectedError(OrderError, ValueError):
    """A payment fact does not fit the order (too large a void or capture).

    A void may release at most the open authorization; a capture at most the amount due minus
    what was already captured.

    Attributes:
        kind: ``"captured"`` or ``"voided"``.
        requested: the amount of the fact (a ``Money``).
        allowed: the most that fact could be (a ``Money``).
    """

    def __init__(self, order_id: str, kind: str, requested: object, allowed: object) -> None:
        self.kind = kind
        self.requested = requested
        self.allowed = allowed
        super().__init__(
            order_id,
            f"cannot record {kind} {requested} on order {order_id!r}: at most {allowed} fits",
        )


# endregion orders

# region payments


class PaymentError(CommerceError):
    """Root of the payment errors (misuse of a payment, not a declined card: that is a value)."""


class InvalidCardError(PaymentError, ValueError):
    """Card input that cannot be used. Never carries the card number, only a masked form.

    Attributes:
        reason: a stable code (``"luhn"``, ``"length"``, ``"brand"``, ``"cvc"``, ``"expired"``,
            ``"expiry"``, ``"characters"``).
        masked: the masked number (``"**** 4242"``) or ``""``.
    """

    def __init__(self, reason: str, masked: str = "") -> None:
        self.reason = reason
        self.masked = masked
        where = f" ({masked})" if masked else ""
        super().__init__(f"invalid card{where}: {reason}")


class RawCardDataError(PaymentError, ValueError):
    """Something that looks like a raw card number was about to cross a port.

    Only payment-method tokens may reach a gateway, a store or a log. The offending value is never
    kept; only where it was found.

    Attributes:
        field: where the card number was found (``"token"``).
    """

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"{field} looks like a raw card number; tokenize the card first")


class OverCaptureError(PaymentError, ValueError):
    """A capture would take more than the authorized amount still uncaptured.

    Attributes:
        payment_id: the payment.
        requested: the capture amount asked for (a string such as ``"30.00 EUR"``).
        capturable: what may still be captured.
    """

    def __init__(self, payment_id: str, requested: str, capturable: str) -> None:
        self.payment_id = payment_id
        self.requested = requested
        self.capturable = capturable
        super().__init__(
            f"payment {payment_id!r}: cannot capture {requested}, only {capturable} is capturable"
        )


class OverRefundError(PaymentError, ValueError):
    """A refund would return more than was captured and not yet refunded.

    Attributes:
        payment_id: the payment.
        requested: the refund amount asked for (a string such as ``"30.00 EUR"``).
        refundable: what may still be refunded.
    """

    def __init__(self, payment_id: str, requested: str, refundable: str) -> None:
        self.payment_id = payment_id
        self.requested = requested
        self.refundable = refundable
        super().__init__(
            f"payment {payment_id!r}: cannot refund {requested}, only {refundable} is refundable"
        )


class IdempotencyKeyReuseError(PaymentError, ValueError):
    """An idempotency key was reused for a different request.

    Attributes:
        key: the idempotency key.
        stored_fingerprint: the fingerprint recorded with the key.
        fingerprint: the fingerprint of the new, different request.
    """

    def __init__(self, key: str, stored_fingerprint: str, fingerprint: str) -> None:
        self.key = key
        self.stored_fingerprint = stored_fingerprint
        self.fingerprint = fingerprint
        super().__init__(f"idempotency key {key!r} was already used for a different request")


class IdempotencyInProgressError(PaymentError):
    """Another caller holds the claim on this idempotency key and has not finished yet.

    Retry later: the other call either completes (a replay then returns its result) or releases
    the key.

    Attributes:
        key: the idempotency key.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"a request with idempotency key {key!r} is already in progress")


class InvalidWebhookSignatureError(PaymentError, ValueError):
    """A webhook's signature header does not authenticate its body.

    Attributes:
        reason: ``"malformed_header"``, ``"no_signature"``, ``"timestamp_out_of_tolerance"`` or
            ``"signature_mismatch"``.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"webhook signature rejected: {reason}")


class TransactionLogCorruptError(PaymentError):
    """The transaction log's hash chain is broken (an entry was edited, removed or reordered).

    Attributes:
        sequence: the sequence number of the first entry that fails verification.
        reason: ``"hash_mismatch"``, ``"broken_link"``, ``"sequence_gap"`` or ``"head_mismatch"``.
    """

    def __init__(self, sequence: int, reason: str) -> None:
        self.sequence = sequence
        self.reason = reason
        super().__init__(f"transaction log corrupt at entry {sequence}: {reason}")


class InvalidWebhookPayloadError(PaymentError, ValueError):
    """An authenticated webhook body cannot be parsed into a provider event.

    Attributes:
        reason: what is missing or malformed.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid webhook payload: {reason}")


class InvalidCheckoutError(CommerceError, ValueError):
    """A checkout request or a checkout attempt change that cannot be accepted.

    Attributes:
        field: what was wrong (``"cart_id"``, ``"step"``...).
        reason: why.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"invalid checkout {field}: {reason}")


class CheckoutInProgressError(CommerceError):
    """Another checkout attempt is running for the same cart or the same idempotency key.

    Retry later: a replay of the running attempt's key then returns its outcome.

    Attributes:
        cart_id: the cart.
        checkout_id: the attempt that holds it.
    """

    def __init__(self, cart_id: str, checkout_id: str) -> None:
        self.cart_id = cart_id
        self.checkout_id = checkout_id
        super().__init__(f"checkout {checkout_id!r} of cart {cart_id!r} is in progress")


class InvalidPaymentSettingError(PaymentError, ValueError):
    """A payment setting is unusable (a retry policy, a webhook verifier's secret or tolerance).

    Attributes:
        setting: the setting's name (``"max_attempts"``, ``"secret"``, ``"tolerance"``...).
        reason: what is wrong.
    """

    def __init__(self, setting: str, reason: str) -> None:
        self.setting = setting
        self.reason = reason
        super().__init__(f"invalid {setting}: {reason}")


# endregion payments

# region analytics


class InvalidAnalyticsEventError(CommerceError, ValueError):
    """An analytics event breaks a rule of its type (naive time, empty id, totals that disagree).

    Attributes:
        event_type: the event's type name.
        reason: the rule it breaks.
    """

    def __init__(self, event_type: str, reason: str) -> None:
        self.event_type = event_type
        self.reason = reason
        super().__init__(f"invalid {event_type}: {reason}")


class MalformedEventLineError(CommerceError, ValueError):
    """A line of an events file cannot be decoded (raised in strict mode; otherwise reported).

    Attributes:
        line_number: the 1-based line number in the input.
        reason: why the line was refused (bad JSON, unknown type or schema version...).
    """

    def __init__(self, line_number: int, reason: str) -> None:
        self.line_number = line_number
        self.reason = reason
        super().__init__(f"line {line_number}: {reason}")


class InvalidTimeRangeError(CommerceError, ValueError):
    """A report range is unusable (end not after start, unparsable bound, naive instant).

    Attributes:
        value: the offending input (its ``repr``).
        reason: what is wrong.
    """

    def __init__(self, value: object, reason: str) -> None:
        self.value = repr(value)
        self.reason = reason
        super().__init__(f"invalid time range {self.value}: {reason}")


class UnknownTimeZoneError(CommerceError, LookupError):
    """A time zone name is not in the IANA database (``zoneinfo``).

    Attributes:
        name: the unknown zone name.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown time zone {name!r}")


class InvalidSpendError(CommerceError, ValueError):
    """Marketing spend input is malformed (not a mapping of channel to an exact amount).

    Attributes:
        channel: the channel whose entry is bad (empty when the whole input is bad).
        reason: what is wrong.
    """

    def __init__(self, channel: str, reason: str) -> None:
        self.channel = channel
        self.reason = reason
        where = f" for channel {channel!r}" if channel else ""
        super().__init__(f"invalid spend{where}: {reason}")


class UnknownBucketError(CommerceError, ValueError):
    """A time-series bucket width is not one of hour, day, week or month.

    Attributes:
        value: the offending input (its ``repr``).
    """

    def __init__(self, value: object) -> None:
        self.value = repr(value)
        super().__init__(f"unknown bucket {self.value}: use hour, day, week or month")


# endregion analytics
