"""The Clock port: the only way commerce_core learns the time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock"]


@runtime_checkable
class Clock(Protocol):
    """Tells the current time.

    ``now()`` returns a timezone-aware ``datetime`` in UTC. Successive calls never go backwards.
    The domain never reads the system time itself, so every behaviour replays deterministically
    under a controllable clock.
    """

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...
