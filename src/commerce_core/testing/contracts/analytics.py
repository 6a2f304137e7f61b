"""Contract suite for the :class:`~commerce_core.ports.analytics.AnalyticsSink` port."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

from commerce_core.domain.analytics.events import JourneyEvent, ProductViewed
from commerce_core.ports.analytics import AnalyticsSink
from commerce_core.testing.analytics import generate_events

__all__ = ["AnalyticsSinkContract"]


class AnalyticsSinkContract:
    """What every AnalyticsSink adapter must do.

    Override :meth:`make_sink` (a fresh, empty sink) and :meth:`recorded` (read back what a sink
    holds, in order).
    """

    def make_sink(self) -> AnalyticsSink:
        """Return a fresh, empty sink under test."""
        raise NotImplementedError

    def recorded(self, sink: AnalyticsSink) -> list[JourneyEvent]:
        """Everything ``sink`` has recorded, in order."""
        raise NotImplementedError

    def test_every_event_type_is_recorded_whole_and_in_order(self) -> None:
        sink = self.make_sink()
        rng = random.Random(11)  # noqa: S311 - test data, not secrets
        events = list(generate_events(rng, sessions=40))
        assert {e.event_type for e in events} >= {"SessionStarted", "OrderPlaced"}
        for event in events:
            sink.record(event)
        assert self.recorded(sink) == events

    def test_recording_twice_stores_twice(self) -> None:
        sink = self.make_sink()
        event = ProductViewed(
            occurred_at=datetime(2026, 3, 1, tzinfo=UTC), session_id="s", channel="ads", sku="A"
        )
        sink.record(event)
        sink.record(event)
        assert self.recorded(sink) == [event, event]

    def test_concurrent_writers_lose_and_interleave_nothing(self) -> None:
        sink = self.make_sink()
        start = datetime(2026, 3, 1, tzinfo=UTC)
        per_thread, threads = 50, 6

        def writer(worker: int) -> None:
            for i in range(per_thread):
                sink.record(
                    ProductViewed(
                        occurred_at=start + timedelta(seconds=i),
                        session_id=f"w{worker}",
                        channel="ads",
                        sku=f"SKU-{i}",
                    )
                )

        workers = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        events = self.recorded(sink)
        assert len(events) == per_thread * threads
        for w in range(threads):
            mine = [e for e in events if e.session_id == f"w{w}"]
            assert [e.sku for e in mine if isinstance(e, ProductViewed)] == [
                f"SKU-{i}" for i in range(per_thread)
            ]
