"""Benefits: what a promotion gives once its conditions hold.

A benefit computes an :class:`Award` from a :class:`BenefitView` of the targeted lines: the
discount per line in integer minor units (never more than a line's remaining value), the shipping
discount, free gifts, and an optional upsell :class:`Hint`. Splits over lines use the money
kernel's exact allocator, so line discounts always add up to the promotion's discount.

To add your own benefit type implement the :class:`Benefit` protocol (see the how-to
"Add your own promotion type").
"""

from __future__ import annotations

import decimal
import enum
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Final, Protocol, runtime_checkable

import attrs

from commerce_core.domain.promotions.core import CartState, Key, Selector, round_minor
from commerce_core.errors import (
    ConflictingPromotionError,
    CurrencyMismatchError,
    InvalidPercentageError,
    NegativeAmountError,
    NoOpBenefitError,
)
from commerce_core.money import Money, allocate_minor, currency_of, from_minor, to_minor

__all__ = [
    "Gift",
    "Hint",
    "Award",
    "BenefitView",
    "Benefit",
    "Unit",
    "RewardOrder",
    "PercentOff",
    "AmountOffEachUnit",
    "AmountOffOrder",
    "FixedUnitPrice",
    "BuyXGetY",
    "NForPriceOfM",
    "BundlePart",
    "BundlePrice",
    "TierBasis",
    "Tier",
    "Tiered",
    "ShippingOff",
    "FreeGift",
    "percent_value",
]

_CTX: Final = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP, traps=[])
_HUNDRED: Final = Decimal(100)


def percent_value(field: str, value: Decimal | int | str) -> Decimal:
    """A percentage as a Decimal in 0..100.

    Raises:
        InvalidPercentageError: outside 0..100, not finite, or a float.
    """
    if isinstance(value, bool | float):
        raise InvalidPercentageError(field, value)
    try:
        percent = Decimal(value)
    except decimal.InvalidOperation:
        raise InvalidPercentageError(field, value) from None
    if not percent.is_finite() or percent < 0 or percent > _HUNDRED:
        raise InvalidPercentageError(field, value)
    return percent


def _percent(value: Decimal | int | str) -> Decimal:
    return percent_value("percent", value)


def _positive_count(field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConflictingPromotionError(field, f"{value!r} must be a whole number of at least 1")


def _optional_count(field: str, value: int | None) -> None:
    if value is not None:
        _positive_count(field, value)


def _amount(field: str, amount: Money) -> None:
    if not isinstance(amount, Money):
        raise NegativeAmountError(field, amount, "is not Money")
    if amount.amount < 0:
        raise NegativeAmountError(field, amount.amount)
    to_minor(amount)


def _something(field: str, value: Decimal | Money | None) -> None:
    """Refuse a percentage or an amount of zero: the benefit would never grant anything."""
    if value is not None and not (value if isinstance(value, Decimal) else value.amount):
        raise NoOpBenefitError(field, "0 off grants nothing")


def _optional_percent(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else percent_value("percent", value)


def _optional_money(value: Money | None) -> Money | None:
    if value is not None:
        _amount("amount", value)
    return value


@attrs.frozen
class Gift:
    """A free gift line to add to the cart (priced at ``value``, then fully discounted)."""

    sku: str
    quantity: int = 1
    name: str = ""
    value: Money | None = None


@attrs.frozen
class Hint:
    """An upsell hint: what to add to get (more of) a promotion.

    Attributes:
        message: shopper-facing text such as ``"add 12.00 more for free shipping"``.
        missing_minor: the amount still missing, in minor units (or ``None``).
        missing_quantity: the units still missing (or ``None``).
        minimum: the benefit grants nothing until this shortfall is made up (a tier not yet
            reached): when nothing is granted, the promotion is reported as ``minimum_not_met``
            with the shortfall rather than ``no_eligible_items``.
    """

    message: str
    missing_minor: int | None = None
    missing_quantity: int | None = None
    minimum: bool = False


@attrs.frozen
class Unit:
    """One unit of a line: its remaining value (minor units), line position and unit index."""

    value: int
    position: int
    index: int


@attrs.frozen
class ShippingLater:
    """A shipping discount to compute once shipping is quoted (the price is not known yet).

    Attributes:
        percent: the share of the shipping charge taken off (100: free shipping).
        amount: a fixed amount off the charge, in minor units.
    """

    percent: Decimal | None = None
    amount: int | None = None


@attrs.define
class Award:
    """What a benefit grants on one cart.

    Attributes:
        discounts: line position -> discount in minor units (each within the line's value).
        applications: how many times the benefit applied (units, repeats or 1).
        items: how many units received a discount.
        shipping: the shipping discount in minor units.
        gifts: gift lines to add.
        hint: an upsell hint, if the shopper is close to (more of) the benefit.
        shipping_later: a shipping discount to compute once shipping is quoted (the price is
            not known yet); the pricing pipeline applies it after quoting.
        shipping_estimate: the value of ``shipping_later`` on the expected shipping charge, in
            minor units (set by the engine when an estimate is known; used to compare offers).
        parts: each application's discounts (line position -> minor units), when the benefit
            itemises them with :meth:`add_application`; they add up to ``discounts``. A
            promotion's ``max_discount_per_application`` caps each part separately; an award
            without parts is capped as a whole at the cap times ``applications``.
    """

    discounts: dict[int, int] = attrs.field(factory=dict)
    applications: int = 0
    items: int = 0
    shipping: int = 0
    gifts: tuple[Gift, ...] = ()
    hint: Hint | None = None
    shipping_later: ShippingLater | None = None
    parts: list[dict[int, int]] = attrs.field(factory=list)
    shipping_estimate: int = 0

    @property
    def line_total(self) -> int:
        """The sum of line discounts."""
        return sum(self.discounts.values())

    def add(self, position: int, amount: int) -> None:
        """Add ``amount`` to a line's discount (zero amounts are ignored)."""
        if amount:
            self.discounts[position] = self.discounts.get(position, 0) + amount

    def add_application(self, discounts: dict[int, int]) -> None:
        """Record one application (its discount per line position) and add it up."""
        part: dict[int, int] = {}
        totals = self.discounts
        for position, amount in discounts.items():
            if amount:
                part[position] = amount
                totals[position] = totals.get(position, 0) + amount
        self.parts.append(part)
        self.applications += 1


class BenefitView:
    """The targeted lines of a cart, and helpers, as a benefit sees them.

    Attributes:
        cart: the working state (read it, never change it).
        targets: positions of the targeted lines, in line-id order.
        max_applications: the promotion's cap on applications per cart (or ``None``).
        max_items: the promotion's cap on discounted units (or ``None``).
    """

    __slots__ = ("cart", "max_applications", "max_items", "targets")

    def __init__(
        self,
        cart: CartState,
        targets: Sequence[int],
        max_applications: int | None = None,
        max_items: int | None = None,
    ) -> None:
        self.cart = cart
        self.targets = tuple(targets)
        self.max_applications = max_applications
        self.max_items = max_items

    @property
    def currency(self) -> str:
        """The cart's currency."""
        return self.cart.currency

    def remaining(self, position: int) -> int:
        """A line's value left after earlier promotions, in minor units."""
        return self.cart.lines[position].remaining

    def units(
        self, positions: Iterable[int] | None = None, *, most_expensive_first: bool = True
    ) -> list[Unit]:
        """Every unit of the given lines (the targets by default), sorted by value.

        Ties are broken by line position (line-id order) then unit index, so the choice of
        units never depends on the order lines were given in.
        """
        units: list[Unit] = []
        for position in self.targets if positions is None else positions:
            state = self.cart.lines[position]
            units.extend(Unit(v, position, i) for i, v in enumerate(state.unit_values()))
        if most_expensive_first:
            units.sort(key=lambda u: (-u.value, u.position, u.index))
        else:
            units.sort(key=lambda u: (u.value, u.position, u.index))
        return units

    def spread(
        self, award: Award, total: int, positions: Sequence[int], weights: Sequence[int]
    ) -> None:
        """Split ``total`` over ``positions`` by ``weights`` with the exact allocator."""
        if total <= 0 or not positions or sum(weights) <= 0:
            return
        for position, part in zip(positions, allocate_minor(total, weights), strict=True):
            award.add(position, part)

    def percent_of(self, base: int, percent: Decimal) -> int:
        """``percent`` % of ``base`` minor units, rounded per the cart's rounding policy."""
        exact = _CTX.divide(_CTX.multiply(Decimal(base), percent), _HUNDRED)
        return round_minor(exact, self.currency, self.cart.input.rounding)

    def money(self, minor: int) -> Money:
        """Minor units of the cart's currency as Money."""
        return from_minor(minor, self.currency)


@runtime_checkable
class Benefit(Protocol):
    """What a promotion grants. Implement it to add your own promotion type.

    ``award`` must be pure and deterministic, never discount a line by more than its remaining
    value (``view.remaining(position)``), and split multi-line amounts with ``view.spread``.
    """

    def award(self, view: BenefitView) -> Award:
        """The discounts this benefit grants on the targeted lines."""
        ...

    def amounts(self) -> tuple[Money, ...]:
        """Money amounts the benefit holds (for currency validation at definition time)."""
        ...

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:
        """Keys one of which a cart line must carry for this benefit to grant anything.

        ``None`` means "may apply to any cart" (order-level or shipping benefits); promotions are
        indexed by these keys so pricing cost grows with the promotions that can match.
        """
        ...


def _target_keys(targets: Selector) -> frozenset[Key] | None:
    return targets.anchor_keys() or None


def _limit(*caps: int | None) -> int | None:
    present = [c for c in caps if c is not None]
    return min(present) if present else None


@attrs.frozen
class PercentOff:
    """``percent`` % off the targeted lines (or off the most expensive ``max_items`` units)."""

    percent: Decimal = attrs.field(converter=_percent)

    def __attrs_post_init__(self) -> None:
        _something("percent", self.percent)

    def award(self, view: BenefitView) -> Award:
        """One application; the rounded total is split over lines by their value."""
        award = Award(applications=1)
        if view.max_items is None:
            # Each target's remaining value and units, read from the cart's line states.
            states = view.cart.lines
            positions = list(view.targets)
            targeted = [states[p] for p in positions]
            weights = [state.remaining for state in targeted]
            award.items = sum([state.line.quantity for state in targeted])
        else:
            per_line: dict[int, int] = {}
            chosen = [u for u in view.units() if u.value > 0][: view.max_items]
            for unit in chosen:
                per_line[unit.position] = per_line.get(unit.position, 0) + unit.value
            positions = sorted(per_line)
            weights = [per_line[p] for p in positions]
            award.items = len(chosen)
        view.spread(award, view.percent_of(sum(weights), self.percent), positions, weights)
        return award

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:
        """The targets' keys."""
        return _target_keys(targets)


@attrs.frozen
class AmountOffEachUnit:
    """``amount`` off every targeted unit (never below zero per unit)."""

    amount: Money

    def __attrs_post_init__(self) -> None:
        _amount("amount", self.amount)
        _something("amount", self.amount)

    def award(self, view: BenefitView) -> Award:
        """One application per discounted unit, most expensive units first."""
        off = to_minor(self.amount)
        award = Award()
        cap = _limit(view.max_items, view.max_applications)
        units = [u for u in view.units() if u.value > 0]
        for unit in units if cap is None else units[:cap]:
            award.add_application({unit.position: min(off, unit.value)})
            award.items += 1
        return award

    def amounts(self) -> tuple[Money, ...]:
        """The amount."""
        return (self.amount,)

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:
        """The targets' keys."""
        return _target_keys(targets)


@attrs.frozen
class AmountOffOrder:
    """``amount`` off the targeted lines together, split over them by value (exact allocator)."""

    amount: Money

    def __attrs_post_init__(self) -> None:
        _amount("amount", self.amount)
        _something("amount", self.amount)

    def award(self, view: BenefitView) -> Award:
        """One application of ``min(amount, value of the targeted lines)``."""
        positions = list(view.targets)
        weights = [view.remaining(p) for p in positions]
        award = Award(applications=1)
        award.items = sum(view.cart.lines[p].line.quantity for p in positions)
        view.spread(award, min(to_minor(self.amount), sum(weights)), positions, weights)
        return award

    def amounts(self) -> tuple[Money, ...]:
        """The amount."""
        return (self.amount,)

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:
        """The targets' keys."""
        return _target_keys(targets)


@attrs.frozen
class FixedUnitPrice:
    """Each targeted unit costs ``price`` (units already cheaper keep their price)."""

    price: Money

    def __attrs_post_init__(self) -> None:
        _amount("price", self.price)

    def award(self, view: BenefitView) -> Award:
        """One application per unit brought down to ``price``."""
        price = to_minor(self.price)
        award = Award()
        cap = _limit(view.max_items, view.max_applications)
        units = [u for u in view.units() if u.value > price]
        for unit in units if cap is None else units[:cap]:
            award.add_application({unit.position: unit.value - price})
            award.items += 1
        return award

    def amounts(self) -> tuple[Money, ...]:
        """The price."""
        return (self.price,)

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:
        """The targets' keys."""
        return _target_keys(targets)


class RewardOrder(enum.StrEnum):
    """Which units a buy-X-get-Y rewards first."""

    CHEAPEST = "cheapest"
    MOST_EXPENSIVE = "most_expensive"


def _count_word(n: int) -> str:
    return "one" if n == 1 else str(n)


def _per_line(units: Iterable[Unit]) -> dict[int, int]:
    per_line: dict[int, int] = {}
    for unit in units:
        per_line[unit.position] = per_line.get(unit.position, 0) + unit.value
    return per_line


def _split(total: int, weights: dict[int, int]) -> dict[int, int]:
    positions = sorted(weights)
    if total <= 0 or sum(weights.values()) <= 0:
        return {}
    return dict(zip(positions, allocate_minor(total, [weights[p] for p in positions]), strict=True))


def _reward_units(
    view: BenefitView, rewarded: Sequence[Unit], percent: Decimal, award: Award, get: int
) -> None:
    """Reward ``rewarded`` (``get`` units per application, in order), itemised per application."""
    groups = [rewarded[i : i + get] for i in range(0, len(rewarded), get)]
    if percent == _HUNDRED:
        for group in groups:
            award.parts.append(_per_line(group))
        for unit in rewarded:
            award.add(unit.position, unit.value)
    else:
        per_line = _per_line(rewarded)
        positions = sorted(per_line)
        weights = [per_line[p] for p in positions]
        total = view.percent_of(sum(weights), percent)
        view.spread(award, total, positions, weights)
        values = [sum(u.value for u in group) for group in groups]
        if total > 0 and sum(values) > 0:
            for group, share in zip(groups, allocate_minor(total, values), strict=True):
                award.parts.append(_split(share, _per_line(group)))
    award.items += len(rewarded)


@attrs.frozen
class BuyXGetY:
    """Buy ``buy`` units, get ``get`` units free (or ``percent`` % off), repeatable.

    Attributes:
        buy: units to pay for in each repeat (at least 1).
        get: units rewarded in each repeat (at least 1).
        percent: the discount on rewarded units (100 = free).
        get_targets: the set rewarded units come from (the promotion's targets when ``None``).
        order: reward the cheapest units first (the default) or the most expensive. In a same-set
            deal every rewarded unit is paid for by ``buy`` units at least as expensive:
            ``MOST_EXPENSIVE`` sorts the units by value and rewards the cheapest ``get`` of each
            group of ``buy + get`` (so never more than ``get / (buy + get)`` of a group).
        max_repeats: how many times it may repeat in one cart (unlimited when ``None``).

    Raises:
        ConflictingPromotionError: ``buy`` or ``get`` below 1, ``max_repeats`` below 1.
        InvalidPercentageError: ``percent`` outside 0..100.
    """

    buy: int
    get: int
    percent: Decimal = attrs.field(default=_HUNDRED, converter=_percent)
    get_targets: Selector | None = None
    order: RewardOrder = RewardOrder.CHEAPEST
    max_repeats: int | None = None

    def __attrs_post_init__(self) -> None:
        _positive_count("buy", self.buy)
        _positive_count("get_quantity", self.get)
        _optional_count("max_repeats", self.max_repeats)
        _something("percent", self.percent)

    def _phrase(self) -> str:
        if self.percent == _HUNDRED:
            return f"get {_count_word(self.get)} free"
        return f"get {_count_word(self.get)} at {self.percent.normalize():f}% off"

    def award(self, view: BenefitView) -> Award:
        """Rewards ``get`` units per complete group; hints how many more units are needed."""
        cap = _limit(self.max_repeats, view.max_applications)
        if self.get_targets is None:
            return self._same_set(view, cap)
        return self._other_set(view, cap, self.get_targets)

    def _same_set(self, view: BenefitView, cap: int | None) -> Award:
        award = Award()
        units = [u for u in view.units() if u.value > 0]
        group = self.buy + self.get
        repeats = len(units) // group
        if cap is not None:
            repeats = min(repeats, cap)
        if view.max_items is not None:
            repeats = min(repeats, view.max_items // self.get)
        count = repeats * self.get
        if self.order is RewardOrder.CHEAPEST:
            # The cheapest units overall: every one is paid for by pricier (or equal) units.
            rewarded = units[len(units) - count :] if count else []
        else:
            # The most expensive rewards still paid for by pricier-or-equal units: the units,
            # most expensive first, form groups of buy + get; the cheapest of each group are
            # rewarded (a buy-one-get-one never takes more than half of a group).
            rewarded = [
                unit
                for start in range(0, repeats * group, group)
                for unit in units[start + self.buy : start + group]
            ]
        _reward_units(view, rewarded, self.percent, award, self.get)
        award.applications = repeats
        leftover = len(units) - repeats * group
        if leftover > 0 and (cap is None or repeats < cap):
            missing = group - leftover
            award.hint = Hint(f"add {missing} more to {self._phrase()}", missing_quantity=missing)
        return award

    def _other_set(self, view: BenefitView, cap: int | None, get_targets: Selector) -> Award:
        """Buy from the targets, get from ``get_targets``; the sets may overlap.

        A unit in both sets can be bought or rewarded. The engine rewards as many units as the
        cart allows, with as few repeats as possible, then picks the rewards in the declared
        order among the assignments that keep enough units to pay for them.
        """
        award = Award()
        buy_units = [u for u in view.units() if u.value > 0]
        get_units = [
            u
            for u in view.units(
                view.cart.matching(get_targets),
                most_expensive_first=self.order is RewardOrder.MOST_EXPENSIVE,
            )
            if u.value > 0
        ]
        buy_keys = {(u.position, u.index) for u in buy_units}
        shared = sum(1 for u in get_units if (u.position, u.index) in buy_keys)
        get_only = len(get_units) - shared
        most = len(buy_units) // self.buy
        if cap is not None:
            most = min(most, cap)
        if view.max_items is not None:
            most = min(most, view.max_items // self.get)
        if most == 0:
            missing = self.buy - len(buy_units) % self.buy
            award.hint = Hint(f"add {missing} more to {self._phrase()}", missing_quantity=missing)
            return award
        # How many units ``repeats`` repeats can reward: the get-only units, plus shared units
        # not needed to pay for the repeats. The smallest number of repeats rewarding most wins.
        best_repeats, best_count = 0, 0
        for repeats in range(1, most + 1):
            spare = len(buy_units) - repeats * self.buy
            count = min(repeats * self.get, get_only + min(shared, spare))
            if count > best_count:
                best_repeats, best_count = repeats, count
        if best_count == 0:
            needed = most * self.get
            award.hint = Hint(
                f"add {needed} eligible item(s) to {self._phrase()}", missing_quantity=needed
            )
            return award
        spare = len(buy_units) - best_repeats * self.buy
        rewarded: list[Unit] = []
        for unit in get_units:
            if len(rewarded) == best_count:
                break
            if (unit.position, unit.index) in buy_keys:
                if spare == 0:
                    continue
                spare -= 1
            rewarded.append(unit)
        _reward_units(view, rewarded, self.percent, award, self.get)
        award.applications = math.ceil(len(rewarded) / self.get)
        missing = most * self.get - len(rewarded)
        if missing:
            award.hint = Hint(
                f"add {missing} more eligible item(s) to {self._phrase()}",
                missing_quantity=missing,
            )
        return award

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:
        """The targets' (the "buy" set's) keys."""
        return _target_keys(targets)


@attrs.frozen
class NForPriceOfM:
    """``n`` units for the price of ``m`` (3 for 2): the cheapest ``n - m`` of each group free.

    Raises:
        ConflictingPromotionError: unless ``n > m >= 1``.
    """

    n: int
    m: int
    max_repeats: int | None = None

    def __attrs_post_init__(self) -> None:
        _positive_count("m", self.m)
        _positive_count("n", self.n)
        _optional_count("max_repeats", self.max_repeats)
        if self.n <= self.m:
            raise ConflictingPromotionError("n", f"{self.n} for the price of {self.m} is no deal")

    def award(self, view: BenefitView) -> Award:
        """Same as buy ``m`` get ``n - m`` free, cheapest first."""
        return BuyXGetY(self.m, self.n - self.m, max_repeats=self.max_repeats).award(view)

    def amounts(self) -> tuple[Money, ...]:
        """None."""
        return ()

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:
        """The targets' keys."""
        return _target_keys(targets)


def _parts(values: Iterable[BundlePart]) -> tuple[BundlePart, ...]:
    return tuple(values)


@attrs.frozen
class BundlePart:
    """One component of a bundle: ``quantity`` units from ``selector``."""

    selector: Selector
    quantity: int = 1

    def __attrs_post_init__(self) -> None:
        _positive_count("bundle quantity", self.quantity)


@attrs.frozen
class BundlePrice:
    """Complete bundles (every part filled) cost ``price`` each; the rest keep their price.

    Parts are filled greedily with the most expensive free units (the best bundle for the
    shopper); the bundle discount is split over its units' lines by value.

    Raises:
        ConflictingPromotionError: no parts.
    """

    parts: tuple[BundlePart, ...] = attrs.field(converter=_parts)
    price: Money
    max_repeats: int | None = None

    def __attrs_post_init__(self) -> None:
        if not self.parts:
            raise ConflictingPromotionError("parts", "a bundle needs at least one part")
        _amount("price", self.price)
        _optional_count("max_repeats", self.max_repeats)

    def award(self, view: BenefitView) -> Award:
        """One application per complete bundle that costs more than ``price``."""
        award = Award()
        price = to_minor(self.price)
        pools = [view.units(view.cart.matching(part.selector)) for part in self.parts]
        used: set[tuple[int, int]] = set()
        cap = _limit(self.max_repeats, view.max_applications)
        while cap is None or award.applications < cap:
            chosen: list[Unit] = []
            for part, pool in zip(self.parts, pools, strict=True):
                picked = [u for u in pool if (u.position, u.index) not in used][: part.quantity]
                if len(picked) < part.quantity:
                    if award.applications == 0 and (chosen or picked):
                        missing = part.quantity - len(picked)
                        award.hint = Hint(
                            f"add {missing} more to complete the bundle",
                            missing_quantity=missing,
                        )
                    return award
                used.update((u.position, u.index) for u in picked)
                chosen.extend(picked)
            value = sum(u.value for u in chosen)
            if value <= price:
                return award
            award.add_application(_split(value - price, _per_line(chosen)))
            award.items += len(chosen)
        return award

    def amounts(self) -> tuple[Money, ...]:
        """The bundle price."""
        return (self.price,)

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:  # noqa: ARG002
        """The first part's keys (every part must be present)."""
        return self.parts[0].selector.anchor_keys() or None


class TierBasis(enum.StrEnum):
    """What a tiered discount counts: units or value of the targeted lines."""

    QUANTITY = "quantity"
    AMOUNT = "amount"


@attrs.frozen
class Tier:
    """From ``threshold`` (units, or minor units for amount tiers) on, ``percent`` % off."""

    threshold: int
    percent: Decimal = attrs.field(converter=_percent)

    def __attrs_post_init__(self) -> None:
        _positive_count("tier threshold", self.threshold)
        _something("percent", self.percent)


def _tiers(values: Iterable[Tier]) -> tuple[Tier, ...]:
    return tuple(values)


@attrs.frozen
class Tiered:
    """Volume discount: the highest tier reached gives ``percent`` % off the targeted lines.

    Build amount tiers with :meth:`by_amount` (thresholds as Money) and quantity tiers with
    :meth:`by_quantity`. Thresholds count the targeted lines *before* discounts.

    Raises:
        ConflictingPromotionError: no tiers, or thresholds not strictly increasing.
    """

    tiers: tuple[Tier, ...] = attrs.field(converter=_tiers)
    basis: TierBasis = TierBasis.QUANTITY
    currency: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.tiers:
            raise ConflictingPromotionError("tiers", "name at least one tier")
        thresholds = [t.threshold for t in self.tiers]
        if thresholds != sorted(set(thresholds)):
            raise ConflictingPromotionError("tiers", "thresholds must strictly increase")
        if self.basis is TierBasis.AMOUNT and self.currency is None:
            raise ConflictingPromotionError("currency", "amount tiers need a currency")

    @classmethod
    def by_quantity(cls, tiers: Iterable[tuple[int, Decimal | int | str]]) -> Tiered:
        """Tiers ``(min units, percent)``."""
        return cls(tuple(Tier(q, percent_value("percent", p)) for q, p in tiers))

    @classmethod
    def by_amount(cls, tiers: Iterable[tuple[Money, Decimal | int | str]]) -> Tiered:
        """Tiers ``(min value, percent)``; every threshold in one currency.

        Raises:
            CurrencyMismatchError: thresholds in different currencies.
        """
        pairs = list(tiers)
        currencies = {currency_of(m) for m, _ in pairs}
        if len(currencies) > 1:
            a, b = sorted(currencies)[:2]
            raise CurrencyMismatchError(a, b, context="tiers")
        for threshold, _ in pairs:
            _amount("tier threshold", threshold)
        built = tuple(Tier(to_minor(m), percent_value("percent", p)) for m, p in pairs)
        return cls(built, TierBasis.AMOUNT, currencies.pop() if currencies else None)

    def amounts(self) -> tuple[Money, ...]:
        """Amount thresholds as Money."""
        if self.basis is TierBasis.AMOUNT and self.currency is not None:
            return tuple(from_minor(t.threshold, self.currency) for t in self.tiers)
        return ()

    def award(self, view: BenefitView) -> Award:
        """The reached tier's percentage, plus a hint towards the next tier."""
        if self.basis is TierBasis.QUANTITY:
            measure = sum(view.cart.lines[p].line.quantity for p in view.targets)
        else:
            measure = sum(view.cart.lines[p].original for p in view.targets)
        reached = [t for t in self.tiers if measure >= t.threshold]
        upcoming = [t for t in self.tiers if measure < t.threshold]
        award = Award()
        if reached:
            award = PercentOff(reached[-1].percent).award(view)
        if upcoming and measure > 0:
            nxt = upcoming[0]
            missing = nxt.threshold - measure
            pct = f"{nxt.percent.normalize():f}% off"
            first = not reached
            if self.basis is TierBasis.QUANTITY:
                award.hint = Hint(
                    f"add {missing} more for {pct}", missing_quantity=missing, minimum=first
                )
            else:
                shown = view.money(missing).amount
                award.hint = Hint(
                    f"add {shown} more for {pct}", missing_minor=missing, minimum=first
                )
        return award

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:
        """The targets' keys."""
        return _target_keys(targets)


@attrs.frozen
class ShippingOff:
    """Free (``percent=100``, the default) or discounted shipping, or ``amount`` off it.

    Give a percentage or an amount, not both (``percent`` is ``None`` when ``amount`` is set).

    Raises:
        ConflictingPromotionError: both a percentage and an amount.
        NoOpBenefitError: 0 % or 0.00 off.
    """

    percent: Decimal | None = attrs.field(default=None, converter=_optional_percent)
    amount: Money | None = attrs.field(default=None, converter=_optional_money)

    def __attrs_post_init__(self) -> None:
        if self.percent is not None and self.amount is not None:
            raise ConflictingPromotionError("amount", "give a percentage or an amount, not both")
        if self.amount is None and self.percent is None:
            object.__setattr__(self, "percent", _HUNDRED)
        _something("percent", self.percent)
        _something("amount", self.amount)

    def award(self, view: BenefitView) -> Award:
        """One application on the remaining shipping price.

        When the price is not known yet (inside the pricing pipeline, which quotes shipping after
        the promotions), the award carries the rule (:class:`ShippingLater`) and the pipeline
        computes the real amount from the quote.
        """
        remaining = view.cart.shipping_remaining
        percent = _HUNDRED if self.percent is None else self.percent
        if not view.cart.shipping_known:
            if self.amount is not None:
                return Award(
                    applications=1, shipping_later=ShippingLater(amount=to_minor(self.amount))
                )
            return Award(applications=1, shipping_later=ShippingLater(percent=percent))
        if self.amount is not None:
            off = min(to_minor(self.amount), remaining)
        else:
            off = min(view.percent_of(remaining, percent), remaining)
        return Award(applications=1 if off else 0, shipping=off)

    def amounts(self) -> tuple[Money, ...]:
        """The amount off, if any."""
        return () if self.amount is None else (self.amount,)

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:  # noqa: ARG002
        """Any cart may qualify."""
        return None


@attrs.frozen
class FreeGift:
    """A free gift: ``quantity`` units of ``sku`` at no cost.

    If the gift is already in the cart those units become free; otherwise the award carries a
    :class:`Gift` line the host adds at zero price.
    """

    sku: str
    quantity: int = 1
    name: str = ""
    value: Money | None = attrs.field(default=None, converter=_optional_money)

    def __attrs_post_init__(self) -> None:
        _positive_count("gift quantity", self.quantity)

    def award(self, view: BenefitView) -> Award:
        """Frees gift units in the cart, or asks the host to add the missing gift units."""
        award = Award(applications=1)
        positions = view.cart.by_key.get(("sku", self.sku), [])
        freed = [u for u in view.units(positions, most_expensive_first=False) if u.value > 0]
        for unit in freed[: self.quantity]:
            award.add(unit.position, unit.value)
            award.items += 1
        in_cart = sum(view.cart.lines[p].line.quantity for p in positions)
        if in_cart < self.quantity:
            award.gifts = (Gift(self.sku, self.quantity - in_cart, self.name, self.value),)
        return award

    def amounts(self) -> tuple[Money, ...]:
        """The gift's value, if given."""
        return () if self.value is None else (self.value,)

    def index_keys(self, targets: Selector) -> frozenset[Key] | None:  # noqa: ARG002
        """Any cart may qualify (conditions decide)."""
        return None
