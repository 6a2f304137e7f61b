"""The money kernel's and the pricing pipeline's fast paths give what the general paths give.

* ``to_minor`` converts with ``int()`` instead of ``to_integral_value``: same units, same refusal
  of off-grid amounts (EUR, JPY, BHD), NaN still refused, infinity still an OverflowError.
* ``_resolve_currency`` remembers known codes: the same Currency as ``get_currency``, unknown
  codes still refused every time, and nothing but plain strings is remembered.
* ``allocate_minor`` gives the whole to a single positive weight.
* ``TaxTable`` builds each row's component once: resolutions equal the rows' components.
* ``apply_promotions`` reuses a promotion's fresh-cart outcome as the first step of the stack:
  the result equals the one of a stack computed from scratch.
"""

from __future__ import annotations

import decimal
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money, get_currency

from commerce_core.domain.promotions import PercentOff, Promotion, Selector, engine
from commerce_core.domain.promotions.core import CartState, PromotionInput, PromotionLine
from commerce_core.domain.tax import Destination, Jurisdiction, TaxRate, TaxTable
from commerce_core.errors import InvalidAmountError, UnknownCurrencyError
from commerce_core.money import (
    _CURRENCIES,
    _resolve_currency,
    allocate_minor,
    minor_units,
    to_minor,
)
from commerce_core.testing import strategies as cst

_CONTEXT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP, traps=[])
CODES = ("EUR", "JPY", "BHD")


def _general_to_minor(amount: Money) -> int:
    """The former ``to_minor``: scale, truncate with ``to_integral_value``, compare."""
    exponent = minor_units(amount.currency)
    scaled = amount.amount.scaleb(exponent, _CONTEXT)
    integral = scaled.to_integral_value(rounding=decimal.ROUND_DOWN, context=_CONTEXT)
    if scaled != integral:
        raise InvalidAmountError(amount, "off the grid")
    return int(integral)


@given(
    code=st.sampled_from(CODES),
    amount=st.decimals(
        min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=5, allow_nan=False
    ),
)
def test_to_minor_matches_the_general_conversion(code: str, amount: Decimal) -> None:
    value = Money(amount, get_currency(code))
    try:
        expected: int | None = _general_to_minor(value)
    except InvalidAmountError:
        expected = None
    if expected is None:
        with pytest.raises(InvalidAmountError):
            to_minor(value)
    else:
        assert to_minor(value) == expected


@given(amount=cst.money())
def test_to_minor_round_trips_grid_amounts(amount: Money) -> None:
    assert to_minor(amount) == _general_to_minor(amount)


def test_to_minor_refuses_nan_and_overflows_on_infinity_as_before() -> None:
    with pytest.raises(InvalidAmountError):
        to_minor(Money(Decimal("NaN"), get_currency("EUR")))
    with pytest.raises(OverflowError):
        to_minor(Money(Decimal("Infinity"), get_currency("EUR")))


@pytest.mark.parametrize("code", ["EUR", "eur", "jpy", "BHD", get_currency("USD")])
def test_resolve_currency_matches_get_currency(code: object) -> None:
    expected = code if not isinstance(code, str) else get_currency(code.upper())
    assert _resolve_currency(code) is expected  # type: ignore[arg-type]
    assert _resolve_currency(code) is expected  # type: ignore[arg-type]  # remembered


def test_resolve_currency_refuses_unknown_codes_every_time_and_remembers_only_strings() -> None:
    for _ in range(2):
        with pytest.raises(UnknownCurrencyError):
            _resolve_currency("XXQ")
    assert "XXQ" not in _CURRENCIES

    class Code(str):
        __slots__ = ()

    assert _resolve_currency(Code("gbp")) is get_currency("GBP")
    assert all(type(key) is str for key in _CURRENCIES)


@given(units=st.integers(-(10**12), 10**12), weight=st.integers(1, 10**6))
def test_allocate_minor_single_weight_takes_the_whole(units: int, weight: int) -> None:
    assert allocate_minor(units, [weight]) == [units]


@given(units=st.integers(-(10**6), 10**6), weights=st.lists(st.integers(0, 50), min_size=1))
def test_allocate_minor_still_sums_exactly(units: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        return
    parts = allocate_minor(units, weights)
    assert sum(parts) == units


def test_tax_table_resolution_components_equal_the_rows_components() -> None:
    rows = (
        TaxRate.percent("NY State", "4", Jurisdiction("US", "NY")),
        TaxRate.percent("NYC", "4.5", Jurisdiction("US", "NY", "New York City"), stacks=True),
        TaxRate.percent("GST", "5", Jurisdiction("CA")),
        TaxRate.percent("QST", "9.975", Jurisdiction("CA", "QC"), stacks=True, compound=True),
    )
    table = TaxTable(rows)
    nyc = table.rates_for("standard", Destination("US", "NY", ("New York City",)), None)
    assert nyc.components == (rows[0].component(), rows[1].component())
    assert nyc.explanation.endswith(": NY State 4% + NYC 4.5%")
    quebec = table.rates_for("standard", Destination("CA", "QC"), None)
    assert quebec.components == (rows[2].component(), rows[3].component())
    assert quebec.explanation.endswith(": GST 5% + QST 9.975% (compound)")


def _fresh_stack(
    promotions: list[Promotion], cart: CartState, fresh: dict[str, engine._Outcome]
) -> tuple[list[tuple[str, dict[int, int], int]], list[str]]:
    scenario, failures = engine._run_stack(promotions, cart, fresh)
    applied = [
        (o.promotion.id, dict(o.award.discounts), o.award.shipping)
        for o in scenario.outcomes
        if o.award is not None
    ]
    return applied, [o.promotion.id for o in failures]


@given(
    prices=st.lists(st.integers(0, 5000), min_size=1, max_size=4),
    percents=st.lists(st.integers(1, 100), min_size=1, max_size=3),
)
def test_stack_reusing_fresh_outcomes_equals_a_stack_from_scratch(
    prices: list[int], percents: list[int]
) -> None:
    eur = get_currency("EUR")
    data = PromotionInput(
        currency="EUR",
        lines=[
            PromotionLine(f"l{i}", f"SKU{i}", 1 + i % 2, Money(Decimal(p).scaleb(-2), eur))
            for i, p in enumerate(prices)
        ],
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    promotions = [
        Promotion(
            id=f"p{i}",
            name=f"{percent}% off",
            benefit=PercentOff(percent),
            targets=Selector.everything(),
        )
        for i, percent in enumerate(percents)
    ]
    base = CartState(data)
    fresh = {}
    for promotion in promotions:
        outcome = engine._run_one(promotion, base)
        if outcome.failure is None:
            fresh[promotion.id] = outcome
    eligible = [p for p in promotions if p.id in fresh]
    reused = _fresh_stack(eligible, base.copy_fresh(), fresh)
    scratch = _fresh_stack(eligible, base.copy_fresh(), {})
    assert reused == scratch
