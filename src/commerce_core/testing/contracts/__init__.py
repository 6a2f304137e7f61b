"""Port contract suites: subclass one in your own tests to check your adapter.

Each suite is a plain class (not named ``Test*``, so pytest does not collect it by itself) with a
factory method you override. Name your subclass ``Test...`` and pytest runs every contract::

    class TestMyClock(ClockContract):
        def make_clock(self) -> Clock:
            return MyClock()
"""

from commerce_core.testing.contracts.clock import ClockContract

# region inventory
from commerce_core.testing.contracts.inventory import InventoryStoreContract

# endregion inventory
# region cart
from commerce_core.testing.contracts.cart import CartRepositoryContract

# endregion cart
# region promotions

from commerce_core.testing.contracts.promotions import CouponUsageContract

# endregion promotions
# region orders
from commerce_core.testing.contracts.orders import (
    CountingNotifier,
    OrderNumbersContract,
    OrderOutboxContract,
    OrderRepositoryContract,
    make_sample_order,
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
# endregion payments

__all__ = [
    "ClockContract",
    # region inventory-all
    "InventoryStoreContract",
    # endregion inventory-all
    # region cart-all
    "CartRepositoryContract",
    # endregion cart-all
    # region promotions-all
    "CouponUsageContract",
    # endregion promotions-all
    # region orders-all
    "OrderRepositoryContract",
    "OrderNumbersContract",
    "OrderOutboxContract",
    "CountingNotifier",
    "make_sample_order",
    # endregion orders-all
    # region payments-all
    "PaymentGatewayContract",
    "IdempotencyStoreContract",
    "TransactionLogContract",
    "ProcessedEventStoreContract",
    "PaymentRepositoryContract",
    "CheckoutLogContract",
    "make_checkout_request",
    # endregion payments-all
]
