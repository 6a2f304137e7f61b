"""The KPI values a report is made of, and the options that parameterise it.

Rates are exact :class:`fractions.Fraction` values (``0`` when the denominator is zero, never a
division error). Money is :class:`moneyed.Money`; averages are rounded once, through
:func:`commerce_core.money.quantize` and the report's :class:`RoundingPolicy`.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Final

import attrs
from moneyed import Money

from commerce_core.domain.analytics.timeframe import TimeRange
from commerce_core.errors import InvalidSpendError
from commerce_core.money import (
    DEFAULT_ROUNDING,
    RoundingPolicy,
    minor_units,
    money_to_data,
    quantize,
    to_minor,
)

__all__ = [
    "ratio",
    "rate_text",
    "fraction_money",
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
    "ReportOptions",
    "COMPARED_KPIS",
]

_CONTEXT: Final = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_EVEN, traps=[])


def ratio(numerator: int | Fraction, denominator: int | Fraction) -> Fraction:
    """``numerator / denominator`` as an exact fraction; ``0`` when the denominator is zero.

    >>> ratio(1, 4), ratio(3, 0)
    (Fraction(1, 4), Fraction(0, 1))
    """
    if denominator == 0:
        return Fraction(0)
    return Fraction(numerator) / Fraction(denominator)


def rate_text(value: Fraction | None, places: int = 6) -> str | None:
    """A fraction as a decimal string with ``places`` decimals (half-even), for JSON output.

    >>> rate_text(Fraction(2, 3))
    '0.666667'
    """
    if value is None:
        return None
    exact = _CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))
    return str(exact.quantize(Decimal(1).scaleb(-places), context=_CONTEXT))


def fraction_money(
    minor: Fraction, currency: str, policy: RoundingPolicy = DEFAULT_ROUNDING
) -> Money:
    """An exact fraction of minor units as Money, rounded once through ``quantize``.

    >>> fraction_money(Fraction(1000, 3), "EUR")
    Money('3.33', 'EUR')
    """
    units = _CONTEXT.divide(Decimal(minor.numerator), Decimal(minor.denominator))
    return quantize(Money(units.scaleb(-minor_units(currency), _CONTEXT), currency), policy)


def _money(value: Money | None) -> dict[str, str] | None:
    return None if value is None else money_to_data(value)


@attrs.frozen
class Revenue:
    """Sales money over a period. Every figure is net of tax unless it says otherwise.

    Attributes:
        gross_sales: sum over placed orders of the items' subtotal (``net_total`` when the
            item states it, else ``unit_price x quantity``; before discounts, excluding shipping
            and tax).
        discounts: sum of the discounts granted on those orders.
        refunds: the merchandise part of refunds issued in the period (``amount - tax -
            shipping`` of each refund).
        net_sales: ``gross_sales - discounts - refunds`` (excluding shipping and tax).
        shipping: shipping charged minus shipping refunded (net of tax).
        tax: tax charged minus tax refunded.
        total_sales: ``net_sales + shipping + tax``: what customers paid and kept paid.
    """

    gross_sales: Money
    discounts: Money
    refunds: Money
    net_sales: Money
    shipping: Money
    tax: Money
    total_sales: Money

    def to_dict(self) -> dict[str, Any]:
        """Primitives (money as exact strings)."""
        return {f.name: money_to_data(getattr(self, f.name)) for f in attrs.fields(Revenue)}


@attrs.frozen
class AbandonmentStats:
    """Carts (or checkouts) started, and what became of them within the conversion window.

    ``started == converted + pending + abandoned``. A cart is *converted* when an order is
    placed from it within the window after it started, *pending* when the window has not yet
    elapsed at the report's ``as_of`` instant, *abandoned* otherwise. ``rate = abandoned /
    started``.
    """

    started: int
    converted: int
    pending: int
    abandoned: int

    @property
    def rate(self) -> Fraction:
        """``abandoned / started`` (0 when nothing started)."""
        return ratio(self.abandoned, self.started)

    def to_dict(self) -> dict[str, Any]:
        """Primitives."""
        return {
            "started": self.started,
            "converted": self.converted,
            "pending": self.pending,
            "abandoned": self.abandoned,
            "rate": rate_text(self.rate),
        }


@attrs.frozen
class Kpis:
    """The headline figures of one period (see the Analytics docs page for every formula)."""

    revenue: Revenue
    orders: int
    units: int
    sessions: int
    purchasing_sessions: int
    customers: int
    repeat_customers: int
    churned_customers: int
    cancelled_orders: int
    refunds: int
    failed_payments: int
    average_order_value: Money
    order_conversion: Fraction
    session_conversion: Fraction
    cart_abandonment: AbandonmentStats
    checkout_abandonment: AbandonmentStats
    repeat_purchase_rate: Fraction
    churn_rate: Fraction
    purchase_frequency: Fraction
    average_clv: Money
    predictive_clv: Money

    def to_dict(self) -> dict[str, Any]:
        """Primitives (money as exact strings, rates as 6-decimal strings)."""
        out: dict[str, Any] = {}
        for field in attrs.fields(Kpis):
            value = getattr(self, field.name)
            if isinstance(value, Revenue | AbandonmentStats):
                out[field.name] = value.to_dict()
            elif isinstance(value, Money):
                out[field.name] = money_to_data(value)
            elif isinstance(value, Fraction):
                out[field.name] = rate_text(value)
            else:
                out[field.name] = value
        return out

    def value_of(self, name: str) -> Fraction:
        """A compared KPI (see :data:`COMPARED_KPIS`) as an exact number for period comparison."""
        value: object
        if name in {"net_sales", "total_sales", "gross_sales"}:
            value = getattr(self.revenue, name)
        else:
            value = getattr(self, name)
        if isinstance(value, Money):
            return Fraction(to_minor(value))
        assert isinstance(value, int | Fraction)  # noqa: S101 - COMPARED_KPIS are numeric
        return Fraction(value)


COMPARED_KPIS: Final = (
    "gross_sales",
    "net_sales",
    "total_sales",
    "orders",
    "units",
    "sessions",
    "average_order_value",
    "session_conversion",
    "order_conversion",
)
"""The KPIs compared with the previous period (relative change ``(current - previous) /
previous``)."""


@attrs.frozen
class FunnelStep:
    """One step of the session funnel view -> add to cart -> checkout -> purchase.

    ``sessions`` counts sessions that reached this step *and every step before it*, so the steps
    never increase. ``step_conversion = sessions / previous step's sessions``;
    ``overall_conversion = sessions / first step's sessions``.
    """

    name: str
    sessions: int
    step_conversion: Fraction
    overall_conversion: Fraction

    def to_dict(self) -> dict[str, Any]:
        """Primitives."""
        return {
            "name": self.name,
            "sessions": self.sessions,
            "step_conversion": rate_text(self.step_conversion),
            "overall_conversion": rate_text(self.overall_conversion),
        }


@attrs.frozen
class ProductPerformance:
    """A product's sales, views and view-to-purchase rate.

    ``revenue`` is the items' subtotal (``net_total``, else ``unit_price x quantity``) before
    order discounts, net of tax;
    ``view_to_purchase`` = sessions that viewed and bought it / sessions that viewed it.
    """

    sku: str
    revenue: Money
    units: int
    views: int
    viewing_sessions: int
    view_to_purchase: Fraction

    def to_dict(self) -> dict[str, Any]:
        """Primitives."""
        return {
            "sku": self.sku,
            "revenue": money_to_data(self.revenue),
            "units": self.units,
            "views": self.views,
            "viewing_sessions": self.viewing_sessions,
            "view_to_purchase": rate_text(self.view_to_purchase),
        }


@attrs.frozen
class ChannelPerformance:
    """An acquisition channel: traffic, sales and, when its spend is given, CAC, ROAS and ROI.

    ``net_sales`` = orders' ``subtotal - discount`` minus refunds, attributed to the event's
    channel. ``new_customers`` = customers whose first order was placed through it.
    ``cac = spend / new_customers``; ``roas = net_sales / spend``;
    ``roi = (net_sales x margin - spend) / spend`` (margin 1 unless given). Undefined ratios are
    ``None``.
    """

    channel: str
    sessions: int
    orders: int
    net_sales: Money
    new_customers: int
    spend: Money | None = None
    cac: Money | None = None
    roas: Fraction | None = None
    roi: Fraction | None = None

    def to_dict(self) -> dict[str, Any]:
        """Primitives."""
        return {
            "channel": self.channel,
            "sessions": self.sessions,
            "orders": self.orders,
            "net_sales": money_to_data(self.net_sales),
            "new_customers": self.new_customers,
            "spend": _money(self.spend),
            "cac": _money(self.cac),
            "roas": rate_text(self.roas),
            "roi": rate_text(self.roi),
        }


@attrs.frozen
class PromotionPerformance:
    """A promotion (or coupon code): orders, discount granted, and those orders' net sales.

    ``net_sales`` is those orders' ``subtotal - discount`` (before refunds).
    """

    key: str
    orders: int
    discount: Money
    net_sales: Money

    def to_dict(self) -> dict[str, Any]:
        """Primitives."""
        return {
            "key": self.key,
            "orders": self.orders,
            "discount": money_to_data(self.discount),
            "net_sales": money_to_data(self.net_sales),
        }


@attrs.frozen
class CohortRow:
    """A first-purchase-month cohort and its retention by month offset.

    ``cohort`` is a local month ``YYYY-MM``; ``retention[k]`` is the share of its customers who
    ordered in month ``cohort + k`` (so ``retention[0]`` is 1).
    """

    cohort: str
    customers: int
    retention: tuple[Fraction, ...]

    def to_dict(self) -> dict[str, Any]:
        """Primitives."""
        return {
            "cohort": self.cohort,
            "customers": self.customers,
            "retention": [rate_text(r) for r in self.retention],
        }


@attrs.frozen
class SeriesPoint:
    """One time bucket: sessions started, orders placed and net sales.

    Refunds count in the bucket they were issued in.
    """

    label: str
    start: datetime
    sessions: int
    orders: int
    net_sales: Money

    def to_dict(self) -> dict[str, Any]:
        """Primitives."""
        return {
            "label": self.label,
            "start": self.start.isoformat(),
            "sessions": self.sessions,
            "orders": self.orders,
            "net_sales": money_to_data(self.net_sales),
        }


@attrs.frozen
class CustomerValue:
    """A customer's historic lifetime value.

    ``net_sales`` = ``subtotal - discount`` of their orders minus the merchandise refunded to them.
    """

    customer_id: str
    orders: int
    net_sales: Money

    def to_dict(self) -> dict[str, Any]:
        """Primitives."""
        return {
            "customer_id": self.customer_id,
            "orders": self.orders,
            "net_sales": money_to_data(self.net_sales),
        }


def _freeze_spend(spend: Mapping[str, Money]) -> Mapping[str, Money]:
    for channel, amount in spend.items():
        if not isinstance(amount, Money):
            raise InvalidSpendError(str(channel), "spend must be Money")
        if amount.amount < 0:
            raise InvalidSpendError(str(channel), "spend cannot be negative")
    return MappingProxyType(dict(spend))


def _positive_window(_inst: object, attribute: attrs.Attribute[timedelta], value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        msg = f"{attribute.name} must be a positive timedelta"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class ReportOptions:
    """How a report is computed.

    Attributes:
        period: the range reported on (events outside it are not counted by the batch report).
        as_of: the instant windows are measured to; defaults to ``period.end``, else the latest
            event.
        cart_window: how long after its first add-to-cart a cart may still convert.
        checkout_window: how long after checkout started an order may still follow.
        churn_window: a customer whose last order is older than this at ``as_of`` has churned.
        spend: marketing spend per channel (for CAC, ROAS and ROI).
        margin: optional gross margin (``Decimal("0.4")``) applied to predictive CLV and ROI.
        expected_lifespan: customer lifespan in report periods, for predictive CLV.
        top: how many products and customers the dashboard lists.
        rounding: how averages are rounded.
    """

    period: TimeRange = attrs.field(factory=TimeRange)
    as_of: datetime | None = None
    cart_window: timedelta = attrs.field(default=timedelta(hours=24), validator=_positive_window)
    checkout_window: timedelta = attrs.field(
        default=timedelta(hours=24), validator=_positive_window
    )
    churn_window: timedelta = attrs.field(default=timedelta(days=90), validator=_positive_window)
    spend: Mapping[str, Money] = attrs.field(factory=dict, converter=_freeze_spend)
    margin: Decimal | None = None
    expected_lifespan: Decimal = Decimal(1)
    top: int = 10
    rounding: RoundingPolicy = DEFAULT_ROUNDING
