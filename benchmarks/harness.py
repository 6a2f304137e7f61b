"""Tiny benchmark harness: median timings and a printed table. Never used by tests."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import attrs

__all__ = ["Row", "median_seconds", "print_table"]


@attrs.frozen
class Row:
    """One measured figure, optionally with a plain-Python baseline and target."""

    name: str
    seconds: float
    baseline_seconds: float | None = None
    work: str = ""
    target: str = ""

    @property
    def ratio(self) -> float | None:
        """Subject time divided by baseline time (lower is better)."""
        if self.baseline_seconds is None or self.baseline_seconds == 0:
            return None
        return self.seconds / self.baseline_seconds


def median_seconds(fn: Callable[[], object], *, repeat: int = 7, number: int = 1) -> float:
    """Median wall time of ``number`` calls of ``fn``, over ``repeat`` rounds, per call."""
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:9.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:9.2f} ms"
    return f"{seconds:9.3f} s "


def print_table(title: str, rows: list[Row]) -> None:
    """Print rows as an aligned table."""
    print(f"\n== {title}")
    print(f"{'benchmark':<48} {'median':>12} {'baseline':>12} {'ratio':>7}  work / target")
    for row in rows:
        base = _fmt(row.baseline_seconds) if row.baseline_seconds is not None else " " * 12
        ratio = f"{row.ratio:6.2f}x" if row.ratio is not None else " " * 7
        extra = "; ".join(part for part in (row.work, row.target) if part)
        print(f"{row.name:<48} {_fmt(row.seconds):>12} {base:>12} {ratio:>7}  {extra}")
