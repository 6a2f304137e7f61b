"""The code in the docs and the README runs: a page's ```python blocks, in order, as one script."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import commerce_core

ROOT = Path(__file__).parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_code_blocks_in_page_run(page: Path, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    text = page.read_text(encoding="utf-8")
    for match in BLOCK.finditer(text):
        # Pad with newlines so tracebacks point at the block's real lines in the page.
        first_line = text.count("\n", 0, match.start(1))
        source = "\n" * first_line + match.group(1)
        exec(compile(source, str(page), "exec"), namespace)  # noqa: S102 - our own docs


MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(commerce_core.__path__, "commerce_core.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
