from __future__ import annotations

from commerce_core.adapters.memory import InMemoryCartRepository
from commerce_core.ports.cart import CartRepository
from commerce_core.testing.contracts import CartRepositoryContract


class TestInMemoryCartRepository(CartRepositoryContract):
    def make_repository(self) -> CartRepository:
        return InMemoryCartRepository()
