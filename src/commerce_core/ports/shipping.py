"""The ShippingRateProvider port: price shipping methods (a carrier API, a rate table)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from commerce_core.domain.shipping import ShipmentSummary, ShippingCalculator, ShippingQuote

__all__ = ["ShippingRateProvider"]


@runtime_checkable
class ShippingRateProvider(ShippingCalculator, Protocol):
    """Prices shipping methods for a shipment.

    The built-in adapter is :class:`~commerce_core.domain.shipping.ShippingRateTable` (flat
    rate, weight bands, per item, free above a threshold, destination restrictions).

    Semantics: queries without side effects; the same summary gives the same quotes during one
    pricing run. Adapters translate carrier errors into :class:`ShippingUnavailableError`.
    """

    def quote(self, method: str, summary: ShipmentSummary) -> ShippingQuote:
        """The price of shipping ``summary`` with ``method``.

        Raises:
            ShippingUnavailableError: unknown method, restricted destination, or no price.
        """
        ...

    def available(self, summary: ShipmentSummary) -> tuple[ShippingQuote, ...]:
        """Every method that can ship ``summary``, cheapest first (ties in a stable order).

        Methods that cannot ship it (restricted destination, no price for this currency,
        weight or item count) are left out, not reported: an empty tuple means nothing can
        ship it. Never raises for such methods; an adapter whose carrier cannot be reached at
        all raises :class:`ShippingUnavailableError` (``method`` ``"*"``) rather than pretend
        that nothing ships. Read-only, so trivially idempotent.
        """
        ...
