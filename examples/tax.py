"""Tax worked examples: an EU VAT invoice (prices with 20% VAT) and a US combined rate.

Both are priced with rounding per line and once per invoice, to show where they differ.

Run: python examples/tax.py
"""

from __future__ import annotations

from datetime import UTC, datetime

from commerce_core import (
    Destination,
    Jurisdiction,
    PricingContext,
    PricingLine,
    RoundingLevel,
    RoundingPolicy,
    TaxExemption,
    TaxRate,
    TaxTable,
    money,
    price_cart,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
PER_LINE = RoundingPolicy(level=RoundingLevel.LINE)
PER_INVOICE = RoundingPolicy(level=RoundingLevel.ORDER)

# --- EU: three 0.99 items, prices including 20% VAT ---------------------------------------------
eu = TaxTable([TaxRate.percent("VAT", "20", Jurisdiction("FR"))])
stickers = [
    PricingLine(f"l{i}", f"STICKER-{i}", f"Sticker {i}", 1, money("0.99", "EUR"), True)
    for i in range(3)
]


line_level = price_cart(
    stickers,
    PricingContext(currency="EUR", now=NOW, destination=Destination("FR"), rounding=PER_LINE),
    tax=eu,
)
invoice_level = price_cart(
    stickers,
    PricingContext(currency="EUR", now=NOW, destination=Destination("FR"), rounding=PER_INVOICE),
    tax=eu,
)
# per line: 0.99 / 1.20 = 0.825 -> 0.83 net, 0.16 VAT; x3 = 2.49 net + 0.48 VAT
# per invoice: 2.97 / 1.20 = 2.475 -> 2.48 net, 0.49 VAT
print("EU per line   :", line_level.total.net.amount, "+", line_level.tax_total.amount)
print("EU per invoice:", invoice_level.total.net.amount, "+", invoice_level.tax_total.amount)
assert line_level.tax_total == money("0.48", "EUR")
assert invoice_level.tax_total == money("0.49", "EUR")
assert line_level.grand_total == invoice_level.grand_total == money("2.97", "EUR")

# --- US: New York City, state 4% + city 4.5% + MCTD 0.375% = 8.875% ------------------------------
nyc = Jurisdiction("US", "NY", "New York City")
us = TaxTable(
    [
        TaxRate.percent("NY State", "4", nyc),
        TaxRate.percent("NYC", "4.5", nyc),
        TaxRate.percent("MCTD", "0.375", nyc),
        TaxRate.percent("NY State", "4", Jurisdiction("US", "NY")),  # elsewhere in NY
    ]
)
pens = [PricingLine(f"p{i}", f"PEN-{i}", f"Pen {i}", 1, money("1.11", "USD")) for i in range(3)]
dest = Destination("US", "NY", "New York City")
us_line = price_cart(
    pens, PricingContext(currency="USD", now=NOW, destination=dest, rounding=PER_LINE), tax=us
)
us_invoice = price_cart(
    pens, PricingContext(currency="USD", now=NOW, destination=dest, rounding=PER_INVOICE), tax=us
)
# per line on 1.11: 0.0444 -> 0.04, 0.04995 -> 0.05, 0.0041625 -> 0.00 = 0.09; x3 = 0.27
# per invoice on 3.33: 0.1332 -> 0.13, 0.14985 -> 0.15, 0.0124875 -> 0.01 = 0.29
print(us_invoice.explain())
assert us_line.tax_total == money("0.27", "USD")
assert us_invoice.tax_total == money("0.29", "USD")

# Albany falls back from the locality to the state rate.
albany = price_cart(
    pens,
    PricingContext(currency="USD", now=NOW, destination=Destination("US", "NY", "Albany")),
    tax=us,
)
# state 4% only: 1.11 x 0.04 = 0.0444 -> 0.04 a line, 0.12 for three
assert albany.tax_total == money("0.12", "USD")

# A reseller with an exemption certificate pays no tax.
exempt = price_cart(
    pens,
    PricingContext(
        currency="USD", now=NOW, destination=dest, tax_exemption=TaxExemption("NY-ST-120-998")
    ),
    tax=us,
)
assert exempt.grand_total == money("3.33", "USD")
print("exempt:", exempt.grand_total.amount, "USD;", exempt.trace[-1])
