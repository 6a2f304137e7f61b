"""Checkout: end-to-end in-memory checkouts per second, with the share of time per step.

Each checkout: a 3-line cart (TEA x2, MUG, POT), the always-on ``tea-10`` promotion, VAT 20%,
flat shipping, the simulated gateway, immediate capture, the order outbox dispatched to the
in-memory notifier and analytics recorded. The baseline does the same bookkeeping on plain dicts
and Decimals (reprice, stock check, promotion, tax, shipping, reserve, authorize, order, capture,
commit, close the cart) with none of the durability, idempotency or undo.

The shop's clock is the in-memory one, which stands still unless a test moves it: one checkout's
times are then one ``datetime`` object, and the code that formats a time once per object pays
for it once. A second row runs the same checkouts on a wall clock (a new instant on every read,
as in production), which costs reading the clock and formatting each time again.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import Row
from commerce_core.adapters.memory.core import InMemoryClock
from commerce_core.domain.checkout import (
    CheckoutAttempt,
    CheckoutStep,
    CheckoutSuccess,
)
from commerce_core.testing.checkout import CheckoutWorld

TITLE = "Checkout (issue 7)"
N = 300
ROUNDS = 5
CENT = Decimal("0.01")
ZERO = Decimal(0)
TEA_OFF = Decimal("0.10")
VAT = Decimal("0.20")


class _WallClock(InMemoryClock):
    """The in-memory clock's interface over the system clock: a new instant on every read."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class _StepClock:
    """The step hook: time between consecutive recorded steps, summed per step."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.mark = 0.0

    def start(self) -> None:
        self.mark = time.perf_counter()

    def __call__(self, _attempt: CheckoutAttempt, step: CheckoutStep) -> None:
        now = time.perf_counter()
        self.totals[step] = self.totals.get(step, 0.0) + now - self.mark
        self.mark = now


def _checkouts(steps: _StepClock | None, *, wall_clock: bool = False) -> float:
    """Seconds per checkout over N checkouts in a fresh shop."""
    world = CheckoutWorld(
        stock=10 * N * ROUNDS,
        faults=False,
        on_step=steps,
        clock=_WallClock() if wall_clock else None,
    )
    carts = [world.fill_cart() for _ in range(N)]
    gc.collect()  # the last round's shop is garbage now: not this round's cost
    start = time.perf_counter()
    for i, cart_id in enumerate(carts):
        if steps is not None:
            steps.start()
        result = world.check_out(cart_id, f"bench-{i}")
        if not isinstance(result, CheckoutSuccess):  # pragma: no cover - a broken benchmark
            raise TypeError(result)
    return (time.perf_counter() - start) / N


def _baseline_once(stock: dict[str, int], coupons: dict[str, int], i: int) -> None:
    prices = {"TEA": Decimal("10.00"), "MUG": Decimal("8.50"), "POT": Decimal("25.00")}
    cart_lines = [("TEA", 2), ("MUG", 1), ("POT", 1)]
    cart: dict[str, Any] = {"id": f"c{i}", "status": "active", "lines": cart_lines}
    lines: list[tuple[str, int, Decimal, Decimal]] = []
    for sku, qty in cart_lines:
        unit = prices[sku]  # reprice
        if stock[sku] < qty:
            raise ValueError(sku)
        base = unit * qty
        discount = (base * TEA_OFF).quantize(CENT, ROUND_HALF_UP) if sku == "TEA" else ZERO
        net = base - discount
        tax = (net * VAT).quantize(CENT, ROUND_HALF_UP)
        lines.append((sku, qty, net, tax))
    shipping = Decimal("4.90")
    total = sum((net + tax for _, _, net, tax in lines), shipping + (shipping * VAT))
    reservation = {sku: qty for sku, qty, _, _ in lines}
    for sku, qty in reservation.items():
        stock[sku] -= qty
    coupons["none"] = coupons.get("none", 0)
    payment: dict[str, Any] = {"id": f"p{i}", "authorized": total, "status": "authorized"}
    order: dict[str, Any] = {"id": f"o{i}", "lines": lines, "total": total, "payments": []}
    payment["captured"] = total
    payment["status"] = "captured"
    order["payments"].append(("capture", total))
    order["status"] = "paid"
    reservation.clear()
    cart["status"] = "checked_out"


def _baseline() -> float:
    stock = {"TEA": 10**9, "MUG": 10**9, "POT": 10**9}
    coupons: dict[str, int] = {}
    start = time.perf_counter()
    for i in range(N):
        _baseline_once(stock, coupons, i)
    return (time.perf_counter() - start) / N


def run() -> list[Row]:
    """Per-checkout medians, checkouts per second, and each step's share."""
    _checkouts(None)  # warm-up
    subject = statistics.median(_checkouts(None) for _ in range(ROUNDS))
    _checkouts(None, wall_clock=True)  # warm-up
    wall = statistics.median(_checkouts(None, wall_clock=True) for _ in range(ROUNDS))
    baseline = statistics.median(_baseline() for _ in range(ROUNDS))
    steps = _StepClock()
    _checkouts(steps)
    measured = sum(steps.totals.values())
    rows = [
        Row(
            "checkout end to end (3 lines, promo, tax, ship)",
            subject,
            baseline,
            work=f"{1 / subject:,.0f} checkouts/s",
            target=">= 2,000/s",
        ),
        Row(
            "  the same on a wall clock (a new instant per read)",
            wall,
            baseline,
            work=f"{1 / wall:,.0f} checkouts/s",
            target=">= 2,000/s",
        ),
    ]
    for step in CheckoutStep:
        share = steps.totals.get(step, 0.0) / measured
        rows.append(
            Row(
                f"  step {step}",
                steps.totals.get(step, 0.0) / N,
                work=f"{share:5.1%} of the time",
            )
        )
    return rows


if __name__ == "__main__":
    from benchmarks.harness import print_table

    print_table(TITLE, run())
