"""Money kernel: allocate over 1,000 weights; quantize 100,000 amounts."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

from benchmarks.harness import Row, median_seconds
from commerce_core.money import allocate, money, quantize, quantize_decimal

TITLE = "Money kernel (issue 2)"


def _baseline_allocate(total_units: int, weights: list[int]) -> list[int]:
    # Plain Decimal arithmetic doing the same largest-remainder split.
    weight_sum = Decimal(sum(weights))
    exact = [Decimal(total_units) * Decimal(w) / weight_sum for w in weights]
    parts = [int(e) for e in exact]
    missing = total_units - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:missing]:
        parts[i] += 1
    return list(parts)


def run() -> list[Row]:
    rng = random.Random(42)
    weights = [rng.randint(1, 100_000) for _ in range(1_000)]
    total = money("123456.78", "EUR")
    alloc = median_seconds(lambda: allocate(total, weights), repeat=9, number=20)
    alloc_base = median_seconds(lambda: _baseline_allocate(12345678, weights), repeat=9, number=20)

    amounts = [money(Decimal(rng.randint(0, 10**9)) / 1000, "EUR") for _ in range(100_000)]
    cent = Decimal("0.01")
    raw = [a.amount for a in amounts]
    quant = median_seconds(lambda: [quantize(a) for a in amounts], repeat=5)
    quant_dec = median_seconds(lambda: [quantize_decimal(d, "EUR") for d in raw], repeat=5)
    quant_base = median_seconds(
        lambda: [d.quantize(cent, rounding=ROUND_HALF_UP) for d in raw], repeat=5
    )
    return [
        Row("allocate(total, 1,000 weights)", alloc, alloc_base, "one split"),
        Row("quantize 100,000 Money amounts", quant, quant_base, "incl. building Money"),
        Row("quantize_decimal 100,000 amounts (hot path)", quant_dec, quant_base, "Decimal in/out"),
    ]
