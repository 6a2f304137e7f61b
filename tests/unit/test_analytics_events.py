from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from commerce_core import InvalidAnalyticsEventError, MalformedEventLineError, money
from commerce_core.domain.analytics import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    LineProblem,
    OrderedItem,
    OrderPlaced,
    OrderRefunded,
    ProductViewed,
    decode_lines,
    event_json_schema,
    from_json,
    to_json,
)
from commerce_core.testing.analytics import generate_events

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def view_line(**overrides: object) -> str:
    data: dict[str, object] = {
        "v": 1,
        "type": "ProductViewed",
        "occurred_at": "2026-03-01T12:00:00+00:00",
        "session_id": "s1",
        "customer_id": None,
        "channel": "ads",
        "sku": "MUG",
    }
    data.update(overrides)
    return json.dumps(data)


def test_every_event_type_survives_a_json_round_trip() -> None:
    events = list(generate_events(random.Random(5), sessions=1500))
    assert {e.event_type for e in events} == set(EVENT_TYPES)
    for event in events:
        assert from_json(to_json(event)) == event


def test_money_is_written_as_exact_strings_with_one_currency_per_line() -> None:
    order = next(
        e for e in generate_events(random.Random(2), sessions=50) if isinstance(e, OrderPlaced)
    )
    data = json.loads(to_json(order))
    assert data["v"] == SCHEMA_VERSION
    assert data["currency"] == "EUR"
    assert isinstance(data["total"], str)
    assert all(isinstance(i["unit_price"], str) for i in data["items"])


def test_money_given_as_a_json_number_is_refused() -> None:
    order = next(
        e for e in generate_events(random.Random(2), sessions=50) if isinstance(e, OrderPlaced)
    )
    data = json.loads(to_json(order))
    data["total"] = 12.5
    with pytest.raises(MalformedEventLineError, match="never a JSON number") as error:
        from_json(json.dumps(data), line_number=7)
    assert error.value.line_number == 7


def test_a_time_in_another_offset_is_kept_as_the_same_instant() -> None:
    paris = timezone(timedelta(hours=1))
    event = ProductViewed(occurred_at=AT.astimezone(paris), session_id="s", channel="ads", sku="A")
    assert from_json(to_json(event)).occurred_at == AT


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        (view_line(v=2), "schema version 2"),
        (view_line(type="Teleported"), "unknown event type"),
        (view_line(sku=None), "missing field 'sku'"),
        (view_line(occurred_at="yesterday"), "ISO 8601"),
        (view_line(occurred_at="2026-03-01T12:00:00"), "timezone-aware"),
        (view_line(channel=""), "channel must be a non-empty string"),
        (view_line(customer_id=5), "customer_id must be a string or null"),
    ],
)
def test_malformed_lines_are_refused_with_a_reason(line: str, reason: str) -> None:
    with pytest.raises(MalformedEventLineError, match=reason):
        from_json(line)


def test_decode_lines_reports_bad_lines_with_numbers_and_skips_blank_ones() -> None:
    lines = [view_line(), "", "garbage", view_line(v=9), view_line(sku="CUP")]
    items = list(decode_lines(lines))
    assert [type(i).__name__ for i in items] == [
        "ProductViewed",
        "LineProblem",
        "LineProblem",
        "ProductViewed",
    ]
    problems = [i for i in items if isinstance(i, LineProblem)]
    assert [p.line_number for p in problems] == [3, 4]
    assert str(problems[1]).startswith("line 4: unsupported schema version")


def test_strict_decoding_stops_at_the_first_bad_line() -> None:
    with pytest.raises(MalformedEventLineError) as error:
        list(decode_lines([view_line(), view_line(), "{"], strict=True))
    assert error.value.line_number == 3


def test_an_order_total_must_add_up() -> None:
    with pytest.raises(InvalidAnalyticsEventError, match="subtotal - discount"):
        OrderPlaced(
            occurred_at=AT,
            session_id="s",
            channel="ads",
            order_id="o",
            items=[OrderedItem("A", 1, money("10.00", "EUR"))],
            shipping=money("0", "EUR"),
            tax=money("2.00", "EUR"),
            total=money("11.00", "EUR"),  # 10.00 + 2.00 is 12.00
        )


def test_an_order_needs_items_in_one_currency_on_the_currency_grid() -> None:
    common = {"occurred_at": AT, "session_id": "s", "channel": "ads", "order_id": "o"}
    zero = money("0", "EUR")
    with pytest.raises(InvalidAnalyticsEventError, match="at least one item"):
        OrderPlaced(items=[], shipping=zero, tax=zero, total=zero, **common)  # type: ignore[arg-type]
    with pytest.raises(InvalidAnalyticsEventError, match="currency mismatch"):
        OrderPlaced(
            items=[OrderedItem("A", 1, money("1", "USD"))],
            shipping=zero,
            tax=zero,
            total=money("1", "EUR"),
            **common,  # type: ignore[arg-type]
        )
    with pytest.raises(InvalidAnalyticsEventError, match="decimals"):
        OrderedItem("A", 1, money("1.001", "EUR"))


def test_events_refuse_naive_times_and_empty_ids() -> None:
    with pytest.raises(InvalidAnalyticsEventError, match="timezone-aware"):
        ProductViewed(occurred_at=datetime(2026, 3, 1), session_id="s", channel="ads", sku="A")  # noqa: DTZ001
    with pytest.raises(InvalidAnalyticsEventError, match="session_id"):
        ProductViewed(occurred_at=AT, session_id="", channel="ads", sku="A")
    with pytest.raises(InvalidAnalyticsEventError, match="quantity"):
        OrderedItem("A", 0, money("1", "EUR"))


def test_a_refund_cannot_hold_more_tax_and_shipping_than_its_amount() -> None:
    with pytest.raises(InvalidAnalyticsEventError, match="exceed"):
        OrderRefunded(
            occurred_at=AT,
            session_id="s",
            channel="ads",
            order_id="o",
            amount=money("5.00", "EUR"),
            tax=money("4.00", "EUR"),
            shipping=money("2.00", "EUR"),
        )
    refund = OrderRefunded(
        occurred_at=AT,
        session_id="s",
        channel="ads",
        order_id="o",
        amount=money("6.00", "EUR"),
        tax=money("1.00", "EUR"),
        shipping=money("2.00", "EUR"),
    )
    assert refund.merchandise == money("3.00", "EUR")  # 6.00 - 1.00 - 2.00


def test_order_exposes_derived_totals() -> None:
    order = next(
        e
        for e in generate_events(random.Random(8), sessions=200)
        if isinstance(e, OrderPlaced) and e.discounts
    )
    assert order.subtotal - order.discount + order.shipping + order.tax == order.total
    assert order.units == sum(i.quantity for i in order.items)
    assert order.coupon_codes == tuple(d.coupon_code for d in order.discounts if d.coupon_code)


def test_the_json_schema_describes_every_event_type() -> None:
    schema = event_json_schema()
    titles = {variant["title"] for variant in schema["oneOf"]}
    assert titles == set(EVENT_TYPES)
    order = next(v for v in schema["oneOf"] if v["title"] == "OrderPlaced")
    assert {"currency", "items", "total"} <= set(order["required"])
    assert order["properties"]["total"]["type"] == "string"
