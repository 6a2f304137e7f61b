"""Money kernel rules that a review found broken: each test failed before its fix."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest

from commerce_core import (
    AllocationError,
    InvalidAmountError,
    InvalidRoundingPolicyError,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
    TaxedMoney,
    allocate_evenly,
    money,
    money_from_data,
    money_to_data,
    quantize,
)


def test_taxed_money_arithmetic_ignores_a_low_precision_ambient_decimal_context() -> None:
    a = TaxedMoney(money("1234.56", "USD"), money("1481.47", "USD"))
    b = TaxedMoney(money("1.01", "USD"), money("1.21", "USD"))
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        total = a + b
        difference = a - b
        scaled = a * Decimal("1.5")
        negated = -a
        tax = a.tax
    # 1234.56 + 1.01 = 1235.57 and 1481.47 + 1.21 = 1482.68 (not 1.24E+3 at 3 digits)
    assert (total.net.amount, total.gross.amount) == (Decimal("1235.57"), Decimal("1482.68"))
    # 1234.56 - 1.01 = 1233.55 and 1481.47 - 1.21 = 1480.26
    assert (difference.net.amount, difference.gross.amount) == (
        Decimal("1233.55"),
        Decimal("1480.26"),
    )
    # 1234.56 * 1.5 = 1851.840 and 1481.47 * 1.5 = 2222.205
    assert (scaled.net.amount, scaled.gross.amount) == (Decimal("1851.840"), Decimal("2222.205"))
    assert negated.net.amount == Decimal("-1234.56")
    # 1481.47 - 1234.56 = 246.91
    assert tax.amount == Decimal("246.91")


def test_taxed_money_arithmetic_does_not_trip_an_inexact_trap_in_the_caller_context() -> None:
    a = TaxedMoney(money("1234.56", "USD"), money("1481.47", "USD"))
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.traps[decimal.Inexact] = True
        total = a + a
    assert total.gross.amount == Decimal("2962.94")  # 2 * 1481.47


def test_the_shared_money_mechanisms_are_public_api() -> None:
    import commerce_core

    shared = {
        "money_to_data",
        "money_from_data",
        "ensure_same_currency",
        "currency_of",
        "quantize_decimal",
        "allocate_minor",
    }
    assert shared <= set(commerce_core.__all__)
    assert all(callable(getattr(commerce_core, name)) for name in shared)


@pytest.mark.parametrize(
    "data",
    [{"amount": "abc", "currency": "USD"}, {"amount": "NaN", "currency": "USD"}, {"currency": "X"}],
)
def test_money_from_data_refuses_a_non_amount_with_a_typed_error(data: dict[str, str]) -> None:
    with pytest.raises(InvalidAmountError):
        money_from_data(data)


def test_money_from_data_round_trips_money_to_data() -> None:
    amount = money("12.30", "EUR")
    assert money_from_data(money_to_data(amount)) == amount


@pytest.mark.parametrize("parts", [1.5, "3", None, True])
def test_allocate_evenly_refuses_a_part_count_that_is_not_a_whole_number(parts: object) -> None:
    with pytest.raises(AllocationError):
        allocate_evenly(money("1.00", "USD"), parts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"), [("mode", "half_upp"), ("mode", 3), ("level", "x"), ("level", None)]
)
def test_a_rounding_policy_refuses_an_unknown_mode_or_level_when_built(
    field: str, value: object
) -> None:
    with pytest.raises(InvalidRoundingPolicyError) as caught:
        RoundingPolicy(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_rounding_policy_accepts_the_enum_its_name_or_its_value() -> None:
    assert RoundingPolicy(mode="half_even").mode is RoundingMode.HALF_EVEN
    assert RoundingPolicy(mode="ROUND_DOWN").mode is RoundingMode.DOWN
    assert RoundingPolicy(level="order").level is RoundingLevel.ORDER
    assert RoundingPolicy(level=RoundingLevel.UNIT).level is RoundingLevel.UNIT
    # a name-built policy rounds like the enum-built one: 0.005 ties to even 0.00
    by_name = RoundingPolicy(mode="half_even")
    assert quantize(money("0.005", "USD"), by_name) == money("0.00", "USD")
