"""LineBreakdown: a priced line is an ordinary immutable value, whichever way it was built.

The pipeline builds its lines from Decimals (``LineBreakdown._priced``) and the Money / TaxLine
values appear on first read; a line built through the public constructor holds them from the
start. The two must be indistinguishable.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from moneyed import Money

from commerce_core import (
    Adjustment,
    Destination,
    Jurisdiction,
    LineBreakdown,
    PricingContext,
    PricingLine,
    TaxLine,
    TaxRate,
    TaxTable,
    money,
    price_cart,
)
from commerce_core.money import TaxedMoney

CONTEXT = PricingContext(
    currency="EUR", now=datetime(2026, 3, 1, tzinfo=UTC), destination=Destination("FR")
)
TABLE = TaxTable(
    [
        TaxRate.percent("VAT", "20", Jurisdiction("FR")),
        TaxRate.percent("VAT", "5.5", Jurisdiction("FR"), tax_class="reduced"),
    ]
)


def priced_tea() -> LineBreakdown:
    # 3 x 12.00 gross at 20% VAT: net 36.00 / 1.2 = 30.00, tax 6.00.
    tea = PricingLine("l1", "TEA", "Tea", 3, money("12.00", "EUR"), prices_include_tax=True)
    return price_cart([tea], CONTEXT, tax=TABLE).lines[0]


def rebuilt(b: LineBreakdown) -> LineBreakdown:
    return LineBreakdown(
        b.line, b.base_total, b.adjustments, b.total, b.net, b.tax_lines, b.gross, b.derivation
    )


def test_a_priced_line_reads_its_amounts_as_money_in_the_line_currency() -> None:
    b = priced_tea()
    assert b.base_total == b.total == b.gross == money("36.00", "EUR")
    assert b.net == money("30.00", "EUR")
    assert b.tax_lines == (TaxLine("VAT", Decimal("0.2"), money("6.00", "EUR")),)
    assert b.tax == money("6.00", "EUR")
    assert b.taxed == TaxedMoney(money("30.00", "EUR"), money("36.00", "EUR"))
    assert b.discount == money("0.00", "EUR")
    assert b.derivation == "net derived from gross"
    assert type(b.net) is Money


def test_a_priced_amount_is_built_once_then_the_same_object_is_returned() -> None:
    b = priced_tea()
    assert b.net is b.net
    assert b.gross is b.gross
    assert b.tax_lines is b.tax_lines


def test_a_priced_line_equals_the_same_line_built_through_the_constructor() -> None:
    b = priced_tea()
    public = rebuilt(b)
    assert public == b
    assert b == public
    assert not b != public  # noqa: SIM202 - checks __ne__ explicitly
    assert repr(public) == repr(b)
    assert repr(b).startswith("LineBreakdown(line=PricingLine(line_id='l1'")
    assert "net=Money('30.00', 'EUR'), tax_lines=(TaxLine(name='VAT'" in repr(b)


def test_the_constructor_keeps_the_very_values_it_was_given() -> None:
    b = priced_tea()
    net = money("30.00", "EUR")
    public = LineBreakdown(b.line, b.base_total, (), b.total, net, b.tax_lines, b.gross)
    assert public.net is net
    assert public.derivation == ""


def test_lines_differing_in_one_field_are_not_equal() -> None:
    b = priced_tea()
    promo = Adjustment("p1", "promo", money("-1.00", "EUR"))
    changed = [
        LineBreakdown(b.line, b.base_total, (promo,), b.total, b.net, b.tax_lines, b.gross),
        LineBreakdown(
            b.line, b.base_total, b.adjustments, b.total, money("29.99", "EUR"), (), b.gross
        ),
        LineBreakdown(
            b.line, b.base_total, b.adjustments, b.total, b.net, b.tax_lines, b.gross, "other"
        ),
    ]
    for other in changed:
        assert other != b
        assert b != other
    assert b != (b.line, b.base_total)
    assert b.__eq__(object()) is NotImplemented


@pytest.mark.parametrize("name", LineBreakdown.__match_args__)
def test_a_line_breakdown_refuses_assignment_to_any_field(name: str) -> None:
    b = priced_tea()
    before = repr(b)
    with pytest.raises(AttributeError):
        setattr(b, name, money("0.00", "EUR"))
    with pytest.raises(AttributeError):
        delattr(b, name)
    assert repr(b) == before


def test_a_line_breakdown_takes_no_new_attributes() -> None:
    b = priced_tea()
    with pytest.raises(AttributeError):
        b.extra = 1  # type: ignore[attr-defined]


def test_a_line_breakdown_is_unhashable_like_its_pricing_line() -> None:
    # The hash is the fields' hash, as for the attrs class it replaced; a PricingLine's metadata
    # is a read-only mapping, which cannot be hashed.
    b = priced_tea()
    with pytest.raises(TypeError, match="mappingproxy"):
        hash(b)


def test_a_copy_of_a_priced_line_is_equal_to_it() -> None:
    # (A deep copy is refused, as before: a PricingLine's metadata mapping cannot be copied.)
    b = priced_tea()
    copied = copy.copy(b)
    assert copied == b
    assert repr(copied) == repr(b)


def test_a_line_breakdown_matches_its_fields_positionally() -> None:
    match priced_tea():
        case LineBreakdown(line, _, _, _, net, (tax,), gross):
            assert line.sku == "TEA"
            assert gross - net == tax.amount == money("6.00", "EUR")
        case _:  # pragma: no cover - the case above must match
            pytest.fail("a LineBreakdown matches its fields in order")
