"""Tax: rates by jurisdiction and tax class, with validity dates, resolved with fallbacks.

The model
---------
* A :class:`Destination` is where goods go: a country, a region (a US state, a Canadian
  province) and any number of *localities* inside the region (a county, a city, a transit
  district: New York City is in the ``"New York City"`` and ``"MCTD"`` localities).
* A :class:`Jurisdiction` is where a rate applies: a country, optionally narrowed to a region
  and to one locality. The empty jurisdiction ``Jurisdiction()`` is the *default*, used when
  nothing more specific matches.
* A :class:`TaxRate` is one tax component of a jurisdiction and tax class: ``VAT 20%`` for
  ``FR/standard``. Several rows for one jurisdiction and class form a *combined* rate. A row
  marked ``compound`` applies on the net **plus** the components before it (tax on tax). A row
  marked ``stacks`` applies **on top of** the rates of the less specific levels (a US county or
  city rate adds to the state rate; a Canadian PST adds to the federal GST); a row that does not
  stack **replaces** them (an EU regional rate replaces the national one; Ontario's HST replaces
  the GST).
* :class:`TaxTable` resolves ``(tax class, destination, instant)`` by walking the destination's
  levels from the most specific to the least: ``localities -> region -> country``. Levels with no
  rows valid at the instant are skipped (the EU-style fallback). The first level with rows
  contributes them all (every matching locality together); if every one of them stacks, the walk
  goes on and the next level with rows contributes too, and so on, until a level has a row that
  does not stack. Components apply from the least specific to the most (country, region, then
  the localities in the destination's order). The *default* jurisdiction applies only when no
  level of the destination has rows. Tax classes listed in ``zero_rated_classes`` resolve to one
  0% component everywhere.

:class:`TaxTable` is the built-in implementation of the :class:`TaxCalculator` protocol that the
pricing pipeline calls; a host plugs an external tax service through the
:class:`~commerce_core.ports.tax.TaxProvider` port instead.

>>> from decimal import Decimal
>>> table = TaxTable(
...     (
...         TaxRate.percent("VAT", "20", Jurisdiction("FR")),
...         TaxRate.percent("VAT", "5.5", Jurisdiction("FR"), tax_class="reduced"),
...         TaxRate.percent("NY State", "4", Jurisdiction("US", "NY")),
...         TaxRate.percent("NYC", "4.5", Jurisdiction("US", "NY", "New York City"), stacks=True),
...     )
... )
>>> [(c.name, c.rate) for c in table.rates_for("reduced", Destination("FR"), None).components]
[('VAT', Decimal('0.055'))]
>>> nyc = Destination("US", "NY", ("New York City",))
>>> [c.label for c in table.rates_for("standard", nyc, None).components]
['NY State 4%', 'NYC 4.5%']
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final, Protocol

import attrs

from commerce_core.errors import InvalidTaxRateError, UnknownJurisdictionError

__all__ = [
    "Destination",
    "Jurisdiction",
    "TaxExemption",
    "TaxComponent",
    "TaxResolution",
    "TaxRate",
    "TaxTable",
    "TaxCalculator",
    "STANDARD",
    "ZERO_RATED",
]

STANDARD = "standard"
"""The default tax class name."""

ZERO_RATED = "zero"
"""A conventional zero-rated class name (books in the UK, exports...)."""


def _upper(value: str) -> str:
    return str(value).strip().upper()


def _strip(value: str) -> str:
    return str(value).strip()


def _localities(value: str | Iterable[str]) -> tuple[str, ...]:
    if type(value) is str:
        # One name (an address's city, as checkout gives it): what the loop below makes of it.
        stripped = value.strip()
        return (stripped,) if stripped else ()
    if type(value) is tuple and not value:
        return ()  # the default: nothing to clean
    names = (value,) if isinstance(value, str) else tuple(value)
    out: list[str] = []
    for name in names:
        stripped = str(name).strip()
        if stripped and stripped not in out:
            out.append(stripped)
    return tuple(out)


@attrs.frozen
class Destination:
    """Where an order ships (or, for digital goods, where the customer is).

    Attributes:
        country: ISO 3166-1 alpha-2 code (``"FR"``, ``"US"``), upper-cased.
        region: a state, province or region code (``"NY"``), upper-cased; empty when unknown.
        localities: the sub-jurisdictions of the region the address lies in (county, city,
            district...), as the tax table spells them, most general first. One name may be
            given as a plain string: ``Destination("US", "NY", "New York City")``. Used only
            with a region.
        postal_code: the postal code (informational; shipping rules may use it).
    """

    country: str = attrs.field(converter=_upper)
    region: str = attrs.field(default="", converter=_upper)
    localities: tuple[str, ...] = attrs.field(default=(), converter=_localities)
    postal_code: str = attrs.field(default="", converter=_strip)

    def __attrs_post_init__(self) -> None:
        if not self.country:
            raise UnknownJurisdictionError(
                "", self.region, "", reason="a destination needs a country"
            )


@attrs.frozen
class Jurisdiction:
    """Where a rate applies. Empty fields mean "any"; ``Jurisdiction()`` is the default.

    Attributes:
        country: ISO country code, or empty for the default jurisdiction.
        region: state/province code within the country, or empty.
        locality: county/city within the region, or empty.
    """

    country: str = attrs.field(default="", converter=_upper)
    region: str = attrs.field(default="", converter=_upper)
    locality: str = attrs.field(default="", converter=_strip)

    def __attrs_post_init__(self) -> None:
        if (self.region and not self.country) or (self.locality and not self.region):
            raise InvalidTaxRateError(
                str(self), "a jurisdiction narrows country -> region -> locality, in that order"
            )

    def __str__(self) -> str:
        parts = [p for p in (self.country, self.region, self.locality) if p]
        return "/".join(parts) or "default"


@attrs.frozen
class TaxExemption:
    """A customer's tax exemption (a reseller certificate, a diplomatic exemption...).

    Attributes:
        reference: the certificate or registration number printed on the invoice.
        reason: why the customer is exempt (free text).
    """

    reference: str
    reason: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.reference.strip():
            raise InvalidTaxRateError(self.reference, "an exemption needs a reference")


@attrs.frozen
class TaxComponent:
    """One tax applied to an amount: a name, a rate (a fraction: 0.20 for 20%), compound or not.

    Attributes:
        name: what the invoice prints (``"VAT"``, ``"NY State"``).
        rate: the rate as a fraction.
        compound: whether it applies on the net plus the components before it.
        jurisdiction: where it comes from (for the explanation trace).
    """

    name: str
    rate: Decimal
    compound: bool = False
    jurisdiction: str = "default"

    @property
    def percent(self) -> Decimal:
        """The rate in percent, normalised (``Decimal("20")`` for 0.20)."""
        return (self.rate * 100).normalize()

    @property
    def label(self) -> str:
        """``"VAT 20%"``, with ``" (compound)"`` when it applies on other taxes."""
        text = f"{self.name} {self.percent:f}%"
        return f"{text} (compound)" if self.compound else text


@attrs.frozen
class TaxResolution:
    """What a :class:`TaxCalculator` answers for one tax class and destination.

    Attributes:
        components: the taxes that apply, in application order (empty: nothing to pay).
        explanation: a sentence for the pricing trace (which jurisdiction, which fallback).
    """

    components: tuple[TaxComponent, ...]
    explanation: str = ""

    @property
    def key(self) -> tuple[tuple[str, Decimal, bool], ...]:
        """A hashable identity of the components (lines with equal keys are taxed alike).

        Kept once read when ``components`` is a tuple (immutable values of this frozen value: a
        tax table answers the same resolution for every cart it taxes alike); computed on every
        read when it is another sequence (a list the host may still change).
        """
        if type(self.components) is tuple:
            return self._kept_key
        return _key_of(self.components)

    @functools.cached_property
    def _kept_key(self) -> tuple[tuple[str, Decimal, bool], ...]:
        """``key`` of a tuple of components, computed once."""
        return _key_of(self.components)

    @functools.cached_property
    def _kept_simple_coefficients(self) -> tuple[Decimal, ...] | None:
        """``_simple_coefficients`` of a tuple of components, computed once."""
        return _simple_coefficients(self.components)

    def coefficients(self) -> tuple[Decimal, ...]:
        """Each component's tax as a fraction of the net (compound ones include earlier taxes).

        >>> r = TaxResolution(
        ...     (
        ...         TaxComponent("GST", Decimal("0.05")),
        ...         TaxComponent("PST", Decimal("0.10"), compound=True),
        ...     )
        ... )
        >>> r.coefficients()
        (Decimal('0.05'), Decimal('0.1050'))
        """
        if type(self.components) is tuple:
            simple = self._kept_simple_coefficients
        else:  # another sequence (a list the host may still change): nothing kept
            simple = _simple_coefficients(self.components)
        if simple is not None:
            return simple
        coefs: list[Decimal] = []
        running = Decimal(0)
        for component in self.components:
            coef = component.rate * (1 + running) if component.compound else component.rate
            coefs.append(coef)
            running += coef
        return tuple(coefs)


def _key_of(components: Sequence[TaxComponent]) -> tuple[tuple[str, Decimal, bool], ...]:
    return tuple((c.name, c.rate, c.compound) for c in components)


def _simple_coefficients(components: Sequence[TaxComponent]) -> tuple[Decimal, ...] | None:
    """The coefficients when no component is compound, else None.

    Each is then its component's rate: no arithmetic, so the same in every decimal context.
    """
    if any(component.compound for component in components):
        return None
    return tuple(component.rate for component in components)


def _rate(value: object) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise InvalidTaxRateError(value, "a rate is a Decimal, int or str fraction, never a float")
    try:
        rate = Decimal(value)
    except ArithmeticError:
        raise InvalidTaxRateError(value, "not a decimal number") from None
    if not rate.is_finite() or rate < 0 or rate >= 10:
        raise InvalidTaxRateError(value, "a rate is a fraction between 0 and 10 (0.2 for 20%)")
    return rate


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidTaxRateError(value, "validity dates must be timezone-aware")
    return value


@attrs.frozen
class TaxRate:
    """One row of a tax table: a component valid for a jurisdiction, a class and a period.

    Attributes:
        name: what the invoice prints.
        rate: a fraction (``Decimal("0.2")``); floats are refused.
        jurisdiction: where it applies.
        tax_class: which items it applies to (``"standard"`` by default).
        compound: whether it applies on the net plus the components listed before it.
        valid_from: first instant it applies (inclusive), or None for "always".
        valid_until: first instant it no longer applies (exclusive), or None for "forever".
        stacks: whether it applies on top of the rates of less specific jurisdictions (a US
            county or city rate on the state rate) instead of replacing them (False, the
            default: an EU regional rate replaces the national one).

    Raises:
        InvalidTaxRateError: a float or out-of-range rate, naive or inverted validity dates.
    """

    name: str
    rate: Decimal = attrs.field(converter=_rate)
    jurisdiction: Jurisdiction = attrs.field(factory=Jurisdiction)
    tax_class: str = STANDARD
    compound: bool = False
    valid_from: datetime | None = attrs.field(default=None, converter=_aware)
    valid_until: datetime | None = attrs.field(default=None, converter=_aware)
    stacks: bool = False

    def __attrs_post_init__(self) -> None:
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until <= self.valid_from
        ):
            raise InvalidTaxRateError(self.name, "valid_until must be after valid_from")

    @classmethod
    def percent(
        cls,
        name: str,
        percent: str | int | Decimal,
        jurisdiction: Jurisdiction | None = None,
        **kwargs: object,
    ) -> TaxRate:
        """A rate given in percent: ``TaxRate.percent("VAT", "20", Jurisdiction("FR"))``."""
        if isinstance(percent, bool | float) or not isinstance(percent, Decimal | int | str):
            raise InvalidTaxRateError(percent, "a percentage is a Decimal, int or str")
        try:
            fraction = Decimal(percent) / 100
        except ArithmeticError:
            raise InvalidTaxRateError(percent, "not a decimal number") from None
        return cls(name, fraction, jurisdiction or Jurisdiction(), **kwargs)  # type: ignore[arg-type]

    def overlaps(self, other: TaxRate) -> bool:
        """Whether the validity windows of ``self`` and ``other`` share an instant."""
        starts_before_other_ends = (
            self.valid_from is None
            or other.valid_until is None
            or self.valid_from < other.valid_until
        )
        other_starts_before_end = (
            other.valid_from is None
            or self.valid_until is None
            or other.valid_from < self.valid_until
        )
        return starts_before_other_ends and other_starts_before_end

    def valid_at(self, instant: datetime | None) -> bool:
        """Whether the rate applies at ``instant`` (None: ignore validity dates)."""
        if instant is None:
            return True
        if self.valid_from is not None and instant < self.valid_from:
            return False
        return not (self.valid_until is not None and instant >= self.valid_until)

    def component(self) -> TaxComponent:
        """The component this row contributes."""
        return TaxComponent(self.name, self.rate, self.compound, str(self.jurisdiction))


class TaxCalculator(Protocol):
    """What the pricing pipeline asks about tax: the components for a class and destination.

    Implementations must be pure for a given input (the pipeline caches answers per tax class
    within one pricing run).
    """

    def rates_for(
        self, tax_class: str, destination: Destination | None, at: datetime | None
    ) -> TaxResolution:
        """The components that apply to ``tax_class`` goods sent to ``destination`` at ``at``.

        Raises:
            UnknownJurisdictionError: no rate matches and there is no default.
        """
        ...


def _strings(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _index(
    rates: tuple[TaxRate, ...],
) -> dict[tuple[str, str, str, str], tuple[TaxRate, ...]]:
    index: dict[tuple[str, str, str, str], list[TaxRate]] = {}
    for rate in rates:
        j = rate.jurisdiction
        index.setdefault((j.country, j.region, j.locality, rate.tax_class), []).append(rate)
    return {key: tuple(value) for key, value in index.items()}


def _where(key: tuple[str, str, str]) -> str:
    return "/".join(p for p in key if p) or "default"


def _asked(destination: Destination) -> str:
    localities = ", ".join(destination.localities) if destination.region else ""
    return _where((destination.country, destination.region, localities))


def _tuple_of_rates(rates: Iterable[TaxRate]) -> tuple[TaxRate, ...]:
    rows = tuple(rates)
    seen: dict[tuple[str, Jurisdiction, str], list[TaxRate]] = {}
    for row in rows:
        same = seen.setdefault((row.name, row.jurisdiction, row.tax_class), [])
        for earlier in same:
            if row.overlaps(earlier):
                raise InvalidTaxRateError(
                    row,
                    f"{row.name!r} for class {row.tax_class!r} at {row.jurisdiction} has rows "
                    "whose validity windows overlap: both would be charged; end one row's "
                    "window (valid_until) where the next one starts (valid_from)",
                )
        same.append(row)
    return rows


_RESOLVED_MAX: Final = 256


@attrs.frozen
class TaxTable:
    """The built-in tax calculator: a table of :class:`TaxRate` rows resolved with fallbacks.

    Attributes:
        rates: every row; several rows for one jurisdiction and class make a combined rate,
            applied in the order given here.

    Raises:
        InvalidTaxRateError: two rows with the same name, jurisdiction and tax class whose
            validity windows overlap (both would be charged: 20% twice is 40%).
        zero_rated_classes: classes taxed at 0% everywhere (shown on invoices as zero-rated).
    """

    rates: tuple[TaxRate, ...] = attrs.field(converter=_tuple_of_rates)
    zero_rated_classes: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    _by_key: dict[tuple[str, str, str, str], tuple[TaxRate, ...]] = attrs.field(
        init=False, eq=False, repr=False
    )
    # Each row's component and its label, by the row's id (the rows live as long as the table):
    # built once here rather than for every resolution.
    _components: dict[int, tuple[TaxComponent, str]] = attrs.field(init=False, eq=False, repr=False)
    # When no row has validity dates, an answer depends on the class and the destination's
    # jurisdiction only (never on the instant): answers are kept here, by (class, country,
    # region, localities), and reused. A table is immutable, so they stay right; the store is
    # emptied when it reaches _RESOLVED_MAX entries, so it stays small.
    _resolved: dict[tuple[object, ...], TaxResolution] | None = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_key", _index(self.rates))
        components = {}
        for row in self.rates:
            component = row.component()
            components[id(row)] = (component, component.label)
        object.__setattr__(self, "_components", components)
        timeless = all(row.valid_from is None and row.valid_until is None for row in self.rates)
        object.__setattr__(self, "_resolved", {} if timeless else None)

    def _valid(
        self, key: tuple[str, str, str], tax_class: str, at: datetime | None
    ) -> list[TaxRate]:
        rows = self._by_key.get((*key, tax_class), ())
        return [row for row in rows if row.valid_at(at)]

    def rates_for(
        self, tax_class: str, destination: Destination | None, at: datetime | None
    ) -> TaxResolution:
        """Resolve ``tax_class`` for ``destination`` at ``at`` (see the module docstring).

        Raises:
            UnknownJurisdictionError: no level (down to the default) has a valid rate.
        """
        resolved = self._resolved
        if resolved is None:
            return self._resolve(tax_class, destination, at)
        key = (
            (tax_class,)
            if destination is None
            else (tax_class, destination.country, destination.region, destination.localities)
        )
        found = resolved.get(key)
        if found is None:
            found = self._resolve(tax_class, destination, at)
            if len(resolved) >= _RESOLVED_MAX:
                resolved.clear()
            resolved[key] = found
        return found

    def _resolve(
        self, tax_class: str, destination: Destination | None, at: datetime | None
    ) -> TaxResolution:
        """:meth:`rates_for`, computed."""
        if tax_class in self.zero_rated_classes:
            return TaxResolution(
                (TaxComponent("Zero-rated", Decimal(0)),),
                f"tax class {tax_class!r} is zero-rated",
            )
        levels: list[tuple[tuple[str, str, str], ...]] = []
        if destination is not None:
            c, r = destination.country, destination.region
            if r and destination.localities:
                levels.append(tuple((c, r, loc) for loc in destination.localities))
            if r:
                levels.append(((c, r, ""),))
            levels.append(((c, "", ""),))
        found: list[tuple[tuple[str, str, str], list[TaxRate]]] = []
        for level in levels:
            matched = [(key, self._valid(key, tax_class, at)) for key in level]
            matched = [(key, rows) for key, rows in matched if rows]
            if not matched:
                continue
            found[:0] = matched
            if not all(row.stacks for _, rows in matched for row in rows):
                break
        fallback = ""
        if not found:
            rows = self._valid(("", "", ""), tax_class, at)
            if rows:
                found = [(("", "", ""), rows)]
                fallback = (
                    " (no destination)"
                    if destination is None
                    else f" (fallback from {_asked(destination)})"
                )
        elif destination is not None and found[-1][0] not in levels[0]:
            fallback = f" (fallback from {_asked(destination)})"
        if found:
            built = self._components
            parts = [built[id(row)] for _, rows in found for row in rows]
            components = tuple(component for component, _ in parts)
            where = " + ".join(_where(key) for key, _ in found)
            labels = " + ".join(label for _, label in parts)
            return TaxResolution(
                components, f"tax class {tax_class!r} at {where}{fallback}: {labels}"
            )
        raise UnknownJurisdictionError(
            destination.country if destination else "",
            destination.region if destination else "",
            tax_class,
            reason="no rate for this class and destination, and no default",
        )
