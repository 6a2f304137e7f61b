"""Strategies for carts and pricing: catalog items, pricing lines, tax tables, carts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import strategies as st

from commerce_core.domain.cart import Cart, CartOwner
from commerce_core.domain.catalog import CatalogItem, ItemPrice, QuantityRule
from commerce_core.domain.pricing import PricingLine
from commerce_core.domain.tax import Jurisdiction, TaxRate, TaxTable
from commerce_core.money import from_minor

__all__ = [
    "TAX_CLASSES",
    "PRICING_CURRENCIES",
    "pricing_currencies",
    "catalog_items",
    "pricing_lines",
    "tax_tables",
    "carts",
]

TAX_CLASSES = ("standard", "reduced", "zero")
"""The tax classes the generated items use; :func:`tax_tables` has rates for all of them."""

PRICING_CURRENCIES = ("EUR", "JPY", "BHD")
"""One currency per minor-unit exponent pricing must handle: 2, 0 and 3 decimals."""


def pricing_currencies() -> st.SearchStrategy[str]:
    """ISO codes with 2 (EUR), 0 (JPY) and 3 (BHD) decimals, so rounding is tested on each."""
    return st.sampled_from(PRICING_CURRENCIES)


_T0 = datetime(2026, 1, 1, tzinfo=UTC)


def catalog_items(
    currency: str = "EUR", *, sku: str | None = None
) -> st.SearchStrategy[CatalogItem]:
    """Catalog items priced in ``currency`` (gross or net prices, every tax class)."""

    @st.composite
    def build(draw: st.DrawFn) -> CatalogItem:
        code = sku or draw(st.sampled_from([f"SKU-{i}" for i in range(12)]))
        return CatalogItem(
            sku=code,
            name=f"Item {code}",
            prices=(ItemPrice(from_minor(draw(st.integers(0, 500_000)), currency)),),
            prices_include_tax=draw(st.booleans()),
            tax_class=draw(st.sampled_from(TAX_CLASSES)),
            weight=Decimal(draw(st.integers(0, 5000))) / 1000,
            shippable=draw(st.booleans()),
            quantity_rule=QuantityRule(maximum=draw(st.sampled_from([None, 5, 50]))),
        )

    return build()


def pricing_lines(
    currency: str = "EUR", *, min_size: int = 0, max_size: int = 12
) -> st.SearchStrategy[list[PricingLine]]:
    """Lists of pricing lines with unique ids, mixed bases and tax classes."""

    @st.composite
    def build(draw: st.DrawFn) -> list[PricingLine]:
        items = draw(st.lists(catalog_items(currency), min_size=min_size, max_size=max_size))
        return [
            PricingLine(
                f"l{i}",
                item.sku,
                item.name,
                draw(st.integers(1, 20)),
                item.prices[0].amount,
                item.prices_include_tax,
                item.tax_class,
                weight=item.weight,
                shippable=item.shippable,
            )
            for i, item in enumerate(items)
        ]

    return build()


def tax_tables() -> st.SearchStrategy[TaxTable]:
    """Tables with a default standard and reduced rate, sometimes a combined or compound one."""

    @st.composite
    def build(draw: st.DrawFn) -> TaxTable:
        standard = draw(st.sampled_from(["0", "5", "7.7", "19", "20", "25"]))
        reduced = draw(st.sampled_from(["0", "2.1", "5.5", "10"]))
        rates = [
            TaxRate.percent("Tax", standard, Jurisdiction()),
            TaxRate.percent("Reduced", reduced, Jurisdiction(), tax_class="reduced"),
        ]
        if draw(st.booleans()):
            rates.append(
                TaxRate.percent(
                    "Local",
                    draw(st.sampled_from(["0.375", "2.25", "4.5"])),
                    Jurisdiction(),
                    compound=draw(st.booleans()),
                )
            )
        return TaxTable(rates, zero_rated_classes=frozenset({"zero"}))

    return build()


def carts(currency: str = "EUR", *, max_lines: int = 8) -> st.SearchStrategy[Cart]:
    """Active guest carts filled from generated catalog items."""

    @st.composite
    def build(draw: st.DrawFn) -> Cart:
        cart = Cart.create("cart_gen", CartOwner.guest("guest"), currency, now=_T0)
        for item in draw(
            st.lists(catalog_items(currency), max_size=max_lines, unique_by=lambda i: i.sku)
        ):
            cart.add(item, draw(st.integers(1, item.quantity_rule.maximum or 9)), now=_T0)
        return cart

    return build()
