from __future__ import annotations

from decimal import Decimal

import pytest

from commerce_core import (
    AllocationError,
    CurrencyMismatchError,
    InvalidAmountError,
    RoundingMode,
    RoundingPolicy,
    TaxedMoney,
    UnknownCurrencyError,
    allocate,
    allocate_evenly,
    minor_units,
    money,
    quantize,
    to_minor,
)


def test_money_refuses_floats_with_a_typed_error() -> None:
    with pytest.raises(InvalidAmountError) as caught:
        money(0.1, "USD")  # type: ignore[arg-type]
    assert "float" in caught.value.reason
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", True])
def test_money_refuses_non_amounts(bad: object) -> None:
    with pytest.raises(InvalidAmountError):
        money(bad, "USD")  # type: ignore[arg-type]


def test_money_accepts_str_int_and_decimal() -> None:
    assert money("1.50", "USD") == money(Decimal("1.5"), "USD")
    assert money(3, "JPY").amount == 3


@pytest.mark.parametrize(
    ("code", "exponent"),
    [("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("BHD", 3), ("KWD", 3), ("JOD", 3)],
)
def test_minor_units_follow_iso_4217(code: str, exponent: int) -> None:
    assert minor_units(code) == exponent


def test_unknown_currency_is_a_lookup_error() -> None:
    with pytest.raises(UnknownCurrencyError) as caught:
        minor_units("XYZ")
    assert caught.value.code == "XYZ"
    assert isinstance(caught.value, LookupError)
    with pytest.raises(UnknownCurrencyError):
        money("1", "NOPE")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "USD", "0.01"),
        ("-0.005", "USD", "-0.01"),
        ("2.5", "JPY", "3"),
        ("0.0005", "BHD", "0.001"),
        ("1.004", "EUR", "1.00"),
    ],
)
def test_half_up_rounds_ties_away_from_zero(amount: str, currency: str, expected: str) -> None:
    assert quantize(money(amount, currency)) == money(expected, currency)


@pytest.mark.parametrize(
    ("amount", "half_up", "half_even"),
    [("0.005", "0.01", "0.00"), ("0.015", "0.02", "0.02"), ("0.025", "0.03", "0.02")],
)
def test_half_even_differs_from_half_up_on_even_ties(
    amount: str, half_up: str, half_even: str
) -> None:
    even = RoundingPolicy(mode=RoundingMode.HALF_EVEN)
    assert quantize(money(amount, "USD")) == money(half_up, "USD")
    assert quantize(money(amount, "USD"), even) == money(half_even, "USD")


@pytest.mark.parametrize(
    ("mode", "amount", "expected"),
    [
        (RoundingMode.DOWN, "1.239", "1.23"),
        (RoundingMode.UP, "1.231", "1.24"),
        (RoundingMode.HALF_DOWN, "1.235", "1.23"),
        (RoundingMode.DOWN, "-1.239", "-1.23"),
    ],
)
def test_every_rounding_mode_is_available(mode: RoundingMode, amount: str, expected: str) -> None:
    assert quantize(money(amount, "USD"), RoundingPolicy(mode=mode)) == money(expected, "USD")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("1.02", "1.00"), ("1.025", "1.05"), ("1.03", "1.05"), ("1.07", "1.05"), ("1.075", "1.10")],
)
def test_swiss_cash_rounding_goes_to_five_rappen(amount: str, expected: str) -> None:
    assert quantize(money(amount, "CHF"), RoundingPolicy.cash("0.05")) == money(expected, "CHF")


def test_quantize_ignores_the_ambient_decimal_context() -> None:
    import decimal

    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_FLOOR
        ctx.prec = 3
        assert quantize(money("12345.675", "USD")) == money("12345.68", "USD")


def test_cash_increment_must_be_positive() -> None:
    with pytest.raises(InvalidAmountError):
        RoundingPolicy.cash("0")


def test_allocate_gives_the_leftover_cents_to_the_largest_remainders_then_earliest() -> None:
    parts = allocate(money("10.00", "USD"), [1, 1, 1])
    assert parts == (money("3.34", "USD"), money("3.33", "USD"), money("3.33", "USD"))
    parts = allocate(money("0.05", "USD"), [3, 7])
    # exact shares 0.015 and 0.035: remainders tie, the earlier weight wins the extra cent
    assert parts == (money("0.02", "USD"), money("0.03", "USD"))


def test_allocate_a_negative_total_mirrors_the_positive_split() -> None:
    positive = allocate(money("10.00", "USD"), [1, 2, 3])
    negative = allocate(money("-10.00", "USD"), [1, 2, 3])
    assert negative == tuple(-p for p in positive)


def test_allocate_gives_zero_weights_nothing() -> None:
    parts = allocate(money("1", "JPY"), [0, 5, 0])
    assert parts == (money("0", "JPY"), money("1", "JPY"), money("0", "JPY"))


def test_allocate_accepts_money_weights() -> None:
    parts = allocate(money("1.000", "BHD"), [money("2.5", "BHD"), money("7.5", "BHD")])
    assert parts == (money("0.250", "BHD"), money("0.750", "BHD"))


@pytest.mark.parametrize("weights", [[], [0, 0], [-1, 2], [1.5]])
def test_allocate_refuses_impossible_weights(weights: list[object]) -> None:
    with pytest.raises(AllocationError):
        allocate(money("1.00", "USD"), weights)  # type: ignore[arg-type]


def test_allocate_refuses_amounts_off_the_currency_grid() -> None:
    with pytest.raises(InvalidAmountError):
        allocate(money("1.005", "USD"), [1, 1])


def test_allocate_evenly_splits_into_n_parts() -> None:
    assert allocate_evenly(money("100", "JPY"), 3) == (
        money("34", "JPY"),
        money("33", "JPY"),
        money("33", "JPY"),
    )
    with pytest.raises(AllocationError):
        allocate_evenly(money("1", "JPY"), 0)


def test_to_minor_refuses_sub_minor_amounts() -> None:
    assert to_minor(money("12.34", "USD")) == 1234
    with pytest.raises(InvalidAmountError):
        to_minor(money("12.345", "USD"))


def test_taxed_money_derives_tax_and_refuses_mixed_currencies() -> None:
    taxed = TaxedMoney(money("10.00", "EUR"), money("12.00", "EUR"))
    assert taxed.tax == money("2.00", "EUR")
    with pytest.raises(CurrencyMismatchError) as caught:
        TaxedMoney(money("10.00", "EUR"), money("12.00", "USD"))
    assert (caught.value.expected, caught.value.actual) == ("EUR", "USD")


def test_taxed_money_arithmetic() -> None:
    a = TaxedMoney(money("10.00", "EUR"), money("12.00", "EUR"))
    b = TaxedMoney(money("5.00", "EUR"), money("5.50", "EUR"))
    assert a + b == TaxedMoney(money("15.00", "EUR"), money("17.50", "EUR"))
    assert a - b == TaxedMoney(money("5.00", "EUR"), money("6.50", "EUR"))
    assert a * 3 == TaxedMoney(money("30.00", "EUR"), money("36.00", "EUR"))
    assert a * Decimal("0.5") == TaxedMoney(money("5.00", "EUR"), money("6.00", "EUR"))
    assert TaxedMoney.zero("EUR") + a == a
    with pytest.raises(CurrencyMismatchError):
        _ = a + TaxedMoney.zero("USD")
    with pytest.raises(InvalidAmountError):
        _ = a * 1.5


def test_money_round_trips_through_snapshot_data_exactly() -> None:
    from commerce_core.money import money_from_data, money_to_data

    amount = money("0.105", "BHD")
    assert money_to_data(amount) == {"amount": "0.105", "currency": "BHD"}
    assert money_from_data(money_to_data(amount)) == amount
