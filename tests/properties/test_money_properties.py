from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from commerce_core import (
    Money,
    RoundingPolicy,
    TaxedMoney,
    allocate,
    minor_units,
    quantize,
    to_minor,
)
from commerce_core.testing import strategies as cst


@given(total=cst.money(), weights=cst.weights())
def test_allocation_parts_sum_exactly_to_the_total(
    total: Money, weights: list[int | Decimal]
) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(to_minor(p) for p in parts) == to_minor(total)
    assert all(p.currency == total.currency for p in parts)


@given(total=cst.money(), weights=cst.weights())
def test_each_part_is_within_one_minor_unit_of_its_exact_share(
    total: Money, weights: list[int | Decimal]
) -> None:
    parts = allocate(total, weights)
    weight_sum = sum(Decimal(w) for w in weights)
    units = to_minor(total)
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(units) * Decimal(weight) / weight_sum
        assert abs(Decimal(to_minor(part)) - exact) < 1
        if weight == 0:
            assert to_minor(part) == 0


@given(total=cst.money(), weights=cst.weights())
def test_allocation_is_deterministic_and_sign_symmetric(
    total: Money, weights: list[int | Decimal]
) -> None:
    assert allocate(total, weights) == allocate(total, weights)
    assert allocate(-total, weights) == tuple(-p for p in allocate(total, weights))


@given(
    code=cst.currency_codes(),
    amount=cst.decimals("-100000", "100000", places=6),
    policy=cst.rounding_policies(),
)
def test_quantize_is_idempotent_and_lands_on_the_grid(
    code: str, amount: Decimal, policy: RoundingPolicy
) -> None:
    once = quantize(Money(amount, code), policy)
    assert quantize(once, policy) == once
    assert -once.amount.as_tuple().exponent <= max(minor_units(code), 0)  # type: ignore[operator]
    # rounding moves an amount by less than one minor unit
    assert abs(once.amount - amount) < Decimal(1).scaleb(-minor_units(code))


@given(amount=cst.decimals("0", "1000", places=4))
def test_cash_rounding_lands_on_the_increment(amount: Decimal) -> None:
    rounded = quantize(Money(amount, "CHF"), RoundingPolicy.cash("0.05"))
    assert rounded.amount % Decimal("0.05") == 0
    assert abs(rounded.amount - amount) <= Decimal("0.025")


@given(data=st.data(), factor=st.integers(-5, 5))
def test_tax_is_additive_and_scales_with_the_amount(data: st.DataObject, factor: int) -> None:
    taxed = data.draw(cst.taxed_money())
    other = data.draw(cst.taxed_money(taxed.currency))
    # the tax of a sum is the sum of the taxes; of a difference, the difference
    assert (taxed + other).tax == taxed.tax + other.tax
    assert (taxed - other).tax == taxed.tax - other.tax
    scaled = taxed * factor
    assert scaled.tax == taxed.tax * factor
    assert (scaled.net, scaled.gross) == (taxed.net * factor, taxed.gross * factor)
    assert (-taxed).tax == -taxed.tax


@given(taxed=cst.taxed_money(), factor=cst.decimals("0", "3", places=3))
def test_quantized_net_plus_tax_is_within_one_minor_unit_of_quantized_gross(
    taxed: TaxedMoney, factor: Decimal
) -> None:
    scaled = (taxed * factor).quantized()
    unit = Decimal(1).scaleb(-minor_units(taxed.currency))
    # each side rounds by at most half a unit, so the derived tax is off by at most one unit
    exact_tax = taxed.tax.amount * factor
    assert abs(scaled.tax.amount - exact_tax) <= unit


@given(st.from_type(Money), st.from_type(TaxedMoney))
def test_strategies_are_registered_for_from_type(amount: Money, taxed: TaxedMoney) -> None:
    assert quantize(amount) == amount
    assert taxed.gross >= taxed.net
