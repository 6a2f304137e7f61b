"""Report ranges and time buckets (hour, day, week, month) in an IANA time zone.

A bucket is identified by the UTC instant of its local start, so buckets sort chronologically
even across daylight-saving changes; its label is written in local time. Weeks start on Monday
(ISO 8601). ``zoneinfo`` supplies the zone rules.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from commerce_core.errors import InvalidTimeRangeError, UnknownTimeZoneError

__all__ = [
    "Bucket",
    "TimeRange",
    "resolve_zone",
    "parse_instant",
    "BucketIndex",
    "bucket_label",
    "bucket_overlaps",
    "bucket_starts",
]

MAX_FILLED_BUCKETS: Final = 5_000
"""Beyond this many buckets in a range, :func:`bucket_starts` gives up filling empty ones."""


class Bucket(enum.StrEnum):
    """The width of a time bucket."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def resolve_zone(name: str | tzinfo) -> tzinfo:
    """The time zone called ``name`` (``"Europe/Paris"``, ``"UTC"``); a tzinfo passes through.

    Raises:
        UnknownTimeZoneError: the name is not in the IANA database.
    """
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZoneError(str(name)) from None


def parse_instant(text: str, zone: str | tzinfo = "UTC") -> datetime:
    """An ISO date or date-time; naive values are read as local time in ``zone``.

    >>> parse_instant("2026-03-01", "Europe/Paris").isoformat()
    '2026-03-01T00:00:00+01:00'

    Raises:
        InvalidTimeRangeError: ``text`` is not ISO 8601.
        UnknownTimeZoneError: ``zone`` is unknown.
    """
    tz = resolve_zone(zone)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidTimeRangeError(text, "not an ISO 8601 date or date-time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidTimeRangeError(value, "range bounds must be timezone-aware")
    return value


@attrs.frozen
class TimeRange:
    """A half-open range ``[start, end)`` of instants; either bound may be open (``None``).

    Raises:
        InvalidTimeRangeError: a naive bound, or ``end`` not after ``start``.
    """

    start: datetime | None = attrs.field(default=None, converter=_aware)
    end: datetime | None = attrs.field(default=None, converter=_aware)

    def __attrs_post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise InvalidTimeRangeError((self.start, self.end), "end must be after start")

    @classmethod
    def parse(cls, start: str | None, end: str | None, zone: str | tzinfo = "UTC") -> TimeRange:
        """A range from ISO strings (naive ones in ``zone``), as the CLI's ``--from``/``--to``.

        >>> r = TimeRange.parse("2026-03-01", "2026-04-01", "UTC")
        >>> r.previous().start.isoformat()
        '2026-01-29T00:00:00+00:00'
        """
        return cls(
            None if start is None else parse_instant(start, zone),
            None if end is None else parse_instant(end, zone),
        )

    @property
    def bounded(self) -> bool:
        """Whether both bounds are set (only then is there a previous period)."""
        return self.start is not None and self.end is not None

    def contains(self, instant: datetime) -> bool:
        """Whether ``start <= instant < end`` (open bounds always match)."""
        return (self.start is None or instant >= self.start) and (
            self.end is None or instant < self.end
        )

    def previous(self) -> TimeRange:
        """The period of the same length just before this one: ``[start - length, start)``.

        Raises:
            InvalidTimeRangeError: the range is open on either side.
        """
        if self.start is None or self.end is None:
            raise InvalidTimeRangeError(self, "an open range has no previous period")
        return TimeRange(self.start - (self.end - self.start), self.start)


_SLOT: Final = 900  # seconds: every real UTC offset is a multiple of 15 minutes


def _local_start(local: datetime, bucket: Bucket) -> datetime:
    if bucket is Bucket.HOUR:
        return local.replace(minute=0, second=0, microsecond=0)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if bucket is Bucket.DAY:
        return midnight
    if bucket is Bucket.WEEK:
        monday = midnight.date() - timedelta(days=midnight.weekday())
        return _midnight(monday, local.tzinfo)
    return midnight.replace(day=1)


def _midnight(day: date, zone: tzinfo | None) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


class BucketIndex:
    """Maps instants to (bucket start, local month) in a zone, in amortised O(1).

    Results are cached per 15-minute UTC slot, so a stream of events costs one dictionary lookup
    each once warm. Month indices are ``year * 12 + month - 1`` in local time.
    """

    __slots__ = ("_cache", "bucket", "zone")

    def __init__(self, zone: tzinfo, bucket: Bucket) -> None:
        self.zone = zone
        self.bucket = bucket
        self._cache: dict[int, tuple[int, int]] = {}

    def __call__(self, timestamp: float) -> tuple[int, int]:
        """``(bucket start as a UTC POSIX second, local month index)`` of ``timestamp``."""
        slot = int(timestamp // _SLOT)
        hit = self._cache.get(slot)
        if hit is not None:
            return hit
        local = datetime.fromtimestamp(timestamp, self.zone)
        result = (
            int(_local_start(local, self.bucket).timestamp()),
            local.year * 12 + local.month - 1,
        )
        offset = local.utcoffset()
        if offset is not None and offset.total_seconds() % _SLOT == 0:
            self._cache[slot] = result
        return result


def bucket_label(start: int, zone: tzinfo, bucket: Bucket) -> str:
    """A bucket's local label: ``2026-03-01 13:00``, ``2026-03-01``, ``2026-W10``, ``2026-03``.

    >>> bucket_label(1772323200, UTC, Bucket.WEEK)
    '2026-W09'
    """
    local = datetime.fromtimestamp(start, zone)
    if bucket is Bucket.HOUR:
        return local.strftime("%Y-%m-%d %H:%M")
    if bucket is Bucket.DAY:
        return local.strftime("%Y-%m-%d")
    if bucket is Bucket.WEEK:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.strftime("%Y-%m")


def _next_start(start: int, zone: tzinfo, bucket: Bucket) -> int:
    local = datetime.fromtimestamp(start, zone)
    if bucket is Bucket.HOUR:
        return int(_local_start(datetime.fromtimestamp(start + 3600, zone), bucket).timestamp())
    if bucket is Bucket.DAY:
        return int(_midnight(local.date() + timedelta(days=1), zone).timestamp())
    if bucket is Bucket.WEEK:
        return int(_midnight(local.date() + timedelta(days=7), zone).timestamp())
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return int(datetime(year, month, 1, tzinfo=zone).timestamp())


def bucket_overlaps(start: int, period: TimeRange, zone: tzinfo, bucket: Bucket) -> bool:
    """Whether the bucket beginning at ``start`` (POSIX seconds) overlaps ``period``."""
    if period.end is not None and start >= period.end.timestamp():
        return False
    return period.start is None or _next_start(start, zone, bucket) > period.start.timestamp()


def bucket_starts(period: TimeRange, zone: tzinfo, bucket: Bucket) -> Iterator[int]:
    """Every bucket start overlapping a bounded ``period``.

    Nothing for an open period, or when there would be more than :data:`MAX_FILLED_BUCKETS`.
    """
    if period.start is None or period.end is None:
        return
    index = BucketIndex(zone, bucket)
    current = index(period.start.timestamp())[0]
    end = period.end.timestamp()
    starts: list[int] = []
    while current < end:
        starts.append(current)
        if len(starts) > MAX_FILLED_BUCKETS:
            return
        current = _next_start(current, zone, bucket)
    yield from starts


def utc_from_timestamp(timestamp: float) -> datetime:
    """A UTC datetime from POSIX seconds (helper for reports)."""
    return datetime.fromtimestamp(timestamp, UTC)
