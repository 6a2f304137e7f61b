"""The versioned snapshot store holds exactly what a JSON round trip of the snapshot would give."""

from __future__ import annotations

import copy
import enum
import json
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.adapters.memory.core import VersionedSnapshotStore
from commerce_core.errors import ConcurrencyConflictError


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
    | st.just(Colour.RED)
    | st.just(Level.HIGH)
)
_keys = st.text(max_size=3) | st.integers(-3, 3) | st.just(Colour.RED)
_data = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(_keys, inner, max_size=4)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3).map(OrderedDict)
    ),
    max_leaves=20,
)


def _store() -> VersionedSnapshotStore[Any]:
    return VersionedSnapshotStore("thing", lambda value: {"value": value}, lambda d, _v: d)


@given(_data)
def test_a_stored_snapshot_reads_back_as_its_json_round_trip(value: Any) -> None:
    store = _store()
    store.save("k", value, 0)
    expected = json.loads(json.dumps({"value": value}))
    read = store.get("k")
    # Equal as JSON text (same types: StrEnum -> str, tuple -> list, keys -> str; same order).
    assert json.dumps(read) == json.dumps(expected)
    assert repr(read) == repr(expected)


@given(_data)
def test_changing_what_was_read_or_saved_never_changes_the_store(value: Any) -> None:
    store = _store()
    original = [value]
    store.save("k", original, 0)
    original.append("added after the save")
    first = store.get("k")
    first["value"].append("added to a read copy")
    assert store.get("k") == json.loads(json.dumps({"value": [value]}))


def _fresh_store() -> VersionedSnapshotStore[Any]:
    """A store told that ``to_snapshot`` builds a new tree each time (it deep-copies)."""
    return VersionedSnapshotStore(
        "thing",
        lambda value: {"value": copy.deepcopy(value)},
        lambda d, _v: d,
        fresh_snapshots=True,
    )


@given(_data)
def test_a_store_keeping_fresh_snapshots_also_reads_back_json_round_trips(value: Any) -> None:
    store = _fresh_store()
    store.save("k", value, 0)
    expected = json.loads(json.dumps({"value": value}))
    read = store.get("k")
    assert json.dumps(read) == json.dumps(expected)
    assert repr(read) == repr(expected)
    read["value"] = "changed in a read copy"
    assert store.get("k") == expected


def test_a_store_keeping_fresh_snapshots_still_refuses_what_json_cannot_hold() -> None:
    store = _fresh_store()
    with pytest.raises(TypeError):
        store.save("k", [Decimal("1.50")], 0)
    assert len(store) == 0


def test_a_snapshot_json_cannot_hold_is_refused_and_nothing_is_stored() -> None:
    store = _store()
    with pytest.raises(TypeError):
        store.save("k", {"price": Decimal("1.50")}, 0)
    assert len(store) == 0
    assert store.version_of("k") == 0


def test_a_stale_version_is_a_conflict_and_keeps_the_stored_snapshot() -> None:
    store = _store()
    assert store.save("k", 1, 0) == 1
    with pytest.raises(ConcurrencyConflictError):
        store.save("k", 2, 0)
    assert store.get("k") == {"value": 1}
    assert [snapshot["value"] for snapshot in store.all()] == [1]


_plain_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=10,
)


@given(_plain_data)
def test_a_store_trusting_plain_snapshots_keeps_the_tree_and_reads_back_copies(
    value: Any,
) -> None:
    built: list[dict[str, Any]] = []

    def to_snapshot(v: Any) -> dict[str, Any]:
        built.append({"value": copy.deepcopy(v)})
        return built[-1]

    store: VersionedSnapshotStore[Any] = VersionedSnapshotStore(
        "thing", to_snapshot, lambda d, _v: d, fresh_snapshots=True, plain_snapshots=True
    )
    store.save("k", value, 0)
    read = store.get("k")
    assert read == json.loads(json.dumps({"value": value}))
    assert read is not built[0]  # reads still copy (no readonly promise)
    read["value"] = "changed in a read copy"
    assert store.get("k") == built[0]


def test_plain_snapshots_is_a_promise_on_top_of_fresh_snapshots() -> None:
    with pytest.raises(ValueError, match="fresh_snapshots"):
        VersionedSnapshotStore("thing", lambda v: {"v": v}, lambda d, _v: d, plain_snapshots=True)
