"""The checkout's fast paths give what the validating paths give.

* ``build_order_placed`` checks an ``OrderPlaced`` in one pass and assembles it unchecked: the
  event equals the one the validating constructors build, and when they refuse the values it
  raises their very error (valid and invalid values alike).
* ``_ordered_item`` sums discounts in Decimal: the event a checkout announces equals the one the
  former Money arithmetic built (net and gross price bases).
* A request's fingerprint writes its canonical JSON field by field: the same digest as
  ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` (any text; other values still go
  through the JSON encoder).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money, get_currency

from commerce_core import CatalogItem
from commerce_core.domain.analytics.events import (
    AppliedDiscount,
    OrderedItem,
    OrderPlaced,
    build_order_placed,
    to_json,
)
from commerce_core.domain.checkout import (
    CaptureMode,
    CheckoutAttempt,
    CheckoutRequest,
    CheckoutSuccess,
)
from commerce_core.domain.orders import Address, Customer, Order
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.money import Weight, allocate, allocate_evenly, money, zero
from commerce_core.testing.checkout import CheckoutWorld

_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _amounts(code: str, *, bad: bool) -> st.SearchStrategy[Any]:
    """Amounts of ``code`` on its grid; if ``bad``, also negative, off-grid, foreign, not Money."""
    cents = st.integers(min_value=0, max_value=5_000).map(
        lambda n: Money(Decimal(n).scaleb(-2), get_currency(code))
    )
    odd = st.one_of(
        st.integers(min_value=-500, max_value=-1).map(lambda n: Money(Decimal(n), code)),
        st.just(Money(Decimal("1.005"), code)),
        st.just(Money(Decimal("1.00"), "USD")),
        st.none(),
        st.just("1.00"),
    )
    return st.one_of(cents, cents, cents, odd) if bad else cents


def _text(good: str, *, bad: bool) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(good), st.sampled_from(["", None, 3])) if bad else st.just(good)


@st.composite
def _event_values(draw: st.DrawFn) -> dict[str, Any]:
    code = "EUR"
    bad = draw(st.booleans())  # half the draws may hold a value the constructors refuse
    items = draw(
        st.lists(
            st.tuples(
                _text("TEA", bad=bad),
                st.one_of(st.integers(min_value=1, max_value=5), st.sampled_from([0, -1, True]))
                if bad
                else st.integers(min_value=1, max_value=5),
                _amounts(code, bad=bad),
                st.one_of(st.none(), _amounts(code, bad=bad)),
            ),
            min_size=0 if bad else 1,
            max_size=3,
        )
    )
    discounts = draw(
        st.lists(
            st.tuples(
                _text("promo", bad=bad),
                _amounts(code, bad=bad),
                st.sampled_from([None, "SAVE5", ""] if bad else [None, "SAVE5"]),
            ),
            max_size=2,
        )
    )
    shipping = draw(_amounts(code, bad=bad))
    tax = draw(_amounts(code, bad=bad))
    total: Any = draw(_amounts(code, bad=bad))
    if not bad or draw(st.booleans()):  # a total that adds up (unless the sum cannot be made)
        try:
            subtotal = sum(
                (net if net is not None else price * quantity for _, quantity, price, net in items),
                Money(0, code),
            )
            total = subtotal - sum((d[1] for d in discounts), Money(0, code)) + shipping + tax
        except Exception:  # noqa: BLE001, S110 - odd values: keep the drawn total
            pass
    return {
        "occurred_at": draw(
            st.sampled_from(
                [_AT, _AT.astimezone(timezone(timedelta(hours=2)))]
                + ([_AT.replace(tzinfo=None)] if bad else [])
            )
        ),
        "session_id": draw(_text("s-1", bad=bad)),
        "channel": draw(_text("web", bad=bad)),
        "customer_id": draw(st.one_of(st.none(), _text("cust-1", bad=bad))),
        "order_id": draw(_text("ord_1", bad=bad)),
        "cart_id": draw(st.one_of(st.none(), _text("cart-1", bad=bad))),
        "items": items,
        "discounts": discounts,
        "shipping": shipping,
        "tax": tax,
        "total": total,
    }


def _validating(values: dict[str, Any]) -> OrderPlaced:
    fields = dict(values)
    fields["items"] = [OrderedItem(*item) for item in values["items"]]
    fields["discounts"] = [AppliedDiscount(*discount) for discount in values["discounts"]]
    return OrderPlaced(**fields)


def _outcome(build: Any, values: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "event", build(values)
    except Exception as error:  # noqa: BLE001 - the error itself is compared
        return type(error).__name__, str(error)


@given(_event_values())
def test_build_order_placed_equals_the_validating_constructors(values: dict[str, Any]) -> None:
    fast = _outcome(lambda v: build_order_placed(**v), values)
    assert fast == _outcome(_validating, values)
    if fast[0] == "event":
        event = fast[1]
        assert type(event) is OrderPlaced
        assert all(type(item) is OrderedItem for item in event.items)
        assert all(type(discount) is AppliedDiscount for discount in event.discounts)
        assert isinstance(event.items, tuple)
        assert isinstance(event.discounts, tuple)
        assert event.to_dict() == _validating(values).to_dict()


def test_a_valid_event_is_assembled_without_the_checks() -> None:
    eur = get_currency("EUR")
    values: dict[str, Any] = {
        "occurred_at": _AT,
        "session_id": "s",
        "channel": "web",
        "customer_id": None,
        "order_id": "ord_1",
        "cart_id": None,
        "items": [("TEA", 2, Money("10.00", eur), None)],
        "discounts": [("tea-10", Money("2.00", eur), None)],
        "shipping": Money("4.90", eur),
        "tax": Money("4.58", eur),
        "total": Money("27.48", eur),
    }
    assert build_order_placed(**values) == _validating(values)
    with pytest.raises(Exception, match="total must equal"):
        build_order_placed(**{**values, "total": Money("27.49", eur)})


def _former_order_placed(world: CheckoutWorld, attempt: CheckoutAttempt, order: Order) -> Any:
    """The event as the service built it before the Decimal sums (Money arithmetic throughout)."""
    request = attempt.request
    nothing = zero(order.currency)
    discounts: dict[tuple[str, str], Money] = {}
    items: list[OrderedItem] = []
    for line in order.lines:
        parts: list[tuple[tuple[str, str], Money]] = []
        for adjustment in line.adjustments:
            if adjustment.amount.amount >= 0:
                continue
            taken = -adjustment.amount
            if line.prices_include_tax:
                if line.total.gross.amount > 0:
                    weights: list[Weight] = [line.total.net, line.total.tax]
                else:
                    weights = [Decimal(1), sum((t.rate for t in line.tax_lines), Decimal(0))]
                taken = allocate(taken, weights)[0]
            parts.append(((adjustment.source_id, adjustment.code), taken))
        net = line.total.net
        before = sum((amount for _, amount in parts), net) if parts else net
        if not line.prices_include_tax and before.amount == line.unit_price.amount * line.quantity:
            items.append(OrderedItem(line.sku, line.quantity, line.unit_price))
        elif before.amount > 0:
            unit = allocate_evenly(before, line.quantity)[0]
            items.append(OrderedItem(line.sku, line.quantity, unit, net_total=before))
        else:
            items.append(OrderedItem(line.sku, line.quantity, zero(net.currency), before))
        for key, amount in parts:
            discounts[key] = discounts.get(key, nothing) + amount
    total = order.totals.total
    return OrderPlaced(
        occurred_at=world.clock.now(),
        session_id=request.session_id or request.cart_id,
        channel=request.channel,
        customer_id=request.customer.customer_id,
        order_id=order.order_id,
        cart_id=request.cart_id,
        items=items,
        discounts=[
            AppliedDiscount(source, amount, code or None)
            for (source, code), amount in discounts.items()
            if amount.amount > 0
        ],
        shipping=order.shipping.net,
        tax=total.gross - total.net,
        total=total.gross,
    )


def _world(*, gross: bool) -> CheckoutWorld:
    world = CheckoutWorld()
    if gross:
        for sku, price in (("JAR", "9.99"), ("LID", "3.33")):
            world.catalog.put(
                CatalogItem.simple(sku, sku.title(), money(price, "EUR"), prices_include_tax=True)
            )
            world.inventory.define_sku(sku)
            world.inventory.receive(sku, "main", 10, reference=f"initial:{sku}")
    return world


@pytest.mark.parametrize(
    ("gross", "lines", "codes"),
    [
        (False, (("TEA", 2), ("MUG", 1), ("POT", 1)), ()),
        (False, (("TEA", 3), ("POT", 2)), ("SAVE5",)),
        (True, (("JAR", 3), ("LID", 7)), ("SAVE5",)),
        (True, (("JAR", 1), ("TEA", 1)), ()),
    ],
)
def test_the_announced_order_equals_the_former_money_arithmetic(
    gross: bool,  # noqa: FBT001 - a parameter of the case
    lines: tuple[tuple[str, int], ...],
    codes: tuple[str, ...],
) -> None:
    world = _world(gross=gross)
    result = world.check_out(world.fill_cart(lines), "k", coupon_codes=codes)
    assert isinstance(result, CheckoutSuccess), result
    attempt = world.service.attempt("k")
    (announced,) = [e for e in world.recorded.events if isinstance(e, OrderPlaced)]
    former = _former_order_placed(world, attempt, result.order)
    assert announced == former
    assert announced.to_dict() == former.to_dict()
    assert to_json(announced) == to_json(former)


_ANY_TEXT = st.text(max_size=12)


def _filled(text: str, fallback: str) -> str:
    """``text``, or ``fallback`` where the request refuses it as blank (only whitespace)."""
    return text if text.strip() else fallback


@given(
    texts=st.lists(_ANY_TEXT, min_size=12, max_size=12),
    customer_id=st.one_of(st.none(), _ANY_TEXT.filter(bool)),
    codes=st.lists(_ANY_TEXT, max_size=3),
    accept=st.booleans(),
    mode=st.sampled_from([None, CaptureMode.IMMEDIATE, CaptureMode.AUTHORIZE_ONLY]),
)
def test_the_written_fingerprint_equals_the_json_encoder(
    texts: list[str],
    customer_id: str | None,
    codes: list[str],
    accept: bool,  # noqa: FBT001 - drawn
    mode: CaptureMode | None,
) -> None:
    name, line1, city, postal, country, ship, token, email, cart, method, key, other = texts
    request = CheckoutRequest(
        cart_id=_filled(cart, "c"),
        customer=Customer(_filled(email, "e"), customer_id=customer_id, name=name),
        billing_address=Address(name, line1, city, postal, country),
        shipping_address=Address(name, ship, city, other, country, region=line1),
        shipping_method=method,
        payment_method=PaymentMethod(_filled(token, "t")),
        idempotency_key=_filled(key, "k"),
        accept_price_changes=accept,
        coupon_codes=tuple(codes),
        capture_mode=mode,
    )
    data = request.to_data()
    purchase = {
        "cart_id": data["cart_id"],
        "customer": data["customer"],
        "billing_address": data["billing_address"],
        "shipping_address": data["shipping_address"],
        "shipping_method": data["shipping_method"],
        "payment_token": data["payment_method"]["token"],
        "coupon_codes": sorted({code.strip().upper() for code in codes}),
        "capture_mode": data["capture_mode"],
        "accept_price_changes": data["accept_price_changes"],
    }
    blob = json.dumps(purchase, sort_keys=True, separators=(",", ":"))
    assert request.fingerprint() == hashlib.sha256(blob.encode()).hexdigest()


def test_a_fingerprint_of_values_that_are_not_text_still_uses_the_json_encoder() -> None:
    home = Address("Ana", "1 rue du Thé", "Lyon", "69001", "FR")
    request = CheckoutRequest(
        cart_id="c",
        customer=Customer("a@example.test"),
        billing_address=home,
        shipping_address=home,
        shipping_method="standard",
        payment_method=PaymentMethod("tok_visa"),
        idempotency_key="k",
        accept_price_changes=1,  # type: ignore[arg-type]
    )
    data = request.to_data()
    purchase = {
        "cart_id": "c",
        "customer": data["customer"],
        "billing_address": data["billing_address"],
        "shipping_address": data["shipping_address"],
        "shipping_method": "standard",
        "payment_token": "tok_visa",
        "coupon_codes": [],
        "capture_mode": None,
        "accept_price_changes": 1,
    }
    blob = json.dumps(purchase, sort_keys=True, separators=(",", ":"))
    assert request.fingerprint() == hashlib.sha256(blob.encode()).hexdigest()
