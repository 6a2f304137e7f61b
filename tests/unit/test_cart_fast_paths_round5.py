"""The cart's round-5 internal paths build exactly what the paths they replace built.

- ``Cart.to_snapshot`` / ``from_snapshot`` write and read the status and owner kind through
  lookups, and share one empty frozenset for empty stored categories and tags: the same
  snapshot and the same cart, and the same errors for values that are not statuses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given

from commerce_core.domain.cart import (
    Cart,
    CartOwner,
    CartStatus,
    _stored_set,
    _stored_status,
)
from commerce_core.testing.strategies.cart import carts

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@given(cart=carts())
def test_snapshots_round_trip_with_the_lookups(cart: Cart) -> None:
    data = cart.to_snapshot()
    assert type(data["status"]) is str
    assert type(data["owner"]["kind"]) is str
    assert data["status"] == cart.status.value
    assert data["owner"]["kind"] == cart.owner.kind.value
    rebuilt = Cart.from_snapshot(data, cart.version)
    assert rebuilt.status is cart.status
    assert rebuilt.lines == cart.lines
    assert rebuilt.to_snapshot() == data


def test_every_status_is_read_as_itself_and_anything_else_as_the_enum_refuses_it() -> None:
    for status in CartStatus:
        assert _stored_status(status.value) is status
        assert _stored_status(status) is status
    bads: tuple[Any, ...] = ("ACTIVE", "", "gone", None, 1)
    for bad in bads:
        with pytest.raises(ValueError, match="is not a valid CartStatus") as expected:
            CartStatus(bad)
        with pytest.raises(ValueError, match="is not a valid CartStatus") as got:
            _stored_status(bad)
        assert str(got.value) == str(expected.value)


def test_stored_labels_are_the_frozenset_of_the_stored_list() -> None:
    assert _stored_set([]) == frozenset()
    assert _stored_set([]) is _stored_set([])
    assert _stored_set(["b", "a"]) == frozenset({"a", "b"})
    assert _stored_set(("a",)) == frozenset({"a"})
    assert _stored_set(()) == frozenset()


def test_a_stored_cart_reads_back_every_status() -> None:
    cart = Cart.create("c1", CartOwner.guest("g1"), "EUR", now=NOW)
    for status in CartStatus:
        data = cart.to_snapshot()
        data["status"] = status.value
        assert Cart.from_snapshot(data, 1).status is status
    data = cart.to_snapshot()
    data["status"] = "lost"
    with pytest.raises(ValueError, match="'lost' is not a valid CartStatus"):
        Cart.from_snapshot(data, 1)
