"""The promotion engine: index, eligibility, stacking, limits, exact allocation, explanations.

:class:`PromotionBook` indexes promotions by what can match (SKU, category, tag; currency and
channel are filtered on the few candidates), so pricing cost grows with the promotions that can
match a cart, not with every promotion times every line.

Stacking, deterministic and independent of the order promotions and lines are given in:

1. Candidates are the automatic promotions the index finds plus those unlocked by valid codes.
   Each is checked (window, channel, currency, conditions); failures are reported with a reason.
2. Within each :attr:`Stacking.group` only the member worth most alone survives (ties: higher
   priority, then smaller id); the others are *excluded by a better promotion*. Groups only
   concern promotions that combine: an exclusive member applies alone anyway and competes as
   its own scenario (step 4). If that member
   then does not apply in the stack (step 3: a condition on discounted values fails), it is
   reported with its reason and the next best member of the group is tried instead.
3. The non-exclusive survivors apply in order of descending priority, then id; each sees the
   values left by earlier ones (so nothing goes below zero) and conditions "after discounts" are
   checked against them; ``stop_further`` ends the sequence.
4. Each exclusive promotion is priced alone. The scenario (the stack, or one exclusive) with the
   largest total discount wins; a shipping discount whose amount depends on the (not yet
   quoted) charge counts at its value on ``PromotionInput.shipping_estimate`` (zero without
   one). **Tie-break**: the scenario whose best priority is higher, then
   the one whose sorted promotion ids come first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Final, cast

import attrs

from commerce_core.domain.coupons import Coupon, normalize_code
from commerce_core.domain.pricing import ShippingDiscount
from commerce_core.domain.promotions.benefits import (
    AmountOffEachUnit,
    AmountOffOrder,
    Award,
    BenefitView,
    BundlePrice,
    BuyXGetY,
    FixedUnitPrice,
    FreeGift,
    Gift,
    Hint,
    NForPriceOfM,
    PercentOff,
    Tiered,
)
from commerce_core.domain.promotions.conditions import (
    AllOf,
    AnyOf,
    Channel,
    ConditionCheck,
    Contains,
    ContainsNone,
    CurrencyIs,
    CustomerGroup,
    DateWindow,
    MinQuantity,
    MinSubtotal,
    NotAppliedReason,
    NthOrder,
    ShippingDestination,
)
from commerce_core.domain.promotions.core import (
    CartState,
    Key,
    LineState,
    PromotionInput,
    round_minor,
)
from commerce_core.domain.promotions.promotion import Promotion
from commerce_core.errors import (
    ConflictingPromotionError,
    CouponForAutomaticPromotionError,
    CurrencyMismatchError,
    DuplicateCouponCodeError,
    InvalidCouponCodeError,
    UnknownPromotionError,
)
from commerce_core.money import Money, allocate_minor, from_minor, to_minor, zero

__all__ = [
    "AppliedPromotion",
    "NotApplied",
    "UpsellHint",
    "CodeRejection",
    "PromotionResult",
    "PromotionBook",
    "apply_promotions",
    "BacktestReport",
    "backtest",
]


_ZERO = Decimal(0)

# The shipping estimate (``PromotionInput.shipping_estimate``) only values pending shipping
# benefits (``Award.shipping_later``, see ``_run_one``). These built-in benefits never grant one
# (only ``ShippingOff`` does) and these built-in conditions never read the estimate; a subclass,
# or a host's own benefit or condition, may do anything.
_ESTIMATE_BLIND_BENEFITS: Final[frozenset[type]] = frozenset(
    {
        PercentOff,
        AmountOffEachUnit,
        AmountOffOrder,
        FixedUnitPrice,
        BuyXGetY,
        NForPriceOfM,
        BundlePrice,
        Tiered,
        FreeGift,
    }
)
_ESTIMATE_BLIND_CONDITIONS: Final[frozenset[type]] = frozenset(
    {
        MinSubtotal,
        MinQuantity,
        Contains,
        ContainsNone,
        CustomerGroup,
        NthOrder,
        DateWindow,
        Channel,
        CurrencyIs,
        ShippingDestination,
    }
)


def _blind_condition(condition: object) -> bool:
    kind = type(condition)
    if kind is AllOf or kind is AnyOf:
        return all(_blind_condition(c) for c in cast("AllOf | AnyOf", condition).conditions)
    return kind in _ESTIMATE_BLIND_CONDITIONS


def _ignores_shipping_estimate(promotion: Promotion) -> bool:
    """Whether ``promotion``'s outcome is the same whatever the shipping estimate."""
    return (
        type(promotion) is Promotion
        and type(promotion.benefit) in _ESTIMATE_BLIND_BENEFITS
        and all(_blind_condition(c) for c in promotion.conditions)
    )


def _freeze(data: Mapping[str, Money]) -> Mapping[str, Money]:
    return MappingProxyType(dict(data))


@attrs.frozen
class AppliedPromotion:
    """A promotion that applied.

    Attributes:
        promotion_id: the promotion.
        name: its name (the adjustment label).
        description: its shopper-facing description.
        line_amounts: discount per line id (positive amounts; they sum to ``lines_amount``).
        shipping_amount: the shipping discount when the shipping price is known.
        shipping_discount: the shipping discount to compute once shipping is quoted (the price
            was not known yet); the pricing pipeline applies it and records its real amount in
            the breakdown's shipping adjustments and in this promotion's applied note.
        estimated_shipping: what ``shipping_discount`` is worth on the shipping estimate (the
            value used to compare offers), or ``None`` without an estimate.
        applications: how many times it applied.
        code: the coupon code that unlocked it, if any.
        gifts: gift lines to add.
    """

    promotion_id: str
    name: str
    description: str
    line_amounts: Mapping[str, Money] = attrs.field(converter=_freeze)
    shipping_amount: Money
    shipping_discount: ShippingDiscount | None = None
    applications: int = 1
    code: str | None = None
    gifts: tuple[Gift, ...] = ()
    estimated_shipping: Money | None = None

    @classmethod
    def _owned(  # noqa: PLR0917 - the fields, in order
        cls,
        promotion_id: str,
        name: str,
        description: str,
        line_amounts: dict[str, Money],
        shipping_amount: Money,
        shipping_discount: ShippingDiscount | None,
        applications: int,
        code: str | None,
        gifts: tuple[Gift, ...],
        estimated_shipping: Money | None,
    ) -> AppliedPromotion:
        """Internal: an applied promotion whose caller hands over ``line_amounts``.

        ``line_amounts`` is a new dict nothing else holds: it is wrapped read-only instead of
        copied first (the converter's copy). Equal to ``AppliedPromotion(...)`` of the same
        values.
        """
        applied = object.__new__(cls)
        set_field = object.__setattr__
        set_field(applied, "promotion_id", promotion_id)
        set_field(applied, "name", name)
        set_field(applied, "description", description)
        set_field(applied, "line_amounts", MappingProxyType(line_amounts))
        set_field(applied, "shipping_amount", shipping_amount)
        set_field(applied, "shipping_discount", shipping_discount)
        set_field(applied, "applications", applications)
        set_field(applied, "code", code)
        set_field(applied, "gifts", gifts)
        set_field(applied, "estimated_shipping", estimated_shipping)
        return applied

    @property
    def free_shipping(self) -> bool:
        """Whether it makes shipping free once quoted (within its cap, if any)."""
        return self.shipping_discount is not None and self.shipping_discount.is_free

    def _lines_decimal(self) -> Decimal | None:
        """The line discounts added up as a Decimal.

        None when one is not Money of the currency of ``shipping_amount``: the Money
        arithmetic then raises its own error.
        """
        code = self.shipping_amount.currency.code
        total = _ZERO
        for amount in self.line_amounts.values():
            given: object = amount  # callers outside mypy may put anything in the mapping
            if not isinstance(given, Money) or given.currency.code != code:
                return None
            total += given.amount
        return total

    @property
    def lines_amount(self) -> Money:
        """The discount on lines."""
        total = self._lines_decimal()
        if total is None:
            return sum(self.line_amounts.values(), zero(self.shipping_amount.currency))
        return Money(total, self.shipping_amount.currency)

    def _amount_decimal(self) -> Decimal | None:
        """``amount`` as a Decimal (the line discounts, then the shipping one, added up).

        None when a line discount is not Money of the currency of ``shipping_amount``:
        ``amount`` then adds them as Money, which raises its own error.
        """
        total = self._lines_decimal()
        return None if total is None else total + self.shipping_amount.amount

    @property
    def amount(self) -> Money:
        """The discount on lines and (known) shipping."""
        total = self._amount_decimal()
        if total is None:
            return self.lines_amount + self.shipping_amount
        return Money(total, self.shipping_amount.currency)

    @property
    def line_ids(self) -> tuple[str, ...]:
        """The lines it touched, sorted."""
        return tuple(sorted(self.line_amounts))


@attrs.frozen
class NotApplied:
    """A promotion that was considered but did not apply, and why.

    Attributes:
        promotion_id: the promotion.
        reason: why.
        message: a shopper-facing explanation.
        missing_amount: for minimums, what to add.
        missing_quantity: for quantity minimums, how many units to add.
        excluded_by: the promotion ids that won, for ``EXCLUDED_BY_BETTER_PROMOTION``.
        code: the code that unlocked it, if any.
    """

    promotion_id: str
    reason: NotAppliedReason
    message: str = ""
    missing_amount: Money | None = None
    missing_quantity: int | None = None
    excluded_by: tuple[str, ...] = ()
    code: str | None = None


@attrs.frozen
class UpsellHint:
    """Something the shopper can do to get (more of) a promotion.

    Attributes:
        promotion_id: the promotion.
        message: e.g. ``"add 12.00 more for free shipping"``, ``"add 1 more to get one free"``.
        missing_amount: the amount to add, if amount-based.
        missing_quantity: the units to add, if quantity-based.
    """

    promotion_id: str
    message: str
    missing_amount: Money | None = None
    missing_quantity: int | None = None


@attrs.frozen
class CodeRejection:
    """Why an entered code does not apply (a value, not an exception).

    Attributes:
        code: the code as entered (normalised when possible).
        reason: unknown, expired, not started, limit reached, minimum not met, wrong channel or
            currency, customer not eligible, excluded by a better promotion...
        message: a shopper-facing explanation.
        promotion_id: the promotion behind the code (``None`` when unknown).
        missing_amount: for minimums, the shortfall.
        excluded_by: the winning promotions when excluded.
    """

    code: str
    reason: NotAppliedReason
    message: str = ""
    promotion_id: str | None = None
    missing_amount: Money | None = None
    excluded_by: tuple[str, ...] = ()


@attrs.frozen
class PromotionResult:
    """Everything the engine decided for one cart.

    Attributes:
        currency: the cart's currency.
        applied: the promotions that applied (in application order).
        not_applied: candidates that did not apply, with reasons (sorted by id).
        hints: upsell hints (sorted by promotion id).
        accepted_codes: entered codes whose promotion applied.
        rejected_codes: entered codes that do not apply, with reasons.
    """

    currency: str
    applied: tuple[AppliedPromotion, ...] = ()
    not_applied: tuple[NotApplied, ...] = ()
    hints: tuple[UpsellHint, ...] = ()
    accepted_codes: tuple[str, ...] = ()
    rejected_codes: tuple[CodeRejection, ...] = ()

    @property
    def total_discount(self) -> Money:
        """The sum of every applied promotion's amount (lines and known shipping)."""
        return sum((a.amount for a in self.applied), zero(self.currency))

    def line_discount(self, line_id: str) -> Money:
        """The total discount on one line."""
        return sum(
            (a.line_amounts.get(line_id, zero(self.currency)) for a in self.applied),
            zero(self.currency),
        )

    def applied_ids(self) -> tuple[str, ...]:
        """Ids of the applied promotions, in application order."""
        return tuple(a.promotion_id for a in self.applied)


class PromotionBook:
    """An immutable, indexed set of promotions and coupons.

    Raises:
        ConflictingPromotionError: two promotions share an id.
        DuplicateCouponCodeError: two coupons normalise to the same code.
        UnknownPromotionError: a coupon unlocks a promotion that is not in the book.
        CouponForAutomaticPromotionError: a coupon unlocks a promotion that needs no code.
    """

    def __init__(self, promotions: Iterable[Promotion], coupons: Iterable[Coupon] = ()) -> None:
        self._promotions: dict[str, Promotion] = {}
        for promotion in promotions:
            if promotion.id in self._promotions:
                raise ConflictingPromotionError("id", f"two promotions named {promotion.id!r}")
            self._promotions[promotion.id] = promotion
        self._coupons: dict[str, Coupon] = {}
        for coupon in coupons:
            if coupon.code in self._coupons:
                raise DuplicateCouponCodeError(coupon.code)
            if coupon.promotion_id not in self._promotions:
                raise UnknownPromotionError(coupon.promotion_id)
            if not self._promotions[coupon.promotion_id].requires_code:
                raise CouponForAutomaticPromotionError(coupon.code, coupon.promotion_id)
            self._coupons[coupon.code] = coupon
        self._by_key: dict[Key, list[Promotion]] = {}
        self._anywhere: list[Promotion] = []
        # Whether the book's promotions may read the shipping estimate (see
        # ``_reads_shipping_estimate``), so a pipeline knows when quoting one is of no use.
        self._reads_shipping_estimate = not all(
            _ignores_shipping_estimate(p) for p in self._promotions.values()
        )
        for promotion in self._promotions.values():
            if promotion.requires_code:
                continue
            keys = promotion.index_keys()
            if keys is None:
                self._anywhere.append(promotion)
            else:
                for key in keys:
                    self._by_key.setdefault(key, []).append(promotion)

    @property
    def promotions(self) -> tuple[Promotion, ...]:
        """Every promotion, by id."""
        return tuple(self._promotions[k] for k in sorted(self._promotions))

    @property
    def coupons(self) -> tuple[Coupon, ...]:
        """Every coupon, by code."""
        return tuple(self._coupons[k] for k in sorted(self._coupons))

    def promotion(self, promotion_id: str) -> Promotion:
        """A promotion by id.

        Raises:
            UnknownPromotionError: not in the book.
        """
        try:
            return self._promotions[promotion_id]
        except KeyError:
            raise UnknownPromotionError(promotion_id) from None

    def coupon(self, code: str) -> Coupon | None:
        """The coupon for a (raw or normalised) code, or ``None``."""
        try:
            return self._coupons.get(normalize_code(code))
        except InvalidCouponCodeError:
            return None

    def with_promotions(self, extra: Iterable[Promotion]) -> PromotionBook:
        """A new book with ``extra`` promotions added (for backtests)."""
        return PromotionBook([*self._promotions.values(), *extra], self._coupons.values())

    def candidates(self, cart: CartState) -> list[Promotion]:
        """Automatic promotions that can match the cart's lines and channel.

        Promotions in another currency stay candidates: the engine reports them as not applied
        (``wrong_currency``), since a promotion silently missing in one currency is usually a
        configuration mistake. Channel-restricted ones are left out silently, like promotions
        whose products are not in the cart.
        """
        found: dict[str, Promotion] = {p.id: p for p in self._anywhere}
        for key in cart.by_key:
            for promotion in self._by_key.get(key, ()):
                found[promotion.id] = promotion
        channel = cart.input.channel
        return [p for p in found.values() if not p.channels or channel in p.channels]


@attrs.define
class _Outcome:
    promotion: Promotion
    award: Award | None = None
    failure: ConditionCheck | None = None

    @property
    def total(self) -> int:
        """What it is worth to the customer: lines, known shipping, and estimated shipping."""
        if self.award is None:
            return 0
        return self.award.line_total + self.award.shipping + self.award.shipping_estimate


def _sort_key(promotion: Promotion) -> tuple[int, str]:
    return (-promotion.stacking.priority, promotion.id)


def _cap_each_application(
    parts: Sequence[Mapping[int, int]], cap: int, lines: Sequence[LineState]
) -> dict[int, int]:
    """The discounts with each application capped at ``cap`` (split over its lines exactly)."""
    total: dict[int, int] = {}
    for part in parts:
        positions = sorted(p for p, d in part.items() if d > 0)
        amounts = [part[p] for p in positions]
        if sum(amounts) > cap:
            amounts = allocate_minor(cap, amounts)
        for position, amount in zip(positions, amounts, strict=True):
            total[position] = total.get(position, 0) + amount
    capped = ((p, min(d, lines[p].remaining)) for p, d in sorted(total.items()))
    return {p: d for p, d in capped if d > 0}


def _run_one(promotion: Promotion, cart: CartState) -> _Outcome:
    """Check and award one promotion on ``cart`` (not applied to it yet), limits enforced."""
    check = promotion.check(cart)
    if not check.passed:
        return _Outcome(promotion, failure=check)
    limits = promotion.limits
    view = BenefitView(
        cart, cart.matching(promotion.targets), limits.max_applications, limits.max_items
    )
    award = promotion.benefit.award(view)
    lines = cart.lines
    discounts: dict[int, int] = {}
    for position, granted in sorted(award.discounts.items()):
        if granted > 0:
            kept = min(granted, lines[position].remaining)
            if kept > 0:
                discounts[position] = kept
    shipping = max(0, award.shipping)
    if cart.shipping_known:
        shipping = min(shipping, cart.shipping_remaining)
    per_application = limits.max_discount_per_application
    if per_application is not None and award.parts:
        discounts = _cap_each_application(award.parts, to_minor(per_application), lines)
    cap = (
        None
        if per_application is None and limits.max_discount_total is None
        else limits.cap(award.applications)
    )
    line_total = sum(discounts.values())
    if cap is not None and line_total + shipping > cap:
        if line_total > cap:
            positions = list(discounts)
            parts = allocate_minor(cap, [discounts[p] for p in positions])
            discounts = {p: d for p, d in zip(positions, parts, strict=True) if d > 0}
            line_total = cap
        shipping = min(shipping, cap - line_total)
    award.discounts = discounts
    award.shipping = shipping
    if award.shipping_later is not None and cap is not None and line_total + shipping >= cap:
        award.shipping_later = None  # the cap is used up: nothing left for shipping
    later = award.shipping_later
    if later is not None and cart.estimate_remaining is not None:
        base = cart.estimate_remaining
        if later.amount is not None:
            estimate = min(later.amount, base)
        else:
            estimate = min(view.percent_of(base, later.percent or Decimal(0)), base)
        if cap is not None:
            estimate = min(estimate, cap - line_total - shipping)
        award.shipping_estimate = max(0, estimate)
    if not discounts and not shipping and award.shipping_later is None and not award.gifts:
        hint = award.hint
        if hint is not None and hint.minimum:
            return _Outcome(
                promotion,
                award=award,
                failure=ConditionCheck.fail(
                    NotAppliedReason.MINIMUM_NOT_MET,
                    hint.message,
                    missing_minor=hint.missing_minor,
                    missing_quantity=hint.missing_quantity,
                ),
            )
        return _Outcome(
            promotion,
            award=award,
            failure=ConditionCheck.fail(
                NotAppliedReason.NO_ELIGIBLE_ITEMS, "nothing in the cart qualifies"
            ),
        )
    return _Outcome(promotion, award=award)


def _group_losers(eligible: Sequence[Promotion], alone: Mapping[str, _Outcome]) -> dict[str, str]:
    """Group members beaten by a better member of their group (loser id -> winner id)."""
    excluded: dict[str, str] = {}
    groups: dict[str, list[Promotion]] = {}
    for promotion in eligible:
        if promotion.stacking.group is not None:
            groups.setdefault(promotion.stacking.group, []).append(promotion)
    for members in groups.values():
        ranked = sorted(members, key=lambda p: (-alone[p.id].total, -p.stacking.priority, p.id))
        for beaten in ranked[1:]:
            excluded[beaten.id] = ranked[0].id
    return excluded


@attrs.define
class _Scenario:
    outcomes: list[_Outcome]
    stopped: list[Promotion] = attrs.field(factory=list)
    stopped_by: str = ""

    @property
    def total(self) -> int:
        return sum(o.total for o in self.outcomes)

    def rank(self) -> tuple[int, int, tuple[str, ...]]:
        best_priority = max((o.promotion.stacking.priority for o in self.outcomes), default=0)
        ids = tuple(sorted(o.promotion.id for o in self.outcomes))
        return (-self.total, -best_priority, ids)


def _run_stack(
    promotions: Sequence[Promotion],
    cart: CartState,
    fresh: Mapping[str, _Outcome],
) -> tuple[_Scenario, list[_Outcome]]:
    """Apply promotions in order on ``cart`` (mutated); returns the scenario and late failures.

    ``cart`` starts with no discount applied, and ``fresh`` holds outcomes already computed on
    such a cart: until a promotion applies, the cart is still in that state, so a promotion's
    outcome there is the one in ``fresh`` (``_run_one`` is deterministic) and is reused.
    """
    scenario = _Scenario([])
    failures: list[_Outcome] = []
    for index, promotion in enumerate(promotions):
        known = None if scenario.outcomes else fresh.get(promotion.id)
        outcome = known if known is not None else _run_one(promotion, cart)
        if outcome.failure is not None or outcome.award is None:
            failures.append(outcome)
            continue
        cart.apply(outcome.award.discounts, outcome.award.shipping, outcome.award.shipping_estimate)
        scenario.outcomes.append(outcome)
        if promotion.stacking.stop_further:
            scenario.stopped = list(promotions[index + 1 :])
            scenario.stopped_by = promotion.id
            break
    return scenario, failures


@attrs.define
class _Decision:
    """Steps 2-4 decided: group losers, survivors, the stack, and the winning scenario."""

    excluded: dict[str, str]
    survivors: list[Promotion]
    stack: _Scenario
    late_failures: list[_Outcome]
    winner: _Scenario
    final_cart: CartState
    dropped: list[_Outcome]


def _lone_stack(
    eligible: Sequence[Promotion], alone: Mapping[str, _Outcome], cart: CartState
) -> _Decision:
    """Steps 2-4 for at most one eligible promotion, which combines (is not exclusive).

    What :func:`_stack_and_exclusives` decides then: no group has two members, the stack is
    the promotion's outcome on the fresh cart (or empty), no exclusive competes, so the stack
    wins. Its cart would only differ from ``cart`` by the discount applied, which nothing
    after this step reads, so no copy of the cart is made.
    """
    stack = _Scenario([alone[p.id] for p in eligible])
    if eligible and eligible[0].stacking.stop_further:
        stack.stopped_by = eligible[0].id
    return _Decision({}, list(eligible), stack, [], stack, cart, [])


def _stack_and_exclusives(
    eligible: Sequence[Promotion], alone: Mapping[str, _Outcome], cart: CartState
) -> _Decision:
    """Steps 2-4 of the module docstring.

    2. One member per group: the best alone; 3. the stack of non-exclusive promotions. A group
    winner that does not apply in the stack (a condition on discounted values fails) gives
    way to the next best member of its group, and the stack is built again. 4. Each exclusive
    alone; the best scenario wins.
    """
    dropped: dict[str, _Outcome] = {}
    while True:
        excluded = _group_losers(
            [p for p in eligible if p.id not in dropped and not p.stacking.exclusive], alone
        )
        survivors = [p for p in eligible if p.id not in excluded and p.id not in dropped]
        stack_cart = cart.copy_fresh()
        stack, late_failures = _run_stack(
            [p for p in survivors if not p.stacking.exclusive], stack_cart, alone
        )
        winners = set(excluded.values())
        retry = [o for o in late_failures if o.promotion.id in winners]
        if not retry:
            break
        dropped.update((o.promotion.id, o) for o in retry)
    scenarios: list[tuple[_Scenario, CartState]] = [(stack, stack_cart)]
    scenarios.extend((_Scenario([alone[p.id]]), cart) for p in survivors if p.stacking.exclusive)
    winner, final_cart = (
        scenarios[0] if len(scenarios) == 1 else min(scenarios, key=lambda item: item[0].rank())
    )
    return _Decision(
        excluded, survivors, stack, late_failures, winner, final_cart, list(dropped.values())
    )


def _excluded_message(*, winner_is_stack: bool, tie: bool) -> str:
    """Why a scenario lost: the winner is worth more, or as much and won the tie-break."""
    if winner_is_stack:
        what = "the offers that combine are worth"
        return f"{what} as much together and win the tie" if tie else f"{what} more together"
    if tie:
        return "an exclusive offer worth as much applies (it wins the tie)"
    return "an exclusive offer worth more applies"


def _money_or_none(minor: int | None, currency: str) -> Money | None:
    return None if minor is None else from_minor(minor, currency)


def _describe(promotion: Promotion) -> str:
    return promotion.description or promotion.name


def _condition_hint(promotion: Promotion, check: ConditionCheck, currency: str) -> UpsellHint:
    desc = _describe(promotion)
    if check.missing_minor is not None:
        amount = from_minor(check.missing_minor, currency)
        return UpsellHint(
            promotion.id, f"add {amount.amount} more for {desc}", missing_amount=amount
        )
    return UpsellHint(
        promotion.id,
        f"add {check.missing_quantity} more for {desc}",
        missing_quantity=check.missing_quantity,
    )


def _hint(promotion_id: str, hint: Hint, currency: str) -> UpsellHint:
    return UpsellHint(
        promotion_id,
        hint.message,
        _money_or_none(hint.missing_minor, currency),
        hint.missing_quantity,
    )


def _shipping_discount(
    promotion: Promotion, award: Award, cart: CartState, code: str | None
) -> ShippingDiscount | None:
    """The award's pending shipping discount as the pipeline's rule, within the promotion's cap."""
    later = award.shipping_later
    if later is None:
        return None
    currency = cart.currency
    cap = promotion.limits.cap(max(award.applications, 1))
    limit = None if cap is None else from_minor(cap - award.line_total - award.shipping, currency)
    return ShippingDiscount(
        source_id=promotion.id,
        label=promotion.name,
        percent=later.percent,
        amount=None if later.amount is None else from_minor(later.amount, currency),
        limit=limit,
        code=code or "",
    )


def _applied(outcome: _Outcome, cart: CartState, code: str | None) -> AppliedPromotion:
    award = outcome.award
    assert award is not None  # noqa: S101 - only applied outcomes get here
    currency = cart.currency
    promotion = outcome.promotion
    lines = cart.lines
    # The dict is new: handed over to the result, not copied again.
    return AppliedPromotion._owned(
        promotion.id,
        promotion.name,
        promotion.description,
        {lines[p].line.line_id: from_minor(d, currency) for p, d in award.discounts.items()},
        from_minor(award.shipping, currency),
        _shipping_discount(promotion, award, cart, code),
        max(award.applications, 1),
        code,
        award.gifts,
        None
        if award.shipping_later is None or cart.estimate_remaining is None
        else from_minor(award.shipping_estimate, currency),
    )


_CODE_FAILURES = {
    NotAppliedReason.NOT_STARTED: "this code is not valid yet",
    NotAppliedReason.EXPIRED: "this code has expired",
    NotAppliedReason.LIMIT_REACHED: "this code has been used up",
    NotAppliedReason.UNKNOWN_CODE: "this code does not exist",
    NotAppliedReason.CUSTOMER_NOT_ELIGIBLE: "sign in to use this code (limited per customer)",
}


def _lone_candidate(ordered: Sequence[Promotion], cart: CartState) -> PromotionResult:
    """:func:`apply_promotions` without codes for at most one candidate, which combines.

    What the steps decide then: no code is accepted or rejected, no group has two members and
    no exclusive competes, so the candidate applies alone (the stack of one wins, on ``cart``
    as ``_lone_stack`` keeps it) or is not applied with its own reason and hint.
    """
    currency = cart.currency
    if not ordered:
        return PromotionResult(currency)
    promotion = ordered[0]
    outcome = _run_one(promotion, cart)
    check, award = outcome.failure, outcome.award
    hints: tuple[UpsellHint, ...] = ()
    if check is not None:
        assert check.reason is not None  # noqa: S101 - failures carry a reason
        missed = NotApplied(
            promotion.id,
            check.reason,
            check.message,
            _money_or_none(check.missing_minor, currency),
            check.missing_quantity,
        )
        if award is not None and award.hint is not None:
            hints = (_hint(promotion.id, award.hint, currency),)
        elif check.missing_minor is not None or check.missing_quantity is not None:
            hints = (_condition_hint(promotion, check, currency),)
        return PromotionResult(currency, (), (missed,), hints)
    assert award is not None  # noqa: S101 - an outcome without failure has its award
    if award.hint is not None:
        hints = (_hint(promotion.id, award.hint, currency),)
    return PromotionResult(currency, (_applied(outcome, cart, None),), (), hints)


def apply_promotions(  # noqa: PLR0915 - the steps of the module docstring, in order
    book: PromotionBook, data: PromotionInput
) -> PromotionResult:
    """Decide which promotions apply to a cart and what each grants (pure, deterministic).

    See the module documentation for the stacking rules and the tie-break.
    """
    cart = CartState(data)
    currency = data.currency
    automatic = book.candidates(cart)  # does not depend on the codes
    if not data.codes and len(automatic) <= 1 and not any(p.stacking.exclusive for p in automatic):
        # No code is entered: nothing is unlocked or rejected, and the candidates are the
        # book's automatic ones (unique ids, a lone one is sorted already).
        return _lone_candidate(automatic, cart)
    rejections: list[CodeRejection] = []
    unlocked: dict[str, str] = {}
    seen: set[str] = set()
    for raw in data.codes:
        try:
            code = normalize_code(raw)
        except InvalidCouponCodeError:
            rejections.append(CodeRejection(str(raw), NotAppliedReason.UNKNOWN_CODE, "invalid"))
            continue
        if code in seen:
            continue
        seen.add(code)
        coupon = book.coupon(code)
        reason: NotAppliedReason | None = None
        if coupon is None:
            reason = NotAppliedReason.UNKNOWN_CODE
        elif coupon.not_started(data.now):
            reason = NotAppliedReason.NOT_STARTED
        elif coupon.expired(data.now):
            reason = NotAppliedReason.EXPIRED
        elif code in data.exhausted_codes:
            reason = NotAppliedReason.LIMIT_REACHED
        elif coupon.max_uses_per_customer is not None and data.customer_id is None:
            reason = NotAppliedReason.CUSTOMER_NOT_ELIGIBLE
        if reason is not None:
            pid = None if coupon is None else coupon.promotion_id
            rejections.append(CodeRejection(code, reason, _CODE_FAILURES[reason], pid))
            continue
        assert coupon is not None  # noqa: S101 - reason is set when it is None
        current = unlocked.get(coupon.promotion_id)
        if current is None or code < current:
            unlocked[coupon.promotion_id] = code
        if current is not None:
            # One code per promotion: the smallest represents it (independent of entry order).
            rejections.append(
                CodeRejection(
                    max(code, current),
                    NotAppliedReason.ANOTHER_CODE_FOR_PROMOTION,
                    "another code for this offer is already applied",
                    coupon.promotion_id,
                )
            )

    candidates = {p.id: p for p in automatic}
    for pid in unlocked:
        candidates[pid] = book.promotion(pid)
    ordered = sorted(candidates.values(), key=_sort_key)

    not_applied: dict[str, NotApplied] = {}
    hints: dict[str, UpsellHint] = {}

    def fail(outcome: _Outcome) -> None:
        check = outcome.failure
        assert check is not None  # noqa: S101 - only failures get here
        assert check.reason is not None  # noqa: S101 - failures carry a reason
        promotion = outcome.promotion
        not_applied[promotion.id] = NotApplied(
            promotion.id,
            check.reason,
            check.message,
            _money_or_none(check.missing_minor, currency),
            check.missing_quantity,
            code=unlocked.get(promotion.id),
        )
        if outcome.award is not None and outcome.award.hint is not None:
            hints[promotion.id] = _hint(promotion.id, outcome.award.hint, currency)
        elif check.missing_minor is not None or check.missing_quantity is not None:
            hints[promotion.id] = _condition_hint(promotion, check, currency)

    # 1. eligibility on the undiscounted cart, standalone value of each eligible promotion.
    alone: dict[str, _Outcome] = {}
    for promotion in ordered:
        outcome = _run_one(promotion, cart)
        if outcome.failure is not None:
            fail(outcome)
        else:
            alone[promotion.id] = outcome
    eligible = [p for p in ordered if p.id in alone]

    decided = (
        _lone_stack(eligible, alone, cart)
        if len(eligible) <= 1 and not any(p.stacking.exclusive for p in eligible)
        else _stack_and_exclusives(eligible, alone, cart)
    )
    for outcome in decided.dropped:
        fail(outcome)
    excluded, survivors, stack = decided.excluded, decided.survivors, decided.stack
    late_failures, winner, final_cart = decided.late_failures, decided.winner, decided.final_cart
    winner_ids = tuple(sorted(o.promotion.id for o in winner.outcomes))

    for loser in sorted(excluded):
        not_applied[loser] = NotApplied(
            loser,
            NotAppliedReason.EXCLUDED_BY_BETTER_PROMOTION,
            "a better offer of the same group applies",
            excluded_by=(excluded[loser],),
            code=unlocked.get(loser),
        )
    applied_ids = set(winner_ids)
    if winner is stack:
        for outcome in late_failures:
            fail(outcome)
        for promotion in stack.stopped:
            not_applied[promotion.id] = NotApplied(
                promotion.id,
                NotAppliedReason.STOPPED_BY_HIGHER_PRIORITY,
                "a higher-priority offer stops further offers",
                excluded_by=(stack.stopped_by,),
                code=unlocked.get(promotion.id),
            )
    for promotion in survivors:
        if promotion.id not in applied_ids and promotion.id not in not_applied:
            own = alone[promotion.id].total if promotion.stacking.exclusive else stack.total
            not_applied[promotion.id] = NotApplied(
                promotion.id,
                NotAppliedReason.EXCLUDED_BY_BETTER_PROMOTION,
                _excluded_message(winner_is_stack=winner is stack, tie=winner.total <= own),
                excluded_by=winner_ids,
                code=unlocked.get(promotion.id),
            )

    applied = tuple(_applied(o, final_cart, unlocked.get(o.promotion.id)) for o in winner.outcomes)
    for outcome in winner.outcomes:
        if outcome.award is not None and outcome.award.hint is not None:
            hints[outcome.promotion.id] = _hint(outcome.promotion.id, outcome.award.hint, currency)

    accepted = tuple(sorted(unlocked[p] for p in applied_ids if p in unlocked))
    for pid, code in sorted(unlocked.items(), key=lambda item: item[1]):
        if pid in applied_ids:
            continue
        why = not_applied[pid]
        rejections.append(
            CodeRejection(
                code,
                why.reason,
                why.message,
                pid,
                why.missing_amount,
                why.excluded_by,
            )
        )
    return PromotionResult(
        currency,
        applied,
        tuple(not_applied[k] for k in sorted(not_applied)),
        tuple(hints[k] for k in sorted(hints)),
        accepted,
        tuple(sorted(rejections, key=lambda r: r.code)),
    )


@attrs.frozen
class BacktestReport:
    """What a candidate promotion would have granted on historical carts.

    Attributes:
        promotion_id: the candidate.
        carts: how many carts were re-priced.
        carts_affected: how many the candidate applied to.
        total_discount: the sum of what the candidate granted.
        average_discount: ``total_discount / carts_affected`` rounded half-up (zero when none).
        per_cart: what the candidate granted on each cart, in input order.
        net_change: how much the carts' total discount changes with the candidate: its own
            discount minus what the promotions it displaces (exclusivity, groups, stop-further,
            lower remaining values) no longer grant. Negative if the candidate costs the
            customers more than it gives.
        per_cart_net_change: the net change on each cart, in input order.
    """

    promotion_id: str
    carts: int
    carts_affected: int
    total_discount: Money
    average_discount: Money
    per_cart: tuple[Money, ...]
    net_change: Money | None = None
    per_cart_net_change: tuple[Money, ...] = ()


def backtest(
    book: PromotionBook, candidate: Promotion, carts: Iterable[PromotionInput], currency: str
) -> BacktestReport:
    """Re-price ``carts`` (in ``currency``) with ``candidate`` added to ``book``.

    Each cart is priced with the book plus the candidate; the candidate's own applied amount
    counts (so stacking, exclusivity and limits are taken into account). Each cart is also
    priced without it, so the report gives the net change in total discount when the candidate
    displaces other promotions. Carts in another currency are skipped (counted as not
    affected, no change).

    Raises:
        CurrencyMismatchError: the candidate cannot apply in ``currency`` (its amounts or its
            ``currencies`` are in another one).
    """
    if not candidate.valid_in(currency):
        raise CurrencyMismatchError(
            currency,
            candidate.currency or ",".join(sorted(candidate.currencies)),
            context=f"backtest of {candidate.id}",
        )
    with_candidate = book.with_promotions([candidate])
    granted: list[Money] = []
    changes: list[Money] = []
    for data in carts:
        if data.currency != currency:
            granted.append(zero(currency))
            changes.append(zero(currency))
            continue
        result = apply_promotions(with_candidate, data)
        mine = [a.amount for a in result.applied if a.promotion_id == candidate.id]
        granted.append(mine[0] if mine else zero(currency))
        before = apply_promotions(book, data).total_discount
        changes.append(result.total_discount - before)
    total = sum(granted, zero(currency))
    affected = sum(1 for g in granted if g.amount > 0)
    average = zero(currency)
    if affected:
        average = from_minor(round_minor(Decimal(to_minor(total)) / affected, currency), currency)
    return BacktestReport(
        candidate.id,
        len(granted),
        affected,
        total,
        average,
        tuple(granted),
        sum(changes, zero(currency)),
        tuple(changes),
    )
