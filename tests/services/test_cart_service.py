"""CartService: autosave, stock checks, sign-in merge, abandonment, recovery, expiry."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest

from commerce_core import (
    Cart,
    CartOwner,
    CartPolicy,
    CartService,
    CartStatus,
    CatalogItem,
    InventoryService,
    MergeStrategy,
    RecoveryTokenError,
    StockUnavailableError,
    UnknownSkuError,
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


class Shop:
    def __init__(self) -> None:
        self.clock = InMemoryClock()
        self.carts = InMemoryCartRepository()
        self.stock = InventoryService(InMemoryInventoryStore(), self.clock)
        self.stock.define_location("berlin")
        for sku, units in (("TEA", 5), ("MUG", 1_000)):
            self.stock.define_sku(sku)
            self.stock.receive(sku, "berlin", units)
        self.notifier = InMemoryNotifier()
        self.catalog = InMemoryCatalog(
            [
                CatalogItem.simple("TEA", "Tea", money("4.50", "EUR")),
                CatalogItem.simple("MUG", "Mug", money("12.00", "EUR")),
            ]
        )
        self.service = CartService(
            carts=self.carts,
            catalog=self.catalog,
            stock=self.stock,
            clock=self.clock,
            ids=SequentialIdFactory(),
            random=random.Random(4),
            notifier=self.notifier,
            policy=CartPolicy(
                abandon_after=timedelta(hours=1),
                recovery_ttl=timedelta(days=2),
                guest_expiry=timedelta(days=7),
                customer_expiry=timedelta(days=30),
            ),
        )


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_every_mutation_is_saved(shop: Shop) -> None:
    cart = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(cart.id, "TEA", 2)
    line_id = shop.carts.get(cart.id).lines[0].line_id
    shop.service.change_quantity(cart.id, line_id, 3)
    assert shop.carts.get(cart.id).lines[0].quantity == 3
    assert shop.carts.get(cart.id).version == 3


def test_a_refused_add_leaves_the_repository_unchanged(shop: Shop) -> None:
    cart = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    with pytest.raises(StockUnavailableError) as info:
        shop.service.add_item(cart.id, "TEA", 6)
    assert info.value.available == 5
    with pytest.raises(UnknownSkuError):
        shop.service.add_item(cart.id, "NOPE", 1)
    stored = shop.carts.get(cart.id)
    assert stored.is_empty
    assert stored.version == 1


def test_concurrent_adds_are_all_kept_through_conflict_retries(shop: Shop) -> None:
    cart = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    threads = [
        threading.Thread(target=shop.service.add_item, args=(cart.id, "MUG", 1)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert shop.carts.get(cart.id).lines[0].quantity == 4


def test_sign_in_merges_the_guest_cart_into_the_customers(shop: Shop) -> None:
    customer = shop.service.open_cart(CartOwner.customer("u1"), "EUR")
    shop.service.add_item(customer.id, "TEA", 1)
    guest = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(guest.id, "TEA", 2)
    shop.service.add_item(guest.id, "MUG", 1)
    merged, result = shop.service.sign_in(guest.id, "u1", MergeStrategy.MERGE)
    assert merged.id == customer.id
    assert [(line.sku, line.quantity) for line in shop.carts.get(customer.id).lines] == [
        ("TEA", 3),
        ("MUG", 1),
    ]
    assert shop.carts.get(guest.id).status is CartStatus.MERGED
    assert result.strategy is MergeStrategy.MERGE


def test_sign_in_without_a_customer_cart_creates_one(shop: Shop) -> None:
    guest = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(guest.id, "MUG", 2)
    merged, _ = shop.service.sign_in(guest.id, "u9")
    assert merged.owner == CartOwner.customer("u9")
    assert merged.item_count == 2


def test_idle_carts_are_abandoned_notified_and_recoverable(shop: Shop) -> None:
    cart = shop.service.open_cart(CartOwner.customer("u1"), "EUR")
    shop.service.add_item(cart.id, "MUG", 1)
    empty = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.clock.advance(minutes=59)
    assert shop.service.mark_abandoned() == ()
    shop.clock.advance(minutes=2)
    notices = shop.service.mark_abandoned()
    assert [n.cart_id for n in notices] == [cart.id]
    assert shop.carts.get(empty.id).status is CartStatus.ACTIVE
    sent = shop.notifier.sent
    assert sent[0].template_key == "cart.recovery"
    assert sent[0].data["token"] == notices[0].token
    restored = shop.service.recover(notices[0].token)
    assert restored.status is CartStatus.ACTIVE
    with pytest.raises(RecoveryTokenError):
        shop.service.recover(notices[0].token)


def test_a_recovery_token_expires(shop: Shop) -> None:
    cart = shop.service.open_cart(CartOwner.customer("u1"), "EUR")
    shop.service.add_item(cart.id, "MUG", 1)
    shop.clock.advance(hours=2)
    (notice,) = shop.service.mark_abandoned()
    shop.clock.advance(days=2)
    with pytest.raises(RecoveryTokenError):
        shop.service.recover(notice.token)
    with pytest.raises(RecoveryTokenError):
        shop.service.recover("garbage")


def test_a_failed_recovery_notification_is_reported_not_fatal(shop: Shop) -> None:
    cart = shop.service.open_cart(CartOwner.customer("u1"), "EUR")
    shop.service.add_item(cart.id, "MUG", 1)
    shop.clock.advance(hours=2)
    shop.notifier.fail_next()
    (notice,) = shop.service.mark_abandoned()
    assert not notice.delivered
    assert shop.carts.get(cart.id).status is CartStatus.ABANDONED


def test_guest_carts_expire_before_customer_carts(shop: Shop) -> None:
    guest = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    customer = shop.service.open_cart(CartOwner.customer("u1"), "EUR")
    shop.clock.advance(days=8)
    assert shop.service.expire_carts() == (guest.id,)
    shop.clock.advance(days=23)
    assert shop.service.expire_carts() == (customer.id,)
    assert shop.carts.get(customer.id).status is CartStatus.EXPIRED


def test_reprice_reports_catalog_price_changes(shop: Shop) -> None:
    cart = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(cart.id, "TEA", 1)
    shop.catalog.put(CatalogItem.simple("TEA", "Tea", money("5.00", "EUR")))
    (change,) = shop.service.reprice(cart.id)
    assert (change.old, change.new) == (money("4.50", "EUR"), money("5.00", "EUR"))
    assert shop.service.price(cart.id).grand_total == money("5.00", "EUR")


def test_refreshing_the_cart_just_read_saves_it_without_reading_it_again(shop: Shop) -> None:
    cart = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(cart.id, "TEA", 1)
    current = shop.service.get(cart.id)
    shop.catalog.put(CatalogItem.simple("TEA", "Tea", money("5.00", "EUR")))
    reads: list[str] = []
    get = shop.carts.get

    def counting_get(cart_id: str) -> Cart:
        reads.append(cart_id)
        return get(cart_id)

    shop.carts.get = counting_get  # type: ignore[method-assign]
    saved, (change,) = shop.service.refresh(cart.id, current=current)
    assert reads == []
    assert change.new == money("5.00", "EUR")
    assert saved.version == get(cart.id).version == 3
    assert get(cart.id).lines[0].unit_price == money("5.00", "EUR")


def test_a_stale_cart_copy_is_read_again_and_no_line_is_lost(shop: Shop) -> None:
    cart = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(cart.id, "TEA", 1)
    stale = shop.service.get(cart.id)
    shop.service.add_item(cart.id, "MUG", 2)  # saved by someone else meanwhile
    closed = shop.service.check_out(cart.id, current=stale)
    stored = shop.carts.get(cart.id)
    assert [line.sku for line in stored.lines] == ["TEA", "MUG"]
    assert stored.status is CartStatus.CHECKED_OUT
    assert closed.version == stored.version == 4
