from __future__ import annotations

from collections.abc import Mapping

from commerce_core.adapters.memory import InMemoryCustomerHistory
from commerce_core.ports.promotions import CustomerHistory
from commerce_core.testing.contracts import CustomerHistoryContract


class TestInMemoryCustomerHistory(CustomerHistoryContract):
    def make_history(self, previous_orders: Mapping[str, int]) -> CustomerHistory:
        return InMemoryCustomerHistory(previous_orders)


class TestInMemoryCustomerHistoryFedByRecordedOrders(CustomerHistoryContract):
    def make_history(self, previous_orders: Mapping[str, int]) -> CustomerHistory:
        history = InMemoryCustomerHistory()
        for customer, count in previous_orders.items():
            for _ in range(count):
                history.record_order(customer)
        return history
