"""The TaxProvider port: plug an external tax service into the pricing pipeline."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from commerce_core.domain.tax import Destination, TaxCalculator, TaxResolution

__all__ = ["TaxProvider"]


@runtime_checkable
class TaxProvider(TaxCalculator, Protocol):
    """Answers which taxes apply to a tax class shipped to a destination at an instant.

    The pipeline keeps the arithmetic (rounding policy, per line or per order, exact splits), so
    a provider only answers rates: an adapter over a service that returns amounts reports the
    effective rate per component. The built-in adapter is
    :class:`~commerce_core.domain.tax.TaxTable`.

    Semantics: a query, with no side effects; for the same arguments it must return the same
    components during one pricing run (the pipeline asks once per tax class). Adapters should
    cache remote answers and translate vendor errors into commerce_core errors.
    """

    def rates_for(
        self, tax_class: str, destination: Destination | None, at: datetime | None
    ) -> TaxResolution:
        """The components that apply, in application order (empty: no tax).

        Raises:
            UnknownJurisdictionError: no rate for this class and destination, and no default.
        """
        ...
