"""The pricing pipeline: from cart lines to an exact, fully explained :class:`PriceBreakdown`.

``price_cart(cart_or_lines, context, *, stages=(), tax=None, shipping=None)`` is pure and
deterministic: the same lines and :class:`PricingContext` always give the same breakdown. It
accepts a cart (anything with ``pricing_lines()``, such as :class:`~commerce_core.domain.cart.Cart`)
or a plain sequence of :class:`PricingLine` (to re-price historical carts in a backtest).

Stages, in order
----------------
1. **Base amounts**: each line's ``unit_price * quantity``, in the line's *price basis* (gross when
   ``prices_include_tax``, otherwise net).
2. **Adjustments**: every :class:`AdjustmentStage` (the Promotions capability provides one) sees
   the lines and the context and returns an :class:`AdjustmentResult`: per-line
   :class:`Adjustment` values, :class:`ShippingDiscount` rules (free shipping, 20% off shipping),
   extra lines (a free gift) and :class:`AdjustmentNote` values (applied / not applicable with a
   reason / upsell hints), plus an optional opaque ``report`` stored under the stage's name in
   :attr:`PriceBreakdown.extensions`. A line's total after adjustments never goes below zero
   (the clamp is traced). When shipping will be quoted, stages see
   ``context.shipping_estimate``, the quote for the undiscounted goods, to value shipping benefits.
3. **Shipping**: when some line is shippable and ``context.shipping_method`` is set, the
   :class:`~commerce_core.domain.shipping.ShippingCalculator` quotes it for a
   :class:`~commerce_core.domain.shipping.ShipmentSummary` of the adjusted shippable goods;
   explicit shipping adjustments then apply, then each :class:`ShippingDiscount` in stage order
   on what is left of the charge. Each discount is recorded as a shipping :class:`Adjustment`
   with its real amount (never more than the charge), traced, and added to the stage's
   ``applied`` notes for its source (``data["shipping_discount"]``).
4. **Tax**: the :class:`~commerce_core.domain.tax.TaxCalculator` resolves each tax class once;
   discounts have already reduced the taxable amount. Net prices get tax added; gross prices have
   their net derived per line with that line's own (possibly combined or compound) rate. Shipping
   is taxed with its own class, or (``tax_class=None``) split over the shippable goods' rate
   groups in proportion to their nets (their quantities when those nets are all zero) through
   :func:`~commerce_core.money.allocate`. Exempt customers pay no
   tax (gross prices are reduced to their net). Rounding follows ``context.rounding``: per unit,
   per line, or once per rate group for the whole order (invoice level), the group tax then being
   allocated back to the lines so that every line still satisfies ``gross - net == tax``.
5. **Totals**: subtotal, discounts, shipping, tax total, grand total and a tax summary by rate.

Signs and bases
---------------
An :class:`Adjustment` amount is **signed**: negative lowers the price (a discount), positive
raises it (a surcharge). It is expressed in the price basis of what it adjusts: gross for a line
whose prices include tax, net otherwise; likewise for shipping with ``price_includes_tax``.
:attr:`PriceBreakdown.discounts` reports the total reduction as a positive amount.

Invariants (property-tested)
----------------------------
``grand_total == sum(line.gross) + shipping.gross``; ``gross - net == tax`` on every line, on
shipping and in total; no amount is negative; the breakdown does not depend on line order.

>>> from commerce_core.money import money
>>> from commerce_core.domain.tax import Destination, Jurisdiction, TaxRate, TaxTable
>>> from datetime import datetime, UTC
>>> line = PricingLine("l1", "TEA", "Tea", 3, money("12.00", "EUR"), prices_include_tax=True)
>>> table = TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))])
>>> ctx = PricingContext(
...     currency="EUR", now=datetime(2026, 1, 1, tzinfo=UTC), destination=Destination("FR")
... )
>>> b = price_cart([line], ctx, tax=table)
>>> b.lines[0].net, b.lines[0].tax, b.grand_total
(Money('30.00', 'EUR'), Money('6.00', 'EUR'), Money('36.00', 'EUR'))
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, Protocol, cast, runtime_checkable

import attrs
from moneyed import Currency, Money

from commerce_core.domain.catalog import check_quantity
from commerce_core.domain.shipping import ShipmentSummary, ShippingCalculator, ShippingQuote
from commerce_core.domain.tax import (
    STANDARD,
    Destination,
    TaxCalculator,
    TaxExemption,
    TaxResolution,
)
from commerce_core.errors import (
    CurrencyMismatchError,
    InvalidAmountError,
    PricingError,
    ShippingUnavailableError,
)
from commerce_core.money import (
    DEFAULT_ROUNDING,
    RoundingLevel,
    RoundingPolicy,
    TaxedMoney,
    _minor_quantum,
    _resolve_currency,
    allocate,
    currency_of,
    to_minor,
)

__all__ = [
    "PricingContext",
    "PricingLine",
    "PriceableCart",
    "Adjustment",
    "ShippingDiscount",
    "NoteStatus",
    "AdjustmentNote",
    "AdjustmentResult",
    "AdjustmentStage",
    "TaxLine",
    "LineBreakdown",
    "ShippingBreakdown",
    "TaxSummaryRow",
    "PriceBreakdown",
    "price_cart",
]

_CTX: Final = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP, traps=[])
_ZERO: Final = Decimal(0)


# One read-only empty mapping shared by every value built without data (most lines, notes and
# contexts): nothing can change it, so there is no need for a new one each time.
_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def _freeze(data: Mapping[str, Any]) -> Mapping[str, Any]:
    if not data:
        return _EMPTY
    return MappingProxyType(dict(data))


def _codes(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(codes)


def _upper(code: str) -> str:
    return str(code).upper()


@attrs.frozen(kw_only=True)
class PricingContext:
    """Everything about *who*, *where* and *when* that pricing depends on.

    Attributes:
        currency: the ISO code every line must be priced in.
        now: the pricing instant (tax validity, promotion schedules); pass the Clock's time.
        channel: the sales channel (``"web"``, ``"pos"``...).
        price_list: the price list the cart's prices came from.
        customer_id: the customer, or None for a guest.
        customer_group: a segment (``"vip"``, ``"wholesale"``) promotions may target.
        tax_exemption: set for tax-exempt customers (the reference goes on the invoice).
        destination: where the goods go (tax jurisdiction and shipping restrictions).
        shipping_method: the chosen method code, or None while not chosen.
        coupon_codes: coupon codes the shopper entered (read by promotion stages).
        shipping_estimate: the expected shipping charge, for stages that weigh shipping
            benefits against others (promotions). ``price_cart`` fills it, when it will quote
            shipping, with the quote for the undiscounted goods; None when unknown.
        rounding: how and where amounts round (per line, half-up by default).
        attributes: free host data for custom stages.
    """

    currency: str = attrs.field(converter=_upper)
    now: datetime
    channel: str = "default"
    price_list: str = "default"
    customer_id: str | None = None
    customer_group: str | None = None
    tax_exemption: TaxExemption | None = None
    destination: Destination | None = None
    shipping_method: str | None = None
    coupon_codes: tuple[str, ...] = attrs.field(default=(), converter=_codes)
    rounding: RoundingPolicy = DEFAULT_ROUNDING
    attributes: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)
    shipping_estimate: Money | None = None

    def __attrs_post_init__(self) -> None:
        _resolve_currency(self.currency)  # refuses unknown currencies (as ``zero`` does)
        if self.now.tzinfo is None:
            raise PricingError("the pricing instant must be timezone-aware")

    def _with_estimate(self, estimate: Money) -> PricingContext:
        """Internal: ``attrs.evolve(self, shipping_estimate=estimate)``, without its overhead.

        Every other field is this context's own, already converted and checked.
        """
        return PricingContext(
            currency=self.currency,
            now=self.now,
            channel=self.channel,
            price_list=self.price_list,
            customer_id=self.customer_id,
            customer_group=self.customer_group,
            tax_exemption=self.tax_exemption,
            destination=self.destination,
            shipping_method=self.shipping_method,
            coupon_codes=self.coupon_codes,
            rounding=self.rounding,
            attributes=self.attributes,
            shipping_estimate=estimate,
        )


def _weight(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise InvalidAmountError(value, "weights are Decimal or int kilograms")


@attrs.frozen
class PricingLine:
    """One line as the pricing stages see it (a cart line's snapshot, or a historical line).

    Attributes:
        line_id: unique within the priced lines.
        sku: the item.
        name: the display name.
        quantity: a positive int.
        unit_price: the snapshot unit price, in the line's price basis.
        prices_include_tax: True when ``unit_price`` is gross.
        tax_class: which tax rates apply.
        categories: category slugs.
        tags: free tags.
        weight: unit weight in kg.
        shippable: whether it needs shipping.
        metadata: gift message, engraving... (read-only).

    Raises:
        InvalidQuantityError: a quantity that is not a positive int.
        InvalidAmountError: a unit price that is not non-negative Money on the currency grid
            (more decimals than the currency has, such as a float-made amount).
    """

    line_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Money
    prices_include_tax: bool = False
    tax_class: str = STANDARD
    categories: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    weight: Decimal = attrs.field(default=_ZERO, converter=_weight)
    shippable: bool = True
    metadata: Mapping[str, str] = attrs.field(factory=dict, converter=_freeze)

    def __attrs_post_init__(self) -> None:
        quantity: object = self.quantity
        if type(quantity) is not int or quantity < 1:
            check_quantity(quantity)  # decides (and words the error) for anything else
        price: object = self.unit_price
        if not isinstance(price, Money) or price.amount < 0:
            raise InvalidAmountError(self.unit_price, "a unit price is non-negative Money")
        # Off-grid prices (a third of a cent, a float-made 0.30000000000000004) would reach the
        # totals unrounded: refuse them, as the catalog does.
        to_minor(price)

    @classmethod
    def _trusted(  # noqa: PLR0917 - the fields, in order
        cls,
        line_id: str,
        sku: str,
        name: str,
        quantity: int,
        unit_price: Money,
        prices_include_tax: bool,  # noqa: FBT001 - the field, in its place
        tax_class: str,
        categories: frozenset[str],
        tags: frozenset[str],
        weight: Decimal,
        shippable: bool,  # noqa: FBT001 - the field, in its place
        metadata: Mapping[str, str],
    ) -> PricingLine:
        """Internal: a line from values already validated (a cart line's).

        For callers holding values their own constructors checked: a positive int quantity, a
        non-negative unit price on its currency grid, a Decimal weight and a read-only
        ``metadata`` mapping (an empty one, or a ``MappingProxyType`` that nothing else can
        change). None of it is checked or copied again; the line equals ``PricingLine(...)``
        of the same values.
        """
        line = object.__new__(cls)
        set_field = object.__setattr__
        set_field(line, "line_id", line_id)
        set_field(line, "sku", sku)
        set_field(line, "name", name)
        set_field(line, "quantity", quantity)
        set_field(line, "unit_price", unit_price)
        set_field(line, "prices_include_tax", prices_include_tax)
        set_field(line, "tax_class", tax_class)
        set_field(line, "categories", categories)
        set_field(line, "tags", tags)
        set_field(line, "weight", weight)
        set_field(line, "shippable", shippable)
        set_field(line, "metadata", metadata or _EMPTY)
        return line

    @property
    def currency(self) -> str:
        """The ISO code of the unit price."""
        return currency_of(self.unit_price)

    @property
    def base_total(self) -> Money:
        """``unit_price * quantity``, in the line's price basis."""
        return self.unit_price * self.quantity


@runtime_checkable
class PriceableCart(Protocol):
    """Anything ``price_cart`` can price besides a plain sequence of lines."""

    @property
    def currency(self) -> str:
        """The ISO code of the cart."""
        ...

    def pricing_lines(self) -> tuple[PricingLine, ...]:
        """The lines to price."""
        ...


@attrs.frozen
class Adjustment:
    """A signed change to a line's or to shipping's price, and who made it.

    Attributes:
        source_id: what produced it (a promotion id, ``"manual:<agent>"``).
        label: what the shopper sees (``"10% off tea"``).
        amount: negative for a discount, positive for a surcharge; in the price basis of what it
            adjusts; on the currency grid.
        code: the coupon code that unlocked it, if any.

    Raises:
        InvalidAmountError: the amount is not Money on the currency grid (quantize first).
    """

    source_id: str
    label: str
    amount: Money
    code: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.amount, Money):
            raise InvalidAmountError(self.amount, "an adjustment amount is Money")
        # A sub-cent adjustment would be rounded away silently (-0.005 on 5.00 gives 5.00).
        to_minor(self.amount)

    @classmethod
    def _trusted(cls, source_id: str, label: str, amount: Money, code: str) -> Adjustment:
        """Internal: an adjustment of an amount its caller built on the currency grid.

        For amounts made from minor units (``from_minor``) or the negation of such an amount:
        not checked again. Equal to ``Adjustment(...)`` of the same values.
        """
        adjustment = object.__new__(cls)
        set_field = object.__setattr__
        set_field(adjustment, "source_id", source_id)
        set_field(adjustment, "label", label)
        set_field(adjustment, "amount", amount)
        set_field(adjustment, "code", code)
        return adjustment


def _percent(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise PricingError(f"a shipping discount percentage is a Decimal, int or str: {value!r}")
    try:
        percent = Decimal(value)
    except ArithmeticError:
        raise PricingError(f"not a decimal percentage: {value!r}") from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise PricingError(f"a shipping discount percentage is in 0..100: {value!r}")
    return percent


def _grid_money(value: object) -> Money | None:
    if value is None:
        return None
    if not isinstance(value, Money) or value.amount < 0:
        raise InvalidAmountError(value, "a shipping discount amount is non-negative Money")
    to_minor(value)
    return value


@attrs.frozen(kw_only=True)
class ShippingDiscount:
    """A rule to discount shipping, applied by the pipeline once shipping is quoted.

    Stages run before shipping is priced (free-above thresholds depend on the discounted goods),
    so a stage that wants "free shipping" or "20% off shipping" returns this rule; the shipping
    stage computes the real amount from the quote (never more than what is left of the charge,
    nor more than ``limit``) and records it as a shipping :class:`Adjustment`.

    Exactly one of ``percent`` and ``amount`` is given; :meth:`free` is ``percent=100``.

    Attributes:
        source_id: what produced it (a promotion id).
        label: what the shopper sees (``"Free shipping"``).
        percent: the share of the remaining charge taken off, in 0..100.
        amount: a fixed amount off the charge (in the cart currency, on its grid).
        limit: the most it may take off (a promotion's cap), or None.
        code: the coupon code that unlocked it, if any.

    Raises:
        PricingError: neither or both of percent and amount, a percentage outside 0..100.
        InvalidAmountError: an amount or limit that is not non-negative Money on the grid.

    >>> from commerce_core.money import money
    >>> ShippingDiscount.free("promo-1", "Free shipping").describe()
    'free shipping'
    >>> ShippingDiscount(source_id="p", label="l", amount=money("2.00", "EUR")).describe()
    '2.00 EUR off shipping'
    """

    source_id: str
    label: str
    percent: Decimal | None = attrs.field(default=None, converter=_percent)
    amount: Money | None = attrs.field(default=None, converter=_grid_money)
    limit: Money | None = attrs.field(default=None, converter=_grid_money)
    code: str = ""

    def __attrs_post_init__(self) -> None:
        if (self.percent is None) == (self.amount is None):
            raise PricingError("a shipping discount has exactly one of percent and amount")

    @classmethod
    def free(
        cls, source_id: str, label: str, *, code: str = "", limit: Money | None = None
    ) -> ShippingDiscount:
        """Free shipping: 100% of the charge (up to ``limit``)."""
        return cls(source_id=source_id, label=label, percent=Decimal(100), code=code, limit=limit)

    @property
    def is_free(self) -> bool:
        """Whether it takes the whole charge off (before any ``limit``)."""
        return self.percent == 100

    def describe(self) -> str:
        """``"free shipping"``, ``"20% off shipping"`` or ``"2.00 EUR off shipping"``."""
        if self.amount is not None:
            text = f"{self.amount.amount} {currency_of(self.amount)} off shipping"
        elif self.is_free:
            text = "free shipping"
        else:
            assert self.percent is not None  # noqa: S101 - one of the two is set
            text = f"{self.percent.normalize():f}% off shipping"
        if self.limit is not None:
            text += f" (at most {self.limit.amount} {currency_of(self.limit)})"
        return text

    def off(self, remaining: Decimal, quantize: Callable[[Decimal], Decimal]) -> Decimal:
        """The discount on ``remaining`` (the charge left), within ``limit`` and ``remaining``."""
        if self.amount is not None:
            off = self.amount.amount
        else:
            assert self.percent is not None  # noqa: S101 - one of the two is set
            off = quantize(remaining * self.percent / 100)
        if self.limit is not None:
            off = min(off, self.limit.amount)
        return max(_ZERO, min(off, remaining))


class NoteStatus(enum.StrEnum):
    """What an :class:`AdjustmentNote` says about a source (a promotion)."""

    APPLIED = "applied"
    NOT_APPLICABLE = "not_applicable"
    UPSELL = "upsell"
    INFO = "info"


@attrs.frozen
class AdjustmentNote:
    """A stage's explanation about one source: applied, not applicable and why, an upsell hint.

    Attributes:
        source_id: the promotion (or other source) it is about.
        status: applied / not_applicable / upsell / info.
        message: a sentence for a person (``"Add 12.00 EUR more for free shipping"``).
        data: primitives for the host's templates (``{"missing": "12.00"}``).
    """

    source_id: str
    status: NoteStatus
    message: str
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)

    @classmethod
    def _owned(
        cls, source_id: str, status: NoteStatus, message: str, data: dict[str, Any]
    ) -> AdjustmentNote:
        """Internal: a note whose caller hands over ``data`` (a new dict nothing else holds).

        The dict is wrapped read-only instead of copied first; equal to
        ``AdjustmentNote(...)`` of the same values.
        """
        note = object.__new__(cls)
        set_field = object.__setattr__
        set_field(note, "source_id", source_id)
        set_field(note, "status", status)
        set_field(note, "message", message)
        set_field(note, "data", MappingProxyType(data) if data else _EMPTY)
        return note


def _adjustment_map(
    data: Mapping[str, Sequence[Adjustment]],
) -> Mapping[str, tuple[Adjustment, ...]]:
    return MappingProxyType({key: tuple(value) for key, value in data.items()})


def _tuple(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class AdjustmentResult:
    """What one :class:`AdjustmentStage` contributes.

    Attributes:
        line_adjustments: adjustments by ``line_id`` (ids of the lines the stage saw, or of its
            own ``extra_lines``).
        shipping_adjustments: signed adjustments of the shipping charge by a known amount (a
            surcharge, a fixed reduction); the charge is clamped at zero.
        shipping_discounts: shipping discounts whose amount depends on the quote (free
            shipping, a percentage off); the shipping stage computes and records the real
            amount after quoting.
        extra_lines: lines to add (a free gift: a line plus an adjustment cancelling its price).
        notes: explanations for the shopper and the trace.
        report: an opaque value stored in ``PriceBreakdown.extensions[stage.name]``.
    """

    line_adjustments: Mapping[str, tuple[Adjustment, ...]] = attrs.field(
        factory=dict, converter=_adjustment_map
    )
    shipping_adjustments: tuple[Adjustment, ...] = attrs.field(default=(), converter=_tuple)
    shipping_discounts: tuple[ShippingDiscount, ...] = attrs.field(default=(), converter=_tuple)
    extra_lines: tuple[PricingLine, ...] = attrs.field(default=(), converter=_tuple)
    notes: tuple[AdjustmentNote, ...] = attrs.field(default=(), converter=_tuple)
    report: object = None

    @classmethod
    def _owned(  # noqa: PLR0917 - the fields, in order
        cls,
        line_adjustments: dict[str, tuple[Adjustment, ...]],
        shipping_adjustments: tuple[Adjustment, ...],
        shipping_discounts: tuple[ShippingDiscount, ...],
        extra_lines: tuple[PricingLine, ...],
        notes: tuple[AdjustmentNote, ...],
        report: object,
    ) -> AdjustmentResult:
        """Internal: a result from its converted fields (a new dict of tuples, then tuples).

        The caller hands over ``line_adjustments`` (nothing else holds it): it is wrapped
        read-only instead of copied. Equal to ``AdjustmentResult(...)`` of the same values.
        """
        result = object.__new__(cls)
        set_field = object.__setattr__
        set_field(result, "line_adjustments", MappingProxyType(line_adjustments))
        set_field(result, "shipping_adjustments", shipping_adjustments)
        set_field(result, "shipping_discounts", shipping_discounts)
        set_field(result, "extra_lines", extra_lines)
        set_field(result, "notes", notes)
        set_field(result, "report", report)
        return result


@runtime_checkable
class AdjustmentStage(Protocol):
    """The extension point of the pipeline (Promotions implements it).

    A stage must be pure: the same lines and context give the same result. It must not assume
    other stages ran before it; each stage sees the base lines plus the extra lines of earlier
    stages.
    """

    @property
    def name(self) -> str:
        """A stable name: the key of the stage's report in ``PriceBreakdown.extensions``."""
        ...

    def adjust(self, lines: Sequence[PricingLine], context: PricingContext) -> AdjustmentResult:
        """Return the adjustments, extra lines and notes for ``lines`` in ``context``."""
        ...


@attrs.frozen
class TaxLine:
    """One tax on one line (or on shipping).

    Attributes:
        name: what the invoice prints (``"VAT"``).
        rate: a fraction (0.20).
        amount: the tax charged.
        compound: whether it was charged on other taxes too.
    """

    name: str
    rate: Decimal
    amount: Money
    compound: bool = False


# The stored form of a line's taxes, as the pipeline keeps them: the (name, rate, compound) keys
# of its components (one tuple shared by every line of that tax resolution), then one Decimal per
# component. ``()`` when the line has no tax. (``Any``: a plain tuple of atoms, which the cyclic
# garbage collector stops tracking, rather than a typed object per line.)
_CompactTaxes = tuple[Any, ...]


def _tax_lines_of(stored: _CompactTaxes, currency: Currency) -> tuple[TaxLine, ...]:
    """The TaxLine values of compact taxes (``()`` stays ``()``)."""
    if not stored:
        return ()
    keys: tuple[_Key, ...] = stored[0]
    if len(stored) == 2:  # the keys and one tax: the common case
        (name, rate, compound), amount = keys[0], stored[1]
        return (TaxLine(name, rate, Money(amount, currency), compound),)
    return tuple(
        TaxLine(name, rate, Money(amount, currency), compound)
        for (name, rate, compound), amount in zip(keys, stored[1:], strict=True)
    )


class LineBreakdown:
    """A priced line: base, adjustments, net, taxes, gross.

    An immutable value with the fields ``line``, ``base_total``, ``adjustments``, ``total``,
    ``net``, ``tax_lines``, ``gross`` and ``derivation`` (in that order, also for the
    constructor): equal to another breakdown when every field is, with a repr naming them.
    Every field is a read-only property: assigning one raises :class:`AttributeError` (the
    ``attrs`` class this used to be raised ``attrs.exceptions.FrozenInstanceError``, a subclass).

    It is a hand-written class rather than an ``attrs`` one so that the pipeline can store a
    line's amounts cheaply (see :meth:`_priced`): ``attrs.evolve``, ``attrs.asdict`` and
    ``attrs.fields`` do not apply to it; build a new one with the constructor instead.
    """

    # Each amount slot holds the Money (or the TaxLine tuple) given to the constructor, or, for
    # a breakdown made by the pipeline, its compact form until the first read: a Decimal in the
    # line's currency, or the compact taxes. The pipeline then builds no Money or TaxLine per
    # line, and a 10,000-line breakdown holds ~10k objects the cyclic garbage collector tracks
    # instead of ~47k (each Money, each TaxLine). A value built on first read is kept in its
    # slot, so later reads return the same object.
    __slots__ = (
        "__weakref__",
        "_adjustments",
        "_base_total",
        "_derivation",
        "_gross",
        "_line",
        "_net",
        "_tax_lines",
        "_taxed",
        "_total",
    )
    __match_args__ = (
        "line",
        "base_total",
        "adjustments",
        "total",
        "net",
        "tax_lines",
        "gross",
        "derivation",
    )

    _line: PricingLine
    _base_total: Money | Decimal
    _adjustments: tuple[Adjustment, ...]
    _total: Money | Decimal
    _net: Money | Decimal
    _tax_lines: tuple[TaxLine, ...] | _CompactTaxes
    _gross: Money | Decimal
    _derivation: str
    _taxed: TaxedMoney | None

    def __init__(  # noqa: PLR0917 - the fields, in order, as the former attrs class took them
        self,
        line: PricingLine,
        base_total: Money,
        adjustments: tuple[Adjustment, ...],
        total: Money,
        net: Money,
        tax_lines: tuple[TaxLine, ...],
        gross: Money,
        derivation: str = "",
    ) -> None:
        self._line = line
        self._base_total = base_total
        self._adjustments = adjustments
        self._total = total
        self._net = net
        self._tax_lines = tax_lines
        self._gross = gross
        self._derivation = derivation
        self._taxed = None  # built on first read, then kept

    @classmethod
    def _priced(  # noqa: PLR0917 - the fields, in order
        cls,
        line: PricingLine,
        base_total: Decimal,
        adjustments: tuple[Adjustment, ...],
        total: Decimal,
        net: Decimal,
        taxes: _CompactTaxes,
        gross: Decimal,
        derivation: str,
    ) -> LineBreakdown:
        """Internal (the pricing pipeline's constructor): a breakdown from its compact form.

        The amounts are Decimals in the line's currency and ``taxes`` the compact taxes; each
        is turned into Money or TaxLine values on its first read, and kept.
        """
        # The constructor stores what it is given; the properties build the public values.
        return cls(line, base_total, adjustments, total, net, taxes, gross, derivation)  # type: ignore[arg-type]

    @property
    def line(self) -> PricingLine:
        """The line as priced (sku, name, quantity, unit price, basis...)."""
        return self._line

    @property
    def base_total(self) -> Money:
        """``unit_price * quantity`` in the line's price basis."""
        value = self._base_total
        if isinstance(value, Decimal):
            value = self._base_total = Money(value, self._line.unit_price.currency)
        return value

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        """What the stages changed, in the price basis."""
        return self._adjustments

    @property
    def total(self) -> Money:
        """The price-basis amount after adjustments (never negative)."""
        value = self._total
        if isinstance(value, Decimal):
            value = self._total = Money(value, self._line.unit_price.currency)
        return value

    @property
    def net(self) -> Money:
        """The amount without tax."""
        value = self._net
        if isinstance(value, Decimal):
            value = self._net = Money(value, self._line.unit_price.currency)
        return value

    @property
    def tax_lines(self) -> tuple[TaxLine, ...]:
        """Each tax charged."""
        value = self._tax_lines
        if value and not isinstance(value[0], TaxLine):
            value = self._tax_lines = _tax_lines_of(value, self._line.unit_price.currency)
        return value

    @property
    def gross(self) -> Money:
        """The amount with tax; ``gross - net == sum(tax_lines)``."""
        value = self._gross
        if isinstance(value, Decimal):
            value = self._gross = Money(value, self._line.unit_price.currency)
        return value

    @property
    def derivation(self) -> str:
        """How net and gross were obtained, for the trace."""
        return self._derivation

    @property
    def line_id(self) -> str:
        """The line's id."""
        return self._line.line_id

    @property
    def tax(self) -> Money:
        """``gross - net``."""
        return self.gross - self.net

    @property
    def taxed(self) -> TaxedMoney:
        """Net and gross as :class:`~commerce_core.money.TaxedMoney` (built once, then kept)."""
        value = self._taxed
        if value is None:
            net, gross = self.net, self.gross
            # Money of one currency (as the pipeline builds them) needs no check; anything
            # else goes through the constructor, which raises its error.
            if (
                type(net) is Money
                and type(gross) is Money
                and net.currency.code == gross.currency.code
            ):
                value = TaxedMoney._trusted(net, gross)
            else:
                value = TaxedMoney(net, gross)
            self._taxed = value
        return value

    @property
    def discount(self) -> Money:
        """``base_total - total``: the reduction (negative for a surcharge)."""
        return self.base_total - self.total

    def _fields(self) -> tuple[object, ...]:
        """The public field values, in order (for equality, hashing and the repr)."""
        return (
            self.line,
            self.base_total,
            self.adjustments,
            self.total,
            self.net,
            self.tax_lines,
            self.gross,
            self.derivation,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LineBreakdown) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        # As the former attrs class: the hash of the fields. (A PricingLine's metadata mapping
        # is unhashable, so this raises TypeError for every priced line today.)
        return hash(self._fields())

    def __repr__(self) -> str:
        names = self.__match_args__
        fields = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._fields(), strict=True))
        return f"{self.__class__.__qualname__}({fields})"


@attrs.frozen
class ShippingBreakdown:
    """The shipping charge: the quote, its adjustments, net, taxes, gross.

    Attributes:
        method: the method code.
        name: the method name.
        price: the quoted charge (in its price basis).
        adjustments: shipping adjustments: explicit ones, then each shipping discount with its
            real amount.
        total: the charge after adjustments (never negative).
        net: without tax.
        tax_lines: each tax charged on shipping.
        gross: with tax.
        explanation: how it was priced and taxed.
    """

    method: str
    name: str
    price: Money
    adjustments: tuple[Adjustment, ...]
    total: Money
    net: Money
    tax_lines: tuple[TaxLine, ...]
    gross: Money
    explanation: str = ""

    @property
    def tax(self) -> Money:
        """``gross - net``."""
        return self.gross - self.net

    @property
    def taxed(self) -> TaxedMoney:
        """Net and gross as :class:`~commerce_core.money.TaxedMoney`."""
        return TaxedMoney(self.net, self.gross)


@attrs.frozen
class TaxSummaryRow:
    """One row of the invoice's tax summary: a rate, the net it applied to, the tax.

    An exempt customer's invoice has one row instead: the exemption (its reference), a zero
    rate and zero tax on the whole net, never zero rows at the normal rates.

    Attributes:
        name: the tax name (``"Tax exempt"`` for the exemption row).
        rate: the rate as a fraction.
        compound: whether it is a compound tax.
        taxable: the net amount (lines and shipping) it applied to.
        tax: the tax charged at this rate.
        exemption: the customer's exemption, on the exemption row only.
    """

    name: str
    rate: Decimal
    compound: bool
    taxable: Money
    tax: Money
    exemption: TaxExemption | None = None

    @property
    def label(self) -> str:
        """``"VAT 20%"``, or ``"Tax exempt (reference EU-VAT-DE123)"`` for an exemption."""
        if self.exemption is not None:
            return f"{self.name} (reference {self.exemption.reference})"
        return f"{self.name} {(self.rate * 100).normalize():f}%"


@attrs.frozen(kw_only=True)
class PriceBreakdown:
    """The priced cart: every amount, and why.

    Attributes:
        currency: the ISO code.
        lines: each priced line, in input order (extra lines from stages last).
        shipping: the shipping charge, or None (nothing shippable, no method chosen yet, or no
            shipping calculator).
        subtotal: the lines after adjustments, net and gross.
        discounts: the total reduction from adjustments on lines and shipping (positive for
            discounts), in the price bases of what they adjusted.
        total: subtotal plus shipping, net and gross.
        tax_total: ``total.gross - total.net``.
        grand_total: what the customer pays, ``total.gross``.
        tax_summary: tax by rate, for the invoice.
        notes: every stage's notes (applied, not applicable, upsell hints).
        extensions: each stage's opaque report, by stage name.
        trace: the decisions taken (tax resolution, shipping, clamps, rounding, exemption).
        rounding: the policy used.
        tax_exemption: the exemption applied, if any.
    """

    currency: str
    lines: tuple[LineBreakdown, ...]
    shipping: ShippingBreakdown | None
    subtotal: TaxedMoney
    discounts: Money
    total: TaxedMoney
    tax_total: Money
    grand_total: Money
    tax_summary: tuple[TaxSummaryRow, ...]
    notes: tuple[AdjustmentNote, ...] = ()
    extensions: Mapping[str, object] = attrs.field(factory=dict, converter=_freeze)
    trace: tuple[str, ...] = ()
    rounding: RoundingPolicy = DEFAULT_ROUNDING
    tax_exemption: TaxExemption | None = None

    def line(self, line_id: str) -> LineBreakdown:
        """The breakdown of ``line_id``.

        Raises:
            PricingError: no such line.
        """
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise PricingError(f"no line {line_id!r} in this breakdown")

    def explain(self) -> str:
        """The whole breakdown as text a person can check, amount by amount."""
        cur = self.currency
        out = [
            f"Pricing in {cur} (rounding {self.rounding.mode.name} per {self.rounding.level.value})"
        ]
        out.extend(f"  decision: {entry}" for entry in self.trace)
        for b in self.lines:
            line = b.line
            basis = "gross" if line.prices_include_tax else "net"
            out.append(
                f"  line {line.line_id} {line.quantity} x {line.sku} '{line.name}' @ "
                f"{line.unit_price.amount} ({basis}) = {b.base_total.amount}"
            )
            out.extend(
                f"    adjustment {a.source_id} '{a.label}': {a.amount.amount}"
                for a in b.adjustments
            )
            if b.adjustments:
                out.append(f"    after adjustments: {b.total.amount}")
            taxes = (
                ", ".join(
                    f"{t.name} {(t.rate * 100).normalize():f}% {t.amount.amount}"
                    for t in b.tax_lines
                )
                or "no tax"
            )
            out.append(
                f"    net {b.net.amount}; {taxes}; gross {b.gross.amount}"
                + (f" ({b.derivation})" if b.derivation else "")
            )
        if self.shipping is not None:
            s = self.shipping
            out.append(f"  shipping {s.method} '{s.name}': {s.price.amount}")
            out.extend(
                f"    adjustment {a.source_id} '{a.label}': {a.amount.amount}"
                for a in s.adjustments
            )
            taxes = (
                ", ".join(
                    f"{t.name} {(t.rate * 100).normalize():f}% {t.amount.amount}"
                    for t in s.tax_lines
                )
                or "no tax"
            )
            out.append(f"    net {s.net.amount}; {taxes}; gross {s.gross.amount} ({s.explanation})")
        out.extend(f"  note [{n.status.value}] {n.source_id}: {n.message}" for n in self.notes)
        out.append(
            f"  subtotal net {self.subtotal.net.amount} gross {self.subtotal.gross.amount}; "
            f"discounts {self.discounts.amount}"
        )
        out.extend(
            f"  tax {row.label}: on {row.taxable.amount} = {row.tax.amount}"
            for row in self.tax_summary
        )
        out.append(
            f"  total net {self.total.net.amount} + tax {self.tax_total.amount} = "
            f"{self.grand_total.amount} {cur}"
        )
        return "\n".join(out)


# --- the pipeline -------------------------------------------------------------------------------


_NO_TAX: Final = TaxResolution((), "no tax calculator: amounts are untaxed")


class _Row:
    """Mutable scratch state for one taxable amount (a line or a shipping part)."""

    __slots__ = (
        "amount",
        "coefs",
        "factor",
        "gross",
        "inclusive",
        "net",
        "quantity",
        "resolution",
        "sort",
        "taxes",
    )

    def __init__(
        self,
        amount: Decimal,
        quantity: int,
        resolution: TaxResolution,
        coefs: tuple[Decimal, ...],
        sort: str,
        *,
        inclusive: bool,
        factor: Decimal | None = None,
    ) -> None:
        self.amount = amount
        self.quantity = quantity
        self.inclusive = inclusive
        self.resolution = resolution
        self.coefs = coefs
        # ``1 + sum(coefs)``: the gross/net ratio (resolved once per tax class by ``_Run``).
        self.factor: Decimal = Decimal(1) + sum(coefs, _ZERO) if factor is None else factor
        self.sort = sort
        self.net = amount
        self.gross = amount
        # A tuple of Decimals: the cyclic GC untracks it, so it costs no collection work.
        self.taxes: tuple[Decimal, ...] = ()


class _Taxer:
    """Tax arithmetic on Decimal amounts of one currency, rounding per the policy."""

    def __init__(self, currency: Currency, policy: RoundingPolicy) -> None:
        self.currency = currency
        self.code = currency.code
        # Tax and net amounts round to the minor unit with the policy's mode; cash increments
        # apply to payments only.
        self.mode = policy.mode.value
        self.quantum = _minor_quantum(currency)

    def q(self, value: Decimal) -> Decimal:
        return value.quantize(self.quantum, rounding=self.mode)

    def split(self, total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
        if len(weights) == 1:
            return [total]
        if not total or not any(weights):
            return [_ZERO] * len(weights)
        parts = allocate(Money(total, self.currency), weights)
        return [p.amount for p in parts]

    def row(self, row: _Row, level: RoundingLevel) -> None:
        """Tax one row at the unit or line level (see :meth:`compute`)."""
        coefs = row.coefs
        if len(coefs) == 1 and row.quantity == 1:
            # One unit, one tax component (a shipping row): :meth:`compute`'s per-line path
            # (the same at both levels for one unit), inlined.
            amount = row.amount
            if row.inclusive:
                net = (amount / row.factor).quantize(self.quantum, rounding=self.mode)
                tax = amount - net
            else:
                net = amount
                tax = (amount * coefs[0]).quantize(self.quantum, rounding=self.mode)
            row.net = net
            row.taxes = (tax,)
            # ``net + sum((tax,))``, as compute adds: sum starts from 0, and ``0 + tax`` turns a
            # tax of -0 into 0 (so a -0 row's gross is 0, not -0); the exponent is unchanged.
            row.gross = net + (0 + tax)
            return
        row.net, row.taxes, row.gross = self.compute(
            row.amount, row.quantity, row.coefs, row.factor, level, inclusive=row.inclusive
        )

    def compute(
        self,
        amount: Decimal,
        quantity: int,
        coefs: tuple[Decimal, ...],
        factor: Decimal,
        level: RoundingLevel,
        *,
        inclusive: bool,
    ) -> tuple[Decimal, tuple[Decimal, ...], Decimal]:
        """``(net, taxes, gross)`` of an amount taxed at the unit or line level."""
        if not coefs:
            return amount, (), amount
        taxes: tuple[Decimal, ...]
        if level is RoundingLevel.UNIT and quantity > 1:
            q = self.q
            unit = amount / quantity
            if inclusive:
                net = q(unit / factor) * quantity
                taxes = tuple(self.split(amount - net, coefs))
            else:
                net = amount
                taxes = tuple(q(unit * c) * quantity for c in coefs)
        else:
            # The per-line hot path, with quantize inlined and the one-component case unrolled.
            quantum = self.quantum
            mode = self.mode
            if inclusive:
                net = (amount / factor).quantize(quantum, rounding=mode)
                rest = amount - net
                taxes = (rest,) if len(coefs) == 1 else tuple(self.split(rest, coefs))
            elif len(coefs) == 1:
                net = amount
                taxes = ((amount * coefs[0]).quantize(quantum, rounding=mode),)
            else:
                net = amount
                taxes = tuple((amount * c).quantize(quantum, rounding=mode) for c in coefs)
        return net, taxes, net + sum(taxes)

    def group(self, rows: list[_Row]) -> None:
        """Invoice-level rounding: round each component once per group, allocate it back."""
        first = rows[0]
        coefs = first.coefs
        if not coefs:
            for row in rows:
                row.net = row.gross = row.amount
                row.taxes = ()
            return
        rows.sort(key=lambda r: r.sort)
        weights = [r.amount for r in rows]
        total = sum(weights, _ZERO)
        if first.inclusive:
            group_tax = total - self.q(total / first.factor)
            component_totals = self.split(group_tax, coefs)
        else:
            component_totals = [self.q(total * c) for c in coefs]
        per_component = [self.split(t, weights) for t in component_totals]
        for index, row in enumerate(rows):
            row.taxes = tuple(parts[index] for parts in per_component)
            tax = sum(row.taxes, _ZERO)
            if first.inclusive:
                row.gross = row.amount
                row.net = row.amount - tax
            else:
                row.net = row.amount
                row.gross = row.amount + tax


def _lines_of(cart_or_lines: PriceableCart | Sequence[PricingLine]) -> tuple[PricingLine, ...]:
    if type(cart_or_lines) is tuple or type(cart_or_lines) is list:
        return tuple(cart_or_lines)
    # ``isinstance(cart_or_lines, PriceableCart)``, without the runtime protocol machinery (a
    # tenth of the cost): the protocol's members are present and its method is not None.
    pricing_lines = getattr(cart_or_lines, "pricing_lines", None)
    if pricing_lines is not None and hasattr(cart_or_lines, "currency"):
        return cast("tuple[PricingLine, ...]", pricing_lines())
    return tuple(cast("Sequence[PricingLine]", cart_or_lines))


def price_cart(
    cart_or_lines: PriceableCart | Sequence[PricingLine],
    context: PricingContext,
    *,
    stages: Sequence[AdjustmentStage] = (),
    tax: TaxCalculator | None = None,
    shipping: ShippingCalculator | None = None,
) -> PriceBreakdown:
    """Price lines (or a cart) in ``context``: adjustments, shipping, tax, totals, trace.

    Args:
        cart_or_lines: a cart (``pricing_lines()``) or a sequence of :class:`PricingLine`.
        context: currency, customer, destination, shipping method, instant, rounding.
        stages: adjustment stages, applied in order (promotions).
        tax: the tax calculator (a :class:`~commerce_core.domain.tax.TaxTable` or a
            :class:`~commerce_core.ports.tax.TaxProvider` adapter); None prices without tax.
        shipping: the shipping calculator; None prices without shipping.

    Raises:
        CurrencyMismatchError: a line or adjustment is not in ``context.currency``.
        PricingError: duplicate line ids, an adjustment for an unknown line.
        UnknownJurisdictionError: the tax calculator has no rate for a class and destination.
        ShippingUnavailableError: the chosen shipping method cannot ship these goods.
    """
    with decimal.localcontext(_CTX):
        lines = _lines_of(cart_or_lines)
        if stages and any(_reads_estimate(stage) for stage in stages):
            context = _with_shipping_estimate(lines, context, shipping)
        run = _Run(lines, context, tax)
        run.apply_stages(tuple(stages))
        run.amounts(summarize=shipping is not None and context.shipping_method is not None)
        run.ship(shipping)
        return run.finish()


def _reads_estimate(stage: AdjustmentStage) -> bool:
    """Whether ``stage`` may read ``context.shipping_estimate`` (True unless it says not).

    A stage that provably never reads it (a promotion engine of the library whose promotions
    hold no shipping benefit, see ``PromotionEngine._reads_shipping_estimate``) says so with
    a private ``_reads_shipping_estimate`` attribute that is False: quoting the estimate for it
    would change nothing in the breakdown (a failing estimate quote is ignored anyway).
    """
    return getattr(stage, "_reads_shipping_estimate", True) is not False


def _with_shipping_estimate(
    lines: Sequence[PricingLine], context: PricingContext, shipping: ShippingCalculator | None
) -> PricingContext:
    """``context`` with the shipping quote for the undiscounted goods, when one is possible."""
    method = context.shipping_method
    if shipping is None or method is None or context.shipping_estimate is not None:
        return context
    value = weight = _ZERO
    items = 0
    for line in lines:
        if line.shippable:
            quantity = line.quantity
            value += line.unit_price.amount * quantity
            weight += line.weight * quantity
            items += quantity
    if not items:
        return context
    summary = ShipmentSummary(Money(value, context.currency), weight, items, context.destination)
    try:
        quote = shipping.quote(method, summary)
    except ShippingUnavailableError:
        return context  # the real quote, after the stages, decides
    if quote.price.currency.code != context.currency:
        return context
    return context._with_estimate(quote.price)


def _check_adjustment(adj: Adjustment, code: str) -> None:
    if adj.amount.currency.code != code:
        raise CurrencyMismatchError(code, adj.amount.currency.code, context="adjustment")


_Key = tuple[str, Decimal, bool]
# A tax resolution's running totals for the summary: the resolution, the net taxed at it, the tax
# per component, and its key.
_Tally = tuple[TaxResolution, list[Decimal], list[Decimal], tuple[_Key, ...]]
# A tax class resolved: its resolution, coefficients, gross/net factor and running totals.
_Resolved = tuple[TaxResolution, tuple[Decimal, ...], Decimal, _Tally]


class _Run:
    """One pricing run: the stages of the module docstring, each a method, over shared state."""

    def __init__(
        self,
        lines: tuple[PricingLine, ...],
        context: PricingContext,
        tax: TaxCalculator | None,
    ) -> None:
        self.context = context
        self.code = context.currency
        # The context's currency is known already (its constructor refused unknown ones).
        self.currency = _resolve_currency(self.code)
        self.taxer = _Taxer(self.currency, context.rounding)
        self.tax = tax
        self.trace: list[str] = []
        self.lines = list(lines)
        self.ids: set[str] = set()
        for line in self.lines:
            if line.unit_price.currency.code != self.code:
                raise CurrencyMismatchError(
                    self.code, line.unit_price.currency.code, context="cart line"
                )
            if line.line_id in self.ids:
                raise PricingError(f"duplicate line id {line.line_id!r}")
            self.ids.add(line.line_id)
        self.adjustments: dict[str, list[Adjustment]] = {}
        self.shipping_adjustments: list[Adjustment] = []
        # Each shipping discount, with the indices in ``notes`` of its stage's applied notes
        # about the same source (completed with the real amount once shipping is quoted).
        self.shipping_discounts: list[tuple[ShippingDiscount, list[int]]] = []
        self.notes: list[AdjustmentNote] = []
        self.extensions: dict[str, object] = {}
        self.resolutions: dict[str, _Resolved] = {}
        # Per line, in line order: the amount after adjustments and the tax class resolved.
        # ``_Row`` objects for the lines are only built when a stage needs them (order-level
        # rounding, shipping split by the goods' nets): fewer objects per line.
        self.line_amounts: list[Decimal] = []
        self.line_resolved: list[_Resolved] = []
        self.rows: list[_Row] | None = None
        self.line_adjs: list[tuple[Adjustment, ...]] = []
        self.bases: list[Decimal] = []
        self.reduction = _ZERO
        self.quote: ShippingQuote | None = None
        self.ship_rows: list[_Row] = []
        self.ship_amount = _ZERO
        # Per tax resolution (by id, in the order first resolved): its running totals.
        self.by_resolution: dict[int, _Tally] = {}
        self.summary_args: tuple[Decimal, Decimal, int] | None = None

    def resolve(self, tax_class: str) -> _Resolved:
        """The tax class's resolution, coefficients and gross/net factor (once per class)."""
        found = self.resolutions.get(tax_class)
        if found is None:
            resolution = (
                _NO_TAX
                if self.tax is None
                else self.tax.rates_for(tax_class, self.context.destination, self.context.now)
            )
            coefs = resolution.coefficients()
            tally = self.tally(resolution)
            found = (resolution, coefs, Decimal(1) + sum(coefs, _ZERO), tally)
            self.resolutions[tax_class] = found
            self.trace.append(resolution.explanation or f"tax class {tax_class!r}: no components")
        return found

    def apply_stages(self, stages: tuple[AdjustmentStage, ...]) -> None:
        code = self.code
        for stage in stages:
            result = stage.adjust(tuple(self.lines), self.context)
            for extra in result.extra_lines:
                if extra.unit_price.currency.code != code:
                    raise CurrencyMismatchError(code, extra.currency, context="extra line")
                if extra.line_id in self.ids:
                    raise PricingError(
                        f"stage {stage.name!r} added duplicate line {extra.line_id!r}"
                    )
                self.ids.add(extra.line_id)
                self.lines.append(extra)
                self.trace.append(f"stage {stage.name} added line {extra.line_id} ({extra.sku})")
            for line_id, adjs in result.line_adjustments.items():
                if line_id not in self.ids:
                    raise PricingError(f"stage {stage.name!r} adjusted unknown line {line_id!r}")
                for adj in adjs:
                    _check_adjustment(adj, code)
                self.adjustments.setdefault(line_id, []).extend(adjs)
            for adj in result.shipping_adjustments:
                _check_adjustment(adj, code)
            self.shipping_adjustments.extend(result.shipping_adjustments)
            first_note = len(self.notes)
            self.notes.extend(result.notes)
            for discount in result.shipping_discounts:
                for money_ in (discount.amount, discount.limit):
                    if money_ is not None and money_.currency.code != code:
                        raise CurrencyMismatchError(
                            code, money_.currency.code, context="shipping discount"
                        )
                notes = [
                    first_note + i
                    for i, note in enumerate(result.notes)
                    if note.source_id == discount.source_id and note.status is NoteStatus.APPLIED
                ]
                self.shipping_discounts.append((discount, notes))
            if result.report is not None:
                self.extensions[stage.name] = result.report

    def amounts(self, *, summarize: bool) -> None:
        """Base and adjusted amounts per line, and the shippable goods' totals.

        The goods' value and weight are only summed when ``summarize`` (shipping will be
        quoted); ``summary_args`` stays None when nothing is shippable.
        """
        value = _ZERO
        weight = _ZERO
        items = 0
        q = self.taxer.q
        adjustments = self.adjustments
        resolutions = self.resolutions
        line_amounts = self.line_amounts
        line_resolved = self.line_resolved
        line_adjs = self.line_adjs
        bases = self.bases
        no_adjs: tuple[Adjustment, ...] = ()
        for line in self.lines:
            quantity = line.quantity
            base = line.unit_price.amount * quantity
            adjs = tuple(adjustments[line.line_id]) if line.line_id in adjustments else no_adjs
            amount = base
            if adjs:
                for adj in adjs:
                    amount += adj.amount.amount
                amount = q(amount)
                if amount < 0:
                    self.trace.append(
                        f"line {line.line_id}: adjustments exceed its {base} total; clamped to 0"
                    )
                    amount = _ZERO
                self.reduction += base - amount
            line_resolved.append(resolutions.get(line.tax_class) or self.resolve(line.tax_class))
            line_amounts.append(amount)
            line_adjs.append(adjs)
            bases.append(base)
            if line.shippable:
                items += quantity
                if summarize:
                    value += amount
                    weight += line.weight * quantity
        if items:
            self.summary_args = (value, weight, items)

    def line_rows(self) -> list[_Row]:
        """The lines as taxable rows (built once, on demand)."""
        if self.rows is None:
            self.rows = [
                _Row(
                    amount,
                    line.quantity,
                    resolved[0],
                    resolved[1],
                    line.line_id,
                    inclusive=line.prices_include_tax,
                    factor=resolved[2],
                )
                for line, amount, resolved in zip(
                    self.lines, self.line_amounts, self.line_resolved, strict=True
                )
            ]
        return self.rows

    def ship(self, shipping: ShippingCalculator | None) -> None:
        method = self.context.shipping_method
        if self.summary_args is None:
            if shipping is not None and self.lines:
                self.trace.append("nothing shippable: no shipping needed")
            self.skip_shipping_discounts()
            return
        if shipping is None:
            self.trace.append("no shipping calculator: shipping not priced")
            self.skip_shipping_discounts()
            return
        if method is None:
            self.trace.append("no shipping method chosen yet: shipping not priced")
            self.skip_shipping_discounts()
            return
        value, weight, items = self.summary_args
        summary = ShipmentSummary(
            Money(value, self.currency), weight, items, self.context.destination
        )
        quote = shipping.quote(method, summary)
        if quote.price.currency.code != self.code:
            raise CurrencyMismatchError(
                self.code, quote.price.currency.code, context="shipping quote"
            )
        self.quote = quote
        amount = quote.price.amount
        if self.shipping_adjustments:
            for adj in self.shipping_adjustments:
                amount += adj.amount.amount
            amount = self.taxer.q(amount)
            if amount < 0:
                self.trace.append("shipping adjustments exceed the charge; clamped to 0")
                amount = _ZERO
            self.reduction += quote.price.amount - amount
        if self.shipping_discounts:
            amount = self.discount_shipping(amount)
        self.ship_amount = amount
        if quote.tax_class is not None:
            resolution, coefs, factor, _ = self.resolve(quote.tax_class)
            self.ship_rows.append(
                _Row(
                    amount,
                    1,
                    resolution,
                    coefs,
                    "~shipping",
                    inclusive=quote.price_includes_tax,
                    factor=factor,
                )
            )
        else:
            shipped = [
                row
                for row, line in zip(self.line_rows(), self.lines, strict=True)
                if line.shippable
            ]
            self.ship_rows.extend(
                _proportional_shipping(shipped, amount, quote, self.taxer, self.trace)
            )

    def discount_shipping(self, amount: Decimal) -> Decimal:
        """Apply each shipping discount on what is left of the charge; complete its notes."""
        currency = self.currency
        for discount, note_indices in self.shipping_discounts:
            off = self.taxer.q(discount.off(amount, self.taxer.q))
            self.trace.append(
                f"shipping discount {discount.source_id} '{discount.label}' "
                f"({discount.describe()}) on {amount}: -{off}"
            )
            amount -= off
            self.reduction += off
            if off:
                self.shipping_adjustments.append(
                    Adjustment(
                        discount.source_id, discount.label, Money(-off, currency), discount.code
                    )
                )
            for index in note_indices:
                note = self.notes[index]
                self.notes[index] = attrs.evolve(
                    note,
                    message=f"{note.message} (-{off} {self.code} on shipping)",
                    data={**note.data, "shipping_discount": str(off)},
                )
        return amount

    def skip_shipping_discounts(self) -> None:
        """Shipping is not priced: its discounts take nothing off (traced)."""
        for discount, _ in self.shipping_discounts:
            self.trace.append(
                f"shipping discount {discount.source_id} '{discount.label}' "
                f"({discount.describe()}) not applied: shipping is not priced"
            )

    def finish(self) -> PriceBreakdown:
        """Tax every line and the shipping, then assemble the breakdown.

        Lines are taxed in order, then the shipping rows; exempt customers then pay no tax.
        At the unit and line levels each line is taxed while its breakdown is built.
        """
        level = self.context.rounding.level
        exempt = self.context.tax_exemption
        if level is RoundingLevel.ORDER:
            line_rows = self.line_rows()
            rows = (*line_rows, *self.ship_rows)
            groups: dict[tuple[object, ...], list[_Row]] = {}
            for row in rows:
                groups.setdefault((row.inclusive, row.resolution.key), []).append(row)
            for members in groups.values():
                self.taxer.group(members)
            self.trace.append(
                "tax rounded once per rate group (invoice level), allocated back to lines"
            )
            if exempt is not None:
                for row in rows:
                    row.taxes = (_ZERO,) * len(row.taxes)
                    row.gross = row.net
            lines = self.line_breakdowns(level, line_rows, exempt=False)
        else:
            lines = self.line_breakdowns(level, None, exempt=exempt is not None)
            for row in self.ship_rows:
                self.taxer.row(row, level)
                if exempt is not None:
                    row.taxes = (_ZERO,) * len(row.taxes)
                    row.gross = row.net
        if exempt is not None:
            reason = f", {exempt.reason}" if exempt.reason else ""
            self.trace.append(
                f"customer exempt from tax (reference {exempt.reference}{reason}): no tax "
                "charged; prices entered with tax are reduced to their net"
            )
        return self.assemble(*lines)

    def tax_lines(self, row: _Row) -> tuple[TaxLine, ...]:
        """A row's tax lines, added to the tax summary (none for an exempt customer)."""
        if self.context.tax_exemption is not None:
            return ()
        return _tax_lines_of(self.taxed(row.resolution, row.net, row.taxes), self.currency)

    def tally(self, resolution: TaxResolution) -> _Tally:
        """The running totals of ``resolution`` (created at zero on first use)."""
        acc = self.by_resolution.get(id(resolution))
        if acc is None:
            acc = self.by_resolution[id(resolution)] = (
                resolution,
                [_ZERO],
                [_ZERO] * len(resolution.components),
                resolution.key,
            )
        return acc

    def taxed(
        self, resolution: TaxResolution, net: Decimal, taxes: tuple[Decimal, ...]
    ) -> _CompactTaxes:
        """``taxes`` (one per component) in compact form, added to the tax summary."""
        if not resolution.components:
            return ()
        acc = self.tally(resolution)
        acc[1][0] += net
        sums = acc[2]
        if len(taxes) == 1:
            tax = taxes[0]
            sums[0] += tax
            return (acc[3], tax)
        for index, amount in enumerate(taxes):
            sums[index] += amount
        return (acc[3], *taxes)

    def summary(self) -> tuple[TaxSummaryRow, ...]:
        """The tax summary by (name, rate, compound), lowest rate first."""
        currency = self.currency
        tallies = self.by_resolution
        if len(tallies) == 1:
            # One tax resolution (every line and the shipping taxed alike): its components are
            # the rows, unless two of them share a key and merge (the general path below).
            ((resolution, net, sums, _),) = tallies.values()
            components = resolution.components
            if len(components) == 1:
                (component,) = components
                return (
                    TaxSummaryRow(
                        component.name,
                        component.rate,
                        component.compound,
                        Money(_ZERO + net[0], currency),
                        Money(_ZERO + sums[0], currency),
                    ),
                )
        return self.merged_summary()

    def merged_summary(self) -> tuple[TaxSummaryRow, ...]:
        """The tax summary, every resolution's components merged by key (the general path)."""
        currency = self.currency
        rows: dict[_Key, list[Decimal]] = {}
        for resolution, net, sums, _ in self.by_resolution.values():
            for component, amount in zip(resolution.components, sums, strict=True):
                key = (component.name, component.rate, component.compound)
                acc = rows.setdefault(key, [_ZERO, _ZERO])
                acc[0] += net[0]
                acc[1] += amount
        return tuple(
            TaxSummaryRow(name, rate, compound, Money(acc[0], currency), Money(acc[1], currency))
            for (name, rate, compound), acc in sorted(
                rows.items(), key=lambda item: (item[0][1], item[0][0])
            )
        )

    def shipping_breakdown(self) -> ShippingBreakdown | None:
        quote = self.quote
        if quote is None:
            return None
        currency = self.currency
        rows = self.ship_rows
        tax_lines: tuple[TaxLine, ...]
        if len(rows) == 1:
            # One row (a shipping tax class): its tax lines and amounts as they are, unless two
            # of its components share a (name, rate, compound) key and merge.
            row = rows[0]
            tax_lines = self.tax_lines(row)
            if len(tax_lines) > 1:
                tax_lines = _merged_tax_lines(tax_lines, currency)
            net = Money(row.net, currency)
            gross = Money(row.gross, currency)
        else:
            tax_lines = _merged_tax_lines(
                [tax_line for row in rows for tax_line in self.tax_lines(row)], currency
            )
            net = Money(sum((r.net for r in rows), _ZERO), currency)
            gross = Money(sum((r.gross for r in rows), _ZERO), currency)
        how = (
            f"taxed as class {quote.tax_class!r}"
            if quote.tax_class is not None
            else "taxed like the goods, split by their nets"
        )
        return ShippingBreakdown(
            quote.method,
            quote.name,
            quote.price,
            tuple(self.shipping_adjustments),
            Money(self.ship_amount, currency),
            net,
            tax_lines,
            gross,
            f"{quote.explanation}; {how}" if quote.explanation else how,
        )

    def line_breakdowns(
        self, level: RoundingLevel, rows: list[_Row] | None, *, exempt: bool
    ) -> tuple[list[LineBreakdown], Decimal, Decimal]:
        """Each line's breakdown and the lines' net and gross totals.

        With ``rows`` (order level) the lines were taxed already; otherwise each line is taxed
        here, at ``level``, and ``exempt`` zeroes its taxes.
        """
        new = LineBreakdown._priced
        breakdowns: list[LineBreakdown] = []
        net_total = _ZERO
        gross_total = _ZERO
        # An exempt customer's lines carry no tax lines (the summary shows the exemption).
        taxed = self.taxed if self.context.tax_exemption is None else _no_tax_lines
        compute = self.taxer.compute
        append = breakdowns.append
        quantum = self.taxer.quantum
        mode = self.taxer.mode
        # The common case, one tax component rounded per line, is unrolled below.
        per_line = rows is None and not exempt and level is RoundingLevel.LINE
        for index, (line, amount, resolved, adjs, base) in enumerate(
            zip(
                self.lines,
                self.line_amounts,
                self.line_resolved,
                self.line_adjs,
                self.bases,
                strict=True,
            )
        ):
            resolution, coefs, factor, tally = resolved
            inclusive = line.prices_include_tax
            if per_line and len(coefs) == 1:
                if inclusive:
                    net = (amount / factor).quantize(quantum, rounding=mode)
                    tax = amount - net
                else:
                    net = amount
                    tax = (amount * coefs[0]).quantize(quantum, rounding=mode)
                gross = net + tax
                # ``taxed``, inlined.
                tally[1][0] += net
                tally[2][0] += tax
                append(
                    new(
                        line,
                        base,
                        adjs,
                        amount,
                        net,
                        (tally[3], tax),
                        gross,
                        "net derived from gross" if inclusive else "",
                    )
                )
                net_total += net
                gross_total += gross
                continue
            if rows is not None:
                row = rows[index]
                net, taxes, gross = row.net, row.taxes, row.gross
            elif not coefs:
                net = gross = amount
                taxes = ()
            else:
                net, taxes, gross = compute(
                    amount, line.quantity, coefs, factor, level, inclusive=inclusive
                )
                if exempt:
                    taxes = (_ZERO,) * len(taxes)
                    gross = net
            append(
                new(
                    line,
                    base,
                    adjs,
                    amount,
                    net,
                    taxed(resolution, net, taxes),
                    gross,
                    "net derived from gross" if inclusive and coefs else "",
                )
            )
            net_total += net
            gross_total += gross
        return breakdowns, net_total, gross_total

    def assemble(
        self, breakdowns: list[LineBreakdown], net_total: Decimal, gross_total: Decimal
    ) -> PriceBreakdown:
        """The breakdown: lines, shipping, totals, tax summary, notes and trace."""
        currency = self.currency
        taxed = TaxedMoney._trusted
        subtotal = taxed(Money(net_total, currency), Money(gross_total, currency))
        shipping = self.shipping_breakdown()
        if shipping is not None:
            net_total += shipping.net.amount
            gross_total += shipping.gross.amount
        exemption = self.context.tax_exemption
        if exemption is None:
            tax_summary = self.summary()
        elif breakdowns or shipping is not None:
            tax_summary = (
                TaxSummaryRow(
                    "Tax exempt",
                    _ZERO,
                    False,
                    Money(net_total, currency),
                    Money(_ZERO, currency),
                    exemption,
                ),
            )
        else:
            tax_summary = ()
        grand_total = Money(gross_total, currency)
        return PriceBreakdown(
            currency=self.code,
            lines=tuple(breakdowns),
            shipping=shipping,
            subtotal=subtotal,
            discounts=Money(self.reduction, currency),
            total=taxed(Money(net_total, currency), grand_total),
            tax_total=Money(gross_total - net_total, currency),
            grand_total=grand_total,
            tax_summary=tax_summary,
            notes=tuple(self.notes),
            extensions=self.extensions,
            trace=tuple(self.trace),
            rounding=self.context.rounding,
            tax_exemption=self.context.tax_exemption,
        )


def _merged_tax_lines(tax_lines: Sequence[TaxLine], currency: Currency) -> tuple[TaxLine, ...]:
    """Tax lines of the same (name, rate, compound) added up, in first-seen order."""
    merged: dict[_Key, Decimal] = {}
    for tax_line in tax_lines:
        key = (tax_line.name, tax_line.rate, tax_line.compound)
        merged[key] = merged.get(key, _ZERO) + tax_line.amount.amount
    return tuple(TaxLine(n, r, Money(a, currency), c) for (n, r, c), a in merged.items())


def _no_tax_lines(
    resolution: TaxResolution,  # noqa: ARG001 - the signature of _Run.taxed
    net: Decimal,  # noqa: ARG001
    taxes: tuple[Decimal, ...],  # noqa: ARG001
) -> _CompactTaxes:
    """An exempt customer's tax lines: none."""
    return ()


def _proportional_shipping(
    rows: list[_Row], amount: Decimal, quote: ShippingQuote, taxer: _Taxer, trace: list[str]
) -> list[_Row]:
    """Split the shipping charge over the shipped goods' rate groups in proportion to their nets.

    ``rows`` are the shippable lines only (goods that are not shipped do not make shipping
    dearer or cheaper to tax). When their nets are all zero (only free gifts ship), the split
    follows the shipped quantities instead, so shipping is still taxed like the goods it carries.
    """
    groups: dict[tuple[object, ...], list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.resolution.key, []).append(row)
    keys = sorted(groups, key=repr)
    weights: list[Decimal] = []
    for key in keys:
        net = _ZERO
        for row in groups[key]:
            if row.inclusive and row.coefs:
                net += taxer.q(row.amount / row.factor)
            else:
                net += row.amount
        weights.append(net)
    basis = "shipped goods net"
    if not any(weights):
        basis = "shipped units"
        weights = [Decimal(sum(row.quantity for row in groups[key])) for key in keys]
        trace.append(
            "shipping: the shipped goods have no net value; split by the shipped quantities"
        )
    parts = taxer.split(amount, weights) if len(keys) > 1 else [amount]
    out = []
    for index, (key, part) in enumerate(zip(keys, parts, strict=True)):
        sample = groups[key][0]
        out.append(
            _Row(
                part,
                1,
                sample.resolution,
                sample.coefs,
                f"~shipping{index:06d}",
                inclusive=quote.price_includes_tax,
                factor=sample.factor,
            )
        )
        labels = " + ".join(c.label for c in sample.resolution.components) or "untaxed"
        trace.append(
            f"shipping share {part} of {amount} taxed at {labels} "
            f"({basis} {weights[index]} of {sum(weights, _ZERO)})"
        )
    return out
