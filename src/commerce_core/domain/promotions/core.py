"""What promotions see of a cart: selectors, the input lines, and the working state.

Promotions compute in integer minor units (cents for EUR, yen for JPY, fils for BHD) and convert
to :class:`~moneyed.Money` at the edge. A line's *value* is in its price basis: gross when
prices include tax, net otherwise. The pricing pipeline derives net, tax and gross per line from
the discounted value with the line's own rate, so a discount reduces all three consistently.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Final

import attrs

from commerce_core.errors import (
    ConflictingPromotionError,
    CurrencyMismatchError,
    EmptyTargetError,
    InvalidQuantityError,
    NegativeAmountError,
)
from commerce_core.money import (
    _EXPONENTS as _KNOWN_EXPONENTS,  # the exponents of the currencies resolved so far
)
from commerce_core.money import (
    DEFAULT_ROUNDING,
    Money,
    RoundingPolicy,
    allocate_minor,
    currency_of,
    minor_units,
    quantize_decimal,
    to_minor,
)

__all__ = [
    "Selector",
    "PromotionLine",
    "PromotionInput",
    "CartState",
    "LineState",
    "round_minor",
]

Key = tuple[str, str]
"""An index key: ``("sku", "TSHIRT-M")``, ``("category", "shoes")`` or ``("tag", "sale")``."""


def _strings(values: Iterable[str]) -> frozenset[str]:
    if type(values) is frozenset:  # already what it would become (an equal copy)
        return values
    if isinstance(values, str):
        return frozenset((values,))
    return frozenset(values)


@attrs.frozen
class Selector:
    """Which lines something applies to: SKUs, categories or tags, minus exclusions.

    A line matches when it has one of the included SKUs, categories or tags (or the selector is
    :meth:`everything`) and none of the excluded ones. Build with :meth:`of` or
    :meth:`everything`.

    >>> shoes = Selector.of(categories={"shoes"}, exclude_tags={"clearance"})
    >>> sorted(shoes.anchor_keys())
    [('category', 'shoes')]

    Raises:
        EmptyTargetError: nothing is included and the selector is not "everything".
        ConflictingPromotionError: a SKU, category or tag both included and excluded.
    """

    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    exclude_skus: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    exclude_categories: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    exclude_tags: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    all_products: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.all_products and not (self.skus or self.categories or self.tags):
            raise EmptyTargetError
        for kind, included, excluded in (
            ("skus", self.skus, self.exclude_skus),
            ("categories", self.categories, self.exclude_categories),
            ("tags", self.tags, self.exclude_tags),
        ):
            both = sorted(included & excluded)
            if both:
                raise ConflictingPromotionError(
                    "targets", f"{kind} {', '.join(both)} both included and excluded"
                )

    @classmethod
    def of(
        cls,
        *,
        skus: Iterable[str] = (),
        categories: Iterable[str] = (),
        tags: Iterable[str] = (),
        exclude_skus: Iterable[str] = (),
        exclude_categories: Iterable[str] = (),
        exclude_tags: Iterable[str] = (),
    ) -> Selector:
        """Lines with one of these SKUs, categories or tags and none of the excluded ones."""
        return cls(
            _strings(skus),
            _strings(categories),
            _strings(tags),
            _strings(exclude_skus),
            _strings(exclude_categories),
            _strings(exclude_tags),
        )

    @classmethod
    def everything(
        cls,
        *,
        exclude_skus: Iterable[str] = (),
        exclude_categories: Iterable[str] = (),
        exclude_tags: Iterable[str] = (),
    ) -> Selector:
        """Every line, minus the excluded SKUs, categories and tags."""
        return cls(
            exclude_skus=_strings(exclude_skus),
            exclude_categories=_strings(exclude_categories),
            exclude_tags=_strings(exclude_tags),
            all_products=True,
        )

    def anchor_keys(self) -> frozenset[Key]:
        """The index keys a line must carry to match (empty for :meth:`everything`)."""
        if self.all_products:
            return frozenset()
        return frozenset(
            [("sku", s) for s in self.skus]
            + [("category", c) for c in self.categories]
            + [("tag", t) for t in self.tags]
        )

    def excludes(self, line: PromotionLine) -> bool:
        """Whether an exclusion rules ``line`` out."""
        return (
            line.sku in self.exclude_skus
            or not self.exclude_categories.isdisjoint(line.categories)
            or not self.exclude_tags.isdisjoint(line.tags)
        )

    def matches(self, line: PromotionLine) -> bool:
        """Whether ``line`` is selected."""
        if self.excludes(line):
            return False
        return (
            self.all_products
            or line.sku in self.skus
            or not self.categories.isdisjoint(line.categories)
            or not self.tags.isdisjoint(line.tags)
        )


@attrs.frozen
class PromotionLine:
    """A cart line as promotions see it.

    Attributes:
        line_id: unique within the cart; ties between lines are broken by it, so results never
            depend on the order lines are given in.
        sku: the product's stock-keeping unit.
        quantity: a positive number of units.
        unit_price: the displayed unit price (gross when prices include tax, net otherwise).
        categories: the product's categories.
        tags: the product's tags.
    """

    line_id: str
    sku: str
    quantity: int
    unit_price: Money
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise InvalidQuantityError(self.quantity)
        if self.quantity <= 0:
            raise InvalidQuantityError(self.quantity)
        if self.unit_price.amount < 0:
            raise NegativeAmountError("unit_price", self.unit_price.amount)

    @classmethod
    def _trusted(  # noqa: PLR0917 - the fields, in order
        cls,
        line_id: str,
        sku: str,
        quantity: int,
        unit_price: Money,
        categories: Iterable[str],
        tags: Iterable[str],
    ) -> PromotionLine:
        """Internal: a line from a validated :class:`~commerce_core.domain.pricing.PricingLine`.

        Its quantity is a positive int and its unit price non-negative Money already (the
        pricing line checks both, and more), so they are not checked again. Categories and tags
        are converted as the constructor does. Equal to ``PromotionLine(...)`` of the same
        values.
        """
        line = object.__new__(cls)
        set_field = object.__setattr__
        set_field(line, "line_id", line_id)
        set_field(line, "sku", sku)
        set_field(line, "quantity", quantity)
        set_field(line, "unit_price", unit_price)
        # A frozenset converts to itself: only other iterables are converted.
        set_field(
            line,
            "categories",
            categories if type(categories) is frozenset else _strings(categories),
        )
        set_field(line, "tags", tags if type(tags) is frozenset else _strings(tags))
        return line

    def anchor_keys(self) -> list[Key]:
        """The index keys this line carries."""
        keys: list[Key] = [("sku", self.sku)]
        keys.extend(("category", c) for c in self.categories)
        keys.extend(("tag", t) for t in self.tags)
        return keys


def _line_id(line: PromotionLine) -> str:
    return line.line_id


def _lines(lines: Iterable[PromotionLine]) -> tuple[PromotionLine, ...]:
    return tuple(sorted(lines, key=_line_id))


def _codes(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(codes)


@attrs.frozen
class PromotionInput:
    """Everything promotions need to know about one cart at one instant.

    Lines are kept sorted by ``line_id``, so the input (and every result) is independent of the
    order lines were given in.

    Attributes:
        currency: the cart's ISO currency code.
        lines: the cart lines.
        now: the instant of pricing (validity windows are checked against it).
        channel: the sales channel (``"web"``, ``"pos"``...), if known.
        customer_id: the customer, if known.
        customer_groups: the customer's groups (``"vip"``, ``"staff"``...).
        previous_orders: how many orders the customer placed before (from ``CustomerHistory``);
            ``None`` when unknown (anonymous), which fails first/n-th order conditions.
        shipping_country: ISO country of the shipping destination, if known.
        shipping: the shipping price (same basis as line prices), if known. When unknown,
            free shipping still applies (the pipeline clamps it to the quoted price).
        shipping_estimate: when ``shipping`` is unknown, the expected charge (the pipeline's
            quote for the undiscounted goods): shipping benefits are valued on it when offers
            are compared (exclusives, groups), so free shipping is never worth zero.
        codes: the coupon codes entered, as typed (they are normalised when looked up).
        exhausted_codes: normalised codes whose usage limit is reached for this customer
            (filled by the service from the ``CouponUsage`` port).
        rounding: the rounding policy for percentages.

    Raises:
        CurrencyMismatchError: a line or the shipping is in another currency.
        InvalidQuantityError: two lines share a ``line_id``.
    """

    currency: str
    lines: tuple[PromotionLine, ...] = attrs.field(converter=_lines)
    now: datetime
    channel: str | None = None
    customer_id: str | None = None
    customer_groups: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    previous_orders: int | None = None
    shipping_country: str | None = None
    shipping: Money | None = None
    shipping_estimate: Money | None = None
    codes: tuple[str, ...] = attrs.field(default=(), converter=_codes)
    exhausted_codes: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    rounding: RoundingPolicy = DEFAULT_ROUNDING

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        currency = self.currency
        for line in self.lines:
            if line.unit_price.currency.code != currency:
                raise CurrencyMismatchError(
                    currency, currency_of(line.unit_price), context="promotion input"
                )
            if line.line_id in seen:
                raise InvalidQuantityError(line.line_id, "line ids must be unique in a cart")
            seen.add(line.line_id)
        for charge in (self.shipping, self.shipping_estimate):
            if charge is not None and charge.currency.code != currency:
                raise CurrencyMismatchError(currency, currency_of(charge), context="shipping")

    @classmethod
    def _trusted(  # noqa: PLR0917 - the fields, in order
        cls,
        currency: str,
        lines: tuple[PromotionLine, ...],
        now: datetime,
        channel: str | None,
        customer_id: str | None,
        customer_groups: frozenset[str],
        previous_orders: int | None,
        shipping_country: str | None,
        shipping: Money | None,
        shipping_estimate: Money | None,
        codes: tuple[str, ...],
        exhausted_codes: frozenset[str],
        rounding: RoundingPolicy,
    ) -> PromotionInput:
        """Internal: an input from fields already in their converted form.

        ``lines`` is a tuple sorted by ``line_id``, the sets are frozensets and ``codes`` a
        tuple: what the converters would make of them (and equal to it), so nothing is
        converted again. The checks of the constructor (currencies, unique line ids) still run
        and raise the same errors; the input equals ``PromotionInput(...)`` of the same values.
        """
        data = object.__new__(cls)
        set_field = object.__setattr__
        set_field(data, "currency", currency)
        set_field(data, "lines", lines)
        set_field(data, "now", now)
        set_field(data, "channel", channel)
        set_field(data, "customer_id", customer_id)
        set_field(data, "customer_groups", customer_groups)
        set_field(data, "previous_orders", previous_orders)
        set_field(data, "shipping_country", shipping_country)
        set_field(data, "shipping", shipping)
        set_field(data, "shipping_estimate", shipping_estimate)
        set_field(data, "codes", codes)
        set_field(data, "exhausted_codes", exhausted_codes)
        set_field(data, "rounding", rounding)
        data.__attrs_post_init__()
        return data

    def with_codes(self, codes: Iterable[str]) -> PromotionInput:
        """The same cart with other coupon codes entered."""
        return attrs.evolve(self, codes=tuple(codes))


_HUNDRED: Final = Decimal(100)


_ONE: Final = Decimal(1)
_CONTEXT: Final = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP, traps=[])


def round_minor(value: Decimal, currency: str, policy: RoundingPolicy = DEFAULT_ROUNDING) -> int:
    """Round an exact amount in minor units to a whole number of minor units, via ``quantize``."""
    if policy.cash_increment is None:
        if currency not in _KNOWN_EXPONENTS:
            minor_units(currency)  # refuses unknown currencies
        # Rounding to the minor unit: the same as quantizing the major amount to the currency's
        # grid and scaling back (exact Decimal arithmetic), in one step.
        return int(value.quantize(_ONE, rounding=policy.mode.value, context=_CONTEXT))
    exponent = minor_units(currency)
    major = quantize_decimal(value.scaleb(-exponent), currency, policy)
    return int(major.scaleb(exponent))


class LineState:
    """One line during pricing: its original and remaining value in minor units."""

    __slots__ = ("line", "original", "position", "remaining", "unit_minor")

    def __init__(self, position: int, line: PromotionLine, unit_minor: int | None = None) -> None:
        self.position = position
        self.line = line
        # ``unit_minor``: the line's unit price in minor units when already known (a fresh copy
        # of a state), so that it is not converted again.
        self.unit_minor = to_minor(line.unit_price) if unit_minor is None else unit_minor
        self.original = self.unit_minor * line.quantity
        self.remaining = self.original

    def unit_values(self) -> list[int]:
        """The remaining value of each unit: equal shares of the line, exact to the minor unit."""
        quantity = self.line.quantity
        if self.remaining % quantity == 0:
            return [self.remaining // quantity] * quantity
        return allocate_minor(self.remaining, [1] * quantity)


class CartState:
    """The mutable working state of one pricing run (private to the engine and benefits).

    Holds every line's remaining value, the remaining shipping, an index from SKU / category /
    tag to lines, and a cache of selector matches.
    """

    def __init__(self, data: PromotionInput) -> None:
        self.input = data
        self.currency = data.currency
        # The lines' states, their total value and the index, in one pass over the lines.
        self.lines: list[LineState] = []
        self.by_key: dict[Key, list[int]] = {}
        by_key = self.by_key
        subtotal = 0
        for position, line in enumerate(data.lines):
            state = LineState(position, line)
            self.lines.append(state)
            subtotal += state.original
            # The common case first: a line without categories or tags has its SKU as only key.
            if line.categories or line.tags:
                for key in line.anchor_keys():
                    by_key.setdefault(key, []).append(position)
            else:
                key = ("sku", line.sku)
                found = by_key.get(key)
                if found is None:
                    by_key[key] = [position]
                else:
                    found.append(position)
        self.original_subtotal = subtotal
        self.shipping_known = data.shipping is not None
        self.shipping_original = 0 if data.shipping is None else to_minor(data.shipping)
        self.shipping_remaining = self.shipping_original
        # The expected shipping charge left to value pending shipping benefits against (None:
        # the charge is known, or nothing is expected).
        self.estimate_original: int | None = (
            None
            if data.shipping is not None or data.shipping_estimate is None
            else to_minor(data.shipping_estimate)
        )
        self.estimate_remaining = self.estimate_original
        self._matches: dict[Selector, tuple[int, ...]] = {}

    def copy_fresh(self) -> CartState:
        """A new state of the same cart with no discount applied (shares the index)."""
        fresh = CartState.__new__(CartState)
        fresh.input = self.input
        fresh.currency = self.currency
        fresh.lines = [LineState(s.position, s.line, s.unit_minor) for s in self.lines]
        fresh.shipping_known = self.shipping_known
        fresh.shipping_original = self.shipping_original
        fresh.shipping_remaining = self.shipping_original
        fresh.estimate_original = self.estimate_original
        fresh.estimate_remaining = self.estimate_original
        fresh.original_subtotal = self.original_subtotal
        fresh.by_key = self.by_key
        fresh._matches = self._matches
        return fresh

    def matching(self, selector: Selector) -> tuple[int, ...]:
        """Positions of the lines ``selector`` matches, in line-id order (cached)."""
        cached = self._matches.get(selector)
        if cached is not None:
            return cached
        if type(selector) is not Selector:  # a subclass may define its own keys and exclusions
            return self._matching(selector)
        if selector.all_products:
            candidates: Iterable[int] = range(len(self.lines))
        else:
            # The lines under the selector's anchor keys (``anchor_keys()``, without building
            # that set).
            by_key = self.by_key
            found: set[int] = set()
            for sku in selector.skus:
                found.update(by_key.get(("sku", sku), ()))
            for category in selector.categories:
                found.update(by_key.get(("category", category), ()))
            for tag in selector.tags:
                found.update(by_key.get(("tag", tag), ()))
            candidates = sorted(found)
        if selector.exclude_skus or selector.exclude_categories or selector.exclude_tags:
            lines = self.lines
            result = tuple(p for p in candidates if not selector.excludes(lines[p].line))
        else:
            result = tuple(candidates)  # nothing to exclude
        self._matches[selector] = result
        return result

    def _matching(self, selector: Selector) -> tuple[int, ...]:
        """:meth:`matching` through the selector's own methods (cached)."""
        if selector.all_products:
            candidates: Iterable[int] = range(len(self.lines))
        else:
            found: set[int] = set()
            for key in selector.anchor_keys():
                found.update(self.by_key.get(key, ()))
            candidates = sorted(found)
        result = tuple(p for p in candidates if not selector.excludes(self.lines[p].line))
        self._matches[selector] = result
        return result

    def subtotal(self, selector: Selector | None, *, after_discounts: bool) -> int:
        """The value of the selected lines (all lines for ``None``), before or after discounts."""
        positions: Iterable[int] = (
            range(len(self.lines)) if selector is None else self.matching(selector)
        )
        if after_discounts:
            return sum(self.lines[p].remaining for p in positions)
        return sum(self.lines[p].original for p in positions)

    def quantity(self, selector: Selector | None) -> int:
        """The number of units in the selected lines (all lines for ``None``)."""
        positions: Iterable[int] = (
            range(len(self.lines)) if selector is None else self.matching(selector)
        )
        return sum(self.lines[p].line.quantity for p in positions)

    def apply(self, discounts: Mapping[int, int], shipping: int, estimate: int = 0) -> None:
        """Subtract granted discounts (and estimated shipping ones) from the remaining values."""
        for position, amount in discounts.items():
            self.lines[position].remaining -= amount
        self.shipping_remaining -= shipping
        if self.estimate_remaining is not None:
            self.estimate_remaining -= estimate
