"""Round-6 fast paths of pricing and promotions give what the general paths give.

* ``AppliedPromotion._owned`` (the engine hands its new dict of line amounts over) builds the
  value the validating constructor builds from the same values.
* ``apply_promotions`` without codes goes straight to the lone candidate when the book offers at
  most one automatic, combinable promotion: the result of the general steps (reached here with
  an unknown code entered, whose rejection is the only difference).
* ``PromotionEngine.adjust`` takes each applied amount from ``AppliedPromotion._amount_decimal``
  (the sum ``AppliedPromotion.amount`` is made of, without the Money): the notes and report a
  subclass (the general path, ``AppliedPromotion.amount``) builds; that sum is the Money sum.
* ``_Taxer.row`` taxes a row of one unit and one tax component (a shipping row) inline: what
  ``_Taxer.compute`` gives, to the exponent and the sign of zero (negative amounts and -0 too).
* ``PercentOff.award`` reads its targets' remaining values from the line states: covered by the
  adjust property above (the subclass goes through the same benefit) and the promotion suites.
* ``PricingContext`` checks its currency by resolving it (what ``zero`` did before it built
  an amount); ``Destination`` cleans one locality name (a str) or the default empty tuple
  without the general loop: what the loop gives.
* ``TaxResolution.key`` is kept once read, and ``coefficients()`` keeps the rates of a
  resolution without compound components: what the former computation gives, in any decimal
  context; the resolution is still equal, hashed and shown by its fields only. Nothing is kept
  when the components are not a tuple (a list the host may change): key and coefficients follow
  the list.
* ``_Run.summary`` with one tax resolution of one component builds its row directly: the rows
  of ``_Run.merged_summary`` (the general path).
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from commerce_core.domain.pricing import (
    _CTX,
    PricingContext,
    PricingLine,
    _Row,
    _Run,
    _Taxer,
)
from commerce_core.domain.promotions import (
    AmountOffOrder,
    AppliedPromotion,
    MinSubtotal,
    PercentOff,
    Promotion,
    PromotionBook,
    PromotionResult,
    Selector,
    Stacking,
    apply_promotions,
)
from commerce_core.domain.shipping import FlatRate, ShippingMethod, ShippingRateTable
from commerce_core.domain.tax import (
    Destination,
    Jurisdiction,
    TaxComponent,
    TaxRate,
    TaxResolution,
    TaxTable,
)
from commerce_core.errors import UnknownCurrencyError
from commerce_core.money import (
    Money,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
    _resolve_currency,
    from_minor,
    zero,
)
from commerce_core.services.promotions import PromotionEngine

CODES = ("EUR", "JPY", "BHD")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SKUS = ("TEA", "MUG", "POT")


@st.composite
def pricing_lines(draw: st.DrawFn, code: str, *, min_size: int = 0) -> list[PricingLine]:
    ids = draw(
        st.lists(
            st.sampled_from([f"l{i}" for i in range(9)]), min_size=min_size, max_size=5, unique=True
        )
    )
    return [
        PricingLine(
            line_id,
            draw(st.sampled_from(SKUS)),
            "name",
            draw(st.integers(1, 5)),
            from_minor(draw(st.integers(0, 10**6)), code),
            prices_include_tax=draw(st.booleans()),
            tax_class=draw(st.sampled_from(["standard", "reduced"])),
            categories=frozenset(draw(st.sets(st.sampled_from(["tea", "cups"])))),
            shippable=draw(st.booleans()),
        )
        for line_id in ids
    ]


@st.composite
def promotions(draw: st.DrawFn, code: str, pid: str) -> Promotion:
    targets = (
        Selector.everything()
        if draw(st.booleans())
        else Selector.of(skus=draw(st.sets(st.sampled_from(SKUS), min_size=1)))
    )
    benefit = (
        PercentOff(draw(st.integers(1, 100)))
        if draw(st.booleans())
        else AmountOffOrder(from_minor(draw(st.integers(1, 10**5)), code))
    )
    conditions = (
        (MinSubtotal(from_minor(draw(st.integers(1, 10**6)), code)),) if draw(st.booleans()) else ()
    )
    return Promotion(
        id=pid,
        name=f"offer {pid}",
        benefit=benefit,
        targets=targets,
        conditions=conditions,
        stacking=Stacking(exclusive=draw(st.booleans())),
        channels=draw(st.sampled_from([(), ("web",), ("pos",)])),
    )


def _context(code: str, **kwargs: object) -> PricingContext:
    return PricingContext(
        currency=code,
        now=T0,
        channel="web",
        customer_id="c1",
        destination=Destination("FR"),
        **kwargs,  # type: ignore[arg-type]
    )


@given(data=st.data(), code=st.sampled_from(CODES))
def test_owned_applied_promotion_equals_the_constructor(data: st.DataObject, code: str) -> None:
    ids = data.draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True))
    amounts = {i: from_minor(data.draw(st.integers(0, 10**5)), code) for i in ids}
    values = (
        "p",
        "name",
        "description",
        data.draw(st.sampled_from(["", "x"])),
    )
    shipping = from_minor(data.draw(st.integers(0, 999)), code)
    applications = data.draw(st.integers(1, 4))
    promo_code = data.draw(st.none() | st.just("SAVE5"))
    estimated = data.draw(st.none() | st.just(from_minor(5, code)))
    owned = AppliedPromotion._owned(
        values[0],
        values[1],
        values[2],
        dict(amounts),
        shipping,
        None,
        applications,
        promo_code,
        (),
        estimated,
    )
    built = AppliedPromotion(
        values[0],
        values[1],
        values[2],
        amounts,
        shipping,
        None,
        applications,
        promo_code,
        (),
        estimated,
    )
    assert owned == built
    assert type(owned.line_amounts) is type(built.line_amounts)
    assert owned.amount == built.amount
    assert owned.line_ids == built.line_ids


@given(data=st.data(), code=st.sampled_from(CODES), count=st.integers(0, 2))
def test_apply_promotions_without_codes_is_what_the_general_steps_decide(
    data: st.DataObject, code: str, count: int
) -> None:
    lines = data.draw(pricing_lines(code))
    book = PromotionBook([data.draw(promotions(code, f"p{i}")) for i in range(count)])
    engine = PromotionEngine(book)
    plain = engine.promotion_input(lines, _context(code))
    fast = apply_promotions(book, plain)
    general = apply_promotions(book, plain.with_codes(["NOPE"]))
    assert [r.code for r in general.rejected_codes] == ["NOPE"]
    assert fast == attrs.evolve(general, rejected_codes=())


class _Subclass(PromotionEngine):
    """Gets the general path (``AppliedPromotion.amount``, the validating constructors)."""


@given(data=st.data(), code=st.sampled_from(CODES))
def test_adjust_adds_the_amounts_as_the_general_path(data: st.DataObject, code: str) -> None:
    lines = data.draw(pricing_lines(code))
    book = PromotionBook(
        [data.draw(promotions(code, f"p{i}")) for i in range(data.draw(st.integers(1, 2)))]
    )
    context = _context(code)
    fast = PromotionEngine(book).adjust(lines, context)
    general = _Subclass(book).adjust(lines, context)
    assert fast == general
    assert [dict(note.data) for note in fast.notes] == [dict(note.data) for note in general.notes]


class _CappedApplied(AppliedPromotion):
    """A host's record whose ``amount`` is its own (what its notes must show)."""

    @property
    def amount(self) -> Money:
        return from_minor(100, "EUR")


class _CappingEngine(PromotionEngine):
    """A host engine whose evaluate hands back its own records of what applied."""

    def evaluate(self, lines: Sequence[PricingLine], context: PricingContext) -> PromotionResult:
        found = super().evaluate(lines, context)
        return attrs.evolve(
            found,
            applied=tuple(
                _CappedApplied(
                    a.promotion_id, a.name, a.description, a.line_amounts, a.shipping_amount
                )
                for a in found.applied
            ),
        )


def test_a_host_record_of_what_applied_is_asked_for_its_amount() -> None:
    """The note shows the host record's own ``amount``, not the library's sum of its lines."""
    book = PromotionBook([Promotion(id="tea", name="10% off", benefit=PercentOff(10))])
    lines = [PricingLine("l1", "TEA", "Tea", 3, from_minor(1000, "EUR"))]
    context = _context("EUR")
    applied = [n for n in _CappingEngine(book).adjust(lines, context).notes if n.source_id == "tea"]
    assert [n.data["amount"] for n in applied] == ["1.00"]  # the library's sum would be 3.00


@given(
    data=st.data(),
    code=st.sampled_from(CODES),
    reduced=st.sampled_from(["5.5", "20"]),
    compound=st.booleans(),
    shipping_class=st.sampled_from([None, "standard", "reduced"]),
)
def test_one_resolution_summary_is_the_merged_summary(
    data: st.DataObject,
    code: str,
    reduced: str,
    compound: bool,  # noqa: FBT001 - drawn
    shipping_class: str | None,
) -> None:
    lines = data.draw(pricing_lines(code, min_size=1))
    rates = [TaxRate.percent("VAT", "20", Jurisdiction("FR"))]
    rates.append(TaxRate.percent("VAT", reduced, Jurisdiction("FR"), tax_class="reduced"))
    if compound:
        rates.append(TaxRate.percent("ECO", "1", Jurisdiction("FR"), compound=True, stacks=True))
    table = TaxTable(rates)
    shipping = ShippingRateTable(
        [
            ShippingMethod(
                "standard",
                "Standard",
                FlatRate(from_minor(490, code)),
                tax_class=shipping_class,
            )
        ]
    )
    context = _context(code, shipping_method="standard")
    with decimal.localcontext(_CTX):
        run = _Run(tuple(lines), context, table)
        run.apply_stages(())
        run.amounts(summarize=True)
        run.ship(shipping)
        run.finish()
        assert run.summary() == run.merged_summary()
    assert isinstance(run.summary(), tuple)
    assert all(isinstance(row.rate, Decimal) for row in run.summary())


def test_merged_summary_is_used_for_two_resolutions() -> None:
    # Two tax classes at the same rate and name merge into one row (the general path).
    lines = [
        PricingLine("a", "TEA", "Tea", 1, from_minor(1000, "EUR")),
        PricingLine("b", "MUG", "Mug", 1, from_minor(500, "EUR"), tax_class="reduced"),
    ]
    table = TaxTable(
        [
            TaxRate.percent("VAT", "20", Jurisdiction("FR")),
            TaxRate.percent("VAT", "20", Jurisdiction("FR"), tax_class="reduced"),
        ]
    )
    with decimal.localcontext(_CTX):
        run = _Run(tuple(lines), _context("EUR"), table)
        run.apply_stages(())
        run.amounts(summarize=False)
        run.ship(None)
        run.finish()
        rows = run.summary()
    assert rows == run.merged_summary()
    assert len(rows) == 1
    assert rows[0].taxable == from_minor(1500, "EUR")


# Amounts a row may hold besides whole minor units: zeros of either sign and any exponent, and
# amounts with a positive exponent or more places than the currency has.
_ODD_AMOUNTS = [
    Decimal(text)
    for text in ("-0", "-0.00", "-0.000", "0", "0.000", "0E+1", "-0E+1", "1E+1", "-1E+1", "-0.004")
]


@given(
    code=st.sampled_from(CODES),
    minor=st.integers(-(10**7), 10**7),
    odd=st.none() | st.sampled_from(_ODD_AMOUNTS),
    rate=st.decimals(min_value=0, max_value=1, places=4)
    | st.sampled_from([Decimal(0), Decimal("0.0000"), Decimal("0.2")]),
    inclusive=st.booleans(),
    level=st.sampled_from([RoundingLevel.UNIT, RoundingLevel.LINE]),
    mode=st.sampled_from(list(RoundingMode)),
)
@example(
    code="EUR",
    minor=0,
    odd=Decimal("-0.00"),
    rate=Decimal("0.2"),
    inclusive=False,
    level=RoundingLevel.LINE,
    mode=RoundingMode.HALF_UP,
)
def test_one_unit_one_component_row_is_taxed_as_compute_taxes_it(  # noqa: PLR0917 - drawn
    code: str,
    minor: int,
    odd: Decimal | None,
    rate: Decimal,
    inclusive: bool,  # noqa: FBT001 - drawn
    level: RoundingLevel,
    mode: RoundingMode,
) -> None:
    """Equal to compute to the sign of zero and the exponent, for negative amounts and -0 too."""
    currency = _resolve_currency(code)
    taxer = _Taxer(currency, RoundingPolicy(mode=mode, level=level))
    resolution = TaxResolution((TaxComponent("VAT", rate),), "")
    coefs = resolution.coefficients()
    amount = from_minor(minor, code).amount if odd is None else odd
    with decimal.localcontext(_CTX):
        row = _Row(amount, 1, resolution, coefs, "~shipping", inclusive=inclusive)
        taxer.row(row, level)
        expected = taxer.compute(amount, 1, coefs, row.factor, level, inclusive=inclusive)
    assert (row.net, row.taxes, row.gross) == expected
    assert [str(v) for v in (row.net, *row.taxes, row.gross)] == [
        str(v) for v in (expected[0], *expected[1], expected[2])
    ]


@given(
    currency=st.sampled_from(["EUR", "eur", " usd", "XXX1", "", "EURO", "JPY"]),
)
def test_a_context_refuses_the_currencies_zero_refuses(currency: str) -> None:
    try:
        zero(currency.upper())
    except UnknownCurrencyError:
        with pytest.raises(UnknownCurrencyError):
            PricingContext(currency=currency, now=T0)
    else:
        assert PricingContext(currency=currency, now=T0).currency == currency.upper()


@given(
    localities=st.just(())
    | st.lists(st.sampled_from(["", " Kings ", "New York City", "Kings"]), max_size=3).map(tuple)
)
def test_destination_localities_are_cleaned_as_before(localities: tuple[str, ...]) -> None:
    names: list[str] = []
    for name in localities:
        if name.strip() and name.strip() not in names:
            names.append(name.strip())
    assert Destination("US", "NY", localities).localities == tuple(names)
    assert Destination("US", "NY", list(localities)).localities == tuple(names)
    for name in localities:
        stripped = name.strip()
        assert Destination("US", "NY", name).localities == ((stripped,) if stripped else ())


def _former_coefficients(resolution: TaxResolution) -> tuple[Decimal, ...]:
    coefs: list[Decimal] = []
    running = Decimal(0)
    for component in resolution.components:
        coef = component.rate * (1 + running) if component.compound else component.rate
        coefs.append(coef)
        running += coef
    return tuple(coefs)


_COMPONENTS = st.lists(
    st.builds(
        TaxComponent,
        st.sampled_from(["VAT", "GST", "PST"]),
        st.decimals(min_value=0, max_value=2, places=6),
        st.booleans(),
    ),
    max_size=3,
)


@given(components=_COMPONENTS, precision=st.sampled_from([6, 28, 60]))
def test_kept_key_and_coefficients_are_the_computed_ones(
    components: list[TaxComponent], precision: int
) -> None:
    resolution = TaxResolution(tuple(components), "x")
    with decimal.localcontext(decimal.Context(prec=precision)):
        first = resolution.coefficients()
        assert first == _former_coefficients(resolution)
        assert [str(c) for c in first] == [str(c) for c in _former_coefficients(resolution)]
        assert resolution.coefficients() == first
    assert resolution.key == tuple((c.name, c.rate, c.compound) for c in components)
    assert resolution.key is resolution.key
    # Still a plain value: equal, hashed and shown by its fields only.
    again = TaxResolution(tuple(components), "x")
    assert resolution == again
    assert hash(resolution) == hash(again)
    assert repr(resolution) == repr(again)


@given(before=_COMPONENTS, after=_COMPONENTS)
def test_a_resolution_of_a_list_follows_the_list(
    before: list[TaxComponent], after: list[TaxComponent]
) -> None:
    """Nothing is kept for components given as a list (a host may change it after reading)."""
    parts = list(before)
    resolution = TaxResolution(parts, "host calculator")  # type: ignore[arg-type] # a host's list
    for expected in (before, after):
        parts[:] = expected
        assert resolution.key == tuple((c.name, c.rate, c.compound) for c in expected)
        assert resolution.coefficients() == _former_coefficients(resolution)
        assert len(resolution.coefficients()) == len(expected)
    assert resolution == TaxResolution(list(after), "host calculator")  # type: ignore[arg-type]


@given(
    data=st.data(),
    code=st.sampled_from(CODES),
    other=st.none() | st.sampled_from(CODES),
)
def test_the_applied_amount_decimal_is_the_money_sum(
    data: st.DataObject, code: str, other: str | None
) -> None:
    """``AppliedPromotion._amount_decimal`` (shared by ``amount`` and ``adjust``'s notes)."""
    ids = data.draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True))
    amounts = {i: from_minor(data.draw(st.integers(0, 10**5)), code) for i in ids}
    if other is not None and ids:
        amounts[ids[-1]] = from_minor(data.draw(st.integers(0, 10**5)), other)
    shipping = from_minor(data.draw(st.integers(0, 999)), code)
    applied = AppliedPromotion._owned("p", "n", "", amounts, shipping, None, 1, None, (), None)
    try:
        expected = sum(amounts.values(), zero(code)) + shipping  # Money arithmetic
    except Exception as error:  # noqa: BLE001 - whatever Money raises, amount raises too
        assert applied._amount_decimal() is None
        with pytest.raises(type(error)):
            _ = applied.amount
    else:
        total = applied._amount_decimal()
        assert total is not None
        assert str(total) == str(expected.amount)
        assert applied.amount == expected
        assert str(applied.amount.amount) == str(expected.amount)
