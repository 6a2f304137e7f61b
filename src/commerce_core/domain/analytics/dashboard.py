"""The :class:`Dashboard` value: every KPI of a period, as data, JSON, text or an HTML page."""

from __future__ import annotations

import json
from datetime import datetime
from fractions import Fraction
from typing import Any

import attrs

from commerce_core.domain.analytics import render
from commerce_core.domain.analytics.events import LineProblem
from commerce_core.domain.analytics.metrics import (
    COMPARED_KPIS,
    ChannelPerformance,
    CohortRow,
    CustomerValue,
    FunnelStep,
    Kpis,
    ProductPerformance,
    PromotionPerformance,
    SeriesPoint,
    rate_text,
)
from commerce_core.domain.analytics.timeframe import Bucket, TimeRange

__all__ = ["Dashboard"]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@attrs.frozen(kw_only=True)
class Dashboard:
    """Every KPI of a report period (and optionally of the previous one, for comparison).

    Attributes:
        currency: the report currency (``XXX`` when no money was seen).
        zone: the IANA zone of buckets and cohort months.
        bucket: the width of the time series buckets.
        period: the range reported on.
        as_of: the instant windows (abandonment, churn) were measured to.
        events: how many events were counted.
        kpis: the headline figures.
        previous: the previous period's figures, when a bounded period was compared.
        funnel: view -> add to cart -> checkout -> purchase.
        products: top products by revenue.
        channels: per acquisition channel, with CAC / ROAS / ROI when spend was given.
        promotions: per promotion.
        coupons: per coupon code.
        retention: first-purchase-month cohorts.
        series: sessions, orders and net sales per bucket.
        top_customers: highest historic CLV.
        unknown_spend_channels: spend channels that never appeared in the events.
        problems: input lines that were skipped (the first ones, with reasons).
        skipped_lines: how many input lines were skipped in total.
    """

    currency: str
    zone: str
    bucket: Bucket
    period: TimeRange
    as_of: datetime | None
    events: int
    kpis: Kpis
    previous: Kpis | None = None
    funnel: tuple[FunnelStep, ...] = ()
    products: tuple[ProductPerformance, ...] = ()
    channels: tuple[ChannelPerformance, ...] = ()
    promotions: tuple[PromotionPerformance, ...] = ()
    coupons: tuple[PromotionPerformance, ...] = ()
    retention: tuple[CohortRow, ...] = ()
    series: tuple[SeriesPoint, ...] = ()
    top_customers: tuple[CustomerValue, ...] = ()
    unknown_spend_channels: tuple[str, ...] = ()
    problems: tuple[LineProblem, ...] = ()
    skipped_lines: int = 0

    def changes(self) -> dict[str, Fraction | None]:
        """Relative change of each compared KPI: ``(current - previous) / previous``.

        ``None`` when there is no previous period or its value is zero.
        """
        out: dict[str, Fraction | None] = {}
        for name in COMPARED_KPIS:
            if self.previous is None:
                out[name] = None
                continue
            before = self.previous.value_of(name)
            now = self.kpis.value_of(name)
            out[name] = None if before == 0 else (now - before) / before
        return out

    def to_dict(self) -> dict[str, Any]:
        """The whole dashboard as JSON-compatible primitives (money and rates as strings)."""
        return {
            "currency": self.currency,
            "zone": self.zone,
            "bucket": self.bucket.value,
            "period": {"start": _iso(self.period.start), "end": _iso(self.period.end)},
            "as_of": _iso(self.as_of),
            "events": self.events,
            "kpis": self.kpis.to_dict(),
            "previous": None if self.previous is None else self.previous.to_dict(),
            "changes": {k: rate_text(v) for k, v in self.changes().items()},
            "funnel": [s.to_dict() for s in self.funnel],
            "products": [p.to_dict() for p in self.products],
            "channels": [c.to_dict() for c in self.channels],
            "promotions": [p.to_dict() for p in self.promotions],
            "coupons": [c.to_dict() for c in self.coupons],
            "retention": [r.to_dict() for r in self.retention],
            "series": [p.to_dict() for p in self.series],
            "top_customers": [c.to_dict() for c in self.top_customers],
            "unknown_spend_channels": list(self.unknown_spend_channels),
            "problems": [{"line": p.line_number, "reason": p.reason} for p in self.problems],
            "skipped_lines": max(self.skipped_lines, len(self.problems)),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON document."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def render_text(self) -> str:
        """A plain-text report for the terminal."""
        return render.text(self)

    def render_html(self) -> str:
        """A self-contained HTML page (inline CSS and SVG charts; no network, no scripts)."""
        return render.html(self)
