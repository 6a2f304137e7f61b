from __future__ import annotations

from commerce_core.adapters.memory import InMemoryOrderNumbers, InMemoryOrderRepository
from commerce_core.ports.orders import OrderNumbers, OrderOutbox, OrderRepository
from commerce_core.testing.contracts import (
    OrderNumbersContract,
    OrderOutboxContract,
    OrderRepositoryContract,
)


def _store() -> tuple[OrderRepository, OrderOutbox]:
    repo = InMemoryOrderRepository()
    return repo, repo.outbox


class TestInMemoryOrderRepository(OrderRepositoryContract):
    def make_store(self) -> tuple[OrderRepository, OrderOutbox]:
        return _store()


class TestInMemoryOrderOutbox(OrderOutboxContract):
    def make_store(self) -> tuple[OrderRepository, OrderOutbox]:
        return _store()


class TestInMemoryOrderNumbers(OrderNumbersContract):
    def make_numbers(self) -> OrderNumbers:
        return InMemoryOrderNumbers()


class TestPatternedOrderNumbers(OrderNumbersContract):
    def make_numbers(self) -> OrderNumbers:
        return InMemoryOrderNumbers("WEB-2026-{n:05d}", start=1000)


def test_patterned_numbers_follow_the_pattern_in_sequence() -> None:
    numbers = InMemoryOrderNumbers("WEB-{n:04d}", start=7)
    assert [numbers.next_number() for _ in range(3)] == ["WEB-0007", "WEB-0008", "WEB-0009"]
