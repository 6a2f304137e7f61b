"""Cart service rules that a review found broken: each test failed before its fix."""

from __future__ import annotations

import random
import threading

import pytest

from commerce_core import (
    ActiveCartConflictError,
    Cart,
    CartMergeError,
    CartOwner,
    CartStatus,
    CatalogItem,
    InvalidCartSettingError,
    InventoryService,
    MergeStrategy,
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
        self.carts = carts if carts is not None else InMemoryCartRepository()
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
            random=random.Random(4),
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


class StorageDownError(Exception):
    """The repository's storage failed for good (not a concurrency conflict)."""


class FailingSaveRepository(InMemoryCartRepository):
    """A cart repository whose save number ``fail_at`` (1-based) fails for good."""

    def __init__(self) -> None:
        super().__init__()
        self.saves = 0
        self.fail_at: int | None = None

    def save(self, cart: Cart) -> None:
        self.saves += 1
        if self.saves == self.fail_at:
            raise StorageDownError
        super().save(cart)


def test_a_sign_in_whose_second_save_fails_loses_no_guest_line_and_reruns_safely() -> None:
    carts = FailingSaveRepository()
    shop = Shop(carts)
    customer = shop.service.open_cart(CartOwner.customer("A"), "EUR")
    shop.service.add_item(customer.id, "TEA", 1)
    guest = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(guest.id, "TEA", 2)
    shop.service.add_item(guest.id, "MUG", 1)
    carts.fail_at = carts.saves + 2  # the first save of sign_in works, the second fails
    with pytest.raises(StorageDownError):
        shop.service.sign_in(guest.id, "A")
    # the guest's lines are reachable: in the customer's cart, and the guest cart is still open
    assert shop.lines(customer.id) == [("TEA", 1 + 2), ("MUG", 1)]
    assert carts.get(guest.id).status is CartStatus.ACTIVE
    # running sign-in again closes the guest cart without merging a second time
    merged, result = shop.service.sign_in(guest.id, "A")
    assert result.replayed
    assert merged.id == customer.id
    assert shop.lines(customer.id) == [("TEA", 3), ("MUG", 1)]
    assert carts.get(guest.id).status is CartStatus.MERGED


def test_a_sign_in_whose_first_save_fails_changes_nothing() -> None:
    carts = FailingSaveRepository()
    shop = Shop(carts)
    customer = shop.service.open_cart(CartOwner.customer("A"), "EUR")
    guest = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(guest.id, "MUG", 1)
    carts.fail_at = carts.saves + 1
    with pytest.raises(StorageDownError):
        shop.service.sign_in(guest.id, "A")
    assert carts.get(customer.id).is_empty
    assert carts.get(guest.id).status is CartStatus.ACTIVE
    merged, result = shop.service.sign_in(guest.id, "A")
    assert (merged.item_count, result.replayed) == (1, False)


def test_signing_in_again_after_a_completed_merge_is_a_no_op(shop: Shop) -> None:
    guest = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(guest.id, "MUG", 2)
    first, _ = shop.service.sign_in(guest.id, "A")
    again, result = shop.service.sign_in(guest.id, "A")
    assert (again.id, result.replayed) == (first.id, True)
    assert shop.lines(first.id) == [("MUG", 2)]


def test_concurrent_sign_ins_of_one_guest_merge_its_lines_once() -> None:
    shop = Shop()
    customer = shop.service.open_cart(CartOwner.customer("A"), "EUR")
    guest = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(guest.id, "MUG", 2)
    errors: list[Exception] = []

    def sign_in() -> None:
        try:
            shop.service.sign_in(guest.id, "A")
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=sign_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert shop.lines(customer.id) == [("MUG", 2)]
    assert shop.carts.get(guest.id).status is CartStatus.MERGED


def test_an_owner_has_one_active_cart_so_another_currency_is_refused(shop: Shop) -> None:
    eur = shop.service.open_cart(CartOwner.guest("g1"), "EUR")
    shop.service.add_item(eur.id, "TEA", 1)
    with pytest.raises(ActiveCartConflictError) as caught:
        shop.service.open_cart(CartOwner.guest("g1"), "USD")
    assert (caught.value.cart_id, caught.value.currency, caught.value.requested_currency) == (
        eur.id,
        "EUR",
        "USD",
    )
    assert len(shop.carts) == 1
    found = shop.carts.find_by_owner(CartOwner.guest("g1"))
    assert found is not None
    assert found.id == eur.id


def test_opening_in_the_same_currency_in_any_case_returns_the_active_cart(shop: Shop) -> None:
    eur = shop.service.open_cart(CartOwner.guest("g1"), "EUR")
    assert shop.service.open_cart(CartOwner.guest("g1"), "eur").id == eur.id


def test_an_owner_on_another_channel_is_refused_too(shop: Shop) -> None:
    shop.service.open_cart(CartOwner.guest("g1"), "EUR")
    with pytest.raises(ActiveCartConflictError):
        shop.service.open_cart(CartOwner.guest("g1"), "EUR", channel="mobile")


def test_replacing_the_active_cart_explicitly_closes_it_and_opens_a_new_one(shop: Shop) -> None:
    eur = shop.service.open_cart(CartOwner.guest("g1"), "EUR")
    shop.service.add_item(eur.id, "TEA", 1)
    usd = shop.service.open_cart(CartOwner.guest("g1"), "USD", replace=True)
    assert (usd.currency, usd.is_empty) == ("USD", True)
    assert shop.carts.get(eur.id).status is CartStatus.EXPIRED
    found = shop.carts.find_by_owner(CartOwner.guest("g1"))
    assert found is not None
    assert found.id == usd.id


def test_recovery_secrets_come_from_the_random_source_not_the_id_factory() -> None:
    shop = Shop()
    cart = shop.service.open_cart(CartOwner.customer("A"), "EUR")
    shop.service.add_item(cart.id, "MUG", 1)
    shop.clock.advance(hours=2)
    (notice,) = shop.service.mark_abandoned()
    # the Shop's RandomSource is random.Random(4): its first 128-bit draw is the secret
    expected = f"{random.Random(4).randrange(2**128):032x}"
    assert notice.token == f"{cart.id}.{expected}"
    assert "recovery" not in notice.token  # no sequential id ("recovery_000001")
    assert shop.service.recover(notice.token).status is CartStatus.ACTIVE


def test_sign_in_accepts_a_strategy_by_its_value_and_refuses_unknown_ones(shop: Shop) -> None:
    guest = shop.service.open_cart(CartOwner.guest("g"), "EUR")
    shop.service.add_item(guest.id, "MUG", 1)
    with pytest.raises(InvalidCartSettingError):
        shop.service.sign_in(guest.id, "A", "merge_everything")
    assert shop.carts.get(guest.id).status is CartStatus.ACTIVE
    _, result = shop.service.sign_in(guest.id, "A", "keep_guest")
    assert result.strategy is MergeStrategy.KEEP_GUEST
