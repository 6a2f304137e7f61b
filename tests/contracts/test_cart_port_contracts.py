from __future__ import annotations

from collections.abc import Sequence

from commerce_core.adapters.memory import InMemoryCatalog
from commerce_core.domain.catalog import CatalogItem
from commerce_core.domain.shipping import FlatRate, ShippingMethod, ShippingRateTable
from commerce_core.domain.tax import Destination, Jurisdiction, TaxRate, TaxTable
from commerce_core.money import money
from commerce_core.ports.catalog import Catalog
from commerce_core.ports.shipping import ShippingRateProvider
from commerce_core.ports.tax import TaxProvider
from commerce_core.testing.contracts import (
    CatalogContract,
    ShippingRateProviderContract,
    TaxProviderContract,
)


class TestInMemoryCatalog(CatalogContract):
    def make_catalog(self, items: Sequence[CatalogItem]) -> Catalog:
        return InMemoryCatalog(items)


class TestTaxTable(TaxProviderContract):
    def make_provider(self) -> TaxProvider:
        return TaxTable(
            [
                TaxRate.percent("VAT", "20", Jurisdiction("FR")),
                TaxRate.percent("VAT", "5.5", Jurisdiction("FR"), tax_class="reduced"),
                TaxRate.percent("State", "4", Jurisdiction("US", "NY")),
                TaxRate.percent("City", "4.5", Jurisdiction("US", "NY", "NYC"), stacks=True),
            ]
        )


class TestTaxTableInAUsCity(TestTaxTable):
    """Stacked components (state, then city) honour the same contract."""

    known_destination = Destination("US", "NY", "NYC")


class TestShippingRateTable(ShippingRateProviderContract):
    def make_provider(self) -> ShippingRateProvider:
        return ShippingRateTable(
            [
                ShippingMethod(
                    "standard",
                    "Standard",
                    FlatRate(money("4.90", "EUR")),
                    excluded_countries={"KP"},
                ),
                ShippingMethod(
                    "express", "Express", FlatRate(money("12.00", "EUR")), countries={"FR", "DE"}
                ),
                ShippingMethod("economy", "Economy", FlatRate(money("2.00", "EUR"))),
                ShippingMethod("us", "US Ground", FlatRate(money("6.00", "USD"))),
            ]
        )
