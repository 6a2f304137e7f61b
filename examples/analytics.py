"""Analytics: record a simulated week of shopping, then report on it three ways.

Run: python examples/analytics.py
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from commerce_core import ReportOptions, TimeRange, money
from commerce_core.adapters.jsonlines import JsonLinesAnalyticsSink
from commerce_core.adapters.memory import AggregatingAnalyticsSink
from commerce_core.domain.analytics import AnalyticsAggregator
from commerce_core.services.analytics import build_dashboard
from commerce_core.testing.analytics import generate_events

events = list(generate_events(random.Random(42), sessions=1_500))  # noqa: S311 - demo data
out = Path(tempfile.mkdtemp(prefix="analytics-example-"))

# Services record events through the AnalyticsSink port: a file sink and a live one.
file_sink = JsonLinesAnalyticsSink(out / "events.jsonl")
# The live aggregate accumulates the reported period (events outside it are counted, not used).
period = TimeRange.parse("2026-01-01", "2026-01-03", "Europe/Paris")
live = AggregatingAnalyticsSink(AnalyticsAggregator("Europe/Paris", "day", period=period))
for event in events:
    file_sink.record(event)
    live.record(event)

options = ReportOptions(period=period, spend={"ads": money("300.00", "EUR")})

# 1. Real time: a snapshot of the live aggregate.
now = live.dashboard(options)
# 2. Batch: stream the JSON-lines file through the same aggregator.
with file_sink.path.open(encoding="utf-8") as lines:
    batch = build_dashboard(lines, options, zone="Europe/Paris", bucket="day")
# 3. Merge: two halves aggregated separately give the same figures.
half = len(events) // 2
left = AnalyticsAggregator("Europe/Paris", period=period).extend(events[:half])
right = AnalyticsAggregator("Europe/Paris", period=period).extend(events[half:])
assert left.merge(right).kpis(options) == now.kpis

k = batch.kpis
# Live and batch agree on the same period.
assert k == now.kpis
assert k.orders <= len(events)
assert k.revenue.total_sales == k.revenue.net_sales + k.revenue.shipping + k.revenue.tax
funnel = [step.sessions for step in batch.funnel]
assert funnel == sorted(funnel, reverse=True)

print(batch.render_text())
html = out / "dashboard.html"
html.write_text(batch.render_html(), encoding="utf-8")
print(f"HTML dashboard written to {html}")
