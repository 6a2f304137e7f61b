"""Hypothesis strategies for commerce_core's types, one module per capability.

They are also registered for :func:`hypothesis.strategies.from_type` through the ``hypothesis``
entry point, so once ``commerce-core[testing]`` is installed, ``st.from_type(Money)`` just works.

Usage: ``from commerce_core.testing import strategies as cst`` then ``cst.money("EUR")``.
"""

from commerce_core.testing.strategies.money import (
    CURRENCY_CODES,
    currencies,
    currency_codes,
    decimals,
    money,
    positive_money,
    rounding_policies,
    taxed_money,
    weights,
)

# region inventory-import
from commerce_core.testing.strategies.inventory import (
    SKUS,
    LOCATIONS,
    skus,
    location_ids,
    locations,
    stock_quantities,
    stock_requests,
    reservation_requests,
    stock_maps,
    backorder_policies,
    allocation_strategies,
)

# endregion inventory-import
# region cart-import
from commerce_core.testing.strategies.cart import (
    PRICING_CURRENCIES,
    TAX_CLASSES,
    carts,
    catalog_items,
    pricing_currencies,
    pricing_lines,
    tax_tables,
)

# endregion cart-import
# region promotions-import

from commerce_core.testing.strategies.promotions import (
    selectors,
    promotion_lines,
    promotion_inputs,
    benefits,
    promotions,
    promotion_lists,
    promotion_books,
)

# endregion promotions-import
# region orders-import
# endregion orders-import
# region payments-import
from commerce_core.testing.strategies.payments import (
    card_numbers,
    payment_tokens,
    payment_methods,
    payment_amounts,
)

# endregion payments-import
# region analytics-import
from commerce_core.testing.strategies.analytics import journey_events, journey_streams
# endregion analytics-import

__all__ = [
    "CURRENCY_CODES",
    "currency_codes",
    "currencies",
    "money",
    "positive_money",
    "taxed_money",
    "weights",
    "rounding_policies",
    "decimals",
    # region inventory-all
    "SKUS",
    "LOCATIONS",
    "skus",
    "location_ids",
    "locations",
    "stock_quantities",
    "stock_requests",
    "reservation_requests",
    "stock_maps",
    "backorder_policies",
    "allocation_strategies",
    # endregion inventory-all
    # region cart-all
    "TAX_CLASSES",
    "PRICING_CURRENCIES",
    "pricing_currencies",
    "catalog_items",
    "pricing_lines",
    "tax_tables",
    "carts",
    # endregion cart-all
    # region promotions-all
    "selectors",
    "promotion_lines",
    "promotion_inputs",
    "benefits",
    "promotions",
    "promotion_lists",
    "promotion_books",
    # endregion promotions-all
    # region orders-all
    # endregion orders-all
    # region payments-all
    "card_numbers",
    "payment_tokens",
    "payment_methods",
    "payment_amounts",
    # endregion payments-all
    # region analytics-all
    "journey_streams",
    "journey_events",
    # endregion analytics-all
]
