"""Round-5 fast paths of the checkout give what the paths they replace give.

* A snapshot writes ``updated_at`` from the start time's text when it is that very instant, and
  keeps the last text it wrote for the next save of the same instant: the text is
  ``updated_at.isoformat()`` whatever the instants (zones included), and each snapshot is a new
  tree (a payment method with or without a card summary).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.adapters.memory.core import VersionedSnapshotStore
from commerce_core.domain.cards import CardSummary
from commerce_core.domain.checkout import STEP_ORDER, CheckoutAttempt
from commerce_core.domain.orders import Customer
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.errors import NotFoundError
from commerce_core.services.checkout import _codes_of
from commerce_core.testing.contracts.checkout import make_checkout_request
from tests.snapshot_helpers import containers

_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


_INSTANTS = st.sampled_from(["same", "equal", "later", "zoned"])


def _instant(kind: str, start: datetime, index: int) -> datetime:
    if kind == "same":
        return start
    if kind == "equal":  # an equal instant that is another object
        return start + timedelta(0)
    if kind == "later":
        return start + timedelta(seconds=index + 1)
    return (start + timedelta(minutes=index)).astimezone(timezone(timedelta(hours=2)))


@given(kinds=st.lists(_INSTANTS, min_size=1, max_size=len(STEP_ORDER) - 1), card=st.booleans())
def test_snapshots_write_updated_at_as_its_iso_text_in_new_trees(
    kinds: list[str], *, card: bool
) -> None:
    request = make_checkout_request()
    if card:
        method = PaymentMethod("tok_visa", card=CardSummary(None, "4242"))
        request = attrs.evolve(request, payment_method=method)
    attempt = CheckoutAttempt.start(request, now=_AT)
    earlier = attempt.to_snapshot()
    seen = containers(earlier)
    assert earlier["updated_at"] == _AT.isoformat()
    for index, kind in enumerate(kinds):
        now = _instant(kind, _AT, index)
        attempt.complete_step(STEP_ORDER[index], now=now)
        snapshot = attempt.to_snapshot()
        assert snapshot["updated_at"] == now.isoformat()
        assert snapshot["started_at"] == _AT.isoformat()
        again = attempt.to_snapshot()
        assert again == snapshot
        fresh = containers(snapshot) + containers(again)
        assert len({id(c) for c in fresh + seen}) == len(fresh) + len(seen)
        seen += fresh
        rebuilt = CheckoutAttempt.from_snapshot(snapshot, index + 1)
        assert rebuilt.to_snapshot() == snapshot


@attrs.frozen
class _TaggedCustomer(Customer):
    """A host's customer holding a list: its request data is not the flat shape."""

    tags: list[str] = attrs.field(factory=list)


def test_a_request_of_other_classes_is_copied_whole_in_every_snapshot() -> None:
    request = attrs.evolve(
        make_checkout_request(), customer=_TaggedCustomer("a@example.test", tags=["vip"])
    )
    attempt = CheckoutAttempt.start(request, now=_AT)
    first, second = attempt.to_snapshot(), attempt.to_snapshot()
    assert first == second
    assert first["request"]["customer"]["tags"] == ["vip"]
    shared = {id(c) for c in containers(first)} & {id(c) for c in containers(second)}
    assert not shared


def test_a_rebuilt_attempt_writes_its_own_updated_at() -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=_AT)
    later = _AT + timedelta(minutes=3)
    attempt.touch(now=later)
    snapshot = attempt.to_snapshot()
    rebuilt = CheckoutAttempt.from_snapshot(snapshot, 1)
    assert rebuilt.to_snapshot()["updated_at"] == later.isoformat()
    evenlater = later + timedelta(seconds=1)
    rebuilt.touch(now=evenlater)
    assert rebuilt.to_snapshot()["updated_at"] == evenlater.isoformat()


_OPS = st.lists(
    st.tuples(st.sampled_from(["save", "delete"]), st.sampled_from(["a", "b", "c", "d"])),
    max_size=30,
)


@given(_OPS)
def test_the_store_keeps_versions_and_snapshots_in_step(ops: list[tuple[str, str]]) -> None:
    """Versions and snapshots are kept apart: every read pairs each key's own of both."""
    store: VersionedSnapshotStore[dict[str, Any]] = VersionedSnapshotStore(
        "thing", lambda thing: {"name": thing["name"]}, lambda data, version: {**data, "v": version}
    )
    model: dict[str, int] = {}
    for op, key in ops:
        if op == "save":
            assert store.save(key, {"name": key}, model.get(key, 0)) == model.get(key, 0) + 1
            model[key] = model.get(key, 0) + 1
        else:
            store.delete(key)
            model.pop(key, None)
    assert len(store) == len(model)
    assert sorted((t["name"], t["v"]) for t in store.all()) == sorted(model.items())
    for key in "abcd":
        assert store.version_of(key) == model.get(key, 0)
        if key in model:
            assert store.get(key) == {"name": key, "v": model[key]}
        else:
            with pytest.raises(NotFoundError):
                store.get(key)


def _codes_of_before(breakdown: Any) -> tuple[str, ...]:
    """``_codes_of`` as it was written before round 5 (generator expressions): the reference."""
    codes: set[str] = set()
    for line in breakdown.lines:
        codes.update(adj.code for adj in line.adjustments if adj.code)
    if breakdown.shipping is not None:
        codes.update(adj.code for adj in breakdown.shipping.adjustments if adj.code)
    for report in breakdown.extensions.values():
        accepted = getattr(report, "accepted_codes", ())
        if isinstance(accepted, tuple):
            codes.update(str(code) for code in accepted)
    return tuple(sorted(codes))


_CODE = st.sampled_from(["", "SAVE5", "save5", "VIP", "B"])
_ADJUSTMENTS = st.lists(_CODE.map(lambda code: SimpleNamespace(code=code)), max_size=3)


@given(
    lines=st.lists(_ADJUSTMENTS.map(lambda adj: SimpleNamespace(adjustments=adj)), max_size=3),
    shipping=st.one_of(st.none(), _ADJUSTMENTS.map(lambda adj: SimpleNamespace(adjustments=adj))),
    reports=st.lists(
        st.one_of(
            st.just(SimpleNamespace()),
            st.lists(st.one_of(_CODE, st.integers(0, 3)), max_size=3).map(
                lambda codes: SimpleNamespace(accepted_codes=tuple(codes))
            ),
            st.just(SimpleNamespace(accepted_codes=["LIST"])),
        ),
        max_size=2,
    ),
)
def test_the_codes_of_a_breakdown_are_those_the_former_loops_found(
    lines: list[Any], shipping: Any, reports: list[Any]
) -> None:
    breakdown = SimpleNamespace(
        lines=lines,
        shipping=shipping,
        extensions={f"stage-{index}": report for index, report in enumerate(reports)},
    )
    codes = _codes_of(breakdown)  # type: ignore[arg-type]
    assert codes == _codes_of_before(breakdown)
    assert type(codes) is tuple
