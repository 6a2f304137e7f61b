"""Promotions in the pricing pipeline, and the coupon operations checkout needs.

:class:`PromotionEngine` is the pipeline's :class:`~commerce_core.domain.pricing.AdjustmentStage`:
``price_cart(cart, context, stages=[engine], ...)``. It reads the customer's order count from the
``CustomerHistory`` port and coupon usage from the ``CouponUsage`` port, then delegates to the pure
:func:`~commerce_core.domain.promotions.apply_promotions`.

Checkout calls :meth:`PromotionEngine.evaluate_codes` (which codes apply),
:meth:`PromotionEngine.redeem_codes` (atomic, all or nothing) when placing the order, and
:meth:`PromotionEngine.release_codes` when payment fails or the order is cancelled.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Final

import attrs

from commerce_core.domain.coupons import Coupon, RedeemOutcome, generate_codes, normalize_code
from commerce_core.domain.pricing import (
    Adjustment,
    AdjustmentNote,
    AdjustmentResult,
    NoteStatus,
    PricingContext,
    PricingLine,
    ShippingDiscount,
)
from commerce_core.domain.promotions import (
    AppliedPromotion,
    BacktestReport,
    NotAppliedReason,
    Promotion,
    PromotionBook,
    PromotionInput,
    PromotionLine,
    PromotionResult,
    apply_promotions,
    backtest,
)
from commerce_core.errors import UnknownCouponError
from commerce_core.money import Money, zero
from commerce_core.ports.promotions import CouponUsage, CustomerHistory
from commerce_core.ports.random import RandomSource

__all__ = [
    "PromotionEngine",
    "CouponRedemption",
    "generate_coupons",
]


_NO_STRINGS: Final[frozenset[str]] = frozenset()
_line_id: Final = operator.attrgetter("line_id")


@attrs.frozen
class CouponRedemption:
    """The outcome of redeeming an order's codes (all or nothing).

    Attributes:
        ok: every code now holds a use for the order.
        redeemed: the codes holding a use for the order (empty unless ``ok``).
        failed_code: the code that could not be redeemed.
        reason: why (``LIMIT_REACHED`` for global or per-customer limits,
            ``CUSTOMER_NOT_ELIGIBLE`` for a guest redeeming a per-customer-limited code).
    """

    ok: bool
    redeemed: tuple[str, ...] = ()
    failed_code: str | None = None
    reason: NotAppliedReason | None = None


class PromotionEngine:
    """The promotions stage of the pricing pipeline, and checkout's coupon operations.

    Args:
        book: the promotions and coupons in force.
        usage: coupon usage counts (codes at their limit are rejected with ``LIMIT_REACHED``).
        history: customers' order counts (first / n-th order conditions).
        name: the stage name (its report is ``breakdown.extensions[name]``).
    """

    def __init__(
        self,
        book: PromotionBook,
        *,
        usage: CouponUsage | None = None,
        history: CustomerHistory | None = None,
        name: str = "promotions",
    ) -> None:
        self.book = book
        self.usage = usage
        self.history = history
        self._name = name

    @property
    def name(self) -> str:
        """The stage's name."""
        return self._name

    @property
    def _reads_shipping_estimate(self) -> bool:
        """Internal: whether :meth:`adjust` may read ``context.shipping_estimate``.

        The estimate only values pending shipping benefits (``Award.shipping_later``): when
        no promotion of the book may grant one or read the estimate
        (``PromotionBook._reads_shipping_estimate``), False tells ``price_cart`` it need not
        quote it. A subclass (of the engine or of the book) may do as it likes: it always gets
        the estimate.
        """
        book = self.book
        return (
            type(self) is not PromotionEngine
            or type(book) is not PromotionBook
            or book._reads_shipping_estimate
        )

    def promotion_input(
        self, lines: Sequence[PricingLine], context: PricingContext
    ) -> PromotionInput:
        """What the promotions see of ``lines`` in ``context`` (ports read here)."""
        previous: int | None = None
        if self.history is not None and context.customer_id is not None:
            previous = self.history.previous_orders(context.customer_id)
        # The pricing lines are validated already (quantity, unit price and more), and every
        # field below is in the form the input's converters would give it (lines sorted by id,
        # frozensets, the context's tuple of codes): the input is built without converting
        # again (its own checks still run).
        promotion_lines = sorted(
            (
                PromotionLine._trusted(
                    line.line_id,
                    line.sku,
                    line.quantity,
                    line.unit_price,
                    line.categories,
                    line.tags,
                )
                for line in lines
            ),
            key=_line_id,
        )
        group = context.customer_group
        destination = context.destination
        return PromotionInput._trusted(
            context.currency,
            tuple(promotion_lines),
            context.now,
            context.channel,
            context.customer_id,
            _NO_STRINGS if group is None else frozenset((group,)),
            previous,
            None if destination is None else destination.country,
            None,
            context.shipping_estimate,
            tuple(context.coupon_codes),
            self._exhausted(context.coupon_codes, context.customer_id),
            context.rounding,
        )

    def _exhausted(self, codes: Iterable[str], customer_id: str | None) -> frozenset[str]:
        if self.usage is None or not codes:
            return _NO_STRINGS
        out: set[str] = set()
        for raw in codes:
            coupon = self.book.coupon(raw)
            if coupon is None:
                continue
            if (
                coupon.max_uses is not None and self.usage.uses(coupon.code) >= coupon.max_uses
            ) or (
                coupon.max_uses_per_customer is not None
                and customer_id is not None
                and self.usage.uses(coupon.code, customer_id) >= coupon.max_uses_per_customer
            ):
                out.add(coupon.code)
        return frozenset(out)

    def evaluate(self, lines: Sequence[PricingLine], context: PricingContext) -> PromotionResult:
        """The engine's full decision for a cart (applied, not applied, hints, codes)."""
        return apply_promotions(self.book, self.promotion_input(lines, context))

    def evaluate_codes(
        self, lines: Sequence[PricingLine], context: PricingContext
    ) -> PromotionResult:
        """Which entered codes apply (``accepted_codes``) and why others do not.

        The reasons are in ``rejected_codes``: unknown, expired, not started, limit reached,
        minimum not met (with the shortfall), wrong channel or currency, customer not eligible,
        excluded by a better promotion.
        """
        return self.evaluate(lines, context)

    def adjust(self, lines: Sequence[PricingLine], context: PricingContext) -> AdjustmentResult:
        """The pipeline stage: adjustments per line and shipping, gift lines, notes, report.

        Shipping benefits whose amount depends on the quote (free shipping, a percentage or an
        amount off) are returned as :class:`~commerce_core.domain.pricing.ShippingDiscount`
        rules: the pipeline computes the real amount once shipping is quoted, records it as
        the shipping adjustment and adds it to the promotion's applied note
        (``data["shipping_discount"]``, and the message).
        """
        result = self.evaluate(lines, context)
        currency = context.currency
        # The library's own decisions hold amounts made from minor units (on the grid): their
        # adjustments need no check again. A subclass's ``evaluate`` may return anything.
        trusted = type(self) is PromotionEngine
        adjustment = Adjustment._trusted if trusted else Adjustment
        note = AdjustmentNote._owned
        line_adjs: dict[str, list[Adjustment]] = {}
        shipping: list[Adjustment] = []
        shipping_discounts: list[ShippingDiscount] = []
        extra: list[PricingLine] = []
        notes: list[AdjustmentNote] = []
        for applied in result.applied:
            code = applied.code or ""
            label = applied.name
            source = applied.promotion_id
            line_amounts = applied.line_amounts
            line_ids = applied.line_ids
            for line_id in line_ids:
                amount = line_amounts[line_id]
                found = line_adjs.get(line_id)
                if found is None:
                    found = line_adjs[line_id] = []
                # ``-amount``, without Money's keyword-argument constructor (the library's
                # amounts are plain Money).
                off = Money(-amount.amount, amount.currency) if trusted else -amount
                found.append(adjustment(source, label, off, code))
            if applied.shipping_amount.amount > 0:
                shipping.append(adjustment(source, label, -applied.shipping_amount, code))
            if applied.shipping_discount is not None:
                shipping_discounts.append(applied.shipping_discount)
            for gift in applied.gifts:
                line_id = f"gift:{source}:{gift.sku}"
                value = gift.value if gift.value is not None else zero(currency)
                inclusive = any(line.prices_include_tax for line in lines)
                extra.append(
                    PricingLine(
                        line_id,
                        gift.sku,
                        gift.name or gift.sku,
                        gift.quantity,
                        value,
                        prices_include_tax=inclusive,
                        metadata={"gift_of": source},
                    )
                )
                if value.amount > 0:
                    line_adjs.setdefault(line_id, []).append(
                        Adjustment(source, label, -(value * gift.quantity), code)
                    )
            # ``applied.amount.amount`` (the same sum), without building the Money when the
            # library's own engine gave the library's own record of amounts of one currency;
            # anything else (a subclass's evaluate may return its own record) is asked for it.
            total = (
                applied._amount_decimal() if trusted and type(applied) is AppliedPromotion else None
            )
            if total is None:
                total = applied.amount.amount
            shown = (
                applied.shipping_discount.describe()
                if applied.shipping_discount is not None and not total
                else f"-{total}"
            )
            notes.append(
                note(
                    source,
                    NoteStatus.APPLIED,
                    f"{applied.name}: {shown}",
                    {
                        "amount": str(total),
                        "lines": list(line_ids),
                        "code": code,
                        "applications": applied.applications,
                    },
                )
            )
        if result.not_applied or result.hints or result.rejected_codes:
            notes.extend(_unapplied_notes(result))
        return AdjustmentResult._owned(
            {line_id: tuple(adjs) for line_id, adjs in line_adjs.items()},
            tuple(shipping),
            tuple(shipping_discounts),
            tuple(extra),
            tuple(notes),
            result,
        )

    def redeem_codes(
        self, codes: Iterable[str], *, order_id: str, customer_id: str | None
    ) -> CouponRedemption:
        """Atomically take one use of each code for ``order_id``: all or nothing.

        Call it when placing the order with the ``accepted_codes`` of the final pricing. On
        success the order holds one use of every code of ``codes``. A code at its limit makes
        the whole redemption fail and gives back only the uses *this* call took, so the order
        holds exactly what it held before the call (a code it already held stays held).
        Codes held from an earlier call and not in ``codes`` are left alone: a redeem call only
        takes uses; give dropped codes back with :meth:`release_codes`.
        Idempotent per ``order_id``.

        Raises:
            UnknownCouponError: a code is not in the book (redeem only accepted codes).
            InvalidCouponCodeError: a code is malformed.
            ValueError: no ``usage`` port was given.
        """
        usage = self._require_usage()
        coupons = self._coupons(codes)
        taken: list[str] = []
        held: list[str] = []
        for coupon in coupons:
            outcome = usage.redeem(
                coupon.code,
                order_id=order_id,
                customer_id=customer_id,
                max_uses=coupon.max_uses,
                max_uses_per_customer=coupon.max_uses_per_customer,
            )
            if outcome is RedeemOutcome.REDEEMED:
                taken.append(coupon.code)
            if outcome.ok:
                held.append(coupon.code)
                continue
            for code in taken:
                usage.release(code, order_id=order_id)
            reason = (
                NotAppliedReason.CUSTOMER_NOT_ELIGIBLE
                if outcome is RedeemOutcome.CUSTOMER_REQUIRED
                else NotAppliedReason.LIMIT_REACHED
            )
            return CouponRedemption(False, (), coupon.code, reason)
        return CouponRedemption(True, tuple(held))

    def release_codes(self, codes: Iterable[str], *, order_id: str) -> tuple[str, ...]:
        """Give back the uses ``order_id`` holds (payment failed, order cancelled); idempotent.

        Returns the codes whose use was released.

        Raises:
            UnknownCouponError: a code is not in the book.
            ValueError: no ``usage`` port was given.
        """
        usage = self._require_usage()
        return tuple(
            c.code for c in self._coupons(codes) if usage.release(c.code, order_id=order_id)
        )

    def backtest(
        self,
        candidate: Promotion,
        carts: Iterable[tuple[Sequence[PricingLine], PricingContext]],
        currency: str,
    ) -> BacktestReport:
        """Re-price historical carts with ``candidate`` added (see ``backtest``)."""
        inputs = [self.promotion_input(lines, context) for lines, context in carts]
        return backtest(self.book, candidate, inputs, currency)

    def _require_usage(self) -> CouponUsage:
        if self.usage is None:
            msg = "this PromotionEngine has no CouponUsage port"
            raise ValueError(msg)
        return self.usage

    def _coupons(self, codes: Iterable[str]) -> list[Coupon]:
        found: dict[str, Coupon] = {}
        for raw in codes:
            code = normalize_code(raw)
            coupon = self.book.coupon(code)
            if coupon is None:
                raise UnknownCouponError(code)
            found[code] = coupon
        return [found[k] for k in sorted(found)]


def _unapplied_notes(result: PromotionResult) -> list[AdjustmentNote]:
    """The notes of what did not apply: promotions with their reason, hints, rejected codes."""
    note = AdjustmentNote._owned
    out: list[AdjustmentNote] = []
    for missed in result.not_applied:
        data: dict[str, object] = {"reason": missed.reason.value}
        if missed.missing_amount is not None:
            data["missing"] = str(missed.missing_amount.amount)
        if missed.missing_quantity is not None:
            data["missing_quantity"] = missed.missing_quantity
        if missed.excluded_by:
            data["excluded_by"] = list(missed.excluded_by)
        out.append(note(missed.promotion_id, NoteStatus.NOT_APPLICABLE, missed.message, data))
    for hint in result.hints:
        data = {}
        if hint.missing_amount is not None:
            data["missing"] = str(hint.missing_amount.amount)
        if hint.missing_quantity is not None:
            data["missing_quantity"] = hint.missing_quantity
        out.append(note(hint.promotion_id, NoteStatus.UPSELL, hint.message, data))
    out.extend(
        note(
            f"code:{rejection.code}",
            NoteStatus.NOT_APPLICABLE,
            rejection.message,
            {"reason": rejection.reason.value, "code": rejection.code},
        )
        for rejection in result.rejected_codes
    )
    return out


def generate_coupons(
    book: PromotionBook,
    promotion_id: str,
    count: int,
    random: RandomSource,
    *,
    prefix: str = "",
    length: int = 12,
    max_uses: int | None = 1,
    max_uses_per_customer: int | None = None,
) -> tuple[Coupon, ...]:
    """Bulk-create unguessable single-use (by default) coupons for a promotion in ``book``.

    Codes never collide with the book's existing codes. Add them with
    ``PromotionBook(book.promotions, [*book.coupons, *new])``.

    Raises:
        UnknownPromotionError: the promotion is not in the book.
        CodeGenerationError: the code space is too small.
    """
    book.promotion(promotion_id)
    codes = generate_codes(
        count,
        random.randrange,
        length=length,
        prefix=prefix,
        existing=(c.code for c in book.coupons),
    )
    return tuple(
        Coupon(
            code=code,
            promotion_id=promotion_id,
            max_uses=max_uses,
            max_uses_per_customer=max_uses_per_customer,
        )
        for code in codes
    )
