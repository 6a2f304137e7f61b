"""Every script in examples/ runs to completion (they assert what they demonstrate)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out, f"{script.name} printed nothing"


def test_demo_prints_a_priced_cart(capsys: pytest.CaptureFixture[str]) -> None:
    from commerce_core.cli import main

    assert main(["demo"]) == 0
    assert "EUR" in capsys.readouterr().out
