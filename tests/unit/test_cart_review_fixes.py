"""Cart, catalog and shipping values that a review found accepting bad input (typed errors)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce_core import (
    CartLimits,
    CartOwner,
    CurrencyMismatchError,
    FreeAbove,
    InvalidAmountError,
    InvalidCartSettingError,
    InvalidShippingRuleError,
    MergeStrategy,
    PerItem,
    ShipmentSummary,
    ShippingMethod,
    ShippingRateTable,
    ShippingUnavailableError,
    WeightBand,
    WeightBands,
    money,
)


@pytest.mark.parametrize("token", ["", "   ", None])
def test_a_cart_owner_needs_a_non_empty_id(token: object) -> None:
    with pytest.raises(InvalidCartSettingError) as caught:
        CartOwner.guest(token)  # type: ignore[arg-type]
    assert caught.value.field == "owner.id"


def test_a_cart_owner_kind_must_be_known() -> None:
    with pytest.raises(InvalidCartSettingError):
        CartOwner("robot", "r1")


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_lines", 0), ("max_lines", -1), ("max_quantity_per_line", 0), ("max_lines", 1.5)],
)
def test_cart_limits_must_be_whole_numbers_of_at_least_one(field: str, value: object) -> None:
    with pytest.raises(InvalidCartSettingError) as caught:
        CartLimits(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_merge_strategy_is_the_enum_or_its_value() -> None:
    assert MergeStrategy.parse("keep_guest") is MergeStrategy.KEEP_GUEST
    assert MergeStrategy.parse(MergeStrategy.MERGE) is MergeStrategy.MERGE
    with pytest.raises(InvalidCartSettingError) as caught:
        MergeStrategy.parse("MERGE_ALL")
    assert caught.value.field == "strategy"


@pytest.mark.parametrize("up_to", ["abc", 1.5, Decimal(-1), "-0.5", "NaN", True])
def test_a_weight_band_limit_must_be_a_non_negative_decimal(up_to: object) -> None:
    with pytest.raises(InvalidShippingRuleError) as caught:
        WeightBand(up_to, money("1.00", "EUR"))  # type: ignore[arg-type]
    assert caught.value.field == "up_to"


def test_a_weight_band_accepts_ints_decimals_and_decimal_strings() -> None:
    assert [WeightBand(v, money("1", "EUR")).up_to for v in (2, Decimal("0.5"), " 1.25 ")] == [
        Decimal(2),
        Decimal("0.5"),
        Decimal("1.25"),
    ]


def test_per_item_shipping_refuses_a_float_first_price() -> None:
    with pytest.raises(InvalidAmountError):
        PerItem(money("1.00", "EUR"), first=1.5)  # type: ignore[arg-type]


def test_per_item_shipping_refuses_a_first_price_in_another_currency_when_built() -> None:
    with pytest.raises(CurrencyMismatchError):
        PerItem(money("1.00", "EUR"), first=money("1.00", "USD"))


def test_per_item_shipping_charges_first_then_each() -> None:
    rule = PerItem(money("1.50", "EUR"), first=money("4.00", "EUR"))
    # 3 items: 4.00 for the first, 2 * 1.50 for the others = 7.00
    summary = ShipmentSummary(money("30.00", "EUR"), Decimal(1), 3)
    assert rule.price(summary) == money("7.00", "EUR")


def _bands_table() -> ShippingRateTable:
    bands = WeightBands([WeightBand(1, money("3.00", "EUR")), WeightBand(5, money("8.00", "EUR"))])
    return ShippingRateTable(
        [
            ShippingMethod("wb", "Bands", bands),
            ShippingMethod("free", "Free above", FreeAbove(money("100.00", "EUR"), bands)),
        ]
    )


@pytest.mark.parametrize("method", ["wb", "free"])
def test_a_shipment_heavier_than_every_band_is_refused_for_its_weight(method: str) -> None:
    summary = ShipmentSummary(money("10.00", "EUR"), Decimal(10), 1)
    with pytest.raises(ShippingUnavailableError) as caught:
        _bands_table().quote(method, summary)
    assert "10 kg" in caught.value.reason
    assert "heaviest weight band (5 kg)" in caught.value.reason
    assert "price" not in caught.value.reason


def test_a_shipment_in_a_currency_without_band_prices_is_refused_for_its_currency() -> None:
    summary = ShipmentSummary(money("10.00", "USD"), Decimal(2), 1)
    with pytest.raises(ShippingUnavailableError) as caught:
        _bands_table().quote("wb", summary)
    assert "no USD price" in caught.value.reason
