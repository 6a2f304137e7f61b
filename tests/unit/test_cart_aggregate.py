"""The cart aggregate: lines, limits, quantity rules, stock checks, reprice, merge, lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce_core import (
    Cart,
    CartLimitError,
    CartLimits,
    CartMergeError,
    CartNotActiveError,
    CartOwner,
    CartStatus,
    CatalogItem,
    CurrencyMismatchError,
    InvalidQuantityError,
    InvalidTransitionError,
    InventoryService,
    MergeStrategy,
    PriceNotFoundError,
    QuantityRule,
    QuantityRuleError,
    RecoveryTokenError,
    StockUnavailableError,
    UnknownSkuError,
    money,
)
from commerce_core.adapters.memory import InMemoryClock, InMemoryInventoryStore, UnlimitedStock
from commerce_core.errors import InvalidAmountError

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SECRET = "s3cret"  # noqa: S105 - a test secret
TEA = CatalogItem.simple("TEA", "Tea", money("4.50", "EUR"))
MUG = CatalogItem.simple("MUG", "Mug", money("12.00", "EUR"), prices_include_tax=True)
PAIRS = CatalogItem.simple(
    "SOCKS", "Socks", money("3.00", "EUR"), quantity_rule=QuantityRule(2, 10, 2)
)


def cart(cart_id: str = "c1", owner: CartOwner | None = None, **kwargs: object) -> Cart:
    return Cart.create(cart_id, owner or CartOwner.guest("g"), "EUR", now=NOW, **kwargs)  # type: ignore[arg-type]


def test_adding_the_same_sku_with_the_same_metadata_increases_its_quantity() -> None:
    c = cart()
    c.add(TEA, 1, now=NOW)
    c.add(TEA, 2, now=NOW)
    c.add(TEA, 1, now=NOW, metadata={"gift": "Happy birthday"})
    assert [(line.sku, line.quantity, dict(line.metadata)) for line in c.lines] == [
        ("TEA", 3, {}),
        ("TEA", 1, {"gift": "Happy birthday"}),
    ]


def test_a_line_snapshots_the_price_when_added() -> None:
    c = cart()
    line = c.add(MUG, 1, now=NOW)
    assert line.unit_price == money("12.00", "EUR")
    assert line.prices_include_tax


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_quantities_must_be_positive_ints(bad: object) -> None:
    c = cart()
    with pytest.raises(InvalidQuantityError):
        c.add(TEA, bad, now=NOW)  # type: ignore[arg-type]
    assert c.is_empty


def test_quantity_rules_are_enforced_and_leave_the_cart_unchanged() -> None:
    c = cart()
    c.add(PAIRS, 2, now=NOW)
    with pytest.raises(QuantityRuleError) as info:
        c.add(PAIRS, 1, now=NOW)
    assert (info.value.minimum, info.value.step) == (2, 2)
    assert c.lines[0].quantity == 2


def test_a_cart_refuses_more_lines_than_its_limit() -> None:
    c = cart(limits=CartLimits(max_lines=1))
    c.add(TEA, 1, now=NOW)
    with pytest.raises(CartLimitError) as info:
        c.add(MUG, 1, now=NOW)
    assert info.value.limit == "max_lines"


def test_a_line_refuses_more_units_than_the_per_line_limit() -> None:
    c = cart(limits=CartLimits(max_quantity_per_line=5))
    c.add(TEA, 5, now=NOW)
    with pytest.raises(CartLimitError):
        c.add(TEA, 1, now=NOW)
    assert c.lines[0].quantity == 5


def test_stock_is_checked_for_the_resulting_quantity_and_reports_availability() -> None:
    stock = InventoryService(InMemoryInventoryStore(), InMemoryClock())
    stock.define_location("berlin")
    stock.define_sku("TEA")
    stock.receive("TEA", "berlin", 3)
    c = cart()
    c.add(TEA, 2, now=NOW, stock=stock.availability)
    with pytest.raises(StockUnavailableError) as info:
        c.add(TEA, 2, now=NOW, stock=stock.availability)
    assert (info.value.requested, info.value.available) == (4, 3)
    with pytest.raises(StockUnavailableError):
        c.change_quantity(c.lines[0].line_id, 4, now=NOW, stock=stock.availability)
    assert c.lines[0].quantity == 2


def test_an_item_without_a_price_in_the_cart_currency_is_refused() -> None:
    usd_only = CatalogItem.simple("US", "US only", money("1.00", "USD"))
    with pytest.raises(PriceNotFoundError):
        cart().add(usd_only, 1, now=NOW)


def test_float_prices_are_refused_when_building_items() -> None:
    with pytest.raises(InvalidAmountError):
        money(1.5, "EUR")  # type: ignore[arg-type]


def test_changing_quantity_to_zero_removes_the_line() -> None:
    c = cart()
    line = c.add(TEA, 2, now=NOW)
    assert c.change_quantity(line.line_id, 0, now=NOW) is None
    assert c.is_empty


def test_reprice_refreshes_snapshots_and_lists_price_changes() -> None:
    c = cart()
    line = c.add(TEA, 2, now=NOW)
    c.add(MUG, 1, now=NOW)
    dearer = CatalogItem.simple("TEA", "Tea", money("4.90", "EUR"))
    changes = c.reprice({"TEA": dearer, "MUG": MUG}, now=NOW)
    assert [(ch.line_id, ch.old, ch.new) for ch in changes] == [
        (line.line_id, money("4.50", "EUR"), money("4.90", "EUR"))
    ]
    assert c.reprice({"TEA": dearer, "MUG": MUG}, now=NOW) == ()
    with pytest.raises(UnknownSkuError):
        c.reprice({"TEA": dearer}, now=NOW)


def test_merge_sums_quantities_within_the_limits() -> None:
    customer = cart("c", CartOwner.customer("u1"), limits=CartLimits(max_quantity_per_line=5))
    customer.add(TEA, 4, now=NOW)
    guest = cart("g")
    guest.add(TEA, 3, now=NOW)
    guest.add(MUG, 1, now=NOW)
    result = customer.merge_from(guest, MergeStrategy.MERGE, now=NOW)
    assert [(line.sku, line.quantity) for line in customer.lines] == [("TEA", 5), ("MUG", 1)]
    assert result.clamped == (("TEA", 7, 5),)
    assert guest.status is CartStatus.MERGED


@pytest.mark.parametrize(
    ("strategy", "customer_has_lines", "expected"),
    [
        (MergeStrategy.KEEP_CUSTOMER, True, [("TEA", 1)]),
        (MergeStrategy.KEEP_GUEST, True, [("MUG", 2)]),
        (MergeStrategy.GUEST_IF_CUSTOMER_EMPTY, True, [("TEA", 1)]),
        (MergeStrategy.GUEST_IF_CUSTOMER_EMPTY, False, [("MUG", 2)]),
    ],
)
def test_merge_strategies(
    strategy: MergeStrategy,
    customer_has_lines: bool,  # noqa: FBT001 - a parametrized flag
    expected: list[tuple[str, int]],
) -> None:
    customer = cart("c", CartOwner.customer("u1"))
    if customer_has_lines:
        customer.add(TEA, 1, now=NOW)
    guest = cart("g")
    guest.add(MUG, 2, now=NOW)
    customer.merge_from(guest, strategy, now=NOW)
    assert [(line.sku, line.quantity) for line in customer.lines] == expected


def test_merging_carts_of_different_currencies_is_refused() -> None:
    usd = Cart.create("u", CartOwner.guest("g"), "USD", now=NOW)
    c = cart()
    with pytest.raises(CurrencyMismatchError):
        c.merge_from(usd, MergeStrategy.MERGE, now=NOW)
    assert usd.status is CartStatus.ACTIVE


def test_a_checked_out_cart_cannot_change() -> None:
    c = cart()
    c.add(TEA, 1, now=NOW)
    c.check_out(now=NOW)
    with pytest.raises(CartNotActiveError):
        c.add(TEA, 1, now=NOW)
    with pytest.raises(InvalidTransitionError):
        c.expire(now=NOW)


def test_a_recovery_token_restores_an_abandoned_cart_once() -> None:
    c = cart()
    token = c.mark_abandoned(secret=SECRET, expires_at=datetime(2026, 2, 1, tzinfo=UTC), now=NOW)
    with pytest.raises(RecoveryTokenError):
        c.recover("c1.wrong", now=NOW)
    c.recover(token, now=NOW)
    assert c.status is CartStatus.ACTIVE
    assert SECRET not in str(c.to_snapshot())


def test_an_expired_recovery_token_is_refused() -> None:
    c = cart()
    token = c.mark_abandoned(secret=SECRET, expires_at=NOW, now=NOW)
    with pytest.raises(RecoveryTokenError) as info:
        c.recover(token, now=NOW)
    assert info.value.reason == "token expired"


def test_snapshot_round_trip_keeps_everything() -> None:
    c = cart()
    c.add(PAIRS, 4, now=NOW, metadata={"engraving": "A"})
    c.add(MUG, 1, now=NOW)
    again = Cart.from_snapshot(c.to_snapshot(), 3)
    assert again.to_snapshot() == c.to_snapshot()
    assert again.version == 3
    assert again.pricing_lines() == c.pricing_lines()


def test_every_change_records_a_past_tense_event() -> None:
    c = cart()
    line = c.add(TEA, 1, now=NOW)
    c.change_quantity(line.line_id, 2, now=NOW)
    c.remove(line.line_id, now=NOW)
    c.clear(now=NOW)
    assert [e.event_type for e in c.collect_events()] == [
        "CartCreated",
        "CartLineAdded",
        "CartLineQuantityChanged",
        "CartLineRemoved",
        "CartCleared",
    ]


def test_a_customers_cart_cannot_be_merged_into_another_cart() -> None:
    target = cart("c", CartOwner.customer("u1"))
    other = cart("o", CartOwner.customer("u2"))
    other.add(TEA, 1, now=NOW)
    with pytest.raises(CartMergeError):
        target.merge_from(other, MergeStrategy.MERGE, now=NOW)
    assert (target.is_empty, other.status) == (True, CartStatus.ACTIVE)


def test_a_cart_cannot_be_merged_into_itself_with_a_typed_error() -> None:
    c = cart("c", CartOwner.customer("u1"))
    with pytest.raises(CartMergeError):
        c.merge_from(c, MergeStrategy.MERGE, now=NOW)


def test_unlimited_stock_sells_any_quantity_of_digital_goods() -> None:
    c = cart()
    stock = UnlimitedStock()
    c.add(TEA, 500, now=NOW, stock=stock.availability)
    assert c.lines[0].quantity == 500
    with pytest.raises(InvalidQuantityError):
        stock.availability("TEA", 0)
