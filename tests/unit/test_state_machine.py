from __future__ import annotations

import pytest

from commerce_core import InvalidTableError, InvalidTransitionError, TransitionTable

DOOR = TransitionTable(
    machine="door",
    initial="closed",
    edges={
        "closed": {"open", "locked"},
        "open": {"closed"},
        "locked": {"closed", "scrapped"},
        "scrapped": set(),
    },
    terminal={"scrapped"},
)


def test_an_allowed_transition_passes_the_check() -> None:
    DOOR.check("closed", "open")
    assert DOOR.can("locked", "scrapped")


def test_a_forbidden_transition_names_current_requested_and_allowed_states() -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        DOOR.check("open", "locked", reason="close it first")
    error = caught.value
    assert (error.machine, error.current, error.requested) == ("door", "open", "locked")
    assert error.allowed == ("closed",)
    assert "close it first" in str(error)


def test_terminal_states_have_no_exit() -> None:
    with pytest.raises(InvalidTableError, match="terminal"):
        DOOR.extended(transitions=[("scrapped", "closed")])


def test_every_state_must_be_reachable() -> None:
    with pytest.raises(InvalidTableError, match="unreachable"):
        DOOR.extended(states=["painted"], transitions=[("painted", "closed")])


def test_a_non_terminal_state_needs_an_exit() -> None:
    with pytest.raises(InvalidTableError, match="no exit"):
        DOOR.extended(transitions=[("open", "ajar")])


def test_hosts_can_insert_a_state_and_reroute() -> None:
    reviewed = DOOR.extended(
        states=["inspected"],
        transitions=[("closed", "inspected"), ("inspected", "open")],
        remove=[("closed", "open")],
    )
    assert not reviewed.can("closed", "open")
    assert reviewed.can("closed", "inspected")
    assert DOOR.can("closed", "open"), "extending never changes the original table"


def test_the_table_exports_as_data_and_mermaid() -> None:
    data = DOOR.as_dict()
    assert data["transitions"]["closed"] == ["locked", "open"]
    assert data["terminal"] == ["scrapped"]
    mermaid = DOOR.to_mermaid()
    assert mermaid.startswith("stateDiagram-v2")
    assert "closed --> open" in mermaid
    assert "scrapped --> [*]" in mermaid
