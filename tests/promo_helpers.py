"""Small builders for promotion tests: carts in EUR at a fixed instant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from commerce_core import (
    Coupon,
    Money,
    Promotion,
    PromotionBook,
    PromotionInput,
    PromotionLine,
    PromotionResult,
    apply_promotions,
    money,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def line(  # noqa: PLR0917 - a terse builder for worked examples
    line_id: str,
    sku: str,
    quantity: int,
    price: str,
    categories: Iterable[str] = (),
    tags: Iterable[str] = (),
) -> PromotionLine:
    return PromotionLine(line_id, sku, quantity, eur(price), frozenset(categories), frozenset(tags))


def cart(*lines: PromotionLine, **kwargs: object) -> PromotionInput:
    return PromotionInput("EUR", lines, NOW, **kwargs)  # type: ignore[arg-type]


def price(
    promotions: Iterable[Promotion],
    data: PromotionInput,
    coupons: Iterable[Coupon] = (),
) -> PromotionResult:
    return apply_promotions(PromotionBook(promotions, coupons), data)
