"""Tax: jurisdictions with fallbacks, combined and compound rates, validity, rounding levels."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from commerce_core import (
    Destination,
    InvalidTaxRateError,
    Jurisdiction,
    PricingContext,
    PricingLine,
    RoundingLevel,
    RoundingPolicy,
    TaxRate,
    TaxTable,
    UnknownJurisdictionError,
    money,
    price_cart,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
NYC = Destination("US", "NY", "New York City")
US_TABLE = TaxTable(
    [
        TaxRate.percent("NY State", "4", Jurisdiction("US", "NY", "New York City")),
        TaxRate.percent("NYC", "4.5", Jurisdiction("US", "NY", "New York City")),
        TaxRate.percent("MCTD", "0.375", Jurisdiction("US", "NY", "New York City")),
        TaxRate.percent("NY State", "4", Jurisdiction("US", "NY")),
    ]
)
EU_TABLE = TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))])
LINE = RoundingPolicy()
ORDER = RoundingPolicy(level=RoundingLevel.ORDER)


def lines(unit: str, count: int, *, gross: bool, currency: str) -> list[PricingLine]:
    return [
        PricingLine(f"l{i}", f"SKU{i}", f"item {i}", 1, money(unit, currency), gross)
        for i in range(count)
    ]


def context(currency: str, dest: Destination, policy: RoundingPolicy) -> PricingContext:
    return PricingContext(currency=currency, now=NOW, destination=dest, rounding=policy)


def test_eu_vat_invoice_with_prices_including_20_percent_rounded_per_line() -> None:
    # Each 0.99 gross line: net 0.99 / 1.20 = 0.825 -> 0.83 (half-up), VAT 0.16.
    # Three lines: net 2.49, VAT 0.48, gross 2.97.
    b = price_cart(
        lines("0.99", 3, gross=True, currency="EUR"),
        context("EUR", Destination("FR"), LINE),
        tax=EU_TABLE,
    )
    assert [lb.net.amount for lb in b.lines] == [Decimal("0.83")] * 3
    assert b.total.net == money("2.49", "EUR")
    assert b.tax_total == money("0.48", "EUR")
    assert b.grand_total == money("2.97", "EUR")


def test_eu_vat_invoice_rounded_once_per_rate_at_invoice_level() -> None:
    # Invoice level: 2.97 / 1.20 = 2.475 -> net 2.48, VAT 0.49 (one cent more than per line),
    # allocated back 0.17 / 0.16 / 0.16 so each line still has gross - net == tax.
    b = price_cart(
        lines("0.99", 3, gross=True, currency="EUR"),
        context("EUR", Destination("FR"), ORDER),
        tax=EU_TABLE,
    )
    assert b.total.net == money("2.48", "EUR")
    assert b.tax_total == money("0.49", "EUR")
    assert sorted(lb.tax.amount for lb in b.lines) == [
        Decimal("0.16"),
        Decimal("0.16"),
        Decimal("0.17"),
    ]
    assert all(lb.gross - lb.net == lb.tax for lb in b.lines)
    assert b.tax_summary[0].taxable == money("2.48", "EUR")


def test_us_combined_state_and_local_rate_rounded_per_line() -> None:
    # NYC 8.875% = NY State 4% + NYC 4.5% + MCTD 0.375%, each rounded per line on 1.11:
    # 0.0444 -> 0.04, 0.04995 -> 0.05, 0.0041625 -> 0.00: 0.09 a line, 0.27 for three.
    b = price_cart(
        lines("1.11", 3, gross=False, currency="USD"), context("USD", NYC, LINE), tax=US_TABLE
    )
    assert [t.amount.amount for t in b.lines[0].tax_lines] == [
        Decimal("0.04"),
        Decimal("0.05"),
        Decimal("0.00"),
    ]
    assert b.tax_total == money("0.27", "USD")
    assert b.grand_total == money("3.60", "USD")


def test_us_combined_rate_rounded_at_invoice_level() -> None:
    # On the 3.33 invoice total: 0.1332 -> 0.13, 0.14985 -> 0.15, 0.0124875 -> 0.01 = 0.29.
    b = price_cart(
        lines("1.11", 3, gross=False, currency="USD"), context("USD", NYC, ORDER), tax=US_TABLE
    )
    assert [(row.name, row.tax.amount) for row in b.tax_summary] == [
        ("MCTD", Decimal("0.01")),
        ("NY State", Decimal("0.13")),
        ("NYC", Decimal("0.15")),
    ]
    assert b.tax_total == money("0.29", "USD")


def test_rates_fall_back_from_locality_to_region_to_country_to_default() -> None:
    table = TaxTable(
        [
            TaxRate.percent("State", "4", Jurisdiction("US", "NY")),
            TaxRate.percent("Federal", "1", Jurisdiction("US")),
            TaxRate.percent("Default", "10", Jurisdiction()),
        ]
    )
    assert (
        table.rates_for("standard", Destination("US", "NY", "Albany"), NOW).components[0].name
        == "State"
    )
    assert table.rates_for("standard", Destination("US", "CA"), NOW).components[0].name == "Federal"
    resolution = table.rates_for("standard", Destination("DE"), NOW)
    assert resolution.components[0].name == "Default"
    assert "fallback" in resolution.explanation


def test_an_unknown_jurisdiction_without_default_is_a_typed_error() -> None:
    with pytest.raises(UnknownJurisdictionError) as info:
        EU_TABLE.rates_for("standard", Destination("JP"), NOW)
    assert info.value.country == "JP"


def test_rates_apply_only_within_their_validity_dates() -> None:
    change = datetime(2026, 7, 1, tzinfo=UTC)
    table = TaxTable(
        [
            TaxRate.percent("VAT", "19", Jurisdiction("DE"), valid_until=change),
            TaxRate.percent("VAT", "16", Jurisdiction("DE"), valid_from=change),
        ]
    )
    assert table.rates_for("standard", Destination("DE"), NOW).components[0].rate == Decimal("0.19")
    assert table.rates_for("standard", Destination("DE"), change).components[0].rate == Decimal(
        "0.16"
    )


def test_compound_tax_applies_on_the_net_plus_earlier_taxes() -> None:
    # 100.00 net: GST 5% = 5.00; compound PST 10% on 105.00 = 10.50; gross 115.50.
    table = TaxTable(
        [
            TaxRate.percent("GST", "5", Jurisdiction("CA")),
            TaxRate.percent("PST", "10", Jurisdiction("CA"), compound=True),
        ]
    )
    line = PricingLine("l", "X", "x", 1, money("100.00", "CAD"))
    b = price_cart(
        [line], PricingContext(currency="CAD", now=NOW, destination=Destination("CA")), tax=table
    )
    assert [t.amount.amount for t in b.lines[0].tax_lines] == [Decimal("5.00"), Decimal("10.50")]
    assert b.grand_total == money("115.50", "CAD")


def test_zero_rated_classes_show_a_zero_rate_on_the_invoice() -> None:
    table = TaxTable(
        [TaxRate.percent("VAT", "20", Jurisdiction("GB"))], zero_rated_classes=frozenset({"books"})
    )
    line = PricingLine("l", "BOOK", "book", 2, money("8.00", "GBP"), tax_class="books")
    b = price_cart(
        [line], PricingContext(currency="GBP", now=NOW, destination=Destination("GB")), tax=table
    )
    assert b.tax_total == money("0", "GBP")
    assert b.tax_summary[0].name == "Zero-rated"
    assert b.tax_summary[0].taxable == money("16.00", "GBP")


def test_unit_level_rounding_rounds_each_units_tax() -> None:
    # 3 x 0.99 net at 20%: per unit 0.198 -> 0.20, times 3 = 0.60 (per line it would be 0.59)
    line = PricingLine("l", "X", "x", 3, money("0.99", "EUR"))
    unit = RoundingPolicy(level=RoundingLevel.UNIT)
    b = price_cart([line], context("EUR", Destination("FR"), unit), tax=EU_TABLE)
    assert b.tax_total == money("0.60", "EUR")
    assert price_cart(
        [line], context("EUR", Destination("FR"), LINE), tax=EU_TABLE
    ).tax_total == money("0.59", "EUR")


@pytest.mark.parametrize("bad", [0.2, "abc", -1, 10])
def test_float_negative_or_absurd_rates_are_refused(bad: object) -> None:
    with pytest.raises(InvalidTaxRateError):
        TaxRate("VAT", bad)


def test_validity_dates_must_be_timezone_aware() -> None:
    with pytest.raises(InvalidTaxRateError):
        TaxRate("VAT", Decimal("0.2"), valid_from=datetime(2026, 1, 1))  # noqa: DTZ001


def test_two_identical_rows_are_refused_instead_of_charging_the_tax_twice() -> None:
    # Both rows would apply: 100.00 would carry 40.00 of "VAT 20%".
    with pytest.raises(InvalidTaxRateError) as info:
        TaxTable(
            [
                TaxRate.percent("VAT", "20", Jurisdiction("FR")),
                TaxRate.percent("VAT", "20", Jurisdiction("FR")),
            ]
        )
    assert "overlap" in info.value.reason


def test_rows_of_one_tax_whose_validity_windows_overlap_are_refused() -> None:
    # 19.6% valid until June 2025 and 20% valid from January 2025 both apply in between:
    # 100.00 would carry 39.60 of VAT.
    with pytest.raises(InvalidTaxRateError):
        TaxTable(
            [
                TaxRate.percent(
                    "VAT", "19.6", Jurisdiction("FR"), valid_until=datetime(2025, 6, 1, tzinfo=UTC)
                ),
                TaxRate.percent(
                    "VAT", "20", Jurisdiction("FR"), valid_from=datetime(2025, 1, 1, tzinfo=UTC)
                ),
            ]
        )


def test_one_tax_may_change_rate_when_the_windows_touch_without_overlapping() -> None:
    change = datetime(2025, 1, 1, tzinfo=UTC)
    table = TaxTable(
        [
            TaxRate.percent("VAT", "19.6", Jurisdiction("FR"), valid_until=change),
            TaxRate.percent("VAT", "20", Jurisdiction("FR"), valid_from=change),
            # Same name elsewhere or for another class is another row, not a duplicate.
            TaxRate.percent("VAT", "20", Jurisdiction("FR", "COR")),
            TaxRate.percent("VAT", "5.5", Jurisdiction("FR"), tax_class="reduced"),
        ]
    )
    assert [c.rate for c in table.rates_for("standard", Destination("FR"), change).components] == [
        Decimal("0.20")
    ]


# The US model: a state rate once, local rates that stack on it, a destination in several
# sub-jurisdictions at once. New York City: NY State 4% + NYC 4.5% + MCTD 0.375% = 8.875%.
STATE_AND_LOCAL = TaxTable(
    [
        TaxRate.percent("NY State", "4", Jurisdiction("US", "NY")),
        TaxRate.percent("NYC", "4.5", Jurisdiction("US", "NY", "New York City"), stacks=True),
        TaxRate.percent("MCTD", "0.375", Jurisdiction("US", "NY", "MCTD"), stacks=True),
        TaxRate.percent("Albany County", "4", Jurisdiction("US", "NY", "Albany"), stacks=True),
    ]
)
NYC_LOCALITIES = Destination("US", "NY", ("New York City", "MCTD"))


def test_state_county_and_city_rates_apply_together_without_copying_the_state_rate() -> None:
    resolution = STATE_AND_LOCAL.rates_for("standard", NYC_LOCALITIES, NOW)
    assert [(c.name, c.percent) for c in resolution.components] == [
        ("NY State", Decimal(4)),
        ("NYC", Decimal("4.5")),
        ("MCTD", Decimal("0.375")),
    ]
    albany = STATE_AND_LOCAL.rates_for("standard", Destination("US", "NY", "Albany"), NOW)
    assert [c.name for c in albany.components] == ["NY State", "Albany County"]
    # A place with no local rows pays the state rate alone.
    buffalo = STATE_AND_LOCAL.rates_for("standard", Destination("US", "NY", "Buffalo"), NOW)
    assert [c.name for c in buffalo.components] == ["NY State"]


def test_stacked_state_and_local_rates_rounded_per_line() -> None:
    # Each 1.11 line: 4% = 0.0444 -> 0.04, 4.5% = 0.04995 -> 0.05, 0.375% = 0.0041625 -> 0.00;
    # three lines: tax 0.27, grand total 3.33 + 0.27 = 3.60.
    b = price_cart(
        lines("1.11", 3, gross=False, currency="USD"),
        context("USD", NYC_LOCALITIES, LINE),
        tax=STATE_AND_LOCAL,
    )
    assert [t.amount.amount for t in b.lines[0].tax_lines] == [
        Decimal("0.04"),
        Decimal("0.05"),
        Decimal("0.00"),
    ]
    assert b.grand_total == money("3.60", "USD")


def test_stacked_state_and_local_rates_rounded_at_invoice_level() -> None:
    # On the 3.33 invoice: 0.1332 -> 0.13, 0.14985 -> 0.15, 0.0124875 -> 0.01 = 0.29.
    b = price_cart(
        lines("1.11", 3, gross=False, currency="USD"),
        context("USD", NYC_LOCALITIES, ORDER),
        tax=STATE_AND_LOCAL,
    )
    assert [(row.name, row.tax.amount) for row in b.tax_summary] == [
        ("MCTD", Decimal("0.01")),
        ("NY State", Decimal("0.13")),
        ("NYC", Decimal("0.15")),
    ]
    assert b.grand_total == money("3.62", "USD")


def test_a_regional_rate_that_does_not_stack_replaces_the_country_rate() -> None:
    # Canada: GST 5% federally; British Columbia adds PST 7% (stacks); Ontario's HST 13%
    # replaces the GST (does not stack).
    table = TaxTable(
        [
            TaxRate.percent("GST", "5", Jurisdiction("CA")),
            TaxRate.percent("PST", "7", Jurisdiction("CA", "BC"), stacks=True),
            TaxRate.percent("HST", "13", Jurisdiction("CA", "ON")),
        ]
    )
    bc = table.rates_for("standard", Destination("CA", "BC"), NOW)
    on = table.rates_for("standard", Destination("CA", "ON"), NOW)
    assert [c.name for c in bc.components] == ["GST", "PST"]
    assert [c.name for c in on.components] == ["HST"]


def test_the_default_rate_applies_only_when_no_level_of_the_destination_has_rows() -> None:
    table = TaxTable(
        [
            TaxRate.percent("Local", "1", Jurisdiction("US", "NY", "Albany"), stacks=True),
            TaxRate.percent("Default", "10", Jurisdiction()),
        ]
    )
    assert [
        c.name
        for c in table.rates_for("standard", Destination("US", "NY", "Albany"), NOW).components
    ] == ["Local"]
    assert [
        c.name for c in table.rates_for("standard", Destination("US", "TX"), NOW).components
    ] == ["Default"]
