"""The money kernel: exact amounts, one rounding policy, one exact-sum allocator, taxed money.

Amounts are :class:`moneyed.Money` at every public boundary. This module adds what py-moneyed
leaves to the caller:

* :func:`money` builds an amount and refuses floats (``0.1 + 0.2`` is not a price).
* :func:`minor_units` gives a currency's exponent (JPY 0, USD 2, BHD 3).
* :class:`RoundingPolicy` says *how* (mode, cash increment) and *where* (per unit, line or order)
  amounts round; :func:`quantize` is the only place rounding happens. The ambient
  :mod:`decimal` context and ``Money.round()`` are never used.
* :func:`allocate` splits an amount by weights with the largest-remainder method: the parts always
  add up to the whole, to the minor unit. Every split in the library goes through it.
* :class:`TaxedMoney` pairs a net and a gross amount; the tax is derived.
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Final, TypeAlias, TypeVar

import attrs
from moneyed import Currency, CurrencyDoesNotExist, Money, get_currency

from commerce_core.errors import (
    AllocationError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidRoundingPolicyError,
    UnknownCurrencyError,
)

__all__ = [
    "Money",
    "Currency",
    "AmountLike",
    "Weight",
    "money",
    "zero",
    "currency_of",
    "minor_units",
    "to_minor",
    "from_minor",
    "ensure_same_currency",
    "RoundingMode",
    "RoundingLevel",
    "RoundingPolicy",
    "DEFAULT_ROUNDING",
    "quantize",
    "quantize_decimal",
    "allocate",
    "allocate_evenly",
    "allocate_minor",
    "TaxedMoney",
    "money_to_data",
    "money_from_data",
]

AmountLike: TypeAlias = str | int | Decimal
"""What :func:`money` accepts as an amount. Floats are deliberately absent."""

Weight: TypeAlias = int | Decimal | Money
"""A non-negative allocation weight. Money weights count by their amount."""

_E = TypeVar("_E", bound=enum.Enum)

# A private, generous context: results never depend on the caller's ambient decimal context.
_CONTEXT: Final = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP, traps=[])


# Currencies resolved so far, by the code as given ("eur" and "EUR" both map to EUR). Only
# known currencies are stored (an unknown code is refused every time), so the dict stays small.
_CURRENCIES: dict[str, Currency] = {}


def _lookup_currency(currency: object) -> Currency:
    try:
        return get_currency(str(currency).upper())
    except CurrencyDoesNotExist:
        raise UnknownCurrencyError(str(currency)) from None


def _resolve_currency(currency: str | Currency) -> Currency:
    # Exactly str: a subclass may hash or compare unlike its value.
    if type(currency) is str:
        found = _CURRENCIES.get(currency)
        if found is None:
            found = _CURRENCIES[currency] = _lookup_currency(currency)
        return found
    if isinstance(currency, Currency):
        return currency
    return _lookup_currency(currency)


def _to_decimal(amount: object) -> Decimal:
    # bool is an int subclass; True dollars is a bug, not an amount.
    if isinstance(amount, (bool, float)):
        raise InvalidAmountError(
            amount, "floats and bools are not money; pass a str, int or Decimal"
        )
    if isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, int):
        value = Decimal(amount)
    elif isinstance(amount, str):
        try:
            value = Decimal(amount.strip())
        except decimal.InvalidOperation:
            raise InvalidAmountError(amount, "not a decimal number") from None
    else:
        raise InvalidAmountError(amount, f"unsupported type {type(amount).__name__}")
    if not value.is_finite():
        raise InvalidAmountError(amount, "amount must be finite")
    return value


def money(amount: AmountLike, currency: str | Currency) -> Money:
    """Build a :class:`Money` from a str, int or Decimal; floats are refused.

    >>> money("19.99", "EUR")
    Money('19.99', 'EUR')

    Raises:
        InvalidAmountError: for floats, bools, NaN, infinity or unparsable strings.
        UnknownCurrencyError: for a code that is not a known currency.
    """
    return Money(_to_decimal(amount), _resolve_currency(currency))


_DECIMAL_ZERO: Final = Decimal(0)


def zero(currency: str | Currency) -> Money:
    """The zero amount of a currency."""
    return Money(_DECIMAL_ZERO, _resolve_currency(currency))


def currency_of(amount: Money) -> str:
    """The ISO code of an amount's currency."""
    return str(amount.currency.code)


_EXPONENTS: dict[str, int] = {}


def minor_units(currency: str | Currency) -> int:
    """The number of decimal places of a currency (its ISO 4217 exponent).

    >>> minor_units("JPY"), minor_units("USD"), minor_units("BHD")
    (0, 2, 3)

    Raises:
        UnknownCurrencyError: the code is not a known currency.
    """
    code = currency.code if isinstance(currency, Currency) else str(currency).upper()
    cached = _EXPONENTS.get(code)
    if cached is not None:
        return cached
    resolved = _resolve_currency(code)
    sub_unit = int(resolved.sub_unit)
    exponent = len(str(sub_unit)) - 1
    if sub_unit != 10**exponent:  # pragma: no cover - no ISO currency has such a sub unit
        raise UnknownCurrencyError(code)
    _EXPONENTS[code] = exponent
    return exponent


def to_minor(amount: Money) -> int:
    """An amount as an integer number of minor units; refuses amounts off the currency grid.

    Raises:
        InvalidAmountError: the amount has more decimals than the currency allows.
    """
    currency = amount.currency
    exponent = _EXPONENTS.get(currency.code)
    if exponent is None:
        exponent = minor_units(currency)
    scaled = amount.amount.scaleb(exponent, _CONTEXT)
    try:
        units: int | None = int(scaled)  # truncates towards zero, exactly
    except ValueError:  # NaN: never on the grid (infinity raises OverflowError, as it did)
        units = None
    if units is None or scaled != units:
        raise InvalidAmountError(
            amount, f"more than {exponent} decimals for {currency.code}; quantize first"
        )
    return units


def from_minor(units: int, currency: str | Currency) -> Money:
    """Build an amount from an integer number of minor units."""
    resolved = _resolve_currency(currency)
    exponent = _EXPONENTS.get(resolved.code)
    if exponent is None:
        exponent = minor_units(resolved)
    return Money(Decimal(units).scaleb(-exponent, _CONTEXT), resolved)


def ensure_same_currency(amounts: Iterable[Money], *, context: str = "") -> str | None:
    """Check that all amounts share one currency and return its code (None when empty).

    Raises:
        CurrencyMismatchError: two amounts differ in currency.
    """
    code: str | None = None
    for amount in amounts:
        current = amount.currency.code
        if code is None:
            code = current
        elif current != code:
            raise CurrencyMismatchError(code, current, context=context)
    return code


class RoundingMode(enum.Enum):
    """How a value between two grid points is rounded."""

    HALF_UP = decimal.ROUND_HALF_UP
    """Ties away from zero: 0.005 -> 0.01, -0.005 -> -0.01 (commercial rounding; the default)."""
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    """Ties to the even neighbour (banker's rounding): 0.005 -> 0.00, 0.015 -> 0.02."""
    HALF_DOWN = decimal.ROUND_HALF_DOWN
    """Ties towards zero: 0.005 -> 0.00."""
    DOWN = decimal.ROUND_DOWN
    """Towards zero (truncation)."""
    UP = decimal.ROUND_UP
    """Away from zero."""


class RoundingLevel(enum.Enum):
    """Where pricing and tax round: each unit price, each line, or once for the whole order."""

    UNIT = "unit"
    LINE = "line"
    ORDER = "order"


def _enum_member(enum_type: type[_E], field: str, value: object) -> _E:
    if isinstance(value, enum_type):
        return value
    if isinstance(value, str):
        for member in enum_type:
            if value.strip().upper() == member.name or value == member.value:
                return member
    names = ", ".join(member.name for member in enum_type)
    raise InvalidRoundingPolicyError(
        field, value, f"expected a {enum_type.__name__}, or one of its names ({names})"
    )


def _to_mode(value: RoundingMode | str) -> RoundingMode:
    return _enum_member(RoundingMode, "mode", value)


def _to_level(value: RoundingLevel | str) -> RoundingLevel:
    return _enum_member(RoundingLevel, "level", value)


def _to_increment(value: Decimal | str | None) -> Decimal | None:
    if value is None:
        return None
    inc = _to_decimal(value)
    if inc <= 0:
        raise InvalidAmountError(value, "cash increment must be positive")
    return inc


@attrs.frozen
class RoundingPolicy:
    """How and where amounts are rounded. Immutable; pass it explicitly.

    ``mode`` and ``level`` take the enum member, or its name or value as a string
    (``"half_even"``, ``"ROUND_HALF_EVEN"``, ``"order"``); anything else is refused.

    Attributes:
        mode: the rounding mode (half-up by default).
        level: where pricing and tax round (per line by default).
        cash_increment: an optional smallest payable step, e.g. ``Decimal("0.05")`` for Swiss
            francs; :func:`quantize` then rounds to multiples of it instead of the minor unit.
    """

    mode: RoundingMode = attrs.field(default=RoundingMode.HALF_UP, converter=_to_mode)
    level: RoundingLevel = attrs.field(default=RoundingLevel.LINE, converter=_to_level)
    cash_increment: Decimal | None = attrs.field(default=None, converter=_to_increment)

    @classmethod
    def cash(
        cls, increment: Decimal | str, mode: RoundingMode = RoundingMode.HALF_UP
    ) -> RoundingPolicy:
        """A policy rounding to a cash increment (``RoundingPolicy.cash("0.05")`` for CHF)."""
        return cls(mode=mode, cash_increment=_to_increment(increment))

    def at(self, level: RoundingLevel) -> RoundingPolicy:
        """The same policy rounding at another level."""
        return attrs.evolve(self, level=level)


DEFAULT_ROUNDING: Final = RoundingPolicy()
"""Half-up, per line, to the currency's minor unit."""

_QUANTUMS: dict[int, Decimal] = {}


def quantize_decimal(
    amount: Decimal, currency: str | Currency, policy: RoundingPolicy = DEFAULT_ROUNDING
) -> Decimal:
    """Round a Decimal amount of ``currency`` per ``policy`` (the hot-path :func:`quantize`)."""
    rounding = policy.mode.value
    increment = policy.cash_increment
    if increment is not None:
        steps = (amount / increment).to_integral_value(rounding=rounding, context=_CONTEXT)
        return (steps * increment).quantize(increment, context=_CONTEXT)
    exponent = minor_units(currency)
    quantum = _QUANTUMS.get(exponent)
    if quantum is None:
        quantum = _QUANTUMS.setdefault(exponent, Decimal(1).scaleb(-exponent))
    return amount.quantize(quantum, rounding=rounding, context=_CONTEXT)


def _minor_quantum(currency: Currency) -> Decimal:
    code = currency.code
    quantum = _QUANTUMS_BY_CODE.get(code)
    if quantum is None:
        quantum = _QUANTUMS_BY_CODE.setdefault(code, Decimal(1).scaleb(-minor_units(currency)))
    return quantum


_QUANTUMS_BY_CODE: dict[str, Decimal] = {}


def quantize(amount: Money, policy: RoundingPolicy = DEFAULT_ROUNDING) -> Money:
    """Round an amount to its currency's minor unit (or the policy's cash increment).

    >>> quantize(money("0.005", "USD"))
    Money('0.01', 'USD')
    >>> quantize(money("2.5", "JPY"))
    Money('3', 'JPY')

    Idempotent: quantizing a quantized amount returns it unchanged.
    """
    currency = amount.currency
    if policy.cash_increment is None:
        quantum = _QUANTUMS_BY_CODE.get(currency.code) or _minor_quantum(currency)
        value = amount.amount.quantize(quantum, rounding=policy.mode.value, context=_CONTEXT)
    else:
        value = quantize_decimal(amount.amount, currency, policy)
    return Money(value, currency)


def _weight_values(weights: Sequence[Weight]) -> list[Decimal]:
    values: list[Decimal] = []
    for weight in weights:
        if isinstance(weight, Money):
            value = weight.amount
        elif isinstance(weight, bool) or not isinstance(weight, int | Decimal):
            raise AllocationError(weights, f"weight {weight!r} is not an int, Decimal or Money")
        else:
            value = Decimal(weight)
        if not value.is_finite() or value < 0:
            raise AllocationError(weights, f"weight {weight!r} is negative or not finite")
        values.append(value)
    return values


def _integer_weights(values: list[Decimal]) -> list[int]:
    # Scale every weight by the same power of ten so that integer arithmetic is exact.
    places = max((-int(v.as_tuple().exponent) for v in values if v), default=0)
    places = max(places, 0)
    return [int(v.scaleb(places, _CONTEXT)) for v in values]


def allocate(total: Money, weights: Sequence[Weight]) -> tuple[Money, ...]:
    """Split ``total`` in proportion to ``weights``; the parts always sum exactly to ``total``.

    The largest-remainder method in integer minor units: each part first gets the floor of its
    exact share; the minor units still missing go one each to the parts with the largest
    remainders. Ties go to the earlier weight (lower index), so the result is deterministic.
    Every part is within one minor unit of its exact share, a zero weight gets exactly zero, and
    a negative total is split as the negation of the split of its absolute value.

    >>> allocate(money("10.00", "USD"), [1, 1, 1])
    (Money('3.34', 'USD'), Money('3.33', 'USD'), Money('3.33', 'USD'))

    Raises:
        AllocationError: no weights, a negative weight, or all weights zero.
        InvalidAmountError: ``total`` has more decimals than its currency allows.
    """
    if not weights:
        raise AllocationError(weights, "no weights given")
    ints = _integer_weights(_weight_values(weights))
    if sum(ints) == 0:
        raise AllocationError(weights, "all weights are zero")
    currency = total.currency
    return tuple(from_minor(part, currency) for part in allocate_minor(to_minor(total), ints))


def allocate_minor(units: int, weights: Sequence[int]) -> list[int]:
    """:func:`allocate` on integer minor units and integer weights (the hot-path core).

    Same largest-remainder method and tie-break (earlier weight first); the parts always sum
    to ``units``.

    >>> allocate_minor(1000, [1, 1, 1])
    [334, 333, 333]

    Raises:
        AllocationError: no weights, a negative weight, or all weights zero.
    """
    if len(weights) == 1 and weights[0] > 0:
        return [units]  # the whole goes to the only part
    weight_sum = sum(weights)
    if not weights or weight_sum <= 0 or min(weights) < 0:
        raise AllocationError(weights, "weights must be non-negative with a positive sum")
    sign = -1 if units < 0 else 1
    magnitude = abs(units)
    parts: list[int] = []
    remainders: list[tuple[int, int]] = []
    for index, weight in enumerate(weights):
        share, remainder = divmod(magnitude * weight, weight_sum)
        parts.append(share)
        remainders.append((-remainder, index))
    missing = magnitude - sum(parts)
    if missing:
        for _, index in sorted(remainders)[:missing]:
            parts[index] += 1
    if sign < 0:
        return [-part for part in parts]
    return parts


def allocate_evenly(total: Money, parts: int) -> tuple[Money, ...]:
    """Split ``total`` into ``parts`` equal shares (earlier parts take the leftover units).

    Raises:
        AllocationError: ``parts`` is not a whole number of at least one.
    """
    count: object = parts  # callers outside mypy pass floats and strings
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise AllocationError((), f"cannot split into {parts!r} parts")
    return allocate(total, [1] * count)


def _check_factor(factor: object) -> int | Decimal:
    if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
        raise InvalidAmountError(factor, "multiply money by an int or a Decimal only")
    return factor


@attrs.frozen
class TaxedMoney:
    """A net and a gross amount of one currency; ``tax`` is their difference.

    Arithmetic keeps both sides exact; round with :meth:`quantized` when a policy says so.

    Raises:
        CurrencyMismatchError: net and gross differ in currency.
    """

    net: Money
    gross: Money

    def __attrs_post_init__(self) -> None:
        net, gross = self.net, self.gross
        if not isinstance(net, Money):
            raise InvalidAmountError(net, "TaxedMoney sides must be Money")
        if not isinstance(gross, Money):
            raise InvalidAmountError(gross, "TaxedMoney sides must be Money")
        if net.currency.code != gross.currency.code:
            raise CurrencyMismatchError(
                net.currency.code, gross.currency.code, context="TaxedMoney"
            )

    @classmethod
    def _trusted(cls, net: Money, gross: Money) -> TaxedMoney:
        """Internal: a pair its caller built as Money of one currency (no checks).

        Equal to ``TaxedMoney(net, gross)`` for such a pair.
        """
        pair = object.__new__(cls)
        set_field = object.__setattr__
        set_field(pair, "net", net)
        set_field(pair, "gross", gross)
        return pair

    @classmethod
    def zero(cls, currency: str | Currency) -> TaxedMoney:
        """Zero net and gross in ``currency``."""
        nothing = zero(currency)
        return cls(nothing, nothing)

    @classmethod
    def untaxed(cls, amount: Money) -> TaxedMoney:
        """An amount that carries no tax (net == gross)."""
        return cls(amount, amount)

    @property
    def tax(self) -> Money:
        """The tax amount, ``gross - net``."""
        return Money(_CONTEXT.subtract(self.gross.amount, self.net.amount), self.net.currency)

    @property
    def currency(self) -> str:
        """The ISO code of the currency."""
        return str(self.net.currency.code)

    def _other(self, other: object) -> TaxedMoney:
        if not isinstance(other, TaxedMoney):
            raise TypeError(f"cannot combine TaxedMoney with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency, context="TaxedMoney")
        return other

    # Arithmetic runs in the module's private context: the caller's ambient decimal context
    # (a low precision, a trap) never changes a result.

    def __add__(self, other: object) -> TaxedMoney:
        o = self._other(other)
        currency = self.net.currency
        return TaxedMoney(
            Money(_CONTEXT.add(self.net.amount, o.net.amount), currency),
            Money(_CONTEXT.add(self.gross.amount, o.gross.amount), currency),
        )

    def __sub__(self, other: object) -> TaxedMoney:
        o = self._other(other)
        currency = self.net.currency
        return TaxedMoney(
            Money(_CONTEXT.subtract(self.net.amount, o.net.amount), currency),
            Money(_CONTEXT.subtract(self.gross.amount, o.gross.amount), currency),
        )

    def __mul__(self, factor: object) -> TaxedMoney:
        f = Decimal(_check_factor(factor))
        currency = self.net.currency
        return TaxedMoney(
            Money(_CONTEXT.multiply(self.net.amount, f), currency),
            Money(_CONTEXT.multiply(self.gross.amount, f), currency),
        )

    __rmul__ = __mul__

    def __neg__(self) -> TaxedMoney:
        currency = self.net.currency
        return TaxedMoney(
            Money(_CONTEXT.minus(self.net.amount), currency),
            Money(_CONTEXT.minus(self.gross.amount), currency),
        )

    def quantized(self, policy: RoundingPolicy = DEFAULT_ROUNDING) -> TaxedMoney:
        """Both sides rounded per ``policy``."""
        return TaxedMoney(quantize(self.net, policy), quantize(self.gross, policy))


def money_to_data(amount: Money) -> dict[str, str]:
    """An amount as snapshot primitives: ``{"amount": "12.30", "currency": "EUR"}``."""
    return {"amount": str(amount.amount), "currency": str(amount.currency.code)}


def money_from_data(data: Mapping[str, str]) -> Money:
    """Rebuild an amount from :func:`money_to_data` output (exact, never through float).

    Raises:
        InvalidAmountError: the mapping has no amount or currency, or the amount is not a
            decimal number.
        UnknownCurrencyError: the currency is not a known currency.
    """
    try:
        amount, currency = data["amount"], data["currency"]
    except (KeyError, TypeError):
        raise InvalidAmountError(data, "money data needs 'amount' and 'currency'") from None
    # What money_to_data wrote (a str amount, a currency code already resolved once) is built
    # here directly; anything else, and any amount that is not finite, takes money() itself.
    if type(amount) is str and type(currency) is str:
        found = _CURRENCIES.get(currency)
        if found is not None:
            try:
                value = Decimal(amount.strip())
            except decimal.InvalidOperation:
                raise InvalidAmountError(amount, "not a decimal number") from None
            if value.is_finite():
                return Money(value, found)
    return money(amount, currency)
