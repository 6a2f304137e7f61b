"""Money kernel rules that a review found broken: each test failed before its fix."""

from __future__ import annotations

import decimal
from decimal import Decimal

from commerce_core import TaxedMoney, money


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
