"""Analytics use cases: the batch report over a stream of JSON lines, and spend input.

The batch report is the real-time mechanism fed from a file: lines are decoded one at a time
and added to an :class:`AnalyticsAggregator` (one for the period, one for the previous period),
so memory is bounded by the number of distinct sessions, carts, products and customers, never by
the number of lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import tzinfo
from decimal import Decimal, InvalidOperation
from typing import Final

import attrs
from moneyed import Money

from commerce_core.domain.analytics.aggregator import AnalyticsAggregator
from commerce_core.domain.analytics.dashboard import Dashboard
from commerce_core.domain.analytics.events import LineProblem, decode_lines
from commerce_core.domain.analytics.metrics import ReportOptions
from commerce_core.domain.analytics.timeframe import Bucket
from commerce_core.errors import (
    CommerceError,
    CurrencyMismatchError,
    InvalidSpendError,
    MalformedEventLineError,
)
from commerce_core.money import money

__all__ = ["BatchReport", "aggregate_lines", "build_dashboard", "parse_spend", "MAX_PROBLEMS"]

MAX_PROBLEMS: Final = 1_000
"""How many skipped lines a report keeps with their reasons (the count is always exact)."""


@attrs.frozen
class BatchReport:
    """The aggregators of a batch run and what was skipped.

    Attributes:
        current: events inside the period.
        previous: events inside the previous period (``None`` for an open period).
        problems: the first :data:`MAX_PROBLEMS` skipped lines, with reasons.
        skipped: how many lines were skipped in total.
        outside: how many valid events fell outside both periods.
    """

    current: AnalyticsAggregator
    previous: AnalyticsAggregator | None
    problems: tuple[LineProblem, ...]
    skipped: int
    outside: int


def aggregate_lines(
    lines: Iterable[str],
    options: ReportOptions | None = None,
    *,
    zone: str | tzinfo = "UTC",
    bucket: Bucket | str = Bucket.DAY,
    currency: str | None = None,
    strict: bool = False,
) -> BatchReport:
    """Stream JSON lines (an open file works) into the period's and previous period's aggregates.

    Malformed lines, and events in another currency than the report's, are skipped and reported
    with their line numbers, or raise in ``strict`` mode.

    Raises:
        MalformedEventLineError: in ``strict`` mode, at the first bad line.
    """
    options = options or ReportOptions()
    period = options.period
    previous_period = period.previous() if period.bounded else None
    current = AnalyticsAggregator(zone, bucket, currency, period)
    previous = (
        AnalyticsAggregator(zone, bucket, currency, previous_period) if previous_period else None
    )
    problems: list[LineProblem] = []
    skipped = outside = 0
    line_number = 0

    def skip(problem: LineProblem) -> None:
        nonlocal skipped
        if strict:
            raise MalformedEventLineError(problem.line_number, problem.reason)
        skipped += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(problem)

    def numbered() -> Iterable[str]:
        nonlocal line_number
        for line_number, line in enumerate(lines, start=1):  # noqa: B007 - read by add errors
            yield line

    for item in decode_lines(numbered(), strict=strict):
        if isinstance(item, LineProblem):
            skip(item)
            continue
        at = item.occurred_at
        if period.contains(at):
            target = current
        elif previous is not None and previous_period is not None and previous_period.contains(at):
            target = previous
        else:
            outside += 1
            continue
        try:
            target.add(item)
        except CurrencyMismatchError as error:
            skip(LineProblem(line_number, str(error)))
    if previous is not None and current.currency and previous.currency is None:
        previous = AnalyticsAggregator(zone, bucket, current.currency, previous_period).merge(
            previous
        )
    return BatchReport(current, previous, tuple(problems), skipped, outside)


def build_dashboard(
    lines: Iterable[str],
    options: ReportOptions | None = None,
    *,
    zone: str | tzinfo = "UTC",
    bucket: Bucket | str = Bucket.DAY,
    currency: str | None = None,
    strict: bool = False,
) -> Dashboard:
    """The dashboard of a stream of JSON lines: :func:`aggregate_lines`, then a snapshot.

    Raises:
        MalformedEventLineError: in ``strict`` mode, at the first bad line.
        CurrencyMismatchError: spend given in another currency than the events'.
    """
    options = options or ReportOptions()
    report = aggregate_lines(
        lines, options, zone=zone, bucket=bucket, currency=currency, strict=strict
    )
    dashboard = report.current.dashboard(
        options, previous=report.previous, problems=report.problems
    )
    return attrs.evolve(dashboard, skipped_lines=report.skipped)


def parse_spend(data: object, currency: str) -> dict[str, Money]:
    """Marketing spend per channel from JSON data.

    Either ``{"ads": "1200.00", "email": "150"}`` in ``currency``, or
    ``{"ads": {"amount": "1200.00", "currency": "EUR"}}``.

    Amounts must be strings (or integers), never floats, and not negative.

    Raises:
        InvalidSpendError: not a mapping, a bad or negative amount.
    """
    if not isinstance(data, Mapping):
        raise InvalidSpendError("", "spend must be a JSON object of channel -> amount")
    spend: dict[str, Money] = {}
    for channel, value in data.items():
        name = str(channel)
        amount: object = value
        code = currency
        if isinstance(value, Mapping):
            amount = value.get("amount")
            code = str(value.get("currency", currency))
        if isinstance(amount, bool) or not isinstance(amount, str | int):
            raise InvalidSpendError(name, "amount must be a decimal string")
        try:
            parsed = money(Decimal(str(amount)), code)
        except (InvalidOperation, CommerceError) as error:
            raise InvalidSpendError(name, f"bad amount {amount!r}: {error}") from None
        if parsed.amount < 0:
            raise InvalidSpendError(name, "spend cannot be negative")
        spend[name] = parsed
    return spend
