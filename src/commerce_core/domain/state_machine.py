"""One mechanism for every lifecycle: a transition table exported as data.

Orders, payments and reservations each define their states (a ``StrEnum``, so every state is
also a plain string) and ONE :class:`TransitionTable`. Hosts can read the table, render it
(:meth:`TransitionTable.to_mermaid`), test against it, and extend it with their own states
(:meth:`TransitionTable.extended`), which the library validates: every state reachable from the
initial one, terminal states without exits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from commerce_core.errors import InvalidTableError, InvalidTransitionError

__all__ = ["TransitionTable"]


_NOWHERE: frozenset[str] = frozenset()
"""The targets of a state the table does not know."""


def _freeze_edges(edges: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType(
        {str(state): frozenset(map(str, targets)) for state, targets in edges.items()}
    )


def _freeze_states(states: Iterable[str]) -> frozenset[str]:
    return frozenset(map(str, states))


def _to_str(state: str) -> str:
    return str(state)


@attrs.frozen
class TransitionTable:
    """States and the transitions allowed between them.

    Attributes:
        machine: the lifecycle's name, used in errors (``"order"``).
        initial: the state every instance starts in.
        edges: for each state, the states it may move to. Every state appears as a key.
        terminal: states with no way out.

    Raises:
        InvalidTableError: on construction, when a target is not a state, a terminal state has
            exits, a non-terminal state has none, or a state is unreachable from ``initial``.
    """

    machine: str
    initial: str = attrs.field(converter=_to_str)
    edges: Mapping[str, frozenset[str]] = attrs.field(converter=_freeze_edges)
    terminal: frozenset[str] = attrs.field(converter=_freeze_states)

    def __attrs_post_init__(self) -> None:
        self.validate()

    @property
    def states(self) -> tuple[str, ...]:
        """Every state, in definition order."""
        return tuple(self.edges)

    def validate(self) -> None:
        """Check the table's shape; raise :class:`InvalidTableError` when it is malformed."""
        states = set(self.edges)
        if self.initial not in states:
            raise InvalidTableError(self.machine, f"initial state {self.initial!r} is not a state")
        for state, targets in self.edges.items():
            unknown = targets - states
            if unknown:
                raise InvalidTableError(
                    self.machine, f"{state!r} leads to unknown states {sorted(unknown)}"
                )
            if state in self.terminal and targets:
                raise InvalidTableError(
                    self.machine, f"terminal state {state!r} has exits {sorted(targets)}"
                )
            if state not in self.terminal and not targets:
                raise InvalidTableError(
                    self.machine, f"{state!r} has no exit but is not declared terminal"
                )
        unknown_terminal = self.terminal - states
        if unknown_terminal:
            raise InvalidTableError(
                self.machine, f"terminal states {sorted(unknown_terminal)} are not states"
            )
        seen = {self.initial}
        frontier = [self.initial]
        while frontier:
            for target in self.edges[frontier.pop()]:
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
        unreachable = states - seen
        if unreachable:
            raise InvalidTableError(
                self.machine, f"states {sorted(unreachable)} are unreachable from {self.initial!r}"
            )

    def allowed(self, current: str) -> frozenset[str]:
        """The states reachable in one step from ``current``."""
        return self.edges.get(str(current), _NOWHERE)

    def can(self, current: str, requested: str) -> bool:
        """Whether ``current -> requested`` is in the table."""
        return str(requested) in self.edges.get(str(current), _NOWHERE)

    def check(self, current: str, requested: str, *, reason: str = "") -> None:
        """Raise :class:`InvalidTransitionError` unless ``current -> requested`` is allowed."""
        # `can` inlined (this runs on every state change); str(): a StrEnum member does not
        # hash like its value, so the table is keyed by plain strings.
        if str(requested) not in self.edges.get(str(current), _NOWHERE):
            raise InvalidTransitionError(
                self.machine,
                str(current),
                str(requested),
                sorted(self.allowed(current)),
                reason,
            )

    def is_terminal(self, state: str) -> bool:
        """Whether ``state`` has no way out."""
        return str(state) in self.terminal

    def extended(
        self,
        *,
        states: Iterable[str] = (),
        transitions: Iterable[tuple[str, str]] = (),
        remove: Iterable[tuple[str, str]] = (),
        terminal: Iterable[str] = (),
    ) -> TransitionTable:
        """A new, validated table with extra states/transitions (and optionally some removed).

        Example: put fraud review between ``placed`` and ``paid``::

            table.extended(
                states=["awaiting_fraud_review"],
                transitions=[
                    ("placed", "awaiting_fraud_review"),
                    ("awaiting_fraud_review", "paid"),
                ],
                remove=[("placed", "paid")],
            )
        """
        edges: dict[str, set[str]] = {s: set(t) for s, t in self.edges.items()}
        for state in states:
            edges.setdefault(str(state), set())
        for source, target in transitions:
            edges.setdefault(str(source), set()).add(str(target))
            edges.setdefault(str(target), set())
        for source, target in remove:
            edges.get(str(source), set()).discard(str(target))
        return TransitionTable(
            machine=self.machine,
            initial=self.initial,
            edges=edges,
            terminal=self.terminal | frozenset(map(str, terminal)),
        )

    def as_dict(self) -> dict[str, Any]:
        """The table as primitives: ``{"machine", "initial", "terminal", "transitions"}``."""
        return {
            "machine": self.machine,
            "initial": self.initial,
            "terminal": sorted(self.terminal),
            "transitions": {state: sorted(targets) for state, targets in self.edges.items()},
        }

    def to_mermaid(self) -> str:
        """A Mermaid ``stateDiagram-v2`` of the table, for docs."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for state, targets in self.edges.items():
            lines.extend(f"    {state} --> {target}" for target in sorted(targets))
        lines.extend(f"    {state} --> [*]" for state in sorted(self.terminal))
        return "\n".join(lines)
