"""In-memory adapters for every port: thread-safe fakes for tests, examples and the demo."""

from commerce_core.adapters.memory.core import (
    InMemoryClock,
    InMemoryNotifier,
    ScriptedRandomSource,
    SequentialIdFactory,
    VersionedSnapshotStore,
)

# region inventory-import
from commerce_core.adapters.memory.inventory import InMemoryInventoryStore

# endregion inventory-import
# region cart-import
from commerce_core.adapters.memory.cart import (
    InMemoryCartRepository,
    InMemoryCatalog,
    UnlimitedStock,
)

# endregion cart-import
# region promotions-import

from commerce_core.adapters.memory.promotions import (
    InMemoryCouponUsage,
    InMemoryCustomerHistory,
)

# endregion promotions-import
# region orders-import
from commerce_core.adapters.memory.orders import (
    InMemoryOrderRepository,
    InMemoryOrderOutbox,
    InMemoryOrderNumbers,
    InMemoryOrderStock,
    InMemoryOrderPayments,
    StockCall,
)

# endregion orders-import
# region payments-import
from commerce_core.adapters.memory.payments import (
    InMemoryIdempotencyStore,
    InMemoryPaymentRepository,
    InMemoryProcessedEventStore,
    InMemoryTransactionLog,
    SimulatedPaymentGateway,
    TEST_CARD_NUMBERS,
    TEST_TOKENS,
)
from commerce_core.adapters.memory.checkout import InMemoryCheckoutLog

# endregion payments-import
# region analytics-import
from commerce_core.adapters.memory.analytics import (
    AggregatingAnalyticsSink,
    InMemoryAnalyticsSink,
)
# endregion analytics-import

__all__ = [
    "InMemoryClock",
    "InMemoryNotifier",
    "ScriptedRandomSource",
    "SequentialIdFactory",
    "VersionedSnapshotStore",
    # region inventory-all
    "InMemoryInventoryStore",
    # endregion inventory-all
    # region cart-all
    "InMemoryCatalog",
    "UnlimitedStock",
    "InMemoryCartRepository",
    # endregion cart-all
    # region promotions-all
    "InMemoryCouponUsage",
    "InMemoryCustomerHistory",
    # endregion promotions-all
    # region orders-all
    "InMemoryOrderRepository",
    "InMemoryOrderOutbox",
    "InMemoryOrderNumbers",
    "InMemoryOrderStock",
    "InMemoryOrderPayments",
    "StockCall",
    # endregion orders-all
    # region payments-all
    "InMemoryIdempotencyStore",
    "InMemoryPaymentRepository",
    "InMemoryProcessedEventStore",
    "InMemoryTransactionLog",
    "SimulatedPaymentGateway",
    "TEST_CARD_NUMBERS",
    "TEST_TOKENS",
    "InMemoryCheckoutLog",
    # endregion payments-all
    # region analytics-all
    "InMemoryAnalyticsSink",
    "AggregatingAnalyticsSink",
    # endregion analytics-all
]
