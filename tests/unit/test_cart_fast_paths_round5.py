"""The cart's round-5 internal paths build exactly what the paths they replace built.

- ``CartLine.pricing_line`` builds the pricing line without the constructor's checks when the
  line's own values pass them (checked inline), else through the constructor: the same line, or
  the same error;
- ``Cart.to_snapshot`` / ``from_snapshot`` write and read the status and owner kind through
  lookups, and share one empty frozenset for empty stored categories and tags: the same
  snapshot and the same cart, and the same errors for values that are not statuses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money

from commerce_core.domain.cart import (
    Cart,
    CartLine,
    CartOwner,
    CartStatus,
    _stored_set,
    _stored_status,
)
from commerce_core.domain.catalog import QuantityRule
from commerce_core.domain.pricing import PricingLine
from commerce_core.money import money
from commerce_core.testing.strategies.cart import carts

NOW = datetime(2026, 1, 1, tzinfo=UTC)

_quantities: st.SearchStrategy[Any] = st.one_of(
    st.integers(-2, 50), st.booleans(), st.floats(0, 5), st.just("2")
)
_prices: st.SearchStrategy[Any] = st.one_of(
    st.decimals(-5, 500, places=2).map(lambda d: Money(d, "EUR")),
    st.decimals(0, 50, places=3).map(lambda d: Money(d, "EUR")),  # off the cent grid at times
    st.decimals(0, 5000, places=0).map(lambda d: Money(d, "JPY")),
    st.just(Decimal("1.00")),
    st.just(Money(Decimal("NaN"), "EUR")),
)
_weights: st.SearchStrategy[Any] = st.one_of(
    st.decimals(0, 20, places=3), st.integers(0, 5), st.just(1.5)
)
_metadata = st.dictionaries(st.sampled_from(["gift", "engraving"]), st.text(max_size=5))


def _outcome(build: Any) -> Any:
    try:
        return build()
    except Exception as error:  # noqa: BLE001 - the error itself is compared
        return (type(error), str(error))


@given(
    quantity=_quantities,
    price=_prices,
    weight=_weights,
    metadata=_metadata,
    labels=st.frozensets(st.sampled_from(["tea", "gift", "sale"])),
    include_tax=st.booleans(),
    shippable=st.booleans(),
)
def test_pricing_line_is_what_the_validating_constructor_builds_or_raises(
    *,
    quantity: Any,
    price: Any,
    weight: Any,
    metadata: dict[str, str],
    labels: frozenset[str],
    include_tax: bool,
    shippable: bool,
) -> None:
    line = CartLine(
        "l1",
        "TEA",
        "Tea",
        quantity,
        price,
        include_tax,
        "standard",
        labels,
        frozenset(),
        weight,
        shippable,
        QuantityRule(),
        metadata,
    )

    def validating() -> PricingLine:
        return PricingLine(
            line.line_id,
            line.sku,
            line.name,
            line.quantity,
            line.unit_price,
            line.prices_include_tax,
            line.tax_class,
            line.categories,
            line.tags,
            line.weight,
            line.shippable,
            line.metadata,
        )

    fast, slow = _outcome(line.pricing_line), _outcome(validating)
    assert fast == slow
    if isinstance(fast, PricingLine):
        assert isinstance(fast.metadata, MappingProxyType)
        assert dict(fast.metadata) == metadata
        assert type(fast.weight) is Decimal
        assert repr(fast) == repr(slow)


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
    assert money("1.00", "EUR") == Money(Decimal("1.00"), "EUR")
