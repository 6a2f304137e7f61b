"""Bad definitions fail when the promotion is built, with typed errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from commerce_core import (
    AmountOffEachUnit,
    AmountOffOrder,
    BuyXGetY,
    ConflictingPromotionError,
    Coupon,
    CouponForAutomaticPromotionError,
    CurrencyMismatchError,
    EmptyTargetError,
    InvalidPercentageError,
    InvalidPromotionQuantityError,
    InvalidQuantityError,
    Limits,
    MinQuantity,
    MinSubtotal,
    NegativeAmountError,
    NForPriceOfM,
    NoOpBenefitError,
    NotAppliedReason,
    NthOrder,
    PercentOff,
    Promotion,
    PromotionBook,
    PromotionDefinitionError,
    Selector,
    ShippingOff,
    Tiered,
    backtest,
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
    result = price([promo], dollars)
    assert result.applied == ()
    # Not silently filtered out: the shop sees why its euro offer does nothing in dollars.
    [missed] = result.not_applied
    assert (missed.promotion_id, missed.reason) == ("p", NotAppliedReason.WRONG_CURRENCY)


def test_backtesting_a_yen_promotion_on_euro_carts_is_a_currency_mismatch() -> None:
    yen = Promotion(id="yen", name="500 yen off", benefit=AmountOffOrder(money("500", "JPY")))
    eur_cart = cart(line("a", "A", 1, "10.00"))
    # Reporting "0 granted" would read as "the offer does not work"; it cannot apply at all.
    with pytest.raises(CurrencyMismatchError):
        backtest(PromotionBook([]), yen, [eur_cart], "EUR")


def test_tiers_must_increase_and_every_definition_error_is_a_value_error() -> None:
    with pytest.raises(PromotionDefinitionError) as error:
        Tiered.by_quantity([(5, 10), (2, 5)])
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    "build",
    [
        lambda: PercentOff(0),
        lambda: AmountOffOrder(eur("0.00")),
        lambda: AmountOffEachUnit(eur("0.00")),
        lambda: BuyXGetY(1, 1, percent=0),
        lambda: ShippingOff(0),
        lambda: ShippingOff(amount=eur("0.00")),
        lambda: Tiered.by_quantity([(2, 0), (5, 10)]),
    ],
    ids=["percent", "order", "each-unit", "bxgy", "shipping", "shipping-amount", "tier"],
)
def test_an_offer_that_can_never_take_anything_off_is_refused(build: Callable[[], object]) -> None:
    # A shop that types 0 by mistake learns it when defining the offer, not from shoppers who
    # see an "applied" promotion worth nothing.
    with pytest.raises(NoOpBenefitError) as error:
        build()
    assert isinstance(error.value, PromotionDefinitionError)


def test_a_shipping_offer_with_both_a_percentage_and_an_amount_is_refused() -> None:
    # Which one would apply? Before, the amount silently won.
    with pytest.raises(ConflictingPromotionError):
        ShippingOff(percent=50, amount=eur("1.00"))
    assert ShippingOff().percent == 100  # free shipping by default
    assert ShippingOff(amount=eur("1.00")).percent is None


def test_a_selector_that_includes_and_excludes_the_same_product_is_refused() -> None:
    with pytest.raises(ConflictingPromotionError):
        Selector.of(skus={"A"}, exclude_skus={"A"})
    with pytest.raises(ConflictingPromotionError):
        Selector.of(categories={"tea", "mugs"}, exclude_categories={"tea"})
    # Excluding a tag from a category is what exclusions are for.
    Selector.of(categories={"tea"}, exclude_tags={"tea"})


def test_a_coupon_for_an_automatic_promotion_is_refused() -> None:
    # The promotion applies without the code, so the coupon's limits would mean nothing: the
    # code would read "used up" while the offer still applies to everyone.
    automatic = Promotion(id="auto", name="auto", benefit=PercentOff(10))
    with pytest.raises(CouponForAutomaticPromotionError):
        PromotionBook([automatic], [Coupon(code="AUTO10", promotion_id="auto", max_uses=1)])


@pytest.mark.parametrize("build", [lambda: MinQuantity(0), lambda: NthOrder(0)])
def test_zero_counts_in_conditions_are_promotion_definition_errors(
    build: Callable[[], object],
) -> None:
    with pytest.raises(InvalidPromotionQuantityError) as error:
        build()
    # Caught like every other definition check, and still an invalid quantity.
    assert isinstance(error.value, PromotionDefinitionError)
    assert isinstance(error.value, InvalidQuantityError)
    assert error.value.quantity == 0
