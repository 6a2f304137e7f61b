"""Cart service rules that a review found broken: each test failed before its fix."""

from __future__ import annotations

import pytest

from commerce_core import (
    CartMergeError,
    CartOwner,
    CartStatus,
    CatalogItem,
    InventoryService,
    money,
)
from commerce_core.adapters.memory import (
    InMemoryCartRepository,
    InMemoryCatalog,
    InMemoryClock,
    InMemoryInventoryStore,
    InMemoryNotifier,
    SequentialIdFactory,
)
from commerce_core.services.cart import CartService


class Shop:
    def __init__(self, carts: InMemoryCartRepository | None = None) -> None:
        self.clock = InMemoryClock()
        self.carts = carts or InMemoryCartRepository()
        self.inventory = InventoryService(InMemoryInventoryStore(), self.clock)
        self.inventory.define_location("berlin")
        for sku in ("TEA", "MUG"):
            self.inventory.define_sku(sku)
            self.inventory.receive(sku, "berlin", 50)
        self.catalog = InMemoryCatalog(
            [
                CatalogItem.simple("TEA", "Tea", money("4.50", "EUR")),
                CatalogItem.simple("MUG", "Mug", money("12.00", "EUR")),
            ]
        )
        self.service = CartService(
            carts=self.carts,
            catalog=self.catalog,
            stock=self.inventory,
            clock=self.clock,
            ids=SequentialIdFactory(),
            notifier=InMemoryNotifier(),
        )

    def lines(self, cart_id: str) -> list[tuple[str, int]]:
        return [(line.sku, line.quantity) for line in self.carts.get(cart_id).lines]


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_sign_in_refuses_to_merge_another_customers_cart_and_changes_nothing(shop: Shop) -> None:
    a = shop.service.open_cart(CartOwner.customer("A"), "EUR")
    shop.service.add_item(a.id, "TEA", 1)
    b = shop.service.open_cart(CartOwner.customer("B"), "EUR")
    shop.service.add_item(b.id, "MUG", 1)
    before = (shop.carts.get(a.id).to_snapshot(), shop.carts.get(b.id).to_snapshot())
    with pytest.raises(CartMergeError) as caught:
        shop.service.sign_in(b.id, "A")
    assert (caught.value.source_cart_id, caught.value.target_cart_id) == (b.id, a.id)
    assert (shop.carts.get(a.id).to_snapshot(), shop.carts.get(b.id).to_snapshot()) == before
    assert shop.carts.get(b.id).status is CartStatus.ACTIVE


def test_sign_in_with_the_customers_own_cart_is_a_typed_error(shop: Shop) -> None:
    own = shop.service.open_cart(CartOwner.customer("A"), "EUR")
    shop.service.add_item(own.id, "TEA", 1)
    with pytest.raises(CartMergeError):
        shop.service.sign_in(own.id, "A")
    assert shop.carts.get(own.id).status is CartStatus.ACTIVE
    assert shop.lines(own.id) == [("TEA", 1)]
