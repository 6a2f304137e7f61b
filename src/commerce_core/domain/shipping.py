"""Shipping: methods priced by rules (flat, weight bands, per item, free above a threshold).

The pricing pipeline summarises the shippable goods of a cart in a :class:`ShipmentSummary`
(weight, item count, goods value after adjustments, destination) and asks a
:class:`ShippingCalculator` for a :class:`ShippingQuote`. :class:`ShippingRateTable` is the
built-in calculator; a host plugs a carrier API through the
:class:`~commerce_core.ports.shipping.ShippingRateProvider` port.

A cart with nothing shippable needs no shipping: the pipeline never asks.

>>> from commerce_core.money import money
>>> table = ShippingRateTable(
...     (
...         ShippingMethod(
...             "std", "Standard", FreeAbove(money("50", "EUR"), FlatRate(money("4.90", "EUR")))
...         ),
...     )
... )
>>> summary = ShipmentSummary(money("30", "EUR"), weight=Decimal("1.2"), items=2)
>>> table.quote("std", summary).price
Money('4.90', 'EUR')
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs
from moneyed import Money

from commerce_core.domain.tax import Destination
from commerce_core.errors import (
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidShippingRuleError,
    ShippingUnavailableError,
)
from commerce_core.money import currency_of, to_minor

__all__ = [
    "ShipmentSummary",
    "ShippingRule",
    "ExplainsRefusal",
    "FlatRate",
    "WeightBand",
    "WeightBands",
    "PerItem",
    "FreeAbove",
    "ShippingMethod",
    "ShippingQuote",
    "ShippingCalculator",
    "ShippingRateTable",
]


def _price(value: Money) -> Money:
    if not isinstance(value, Money):
        raise InvalidAmountError(value, "shipping prices are Money")
    to_minor(value)
    if value.amount < 0:
        raise InvalidAmountError(value, "shipping prices cannot be negative")
    return value


def _weight(value: Decimal | int | str) -> Decimal:
    given: object = value  # hosts outside mypy pass floats
    if isinstance(given, bool) or not isinstance(given, Decimal | int | str):
        raise InvalidShippingRuleError(
            "up_to", value, "a weight is a Decimal, int or decimal string (floats are refused)"
        )
    try:
        weight = Decimal(given.strip() if isinstance(given, str) else given)
    except decimal.InvalidOperation:
        raise InvalidShippingRuleError("up_to", value, "not a decimal number") from None
    if not weight.is_finite() or weight < 0:
        raise InvalidShippingRuleError("up_to", value, "a weight must be finite and >= 0")
    return weight


def _strings(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@attrs.frozen
class ShipmentSummary:
    """What shipping rules look at.

    Attributes:
        goods_value: the shippable lines' total after adjustments (in their price basis).
        weight: total weight in kilograms.
        items: total number of shippable units.
        destination: where it goes (None when not known yet).
    """

    goods_value: Money
    weight: Decimal = Decimal(0)
    items: int = 0
    destination: Destination | None = None

    @property
    def currency(self) -> str:
        """The ISO code of the cart currency."""
        return currency_of(self.goods_value)


class ShippingRule(Protocol):
    """Prices a shipment, or answers None when it cannot (too heavy, wrong currency)."""

    def price(self, summary: ShipmentSummary) -> Money | None:
        """The price of shipping ``summary``, or None."""
        ...

    def describe(self) -> str:
        """A phrase for the explanation trace (``"flat 4.90 EUR"``)."""
        ...


@runtime_checkable
class ExplainsRefusal(Protocol):
    """A rule that can say why it has no price for a shipment (optional for host rules)."""

    def refusal(self, summary: ShipmentSummary) -> str | None:
        """Why :meth:`ShippingRule.price` answers None for ``summary`` (None: no reason known)."""
        ...


def _refusal(rule: ShippingRule, summary: ShipmentSummary) -> str:
    reason = rule.refusal(summary) if isinstance(rule, ExplainsRefusal) else None
    if reason:
        return reason
    return f"no {summary.currency} price for this shipment ({rule.describe()})"


@attrs.frozen
class FlatRate:
    """The same price whatever the cart holds."""

    amount: Money = attrs.field(converter=_price)

    def price(self, summary: ShipmentSummary) -> Money | None:
        """``amount`` when the currency matches."""
        amount = self.amount
        return amount if amount.currency.code == summary.goods_value.currency.code else None

    def describe(self) -> str:
        """``"flat <amount>"``."""
        return f"flat {self.amount.amount} {currency_of(self.amount)}"


@attrs.frozen
class WeightBand:
    """A price for shipments up to ``up_to`` kilograms (inclusive).

    Raises:
        InvalidShippingRuleError: ``up_to`` is a float, not a number, or negative.
        InvalidAmountError: ``price`` is not Money on its currency grid, or negative.
    """

    up_to: Decimal = attrs.field(converter=_weight)
    price: Money = attrs.field(converter=_price)


def _bands(bands: Iterable[WeightBand]) -> tuple[WeightBand, ...]:
    ordered = tuple(sorted(bands, key=lambda b: b.up_to))
    if not ordered:
        raise InvalidAmountError(ordered, "weight bands need at least one band")
    return ordered


@attrs.frozen
class WeightBands:
    """The price of the first band whose ``up_to`` covers the weight; None above the last."""

    bands: tuple[WeightBand, ...] = attrs.field(converter=_bands)

    def price(self, summary: ShipmentSummary) -> Money | None:
        """The covering band's price."""
        for band in self.bands:
            if summary.weight <= band.up_to:
                if currency_of(band.price) != summary.currency:
                    return None
                return band.price
        return None

    def refusal(self, summary: ShipmentSummary) -> str | None:
        """Why there is no price: the shipment is heavier than the heaviest band."""
        heaviest = self.bands[-1].up_to
        if summary.weight > heaviest:
            return (
                f"the shipment weighs {summary.weight} kg, more than the heaviest weight band "
                f"({heaviest} kg)"
            )
        return None

    def describe(self) -> str:
        """``"weight bands up to 1 kg: 4.90, ..."``."""
        parts = ", ".join(f"<= {b.up_to} kg: {b.price.amount}" for b in self.bands)
        return f"weight bands ({parts})"


def _optional_price(value: Money | None) -> Money | None:
    return None if value is None else _price(value)


@attrs.frozen
class PerItem:
    """``first`` for the first unit (defaults to ``each``), ``each`` for every further unit.

    Raises:
        InvalidAmountError: ``each`` or ``first`` is not Money on its grid, or negative.
        CurrencyMismatchError: ``first`` and ``each`` differ in currency.
    """

    each: Money = attrs.field(converter=_price)
    first: Money | None = attrs.field(default=None, converter=_optional_price)

    def __attrs_post_init__(self) -> None:
        if self.first is not None and currency_of(self.first) != currency_of(self.each):
            raise CurrencyMismatchError(
                currency_of(self.each), currency_of(self.first), context="PerItem first"
            )

    def price(self, summary: ShipmentSummary) -> Money | None:
        """``first + (items - 1) * each``."""
        if currency_of(self.each) != summary.currency or summary.items < 1:
            return None
        first = self.first if self.first is not None else self.each
        return first + self.each * (summary.items - 1)

    def describe(self) -> str:
        """``"per item ..."``."""
        first = f"first {self.first.amount}, then " if self.first is not None else ""
        return f"per item ({first}{self.each.amount} each)"


@attrs.frozen
class FreeAbove:
    """Free when the goods value reaches ``threshold``; otherwise the ``otherwise`` rule."""

    threshold: Money = attrs.field(converter=_price)
    otherwise: ShippingRule

    def price(self, summary: ShipmentSummary) -> Money | None:
        """Zero at or above the threshold."""
        if currency_of(self.threshold) != summary.currency:
            return None
        if summary.goods_value >= self.threshold:
            return summary.goods_value * 0
        return self.otherwise.price(summary)

    def refusal(self, summary: ShipmentSummary) -> str | None:
        """Why there is no price: the ``otherwise`` rule's reason, when it gives one."""
        if currency_of(self.threshold) != summary.currency:
            return None
        otherwise = self.otherwise
        return otherwise.refusal(summary) if isinstance(otherwise, ExplainsRefusal) else None

    def describe(self) -> str:
        """``"free from <threshold>, else ..."``."""
        return f"free from {self.threshold.amount}, else {self.otherwise.describe()}"


@attrs.frozen
class ShippingMethod:
    """A way to ship, its pricing rule and where it goes.

    Attributes:
        code: the identifier a shopper picks (``"standard"``).
        name: the display name.
        rule: how it is priced.
        countries: countries it ships to (empty: everywhere not excluded).
        excluded_countries: countries it never ships to.
        tax_class: the tax class of the shipping charge; ``None`` taxes shipping like the goods,
            weighted by the shippable lines' nets, or by their quantities when those nets are
            all zero (the EU rule for mixed-rate carts).
        price_includes_tax: whether the rule's prices are gross.
    """

    code: str
    name: str
    rule: ShippingRule
    countries: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    excluded_countries: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    tax_class: str | None = "standard"
    price_includes_tax: bool = False

    def restriction(self, destination: Destination | None) -> str | None:
        """Why the method cannot ship to ``destination`` (None: it can)."""
        if destination is None:
            return None
        if destination.country in self.excluded_countries:
            return f"does not ship to {destination.country}"
        if self.countries and destination.country not in self.countries:
            return f"ships only to {', '.join(sorted(self.countries))}"
        return None


@attrs.frozen
class ShippingQuote:
    """A priced shipping method for one shipment.

    Attributes:
        method: the method code.
        name: the display name.
        price: the charge before adjustments.
        tax_class: as :attr:`ShippingMethod.tax_class`.
        price_includes_tax: whether ``price`` is gross.
        explanation: how the price was found, for the trace.
    """

    method: str
    name: str
    price: Money
    tax_class: str | None = "standard"
    price_includes_tax: bool = False
    explanation: str = ""


class ShippingCalculator(Protocol):
    """What the pricing pipeline asks about shipping."""

    def quote(self, method: str, summary: ShipmentSummary) -> ShippingQuote:
        """The price of shipping ``summary`` with ``method``.

        Raises:
            ShippingUnavailableError: unknown method, a restricted destination, or no price.
        """
        ...

    def available(self, summary: ShipmentSummary) -> tuple[ShippingQuote, ...]:
        """Every method that can ship ``summary``, cheapest first.

        Methods that cannot ship it are left out (an empty tuple: nothing ships it); see
        :class:`~commerce_core.ports.shipping.ShippingRateProvider` for the errors.
        """
        ...


def _methods(methods: Iterable[ShippingMethod]) -> tuple[ShippingMethod, ...]:
    return tuple(methods)


@attrs.frozen
class ShippingRateTable:
    """The built-in shipping calculator: a fixed list of methods and their rules."""

    methods: tuple[ShippingMethod, ...] = attrs.field(converter=_methods)

    def _try(self, method: ShippingMethod, summary: ShipmentSummary) -> ShippingQuote | str:
        refused = method.restriction(summary.destination)
        if refused is not None:
            return refused
        price = method.rule.price(summary)
        if price is None:
            return _refusal(method.rule, summary)
        return ShippingQuote(
            method.code,
            method.name,
            price,
            method.tax_class,
            method.price_includes_tax,
            f"{method.name}: {method.rule.describe()} -> {price.amount} for "
            f"{summary.items} item(s), {summary.weight} kg, goods {summary.goods_value.amount}",
        )

    def quote(self, method: str, summary: ShipmentSummary) -> ShippingQuote:
        """Price ``summary`` with the method coded ``method``.

        Raises:
            ShippingUnavailableError: unknown method, restricted destination, or no price.
        """
        for candidate in self.methods:
            if candidate.code == method:
                result = self._try(candidate, summary)
                if isinstance(result, str):
                    raise ShippingUnavailableError(method, result)
                return result
        raise ShippingUnavailableError(method, "unknown shipping method")

    def available(self, summary: ShipmentSummary) -> tuple[ShippingQuote, ...]:
        """Every method that can ship ``summary``, cheapest first (ties in table order)."""
        quotes = [q for m in self.methods if isinstance(q := self._try(m, summary), ShippingQuote)]
        return tuple(sorted(quotes, key=lambda q: q.price.amount))
