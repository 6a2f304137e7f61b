"""The one aggregation mechanism: an incremental, mergeable accumulator of journey events.

:class:`AnalyticsAggregator` keeps counters and per-key state (sessions, carts, products,
customers, channels, promotions, time buckets) in integer minor units. ``add`` costs amortised
O(1) per event (O(items) for an order); any snapshot can be taken at any time; two aggregators
built from two parts of a stream ``merge`` into exactly the aggregator of the whole stream,
because every piece of state is combined by a commutative, associative operation (sum, min, max,
set union, bitwise or). The batch report streams a file through this same class.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Final, TypeVar

from moneyed import Money

from commerce_core.domain.analytics.dashboard import Dashboard
from commerce_core.domain.analytics.events import (
    CheckoutStarted,
    JourneyEvent,
    LineProblem,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    PaymentFailed,
    ProductAddedToCart,
    ProductRemovedFromCart,
    ProductViewed,
    SessionStarted,
)
from commerce_core.domain.analytics.metrics import (
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
    fraction_money,
    ratio,
)
from commerce_core.domain.analytics.timeframe import (
    Bucket,
    BucketIndex,
    TimeRange,
    bucket_label,
    bucket_overlaps,
    bucket_starts,
    resolve_zone,
)
from commerce_core.errors import CurrencyMismatchError, InvalidTimeRangeError, UnknownBucketError
from commerce_core.money import from_minor, minor_units

__all__ = ["AnalyticsAggregator", "FUNNEL_STEPS"]

_CONTEXT: Final = decimal.Context(prec=50, traps=[])
_INF: Final = float("inf")

# Session flags (bitwise or merges them).
_STARTED, _VIEWED, _ADDED, _CHECKOUT, _PURCHASED = 1, 2, 4, 8, 16
FUNNEL_STEPS: Final = ("viewed", "added_to_cart", "checkout", "purchased")
"""The funnel's step names, in order."""
_FUNNEL_MASKS: Final = (
    _VIEWED,
    _VIEWED | _ADDED,
    _VIEWED | _ADDED | _CHECKOUT,
    _VIEWED | _ADDED | _CHECKOUT | _PURCHASED,
)

# Indices into the small mutable lists that hold per-key state.
_CART_ADD, _CART_CHECKOUT, _CART_ORDER = 0, 1, 2
_P_VIEWS, _P_UNITS, _P_REVENUE = 0, 1, 2
_C_ORDERS, _C_NET, _C_FIRST, _C_LAST = 0, 1, 2, 3
_CH_SESSIONS, _CH_ORDERS, _CH_NET = 0, 1, 2
_S_SESSIONS, _S_ORDERS, _S_NET = 0, 1, 2
_PR_ORDERS, _PR_DISCOUNT, _PR_NET = 0, 1, 2


K = TypeVar("K", str, int)


def _add_rows(mine: dict[K, list[int]], theirs: dict[K, list[int]]) -> None:
    for key, values in theirs.items():
        row = mine.get(key)
        if row is None:
            mine[key] = list(values)
        else:
            for i, value in enumerate(values):
                row[i] += value


class _Product:
    __slots__ = ("counts", "purchasers", "viewers")

    def __init__(self) -> None:
        self.counts = [0, 0, 0]  # views, units, revenue (minor units)
        self.viewers: set[str] = set()
        self.purchasers: set[str] = set()


class _Customer:
    __slots__ = ("first_channel", "months", "nums")

    def __init__(self) -> None:
        # orders, net sales (minor), first order ts, last order ts
        self.nums: list[float] = [0, 0, _INF, -_INF]
        self.first_channel = ""
        self.months: set[int] = set()


class AnalyticsAggregator:
    """Accumulates journey events into every KPI of a report.

    Args:
        zone: the IANA time zone of buckets and cohort months (name or tzinfo).
        bucket: the width of the time series buckets.
        currency: the report currency; by default the first money event's currency.
        period: the range accumulated; events outside it are counted in :attr:`outside` and
            otherwise ignored, exactly as the batch report filters them. A report of a period
            needs an aggregator of that period (the default accumulates all time).

    Raises:
        UnknownTimeZoneError: ``zone`` is unknown.
        UnknownBucketError: ``bucket`` is not hour, day, week or month.
    """

    def __init__(
        self,
        zone: str | tzinfo = "UTC",
        bucket: Bucket | str = Bucket.DAY,
        currency: str | None = None,
        period: TimeRange | None = None,
    ) -> None:
        self.period = period if period is not None else TimeRange()
        self.outside = 0
        self.zone = resolve_zone(zone)
        try:
            self.bucket = Bucket(bucket)
        except ValueError:
            raise UnknownBucketError(bucket) from None
        self._currency = currency.upper() if currency else None
        self._exponent = minor_units(self._currency) if self._currency else 0
        self._index = BucketIndex(self.zone, self.bucket)
        self.events = 0
        self._max_ts = -_INF
        # counters: orders, units, gross, discounts, shipping, tax, refunds count,
        # refunded merchandise, refunded tax, refunded shipping, cancelled, failed payments,
        # removed units
        self._n = [0] * 13
        self._sessions: dict[str, int] = {}
        self._carts: dict[str, list[float]] = {}
        self._products: dict[str, _Product] = {}
        self._customers: dict[str, _Customer] = {}
        self._channels: dict[str, list[int]] = {}
        self._promotions: dict[str, list[int]] = {}
        self._coupons: dict[str, list[int]] = {}
        self._series: dict[int, list[int]] = {}
        self._handlers: dict[type, Callable[[JourneyEvent, float], None]] = {
            SessionStarted: self._session,  # type: ignore[dict-item]
            ProductViewed: self._viewed,  # type: ignore[dict-item]
            ProductAddedToCart: self._added,  # type: ignore[dict-item]
            ProductRemovedFromCart: self._removed,  # type: ignore[dict-item]
            CheckoutStarted: self._checkout,  # type: ignore[dict-item]
            PaymentFailed: self._payment_failed,
            OrderPlaced: self._order,  # type: ignore[dict-item]
            OrderRefunded: self._refund,  # type: ignore[dict-item]
            OrderCancelled: self._cancelled,
        }

    # --- feeding ---------------------------------------------------------------------------

    @property
    def currency(self) -> str | None:
        """The report currency (``None`` until a money event or an explicit currency)."""
        return self._currency

    def add(self, event: JourneyEvent) -> None:
        """Account for one event (amortised O(1); O(items) for an order).

        Raises:
            CurrencyMismatchError: a money event in another currency (nothing is changed).
        """
        handler = self._handlers.get(type(event))
        if handler is None:
            for cls, candidate in self._handlers.items():
                if isinstance(event, cls):
                    handler = candidate
                    break
            else:
                msg = f"not a journey event: {type(event).__name__}"
                raise TypeError(msg)
        if not self.period.contains(event.occurred_at):
            self.outside += 1
            return
        ts = event.occurred_at.timestamp()
        handler(event, ts)
        self.events += 1
        self._max_ts = max(self._max_ts, ts)

    def extend(self, events: Iterable[JourneyEvent]) -> AnalyticsAggregator:
        """Add every event; returns ``self`` for chaining."""
        add = self.add
        for event in events:
            add(event)
        return self

    def _units(self, amount: Money) -> int:
        code = amount.currency.code
        if self._currency is None:
            self._currency = code
            self._exponent = minor_units(code)
        elif code != self._currency:
            raise CurrencyMismatchError(self._currency, code, context="analytics aggregator")
        return int(amount.amount.scaleb(self._exponent, _CONTEXT))

    def _bucket(self, ts: float) -> list[int]:
        start = self._index(ts)[0]
        row = self._series.get(start)
        if row is None:
            row = self._series[start] = [0, 0, 0]
        return row

    def _channel(self, name: str) -> list[int]:
        row = self._channels.get(name)
        if row is None:
            row = self._channels[name] = [0, 0, 0]
        return row

    def _cart(self, cart_id: str) -> list[float]:
        cart = self._carts.get(cart_id)
        if cart is None:
            cart = self._carts[cart_id] = [_INF, _INF, _INF]
        return cart

    def _product(self, sku: str) -> _Product:
        product = self._products.get(sku)
        if product is None:
            product = self._products[sku] = _Product()
        return product

    def _customer(self, customer_id: str) -> _Customer:
        customer = self._customers.get(customer_id)
        if customer is None:
            customer = self._customers[customer_id] = _Customer()
        return customer

    def _flag(self, session_id: str, flag: int) -> None:
        sessions = self._sessions
        sessions[session_id] = sessions.get(session_id, 0) | flag

    def _session(self, event: SessionStarted, ts: float) -> None:
        self._flag(event.session_id, _STARTED)
        self._channel(event.channel)[_CH_SESSIONS] += 1
        self._bucket(ts)[_S_SESSIONS] += 1

    def _viewed(self, event: ProductViewed, _ts: float) -> None:
        self._flag(event.session_id, _VIEWED)
        product = self._product(event.sku)
        product.counts[_P_VIEWS] += 1
        product.viewers.add(event.session_id)

    def _added(self, event: ProductAddedToCart, ts: float) -> None:
        self._flag(event.session_id, _ADDED)
        cart = self._cart(event.cart_id)
        cart[_CART_ADD] = min(cart[_CART_ADD], ts)

    def _removed(self, event: ProductRemovedFromCart, _ts: float) -> None:
        self._n[12] += event.quantity

    def _checkout(self, event: CheckoutStarted, ts: float) -> None:
        self._flag(event.session_id, _CHECKOUT)
        cart = self._cart(event.cart_id)
        cart[_CART_CHECKOUT] = min(cart[_CART_CHECKOUT], ts)

    def _payment_failed(self, event: JourneyEvent, _ts: float) -> None:
        assert isinstance(event, PaymentFailed)  # noqa: S101 - dispatched by type
        self._units(event.amount)
        self._n[11] += 1

    def _cancelled(self, _event: JourneyEvent, _ts: float) -> None:
        self._n[10] += 1

    def _order(self, event: OrderPlaced, ts: float) -> None:
        units = self._units
        units(event.total)  # checks the currency before anything changes
        shipping = units(event.shipping)
        tax = units(event.tax)
        lines = [
            (
                i.sku,
                i.quantity,
                units(i.unit_price) * i.quantity if i.net_total is None else units(i.net_total),
            )
            for i in event.items
        ]
        applied = [(d.promotion_id, d.coupon_code, units(d.amount)) for d in event.discounts]
        subtotal = sum(line[2] for line in lines)
        discount = sum(d[2] for d in applied)
        net = subtotal - discount
        n = self._n
        n[0] += 1
        n[1] += sum(line[1] for line in lines)
        n[2] += subtotal
        n[3] += discount
        n[4] += shipping
        n[5] += tax
        session_id = event.session_id
        self._flag(session_id, _PURCHASED)
        if event.cart_id is not None:
            cart = self._cart(event.cart_id)
            cart[_CART_ORDER] = min(cart[_CART_ORDER], ts)
        for sku, quantity, revenue in lines:
            product = self._product(sku)
            product.counts[_P_UNITS] += quantity
            product.counts[_P_REVENUE] += revenue
            product.purchasers.add(session_id)
        channel = self._channel(event.channel)
        channel[_CH_ORDERS] += 1
        channel[_CH_NET] += net
        start, month = self._index(ts)
        row = self._series.get(start)
        if row is None:
            row = self._series[start] = [0, 0, 0]
        row[_S_ORDERS] += 1
        row[_S_NET] += net
        if event.customer_id is not None:
            customer = self._customer(event.customer_id)
            nums = customer.nums
            nums[_C_ORDERS] += 1
            nums[_C_NET] += net
            if ts < nums[_C_FIRST] or (
                ts == nums[_C_FIRST] and event.channel < customer.first_channel
            ):
                nums[_C_FIRST] = ts
                customer.first_channel = event.channel
            nums[_C_LAST] = max(nums[_C_LAST], ts)
            customer.months.add(month)
        if applied:
            self._count_promotions(applied, net)

    def _count_promotions(self, applied: list[tuple[str, str | None, int]], net: int) -> None:
        # An order counts once per promotion (and per coupon) however many discounts it got.
        promotions = {d[0]: 0 for d in applied}
        coupons = {d[1]: 0 for d in applied if d[1] is not None}
        for promotion_id, coupon, amount in applied:
            promotions[promotion_id] += amount
            if coupon is not None:
                coupons[coupon] += amount
        for table, granted in ((self._promotions, promotions), (self._coupons, coupons)):
            for key, amount in granted.items():
                stats = table.get(key)
                if stats is None:
                    stats = table[key] = [0, 0, 0]
                stats[_PR_ORDERS] += 1
                stats[_PR_DISCOUNT] += amount
                stats[_PR_NET] += net

    def _refund(self, event: OrderRefunded, ts: float) -> None:
        amount = self._units(event.amount)
        tax = self._units(event.tax)
        shipping = self._units(event.shipping)
        merchandise = amount - tax - shipping
        n = self._n
        n[6] += 1
        n[7] += merchandise
        n[8] += tax
        n[9] += shipping
        self._channel(event.channel)[_CH_NET] -= merchandise
        self._bucket(ts)[_S_NET] -= merchandise
        if event.customer_id is not None:
            self._customer(event.customer_id).nums[_C_NET] -= merchandise

    # --- merging ---------------------------------------------------------------------------

    def merge(self, other: AnalyticsAggregator) -> AnalyticsAggregator:
        """A new aggregator equal to one fed both streams; ``self`` and ``other`` are unchanged.

        Raises:
            ValueError: the two use different zones or buckets.
            InvalidTimeRangeError: they accumulate different periods.
            CurrencyMismatchError: they hold different currencies.
        """
        if str(self.zone) != str(other.zone) or self.bucket is not other.bucket:
            msg = "cannot merge aggregators with different zones or buckets"
            raise ValueError(msg)
        if self.period != other.period:
            raise InvalidTimeRangeError(other.period, f"cannot merge into {self.period}")
        if self._currency and other._currency and self._currency != other._currency:
            raise CurrencyMismatchError(self._currency, other._currency, context="merge")
        merged = AnalyticsAggregator(
            self.zone, self.bucket, self._currency or other._currency, self.period
        )
        merged._absorb(self)
        merged._absorb(other)
        return merged

    def _absorb(self, other: AnalyticsAggregator) -> None:
        self.events += other.events
        self.outside += other.outside
        self._max_ts = max(self._max_ts, other._max_ts)
        self._n = [a + b for a, b in zip(self._n, other._n, strict=True)]
        sessions = self._sessions
        for key, flags in other._sessions.items():
            sessions[key] = sessions.get(key, 0) | flags
        for key, times in other._carts.items():
            cart = self._cart(key)
            for i in range(3):
                cart[i] = min(cart[i], times[i])
        for sku, theirs in other._products.items():
            product = self._product(sku)
            for i in range(3):
                product.counts[i] += theirs.counts[i]
            product.viewers |= theirs.viewers
            product.purchasers |= theirs.purchasers
        for key, them in other._customers.items():
            customer = self._customer(key)
            nums, their = customer.nums, them.nums
            nums[_C_ORDERS] += their[_C_ORDERS]
            nums[_C_NET] += their[_C_NET]
            if their[_C_FIRST] < nums[_C_FIRST] or (
                their[_C_FIRST] == nums[_C_FIRST] and them.first_channel < customer.first_channel
            ):
                nums[_C_FIRST] = their[_C_FIRST]
                customer.first_channel = them.first_channel
            nums[_C_LAST] = max(nums[_C_LAST], their[_C_LAST])
            customer.months |= them.months
        _add_rows(self._channels, other._channels)
        _add_rows(self._promotions, other._promotions)
        _add_rows(self._coupons, other._coupons)
        _add_rows(self._series, other._series)

    # --- reading ---------------------------------------------------------------------------

    @property
    def latest(self) -> datetime | None:
        """The latest event time seen (``None`` before any event)."""
        return None if self._max_ts == -_INF else datetime.fromtimestamp(self._max_ts, UTC)

    def _report_currency(self) -> str:
        return self._currency or "XXX"

    def _m(self, units: int) -> Money:
        return from_minor(units, self._report_currency())

    def _period(self, options: ReportOptions) -> TimeRange:
        """The period a report covers: the aggregator's own.

        ``options.period`` may be left open (all time) or equal the aggregator's period; any
        other period is refused rather than silently reported over events outside it.
        """
        if options.period == TimeRange() or options.period == self.period:
            return self.period
        raise InvalidTimeRangeError(
            options.period,
            f"this aggregator accumulates {self.period}; build an AnalyticsAggregator("
            "period=...) of the reported period (as the batch report does)",
        )

    def _as_of(self, options: ReportOptions) -> float | None:
        if options.as_of is not None:
            return options.as_of.timestamp()
        period = self._period(options)
        if period.end is not None:
            return period.end.timestamp()
        return None if self._max_ts == -_INF else self._max_ts

    def _abandonment(self, step: int, window: float, as_of: float | None) -> AbandonmentStats:
        started = converted = pending = 0
        for cart in self._carts.values():
            began = cart[step]
            if began == _INF:
                continue
            started += 1
            if cart[_CART_ORDER] - began <= window:
                converted += 1
            elif as_of is not None and as_of < began + window:
                pending += 1
        return AbandonmentStats(started, converted, pending, started - converted - pending)

    def kpis(self, options: ReportOptions | None = None) -> Kpis:
        """The headline KPIs (see the Analytics docs page for each formula).

        Raises:
            InvalidTimeRangeError: ``options.period`` is not this aggregator's period.
        """
        options = options or ReportOptions()
        self._period(options)
        currency = self._report_currency()
        m = self._m
        n = self._n
        orders, units, gross, discounts, shipping, tax = n[0], n[1], n[2], n[3], n[4], n[5]
        refunded, refund_tax, refund_shipping = n[7], n[8], n[9]
        net = gross - discounts - refunded
        revenue = Revenue(
            gross_sales=m(gross),
            discounts=m(discounts),
            refunds=m(refunded),
            net_sales=m(net),
            shipping=m(shipping - refund_shipping),
            tax=m(tax - refund_tax),
            total_sales=m(net + shipping - refund_shipping + tax - refund_tax),
        )
        sessions = purchasing = 0
        for flags in self._sessions.values():
            if flags & _STARTED:
                sessions += 1
                if flags & _PURCHASED:
                    purchasing += 1
        as_of = self._as_of(options)
        churn_seconds = options.churn_window.total_seconds()
        buyers = repeat = churned = known_orders = customer_net = 0
        for customer in self._customers.values():
            nums = customer.nums
            if nums[_C_ORDERS] <= 0:
                continue
            buyers += 1
            known_orders += int(nums[_C_ORDERS])
            customer_net += int(nums[_C_NET])
            if nums[_C_ORDERS] >= 2:
                repeat += 1
            if as_of is not None and as_of - nums[_C_LAST] > churn_seconds:
                churned += 1
        aov = ratio(gross - discounts, orders)
        frequency = ratio(known_orders, buyers)
        margin = Fraction(options.margin) if options.margin is not None else Fraction(1)
        predictive = aov * frequency * Fraction(options.expected_lifespan) * margin
        return Kpis(
            revenue=revenue,
            orders=orders,
            units=units,
            sessions=sessions,
            purchasing_sessions=purchasing,
            customers=buyers,
            repeat_customers=repeat,
            churned_customers=churned,
            cancelled_orders=n[10],
            refunds=n[6],
            failed_payments=n[11],
            average_order_value=fraction_money(aov, currency, options.rounding),
            order_conversion=ratio(orders, sessions),
            session_conversion=ratio(purchasing, sessions),
            cart_abandonment=self._abandonment(
                _CART_ADD, options.cart_window.total_seconds(), as_of
            ),
            checkout_abandonment=self._abandonment(
                _CART_CHECKOUT, options.checkout_window.total_seconds(), as_of
            ),
            repeat_purchase_rate=ratio(repeat, buyers),
            churn_rate=ratio(churned, buyers),
            purchase_frequency=frequency,
            average_clv=fraction_money(ratio(customer_net, buyers), currency, options.rounding),
            predictive_clv=fraction_money(predictive, currency, options.rounding),
        )

    def funnel(self) -> tuple[FunnelStep, ...]:
        """Sessions reaching each step (and every step before it), with step conversions."""
        counts = [0, 0, 0, 0]
        for flags in self._sessions.values():
            for i, mask in enumerate(_FUNNEL_MASKS):
                if flags & mask != mask:
                    break
                counts[i] += 1
        steps = []
        for i, name in enumerate(FUNNEL_STEPS):
            previous = counts[i - 1] if i else counts[0]
            steps.append(
                FunnelStep(name, counts[i], ratio(counts[i], previous), ratio(counts[i], counts[0]))
            )
        return tuple(steps)

    def products(self, top: int | None = None) -> tuple[ProductPerformance, ...]:
        """Products by revenue (then units, then SKU), with view-to-purchase rates."""
        rows = sorted(
            self._products.items(),
            key=lambda kv: (-kv[1].counts[_P_REVENUE], -kv[1].counts[_P_UNITS], kv[0]),
        )
        if top is not None:
            rows = rows[:top]
        return tuple(
            ProductPerformance(
                sku=sku,
                revenue=self._m(p.counts[_P_REVENUE]),
                units=p.counts[_P_UNITS],
                views=p.counts[_P_VIEWS],
                viewing_sessions=len(p.viewers),
                view_to_purchase=ratio(len(p.viewers & p.purchasers), len(p.viewers)),
            )
            for sku, p in rows
        )

    def channels(
        self, spend: dict[str, Money] | None = None, margin: Decimal | None = None
    ) -> tuple[tuple[ChannelPerformance, ...], tuple[str, ...]]:
        """Per-channel performance, and the spend channels never seen in the events.

        Raises:
            CurrencyMismatchError: a spend amount is not in the report currency.
        """
        spend = dict(spend or {})
        currency = self._report_currency()
        for amount in spend.values():
            if self._currency is not None and amount.currency.code != currency:
                raise CurrencyMismatchError(currency, amount.currency.code, context="spend")
        new_customers: dict[str, int] = {}
        for customer in self._customers.values():
            if customer.nums[_C_ORDERS] > 0:
                key = customer.first_channel
                new_customers[key] = new_customers.get(key, 0) + 1
        factor = Fraction(margin) if margin is not None else Fraction(1)
        rows = []
        for name in sorted(self._channels, key=lambda c: (-self._channels[c][_CH_NET], c)):
            sessions, orders, net = self._channels[name]
            acquired = new_customers.get(name, 0)
            cost = spend.get(name)
            cac = roas = roi = None
            if cost is not None:
                cost_units = self._units_of(cost)
                if acquired:
                    cac = fraction_money(ratio(cost_units, acquired), currency)
                if cost_units:
                    roas = ratio(net, cost_units)
                    roi = (Fraction(net) * factor - cost_units) / cost_units
            rows.append(
                ChannelPerformance(
                    channel=name,
                    sessions=sessions,
                    orders=orders,
                    net_sales=self._m(net),
                    new_customers=acquired,
                    spend=cost,
                    cac=cac,
                    roas=roas,
                    roi=roi,
                )
            )
        unknown = tuple(sorted(set(spend) - set(self._channels)))
        return tuple(rows), unknown

    def _units_of(self, amount: Money) -> int:
        return int(amount.amount.scaleb(minor_units(amount.currency.code), _CONTEXT))

    def _promotion_rows(self, table: dict[str, list[int]]) -> tuple[PromotionPerformance, ...]:
        return tuple(
            PromotionPerformance(key, v[_PR_ORDERS], self._m(v[_PR_DISCOUNT]), self._m(v[_PR_NET]))
            for key, v in sorted(table.items(), key=lambda kv: (-kv[1][_PR_DISCOUNT], kv[0]))
        )

    def promotions(self) -> tuple[PromotionPerformance, ...]:
        """Per promotion: orders, discount granted and those orders' net sales."""
        return self._promotion_rows(self._promotions)

    def coupons(self) -> tuple[PromotionPerformance, ...]:
        """Per coupon code: orders, discount granted and those orders' net sales."""
        return self._promotion_rows(self._coupons)

    def retention(self) -> tuple[CohortRow, ...]:
        """First-purchase-month cohorts and the share of each that ordered k months later."""
        cohorts: dict[int, list[set[int]]] = {}
        last = None
        for customer in self._customers.values():
            if customer.nums[_C_ORDERS] <= 0 or not customer.months:
                continue
            first = min(customer.months)
            cohorts.setdefault(first, []).append(customer.months)
            top = max(customer.months)
            last = top if last is None else max(last, top)
        rows = []
        for first in sorted(cohorts):
            members = cohorts[first]
            assert last is not None  # noqa: S101 - set whenever a cohort exists
            shares = tuple(
                ratio(sum(1 for months in members if first + k in months), len(members))
                for k in range(last - first + 1)
            )
            rows.append(CohortRow(f"{first // 12:04d}-{first % 12 + 1:02d}", len(members), shares))
        return tuple(rows)

    def series(self, period: TimeRange | None = None) -> tuple[SeriesPoint, ...]:
        """Sessions, orders and net sales per bucket overlapping ``period``.

        Only buckets overlapping the period are listed (all of them without a period), and a
        bounded period's gaps are filled with 0.
        """
        starts = set(self._series)
        if period is not None:
            starts = {s for s in starts if bucket_overlaps(s, period, self.zone, self.bucket)}
            starts.update(bucket_starts(period, self.zone, self.bucket))
        points = []
        for start in sorted(starts):
            sessions, orders, net = self._series.get(start, (0, 0, 0))
            points.append(
                SeriesPoint(
                    label=bucket_label(start, self.zone, self.bucket),
                    start=datetime.fromtimestamp(start, UTC),
                    sessions=sessions,
                    orders=orders,
                    net_sales=self._m(net),
                )
            )
        return tuple(points)

    def customer_values(self, top: int | None = None) -> tuple[CustomerValue, ...]:
        """Historic CLV per customer who ordered, highest first."""
        rows = sorted(
            (
                (customer_id, int(c.nums[_C_ORDERS]), int(c.nums[_C_NET]))
                for customer_id, c in self._customers.items()
                if c.nums[_C_ORDERS] > 0
            ),
            key=lambda r: (-r[2], r[0]),
        )
        if top is not None:
            rows = rows[:top]
        return tuple(CustomerValue(cid, orders, self._m(net)) for cid, orders, net in rows)

    def dashboard(
        self,
        options: ReportOptions | None = None,
        *,
        previous: AnalyticsAggregator | None = None,
        problems: Iterable[LineProblem] = (),
    ) -> Dashboard:
        """A snapshot of every KPI now, as a :class:`Dashboard`.

        Args:
            options: the period, windows, spend and rounding of the report.
            previous: an aggregator of the previous period, for the comparison (its KPIs are
                those of its own period).
            problems: input lines that were skipped, to show in the report.

        Raises:
            InvalidTimeRangeError: ``options.period`` is not this aggregator's period.
        """
        options = options or ReportOptions()
        period = self._period(options)
        channels, unknown = self.channels(dict(options.spend), options.margin)
        previous_kpis = None
        if previous is not None:
            if previous.currency is None and self._currency:
                previous = AnalyticsAggregator(
                    previous.zone, previous.bucket, self._currency, previous.period
                ).merge(previous)
            previous_options = options
            if options.period.bounded or previous.period != period:
                previous_options = ReportOptions(
                    period=previous.period,
                    cart_window=options.cart_window,
                    checkout_window=options.checkout_window,
                    churn_window=options.churn_window,
                    margin=options.margin,
                    expected_lifespan=options.expected_lifespan,
                    rounding=options.rounding,
                )
            previous_kpis = previous.kpis(previous_options)
        as_of = self._as_of(options)
        return Dashboard(
            currency=self._report_currency(),
            zone=str(self.zone),
            bucket=self.bucket,
            period=period,
            as_of=None if as_of is None else datetime.fromtimestamp(as_of, UTC),
            events=self.events,
            kpis=self.kpis(options),
            previous=previous_kpis,
            funnel=self.funnel(),
            products=self.products(options.top),
            channels=channels,
            promotions=self.promotions(),
            coupons=self.coupons(),
            retention=self.retention(),
            series=self.series(period),
            top_customers=self.customer_values(options.top),
            unknown_spend_channels=unknown,
            problems=tuple(problems),
        )
