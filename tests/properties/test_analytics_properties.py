from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import attrs
from hypothesis import given
from hypothesis import strategies as st

from commerce_core.domain.analytics import (
    AnalyticsAggregator,
    JourneyEvent,
    ReportOptions,
    TimeRange,
    from_json,
    to_json,
)
from commerce_core.services.analytics import build_dashboard
from commerce_core.testing import strategies as cst

OPTIONS = ReportOptions(cart_window=timedelta(hours=2), churn_window=timedelta(days=10))


def dashboard_of(events: list[JourneyEvent]) -> dict[str, object]:
    return AnalyticsAggregator("Europe/Paris", "day").extend(events).dashboard(OPTIONS).to_dict()


@given(cst.journey_streams())
def test_every_rate_lies_between_zero_and_one(events: list[JourneyEvent]) -> None:
    aggregator = AnalyticsAggregator().extend(events)
    k = aggregator.kpis(OPTIONS)
    rates = [
        k.session_conversion,
        k.cart_abandonment.rate,
        k.checkout_abandonment.rate,
        k.repeat_purchase_rate,
        k.churn_rate,
        *(s.step_conversion for s in aggregator.funnel()),
        *(s.overall_conversion for s in aggregator.funnel()),
        *(p.view_to_purchase for p in aggregator.products()),
        *(r for row in aggregator.retention() for r in row.retention),
    ]
    assert all(Fraction(0) <= r <= 1 for r in rates)
    for stats in (k.cart_abandonment, k.checkout_abandonment):
        assert stats.started == stats.converted + stats.pending + stats.abandoned
    assert k.purchasing_sessions <= k.sessions


@given(cst.journey_streams())
def test_funnel_steps_never_increase(events: list[JourneyEvent]) -> None:
    sessions = [s.sessions for s in AnalyticsAggregator().extend(events).funnel()]
    assert sessions == sorted(sessions, reverse=True)


@given(cst.journey_streams())
def test_batch_report_of_the_json_lines_equals_the_incremental_aggregate(
    events: list[JourneyEvent],
) -> None:
    lines = [to_json(e) + "\n" for e in events]
    batch = build_dashboard(lines, OPTIONS, zone="Europe/Paris", bucket="day").to_dict()
    assert batch == dashboard_of(events)


@given(cst.journey_streams(), st.data())
def test_merging_the_aggregates_of_two_parts_equals_the_whole(
    events: list[JourneyEvent], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(events)))
    left = AnalyticsAggregator("Europe/Paris", "day").extend(events[:cut])
    right = AnalyticsAggregator("Europe/Paris", "day").extend(events[cut:])
    merged = left.merge(right)
    assert merged.dashboard(OPTIONS).to_dict() == dashboard_of(events)
    assert right.merge(left).dashboard(OPTIONS).to_dict() == dashboard_of(events)


@given(cst.journey_streams(max_sessions=15), st.randoms(use_true_random=False))
def test_the_order_of_events_does_not_change_the_report(
    events: list[JourneyEvent], rng: random.Random
) -> None:
    shuffled = list(events)
    rng.shuffle(shuffled)
    assert dashboard_of(shuffled) == dashboard_of(events)


@given(cst.journey_events())
def test_every_event_round_trips_through_json(event: JourneyEvent) -> None:
    assert from_json(to_json(event)) == event


@given(cst.journey_streams(currency="JPY", max_sessions=10))
def test_zero_decimal_currencies_report_whole_amounts(events: list[JourneyEvent]) -> None:
    revenue = AnalyticsAggregator().extend(events).kpis().revenue
    assert revenue.total_sales.amount == revenue.total_sales.amount.to_integral_value()


@given(cst.journey_streams(), st.integers(0, 23), st.integers(1, 72))
def test_a_live_aggregator_of_a_period_reports_what_the_batch_report_of_that_period_does(
    events: list[JourneyEvent], start_hour: int, hours: int
) -> None:
    first = min((e.occurred_at for e in events), default=datetime(2026, 1, 1, tzinfo=UTC))
    start = first.replace(minute=0, second=0, microsecond=0) + timedelta(hours=start_hour)
    period = TimeRange(start, start + timedelta(hours=hours))
    options = attrs.evolve(OPTIONS, period=period)
    lines = [to_json(e) + "\n" for e in events]
    batch = build_dashboard(lines, options, zone="Europe/Paris", bucket="day")
    live = AnalyticsAggregator("Europe/Paris", "day", period=period).extend(events)
    previous = AnalyticsAggregator("Europe/Paris", "day", period=period.previous()).extend(events)
    assert live.dashboard(options, previous=previous).to_dict() == batch.to_dict()
