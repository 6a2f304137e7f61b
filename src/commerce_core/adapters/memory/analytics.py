"""In-memory analytics sinks: one that keeps the events, one that keeps a live aggregate."""

from __future__ import annotations

import threading

from commerce_core.domain.analytics.aggregator import AnalyticsAggregator
from commerce_core.domain.analytics.dashboard import Dashboard
from commerce_core.domain.analytics.events import JourneyEvent
from commerce_core.domain.analytics.metrics import ReportOptions

__all__ = ["InMemoryAnalyticsSink", "AggregatingAnalyticsSink"]


class InMemoryAnalyticsSink:
    """Keeps every recorded event in order (thread-safe); for tests, examples and the demo."""

    def __init__(self) -> None:
        self._events: list[JourneyEvent] = []
        self._lock = threading.Lock()

    def record(self, event: JourneyEvent) -> None:
        """Append ``event``."""
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> tuple[JourneyEvent, ...]:
        """Everything recorded so far, in order."""
        with self._lock:
            return tuple(self._events)

    def clear(self) -> None:
        """Forget every event."""
        with self._lock:
            self._events.clear()


class AggregatingAnalyticsSink:
    """A real-time sink feeding a live aggregate.

    Every recorded event updates an :class:`AnalyticsAggregator` at once (amortised O(1)), and
    :meth:`dashboard` snapshots it at any moment. Thread-safe.

    Args:
        aggregator: the aggregator to feed (a fresh UTC, daily one by default).
    """

    def __init__(self, aggregator: AnalyticsAggregator | None = None) -> None:
        self._aggregator = aggregator if aggregator is not None else AnalyticsAggregator()
        self._lock = threading.Lock()

    def record(self, event: JourneyEvent) -> None:
        """Add ``event`` to the live aggregate.

        Raises:
            CurrencyMismatchError: the event's money is in another currency (not recorded).
        """
        with self._lock:
            self._aggregator.add(event)

    def dashboard(self, options: ReportOptions | None = None) -> Dashboard:
        """A snapshot of every KPI right now.

        Raises:
            InvalidTimeRangeError: ``options.period`` is not the live aggregator's period.
        """
        with self._lock:
            return self._aggregator.dashboard(options)

    def aggregate(self) -> AnalyticsAggregator:
        """A copy of the live aggregate (merge it with others, or snapshot it later)."""
        with self._lock:
            live = self._aggregator
            return live.merge(AnalyticsAggregator(live.zone, live.bucket, period=live.period))
