from __future__ import annotations

from commerce_core.adapters.memory import (
    InMemoryIdempotencyStore,
    InMemoryPaymentRepository,
    InMemoryProcessedEventStore,
    InMemoryTransactionLog,
    SimulatedPaymentGateway,
)
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.ports.payments import (
    IdempotencyStore,
    PaymentGateway,
    PaymentRepository,
    ProcessedEventStore,
    TransactionLog,
)
from commerce_core.testing.contracts import (
    IdempotencyStoreContract,
    PaymentGatewayContract,
    PaymentRepositoryContract,
    ProcessedEventStoreContract,
    TransactionLogContract,
)


class TestSimulatedPaymentGateway(PaymentGatewayContract):
    def make_gateway(self) -> PaymentGateway:
        return SimulatedPaymentGateway()

    def approving_method(self) -> PaymentMethod:
        return PaymentMethod("tok_visa")

    def declining_method(self) -> PaymentMethod:
        return PaymentMethod("tok_declined")


class TestInMemoryIdempotencyStore(IdempotencyStoreContract):
    def make_store(self) -> IdempotencyStore:
        return InMemoryIdempotencyStore()


class TestInMemoryTransactionLog(TransactionLogContract):
    def make_log(self) -> TransactionLog:
        return InMemoryTransactionLog()


class TestInMemoryProcessedEventStore(ProcessedEventStoreContract):
    def make_store(self) -> ProcessedEventStore:
        return InMemoryProcessedEventStore()


class TestInMemoryPaymentRepository(PaymentRepositoryContract):
    def make_repository(self) -> PaymentRepository:
        return InMemoryPaymentRepository()
