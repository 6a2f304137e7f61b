"""Round 6 inventory fast path: the availability query answers as the helper-based one did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.inventory import (
    Availability,
    BackorderMode,
    BackorderPolicy,
    IncomingStock,
    InventoryBook,
    Location,
)
from commerce_core.domain.inventory.book import _check_positive
from commerce_core.domain.inventory.values import _checked_availability

NOW = datetime(2026, 1, 1, tzinfo=UTC)
_SKUS = ("tee", "mug")


def _reference(book: InventoryBook, sku: str, quantity: int) -> Availability:
    """``InventoryBook.availability`` as written before round 6 (through the book's helpers)."""
    _check_positive(quantity)
    policy = book._policy(sku)
    items = book._items.get(sku, {})
    per_location: dict[str, int] = {}
    for loc in book._ranking:
        item = items.get(loc)
        if item is not None:
            per_location[loc] = max(0, item.on_hand - item.held - item.safety_stock)
    available = sum(per_location.values())
    outstanding = book._outstanding(sku)
    restock_date = None
    shortfall = quantity - available
    if shortfall > 0:
        needed = shortfall + outstanding
        arriving = 0
        for incoming in sorted(
            (i for i in book._incoming.values() if i.sku == sku), key=lambda i: (i.eta, i.id)
        ):
            arriving += incoming.quantity
            if arriving >= needed:
                restock_date = incoming.eta
                break
    return _checked_availability(
        sku, quantity, available, per_location, policy.headroom(outstanding), restock_date
    )


def _outcome(ask: object, *args: object) -> object:
    try:
        return ask(*args)  # type: ignore[operator]
    except Exception as error:  # noqa: BLE001 - the error type is what is compared
        return type(error)


_policies = st.sampled_from(
    [
        BackorderPolicy(),
        BackorderPolicy(BackorderMode.UNLIMITED),
        BackorderPolicy(BackorderMode.LIMITED, 3),
    ]
)


@given(
    st.lists(st.tuples(st.sampled_from(_SKUS), st.sampled_from("ab"), st.integers(1, 5))),
    st.lists(st.dictionaries(st.sampled_from(_SKUS), st.integers(1, 6), min_size=1), max_size=4),
    st.tuples(_policies, _policies),
    st.lists(st.tuples(st.sampled_from(_SKUS), st.integers(1, 4), st.integers(1, 9)), max_size=3),
    st.sampled_from((*_SKUS, "unknown")),
    st.integers(-1, 12) | st.just(True) | st.just(2.0),
)
def test_availability_answers_as_the_helper_based_query(  # noqa: PLR0917 - drawn
    received: list[tuple[str, str, int]],
    reservations: list[dict[str, int]],
    policies: tuple[BackorderPolicy, BackorderPolicy],
    incoming: list[tuple[str, int, int]],
    sku: str,
    quantity: int,
) -> None:
    book = InventoryBook()
    book.define_location(Location("a", 1))
    book.define_location(Location("b", 2))
    for name, policy in zip(_SKUS, policies, strict=True):
        book.define_sku(name, policy)
    for index, (name, location, units) in enumerate(received):
        book.receive(name, location, units, now=NOW, reference=f"r{index}")
    for index, requested in enumerate(reservations):
        book.reserve(f"res{index}", requested, now=NOW, expires_at=NOW + timedelta(hours=1))
    for index, (name, units, days) in enumerate(incoming):
        book.expect_incoming(
            IncomingStock(f"in{index}", name, "a", units, NOW + timedelta(days=days))
        )
    assert _outcome(book.availability, sku, quantity) == _outcome(_reference, book, sku, quantity)
