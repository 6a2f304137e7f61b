from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce_core import InvalidTimeRangeError, UnknownTimeZoneError, money
from commerce_core.domain.analytics import (
    AnalyticsAggregator,
    Bucket,
    OrderedItem,
    OrderPlaced,
    TimeRange,
    parse_instant,
    resolve_zone,
)
from commerce_core.domain.analytics.timeframe import bucket_label, bucket_starts


def order_at(at: datetime) -> OrderPlaced:
    return OrderPlaced(
        occurred_at=at,
        session_id="s",
        channel="ads",
        customer_id="c1",
        order_id=f"o{at.isoformat()}",
        items=[OrderedItem("A", 1, money("10.00", "EUR"))],
        shipping=money("0", "EUR"),
        tax=money("0", "EUR"),
        total=money("10.00", "EUR"),
    )


def test_a_late_evening_order_falls_in_the_next_local_day_and_month() -> None:
    # 2026-03-31 23:30 UTC is 2026-04-01 01:30 in Paris (summer time, UTC+2, since 03-29).
    at = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    assert [p.label for p in AnalyticsAggregator("UTC", "day").extend([order_at(at)]).series()] == [
        "2026-03-31"
    ]
    paris = AnalyticsAggregator("Europe/Paris", "day").extend([order_at(at)])
    assert [p.label for p in paris.series()] == ["2026-04-01"]
    assert [r.cohort for r in paris.retention()] == ["2026-04"]


@pytest.mark.parametrize(
    ("bucket", "label"),
    [
        (Bucket.HOUR, "2026-03-04 15:00"),
        (Bucket.DAY, "2026-03-04"),
        (Bucket.WEEK, "2026-W10"),  # Wednesday 4 March 2026 is in ISO week 10
        (Bucket.MONTH, "2026-03"),
    ],
)
def test_bucket_labels_are_local(bucket: Bucket, label: str) -> None:
    at = datetime(2026, 3, 4, 14, 20, tzinfo=UTC)  # 15:20 in Paris (UTC+1)
    (point,) = AnalyticsAggregator("Europe/Paris", bucket).extend([order_at(at)]).series()
    assert point.label == label


def test_the_daylight_saving_day_is_one_bucket_of_23_hours() -> None:
    zone = resolve_zone("Europe/Paris")
    period = TimeRange.parse("2026-03-28", "2026-03-31", zone)
    starts = list(bucket_starts(period, zone, Bucket.DAY))
    assert [bucket_label(s, zone, Bucket.DAY) for s in starts] == [
        "2026-03-28",
        "2026-03-29",
        "2026-03-30",
    ]
    assert starts[2] - starts[1] == 23 * 3600  # clocks jump forward on 29 March


def test_hour_buckets_fill_a_range_and_months_roll_over_the_year() -> None:
    zone = resolve_zone("UTC")
    hours = list(bucket_starts(TimeRange.parse("2026-03-01", "2026-03-02"), zone, Bucket.HOUR))
    assert len(hours) == 24
    months = list(bucket_starts(TimeRange.parse("2025-11-15", "2026-02-01"), zone, Bucket.MONTH))
    assert [bucket_label(m, zone, Bucket.MONTH) for m in months] == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]
    weeks = list(bucket_starts(TimeRange.parse("2026-03-01", "2026-03-16"), zone, Bucket.WEEK))
    assert [bucket_label(w, zone, Bucket.WEEK) for w in weeks] == [
        "2026-W09",
        "2026-W10",
        "2026-W11",
    ]
    assert list(bucket_starts(TimeRange(), zone, Bucket.DAY)) == []


def test_range_parsing_reads_naive_dates_in_the_zone() -> None:
    period = TimeRange.parse("2026-03-01", "2026-04-01", "Europe/Paris")
    assert period.start == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert period.contains(datetime(2026, 3, 31, 21, 59, tzinfo=UTC))
    assert not period.contains(datetime(2026, 3, 31, 22, 0, tzinfo=UTC))  # 04-01 00:00 CEST
    assert period.previous().end == period.start
    assert period.previous().start == period.start - timedelta(days=31)
    assert parse_instant("2026-03-01T10:00+05:00").utcoffset() == timedelta(hours=5)


def test_bad_ranges_and_zones_are_typed_errors() -> None:
    with pytest.raises(InvalidTimeRangeError, match="after start"):
        TimeRange.parse("2026-04-01", "2026-03-01")
    with pytest.raises(InvalidTimeRangeError, match="ISO 8601"):
        TimeRange.parse("first of march", None)
    with pytest.raises(InvalidTimeRangeError, match="timezone-aware"):
        TimeRange(datetime(2026, 3, 1))  # noqa: DTZ001
    with pytest.raises(InvalidTimeRangeError, match="open range"):
        TimeRange.parse("2026-03-01", None).previous()
    with pytest.raises(UnknownTimeZoneError):
        resolve_zone("Mars/Olympus_Mons")
