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


def test_the_demo_runs_a_whole_shop_and_writes_its_dashboard(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from commerce_core.cli import main

    page = tmp_path / "dashboard.html"
    assert main(["demo", "--sessions", "150", "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "orders" in out
    assert "Funnel" in out
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_the_demo_is_deterministic_for_a_seed(capsys: pytest.CaptureFixture[str]) -> None:
    from commerce_core.cli import main

    main(["demo", "--sessions", "80", "--no-html", "--seed", "3"])
    first = capsys.readouterr().out
    main(["demo", "--sessions", "80", "--no-html", "--seed", "3"])
    assert capsys.readouterr().out == first
