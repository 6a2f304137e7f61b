"""Bad definitions fail when the promotion is built, with typed errors."""

from __future__ import annotations

import pytest

from commerce_core import (
    AmountOffEachUnit,
    AmountOffOrder,
    BuyXGetY,
    ConflictingPromotionError,
    CurrencyMismatchError,
    EmptyTargetError,
    InvalidPercentageError,
    Limits,
    MinSubtotal,
    NegativeAmountError,
    NForPriceOfM,
    PercentOff,
    Promotion,
    PromotionDefinitionError,
    Selector,
    Tiered,
    money,
)
from tests.promo_helpers import cart, eur, line, price


@pytest.mark.parametrize("percent", [-1, 101, "abc"])
def test_percentages_outside_0_to_100_are_refused(percent: object) -> None:
    with pytest.raises(InvalidPercentageError) as error:
        PercentOff(percent)  # type: ignore[arg-type]
    assert isinstance(error.value, ValueError)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(NegativeAmountError):
        AmountOffOrder(eur("-1.00"))
    with pytest.raises(NegativeAmountError):
        Limits(max_discount_total=eur("-5.00"))


def test_a_get_quantity_of_zero_is_a_conflicting_definition() -> None:
    with pytest.raises(ConflictingPromotionError) as error:
        BuyXGetY(2, 0)
    assert error.value.field == "get_quantity"
    with pytest.raises(ConflictingPromotionError):
        NForPriceOfM(2, 2)


def test_an_empty_target_set_is_refused() -> None:
    with pytest.raises(EmptyTargetError):
        Selector.of()


def test_amounts_in_two_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        Promotion(
            id="p",
            name="p",
            benefit=AmountOffEachUnit(eur("1.00")),
            conditions=[MinSubtotal(money("10.00", "USD"))],
        )
    with pytest.raises(CurrencyMismatchError):
        Tiered.by_amount([(eur("10"), 5), (money("20", "USD"), 10)])


def test_a_euro_promotion_restricted_to_dollars_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        Promotion(id="p", name="p", benefit=AmountOffOrder(eur("5.00")), currencies={"USD"})


def test_a_euro_amount_promotion_never_applies_to_a_dollar_cart() -> None:
    promo = Promotion(id="p", name="p", benefit=AmountOffOrder(eur("5.00")))
    usd = cart(line("a", "A", 1, "10.00"))
    assert price([promo], usd).total_discount == eur("5.00")
    from commerce_core import PromotionInput, PromotionLine

    dollars = PromotionInput("USD", [PromotionLine("a", "A", 1, money("10.00", "USD"))], usd.now)
    assert price([promo], dollars).applied == ()


def test_tiers_must_increase_and_every_definition_error_is_a_value_error() -> None:
    with pytest.raises(PromotionDefinitionError) as error:
        Tiered.by_quantity([(5, 10), (2, 5)])
    assert isinstance(error.value, ValueError)
