from __future__ import annotations

import random
import tempfile
from pathlib import Path

from commerce_core.adapters.jsonlines import JsonLinesAnalyticsSink
from commerce_core.adapters.memory import InMemoryAnalyticsSink
from commerce_core.domain.analytics import JourneyEvent, LineProblem, decode_lines
from commerce_core.ports.analytics import AnalyticsSink
from commerce_core.testing.analytics import generate_events
from commerce_core.testing.contracts.analytics import AnalyticsSinkContract


class TestInMemoryAnalyticsSink(AnalyticsSinkContract):
    def make_sink(self) -> AnalyticsSink:
        return InMemoryAnalyticsSink()

    def recorded(self, sink: AnalyticsSink) -> list[JourneyEvent]:
        assert isinstance(sink, InMemoryAnalyticsSink)
        return list(sink.events)


class TestJsonLinesAnalyticsSink(AnalyticsSinkContract):
    def make_sink(self) -> AnalyticsSink:
        directory = Path(tempfile.mkdtemp(prefix="analytics-sink-"))
        return JsonLinesAnalyticsSink(directory / "events.jsonl")

    def recorded(self, sink: AnalyticsSink) -> list[JourneyEvent]:
        assert isinstance(sink, JsonLinesAnalyticsSink)
        if not sink.path.exists():
            return []
        with sink.path.open(encoding="utf-8") as lines:
            items = list(decode_lines(lines))
        assert not [i for i in items if isinstance(i, LineProblem)]
        return [i for i in items if not isinstance(i, LineProblem)]


def test_both_sinks_satisfy_the_port() -> None:
    assert isinstance(InMemoryAnalyticsSink(), AnalyticsSink)
    assert isinstance(
        JsonLinesAnalyticsSink(Path(tempfile.gettempdir()) / "x.jsonl"), AnalyticsSink
    )


def test_in_memory_sink_forgets_everything_when_cleared() -> None:
    sink = InMemoryAnalyticsSink()
    for event in generate_events(random.Random(1), sessions=3):
        sink.record(event)
    assert sink.events
    sink.clear()
    assert sink.events == ()
