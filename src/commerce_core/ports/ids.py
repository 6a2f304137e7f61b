"""The id factory port: aggregates get string ids from here, never from ``id()`` or a global."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["IdFactory"]


@runtime_checkable
class IdFactory(Protocol):
    """Makes new unique identifiers.

    ``new_id(prefix)`` returns a string starting with ``prefix`` that was never returned before by
    this factory (and, for production factories, is globally unique).
    """

    def new_id(self, prefix: str) -> str:
        """A fresh id such as ``"cart_01J..."``."""
        ...
