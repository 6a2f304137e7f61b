"""Strategies for inventory: SKUs, locations, stock, requests, backorder policies, strategies."""

from __future__ import annotations

from hypothesis import strategies as st

from commerce_core.domain.inventory import (
    AllocationStrategy,
    BackorderPolicy,
    Location,
    PreferLocations,
    PriorityOrder,
    SingleLocationFirst,
    StockRequest,
)

__all__ = [
    "SKUS",
    "LOCATIONS",
    "skus",
    "location_ids",
    "locations",
    "stock_quantities",
    "stock_requests",
    "reservation_requests",
    "stock_maps",
    "backorder_policies",
    "allocation_strategies",
]

SKUS = ("tee-s", "tee-m", "mug", "poster")
"""A small SKU universe, so generated requests collide with generated stock."""

LOCATIONS = ("berlin", "paris", "milan")
"""A small set of location ids."""


def skus() -> st.SearchStrategy[str]:
    """One of :data:`SKUS`."""
    return st.sampled_from(SKUS)


def location_ids() -> st.SearchStrategy[str]:
    """One of :data:`LOCATIONS`."""
    return st.sampled_from(LOCATIONS)


def locations() -> st.SearchStrategy[Location]:
    """A :class:`Location` with a priority."""
    return st.builds(Location, location_ids(), st.integers(0, 10))


def stock_quantities(max_value: int = 20) -> st.SearchStrategy[int]:
    """A positive unit count."""
    return st.integers(1, max_value)


def stock_requests(max_quantity: int = 10) -> st.SearchStrategy[StockRequest]:
    """One reservation line request."""
    return st.builds(StockRequest, skus(), stock_quantities(max_quantity))


def reservation_requests(
    max_lines: int = 3, max_quantity: int = 10
) -> st.SearchStrategy[dict[str, int]]:
    """A request ``{sku: quantity}`` with 1 to ``max_lines`` SKUs."""
    return st.dictionaries(skus(), stock_quantities(max_quantity), min_size=1, max_size=max_lines)


def stock_maps(max_units: int = 20) -> st.SearchStrategy[dict[tuple[str, str], int]]:
    """Units on hand per (SKU, location)."""
    return st.dictionaries(st.tuples(skus(), location_ids()), st.integers(0, max_units))


def backorder_policies() -> st.SearchStrategy[BackorderPolicy]:
    """Deny, limited (0-10) or unlimited."""
    return st.one_of(
        st.just(BackorderPolicy.deny()),
        st.integers(0, 10).map(BackorderPolicy.up_to),
        st.just(BackorderPolicy.unlimited()),
    )


def allocation_strategies() -> st.SearchStrategy[AllocationStrategy]:
    """Any built-in strategy, with or without splitting, optionally behind a preference."""
    base: st.SearchStrategy[AllocationStrategy] = st.one_of(
        st.builds(PriorityOrder, st.booleans()),
        st.builds(SingleLocationFirst, st.booleans()),
    )
    return st.one_of(
        base,
        st.builds(
            PreferLocations, st.lists(location_ids(), unique=True, max_size=3).map(tuple), base
        ),
    )
