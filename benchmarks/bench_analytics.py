"""Analytics: 1,000,000 generated events (JSON lines) -> the full dashboard.

The subject is ``services.analytics.build_dashboard`` streaming the file (decode + validate each
event, the incremental aggregator, the snapshot). The baseline is plain Python computing the
same KPIs from the same file with ``json.loads`` and dictionaries, without event objects or
validation. Peak memory is measured with ``tracemalloc`` in a separate, untimed run.
Set ``ANALYTICS_BENCH_EVENTS`` to change the size (default 1,000,000).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.harness import Row

TITLE = "Analytics (issue 8)"


def _baseline(path: Path) -> dict[str, Any]:  # noqa: PLR0915 - one flat loop, on purpose
    """Plain-Python KPIs from the same file: revenue, funnel, carts, products, channels..."""
    n: dict[str, int] = dict.fromkeys(
        ("orders", "units", "gross", "disc", "ship", "tax", "ref", "reftax", "refship"), 0
    )
    sessions: dict[str, int] = {}
    carts: dict[str, list[float]] = {}
    products: dict[str, list[Any]] = {}
    customers: dict[str, list[Any]] = {}
    channels: dict[str, list[int]] = {}
    promos: dict[str, list[int]] = {}
    days: dict[str, list[int]] = {}
    inf = float("inf")

    def cents(text: str) -> int:
        return int(Decimal(text) * 100)

    with path.open(encoding="utf-8") as lines:
        for line in lines:
            e = json.loads(line)
            kind, sid = e["type"], e["session_id"]
            ts = datetime.fromisoformat(e["occurred_at"]).timestamp()
            channel = channels.setdefault(e["channel"], [0, 0, 0])
            if kind == "SessionStarted":
                sessions[sid] = sessions.get(sid, 0) | 1
                channel[0] += 1
                days.setdefault(e["occurred_at"][:10], [0, 0, 0])[0] += 1
            elif kind == "ProductViewed":
                sessions[sid] = sessions.get(sid, 0) | 2
                p = products.setdefault(e["sku"], [0, 0, 0, set(), set()])
                p[0] += 1
                p[3].add(sid)
            elif kind == "ProductAddedToCart":
                sessions[sid] = sessions.get(sid, 0) | 4
                c = carts.setdefault(e["cart_id"], [inf, inf, inf])
                c[0] = min(c[0], ts)
            elif kind == "CheckoutStarted":
                sessions[sid] = sessions.get(sid, 0) | 8
                c = carts.setdefault(e["cart_id"], [inf, inf, inf])
                c[1] = min(c[1], ts)
            elif kind == "OrderPlaced":
                sessions[sid] = sessions.get(sid, 0) | 16
                sub = disc = 0
                for item in e["items"]:
                    line_total = cents(item["unit_price"]) * item["quantity"]
                    sub += line_total
                    n["units"] += item["quantity"]
                    p = products.setdefault(item["sku"], [0, 0, 0, set(), set()])
                    p[1] += item["quantity"]
                    p[2] += line_total
                    p[4].add(sid)
                for d in e["discounts"]:
                    disc += cents(d["amount"])
                    promos.setdefault(d["promotion_id"], [0, 0])[0] += 1
                n["orders"] += 1
                n["gross"] += sub
                n["disc"] += disc
                n["ship"] += cents(e["shipping"])
                n["tax"] += cents(e["tax"])
                channel[1] += 1
                channel[2] += sub - disc
                days.setdefault(e["occurred_at"][:10], [0, 0, 0])[1] += 1
                if e["cart_id"]:
                    c = carts.setdefault(e["cart_id"], [inf, inf, inf])
                    c[2] = min(c[2], ts)
                if e["customer_id"]:
                    cu = customers.setdefault(e["customer_id"], [0, 0, inf, -inf, set()])
                    cu[0] += 1
                    cu[1] += sub - disc
                    cu[2] = min(cu[2], ts)
                    cu[3] = max(cu[3], ts)
                    cu[4].add(e["occurred_at"][:7])
            elif kind == "OrderRefunded":
                amount, tax, ship = cents(e["amount"]), cents(e["tax"]), cents(e["shipping"])
                n["ref"] += amount - tax - ship
                n["reftax"] += tax
                n["refship"] += ship
                channel[2] -= amount - tax - ship
    funnel = [0, 0, 0, 0]
    for flags in sessions.values():
        for i, mask in enumerate((2, 6, 14, 30)):
            if flags & mask != mask:
                break
            funnel[i] += 1
    window = 86_400
    abandoned = sum(1 for c in carts.values() if c[0] < inf and not c[2] - c[0] <= window)
    top = sorted(products.items(), key=lambda kv: -kv[1][2])[:10]
    view_to_purchase = {k: len(v[3] & v[4]) / max(1, len(v[3])) for k, v in top}
    repeat = sum(1 for c in customers.values() if c[0] >= 2)
    return {
        "n": n,
        "funnel": funnel,
        "abandoned": abandoned,
        "top": view_to_purchase,
        "repeat": repeat,
        "channels": channels,
        "days": len(days),
    }


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run() -> list[Row]:
    from commerce_core.domain.analytics import AnalyticsAggregator, ReportOptions, TimeRange
    from commerce_core.services.analytics import build_dashboard
    from commerce_core.testing.analytics import generate_events, write_jsonl

    size = int(os.environ.get("ANALYTICS_BENCH_EVENTS", "1000000"))
    directory = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    path = directory / "events.jsonl"
    generated, _ = _timed(
        lambda: write_jsonl(generate_events(random.Random(8), events=size), path.open("w"))
    )
    megabytes = path.stat().st_size / 2**20
    first = datetime(2026, 1, 1, tzinfo=UTC)
    options = ReportOptions(period=TimeRange(first, datetime(2027, 1, 1, tzinfo=UTC)))

    def report() -> object:
        with path.open(encoding="utf-8") as lines:
            dashboard = build_dashboard(lines, options, zone="Europe/Paris", bucket="day")
        dashboard.render_html()
        return dashboard.render_text()

    seconds, _ = _timed(report)
    baseline, _ = _timed(lambda: _baseline(path))
    peak = _peak_mib(report)

    sample = list(generate_events(random.Random(9), events=200_000))

    def incremental() -> object:
        return AnalyticsAggregator("Europe/Paris", "day").extend(sample)

    add_seconds, _ = _timed(incremental)
    half = len(sample) // 2
    left = AnalyticsAggregator("Europe/Paris", "day").extend(sample[:half])
    right = AnalyticsAggregator("Europe/Paris", "day").extend(sample[half:])
    merge_seconds, merged = _timed(lambda: left.merge(right))
    snapshot_seconds, _ = _timed(merged.dashboard)  # type: ignore[attr-defined]
    path.unlink()
    return [
        Row(
            f"{size:,} events file -> full dashboard",
            seconds,
            baseline,
            f"{megabytes:.0f} MiB JSONL (generated in {generated:.1f} s), text + HTML; "
            f"peak traced memory {peak:.0f} MiB",
            "target <= 10 s, <= 300 MB",
        ),
        Row(
            "aggregator.add x 200,000 events (in memory)",
            add_seconds,
            None,
            f"{add_seconds / len(sample) * 1e6:.2f} µs per event",
        ),
        Row("merge two 100,000-event aggregates", merge_seconds, None, "split-and-merge"),
        Row("dashboard snapshot of 200,000 events", snapshot_seconds, None, "any time"),
    ]
