"""Sales analytics and the customer journey: events, KPIs, the aggregator and the dashboard.

* :mod:`~commerce_core.domain.analytics.events`: the journey and sales events and their
  versioned JSON-lines codec.
* :mod:`~commerce_core.domain.analytics.timeframe`: report ranges and hour/day/week/month
  buckets in an IANA time zone.
* :mod:`~commerce_core.domain.analytics.aggregator`: :class:`AnalyticsAggregator`, the one
  incremental, mergeable mechanism behind real-time snapshots and batch reports.
* :mod:`~commerce_core.domain.analytics.metrics` and
  :mod:`~commerce_core.domain.analytics.dashboard`: the KPI values and the :class:`Dashboard`.
"""

from commerce_core.domain.analytics.aggregator import FUNNEL_STEPS, AnalyticsAggregator
from commerce_core.domain.analytics.dashboard import Dashboard
from commerce_core.domain.analytics.events import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    AnyJourneyEvent,
    AppliedDiscount,
    CheckoutStarted,
    JourneyEvent,
    LineProblem,
    OrderCancelled,
    OrderedItem,
    OrderPlaced,
    OrderRefunded,
    PaymentFailed,
    ProductAddedToCart,
    ProductRemovedFromCart,
    ProductViewed,
    SessionStarted,
    decode_lines,
    event_json_schema,
    from_json,
    to_json,
)
from commerce_core.domain.analytics.metrics import (
    COMPARED_KPIS,
    AbandonmentStats,
    ChannelPerformance,
    CohortRow,
    CustomerValue,
    FunnelStep,
    Kpis,
    ProductPerformance,
    PromotionPerformance,
    ReportOptions,
    Revenue,
    SeriesPoint,
    ratio,
)
from commerce_core.domain.analytics.timeframe import (
    Bucket,
    TimeRange,
    parse_instant,
    resolve_zone,
)

__all__ = [
    "SCHEMA_VERSION",
    "EVENT_TYPES",
    "JourneyEvent",
    "AnyJourneyEvent",
    "SessionStarted",
    "ProductViewed",
    "ProductAddedToCart",
    "ProductRemovedFromCart",
    "CheckoutStarted",
    "PaymentFailed",
    "OrderedItem",
    "AppliedDiscount",
    "OrderPlaced",
    "OrderRefunded",
    "OrderCancelled",
    "LineProblem",
    "to_json",
    "from_json",
    "decode_lines",
    "event_json_schema",
    "Bucket",
    "TimeRange",
    "parse_instant",
    "resolve_zone",
    "AnalyticsAggregator",
    "FUNNEL_STEPS",
    "Dashboard",
    "ReportOptions",
    "Revenue",
    "AbandonmentStats",
    "Kpis",
    "FunnelStep",
    "ProductPerformance",
    "ChannelPerformance",
    "PromotionPerformance",
    "CohortRow",
    "SeriesPoint",
    "CustomerValue",
    "COMPARED_KPIS",
    "ratio",
]
