"""The end-to-end demo: prices a small cart by hand with the money kernel and prints it.

Later capabilities grow it into a whole-shop simulation.
"""

from __future__ import annotations

from decimal import Decimal

from commerce_core.money import (
    RoundingPolicy,
    TaxedMoney,
    allocate,
    money,
    quantize,
    zero,
)

__all__ = ["run_demo"]


def run_demo(seed: int = 7) -> int:
    """Print a priced example cart; returns 0."""
    del seed  # the money-kernel demo is fully deterministic
    policy = RoundingPolicy()
    vat = Decimal("0.20")
    lines = [
        ("Espresso beans 1kg", 2, money("18.90", "EUR")),
        ("Ceramic cup", 3, money("7.49", "EUR")),
        ("Descaler", 1, money("4.95", "EUR")),
    ]
    print("commerce_core demo — a cart priced with the money kernel (prices include 20% VAT)")
    total = TaxedMoney.zero("EUR")
    gross_lines = []
    for name, qty, unit_gross in lines:
        gross = unit_gross * qty
        net = quantize(money(gross.amount / (1 + vat), "EUR"), policy)
        taxed = TaxedMoney(net, gross)
        gross_lines.append(gross)
        total += taxed
        print(
            f"  {qty} x {name:<20} {unit_gross.amount:>8} = {gross.amount:>8}"
            f"  (VAT {taxed.tax.amount})"
        )
    discount = money("5.00", "EUR")
    parts = allocate(discount, gross_lines)
    print(f"  order discount {discount.amount} split over lines: {[str(p.amount) for p in parts]}")
    after = sum((g - p for g, p in zip(gross_lines, parts, strict=True)), zero("EUR"))
    print(f"  subtotal {total.gross.amount}, net {total.net.amount}, VAT {total.tax.amount}")
    print(f"  after discount: {after.amount} EUR")
    return 0
