"""Promotions: a 100-line cart with 50 active promotions, and how cost scales.

Scaling is shown two ways: with the number of promotions that *can match* the cart (grows), and
with the total number of promotions when only a fixed few can match (stays flat, thanks to the
index by SKU / category / tag), both for targeted promotions and for order-level ones whose only
category requirement is a ``Contains`` condition (indexed by the key the condition requires).
Each subject is timed against a plain-Python baseline doing the naive work (every promotion
against every line, percent discounts only, no stacking rules).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

from benchmarks.harness import Row, median_seconds
from commerce_core.domain.promotions import (
    AmountOffEachUnit,
    AmountOffOrder,
    Benefit,
    BuyXGetY,
    Contains,
    FixedUnitPrice,
    Limits,
    MinSubtotal,
    NForPriceOfM,
    PercentOff,
    Promotion,
    PromotionBook,
    PromotionInput,
    PromotionLine,
    Selector,
    ShippingOff,
    Stacking,
    Tiered,
    apply_promotions,
)
from commerce_core.money import from_minor, money

TITLE = "Promotions (issue 5)"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CART_CATEGORIES = [f"c{i}" for i in range(20)]


def _cart(rng: random.Random) -> PromotionInput:
    lines = [
        PromotionLine(
            f"l{i:03d}",
            f"SKU{i:03d}",
            rng.randint(1, 3),
            from_minor(rng.randint(100, 20_000), "EUR"),
            categories={rng.choice(CART_CATEGORIES)},
            tags={"sale"} if i % 7 == 0 else set(),
        )
        for i in range(100)
    ]
    return PromotionInput("EUR", lines, NOW, shipping=money("4.90", "EUR"))


def _benefit(i: int) -> Benefit:
    kinds: list[Benefit] = [
        PercentOff(5 + i % 20),
        AmountOffEachUnit(money("0.50", "EUR")),
        AmountOffOrder(money("3.00", "EUR")),
        FixedUnitPrice(money("9.99", "EUR")),
        BuyXGetY(2, 1),
        NForPriceOfM(3, 2),
        Tiered.by_quantity([(2, 5), (5, 10)]),
    ]
    return kinds[i % len(kinds)]


def _promotions(matching: int, total: int) -> list[Promotion]:
    out: list[Promotion] = []
    for i in range(total):
        category = CART_CATEGORIES[i % 20] if i < matching else f"absent{i}"
        out.append(
            Promotion(
                id=f"p{i:05d}",
                name=f"promo {i}",
                benefit=_benefit(i),
                targets=Selector.of(categories={category}),
                conditions=[Contains(Selector.of(categories={category}))],
                limits=Limits(max_discount_total=money("50.00", "EUR")),
                stacking=Stacking(priority=i % 3, exclusive=i % 17 == 0, group=None),
            )
        )
    if matching >= 2:
        out[1] = Promotion(
            id="ship",
            name="free shipping",
            benefit=ShippingOff(),
            conditions=[MinSubtotal(money("50.00", "EUR"))],
        )
    return out


def _baseline(promotions: list[tuple[str, Decimal]], lines: list[tuple[str, int, int]]) -> int:
    # Naive: every promotion against every line, percent off the remaining value.
    remaining = [units * qty for _, units, qty in lines]
    total = 0
    for category, percent in promotions:
        for index, (line_category, _, _) in enumerate(lines):
            if line_category == category:
                off = int(remaining[index] * percent / 100)
                remaining[index] -= off
                total += off
    return total


def _baseline_inputs(
    data: PromotionInput, promotions: list[Promotion]
) -> tuple[list[tuple[str, Decimal]], list[tuple[str, int, int]]]:
    promos = [(min(p.targets.categories or {"-"}), Decimal(10)) for p in promotions]
    lines = [
        (next(iter(line.categories)), int(line.unit_price.amount * 100), line.quantity)
        for line in data.lines
    ]
    return promos, lines


def _time(matching: int, total: int, data: PromotionInput) -> Row:
    promotions = _promotions(matching, total)
    book = PromotionBook(promotions)
    seconds = median_seconds(lambda: apply_promotions(book, data), repeat=9, number=3)
    promos, lines = _baseline_inputs(data, promotions)
    base = median_seconds(lambda: _baseline(promos, lines), repeat=9, number=3)
    return Row(
        f"{matching} matching of {total} promotions",
        seconds,
        base,
        "100 lines; baseline: naive all x all",
    )


def _order_level(matching: int, total: int) -> list[Promotion]:
    # Order-level offers ("3.00 off the order when it holds category X"): the benefit touches
    # every line, so only the condition's category lets the index skip them.
    return [
        Promotion(
            id=f"o{i:05d}",
            name=f"order offer {i}",
            benefit=AmountOffOrder(money("3.00", "EUR")),
            conditions=[
                Contains(
                    Selector.of(
                        categories={CART_CATEGORIES[i % 20] if i < matching else f"absent{i}"}
                    )
                )
            ],
        )
        for i in range(total)
    ]


def _time_order_level(matching: int, total: int, data: PromotionInput) -> Row:
    promotions = _order_level(matching, total)
    book = PromotionBook(promotions)
    seconds = median_seconds(lambda: apply_promotions(book, data), repeat=9, number=3)
    promos = [
        (min(c.selector.categories), Decimal(1))
        for p in promotions
        for c in p.conditions
        if isinstance(c, Contains)
    ]
    _, lines = _baseline_inputs(data, promotions[:1])
    base = median_seconds(lambda: _baseline(promos, lines), repeat=9, number=3)
    return Row(
        f"{matching} matching of {total} order-level, category conditions",
        seconds,
        base,
        "100 lines; AmountOffOrder + Contains(category); baseline: naive all x all",
    )


def _stage(data: PromotionInput) -> Row:
    from commerce_core.domain.pricing import PricingContext, PricingLine
    from commerce_core.services.promotions import PromotionEngine

    promotions = _promotions(50, 50)
    engine = PromotionEngine(PromotionBook(promotions))
    lines = [
        PricingLine(
            line.line_id,
            line.sku,
            line.sku,
            line.quantity,
            line.unit_price,
            categories=line.categories,
            tags=line.tags,
        )
        for line in data.lines
    ]
    context = PricingContext(currency="EUR", now=NOW)
    seconds = median_seconds(lambda: engine.adjust(lines, context), repeat=9, number=3)
    promos, plain = _baseline_inputs(data, promotions)
    base = median_seconds(lambda: _baseline(promos, plain), repeat=9, number=3)
    return Row(
        "PromotionEngine.adjust (stage: + notes, Money)",
        seconds,
        base,
        "100 lines, 50 promotions",
    )


def run() -> list[Row]:
    data = _cart(random.Random(5))
    rows = [_time(50, 50, data)]
    rows[0] = Row(
        "100-line cart, 50 active mixed promotions",
        rows[0].seconds,
        rows[0].baseline_seconds,
        rows[0].work,
        "target < 5 ms median",
    )
    rows.append(_stage(data))
    rows.extend(_time(m, 50, data) for m in (10, 25))
    rows.extend(_time(10, t, data) for t in (100, 1_000, 10_000))
    rows.extend(_time_order_level(m, 50, data) for m in (10, 25, 50))
    rows.extend(_time_order_level(10, t, data) for t in (100, 1_000, 10_000))
    return rows
