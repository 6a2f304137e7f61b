"""Strategies for payments: valid card numbers per brand, tokens, payment methods, amounts."""

from __future__ import annotations

from hypothesis import strategies as st

from commerce_core.domain.cards import BRAND_RULES, CardBrand, luhn_valid
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.money import Money, from_minor

__all__ = ["card_numbers", "payment_tokens", "payment_methods", "payment_amounts"]


def _check_digit(partial: str) -> str:
    for digit in "0123456789":
        if luhn_valid(partial + digit):
            return digit
    raise AssertionError  # pragma: no cover - one digit always completes a Luhn number


@st.composite
def card_numbers(draw: st.DrawFn, brand: CardBrand | None = None) -> str:
    """Valid (Luhn, length, IIN) card numbers, of ``brand`` or of any brand."""
    rules = [r for r in BRAND_RULES if brand is None or r.brand is brand]
    rule = draw(st.sampled_from(rules))
    low, high = draw(st.sampled_from(rule.ranges))
    prefix = str(draw(st.integers(int(low), int(high)))).zfill(len(low))
    length = draw(st.sampled_from(sorted(rule.lengths)))
    size = length - len(prefix) - 1
    partial = prefix + draw(st.text("0123456789", min_size=size, max_size=size))
    return partial + _check_digit(partial)


def payment_tokens() -> st.SearchStrategy[str]:
    """Opaque provider tokens such as ``tok_ab12``."""
    return st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).map(lambda s: f"tok_{s}")


def payment_methods() -> st.SearchStrategy[PaymentMethod]:
    """Tokenized payment methods (cards and gift cards)."""
    return st.builds(PaymentMethod, payment_tokens(), st.sampled_from(["card", "gift_card"]))


def payment_amounts(currency: str = "EUR", max_minor: int = 10_000_000) -> st.SearchStrategy[Money]:
    """Positive amounts on ``currency``'s grid."""
    return st.integers(1, max_minor).map(lambda units: from_minor(units, currency))
