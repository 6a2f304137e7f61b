"""Worked examples: one small shop history, every metric checked by hand (arithmetic in comments).

The history (all UTC, EUR, prices net of tax, tax 20%):

* s1 ads, customer c1, 2026-03-02: views A and B, adds 2 x A to cart k1, checks out, order o1:
  A 2 x 10.00 = 20.00, promotion "spring" via coupon "SPR" -2.00, shipping 5.00,
  tax (20.00 - 2.00 + 5.00) x 20% = 4.60, total 27.60. On 03-04, 6.00 is refunded
  (merchandise 5.00 + tax 1.00).
* s2 email, customer c2: views A, adds 1 x A (k2), checks out, the card is declined. No order.
* s3 organic, anonymous: views B, adds B (k3). No checkout.
* s4 organic, anonymous: views C only.
* s6 email, customer c3, 2026-03-03: orders C 1 x 30.00 with no cart (tax 6.00, total 36.00),
  then cancels it and gets 36.00 back (tax 6.00).
* s5 ads, customer c1, 2026-04-05: views B, adds 3 x B (k5), checks out, order o2:
  B 3 x 5.00 = 15.00, shipping 5.00, tax 4.00, total 24.00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from commerce_core import Money, money
from commerce_core.domain.analytics import (
    AnalyticsAggregator,
    AppliedDiscount,
    CheckoutStarted,
    JourneyEvent,
    OrderCancelled,
    OrderedItem,
    OrderPlaced,
    OrderRefunded,
    PaymentFailed,
    ProductAddedToCart,
    ProductViewed,
    ReportOptions,
    SessionStarted,
    TimeRange,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
AS_OF = datetime(2026, 5, 1, tzinfo=UTC)


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def session(
    sid: str,
    channel: str,
    customer: str | None,
    at: datetime,
    steps: list[tuple[str, dict[str, object]]],
) -> list[JourneyEvent]:
    common: dict[str, object] = {"session_id": sid, "channel": channel, "customer_id": customer}
    kinds: dict[str, type[JourneyEvent]] = {
        "view": ProductViewed,
        "add": ProductAddedToCart,
        "checkout": CheckoutStarted,
        "fail": PaymentFailed,
        "order": OrderPlaced,
        "refund": OrderRefunded,
        "cancel": OrderCancelled,
    }
    events: list[JourneyEvent] = [SessionStarted(occurred_at=at, **common)]  # type: ignore[arg-type]
    for minute, (kind, fields) in enumerate(steps, start=1):
        when = fields.pop("at", at + timedelta(minutes=minute))
        events.append(kinds[kind](occurred_at=when, **common, **fields))  # type: ignore[arg-type]
    return events


def history() -> list[JourneyEvent]:
    o1 = {
        "order_id": "o1",
        "cart_id": "k1",
        "items": [OrderedItem("A", 2, eur("10.00"))],
        "discounts": [AppliedDiscount("spring", eur("2.00"), "SPR")],
        "shipping": eur("5.00"),
        "tax": eur("4.60"),
        "total": eur("27.60"),
    }
    o3 = {
        "order_id": "o3",
        "items": [OrderedItem("C", 1, eur("30.00"))],
        "shipping": eur("0.00"),
        "tax": eur("6.00"),
        "total": eur("36.00"),
    }
    o2 = {
        "order_id": "o2",
        "cart_id": "k5",
        "items": [OrderedItem("B", 3, eur("5.00"))],
        "shipping": eur("5.00"),
        "tax": eur("4.00"),
        "total": eur("24.00"),
    }
    return [
        *session(
            "s1",
            "ads",
            "c1",
            T0,
            [
                ("view", {"sku": "A"}),
                ("view", {"sku": "B"}),
                ("add", {"cart_id": "k1", "sku": "A", "quantity": 2}),
                ("checkout", {"cart_id": "k1"}),
                ("order", o1),
                (
                    "refund",
                    {
                        "at": datetime(2026, 3, 4, 9, tzinfo=UTC),
                        "order_id": "o1",
                        "amount": eur("6.00"),
                        "tax": eur("1.00"),
                        "shipping": eur("0.00"),
                    },
                ),
            ],
        ),
        *session(
            "s2",
            "email",
            "c2",
            T0 + timedelta(hours=1),
            [
                ("view", {"sku": "A"}),
                ("add", {"cart_id": "k2", "sku": "A"}),
                ("checkout", {"cart_id": "k2"}),
                ("fail", {"cart_id": "k2", "amount": eur("17.00"), "reason": "declined"}),
            ],
        ),
        *session(
            "s3",
            "organic",
            None,
            T0 + timedelta(hours=2),
            [("view", {"sku": "B"}), ("add", {"cart_id": "k3", "sku": "B"})],
        ),
        *session("s4", "organic", None, T0 + timedelta(hours=3), [("view", {"sku": "C"})]),
        *session(
            "s6",
            "email",
            "c3",
            datetime(2026, 3, 3, 9, tzinfo=UTC),
            [
                ("order", o3),
                ("cancel", {"order_id": "o3"}),
                (
                    "refund",
                    {
                        "order_id": "o3",
                        "amount": eur("36.00"),
                        "tax": eur("6.00"),
                        "shipping": eur("0.00"),
                    },
                ),
            ],
        ),
        *session(
            "s5",
            "ads",
            "c1",
            datetime(2026, 4, 5, 10, tzinfo=UTC),
            [
                ("view", {"sku": "B"}),
                ("add", {"cart_id": "k5", "sku": "B", "quantity": 3}),
                ("checkout", {"cart_id": "k5"}),
                ("order", o2),
            ],
        ),
    ]


OPTIONS = ReportOptions(
    as_of=AS_OF,
    churn_window=timedelta(days=30),
    spend={"ads": eur("14.00"), "email": eur("10.00"), "tv": eur("5.00")},
    margin=Decimal("0.5"),
    expected_lifespan=Decimal(2),
)


@pytest.fixture
def aggregator() -> AnalyticsAggregator:
    return AnalyticsAggregator("UTC", "month").extend(history())


def test_revenue_gross_net_with_and_without_tax_and_shipping(
    aggregator: AnalyticsAggregator,
) -> None:
    r = aggregator.kpis(OPTIONS).revenue
    assert r.gross_sales == eur("65.00")  # 20.00 (o1) + 15.00 (o2) + 30.00 (o3)
    assert r.discounts == eur("2.00")  # o1's coupon
    assert r.refunds == eur("35.00")  # merchandise: (6.00 - 1.00) + (36.00 - 6.00)
    assert r.net_sales == eur("28.00")  # 65.00 - 2.00 - 35.00
    assert r.shipping == eur("10.00")  # 5.00 + 5.00 + 0.00 charged, nothing refunded
    assert r.tax == eur("7.60")  # 4.60 + 4.00 + 6.00 charged - (1.00 + 6.00) refunded
    # 28.00 + 10.00 + 7.60; equally: totals 27.60 + 24.00 + 36.00 - refunds 6.00 - 36.00
    assert r.total_sales == eur("45.60")


def test_orders_units_and_average_order_value(aggregator: AnalyticsAggregator) -> None:
    k = aggregator.kpis(OPTIONS)
    assert k.orders == 3
    assert k.units == 6  # 2 A + 3 B + 1 C
    assert k.average_order_value == eur("21.00")  # (gross 65.00 - discounts 2.00) / 3 orders
    assert (k.cancelled_orders, k.refunds, k.failed_payments) == (1, 2, 1)


def test_conversion_counts_orders_and_purchasing_sessions(aggregator: AnalyticsAggregator) -> None:
    k = aggregator.kpis(OPTIONS)
    assert k.sessions == 6
    assert k.purchasing_sessions == 3  # s1, s5, s6
    assert k.order_conversion == Fraction(3, 6)  # 3 orders / 6 sessions
    assert k.session_conversion == Fraction(3, 6)  # 3 purchasing sessions / 6 sessions


def test_cart_abandonment_counts_carts_not_converted_within_the_window(
    aggregator: AnalyticsAggregator,
) -> None:
    carts = aggregator.kpis(OPTIONS).cart_abandonment
    # k1, k2, k3, k5 got an add-to-cart; k1 and k5 were ordered minutes later; k2, k3 never.
    assert (carts.started, carts.converted, carts.pending, carts.abandoned) == (4, 2, 0, 2)
    assert carts.rate == Fraction(2, 4)


def test_a_cart_still_inside_its_window_is_pending_not_abandoned(
    aggregator: AnalyticsAggregator,
) -> None:
    # Measured at T0 + 3h: k2 (added T0 + 1h02) and k3 (added T0 + 2h02) are inside their 24 h
    # windows, so they are pending; k1 and k5 were ordered minutes after their adds: converted.
    early = ReportOptions(as_of=T0 + timedelta(hours=3))
    carts = aggregator.kpis(early).cart_abandonment
    assert (carts.started, carts.converted, carts.pending, carts.abandoned) == (4, 2, 2, 0)


def test_checkout_abandonment(aggregator: AnalyticsAggregator) -> None:
    checkout = aggregator.kpis(OPTIONS).checkout_abandonment
    assert (checkout.started, checkout.converted, checkout.abandoned) == (3, 2, 1)  # k2 declined
    assert checkout.rate == Fraction(1, 3)


def test_funnel_counts_sessions_reaching_each_step_and_all_before_it(
    aggregator: AnalyticsAggregator,
) -> None:
    steps = aggregator.funnel()
    # viewed: s1 s2 s3 s4 s5; added: s1 s2 s3 s5; checkout: s1 s2 s5; purchased: s1 s5
    # (s6 bought without viewing, so it is not in the funnel)
    assert [s.sessions for s in steps] == [5, 4, 3, 2]
    assert [s.step_conversion for s in steps] == [
        Fraction(1),
        Fraction(4, 5),
        Fraction(3, 4),
        Fraction(2, 3),
    ]
    assert steps[-1].overall_conversion == Fraction(2, 5)


def test_top_products_by_revenue_with_view_to_purchase(aggregator: AnalyticsAggregator) -> None:
    products = {p.sku: p for p in aggregator.products()}
    assert [p.sku for p in aggregator.products()] == ["C", "A", "B"]  # 30.00 > 20.00 > 15.00
    assert (products["A"].revenue, products["A"].units, products["A"].views) == (
        eur("20.00"),
        2,
        2,
    )
    assert products["A"].view_to_purchase == Fraction(1, 2)  # viewed by s1, s2; bought by s1
    assert products["B"].view_to_purchase == Fraction(1, 3)  # viewed by s1, s3, s5; bought in s5
    assert products["C"].view_to_purchase == 0  # viewed in s4, bought in s6 without a view
    assert [p.sku for p in aggregator.products(top=1)] == ["C"]


def test_repeat_purchase_rate_and_historic_lifetime_value(aggregator: AnalyticsAggregator) -> None:
    k = aggregator.kpis(OPTIONS)
    assert (k.customers, k.repeat_customers) == (2, 1)  # c1 (2 orders), c3 (1); c2 never bought
    assert k.repeat_purchase_rate == Fraction(1, 2)
    values = {v.customer_id: v for v in aggregator.customer_values()}
    assert values["c1"].net_sales == eur("28.00")  # (20.00 - 2.00) + 15.00 - 5.00 refunded
    assert values["c3"].net_sales == eur("0.00")  # 30.00 - 30.00 refunded
    assert k.average_clv == eur("14.00")  # (28.00 + 0.00) / 2 customers


def test_predictive_clv_is_aov_times_frequency_times_lifespan_times_margin(
    aggregator: AnalyticsAggregator,
) -> None:
    k = aggregator.kpis(OPTIONS)
    assert k.purchase_frequency == Fraction(3, 2)  # 3 orders by known customers / 2 customers
    assert k.predictive_clv == eur("31.50")  # 21.00 x 3/2 x 2 periods x 0.5 margin


def test_churn_counts_customers_inactive_longer_than_the_window(
    aggregator: AnalyticsAggregator,
) -> None:
    k = aggregator.kpis(OPTIONS)
    # as of 05-01 with a 30-day window: c1 last ordered 04-05 (26 days) -> active;
    # c3 last ordered 03-03 (59 days) -> churned.
    assert (k.churned_customers, k.churn_rate) == (1, Fraction(1, 2))


def test_cac_roas_and_roi_per_channel_and_unknown_spend_channels(
    aggregator: AnalyticsAggregator,
) -> None:
    channels, unknown = aggregator.channels(dict(OPTIONS.spend))
    by = {c.channel: c for c in channels}
    ads, email, organic = by["ads"], by["email"], by["organic"]
    assert (ads.sessions, ads.orders, ads.new_customers) == (2, 2, 1)  # s1, s5; o1, o2; c1
    assert ads.net_sales == eur("28.00")  # 18.00 + 15.00 - 5.00 refunded
    assert ads.cac == eur("14.00")  # 14.00 spend / 1 new customer
    assert ads.roas == 2  # 28.00 / 14.00
    assert ads.roi == 1  # (28.00 - 14.00) / 14.00
    assert email.net_sales == eur("0.00")  # 30.00 - 30.00 refunded
    # email: CAC 10.00 / 1 new customer; ROAS 0.00 / 10.00; ROI (0.00 - 10.00) / 10.00
    assert (email.cac, email.roas, email.roi) == (eur("10.00"), Fraction(0), Fraction(-1))
    assert (organic.spend, organic.cac, organic.roas) == (None, None, None)
    assert unknown == ("tv",)
    margin_channels, _ = aggregator.channels(dict(OPTIONS.spend), Decimal("0.5"))
    assert {c.channel: c for c in margin_channels}["ads"].roi == 0  # (28 x 0.5 - 14) / 14


def test_promotion_and_coupon_performance(aggregator: AnalyticsAggregator) -> None:
    (promotion,) = aggregator.promotions()
    (coupon,) = aggregator.coupons()
    assert (promotion.key, promotion.orders, promotion.discount, promotion.net_sales) == (
        "spring",
        1,
        eur("2.00"),
        eur("18.00"),  # o1: 20.00 - 2.00
    )
    assert (coupon.key, coupon.orders, coupon.discount) == ("SPR", 1, eur("2.00"))


def test_retention_matrix_by_first_purchase_month(aggregator: AnalyticsAggregator) -> None:
    (march,) = aggregator.retention()
    # c1 ordered in March and April, c3 only in March: both are in the March cohort.
    assert (march.cohort, march.customers) == ("2026-03", 2)
    assert march.retention == (Fraction(1), Fraction(1, 2))


def test_series_buckets_sessions_orders_and_net_sales_by_month(
    aggregator: AnalyticsAggregator,
) -> None:
    march, april = aggregator.series()
    assert (march.label, march.sessions, march.orders) == ("2026-03", 5, 2)
    assert march.net_sales == eur("13.00")  # o1 18.00 + o3 30.00 - refunds 5.00 - 30.00
    assert (april.label, april.sessions, april.orders, april.net_sales) == (
        "2026-04",
        1,
        1,
        eur("15.00"),
    )


def test_an_empty_aggregate_reports_zeros_without_dividing_by_zero() -> None:
    march = TimeRange.parse("2026-03-01", "2026-04-01")
    dashboard = AnalyticsAggregator(period=march).dashboard(
        ReportOptions(period=march, spend={"ads": eur("9")})
    )
    k = dashboard.kpis
    assert (k.orders, k.sessions, k.customers) == (0, 0, 0)
    assert k.order_conversion == k.session_conversion == k.churn_rate == 0
    assert k.average_order_value.amount == 0
    assert all(step.sessions == 0 for step in dashboard.funnel)
    assert len(dashboard.series) == 31  # every day of March, filled with zeros
    assert dashboard.unknown_spend_channels == ("ads",)
    assert "Sales dashboard" in dashboard.render_text()
    assert dashboard.to_dict()["kpis"]["orders"] == 0


def test_dashboard_to_dict_is_json_with_money_as_exact_strings(
    aggregator: AnalyticsAggregator,
) -> None:
    data = aggregator.dashboard(OPTIONS).to_dict()
    assert data["kpis"]["revenue"]["total_sales"] == {"amount": "45.60", "currency": "EUR"}
    assert data["kpis"]["order_conversion"] == "0.500000"
    assert data["unknown_spend_channels"] == ["tv"]
    assert '"45.60"' in aggregator.dashboard(OPTIONS).to_json()


def test_comparison_with_the_previous_period() -> None:
    april_range = TimeRange.parse("2026-04-01", "2026-05-01")
    before_april = TimeRange(end=datetime(2026, 4, 1, tzinfo=UTC))
    march = AnalyticsAggregator(period=before_april).extend(history())
    april = AnalyticsAggregator(period=april_range).extend(history())
    options = ReportOptions(period=april_range)
    changes = april.dashboard(options, previous=march).changes()
    assert changes["orders"] == Fraction(1 - 2, 2)  # April 1 order vs March 2
    assert changes["net_sales"] == Fraction(1500 - 1300, 1300)  # 15.00 vs 13.00
    assert changes["sessions"] == Fraction(1 - 5, 5)
    empty_april = AnalyticsAggregator(period=april_range)
    assert empty_april.dashboard(options, previous=march).changes()["orders"] == -1
    assert march.dashboard(previous=AnalyticsAggregator()).changes()["orders"] is None
