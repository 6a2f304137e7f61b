"""Aggregates whose in-memory store reads without copying only read the snapshot they rebuild from.

``VersionedSnapshotStore(..., readonly_rebuilds=True)`` hands its stored snapshot itself to
``from_snapshot`` instead of a copy. That is only safe when ``from_snapshot`` changes no dict or
list of the snapshot and the aggregate it returns holds none of them: these tests check it for
every aggregate stored that way, in states that fill every container of its snapshot, and that
every store of a checkout world making that promise is checked here.
"""

from __future__ import annotations

import gc
import json
import types
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from commerce_core.adapters.memory.core import VersionedSnapshotStore
from commerce_core.domain.cart import Cart, CartOwner, MergeStrategy
from commerce_core.domain.catalog import CatalogItem, QuantityRule
from commerce_core.domain.checkout import CheckoutSuccess
from commerce_core.domain.payment import Payment
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.money import money
from commerce_core.testing.checkout import CheckoutWorld
from tests.snapshot_helpers import containers

Rebuild = Callable[[Mapping[str, Any], int], Any]
Snapshot = Callable[[Any], Mapping[str, Any]]
Case = tuple[str, Rebuild, Snapshot, Mapping[str, Any]]

NOW = datetime(2026, 1, 1, tzinfo=UTC)

_NOT_WALKED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)


def _reachable(root: object) -> set[int]:
    """Ids of every object ``root`` refers to, directly or not (classes and modules excluded)."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        current = todo.pop()
        if id(current) in seen or isinstance(current, _NOT_WALKED):
            continue
        seen.add(id(current))
        todo.extend(gc.get_referents(current))
    return seen


def _cart_snapshots() -> list[Mapping[str, Any]]:
    """Carts whose snapshots fill every container: metadata, categories, tags, merged ids."""
    tea = CatalogItem.simple(
        "TEA",
        "Tea",
        money("4.50", "EUR"),
        categories={"drinks", "leaves"},
        tags={"organic"},
        quantity_rule=QuantityRule(1, 20, 1),
    )
    mug = CatalogItem.simple("MUG", "Mug", money("8.50", "EUR"))
    customer = Cart.create("cart_1", CartOwner.customer("c1"), "EUR", now=NOW)
    customer.add(tea, 2, now=NOW, metadata={"gift": "yes", "note": "for Ana"})
    customer.add(mug, 1, now=NOW)
    guest = Cart.create("cart_2", CartOwner.guest("g1"), "EUR", now=NOW)
    guest.add(tea, 1, now=NOW)
    customer.merge_from(guest, MergeStrategy.MERGE, now=NOW)
    abandoned = Cart.create("cart_3", CartOwner.guest("g2"), "EUR", now=NOW)
    abandoned.add(mug, 3, now=NOW)
    abandoned.mark_abandoned(secret="token-secret", expires_at=NOW, now=NOW)  # noqa: S106
    world = CheckoutWorld(stock=10, faults=False)
    checked_out = world.cart_repository.get(world.fill_cart())
    checked_out.check_out(now=NOW)
    return [c.to_snapshot() for c in (customer, guest, abandoned, checked_out)]


def _payment_snapshots() -> list[Mapping[str, Any]]:
    """Payments captured, declined, awaiting 3-D Secure and partly refunded."""
    world = CheckoutWorld(stock=10, faults=False)
    paid = world.check_out(world.fill_cart(), "paid")
    world.check_out(world.fill_cart(), "declined", method=PaymentMethod("tok_declined"))
    world.check_out(world.fill_cart(), "3ds", method=PaymentMethod("tok_3ds_required"))
    assert isinstance(paid, CheckoutSuccess)
    captured = world.payment_repository.all()[0]
    world.payments.refund(captured.id, money("5.00", "EUR"), scope="r1")
    return [p.to_snapshot() for p in world.payment_repository.all()]


def _cases() -> list[Case]:
    """Every aggregate stored with ``readonly_rebuilds``, with snapshots of it."""
    carts: list[Case] = [
        (f"cart {data['id']}", Cart.from_snapshot, Cart.to_snapshot, data)
        for data in _cart_snapshots()
    ]
    payments: list[Case] = [
        (f"payment {data['id']}", Payment.from_snapshot, Payment.to_snapshot, data)
        for data in _payment_snapshots()
    ]
    return carts + payments


CASES = _cases()
IDS = [name for name, *_ in CASES]


def _fresh(data: Mapping[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(data))
    return copied


@pytest.mark.parametrize(("name", "rebuild", "snapshot", "data"), CASES, ids=IDS)
def test_rebuilding_never_changes_the_snapshot(
    name: str, rebuild: Rebuild, snapshot: Snapshot, data: Mapping[str, Any]
) -> None:
    given = _fresh(data)
    rebuild(given, 1)
    assert json.dumps(given) == json.dumps(data), name


@pytest.mark.parametrize(("name", "rebuild", "snapshot", "data"), CASES, ids=IDS)
def test_a_rebuilt_aggregate_holds_no_dict_or_list_of_its_snapshot(
    name: str, rebuild: Rebuild, snapshot: Snapshot, data: Mapping[str, Any]
) -> None:
    given = _fresh(data)
    aggregate = rebuild(given, 1)  # both alive: ids are not reused
    held = _reachable(aggregate)
    assert held.isdisjoint(id(c) for c in containers(given)), name


@pytest.mark.parametrize(("name", "rebuild", "snapshot", "data"), CASES, ids=IDS)
def test_changing_the_snapshot_after_a_rebuild_never_changes_the_aggregate(
    name: str, rebuild: Rebuild, snapshot: Snapshot, data: Mapping[str, Any]
) -> None:
    given = _fresh(data)
    aggregate = rebuild(given, 1)
    before = json.dumps(snapshot(aggregate))
    assert before == json.dumps(data), name  # the rebuild is faithful
    for container in list(containers(given)):
        if isinstance(container, dict):
            container["changed after the rebuild"] = True
        else:
            container.append("changed after the rebuild")
    assert json.dumps(snapshot(aggregate)) == before, name


def test_the_walk_finds_a_held_container() -> None:
    """The check above would see an aggregate keeping a list of its snapshot."""
    kept = ["a"]
    holder = types.SimpleNamespace(items=types.MappingProxyType({"k": kept}))
    assert id(kept) in _reachable(holder)


def _stores(world: CheckoutWorld) -> Iterator[VersionedSnapshotStore[Any]]:
    for part in vars(world).values():
        store = getattr(part, "_store", None)
        if isinstance(store, VersionedSnapshotStore):
            yield store


def test_every_store_reading_without_copies_is_checked_here() -> None:
    checked = {name.split()[0] for name in IDS}
    world = CheckoutWorld(stock=10, faults=False)
    promised = {store.kind for store in _stores(world) if store._readonly}
    assert {"cart", "payment"} <= promised
    assert promised <= checked, f"add {sorted(promised - checked)} to _cases()"
