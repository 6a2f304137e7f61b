"""The promotion definition: conditions, benefit, targets, limits, stacking, window, restrictions.

Every rule is checked when the promotion is built: a promotion that could never work raises a
typed error at definition time instead of silently doing nothing at pricing time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from commerce_core.domain.promotions.benefits import Benefit
from commerce_core.domain.promotions.conditions import (
    PASSED,
    Condition,
    ConditionCheck,
    DateWindow,
    NotAppliedReason,
    narrowest_keys,
    required_keys,
)
from commerce_core.domain.promotions.core import CartState, Key, Selector, _strings
from commerce_core.errors import (
    ConflictingPromotionError,
    CurrencyMismatchError,
    NegativeAmountError,
)
from commerce_core.money import Money, currency_of, to_minor

__all__ = ["Limits", "Stacking", "Promotion"]


def _optional_positive(field: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or value < 1):
        raise ConflictingPromotionError(field, f"{value!r} must be at least 1")


def _optional_amount(field: str, value: Money | None) -> None:
    if value is not None:
        if value.amount < 0:
            raise NegativeAmountError(field, value.amount)
        to_minor(value)


@attrs.frozen
class Limits:
    """Caps on what one promotion grants in one cart.

    Attributes:
        max_discount_per_application: at most this much per application (per repeat of a
            buy-X-get-Y, per unit of a per-unit discount, per bundle...), each application
            capped on its own: a unit discounted by 10.00 and one by 1.00 under a 5.00 cap get
            5.00 + 1.00.
        max_discount_total: at most this much in the whole cart.
        max_items: at most this many discounted units (the most expensive are chosen).
        max_applications: at most this many applications (repeats) in one cart.
    """

    max_discount_per_application: Money | None = None
    max_discount_total: Money | None = None
    max_items: int | None = None
    max_applications: int | None = None

    def __attrs_post_init__(self) -> None:
        _optional_amount("max_discount_per_application", self.max_discount_per_application)
        _optional_amount("max_discount_total", self.max_discount_total)
        _optional_positive("max_items", self.max_items)
        _optional_positive("max_applications", self.max_applications)

    def amounts(self) -> tuple[Money, ...]:
        """The money caps."""
        return tuple(
            m for m in (self.max_discount_per_application, self.max_discount_total) if m is not None
        )

    def cap(self, applications: int) -> int | None:
        """The cap in minor units for ``applications`` applications (``None``: uncapped).

        The engine caps each itemised application separately first (``Award.parts``); this
        pooled bound is what remains for benefits that do not itemise their applications.
        """
        caps: list[int] = []
        if self.max_discount_total is not None:
            caps.append(to_minor(self.max_discount_total))
        if self.max_discount_per_application is not None:
            caps.append(to_minor(self.max_discount_per_application) * max(applications, 1))
        return min(caps) if caps else None


@attrs.frozen
class Stacking:
    """How a promotion combines with others.

    Attributes:
        priority: higher applies first (each later promotion sees the prices left by earlier
            ones); ties are applied in promotion-id order.
        exclusive: applies alone; competes with the best combination of the others.
        group: promotions of one group do not combine: only the group member worth most to the
            shopper (alone) applies. Promotions of different groups (or none) combine.
        stop_further: once applied, promotions of lower priority are not applied.
    """

    priority: int = 0
    exclusive: bool = False
    group: str | None = None
    stop_further: bool = False


def _conditions(values: Iterable[Condition]) -> tuple[Condition, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class Promotion:
    """A promotion: when it applies, what it gives, to which lines, and how it stacks.

    Attributes:
        id: a stable id (ties are broken by it).
        name: the internal / adjustment label.
        benefit: what it grants.
        description: shopper-facing text (``"free shipping"``), used in hints.
        targets: the lines the benefit may touch (every line by default).
        conditions: all must hold.
        limits: caps.
        stacking: priority, exclusivity, group, stop-further.
        starts: first instant it is valid (inclusive), optional.
        ends: the instant it stops (exclusive), optional.
        channels: channels it is valid on (all when empty).
        currencies: currencies it is valid in (all when empty; a promotion holding amounts is
            valid in their currency only).
        requires_code: only a coupon code unlocks it (otherwise automatic).

    Raises:
        CurrencyMismatchError: amounts in different currencies, or ``currencies`` that exclude
            the currency of the promotion's amounts.
        ConflictingPromotionError: an empty id, or a window ending before it starts.
    """

    id: str
    name: str
    benefit: Benefit
    description: str = ""
    targets: Selector = attrs.field(factory=Selector.everything)
    conditions: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    limits: Limits = attrs.field(factory=Limits)
    stacking: Stacking = attrs.field(factory=Stacking)
    starts: datetime | None = None
    ends: datetime | None = None
    channels: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    currencies: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    requires_code: bool = False
    window: DateWindow = attrs.field(init=False)
    currency: str | None = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if not self.id:
            raise ConflictingPromotionError("id", "a promotion needs an id")
        object.__setattr__(self, "window", DateWindow(self.starts, self.ends))
        amounts = [
            *self.benefit.amounts(),
            *self.limits.amounts(),
            *(a for c in self.conditions for a in c.amounts()),
        ]
        codes = sorted({currency_of(a) for a in amounts})
        if len(codes) > 1:
            raise CurrencyMismatchError(codes[0], codes[1], context=f"promotion {self.id}")
        currency = codes[0] if codes else None
        if currency is not None and self.currencies and currency not in self.currencies:
            raise CurrencyMismatchError(
                currency, ",".join(sorted(self.currencies)), context=f"promotion {self.id}"
            )
        object.__setattr__(self, "currency", currency)

    def index_keys(self) -> frozenset[Key] | None:
        """Keys one of which a cart line must carry for this promotion to grant anything.

        Both the benefit (its targets) and every condition (``Contains``, ``MinQuantity`` /
        ``MinSubtotal`` of a selector, ``AllOf`` / ``AnyOf`` of those) must be satisfied, so
        each one's requirement is necessary; the narrowest is used.
        """
        return narrowest_keys(
            [self.benefit.index_keys(self.targets), *(required_keys(c) for c in self.conditions)]
        )

    def valid_in(self, currency: str) -> bool:
        """Whether the promotion may apply to a cart in ``currency``."""
        if self.currency is not None:
            return currency == self.currency
        return not self.currencies or currency in self.currencies

    def check_restrictions(self, cart: CartState) -> ConditionCheck:
        """Window, channel and currency restrictions."""
        window = self.window.check_at(cart.input.now)
        if not window.passed:
            # The offer's own window (a code's window reads "this code has expired").
            message = (
                "this offer has ended"
                if window.reason is NotAppliedReason.EXPIRED
                else "this offer has not started yet"
            )
            return attrs.evolve(window, message=message)
        if self.channels and cart.input.channel not in self.channels:
            return ConditionCheck.fail(
                NotAppliedReason.WRONG_CHANNEL, f"only on {', '.join(sorted(self.channels))}"
            )
        if not self.valid_in(cart.currency):
            return ConditionCheck.fail(NotAppliedReason.WRONG_CURRENCY, "not in this currency")
        return PASSED

    def check(self, cart: CartState) -> ConditionCheck:
        """Restrictions then conditions (all must hold)."""
        outcome = self.check_restrictions(cart)
        if not outcome.passed:
            return outcome
        for condition in self.conditions:
            outcome = condition.check(cart)
            if not outcome.passed:
                return outcome
        return PASSED
