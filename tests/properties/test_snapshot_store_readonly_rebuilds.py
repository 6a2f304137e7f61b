"""A store whose ``from_snapshot`` only reads still holds and reads back JSON round trips."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.adapters.memory.core import VersionedSnapshotStore

_leaves = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
)
_data = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


def _store(*, fresh: bool) -> VersionedSnapshotStore[Any]:
    """A store whose rebuild keeps its promise (it builds its own containers: a deep copy)."""
    return VersionedSnapshotStore(
        "thing",
        lambda value: {"value": copy.deepcopy(value)},
        lambda data, _version: copy.deepcopy(dict(data)),
        fresh_snapshots=fresh,
        readonly_rebuilds=True,
    )


@pytest.mark.parametrize("kind", ["copied", "fresh"])
@given(value=_data)
def test_a_store_reading_without_copies_reads_back_json_round_trips(kind: str, value: Any) -> None:
    store = _store(fresh=kind == "fresh")
    store.save("k", value, 0)
    expected = json.loads(json.dumps({"value": value}))
    read = store.get("k")
    assert repr(read) == repr(expected)
    assert [repr(r) for r in store.all()] == [repr(expected)]
    read["value"] = "changed in a rebuilt aggregate"
    assert store.get("k") == expected


@pytest.mark.parametrize("kind", ["copied", "fresh"])
def test_a_read_hands_over_the_stored_snapshot_itself(kind: str) -> None:
    given_to_rebuild: list[Any] = []

    def rebuild(data: Any, _version: int) -> Any:
        given_to_rebuild.append(data)
        return None

    store: VersionedSnapshotStore[Any] = VersionedSnapshotStore(
        "thing",
        lambda value: {"value": [value]},
        rebuild,
        fresh_snapshots=kind == "fresh",
        readonly_rebuilds=True,
    )
    store.save("k", 1, 0)
    store.get("k")
    store.all()
    first, second = given_to_rebuild
    assert first is second  # no copy per read
    assert first == {"value": [1]}
