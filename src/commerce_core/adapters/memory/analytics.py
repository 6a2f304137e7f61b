"""In-memory analytics sinks: one that keeps the events, one that keeps a live aggregate."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, NamedTuple

from moneyed import Currency, Money

from commerce_core.domain.analytics.aggregator import AnalyticsAggregator
from commerce_core.domain.analytics.dashboard import Dashboard
from commerce_core.domain.analytics.events import (
    AppliedDiscount,
    DiscountParts,
    ItemParts,
    JourneyEvent,
    OrderedItem,
    OrderPlaced,
    build_order_placed,
)
from commerce_core.domain.analytics.metrics import ReportOptions

__all__ = ["InMemoryAnalyticsSink", "AggregatingAnalyticsSink"]


class _PackedOrder(NamedTuple):
    """An ``OrderPlaced`` as the sink keeps it: its values, the amounts as ``Decimal``.

    One tuple for the whole event (plus the tuples of its items and of its discounts, the
    empty tuple when it has none), where the event itself is some fourteen objects: see
    :func:`_pack`.
    """

    occurred_at: datetime
    session_id: str
    channel: str
    customer_id: str | None
    order_id: str
    cart_id: str | None
    currency: Currency
    """The currency of every amount."""
    total: Decimal
    shipping: Decimal
    tax: Decimal
    items: tuple[Any, ...]
    """Each item's sku, quantity, unit price and net total (or None): one item after another,
    :data:`_ITEM_WIDTH` values each (no tuple per item)."""
    discounts: tuple[Any, ...]
    """Each discount's promotion id, amount and coupon code: :data:`_DISCOUNT_WIDTH` values
    each, one discount after another."""


_ITEM_WIDTH: Final = 4
_DISCOUNT_WIDTH: Final = 3


def _pack(event: OrderPlaced) -> _PackedOrder | None:
    """``event`` as one tuple of its values, or None when :func:`_unpack` could not rebuild it.

    Its 14 objects (the event, its items and discount, their tuples, seven ``Money``) become two
    or three tuples: an ``OrderPlaced`` holds amounts in one currency (it checks it), so the
    amounts are kept as their ``Decimal`` and the currency once. Only an event of the library's
    own classes is packed (``OrderPlaced``, ``OrderedItem``, ``AppliedDiscount`` and ``Money``
    exactly): a host's subclass may hold more than these values, so an event holding one is
    kept as it is.
    """
    total = event.total
    currency = total.currency
    amounts = [total, event.shipping, event.tax]
    items: list[Any] = []
    for item in event.items:
        if type(item) is not OrderedItem:
            return None
        unit, net = item.unit_price, item.net_total
        amounts.append(unit)
        if net is not None:
            amounts.append(net)
        items += (item.sku, item.quantity, unit.amount, None if net is None else net.amount)
    discounts: list[Any] = []
    for discount in event.discounts:
        if type(discount) is not AppliedDiscount:
            return None
        discounts += (discount.promotion_id, discount.amount.amount, discount.coupon_code)
        amounts.append(discount.amount)
    for amount in amounts:
        if type(amount) is not Money or amount.currency is not currency:
            return None  # a rebuild would not give this very value
    return _PackedOrder(
        event.occurred_at,
        event.session_id,
        event.channel,
        event.customer_id,
        event.order_id,
        event.cart_id,
        currency,
        total.amount,
        event.shipping.amount,
        event.tax.amount,
        tuple(items),
        tuple(discounts),
    )


def _unpack(packed: _PackedOrder) -> OrderPlaced:
    """The ``OrderPlaced`` that :func:`_pack` was given (an equal one, of the same classes)."""
    currency = packed.currency
    items: list[ItemParts] = []
    flat_items = packed.items
    for start in range(0, len(flat_items), _ITEM_WIDTH):
        sku, quantity, unit, net = flat_items[start : start + _ITEM_WIDTH]
        items.append(
            (sku, quantity, Money(unit, currency), None if net is None else Money(net, currency))
        )
    discounts: list[DiscountParts] = []
    flat_discounts = packed.discounts
    for start in range(0, len(flat_discounts), _DISCOUNT_WIDTH):
        promotion_id, amount, code = flat_discounts[start : start + _DISCOUNT_WIDTH]
        discounts.append((promotion_id, Money(amount, currency), code))
    return build_order_placed(
        occurred_at=packed.occurred_at,
        session_id=packed.session_id,
        channel=packed.channel,
        customer_id=packed.customer_id,
        order_id=packed.order_id,
        cart_id=packed.cart_id,
        items=items,
        discounts=discounts,
        shipping=Money(packed.shipping, currency),
        tax=Money(packed.tax, currency),
        total=Money(packed.total, currency),
    )


class InMemoryAnalyticsSink:
    """Keeps every recorded event in order (thread-safe); for tests, examples and the demo.

    An ``OrderPlaced`` is kept as one tuple of its values (:func:`_pack`) and built again when
    :attr:`events` is read: an equal event, holding equal ``Money`` (a sink keeping every sale
    of a busy shop keeps two or three objects per sale rather than fourteen).
    """

    def __init__(self) -> None:
        self._events: list[JourneyEvent | _PackedOrder] = []
        self._lock = threading.Lock()

    def record(self, event: JourneyEvent) -> None:
        """Append ``event``."""
        kept: JourneyEvent | _PackedOrder | None = None
        if type(event) is OrderPlaced:
            kept = _pack(event)
        with self._lock:
            self._events.append(event if kept is None else kept)

    @property
    def events(self) -> tuple[JourneyEvent, ...]:
        """Everything recorded so far, in order."""
        with self._lock:
            kept = tuple(self._events)
        return tuple([_unpack(e) if isinstance(e, _PackedOrder) else e for e in kept])

    def clear(self) -> None:
        """Forget every event."""
        with self._lock:
            self._events.clear()


class AggregatingAnalyticsSink:
    """A real-time sink feeding a live aggregate.

    Every recorded event updates an :class:`AnalyticsAggregator` at once (amortised O(1)), and
    :meth:`dashboard` snapshots it at any moment. Thread-safe.

    Args:
        aggregator: the aggregator to feed (a fresh UTC, daily one by default).
    """

    def __init__(self, aggregator: AnalyticsAggregator | None = None) -> None:
        self._aggregator = aggregator if aggregator is not None else AnalyticsAggregator()
        self._lock = threading.Lock()

    def record(self, event: JourneyEvent) -> None:
        """Add ``event`` to the live aggregate.

        Raises:
            CurrencyMismatchError: the event's money is in another currency (not recorded).
        """
        with self._lock:
            self._aggregator.add(event)

    def dashboard(self, options: ReportOptions | None = None) -> Dashboard:
        """A snapshot of every KPI right now.

        Raises:
            InvalidTimeRangeError: ``options.period`` is not the live aggregator's period.
        """
        with self._lock:
            return self._aggregator.dashboard(options)

    def aggregate(self) -> AnalyticsAggregator:
        """A copy of the live aggregate (merge it with others, or snapshot it later)."""
        with self._lock:
            live = self._aggregator
            return live.merge(AnalyticsAggregator(live.zone, live.bucket, period=live.period))
