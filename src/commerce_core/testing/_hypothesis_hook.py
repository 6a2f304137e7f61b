"""The Hypothesis entry point: registers our strategies for ``st.from_type``.

Hypothesis calls :func:`setup` while *it* is being imported, possibly in the middle of importing
our strategies module. So registration is deferred: each registered callable imports the
strategies only when a test first asks for the type.
"""

from __future__ import annotations

import importlib
from typing import Any


def _deferred(name: str) -> Any:
    """A callable Hypothesis resolves lazily to ``commerce_core.testing.strategies.<name>()``."""

    def resolve(_type: type) -> Any:
        strategies = importlib.import_module("commerce_core.testing.strategies")
        return getattr(strategies, name)()

    return resolve


def setup() -> None:
    """Register deferred strategies for the library's value types."""
    from hypothesis import strategies as st
    from moneyed import Currency, Money

    from commerce_core.money import RoundingPolicy, TaxedMoney

    st.register_type_strategy(Money, _deferred("money"))
    st.register_type_strategy(Currency, _deferred("currencies"))
    st.register_type_strategy(TaxedMoney, _deferred("taxed_money"))
    st.register_type_strategy(RoundingPolicy, _deferred("rounding_policies"))
    # region inventory
    from commerce_core.domain.inventory import BackorderPolicy, Location, StockRequest

    st.register_type_strategy(BackorderPolicy, _deferred("backorder_policies"))
    st.register_type_strategy(Location, _deferred("locations"))
    st.register_type_strategy(StockRequest, _deferred("stock_requests"))
    # endregion inventory
    # region cart
    from commerce_core.domain.cart import Cart
    from commerce_core.domain.catalog import CatalogItem
    from commerce_core.domain.tax import TaxTable

    st.register_type_strategy(CatalogItem, _deferred("catalog_items"))
    st.register_type_strategy(TaxTable, _deferred("tax_tables"))
    st.register_type_strategy(Cart, _deferred("carts"))
    # endregion cart
    # region promotions
    from commerce_core.domain.promotions import Promotion, PromotionInput, Selector

    st.register_type_strategy(Selector, _deferred("selectors"))
    st.register_type_strategy(PromotionInput, _deferred("promotion_inputs"))

    def euro_promotions(_type: type) -> Any:
        strategies = importlib.import_module("commerce_core.testing.strategies")
        return strategies.promotions("EUR")

    st.register_type_strategy(Promotion, euro_promotions)
    # endregion promotions
    # region orders
    # endregion orders
    # region payments
    from commerce_core.domain.payment_gateway import PaymentMethod

    st.register_type_strategy(PaymentMethod, _deferred("payment_methods"))
    # endregion payments
    # region analytics
    from commerce_core.domain.analytics.events import JourneyEvent

    st.register_type_strategy(JourneyEvent, _deferred("journey_events"))
    # endregion analytics
