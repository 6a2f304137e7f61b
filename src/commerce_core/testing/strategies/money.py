"""Strategies for the money kernel: currencies, amounts, taxed amounts, weights, policies.

They are registered for :func:`hypothesis.strategies.from_type` through the ``hypothesis`` entry
point, so once ``commerce-core[testing]`` is installed, ``st.from_type(Money)`` just works.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st
from moneyed import get_currency

from commerce_core.money import (
    Currency,
    Money,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
    TaxedMoney,
    from_minor,
)

__all__ = [
    "CURRENCY_CODES",
    "currency_codes",
    "currencies",
    "money",
    "positive_money",
    "taxed_money",
    "weights",
    "rounding_policies",
    "decimals",
]

CURRENCY_CODES = ("USD", "EUR", "GBP", "CHF", "JPY", "KRW", "BHD", "KWD", "JOD")
"""Currencies exercised by the strategies: 2, 0 and 3 decimal places."""


def currency_codes() -> st.SearchStrategy[str]:
    """ISO codes covering exponents 0, 2 and 3."""
    return st.sampled_from(CURRENCY_CODES)


def currencies() -> st.SearchStrategy[Currency]:
    """py-moneyed currencies covering exponents 0, 2 and 3."""
    return currency_codes().map(get_currency)


def money(
    currency: str | None = None,
    *,
    min_units: int = -10_000_000,
    max_units: int = 10_000_000,
) -> st.SearchStrategy[Money]:
    """Amounts on their currency's grid, between ``min_units`` and ``max_units`` minor units.

    Args:
        currency: fix the currency; by default one is drawn from :data:`CURRENCY_CODES`.
        min_units: smallest amount in minor units (cents for USD).
        max_units: largest amount in minor units.
    """
    codes = st.just(currency) if currency is not None else currency_codes()
    return st.builds(
        from_minor,
        st.integers(min_units, max_units),
        codes,
    )


def positive_money(
    currency: str | None = None, *, max_units: int = 10_000_000
) -> st.SearchStrategy[Money]:
    """Strictly positive amounts on the currency grid."""
    return money(currency, min_units=1, max_units=max_units)


def taxed_money(currency: str | None = None) -> st.SearchStrategy[TaxedMoney]:
    """Taxed amounts with ``gross >= net >= 0`` on the currency grid."""
    codes = st.just(currency) if currency is not None else currency_codes()

    @st.composite
    def build(draw: st.DrawFn) -> TaxedMoney:
        code = draw(codes)
        net = draw(st.integers(0, 10_000_000))
        tax = draw(st.integers(0, 3_000_000))
        return TaxedMoney(from_minor(net, code), from_minor(net + tax, code))

    return build()


def decimals(
    min_value: str = "0", max_value: str = "1000", places: int = 4
) -> st.SearchStrategy[Decimal]:
    """Finite Decimals with at most ``places`` decimal places."""
    return st.decimals(
        min_value=Decimal(min_value),
        max_value=Decimal(max_value),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


def weights(min_size: int = 1, max_size: int = 30) -> st.SearchStrategy[list[int | Decimal]]:
    """Non-negative allocation weights with at least one non-zero (ints and Decimals mixed)."""
    weight = st.one_of(st.integers(0, 10_000), decimals("0", "500", places=3))
    return st.lists(weight, min_size=min_size, max_size=max_size).filter(any)


def rounding_policies() -> st.SearchStrategy[RoundingPolicy]:
    """Every rounding mode and level, without cash increments."""
    return st.builds(
        RoundingPolicy,
        mode=st.sampled_from(list(RoundingMode)),
        level=st.sampled_from(list(RoundingLevel)),
    )
