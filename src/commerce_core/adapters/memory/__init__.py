"""In-memory adapters for every port: thread-safe fakes for tests, examples and the demo."""

from commerce_core.adapters.memory.core import (
    InMemoryClock,
    InMemoryNotifier,
    SequentialIdFactory,
    VersionedSnapshotStore,
)

# region inventory-import
# endregion inventory-import
# region cart-import
from commerce_core.adapters.memory.cart import (
    InMemoryCartRepository,
    InMemoryCatalog,
    InMemoryStockLevels,
)
# endregion cart-import
# region promotions-import

from commerce_core.adapters.memory.promotions import (
    InMemoryCouponUsage,
    InMemoryCustomerHistory,
    SecretsRandomSource,
    SeededRandomSource,
)
# endregion promotions-import
# region orders-import
# endregion orders-import
# region payments-import
# endregion payments-import
# region analytics-import
# endregion analytics-import

__all__ = [
    "InMemoryClock",
    "InMemoryNotifier",
    "SequentialIdFactory",
    "VersionedSnapshotStore",
    # region inventory-all
    # endregion inventory-all
    # region cart-all
    "InMemoryCatalog",
    "InMemoryStockLevels",
    "InMemoryCartRepository",
    # endregion cart-all
    # region promotions-all
    "InMemoryCouponUsage",
    "InMemoryCustomerHistory",
    "SecretsRandomSource",
    "SeededRandomSource",
    # endregion promotions-all
    # region orders-all
    # endregion orders-all
    # region payments-all
    # endregion payments-all
    # region analytics-all
    # endregion analytics-all
]
