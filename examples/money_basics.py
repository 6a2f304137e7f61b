"""Money basics: exact amounts, one rounding policy, exact splits, taxed money.

Run: python examples/money_basics.py
"""

from __future__ import annotations

from commerce_core import (
    InvalidAmountError,
    RoundingMode,
    RoundingPolicy,
    TaxedMoney,
    allocate,
    allocate_evenly,
    minor_units,
    money,
    quantize,
)


def main() -> None:
    # 1. Floats are refused.
    refusal = ""
    try:
        money(0.1, "USD")  # type: ignore[arg-type]
    except InvalidAmountError as error:
        print("refused:", error)
        refusal = error.reason
    assert "float" in refusal, "a float amount must be refused"

    # 2. Each currency has its own grid.
    exponents = {code: minor_units(code) for code in ("JPY", "EUR", "BHD")}
    for code, exponent in exponents.items():
        print(f"{code} has {exponent} decimals")
    assert exponents == {"JPY": 0, "EUR": 2, "BHD": 3}

    # 3. Rounding goes through a policy.
    half_up = quantize(money("2.675", "EUR"))
    half_even = quantize(money("2.665", "EUR"), RoundingPolicy(mode=RoundingMode.HALF_EVEN))
    chf = quantize(money("9.98", "CHF"), RoundingPolicy.cash("0.05"))
    print("half-up 2.675 ->", half_up.amount, "| half-even 2.665 ->", half_even.amount)
    print("CHF cash rounding 9.98 ->", chf.amount)
    assert (half_up.amount, half_even.amount, chf.amount) == (
        money("2.68", "EUR").amount,
        money("2.66", "EUR").amount,
        money("10.00", "CHF").amount,
    )

    # 4. A 10.00 discount over three lines of 19.99, 5.00 and 0.01: no cent lost or invented.
    weights = [money("19.99", "EUR"), money("5.00", "EUR"), money("0.01", "EUR")]
    parts = allocate(money("10.00", "EUR"), weights)
    print("discount split:", [str(p.amount) for p in parts])
    assert sum(parts, money("0", "EUR")) == money("10.00", "EUR")
    jpy = allocate_evenly(money("100", "JPY"), 3)
    print("three-way split of 100 JPY:", [str(p.amount) for p in jpy])
    # 100 = 34 + 33 + 33: no fractional yen, the earlier part takes the leftover yen
    assert jpy == (money("34", "JPY"), money("33", "JPY"), money("33", "JPY"))

    # 5. Net and gross travel together.
    line = TaxedMoney(net=money("100.00", "EUR"), gross=money("120.00", "EUR"))
    two = line * 2
    print("two lines:", two.net.amount, "net,", two.tax.amount, "tax")
    # 2 * 100.00 = 200.00 net; 2 * (120.00 - 100.00) = 40.00 tax
    assert (two.net, two.tax, two.gross) == (
        money("200.00", "EUR"),
        money("40.00", "EUR"),
        money("240.00", "EUR"),
    )


if __name__ == "__main__":
    main()
