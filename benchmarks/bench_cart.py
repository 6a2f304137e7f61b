"""Pricing pipeline: price a 100-line and a 10,000-line cart (mixed tax classes and bases)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from benchmarks.harness import Row, median_seconds
from commerce_core import (
    Destination,
    Jurisdiction,
    PricingContext,
    PricingLine,
    TaxRate,
    TaxTable,
    money,
    price_cart,
)

TITLE = "Cart pricing pipeline (issue 4)"

TABLE = TaxTable(
    [
        TaxRate.percent("VAT", "20", Jurisdiction("FR")),
        TaxRate.percent("VAT", "5.5", Jurisdiction("FR"), tax_class="reduced"),
    ],
    zero_rated_classes=frozenset({"zero"}),
)
RATES = {"standard": Decimal("0.2"), "reduced": Decimal("0.055"), "zero": Decimal(0)}
CONTEXT = PricingContext(
    currency="EUR", now=datetime(2026, 1, 1, tzinfo=UTC), destination=Destination("FR")
)
CENT = Decimal("0.01")


def _lines(count: int, seed: int = 4) -> list[PricingLine]:
    rng = random.Random(seed)
    return [
        PricingLine(
            f"l{i}",
            f"SKU{i}",
            f"Item {i}",
            rng.randint(1, 5),
            money(Decimal(rng.randint(50, 50_000)) / 100, "EUR"),
            rng.random() < 0.5,
            rng.choice(("standard", "reduced", "zero")),
        )
        for i in range(count)
    ]


def _baseline(rows: list[tuple[Decimal, int, bool, str]]) -> tuple[Decimal, Decimal]:
    # The same arithmetic in plain Decimal: base, per-line net/tax, totals, summary by rate.
    net_total = Decimal(0)
    gross_total = Decimal(0)
    summary: dict[str, list[Decimal]] = {}
    for unit, quantity, inclusive, tax_class in rows:
        rate = RATES[tax_class]
        base = unit * quantity
        if inclusive:
            net = (base / (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
            tax = base - net
        else:
            net = base
            tax = (base * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        acc = summary.setdefault(tax_class, [Decimal(0), Decimal(0)])
        acc[0] += net
        acc[1] += tax
        net_total += net
        gross_total += net + tax
    return net_total, gross_total


def run() -> list[Row]:
    small = _lines(100)
    large = _lines(10_000)
    small_rows = [
        (ln.unit_price.amount, ln.quantity, ln.prices_include_tax, ln.tax_class) for ln in small
    ]
    large_rows = [
        (ln.unit_price.amount, ln.quantity, ln.prices_include_tax, ln.tax_class) for ln in large
    ]
    # Sanity: the pipeline and the baseline agree on the totals.
    b = price_cart(small, CONTEXT, tax=TABLE)
    if (b.total.net.amount, b.total.gross.amount) != _baseline(small_rows):
        msg = "the pipeline and the baseline disagree"
        raise AssertionError(msg)

    t100 = median_seconds(lambda: price_cart(small, CONTEXT, tax=TABLE), repeat=15, number=20)
    b100 = median_seconds(lambda: _baseline(small_rows), repeat=15, number=20)
    t10k = median_seconds(lambda: price_cart(large, CONTEXT, tax=TABLE), repeat=5)
    b10k = median_seconds(lambda: _baseline(large_rows), repeat=5)
    return [
        Row("price_cart 100 lines", t100, b100, "mixed classes/bases", "target < 1 ms; ratio <= 3"),
        Row(
            "price_cart 10,000 lines",
            t10k,
            b10k,
            f"{t10k / t100:.0f}x the 100-line time",
            "target <= 120x; ratio <= 3",
        ),
    ]
