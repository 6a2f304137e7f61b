"""The cart and inventory fast paths build exactly what the validating paths build."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.adapters.memory.core import InMemoryClock
from commerce_core.domain.cart import (
    Cart,
    CartLimits,
    CartOwner,
    _stored_limits,
    _stored_owner,
)
from commerce_core.domain.catalog import CatalogItem, QuantityRule
from commerce_core.domain.inventory.values import (
    Allocation,
    ReservationLine,
    StockRequest,
    _checked_allocation,
    _checked_line,
    merge_requests,
)
from commerce_core.domain.shoppers import OwnerKind
from commerce_core.money import money

NOW = datetime(2026, 1, 1, tzinfo=UTC)

_values = st.integers(-2, 4) | st.booleans() | st.none() | st.just(1.0) | st.just("2")


def _outcome(build: object, *args: object) -> object:
    try:
        return build(*args)  # type: ignore[operator]
    except Exception as error:  # noqa: BLE001 - the error type is what is compared
        return type(error)


@given(_values)
def test_a_checked_allocation_is_the_validated_one(quantity: object) -> None:
    expected = _outcome(Allocation, "main", quantity)
    assert _outcome(_checked_allocation, "main", quantity) == expected


@given(_values, st.lists(st.integers(1, 3), max_size=2), _values)
def test_a_checked_line_is_the_validated_one(
    quantity: object, held: list[int], backordered: object
) -> None:
    allocations = tuple(Allocation(f"loc{i}", units) for i, units in enumerate(held))
    expected = _outcome(ReservationLine, "TEA", quantity, allocations, backordered)
    built = _outcome(_checked_line, "TEA", quantity, allocations, backordered)
    assert built == expected
    if isinstance(built, ReservationLine):
        assert type(built.quantity) is type(quantity)


_requests = st.lists(
    st.tuples(st.sampled_from(["", "TEA", "MUG"]), _values)
    | st.builds(StockRequest, st.just("POT"), st.integers(1, 3)),
    max_size=4,
)


@given(_requests)
def test_merged_requests_are_those_of_stock_requests(lines: list[object]) -> None:
    def slow() -> dict[str, int]:
        merged: dict[str, int] = {}
        for line in lines:
            request = line if isinstance(line, StockRequest) else StockRequest(*line)  # type: ignore[misc]
            merged[request.sku] = merged.get(request.sku, 0) + request.quantity
        return merged

    expected = _outcome(slow)
    assert _outcome(merge_requests, lines) == expected


@given(st.sampled_from(["guest", "customer", "staff", 3]), st.sampled_from(["c1", " ", "", None]))
def test_a_stored_owner_is_the_validated_one(kind: object, owner_id: object) -> None:
    expected = _outcome(lambda: CartOwner(OwnerKind(kind), owner_id))  # type: ignore[arg-type]
    assert _outcome(_stored_owner, kind, owner_id) == expected


@given(_values, _values)
def test_stored_limits_are_the_validated_ones(max_lines: object, max_quantity: object) -> None:
    assert _outcome(_stored_limits, max_lines, max_quantity) == _outcome(
        CartLimits, max_lines, max_quantity
    )
    assert _stored_limits(100, 999) == CartLimits()


_digits = st.sampled_from(["10", "10.0", "10.00", "8.50", "8.5"])


@given(
    st.tuples(
        _digits,
        _digits,
        st.sampled_from(["Sencha", "Sencha tea"]),
        st.sampled_from([Decimal("0.2"), Decimal("0.20"), Decimal(1)]),
        st.sampled_from([Decimal("0.2"), Decimal("0.20"), Decimal(1)]),
        st.booleans(),
        st.sampled_from([QuantityRule(), QuantityRule(1, 9, 1), QuantityRule(2, None, 2)]),
    )
)
def test_reprice_keeps_a_line_only_when_a_fresh_snapshot_is_the_same(
    case: tuple[str, str, str, Decimal, Decimal, bool, QuantityRule],
) -> None:
    old_price, new_price, new_name, old_weight, new_weight, new_tax_included, new_rule = case
    old = CatalogItem.simple("TEA", "Sencha", money(old_price, "EUR"), weight=old_weight)
    cart = Cart.create("c1", CartOwner.guest("g"), "EUR", now=NOW)
    cart.add(old, 2, now=NOW)
    cart = Cart.from_snapshot(cart.to_snapshot(), 1)  # lines as a read rebuilds them
    before = cart.lines[0]
    new = CatalogItem.simple(
        "TEA",
        new_name,
        money(new_price, "EUR"),
        weight=new_weight,
        prices_include_tax=new_tax_included,
        quantity_rule=new_rule,
    )
    fresh = cart._snapshot_line(before.line_id, new, before.quantity, before.metadata)
    changes = cart.reprice({"TEA": new}, now=NOW)
    after = cart.lines[0]
    assert after == fresh
    assert after.to_data() == fresh.to_data()
    assert (after is before) == (before.to_data() == fresh.to_data())
    assert len(changes) == (0 if fresh.unit_price == before.unit_price else 1)


def test_the_clock_is_read_without_its_lock_and_never_goes_back() -> None:
    clock = InMemoryClock()
    seen: list[datetime] = []
    stop = threading.Event()

    def read() -> None:
        last = clock.now()
        while not stop.is_set():
            now = clock.now()
            if now < last:
                seen.append(now)
            last = now

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for _ in range(2000):
        clock.advance(seconds=1)
        clock.set(clock.now() + timedelta(microseconds=1))
    stop.set()
    for reader in readers:
        reader.join()
    assert seen == []
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
        seconds=2000, microseconds=2000
    )
    with pytest.raises(ValueError, match="backwards"):
        clock.set(datetime(2025, 1, 1, tzinfo=UTC))
