"""Conditions: when a promotion may apply. Combine them with :class:`AllOf` and :class:`AnyOf`.

Every condition answers :meth:`Condition.check` with a :class:`ConditionCheck` value: passed, or
failed with a :class:`NotAppliedReason` and, for thresholds, the shortfall (what to add) so shops
can show "add 12.00 more for free shipping".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from commerce_core.domain.promotions.core import CartState, Key, Selector, _strings
from commerce_core.errors import (
    ConflictingPromotionError,
    InvalidPromotionQuantityError,
    NegativeAmountError,
)
from commerce_core.money import Money, currency_of, to_minor

__all__ = [
    "NotAppliedReason",
    "ConditionCheck",
    "Condition",
    "AllOf",
    "AnyOf",
    "MinSubtotal",
    "MinQuantity",
    "Contains",
    "ContainsNone",
    "CustomerGroup",
    "NthOrder",
    "first_order",
    "DateWindow",
    "Channel",
    "CurrencyIs",
    "ShippingDestination",
    "PASSED",
    "required_keys",
]


class NotAppliedReason(enum.StrEnum):
    """Why a promotion or a coupon code did not apply (a value, never an exception)."""

    UNKNOWN_CODE = "unknown_code"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    LIMIT_REACHED = "limit_reached"
    MINIMUM_NOT_MET = "minimum_not_met"
    WRONG_CHANNEL = "wrong_channel"
    WRONG_CURRENCY = "wrong_currency"
    CUSTOMER_NOT_ELIGIBLE = "customer_not_eligible"
    WRONG_DESTINATION = "wrong_destination"
    MISSING_PRODUCTS = "missing_products"
    EXCLUDED_PRODUCTS = "excluded_products"
    NO_ELIGIBLE_ITEMS = "no_eligible_items"
    EXCLUDED_BY_BETTER_PROMOTION = "excluded_by_better_promotion"
    STOPPED_BY_HIGHER_PRIORITY = "stopped_by_higher_priority"
    ANOTHER_CODE_FOR_PROMOTION = "another_code_for_promotion"


@attrs.frozen
class ConditionCheck:
    """The outcome of a condition: passed, or why not and what is missing.

    Attributes:
        passed: whether the condition holds.
        reason: why it failed (``None`` when passed).
        message: a short shopper-facing explanation.
        missing_minor: for amount thresholds, the minor units still missing.
        missing_quantity: for quantity thresholds, the units still missing.
    """

    passed: bool
    reason: NotAppliedReason | None = None
    message: str = ""
    missing_minor: int | None = None
    missing_quantity: int | None = None

    @classmethod
    def fail(
        cls,
        reason: NotAppliedReason,
        message: str,
        *,
        missing_minor: int | None = None,
        missing_quantity: int | None = None,
    ) -> ConditionCheck:
        """A failed check."""
        return cls(False, reason, message, missing_minor, missing_quantity)


PASSED = ConditionCheck(True)
"""The passed check."""


@runtime_checkable
class Condition(Protocol):
    """A rule about the cart, the customer or the moment that must hold for a promotion.

    ``check`` is pure: it reads the cart state (remaining and original values, the input's
    customer, channel, time...) and never changes it. ``amounts`` lists the money amounts the
    condition holds, so a promotion can refuse mixed currencies at definition time.
    """

    def check(self, cart: CartState) -> ConditionCheck:
        """Whether the condition holds for ``cart``."""
        ...

    def amounts(self) -> tuple[Money, ...]:
        """Money amounts held by the condition (for currency validation)."""
        ...


def _conditions(values: Iterable[Condition]) -> tuple[Condition, ...]:
    return tuple(values)


@attrs.frozen
class AllOf:
    """Holds when every condition holds; reports the first failure."""

    conditions: tuple[Condition, ...] = attrs.field(converter=_conditions)

    def check(self, cart: CartState) -> ConditionCheck:
        """The first failing condition's check, or passed."""
        for condition in self.conditions:
            outcome = condition.check(cart)
            if not outcome.passed:
                return outcome
        return PASSED

    def amounts(self) -> tuple[Money, ...]:
        """Amounts of every member."""
        return tuple(a for c in self.conditions for a in c.amounts())


@attrs.frozen
class AnyOf:
    """Holds when at least one condition holds; otherwise reports the first failure.

    Raises:
        ConflictingPromotionError: no conditions (an empty "any" can never hold).
    """

    conditions: tuple[Condition, ...] = attrs.field(converter=_conditions)

    def __attrs_post_init__(self) -> None:
        if not self.conditions:
            raise ConflictingPromotionError("conditions", "AnyOf needs at least one condition")

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed if any member passes, else the first member's failure."""
        first: ConditionCheck | None = None
        for condition in self.conditions:
            outcome = condition.check(cart)
            if outcome.passed:
                return PASSED
            first = first or outcome
        assert first is not None  # noqa: S101 - at least one condition, checked in init
        return first

    def amounts(self) -> tuple[Money, ...]:
        """Amounts of every member."""
        return tuple(a for c in self.conditions for a in c.amounts())


def _non_negative_money(field: str, amount: Money) -> None:
    if amount.amount < 0:
        raise NegativeAmountError(field, amount.amount)
    to_minor(amount)  # on the currency grid


@attrs.frozen
class MinSubtotal:
    """The cart (or the selected lines) is worth at least ``amount``.

    Attributes:
        amount: the threshold.
        after_discounts: compare the value left after promotions applied before this one
            (``True``), or the undiscounted value (``False``, the default).
        of: only count these lines (all lines when ``None``).
    """

    amount: Money
    after_discounts: bool = False
    of: Selector | None = None

    def __attrs_post_init__(self) -> None:
        _non_negative_money("min_subtotal", self.amount)

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, or ``MINIMUM_NOT_MET`` with the missing amount."""
        if currency_of(self.amount) != cart.currency:
            return ConditionCheck.fail(
                NotAppliedReason.WRONG_CURRENCY, f"only for {currency_of(self.amount)} carts"
            )
        have = cart.subtotal(self.of, after_discounts=self.after_discounts)
        need = to_minor(self.amount)
        if have >= need:
            return PASSED
        return ConditionCheck.fail(
            NotAppliedReason.MINIMUM_NOT_MET,
            f"spend at least {self.amount.amount}",
            missing_minor=need - have,
        )

    def amounts(self) -> tuple[Money, ...]:
        """The threshold."""
        return (self.amount,)


@attrs.frozen
class MinQuantity:
    """The cart (or the selected lines) holds at least ``quantity`` units."""

    quantity: int
    of: Selector | None = None

    def __attrs_post_init__(self) -> None:
        if isinstance(self.quantity, bool) or self.quantity < 1:
            raise InvalidPromotionQuantityError(
                "quantity", self.quantity, "a minimum quantity must be at least 1"
            )

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, or ``MINIMUM_NOT_MET`` with the missing units."""
        have = cart.quantity(self.of)
        if have >= self.quantity:
            return PASSED
        return ConditionCheck.fail(
            NotAppliedReason.MINIMUM_NOT_MET,
            f"buy at least {self.quantity}",
            missing_quantity=self.quantity - have,
        )

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()


@attrs.frozen
class Contains:
    """The cart contains at least one line the selector matches (products, categories, tags)."""

    selector: Selector

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, or ``MISSING_PRODUCTS``."""
        if cart.matching(self.selector):
            return PASSED
        return ConditionCheck.fail(
            NotAppliedReason.MISSING_PRODUCTS, "the cart lacks a required product"
        )

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()


@attrs.frozen
class ContainsNone:
    """The cart contains no line the selector matches (an exclusion condition)."""

    selector: Selector

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, or ``EXCLUDED_PRODUCTS``."""
        if not cart.matching(self.selector):
            return PASSED
        return ConditionCheck.fail(
            NotAppliedReason.EXCLUDED_PRODUCTS, "the cart contains a product this offer excludes"
        )

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()


@attrs.frozen
class CustomerGroup:
    """The customer belongs to one of ``groups``."""

    groups: frozenset[str] = attrs.field(converter=_strings)

    def __attrs_post_init__(self) -> None:
        if not self.groups:
            raise ConflictingPromotionError("groups", "name at least one customer group")

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, or ``CUSTOMER_NOT_ELIGIBLE``."""
        if self.groups.isdisjoint(cart.input.customer_groups):
            return ConditionCheck.fail(
                NotAppliedReason.CUSTOMER_NOT_ELIGIBLE,
                f"only for customers in {', '.join(sorted(self.groups))}",
            )
        return PASSED

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()


@attrs.frozen
class NthOrder:
    """This cart would be the customer's ``n``-th order (``n=1``: first order).

    The number of previous orders comes from the ``CustomerHistory`` port through
    ``PromotionInput.previous_orders``; an unknown customer is not eligible.
    """

    n: int

    def __attrs_post_init__(self) -> None:
        if isinstance(self.n, bool) or self.n < 1:
            raise InvalidPromotionQuantityError("n", self.n, "the order number must be at least 1")

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, or ``CUSTOMER_NOT_ELIGIBLE``."""
        previous = cart.input.previous_orders
        if previous is not None and previous + 1 == self.n:
            return PASSED
        what = "your first order" if self.n == 1 else f"your order number {self.n}"
        return ConditionCheck.fail(NotAppliedReason.CUSTOMER_NOT_ELIGIBLE, f"only for {what}")

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()


def first_order() -> NthOrder:
    """The customer's first order."""
    return NthOrder(1)


@attrs.frozen
class DateWindow:
    """``starts <= now < ends`` (either bound optional; timezone-aware datetimes).

    Raises:
        ConflictingPromotionError: ``ends`` is not after ``starts``, or a naive datetime.
    """

    starts: datetime | None = None
    ends: datetime | None = None

    def __attrs_post_init__(self) -> None:
        for bound in (self.starts, self.ends):
            if bound is not None and bound.tzinfo is None:
                raise ConflictingPromotionError("window", "use timezone-aware datetimes")
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ConflictingPromotionError("window", "the window ends before it starts")

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, ``NOT_STARTED`` or ``EXPIRED``."""
        return self.check_at(cart.input.now)

    def check_at(self, now: datetime) -> ConditionCheck:
        """The check against an instant."""
        if self.starts is not None and now < self.starts:
            return ConditionCheck.fail(NotAppliedReason.NOT_STARTED, "not started yet")
        if self.ends is not None and now >= self.ends:
            return ConditionCheck.fail(NotAppliedReason.EXPIRED, "expired")
        return PASSED

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()


@attrs.frozen
class Channel:
    """The cart is priced in one of ``channels`` (``"web"``, ``"app"``, ``"pos"``...)."""

    channels: frozenset[str] = attrs.field(converter=_strings)

    def __attrs_post_init__(self) -> None:
        if not self.channels:
            raise ConflictingPromotionError("channels", "name at least one channel")

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, or ``WRONG_CHANNEL``."""
        if cart.input.channel in self.channels:
            return PASSED
        return ConditionCheck.fail(
            NotAppliedReason.WRONG_CHANNEL, f"only on {', '.join(sorted(self.channels))}"
        )

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()


@attrs.frozen
class CurrencyIs:
    """The cart is in one of ``currencies``."""

    currencies: frozenset[str] = attrs.field(converter=_strings)

    def __attrs_post_init__(self) -> None:
        if not self.currencies:
            raise ConflictingPromotionError("currencies", "name at least one currency")

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, or ``WRONG_CURRENCY``."""
        if cart.currency in self.currencies:
            return PASSED
        return ConditionCheck.fail(
            NotAppliedReason.WRONG_CURRENCY, f"only in {', '.join(sorted(self.currencies))}"
        )

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()


@attrs.frozen
class ShippingDestination:
    """The cart ships to one of ``countries`` (ISO codes)."""

    countries: frozenset[str] = attrs.field(converter=_strings)

    def __attrs_post_init__(self) -> None:
        if not self.countries:
            raise ConflictingPromotionError("countries", "name at least one country")

    def check(self, cart: CartState) -> ConditionCheck:
        """Passed, or ``WRONG_DESTINATION``."""
        if cart.input.shipping_country in self.countries:
            return PASSED
        return ConditionCheck.fail(
            NotAppliedReason.WRONG_DESTINATION,
            f"only when shipping to {', '.join(sorted(self.countries))}",
        )

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()


def _selector_keys(selector: Selector | None) -> frozenset[Key] | None:
    if selector is None:
        return None
    return selector.anchor_keys() or None


def required_keys(condition: Condition) -> frozenset[Key] | None:
    """Index keys one of which a cart line must carry for ``condition`` to hold, or ``None``.

    Used to index promotions by what their conditions require (a category, a SKU, a tag), so
    an order-level promotion that only applies when the cart contains a category costs nothing
    on carts without it. ``None`` means "any cart may satisfy it" (and is always safe): custom
    conditions and conditions about the customer, the time or the amounts answer ``None``.

    >>> sorted(required_keys(Contains(Selector.of(categories={"tea"}))) or ())
    [('category', 'tea')]
    """
    if isinstance(condition, Contains):
        return _selector_keys(condition.selector)
    if isinstance(condition, MinQuantity):
        return _selector_keys(condition.of)
    if isinstance(condition, MinSubtotal):
        return _selector_keys(condition.of) if condition.amount.amount > 0 else None
    if isinstance(condition, AllOf):
        return narrowest_keys(required_keys(c) for c in condition.conditions)
    if isinstance(condition, AnyOf):
        found: set[Key] = set()
        for member in condition.conditions:
            keys = required_keys(member)
            if keys is None:
                return None
            found.update(keys)
        return frozenset(found)
    return None


def narrowest_keys(candidates: Iterable[frozenset[Key] | None]) -> frozenset[Key] | None:
    """Of several requirements that must all hold, the one naming the fewest keys (or None)."""
    known = [keys for keys in candidates if keys is not None]
    if not known:
        return None
    return min(known, key=lambda keys: (len(keys), sorted(keys)))
