"""Checkout's OrderPlaced analytics event is exact for catalogs priced with tax included."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from commerce_core import CatalogItem, CheckoutSuccess, Money, money
from commerce_core.domain.analytics import (
    AnalyticsAggregator,
    OrderedItem,
    OrderPlaced,
    ReportOptions,
    event_json_schema,
    from_json,
    to_json,
)
from commerce_core.testing.checkout import CheckoutWorld


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def gross_priced_world() -> CheckoutWorld:
    """The checkout world plus two items priced WITH 20% VAT (EU style)."""
    world = CheckoutWorld()
    for sku, price in (("JAR", "9.99"), ("LID", "3.33")):
        world.catalog.put(
            CatalogItem.simple(
                sku, sku.title(), eur(price), prices_include_tax=True, weight=Decimal("0.3")
            )
        )
        world.inventory.define_sku(sku)
        world.inventory.receive(sku, "main", 10, reference=f"initial:{sku}")
    return world


def test_a_tax_inclusive_order_records_order_placed_with_exact_net_totals() -> None:
    world = gross_priced_world()
    cart_id = world.fill_cart((("JAR", 3), ("LID", 7)))
    result = world.check_out(cart_id, "k-gross", coupon_codes=("SAVE5",))
    assert isinstance(result, CheckoutSuccess), result
    order = result.order
    # the unit nets of 9.99 and 3.33 gross at 20% (8.325, 2.775) do not multiply back to the
    # line nets, which is what the event used to be rejected for
    assert world.service.analytics_failures == 0
    (event,) = [e for e in world.recorded.events if isinstance(e, OrderPlaced)]
    totals = order.totals
    # subtotal - discount is the lines' net after discounts, exactly
    assert event.subtotal - event.discount == totals.subtotal.net
    assert event.shipping == totals.shipping.net == eur("4.90")
    assert event.tax == totals.total.gross - totals.total.net
    assert event.total == totals.total.gross
    assert event.total == event.subtotal - event.discount + event.shipping + event.tax
    # 5% off everything with SAVE5: 3 x 9.99 + 7 x 3.33 = 29.97 + 23.31 = 53.28 gross before it
    assert event.discount.amount > 0
    assert event.subtotal > totals.subtotal.net
    assert event.subtotal < eur("53.28")  # net of tax, not the gross shelf prices
    # every item's net total is net of tax: the gross shelf value divided by 1.20, to the cent
    for item in event.items:
        line = next(li for li in order.lines if li.sku == item.sku)
        shelf = line.unit_price * line.quantity
        assert abs(item.subtotal * Decimal("1.2") - shelf) <= eur("0.02")


def test_tax_inclusive_sales_metrics_add_up_to_the_orders_net_lines() -> None:
    world = gross_priced_world()
    result = world.check_out(world.fill_cart((("JAR", 3), ("LID", 7))), "k-1", coupon_codes=())
    assert isinstance(result, CheckoutSuccess), result
    kpis = AnalyticsAggregator("UTC", "day").extend(world.recorded.events).kpis(ReportOptions())
    net_lines = result.order.totals.subtotal.net
    # no discount: gross sales are the lines' net, 24.98 (29.97 / 1.2) + 19.43 (23.31 / 1.2)
    assert net_lines == eur("24.98") + eur("19.43")
    assert kpis.revenue.gross_sales == net_lines
    assert kpis.revenue.net_sales == net_lines
    revenue = {
        p.sku: p.revenue
        for p in AnalyticsAggregator("UTC").extend(world.recorded.events).products()
    }
    assert revenue == {"JAR": eur("24.98"), "LID": eur("19.43")}


def test_an_item_net_total_survives_the_json_line_and_lines_without_it_still_parse() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    event = OrderPlaced(
        occurred_at=at,
        session_id="s1",
        channel="web",
        order_id="o1",
        # 3 x 9.99 = 29.97 gross at 20%: line net 29.97 / 1.2 = 24.975 -> 24.98 (the unit net
        # 8.325 does not multiply back to it), tax 29.97 - 24.98 = 4.99
        items=[OrderedItem("JAR", 3, eur("8.33"), net_total=eur("24.98"))],
        shipping=eur("0"),
        tax=eur("4.99"),
        total=eur("29.97"),
    )
    line = to_json(event)
    assert '"net_total": "24.98"' in line
    assert from_json(line) == event
    old = line.replace(', "net_total": "24.98"', "").replace('"8.33"', '"8.32"')
    # an old line (no net_total) is read by unit price: 3 x 8.32 = 24.96, + 4.99 tax = 29.95
    old = old.replace('"total": "29.97"', '"total": "29.95"')
    parsed = from_json(old)
    assert isinstance(parsed, OrderPlaced)
    assert parsed.items[0].net_total is None
    assert parsed.subtotal == eur("24.96")
    assert "net_total" in json.dumps(event_json_schema())
