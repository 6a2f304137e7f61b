"""A deterministic generator of realistic journey and sales events, for tests and benchmarks.

``generate_events(random.Random(seed), sessions=...)`` yields the same stream for the same seed:
visits from several channels and campaigns, product views skewed towards popular products,
carts, removals, checkouts, declined payments, orders with promotions and coupon codes, refunds
and cancellations, from a pool of returning customers and guests. Events of one session are in
time order; sessions overlap slightly, and refunds come days later, so the stream as a whole is
*not* sorted by time (the aggregator does not need it to be).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TextIO

from commerce_core.domain.analytics.events import (
    AnyJourneyEvent,
    AppliedDiscount,
    CheckoutStarted,
    JourneyEvent,
    OrderCancelled,
    OrderedItem,
    OrderPlaced,
    OrderRefunded,
    PaymentFailed,
    ProductAddedToCart,
    ProductRemovedFromCart,
    ProductViewed,
    SessionStarted,
    to_json,
)
from commerce_core.money import from_minor, minor_units, quantize, to_minor

__all__ = ["CHANNELS", "generate_events", "write_jsonl"]

CHANNELS: tuple[tuple[str, int, str | None, str | None], ...] = (
    # channel, weight, campaign, utm source
    ("organic", 35, None, "google"),
    ("ads", 25, "spring-sale", "google-ads"),
    ("email", 15, "newsletter", "newsletter"),
    ("social", 15, "launch", "instagram"),
    ("referral", 10, None, "partner-blog"),
)
"""The generated acquisition channels and their relative weights."""

_TAX = Decimal("0.2")


def _pick_channel(rng: random.Random) -> tuple[str, str | None, str | None]:
    roll = rng.randrange(100)
    for name, weight, campaign, source in CHANNELS:
        if roll < weight:
            return name, campaign, source
        roll -= weight
    return CHANNELS[0][0], CHANNELS[0][2], CHANNELS[0][3]  # pragma: no cover - weights sum 100


def generate_events(
    rng: random.Random,
    *,
    sessions: int | None = None,
    events: int | None = None,
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    currency: str = "EUR",
    customers: int = 2_000,
    products: int = 40,
    mean_gap_seconds: float = 90.0,
) -> Iterator[AnyJourneyEvent]:
    """Yield a deterministic stream of journey events driven by ``rng``.

    Stops after ``sessions`` visits or exactly ``events`` events, whichever comes first (one of
    them is required). Lazy: memory stays flat however long the stream is.

    Raises:
        ValueError: neither ``sessions`` nor ``events`` is given.
    """
    if sessions is None and events is None:
        msg = "give sessions= or events="
        raise ValueError(msg)
    scale = 10 ** minor_units(currency)
    cent = 1 if scale > 1 else 0
    prices = [rng.randint(5, 150) * scale - rng.choice((0, cent)) for _ in range(products)]
    count = 0
    visit = 0
    clock = start
    while sessions is None or visit < sessions:
        visit += 1
        clock += timedelta(seconds=rng.expovariate(1 / mean_gap_seconds))
        for event in _session(rng, visit, clock, currency, customers, prices):
            yield event
            count += 1
            if events is not None and count >= events:
                return


def _session(  # noqa: PLR0915, PLR0917 - one visit's script reads best top to bottom
    rng: random.Random,
    visit: int,
    began: datetime,
    currency: str,
    customers: int,
    prices: list[int],
) -> Iterator[AnyJourneyEvent]:
    session_id = f"s{visit:07d}"
    channel, campaign, source = _pick_channel(rng)
    customer = f"c{rng.randrange(customers):05d}" if rng.random() < 0.6 else None
    at = began

    def tick() -> datetime:
        nonlocal at
        at += timedelta(seconds=rng.randint(5, 180))
        return at

    common: dict[str, Any] = {"session_id": session_id, "channel": channel, "customer_id": customer}
    yield SessionStarted(occurred_at=at, campaign=campaign, utm_source=source, **common)
    n_products = len(prices)
    viewed = []
    for _ in range(rng.randint(1, 6)):
        sku_index = int(n_products * rng.random() ** 2)
        viewed.append(sku_index)
        yield ProductViewed(occurred_at=tick(), sku=f"SKU-{sku_index:03d}", **common)
    if rng.random() >= 0.4:
        return
    cart_id = f"k{visit:07d}"
    lines: dict[int, int] = {}
    for sku_index in rng.sample(viewed, k=min(len(viewed), rng.randint(1, 2))):
        quantity = rng.randint(1, 3)
        lines[sku_index] = lines.get(sku_index, 0) + quantity
        yield ProductAddedToCart(
            occurred_at=tick(),
            cart_id=cart_id,
            sku=f"SKU-{sku_index:03d}",
            quantity=quantity,
            **common,
        )
    if len(lines) > 1 and rng.random() < 0.15:
        dropped = next(iter(lines))
        yield ProductRemovedFromCart(
            occurred_at=tick(),
            cart_id=cart_id,
            sku=f"SKU-{dropped:03d}",
            quantity=lines.pop(dropped),
            **common,
        )
    if rng.random() >= 0.6:
        return
    yield CheckoutStarted(occurred_at=tick(), cart_id=cart_id, **common)
    items = [
        OrderedItem(f"SKU-{i:03d}", q, from_minor(prices[i], currency)) for i, q in lines.items()
    ]
    subtotal = sum(to_minor(i.unit_price) * i.quantity for i in items)
    discounts: list[AppliedDiscount] = []
    roll = rng.random()
    if roll < 0.15:
        off = quantize(from_minor(subtotal, currency) * Decimal("0.1"))
        discounts.append(AppliedDiscount("spring-10", off, "SPRING10"))
    elif roll < 0.25 and subtotal > 60 * 10 ** minor_units(currency):
        five = from_minor(5 * 10 ** minor_units(currency), currency)
        discounts.append(AppliedDiscount("bundle-5", five))
    discount = sum(to_minor(d.amount) for d in discounts)
    free_from = 50 * 10 ** minor_units(currency)
    shipping = 0 if subtotal - discount >= free_from else free_from // 10
    taxable = from_minor(subtotal - discount + shipping, currency)
    tax = to_minor(quantize(taxable * _TAX))
    total = subtotal - discount + shipping + tax
    if rng.random() < 0.1:
        yield PaymentFailed(
            occurred_at=tick(),
            cart_id=cart_id,
            amount=from_minor(total, currency),
            reason="card_declined",
            **common,
        )
        if rng.random() < 0.5:
            return
    if rng.random() >= 0.8:
        return
    order_id = f"o{visit:07d}"
    yield OrderPlaced(
        occurred_at=tick(),
        order_id=order_id,
        cart_id=cart_id,
        items=tuple(items),
        discounts=tuple(discounts),
        shipping=from_minor(shipping, currency),
        tax=from_minor(tax, currency),
        total=from_minor(total, currency),
        **common,
    )
    roll = rng.random()
    if roll < 0.03:
        when = at + timedelta(hours=rng.randint(1, 12))
        yield OrderCancelled(
            occurred_at=when, order_id=order_id, reason="customer_request", **common
        )
        yield OrderRefunded(
            occurred_at=when,
            order_id=order_id,
            amount=from_minor(total, currency),
            tax=from_minor(tax, currency),
            shipping=from_minor(shipping, currency),
            **common,
        )
    elif roll < 0.08:
        merchandise = (subtotal - discount) // 2
        refund_tax = to_minor(quantize(from_minor(merchandise, currency) * _TAX))
        yield OrderRefunded(
            occurred_at=at + timedelta(days=rng.randint(2, 20)),
            order_id=order_id,
            amount=from_minor(merchandise + refund_tax, currency),
            tax=from_minor(refund_tax, currency),
            shipping=from_minor(0, currency),
            **common,
        )


def write_jsonl(events: Iterable[JourneyEvent], handle: TextIO) -> int:
    """Write events as JSON lines to a text file object; returns how many were written."""
    write = handle.write
    count = 0
    for event in events:
        write(to_json(event) + "\n")
        count += 1
    return count
