"""Rebuilding a cart line shares the default quantity rule and empty metadata; nothing else."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.cart import CartLine, _freeze, _quantity_rule
from commerce_core.domain.catalog import QuantityRule
from commerce_core.errors import InvalidQuantityError
from commerce_core.money import money

_counts = st.integers(-2, 5) | st.booleans() | st.none() | st.just(1.0)


@given(_counts, _counts, _counts)
def test_a_stored_rule_rebuilds_as_the_validating_constructor_builds_it(
    minimum: int, maximum: int | None, step: int
) -> None:
    try:
        expected = QuantityRule(minimum, maximum, step)
    except InvalidQuantityError as error:
        with pytest.raises(type(error)):
            _quantity_rule(minimum, maximum, step)
        return
    rebuilt = _quantity_rule(minimum, maximum, step)
    assert rebuilt == expected
    assert (type(rebuilt.minimum), type(rebuilt.step)) == (type(minimum), type(step))


@given(st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=3))
def test_frozen_metadata_is_a_read_only_copy(metadata: dict[str, str]) -> None:
    frozen = _freeze(metadata)
    assert isinstance(frozen, MappingProxyType)
    assert dict(frozen) == metadata
    metadata["added later"] = "x"
    assert "added later" not in frozen


@given(
    st.integers(1, 3),
    st.none() | st.integers(3, 9),
    st.integers(1, 3),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)
def test_a_line_rebuilds_equal_to_itself(
    minimum: int, maximum: int | None, step: int, metadata: dict[str, str]
) -> None:
    line = CartLine(
        line_id="c-l1",
        sku="TEA",
        name="Tea",
        quantity=minimum,
        unit_price=money("4.50", "EUR"),
        prices_include_tax=False,
        tax_class="standard",
        categories=frozenset({"drinks"}),
        tags=frozenset(),
        weight=Decimal("0.25"),
        shippable=True,
        quantity_rule=QuantityRule(minimum, maximum, step),
        metadata=metadata,
    )
    assert CartLine.from_data(line.to_data()) == line
