"""Card helpers for hosts that check card input before tokenizing it.

Luhn check, brand from IIN ranges, valid lengths and CVC length per brand, expiry against a given
``now`` (from the Clock port), and masking. A full card number is held only inside
:class:`CardNumber`, whose ``repr`` and ``str`` are masked; errors carry the masked form only.
What may be stored and logged about a card is a :class:`CardSummary` (brand, last four, expiry).

>>> CardNumber.parse("4242 4242 4242 4242")
CardNumber('**** 4242', brand='visa')
>>> brand_of("2223003122003222")
<CardBrand.MASTERCARD: 'mastercard'>
"""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from commerce_core.errors import InvalidCardError, RawCardDataError

__all__ = [
    "CardBrand",
    "BrandRule",
    "BRAND_RULES",
    "luhn_valid",
    "brand_of",
    "rule_for",
    "normalize_number",
    "mask_number",
    "looks_like_card_number",
    "mask_card_numbers",
    "CardExpiry",
    "CardSummary",
    "CardNumber",
    "CardCheck",
    "check_card",
]


class CardBrand(enum.StrEnum):
    """Card networks recognised from the number's IIN (issuer identification number)."""

    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    JCB = "jcb"
    DINERS = "diners"
    UNIONPAY = "unionpay"


@attrs.frozen
class BrandRule:
    """How to recognise a brand and what its numbers look like.

    Attributes:
        brand: the network.
        ranges: IIN ranges as ``(low, high)`` inclusive prefixes of equal digit count
            (``("2221", "2720")`` is the Mastercard 2-series).
        lengths: the valid number lengths.
        cvc_length: digits of the card verification code.
    """

    brand: CardBrand
    ranges: tuple[tuple[str, str], ...]
    lengths: frozenset[int]
    cvc_length: int

    def matches(self, digits: str) -> int:
        """The length of the longest IIN prefix of ``digits`` in this rule (0 when none)."""
        best = 0
        for low, high in self.ranges:
            size = len(low)
            if len(digits) >= size and low <= digits[:size] <= high:
                best = max(best, size)
        return best


def _r(*ranges: str | tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((r, r) if isinstance(r, str) else r for r in ranges)


BRAND_RULES: Final[tuple[BrandRule, ...]] = (
    BrandRule(CardBrand.VISA, _r("4"), frozenset({13, 16, 19}), 3),
    BrandRule(CardBrand.MASTERCARD, _r(("51", "55"), ("2221", "2720")), frozenset({16}), 3),
    BrandRule(CardBrand.AMEX, _r("34", "37"), frozenset({15}), 4),
    BrandRule(CardBrand.DISCOVER, _r("6011", ("644", "649"), "65"), frozenset(range(16, 20)), 3),
    BrandRule(CardBrand.JCB, _r(("3528", "3589")), frozenset(range(16, 20)), 3),
    BrandRule(
        CardBrand.DINERS,
        _r(("300", "305"), "3095", "36", ("38", "39")),
        frozenset(range(14, 20)),
        3,
    ),
    BrandRule(CardBrand.UNIONPAY, _r("62", "81"), frozenset(range(16, 20)), 3),
)
"""The IIN table, as data. The longest matching prefix wins (``6011`` is Discover)."""

_SEPARATORS: Final = re.compile(r"[\s-]")
_CARDISH: Final = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
_ASCII_RUN: Final = re.compile(r"[0-9 -]{13}")
"""13 characters in a row that are ASCII digits, spaces or dashes: what a :data:`_CARDISH` match
spans at least (13 to 19 digits, a space or a dash between two of them), in ASCII text."""


def _no_cardish_run(text: str) -> bool:
    r"""Whether ``text`` surely holds no :data:`_CARDISH` match (False: it may hold one).

    In ASCII text ``\d`` is ``[0-9]``, so a match is a run of at least 13 characters from
    ``[0-9 -]``: text without such a run has none. This scan looks for no lookbehind at each
    position, and is about twice as fast on the usual text (ids and words with short digit runs).
    Other text is not decided here (``\d`` also matches other scripts' digits), nor is anything
    but an exact ``str`` (the full scan raises for what is not text, as it did).
    """
    return type(text) is str and text.isascii() and _ASCII_RUN.search(text) is None


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn (mod 10) check.

    >>> luhn_valid("4242424242424242"), luhn_valid("4242424242424241")
    (True, False)
    """
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def rule_for(digits: str) -> BrandRule | None:
    """The brand rule whose IIN range is the longest prefix of ``digits`` (None when unknown)."""
    best: BrandRule | None = None
    best_size = 0
    for rule in BRAND_RULES:
        size = rule.matches(digits)
        if size > best_size:
            best, best_size = rule, size
    return best


def brand_of(number: str) -> CardBrand | None:
    """The brand of a card number from its IIN (spaces and dashes allowed), or None."""
    rule = rule_for(_SEPARATORS.sub("", number))
    return None if rule is None else rule.brand


def normalize_number(raw: str) -> str:
    """The digits of a card number typed with spaces or dashes.

    Raises:
        InvalidCardError: ``reason="characters"`` when anything else than digits remains.
    """
    digits = _SEPARATORS.sub("", raw)
    if not digits.isdigit() or not digits.isascii():
        raise InvalidCardError("characters")
    return digits


def mask_number(number: str) -> str:
    """A card number reduced to its last four digits: ``"**** 4242"``.

    >>> mask_number("4242-4242-4242-4242")
    '**** 4242'
    """
    digits = "".join(c for c in number if c.isdigit())
    return f"**** {digits[-4:]}" if len(digits) >= 4 else "****"


def looks_like_card_number(text: str) -> bool:
    """Whether ``text`` contains something shaped like a card number.

    A run of 13 to 19 digits (spaces or dashes allowed) standing alone (not inside a longer
    alphanumeric word such as a hex digest) with a known IIN, a valid length for its brand and a
    passing Luhn check. Used to keep raw card numbers from crossing ports.

    >>> looks_like_card_number("card 4242-4242-4242-4242"), looks_like_card_number("tok_visa")
    (True, False)
    """
    if _no_cardish_run(text) or _CARDISH.search(text) is None:  # the usual case: no digit run
        return False
    return any(_is_card_number(match.group()) for match in _CARDISH.finditer(text))


def _is_card_number(candidate: str) -> bool:
    digits = _SEPARATORS.sub("", candidate)
    rule = rule_for(digits)
    return rule is not None and len(digits) in rule.lengths and luhn_valid(digits)


def mask_card_numbers(text: str) -> str:
    """``text`` with every card-number-shaped run reduced to its last four digits.

    For text from outside that must be kept (a provider's reference in the audit log): it may
    happen to look like a card number, and must then be kept masked rather than refused.

    >>> mask_card_numbers("ref 4242-4242-4242-4242 ok"), mask_card_numbers("pi_123")
    ('ref **** 4242 ok', 'pi_123')
    """
    if _no_cardish_run(text) or _CARDISH.search(text) is None:  # the usual case: nothing to mask
        return text
    return _CARDISH.sub(
        lambda m: mask_number(m.group()) if _is_card_number(m.group()) else m.group(), text
    )


def _check_month(_inst: object, _attr: object, value: int) -> None:
    if type(value) is not int or not 1 <= value <= 12:
        raise InvalidCardError("expiry")


def _check_year(_inst: object, _attr: object, value: int) -> None:
    if type(value) is not int or not 1000 <= value <= 9999:
        raise InvalidCardError("expiry")


@attrs.frozen
class CardExpiry:
    """A card's expiry month and four-digit year; the card is valid through the month's end.

    Raises:
        InvalidCardError: ``reason="expiry"`` for a month outside 1-12 or a year not of 4 digits.
    """

    month: int = attrs.field(validator=_check_month)
    year: int = attrs.field(validator=_check_year)

    def is_past(self, now: datetime) -> bool:
        """Whether the card has expired at ``now`` (pass ``clock.now()``)."""
        return (self.year, self.month) < (now.year, now.month)

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year}"


def _check_last4(_inst: object, _attr: object, value: str) -> None:
    if len(value) != 4 or not value.isdigit():
        raise InvalidCardError("last4")


@attrs.frozen
class CardSummary:
    """What may be shown, stored and logged about a card: brand, last four digits, expiry.

    Attributes:
        brand: the card network (None when unknown).
        last4: the last four digits.
        expiry: the expiry month and year, when known.
    """

    brand: CardBrand | None
    last4: str = attrs.field(validator=_check_last4)
    expiry: CardExpiry | None = None

    @property
    def masked(self) -> str:
        """``"**** 4242"``."""
        return f"**** {self.last4}"

    def to_data(self) -> dict[str, Any]:
        """Snapshot primitives: ``{"brand", "last4", "exp_month", "exp_year"}``."""
        return {
            "brand": None if self.brand is None else str(self.brand),
            "last4": self.last4,
            "exp_month": None if self.expiry is None else self.expiry.month,
            "exp_year": None if self.expiry is None else self.expiry.year,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CardSummary:
        """Rebuild from :meth:`to_data` output."""
        expiry = None
        if data.get("exp_month") is not None and data.get("exp_year") is not None:
            expiry = CardExpiry(int(data["exp_month"]), int(data["exp_year"]))
        brand = data.get("brand")
        return cls(None if brand is None else CardBrand(brand), str(data["last4"]), expiry)


class CardNumber:
    """A syntactically valid card number (digits, known brand, brand length, Luhn).

    Its ``repr`` and ``str`` show only the last four digits; :meth:`reveal` is the one explicit
    way to get the digits back (to hand them to a tokenizer, and nowhere else). It is a plain,
    immutable class rather than an attrs one so that nothing generic can read the digits:
    ``attrs.asdict`` refuses it, it has no ``__dict__``, and pickling raises
    :class:`RawCardDataError` (a pickle is storage).

    Raises:
        InvalidCardError: the number is not a valid card number (the error carries the masked
            form only).
    """

    __slots__ = ("_digits",)
    _digits: str

    def __init__(self, digits: str) -> None:
        if not isinstance(digits, str):
            raise InvalidCardError("characters")
        masked = mask_number(digits)
        if not digits.isdigit() or not digits.isascii():
            raise InvalidCardError("characters", masked)
        rule = rule_for(digits)
        if rule is None:
            raise InvalidCardError("brand", masked)
        if len(digits) not in rule.lengths:
            raise InvalidCardError("length", masked)
        if not luhn_valid(digits):
            raise InvalidCardError("luhn", masked)
        object.__setattr__(self, "_digits", digits)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"CardNumber is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"CardNumber is immutable (cannot delete {name!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CardNumber):
            return NotImplemented
        return self._digits == other._digits

    def __hash__(self) -> int:
        return hash(("CardNumber", self._digits))

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise RawCardDataError("pickle")

    def __copy__(self) -> CardNumber:
        return self

    def __deepcopy__(self, _memo: dict[int, object]) -> CardNumber:
        return self

    @classmethod
    def parse(cls, raw: str) -> CardNumber:
        """Parse a number as typed (spaces and dashes allowed)."""
        return cls(normalize_number(raw))

    @property
    def brand(self) -> CardBrand:
        """The card's network."""
        rule = rule_for(self._digits)
        if rule is None:  # pragma: no cover - refused on construction
            raise InvalidCardError("brand", self.masked)
        return rule.brand

    @property
    def last4(self) -> str:
        """The last four digits."""
        return self._digits[-4:]

    @property
    def masked(self) -> str:
        """``"**** 4242"``."""
        return mask_number(self._digits)

    def summary(self, expiry: CardExpiry | None = None) -> CardSummary:
        """The storable summary of this card."""
        return CardSummary(self.brand, self.last4, expiry)

    def reveal(self) -> str:
        """The full digits. Pass them to your tokenizer only; never store or log them."""
        return self._digits

    def __repr__(self) -> str:
        return f"CardNumber({self.masked!r}, brand={str(self.brand)!r})"

    def __str__(self) -> str:
        return self.masked


@attrs.frozen
class CardCheck:
    """The result of checking card input from a form (problems are values, not exceptions).

    Attributes:
        problems: stable codes of what is wrong (``"characters"``, ``"brand"``, ``"length"``,
            ``"luhn"``, ``"cvc"``, ``"expiry"``, ``"expired"``); empty when the card is usable.
        summary: brand, last four and expiry when the number itself is valid.
    """

    problems: tuple[str, ...]
    summary: CardSummary | None

    @property
    def ok(self) -> bool:
        """Whether the input may be tokenized."""
        return not self.problems


def check_card(
    number: str, cvc: str, expiry_month: int, expiry_year: int, *, now: datetime
) -> CardCheck:
    """Check a card as typed: number, CVC length for the brand, expiry not in the past.

    Problems with the typed values are returned as values; ``number`` or ``cvc`` that are not
    text at all are a programming error and raise :class:`InvalidCardError`.

    >>> from datetime import datetime, UTC
    >>> check_card("4242 4242 4242 4242", "123", 12, 2030, now=datetime(2026, 1, 1, tzinfo=UTC)).ok
    True
    >>> check_card("378282246310005", "123", 1, 2020, now=datetime(2026, 1, 1, tzinfo=UTC)).problems
    ('cvc', 'expired')
    """
    if not isinstance(number, str):
        raise InvalidCardError("characters")
    if not isinstance(cvc, str):
        raise InvalidCardError("cvc")
    problems: list[str] = []
    card: CardNumber | None = None
    try:
        card = CardNumber.parse(number)
    except InvalidCardError as error:
        problems.append(error.reason)
    expiry: CardExpiry | None = None
    with contextlib.suppress(InvalidCardError):
        expiry = CardExpiry(expiry_month, expiry_year)
    rule = rule_for(_SEPARATORS.sub("", number))
    expected_cvc: Sequence[int] = (rule.cvc_length,) if rule is not None else (3, 4)
    if not (cvc.isdigit() and cvc.isascii() and len(cvc) in expected_cvc):
        problems.append("cvc")
    if expiry is None:
        problems.append("expiry")
    elif expiry.is_past(now):
        problems.append("expired")
    summary = card.summary(expiry) if card is not None else None
    return CardCheck(tuple(problems), summary)
