"""Contract suite for the :class:`~commerce_core.ports.shipping.ShippingRateProvider` port."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce_core.domain.shipping import ShipmentSummary, ShippingQuote
from commerce_core.domain.tax import Destination
from commerce_core.errors import ShippingUnavailableError
from commerce_core.money import currency_of, money
from commerce_core.ports.shipping import ShippingRateProvider

__all__ = ["ShippingRateProviderContract"]


class ShippingRateProviderContract:
    """What every ShippingRateProvider adapter must do.

    Override :meth:`make_provider`. The provider must price :attr:`method` for a shipment of
    :attr:`goods_value` to :attr:`destination`, and refuse to ship anything to
    :attr:`restricted_destination`; override those attributes to fit the carrier.
    """

    method: str = "standard"
    goods_value: str = "40.00"
    currency: str = "EUR"
    destination: Destination = Destination("FR")
    restricted_destination: Destination = Destination("KP")

    def make_provider(self) -> ShippingRateProvider:
        """Return the provider under test."""
        raise NotImplementedError

    def _summary(
        self, destination: Destination | None = None, currency: str = ""
    ) -> ShipmentSummary:
        return ShipmentSummary(
            money(self.goods_value, currency or self.currency),
            weight=Decimal("1.2"),
            items=2,
            destination=destination or self.destination,
        )

    def test_a_quote_is_for_the_method_asked_and_in_the_shipment_currency(self) -> None:
        quote = self.make_provider().quote(self.method, self._summary())
        assert isinstance(quote, ShippingQuote)
        assert quote.method == self.method
        assert currency_of(quote.price) == self.currency
        assert quote.price.amount >= 0

    def test_every_answer_is_in_the_requested_currency_or_refused(self) -> None:
        provider = self.make_provider()
        for currency in ("EUR", "USD", "JPY", "KWD"):
            summary = self._summary(currency=currency)
            for quote in provider.available(summary):
                assert currency_of(quote.price) == currency
            offered = {q.method for q in provider.available(summary)}
            if self.method in offered:
                assert currency_of(provider.quote(self.method, summary).price) == currency
            else:
                with pytest.raises(ShippingUnavailableError):
                    provider.quote(self.method, summary)

    def test_an_unknown_method_raises_a_typed_error(self) -> None:
        with pytest.raises(ShippingUnavailableError) as raised:
            self.make_provider().quote("teleport", self._summary())
        assert raised.value.method == "teleport"
        assert isinstance(raised.value, ValueError)

    def test_a_restricted_destination_is_refused_by_quote_and_left_out_of_available(
        self,
    ) -> None:
        provider = self.make_provider()
        summary = self._summary(self.restricted_destination)
        with pytest.raises(ShippingUnavailableError) as raised:
            provider.quote(self.method, summary)
        assert raised.value.method == self.method
        assert self.method not in {q.method for q in provider.available(summary)}

    def test_available_lists_the_method_cheapest_first_priced_as_quote(self) -> None:
        provider = self.make_provider()
        summary = self._summary()
        quotes = provider.available(summary)
        assert isinstance(quotes, tuple)
        prices = [q.price.amount for q in quotes]
        assert prices == sorted(prices)
        by_method = {q.method: q for q in quotes}
        assert by_method[self.method].price == provider.quote(self.method, summary).price

    def test_the_same_shipment_gets_the_same_quotes(self) -> None:
        provider = self.make_provider()
        summary = self._summary()
        assert provider.available(summary) == provider.available(summary)
        assert provider.quote(self.method, summary) == provider.quote(self.method, summary)
