"""Port contract suites: subclass one in your own tests to check your adapter.

Each suite is a plain class (not named ``Test*``, so pytest does not collect it by itself) with a
factory method you override. Name your subclass ``Test...`` and pytest runs every contract::

    class TestMyClock(ClockContract):
        def make_clock(self) -> Clock:
            return MyClock()
"""

from commerce_core.testing.contracts.clock import ClockContract
from commerce_core.testing.contracts.core import (
    IdFactoryContract,
    NotifierContract,
    RandomSourceContract,
)

# region inventory
from commerce_core.testing.contracts.inventory import InventoryStoreContract
from commerce_core.testing.contracts.availability import AvailabilityQueryContract

# endregion inventory
# region cart
from commerce_core.testing.contracts.cart import CartRepositoryContract
from commerce_core.testing.contracts.catalog import CatalogContract, sample_catalog_items
from commerce_core.testing.contracts.shipping import ShippingRateProviderContract
from commerce_core.testing.contracts.tax import TaxProviderContract

# endregion cart
# region promotions

from commerce_core.testing.contracts.promotions import CouponUsageContract, CustomerHistoryContract

# endregion promotions
# region orders
from commerce_core.testing.contracts.orders import (
    CountingNotifier,
    OrderNumbersContract,
    OrderOutboxContract,
    OrderRepositoryContract,
    make_sample_order,
)
from commerce_core.testing.contracts.order_effects import (
    OrderPaymentsContract,
    OrderStockContract,
    PaymentsSetup,
    StockSetup,
)

# endregion orders
# region payments
from commerce_core.testing.contracts.payments import (
    PaymentGatewayContract,
    IdempotencyStoreContract,
    TransactionLogContract,
    ProcessedEventStoreContract,
    PaymentRepositoryContract,
)
from commerce_core.testing.contracts.checkout import CheckoutLogContract, make_checkout_request
from commerce_core.testing.contracts.coupons import CouponRedeemerContract
from commerce_core.testing.contracts.webhooks import WebhookVerifierContract
# endregion payments

__all__ = [
    "ClockContract",
    "IdFactoryContract",
    "NotifierContract",
    "RandomSourceContract",
    # region inventory-all
    "InventoryStoreContract",
    "AvailabilityQueryContract",
    # endregion inventory-all
    # region cart-all
    "CartRepositoryContract",
    "CatalogContract",
    "sample_catalog_items",
    "TaxProviderContract",
    "ShippingRateProviderContract",
    # endregion cart-all
    # region promotions-all
    "CouponUsageContract",
    "CustomerHistoryContract",
    # endregion promotions-all
    # region orders-all
    "OrderRepositoryContract",
    "OrderNumbersContract",
    "OrderOutboxContract",
    "CountingNotifier",
    "make_sample_order",
    "OrderStockContract",
    "OrderPaymentsContract",
    "StockSetup",
    "PaymentsSetup",
    # endregion orders-all
    # region payments-all
    "PaymentGatewayContract",
    "IdempotencyStoreContract",
    "TransactionLogContract",
    "ProcessedEventStoreContract",
    "PaymentRepositoryContract",
    "CheckoutLogContract",
    "make_checkout_request",
    "CouponRedeemerContract",
    "WebhookVerifierContract",
    # endregion payments-all
]
