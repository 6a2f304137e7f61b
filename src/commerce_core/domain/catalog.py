"""Catalog: what commerce_core needs to know about a sellable item.

The host owns its catalog (a PIM, a CMS, a table); commerce_core asks it, through the
:class:`~commerce_core.ports.catalog.Catalog` port, for :class:`CatalogItem` values: SKU, name,
unit prices per currency and price list (entered with or without tax), tax class, categories and
tags, weight, whether it ships, and its :class:`QuantityRule`.

>>> from commerce_core.money import money
>>> item = CatalogItem(
...     sku="MUG",
...     name="Mug",
...     prices=(ItemPrice(money("12.00", "EUR")), ItemPrice(money("9.90", "EUR"), "wholesale")),
...     prices_include_tax=True,
... )
>>> item.price_for("EUR", "wholesale"), item.price_for("EUR", "vip")
(Money('9.90', 'EUR'), Money('12.00', 'EUR'))
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs
from moneyed import Money

from commerce_core.errors import (
    InvalidCatalogItemError,
    InvalidQuantityError,
    PriceNotFoundError,
    QuantityRuleError,
)
from commerce_core.money import currency_of, to_minor

__all__ = ["DEFAULT_PRICE_LIST", "QuantityRule", "ItemPrice", "CatalogItem", "check_quantity"]

DEFAULT_PRICE_LIST = "default"
"""The price list every other list falls back to."""


def check_quantity(quantity: object) -> int:
    """Return ``quantity`` if it is a positive ``int`` (not a bool, float or str).

    Raises:
        InvalidQuantityError: anything else.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidQuantityError(quantity)
    return quantity


@attrs.frozen
class QuantityRule:
    """How many units may be bought in one line: ``minimum + k * step``, up to ``maximum``.

    >>> QuantityRule(minimum=2, step=2, maximum=10).allows(6), QuantityRule(step=2).allows(2)
    (True, False)

    Raises:
        InvalidQuantityError: a non-positive minimum or step, or a maximum below the minimum.
    """

    minimum: int = 1
    maximum: int | None = None
    step: int = 1

    def __attrs_post_init__(self) -> None:
        check_quantity(self.minimum)
        check_quantity(self.step)
        if self.maximum is not None and check_quantity(self.maximum) < self.minimum:
            raise InvalidQuantityError(self.maximum, "maximum is below the minimum")

    def allows(self, quantity: int) -> bool:
        """Whether ``quantity`` satisfies the rule."""
        if quantity < self.minimum or (self.maximum is not None and quantity > self.maximum):
            return False
        return (quantity - self.minimum) % self.step == 0

    def check(self, sku: str, quantity: object) -> int:
        """Return ``quantity`` if allowed.

        Raises:
            InvalidQuantityError: not a positive int.
            QuantityRuleError: breaks the rule.
        """
        value = check_quantity(quantity)
        if not self.allows(value):
            raise QuantityRuleError(sku, value, self.minimum, self.maximum, self.step)
        return value

    def clamp(self, quantity: int) -> int:
        """The largest allowed quantity not above ``quantity`` (0 when none is)."""
        top = quantity if self.maximum is None else min(quantity, self.maximum)
        if top < self.minimum:
            return 0
        return top - (top - self.minimum) % self.step


@attrs.frozen
class ItemPrice:
    """A unit price in one currency for one price list.

    Attributes:
        amount: the unit price, on the currency's grid (never negative).
        price_list: the list it belongs to (``"default"``, ``"wholesale"``, ``"vip"``...).
    """

    amount: Money
    price_list: str = DEFAULT_PRICE_LIST

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.amount, Money):
            raise InvalidCatalogItemError("", f"price {self.amount!r} is not Money")
        to_minor(self.amount)  # refuses amounts off the currency grid
        if self.amount.amount < 0:
            raise InvalidCatalogItemError("", "a price cannot be negative")


def _strings(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _prices(prices: Iterable[ItemPrice]) -> tuple[ItemPrice, ...]:
    return tuple(prices)


def _nonneg_weight(value: object) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise InvalidCatalogItemError("", f"weight {value!r} must be a Decimal, int or str (kg)")
    weight = Decimal(value)
    if not weight.is_finite() or weight < 0:
        raise InvalidCatalogItemError("", "weight must be a non-negative number of kg")
    return weight


@attrs.frozen(kw_only=True)
class CatalogItem:
    """A sellable item as the catalog describes it.

    Attributes:
        sku: the stock-keeping unit, unique in the catalog.
        name: the display name.
        prices: unit prices per currency and price list.
        prices_include_tax: whether the prices are gross (EU style) or net (US style).
        tax_class: which tax rates apply (``"standard"``, ``"reduced"``, ``"zero"``...).
        categories: category slugs (promotions target them).
        tags: free tags.
        weight: unit weight in kilograms (shipping weight bands use it).
        shippable: False for digital goods and services (no shipping needed).
        quantity_rule: minimum, maximum and step per line.

    Raises:
        InvalidCatalogItemError: no prices, a duplicate price, a negative weight, an empty SKU.
    """

    sku: str
    name: str
    prices: tuple[ItemPrice, ...] = attrs.field(converter=_prices)
    prices_include_tax: bool = False
    tax_class: str = "standard"
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    weight: Decimal = attrs.field(default=Decimal(0), converter=_nonneg_weight)
    shippable: bool = True
    quantity_rule: QuantityRule = attrs.field(factory=QuantityRule)

    def __attrs_post_init__(self) -> None:
        if not self.sku.strip():
            raise InvalidCatalogItemError(self.sku, "empty SKU")
        if not self.prices:
            raise InvalidCatalogItemError(self.sku, "no price")
        seen: set[tuple[str, str]] = set()
        for price in self.prices:
            key = (currency_of(price.amount), price.price_list)
            if key in seen:
                raise InvalidCatalogItemError(self.sku, f"two prices for {key}")
            seen.add(key)

    @classmethod
    def simple(
        cls,
        sku: str,
        name: str,
        price: Money,
        *,
        prices_include_tax: bool = False,
        tax_class: str = "standard",
        **kwargs: object,
    ) -> CatalogItem:
        """An item with one price in the default price list."""
        return cls(
            sku=sku,
            name=name,
            prices=(ItemPrice(price),),
            prices_include_tax=prices_include_tax,
            tax_class=tax_class,
            **kwargs,  # type: ignore[arg-type]
        )

    def price_for(self, currency: str, price_list: str = DEFAULT_PRICE_LIST) -> Money:
        """The unit price in ``currency`` from ``price_list``, falling back to the default list.

        Raises:
            PriceNotFoundError: no price in that currency in either list.
        """
        fallback: Money | None = None
        for price in self.prices:
            if currency_of(price.amount) != currency:
                continue
            if price.price_list == price_list:
                return price.amount
            if price.price_list == DEFAULT_PRICE_LIST:
                fallback = price.amount
        if fallback is None:
            raise PriceNotFoundError(self.sku, currency, price_list)
        return fallback
