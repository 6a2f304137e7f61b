"""Emitting journey events from the use cases, without ever failing a sale.

The cart and order services hand their journey events (``ProductAddedToCart``,
``OrderRefunded``...) to an :class:`AnalyticsEmitter` *after* their save succeeded. The emitter
builds the event and records it in the host's :class:`~commerce_core.ports.analytics.AnalyticsSink`;
any exception raised while building or recording (an invalid event, a sink whose storage is
down) is caught, counted in :attr:`AnalyticsEmitter.failures`, kept as
:attr:`AnalyticsEmitter.last_error` and logged on the ``commerce_core.analytics`` logger at
WARNING level. It is never propagated: analytics is never a reason to fail a sale.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

import attrs

from commerce_core.domain.analytics.events import JourneyEvent
from commerce_core.domain.orders import Order
from commerce_core.ports.analytics import AnalyticsSink

__all__ = ["AnalyticsEmitter", "JourneyContext", "JourneySource", "default_order_journey"]

_LOG: Final = logging.getLogger("commerce_core.analytics")


@attrs.frozen
class JourneyContext:
    """Who an order event belongs to, for analytics: the visit, its channel, the customer.

    Attributes:
        session_id: the visit the order was placed in.
        channel: the visit's acquisition channel (refunds reduce that channel's net revenue).
        customer_id: the customer, when known.
    """

    session_id: str
    channel: str
    customer_id: str | None = None


JourneySource = Callable[[Order], JourneyContext]
"""Finds the journey context of an order (a host looks up the checkout session it stored)."""


def default_order_journey(order: Order) -> JourneyContext:
    """The context used when the host gives none: session ``"order:<id>"``, channel ``"unknown"``.

    Orders do not store the checkout session, so a host that reports per channel passes its own
    :data:`JourneySource` to :class:`~commerce_core.services.orders.OrderService`.
    """
    return JourneyContext(f"order:{order.order_id}", "unknown", order.customer.customer_id)


class AnalyticsEmitter:
    """Records journey events in an optional sink; failures are counted, never raised.

    Thread-safe. With no sink, :meth:`emit` does nothing (the event is not even built).

    Args:
        sink: where events go (None: analytics is off).
    """

    def __init__(self, sink: AnalyticsSink | None) -> None:
        self._sink = sink
        self._lock = threading.Lock()
        self._failures = 0
        self._last_error: Exception | None = None

    @property
    def enabled(self) -> bool:
        """Whether a sink is configured."""
        return self._sink is not None

    @property
    def failures(self) -> int:
        """How many events could not be built or recorded (and were dropped)."""
        with self._lock:
            return self._failures

    @property
    def last_error(self) -> Exception | None:
        """The most recent failure, if any."""
        with self._lock:
            return self._last_error

    def emit(self, build: Callable[[], JourneyEvent]) -> bool:
        """Build the event and record it; True when recorded, False when off or failed."""
        if self._sink is None:
            return False
        try:
            self._sink.record(build())
        except Exception as error:  # noqa: BLE001 - analytics must never fail a sale
            with self._lock:
                self._failures += 1
                self._last_error = error
            _LOG.warning("analytics event dropped: %r", error)
            return False
        return True
