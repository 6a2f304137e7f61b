"""Coupon codes: normalisation, coupons with usage limits and windows, bulk code generation.

Randomness never lives here: :func:`generate_codes` draws from an injected ``randbelow``
(``secrets.SystemRandom().randrange`` behind the ``RandomSource`` port in production).
"""

from __future__ import annotations

import enum
import string
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final

import attrs

from commerce_core.errors import (
    CodeGenerationError,
    ConflictingPromotionError,
    InvalidCouponCodeError,
)

__all__ = [
    "CODE_ALPHABET",
    "normalize_code",
    "Coupon",
    "RedeemOutcome",
    "generate_codes",
]

CODE_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""32 symbols without the look-alikes 0/O and 1/I: 5 bits of entropy per character."""

_ALLOWED: Final = frozenset(string.ascii_uppercase + string.digits + "-_")


def normalize_code(raw: str) -> str:
    """A code as stored and compared: surrounding spaces removed, upper case.

    >>> normalize_code("  summer-10 ")
    'SUMMER-10'

    Raises:
        InvalidCouponCodeError: empty, or characters other than letters, digits, ``-`` and ``_``.
    """
    code = str(raw).strip().upper()
    if not code:
        raise InvalidCouponCodeError(str(raw), "a code cannot be empty")
    if not _ALLOWED.issuperset(code):
        raise InvalidCouponCodeError(str(raw), "use letters, digits, '-' and '_' only")
    return code


def _check_limit(field: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or value < 1):
        raise ConflictingPromotionError(field, f"{value!r} must be at least 1")


@attrs.frozen(kw_only=True)
class Coupon:
    """A code that unlocks a promotion, with its own usage limits and validity window.

    Many coupons may unlock the same promotion (bulk-generated single-use codes).

    Attributes:
        code: the normalised code.
        promotion_id: the promotion it unlocks.
        max_uses: total uses allowed (unlimited when ``None``).
        max_uses_per_customer: uses allowed per customer (unlimited when ``None``). Such a
            code needs a known customer: guests (no ``customer_id``) cannot use it, since
            nothing would tell their uses apart.
        starts: first valid instant (inclusive), optional.
        ends: the instant it expires (exclusive), optional.

    Raises:
        InvalidCouponCodeError: an invalid code.
        ConflictingPromotionError: a limit below 1, a naive (timezone-less) ``starts`` or
            ``ends``, or a window ending before it starts.
    """

    code: str = attrs.field(converter=normalize_code)
    promotion_id: str
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    starts: datetime | None = None
    ends: datetime | None = None

    def __attrs_post_init__(self) -> None:
        _check_limit("max_uses", self.max_uses)
        _check_limit("max_uses_per_customer", self.max_uses_per_customer)
        for bound in (self.starts, self.ends):
            if bound is not None and bound.tzinfo is None:
                raise ConflictingPromotionError("window", "use timezone-aware datetimes")
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ConflictingPromotionError("window", "the coupon expires before it starts")

    @classmethod
    def single_use(cls, code: str, promotion_id: str, **kwargs: datetime | None) -> Coupon:
        """A code usable once, by anyone."""
        return cls(code=code, promotion_id=promotion_id, max_uses=1, **kwargs)  # type: ignore[arg-type]

    def not_started(self, now: datetime) -> bool:
        """Whether ``now`` is before the window."""
        return self.starts is not None and now < self.starts

    def expired(self, now: datetime) -> bool:
        """Whether ``now`` is at or after the end of the window."""
        return self.ends is not None and now >= self.ends


class RedeemOutcome(enum.StrEnum):
    """The answer of an atomic redeem-if-under-limit (a value, not an exception)."""

    REDEEMED = "redeemed"
    ALREADY_REDEEMED = "already_redeemed"
    LIMIT_REACHED = "limit_reached"
    CUSTOMER_LIMIT_REACHED = "customer_limit_reached"
    CUSTOMER_REQUIRED = "customer_required"

    @property
    def ok(self) -> bool:
        """Whether the order holds a use of the code."""
        return self in (RedeemOutcome.REDEEMED, RedeemOutcome.ALREADY_REDEEMED)


def generate_codes(
    count: int,
    randbelow: Callable[[int], int],
    *,
    length: int = 12,
    prefix: str = "",
    existing: Iterable[str] = (),
    alphabet: str = CODE_ALPHABET,
) -> tuple[str, ...]:
    """``count`` new unique codes of ``length`` random symbols after ``prefix``.

    With the default alphabet a 12-symbol code carries 60 bits of entropy: unguessable when
    ``randbelow`` is cryptographic (``secrets.randbelow``). Codes already in ``existing`` (and
    duplicates) are redrawn; the result is sorted.

    Raises:
        CodeGenerationError: ``length`` below 6, fewer than ``count`` codes possible, or too
            many collisions.
    """
    if isinstance(count, bool) or count < 0:
        raise CodeGenerationError(count, "count must be a non-negative integer")
    if length < 6:
        raise CodeGenerationError(count, "codes shorter than 6 symbols are guessable")
    symbols = len(set(alphabet))
    taken = {normalize_code(c) for c in existing}
    head = normalize_code(prefix) if prefix else ""
    if symbols**length < (count + len(taken)) * 4:
        raise CodeGenerationError(count, "the code space is too small for that many codes")
    made: set[str] = set()
    attempts = 0
    while len(made) < count:
        attempts += 1
        if attempts > count * 10 + 100:
            raise CodeGenerationError(count, "too many collisions; use longer codes")
        code = head + "".join(alphabet[randbelow(symbols)] for _ in range(length))
        if code not in taken and code not in made:
            made.add(code)
    return tuple(sorted(made))
