"""The state diagram on the Orders page is the table's own Mermaid export."""

from __future__ import annotations

from pathlib import Path

from commerce_core import ORDER_TABLE

PAGE = Path(__file__).parents[2] / "docs" / "capabilities" / "orders.md"


def test_the_orders_page_shows_the_current_transition_table() -> None:
    assert f"```mermaid\n{ORDER_TABLE.to_mermaid()}\n```" in PAGE.read_text(encoding="utf-8")
