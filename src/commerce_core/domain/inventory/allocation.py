"""Allocation strategies: which location's stock a reservation takes.

A strategy sees, per SKU, the units still *free* at each location (``on_hand`` minus what live
reservations hold, minus safety stock) and the locations ranked (store priority order, or a
host preference). It returns the units to take per SKU and location; any units it does not take
are a shortfall (backordered when the SKU's policy allows, otherwise the reservation fails).
Because it only ever sees free units, it cannot double-count stock already reserved; the store
also checks what a strategy returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs

__all__ = [
    "AllocationStrategy",
    "Plan",
    "PriorityOrder",
    "SingleLocationFirst",
    "PreferLocations",
]

Plan = dict[str, list[tuple[str, int]]]
"""What a strategy returns: ``{sku: [(location, units), ...]}`` in allocation order."""


@runtime_checkable
class AllocationStrategy(Protocol):
    """Chooses the locations a reservation's units come from (pure, deterministic)."""

    def allocate(
        self,
        requested: Mapping[str, int],
        free: Mapping[str, Mapping[str, int]],
        ranking: Sequence[str],
    ) -> Plan:
        """Split ``requested`` (``{sku: units}``) over locations.

        Args:
            requested: units wanted per SKU.
            free: units free per SKU and location (locations missing have none).
            ranking: every location, most preferred first.

        Returns:
            Units to take per SKU as ``(location, units)`` pairs; never more than ``free`` at a
            location nor more than requested. Units not taken are a shortfall.
        """
        ...


def _fill_in_order(
    wanted: int, free: Mapping[str, int], ranking: Sequence[str]
) -> list[tuple[str, int]]:
    taken: list[tuple[str, int]] = []
    for location in ranking:
        if wanted <= 0:
            break
        units = min(wanted, free.get(location, 0))
        if units > 0:
            taken.append((location, units))
            wanted -= units
    return taken


def _best_single(
    wanted: int, free: Mapping[str, int], ranking: Sequence[str]
) -> list[tuple[str, int]]:
    best_location, best_units = "", 0
    for location in ranking:
        units = min(wanted, free.get(location, 0))
        if units >= wanted:
            return [(location, units)]
        if units > best_units:
            best_location, best_units = location, units
    return [(best_location, best_units)] if best_units else []


@attrs.frozen
class PriorityOrder:
    """Take each line from the locations in ranking order.

    Attributes:
        split: when true (default) a line may take units from several locations; when false each
            line comes from one location: the first that can fill it, else the one with the most
            units (the rest is a shortfall).

    >>> PriorityOrder().allocate({"tee": 5}, {"tee": {"a": 2, "b": 9}}, ["a", "b"])
    {'tee': [('a', 2), ('b', 3)]}
    >>> PriorityOrder(split=False).allocate({"tee": 5}, {"tee": {"a": 2, "b": 9}}, ["a", "b"])
    {'tee': [('b', 5)]}
    """

    split: bool = True

    def allocate(
        self,
        requested: Mapping[str, int],
        free: Mapping[str, Mapping[str, int]],
        ranking: Sequence[str],
    ) -> Plan:
        """See :meth:`AllocationStrategy.allocate`."""
        fill = _fill_in_order if self.split else _best_single
        return {sku: fill(units, free.get(sku, {}), ranking) for sku, units in requested.items()}


@attrs.frozen
class SingleLocationFirst:
    """Prefer one location that can fill the whole reservation (one shipment), in ranking order.

    "Whole" means every unit that stock can cover anywhere (units nobody has are a shortfall
    either way). When no single location can, split across locations in ranking order if
    ``split`` (the default); otherwise take everything from the one location covering the most
    units (the rest is a shortfall).

    >>> free = {"tee": {"a": 5, "b": 5}, "mug": {"b": 1}}
    >>> SingleLocationFirst().allocate({"tee": 2, "mug": 1}, free, ["a", "b"])
    {'tee': [('b', 2)], 'mug': [('b', 1)]}
    """

    split: bool = True

    def allocate(
        self,
        requested: Mapping[str, int],
        free: Mapping[str, Mapping[str, int]],
        ranking: Sequence[str],
    ) -> Plan:
        """See :meth:`AllocationStrategy.allocate`."""
        # The common case first: a location that has every requested unit. Then every line is
        # fully coverable, so "the whole reservation" below is all of it and the first such
        # location in ranking order is the one the general search would return.
        for location in ranking:
            fits = True
            for sku, units in requested.items():
                if free.get(sku, {}).get(location, 0) < units:
                    fits = False
                    break
            if fits:
                return {
                    sku: [(location, units)] if units else [] for sku, units in requested.items()
                }
        # What stock can cover at all: a line nobody can fill must not stop a location from
        # being "the one" for everything else (the rest goes on backorder or fails).
        target = {
            sku: min(units, sum(free.get(sku, {}).values())) for sku, units in requested.items()
        }
        best_location, best_units = "", 0
        for location in ranking:
            covered = 0
            complete = True
            for sku, units in target.items():
                here = min(units, free.get(sku, {}).get(location, 0))
                covered += here
                complete = complete and here == units
            if complete:
                return {sku: [(location, units)] if units else [] for sku, units in target.items()}
            if covered > best_units:
                best_location, best_units = location, covered
        if self.split:
            return PriorityOrder(split=True).allocate(requested, free, ranking)
        plan: Plan = {}
        for sku, units in requested.items():
            taken = min(units, free.get(sku, {}).get(best_location, 0))
            plan[sku] = [(best_location, taken)] if taken else []
        return plan


def _as_tuple(locations: Iterable[str]) -> tuple[str, ...]:
    return tuple(locations)


@attrs.frozen
class PreferLocations:
    """A host preference (say, nearest to the shipping address) ranked before store priority.

    Attributes:
        order: preferred locations, best first; the remaining ones follow in store priority.
        then: the strategy applied with the re-ranked locations.

    >>> PreferLocations(("b",)).allocate({"tee": 1}, {"tee": {"a": 3, "b": 3}}, ["a", "b"])
    {'tee': [('b', 1)]}
    """

    order: tuple[str, ...] = attrs.field(converter=_as_tuple)
    then: AllocationStrategy = attrs.field(factory=SingleLocationFirst)

    def allocate(
        self,
        requested: Mapping[str, int],
        free: Mapping[str, Mapping[str, int]],
        ranking: Sequence[str],
    ) -> Plan:
        """See :meth:`AllocationStrategy.allocate`."""
        known = set(ranking)
        preferred = [location for location in self.order if location in known]
        rest = [location for location in ranking if location not in set(preferred)]
        return self.then.allocate(requested, free, [*preferred, *rest])
