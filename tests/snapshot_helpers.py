"""Helpers for snapshot tests: walk a snapshot tree's containers."""

from __future__ import annotations

from typing import Any


def containers(value: Any) -> list[dict[str, Any] | list[Any]]:
    """Every dict and list of a snapshot tree (itself included), depth first."""
    found: list[dict[str, Any] | list[Any]] = []
    if isinstance(value, dict):
        found.append(value)
        for item in value.values():
            found.extend(containers(item))
    elif isinstance(value, list):
        found.append(value)
        for item in value:
            found.extend(containers(item))
    return found
