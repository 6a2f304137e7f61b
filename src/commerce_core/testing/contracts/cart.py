"""Contract suite for the :class:`~commerce_core.ports.cart.CartRepository` port."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from commerce_core.domain.cart import Cart, CartOwner, CartStatus
from commerce_core.domain.catalog import CatalogItem
from commerce_core.errors import ConcurrencyConflictError, NotFoundError
from commerce_core.money import money
from commerce_core.ports.cart import CartRepository

__all__ = ["CartRepositoryContract"]

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _cart(cart_id: str, owner: str = "g1", *, at: datetime = T0) -> Cart:
    return Cart.create(cart_id, CartOwner.guest(owner), "EUR", now=at)


class CartRepositoryContract:
    """What every CartRepository adapter must do. Override :meth:`make_repository`."""

    def make_repository(self) -> CartRepository:
        """Return a fresh, empty repository under test."""
        raise NotImplementedError

    def test_a_saved_cart_comes_back_equal_in_content(self) -> None:
        repo = self.make_repository()
        cart = _cart("c1")
        cart.add(CatalogItem.simple("TEA", "Tea", money("4.50", "EUR")), 2, now=T0)
        repo.save(cart)
        loaded = repo.get("c1")
        assert loaded.to_snapshot() == cart.to_snapshot()
        assert loaded.version == cart.version == 1

    def test_unknown_cart_raises_not_found(self) -> None:
        with pytest.raises(NotFoundError):
            self.make_repository().get("nope")

    def test_saving_a_stale_copy_conflicts_and_changes_nothing(self) -> None:
        repo = self.make_repository()
        repo.save(_cart("c1"))
        first, second = repo.get("c1"), repo.get("c1")
        first.add(CatalogItem.simple("TEA", "Tea", money("4.50", "EUR")), 1, now=T0)
        repo.save(first)
        second.clear(now=T0)
        with pytest.raises(ConcurrencyConflictError):
            repo.save(second)
        assert len(repo.get("c1").lines) == 1

    def test_mutating_a_cart_after_saving_does_not_change_the_store(self) -> None:
        repo = self.make_repository()
        cart = _cart("c1")
        repo.save(cart)
        cart.add(CatalogItem.simple("TEA", "Tea", money("4.50", "EUR")), 1, now=T0)
        assert repo.get("c1").is_empty

    def test_find_by_owner_returns_the_latest_active_cart(self) -> None:
        repo = self.make_repository()
        repo.save(_cart("old", "g1"))
        repo.save(_cart("new", "g1", at=T0 + timedelta(minutes=1)))
        repo.save(_cart("other", "g2"))
        found = repo.find_by_owner(CartOwner.guest("g1"))
        assert found is not None
        assert found.id == "new"
        assert repo.find_by_owner(CartOwner.customer("g1")) is None

    def test_find_idle_since_lists_carts_not_updated_since_the_cutoff(self) -> None:
        repo = self.make_repository()
        repo.save(_cart("idle", at=T0))
        repo.save(_cart("busy", at=T0 + timedelta(hours=2)))
        idle = repo.find_idle_since(T0 + timedelta(hours=1))
        assert [c.id for c in idle] == ["idle"]
        assert repo.find_idle_since(T0 + timedelta(hours=1), (CartStatus.ABANDONED,)) == []

    def test_exactly_one_of_concurrent_writers_of_one_version_wins(self) -> None:
        repo = self.make_repository()
        repo.save(_cart("c1"))
        copies = [repo.get("c1") for _ in range(8)]
        barrier = threading.Barrier(len(copies))
        wins: list[int] = []
        lock = threading.Lock()

        def write(index: int) -> None:
            copies[index].add(
                CatalogItem.simple(f"SKU{index}", "x", money("1.00", "EUR")), 1, now=T0
            )
            barrier.wait()
            try:
                repo.save(copies[index])
            except ConcurrencyConflictError:
                return
            with lock:
                wins.append(index)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(len(copies))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert len(wins) == 1
        assert [line.sku for line in repo.get("c1").lines] == [f"SKU{wins[0]}"]
