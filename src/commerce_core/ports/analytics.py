"""Analytics ports: where services send journey and sales events."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from commerce_core.domain.analytics.events import JourneyEvent

__all__ = ["AnalyticsSink"]


@runtime_checkable
class AnalyticsSink(Protocol):
    """Receives journey and sales events (a host forwards them to its analytics tools).

    Semantics: ``record`` appends one event, and events recorded from one thread are kept in the
    order they were recorded. Implementations must be safe to call from several threads at once
    and must never lose or interleave an event (each is stored whole or not at all).

    Idempotency: none. Recording the same event twice stores it twice; a caller that may
    deliver twice (at-least-once outbox) deduplicates upstream. Services record events only
    after their unit of work has committed, so a rolled-back use case records nothing.

    Errors: an adapter raises ``OSError`` (or a subclass) when its storage is unavailable; the
    event is then not recorded. Analytics is never a reason to fail a sale: services log and
    continue.
    """

    def record(self, event: JourneyEvent) -> None:
        """Append ``event``."""
        ...
