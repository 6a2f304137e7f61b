"""Run every ``benchmarks/bench_*.py`` module and print its table.

Each module defines ``TITLE`` and ``run() -> list[Row]``. Usage:
``python benchmarks/run.py [name-fragment ...]``. When several modules are selected each runs in
its own Python process, so no benchmark's figures depend on what an earlier one left in memory
(a million analytics events leave a heap that makes the garbage collector of the next one work
harder).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.harness import print_table  # noqa: E402 - after the path set-up above


def main(argv: list[str]) -> int:
    """Run the selected benchmark modules (all by default)."""
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    selected = [m for m in modules if not argv or any(a in m for a in argv)]
    if len(selected) > 1:
        for name in selected:  # one process each: see the module docstring
            subprocess.run([sys.executable, __file__, name], check=True)  # noqa: S603 - ours
        return 0
    for name in selected:
        module = importlib.import_module(f"benchmarks.{name}")
        print_table(module.TITLE, module.run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
