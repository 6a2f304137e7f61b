"""Aggregates whose in-memory store keeps their snapshot uncopied build a new tree every time.

``VersionedSnapshotStore(..., fresh_snapshots=True)`` keeps what ``to_snapshot`` returns (once it
is checked to be plain JSON data) instead of copying it. That is only safe when no dict or list of
a snapshot is held by the aggregate or by another snapshot: these tests check it for every
aggregate stored that way (carts, payments, orders, checkout attempts), in the states a checkout
leaves them in. ``plain_snapshots=True`` goes further (the store does not even look at the tree):
for those aggregates every snapshot must already be exact plain JSON data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from commerce_core.adapters.memory.core import VersionedSnapshotStore
from commerce_core.domain.checkout import CheckoutSuccess
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.testing.checkout import CheckoutWorld
from tests.snapshot_helpers import containers

Snapshot = Callable[[], Mapping[str, Any]]


def _snapshots() -> list[tuple[str, Snapshot]]:
    """``to_snapshot`` of each kind of aggregate, after a paid checkout and a declined one."""
    world = CheckoutWorld(stock=10, faults=False)
    paid_cart = world.fill_cart()
    paid = world.check_out(paid_cart, "paid")
    assert isinstance(paid, CheckoutSuccess)
    declined_cart = world.fill_cart()
    declined = world.check_out(declined_cart, "declined", method=PaymentMethod("tok_declined"))
    assert not declined.ok
    order = world.order_repository.get(paid.order.order_id)
    payments = world.payment_repository.all()
    assert len(payments) == 2  # the captured one and the declined one
    carts = [world.cart_repository.get(paid_cart), world.cart_repository.get(declined_cart)]
    found: list[tuple[str, Snapshot]] = [("order", order.to_snapshot)]
    found += [(f"payment {p.id}", p.to_snapshot) for p in payments]
    found += [(f"cart {c.id}", c.to_snapshot) for c in carts]
    found += [(f"checkout {a.checkout_id}", a.to_snapshot) for a in world.checkout_log.all()]
    return found


SNAPSHOTS = _snapshots()


@pytest.mark.parametrize(("name", "snapshot"), SNAPSHOTS, ids=[name for name, _ in SNAPSHOTS])
def test_two_snapshots_of_an_aggregate_share_no_dict_or_list(name: str, snapshot: Snapshot) -> None:
    first, second = snapshot(), snapshot()  # both alive: ids are not reused
    assert {id(c) for c in containers(first)}.isdisjoint(id(c) for c in containers(second)), name


@pytest.mark.parametrize(("name", "snapshot"), SNAPSHOTS, ids=[name for name, _ in SNAPSHOTS])
def test_changing_a_snapshot_never_changes_the_aggregate(name: str, snapshot: Snapshot) -> None:
    taken = snapshot()
    before = json.dumps(taken)
    for container in list(containers(taken)):
        if isinstance(container, dict):
            container["changed after the snapshot"] = True
        else:
            container.append("changed after the snapshot")
    assert json.dumps(snapshot()) == before, name


_LEAVES = (str, int, float, bool, type(None))


def _exactly_plain(value: Any) -> bool:
    """JSON data with exact types only: what a JSON round trip gives back, unchanged."""
    if type(value) is dict:
        return all(type(k) is str and _exactly_plain(v) for k, v in value.items())
    if type(value) is list:
        return all(_exactly_plain(v) for v in value)
    return type(value) in _LEAVES


def _stores(world: CheckoutWorld) -> Iterator[VersionedSnapshotStore[Any]]:
    for part in vars(world).values():
        store = getattr(part, "_store", None)
        if isinstance(store, VersionedSnapshotStore):
            yield store


def _promised_plain() -> set[str]:
    trusted = {s.kind for s in _stores(CheckoutWorld(stock=10, faults=False)) if s._trusted}
    # The order repository keeps each snapshot as ``marshal`` bytes, which give back a leaf JSON
    # would convert (a tuple) as it was; the checkout log keeps rows read back as these very
    # snapshots (``_snapshot_of_row``): both stores' snapshots must be exact JSON data as well.
    return trusted | {"order", "checkout"}


PLAIN = _promised_plain()


TRUSTED = [(name, snapshot) for name, snapshot in SNAPSHOTS if name.split()[0] in PLAIN]


@pytest.mark.parametrize(("name", "snapshot"), TRUSTED, ids=[name for name, _ in TRUSTED])
def test_a_store_trusting_plain_snapshots_only_ever_gets_exact_json_data(
    name: str, snapshot: Snapshot
) -> None:
    taken = snapshot()
    assert _exactly_plain(taken), name
    assert json.loads(json.dumps(taken)) == taken, name


def test_every_store_trusting_plain_snapshots_is_checked_here() -> None:
    checked = {name.split()[0] for name, _ in SNAPSHOTS}
    assert {"cart", "payment", "checkout", "order"} <= PLAIN
    assert checked >= PLAIN, f"add snapshots of {sorted(PLAIN - checked)} to _snapshots()"


def test_the_plain_check_sees_a_str_enum_leaf() -> None:
    """A StrEnum equals its text but is not what JSON gives back: the check above refuses it."""
    from enum import StrEnum

    class Colour(StrEnum):
        RED = "red"

    assert _exactly_plain({"colour": "red", "lines": [1, 2.5, None, True]})
    assert not _exactly_plain({"colour": Colour.RED})
    assert not _exactly_plain({"lines": (1, 2)})
