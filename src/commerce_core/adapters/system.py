"""Production adapters that touch the system: the wall clock and random ids."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

__all__ = ["SystemClock", "RandomIdFactory"]


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        return datetime.now(UTC)


class RandomIdFactory:
    """Unguessable ids: the prefix, an underscore and 26 URL-safe random characters."""

    def new_id(self, prefix: str) -> str:
        """A fresh random id such as ``"cart_kE3x..."``."""
        return f"{prefix}_{secrets.token_urlsafe(20)}"
