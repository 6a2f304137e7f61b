"""Bounded retry of optimistic-concurrency conflicts, shared by every service."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from commerce_core.errors import ConcurrencyConflictError

__all__ = ["retry_on_conflict", "DEFAULT_CONFLICT_ATTEMPTS"]

T = TypeVar("T")

DEFAULT_CONFLICT_ATTEMPTS = 5


def retry_on_conflict(use_case: Callable[[], T], *, attempts: int = DEFAULT_CONFLICT_ATTEMPTS) -> T:
    """Run ``use_case`` (load, change, save) again when its save loses a version race.

    ``use_case`` must reload what it changes on each call. After ``attempts`` conflicts the last
    :class:`ConcurrencyConflictError` is raised to the caller.
    """
    if attempts < 1:
        msg = "attempts must be at least 1"
        raise ValueError(msg)
    for attempt in range(1, attempts + 1):
        try:
            return use_case()
        except ConcurrencyConflictError:
            if attempt == attempts:
                raise
    raise AssertionError  # pragma: no cover - the loop always returns or raises
