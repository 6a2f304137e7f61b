"""Analytics rules found missing by review: periods on live aggregates, series bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce_core import InvalidTimeRangeError, Money, UnknownBucketError, money
from commerce_core.domain.analytics import (
    AnalyticsAggregator,
    JourneyEvent,
    OrderedItem,
    OrderPlaced,
    ReportOptions,
    SessionStarted,
    TimeRange,
    to_json,
)
from commerce_core.services.analytics import build_dashboard

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def order(order_id: str, at: datetime) -> list[JourneyEvent]:
    common: dict[str, str | None] = {"session_id": order_id, "channel": "ads", "customer_id": None}
    return [
        SessionStarted(occurred_at=at, **common),  # type: ignore[arg-type]
        OrderPlaced(
            occurred_at=at,
            order_id=order_id,
            cart_id=None,
            items=[OrderedItem("MUG", 1, eur("10.00"))],
            discounts=[],
            shipping=eur("0.00"),
            tax=eur("0.00"),
            total=eur("10.00"),
            **common,  # type: ignore[arg-type]
        ),
    ]


def three_orders() -> list[JourneyEvent]:
    # at T0 + 1 h (inside a 12-hour period from T0), T0 + 1 day and T0 + 30 h (outside)
    return [
        *order("o1", T0 + timedelta(hours=1)),
        *order("o2", T0 + timedelta(days=1)),
        *order("o3", T0 + timedelta(hours=30)),
    ]


def test_a_live_dashboard_of_a_period_counts_only_that_periods_orders_like_the_batch() -> None:
    period = TimeRange(T0, T0 + timedelta(hours=12))
    options = ReportOptions(period=period)
    batch = build_dashboard([to_json(e) for e in three_orders()], options)
    live = AnalyticsAggregator(period=period).extend(three_orders())
    assert live.dashboard(options).kpis.orders == batch.kpis.orders == 1
    assert live.outside == 4  # o2 and o3: a session and an order each


def test_a_live_aggregator_refuses_to_report_a_period_it_did_not_accumulate() -> None:
    everything = AnalyticsAggregator().extend(three_orders())
    options = ReportOptions(period=TimeRange(T0, T0 + timedelta(hours=12)))
    with pytest.raises(InvalidTimeRangeError):
        everything.dashboard(options)
    with pytest.raises(InvalidTimeRangeError):
        everything.kpis(options)


def test_aggregators_of_different_periods_do_not_merge() -> None:
    day = AnalyticsAggregator(period=TimeRange(T0, T0 + timedelta(days=1)))
    with pytest.raises(InvalidTimeRangeError):
        day.merge(AnalyticsAggregator())


def test_a_series_of_a_period_lists_only_buckets_overlapping_it() -> None:
    aggregator = AnalyticsAggregator("UTC", "day").extend(three_orders())
    period = TimeRange(datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))
    points = aggregator.series(period)
    # orders fell on 03-02, 03-03 and 03-03: only the 03-02 bucket overlaps [03-02, 03-03)
    assert [(p.label, p.orders) for p in points] == [("2026-03-02", 1)]


def test_a_series_of_an_open_period_drops_buckets_before_its_start() -> None:
    aggregator = AnalyticsAggregator("UTC", "day").extend(three_orders())
    points = aggregator.series(TimeRange(start=datetime(2026, 3, 3, tzinfo=UTC)))
    assert [(p.label, p.orders) for p in points] == [("2026-03-03", 2)]


def test_an_unknown_bucket_width_is_a_typed_error() -> None:
    with pytest.raises(UnknownBucketError):
        AnalyticsAggregator("UTC", "year")


def test_the_analytics_results_and_batch_entry_points_are_public() -> None:
    import commerce_core

    wanted = {
        "Kpis",
        "Revenue",
        "FunnelStep",
        "AbandonmentStats",
        "ProductPerformance",
        "ChannelPerformance",
        "PromotionPerformance",
        "CohortRow",
        "SeriesPoint",
        "CustomerValue",
        "build_dashboard",
        "aggregate_lines",
        "parse_spend",
        "BatchReport",
    }
    assert wanted <= set(commerce_core.__all__)
    assert all(hasattr(commerce_core, name) for name in wanted)


def test_the_dashboard_header_names_an_open_period_in_words() -> None:
    from datetime import UTC, datetime

    from commerce_core.domain.analytics import AnalyticsAggregator, ReportOptions, TimeRange

    everything = AnalyticsAggregator("UTC", "day").dashboard(ReportOptions())
    assert "all events" in everything.render_text()
    start = datetime(2026, 9, 1, tzinfo=UTC)
    since = AnalyticsAggregator("UTC", "day", period=TimeRange(start)).dashboard(
        ReportOptions(period=TimeRange(start))
    )
    assert f"since {start.isoformat()}" in since.render_text()
