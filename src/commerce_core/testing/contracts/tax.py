"""Contract suite for the :class:`~commerce_core.ports.tax.TaxProvider` port."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from commerce_core.domain.tax import Destination, TaxResolution
from commerce_core.errors import UnknownJurisdictionError
from commerce_core.ports.tax import TaxProvider

__all__ = ["TaxProviderContract"]


class TaxProviderContract:
    """What every TaxProvider adapter must do.

    Override :meth:`make_provider`. The provider must know the tax class :attr:`tax_class`
    for :attr:`known_destination`, and have no rate and no default for
    :attr:`unknown_destination`; override those attributes to fit the service behind the adapter.
    """

    tax_class: str = "standard"
    known_destination: Destination = Destination("FR")
    unknown_destination: Destination = Destination("AQ")
    at: datetime = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def make_provider(self) -> TaxProvider:
        """Return the provider under test."""
        raise NotImplementedError

    def test_a_known_destination_resolves_to_decimal_fractions_in_application_order(
        self,
    ) -> None:
        resolution = self.make_provider().rates_for(self.tax_class, self.known_destination, self.at)
        assert isinstance(resolution, TaxResolution)
        assert isinstance(resolution.components, tuple)
        for component in resolution.components:
            assert isinstance(component.rate, Decimal)
            assert Decimal(0) <= component.rate <= Decimal(1)
        assert len(resolution.coefficients()) == len(resolution.components)

    def test_the_same_question_gets_the_same_answer(self) -> None:
        provider = self.make_provider()
        first = provider.rates_for(self.tax_class, self.known_destination, self.at)
        again = provider.rates_for(self.tax_class, self.known_destination, self.at)
        assert again.key == first.key

    def test_an_unknown_jurisdiction_raises_a_typed_lookup_error(self) -> None:
        provider = self.make_provider()
        with pytest.raises(UnknownJurisdictionError) as raised:
            provider.rates_for(self.tax_class, self.unknown_destination, self.at)
        assert isinstance(raised.value, LookupError)
        assert raised.value.tax_class == self.tax_class
        assert raised.value.country == self.unknown_destination.country

    def test_an_error_leaves_the_provider_answering_as_before(self) -> None:
        provider = self.make_provider()
        before = provider.rates_for(self.tax_class, self.known_destination, self.at)
        with pytest.raises(UnknownJurisdictionError):
            provider.rates_for(self.tax_class, self.unknown_destination, self.at)
        after = provider.rates_for(self.tax_class, self.known_destination, self.at)
        assert after.key == before.key

    def test_an_unknown_instant_is_accepted(self) -> None:
        resolution = self.make_provider().rates_for(self.tax_class, self.known_destination, None)
        assert isinstance(resolution, TaxResolution)
