"""The checkout's fast internal paths build exactly what the plain paths build.

- the order draft is built straight from the breakdown: it equals each line's
  ``OrderLine.from_breakdown(line).to_data()`` plus its price-basis totals, as before;
- an attempt records its draft from the priced cart (``priced=``) and builds it when read or
  saved: the same data as ``draft=draft_from_breakdown(...)``;
- the fingerprint is computed once, from the request data the attempt keeps: the same print as
  :meth:`CheckoutRequest.fingerprint` and as the former formula;
- the checkout log keeps attempt snapshots uncopied (``fresh_snapshots``): every snapshot is a
  new tree of plain JSON data, sharing no dict or list with the attempt or another snapshot;
- ``OrderPlaced`` checks its total in minor units computed once: it accepts exactly the events
  the former check accepted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_core import CatalogItem, CheckoutSuccess, Money, money
from commerce_core.adapters.memory.core import _is_plain
from commerce_core.domain.analytics.events import AppliedDiscount, OrderedItem, OrderPlaced
from commerce_core.domain.cards import CardBrand, CardExpiry, CardSummary
from commerce_core.domain.checkout import (
    CaptureMode,
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutRequest,
    CheckoutStep,
    FailureReason,
    draft_from_breakdown,
)
from commerce_core.domain.orders import Address, Customer, OrderLine
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.domain.pricing import PriceBreakdown
from commerce_core.errors import InvalidAnalyticsEventError
from commerce_core.money import money_to_data, to_minor
from commerce_core.testing.checkout import CheckoutWorld
from tests.snapshot_helpers import containers

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SKUS = ("TEA", "MUG", "POT", "JAR", "LID")


def _world(**kwargs: Any) -> CheckoutWorld:
    """The checkout world plus two items priced with 20% VAT included."""
    world = CheckoutWorld(**kwargs)
    for sku, price in (("JAR", "9.99"), ("LID", "3.33")):
        world.catalog.put(
            CatalogItem.simple(
                sku, sku.title(), money(price, "EUR"), prices_include_tax=True, weight=Decimal(1)
            )
        )
        world.inventory.define_sku(sku)
        world.inventory.receive(sku, "main", 100, reference=f"initial:{sku}")
    return world


def _request(world: CheckoutWorld, cart_id: str, codes: tuple[str, ...] = ()) -> CheckoutRequest:
    return CheckoutRequest(
        cart_id=cart_id,
        customer=world.customer,
        billing_address=world.address,
        shipping_address=world.address,
        shipping_method="standard",
        payment_method=world.card,
        idempotency_key=f"key-{cart_id}",
        coupon_codes=codes,
    )


def _priced(
    world: CheckoutWorld, lines: tuple[tuple[str, int], ...], codes: tuple[str, ...] = ()
) -> tuple[CheckoutRequest, PriceBreakdown]:
    cart_id = world.fill_cart(lines)
    request = _request(world, cart_id, codes)
    return request, world.service._price_cart(world.carts.get(cart_id), request)


def _reference_draft(breakdown: PriceBreakdown) -> dict[str, Any]:
    """The draft as it was built before: each line through ``OrderLine``."""
    shipping = breakdown.shipping
    assert shipping is not None

    def taxed(value: Any) -> dict[str, Any]:
        return {"net": money_to_data(value.net), "gross": money_to_data(value.gross)}

    return {
        "currency": breakdown.currency,
        "lines": [
            {
                **OrderLine.from_breakdown(line).to_data(),
                "base_total": money_to_data(line.base_total),
                "basis_total": money_to_data(line.total),
            }
            for line in breakdown.lines
        ],
        "shipping": {
            "method": shipping.method,
            "name": shipping.name,
            "price": money_to_data(shipping.price),
            "adjustments": [
                {
                    "source_id": a.source_id,
                    "label": a.label,
                    "amount": money_to_data(a.amount),
                    "code": a.code,
                }
                for a in shipping.adjustments
            ],
            "total": money_to_data(shipping.total),
            "tax_lines": [
                {
                    "name": t.name,
                    "rate": str(t.rate),
                    "amount": money_to_data(t.amount),
                    "compound": t.compound,
                }
                for t in shipping.tax_lines
            ],
            "taxed": taxed(shipping.taxed),
        },
        "subtotal": taxed(breakdown.subtotal),
        "discounts": money_to_data(breakdown.discounts),
        "total": taxed(breakdown.total),
    }


def _reference_fingerprint(request: CheckoutRequest) -> str:
    """The fingerprint formula as it was written before."""
    data = {
        "cart_id": request.cart_id,
        "customer": attrs.asdict(request.customer),
        "billing_address": request.billing_address.to_data(),
        "shipping_address": request.shipping_address.to_data(),
        "shipping_method": request.shipping_method,
        "payment_token": request.payment_method.token,
        "coupon_codes": sorted({code.strip().upper() for code in request.coupon_codes}),
        "capture_mode": None if request.capture_mode is None else str(request.capture_mode),
        "accept_price_changes": request.accept_price_changes,
    }
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


CART_LINES = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=5
).map(tuple)


@settings(max_examples=40, deadline=None)
@given(lines=CART_LINES, codes=st.sampled_from(((), ("SAVE5",))))
def test_the_draft_equals_the_order_lines_data_with_their_totals(
    lines: tuple[tuple[str, int], ...], codes: tuple[str, ...]
) -> None:
    world = _world(stock=100)
    _, breakdown = _priced(world, lines, codes)
    assert draft_from_breakdown(breakdown) == _reference_draft(breakdown)


def test_an_attempt_records_the_draft_of_its_priced_cart() -> None:
    world = _world(stock=100)
    request, breakdown = _priced(world, (("TEA", 2), ("JAR", 3), ("LID", 1)), ("SAVE5",))
    expected = draft_from_breakdown(breakdown)
    by_draft = CheckoutAttempt.start(request, now=NOW)
    by_draft.complete_step(CheckoutStep.VALIDATED, now=NOW, draft=expected)
    by_priced = CheckoutAttempt.start(request, now=NOW)
    by_priced.complete_step(CheckoutStep.VALIDATED, now=NOW, priced=breakdown)
    assert by_priced.to_snapshot() == by_draft.to_snapshot()
    # in progress, the log needs no draft: an interrupted attempt is rolled back, not continued
    assert by_priced.to_snapshot()["draft"] is None
    waiting = CheckoutFailure(
        checkout_id=request.checkout_id,
        reason=FailureReason.REQUIRES_ACTION,
        message="the payment needs a customer action",
    )
    for attempt in (by_draft, by_priced):
        attempt.await_action(waiting, now=NOW)  # resumed after 3-D Secure: read back from the log
    assert by_priced.to_snapshot()["draft"] == expected
    assert by_priced.draft == expected  # built when read, then kept
    assert by_priced.to_snapshot() == by_draft.to_snapshot()
    rebuilt = CheckoutAttempt.from_snapshot(by_priced.to_snapshot(), 1)
    assert rebuilt.draft == expected
    for attempt in (by_draft, by_priced, rebuilt):
        attempt.resume(now=NOW)
    for attempt in (by_draft, by_priced, rebuilt):
        attempt.complete_step(CheckoutStep.ORDER_CREATED, now=NOW, order_id="ord_1")
        assert attempt.draft is None
        assert attempt.to_snapshot()["draft"] is None


def _requests() -> Iterator[CheckoutRequest]:
    home = Address("Ana", "1 rue du Thé", "Lyon", "69001", "FR", region="ARA", phone="+33")
    card = CardSummary(CardBrand.VISA, "4242", CardExpiry(12, 2030))
    base = CheckoutRequest(
        cart_id="c",
        customer=Customer("a@example.test", customer_id="cust-1", name="Ana"),
        billing_address=home,
        shipping_address=home,
        shipping_method="standard",
        payment_method=PaymentMethod("tok_visa", card=card),
        idempotency_key="k",
        coupon_codes=(" save5", "SAVE5", "WELCOME"),
    )
    yield base
    yield attrs.evolve(base, capture_mode=CaptureMode.AUTHORIZE_ONLY, accept_price_changes=True)
    yield attrs.evolve(base, customer=Customer("guest@example.test"), coupon_codes=())
    yield attrs.evolve(base, payment_method=PaymentMethod("tok_mastercard"), session_id="s-1")


@pytest.mark.parametrize("request_", list(_requests()))
def test_the_attempts_fingerprint_is_the_requests(request_: CheckoutRequest) -> None:
    attempt = CheckoutAttempt.start(request_, now=NOW)
    assert attempt.fingerprint == request_.fingerprint() == _reference_fingerprint(request_)
    assert attempt.to_snapshot()["request"] == request_.to_data()


def _attempt_states() -> list[tuple[str, CheckoutAttempt]]:
    """Live attempts after each step, and stored ones in every outcome a checkout reaches."""
    live: list[tuple[str, CheckoutAttempt]] = []

    def keep(attempt: CheckoutAttempt, step: CheckoutStep) -> None:
        copy = CheckoutAttempt.from_snapshot(attempt.to_snapshot(), attempt.version)
        live.append((f"live {step}", copy))

    world = _world(stock=10, on_step=keep)
    card = PaymentMethod("tok_visa", card=CardSummary(CardBrand.VISA, "4242", CardExpiry(12, 2030)))
    short = world.fill_cart((("POT", 6),))
    paid = world.check_out(world.fill_cart((("POT", 5), ("JAR", 1))), "paid", method=card)
    assert isinstance(paid, CheckoutSuccess)
    world.check_out(world.fill_cart(), "declined", method=PaymentMethod("tok_declined"))
    world.check_out(world.fill_cart(), "3ds", method=PaymentMethod("tok_3ds_required"))
    assert not world.check_out(short, "short").ok
    stored = [(f"stored {a.idempotency_key} {a.status}", a) for a in world.checkout_log.all()]
    # a live attempt holding its priced cart, before its first save
    request, breakdown = _priced(world, (("TEA", 1), ("LID", 2)))
    priced = CheckoutAttempt.start(request, now=NOW)
    priced.complete_step(CheckoutStep.VALIDATED, now=NOW, priced=breakdown)
    return [*live, *stored, ("priced", priced)]


STATES = _attempt_states()


@pytest.mark.parametrize(("name", "attempt"), STATES, ids=[name for name, _ in STATES])
def test_an_attempt_snapshot_is_a_new_tree_of_plain_data(
    name: str, attempt: CheckoutAttempt
) -> None:
    first, second = attempt.to_snapshot(), attempt.to_snapshot()
    assert first == second == json.loads(json.dumps(first)), name
    assert _is_plain(first), name  # kept as is by the store, never converted
    assert {id(c) for c in containers(first)}.isdisjoint(id(c) for c in containers(second))
    before = json.dumps(first)
    for container in list(containers(first)):
        if isinstance(container, dict):
            container["changed after the snapshot"] = True
        else:
            container.append("changed after the snapshot")
    assert json.dumps(attempt.to_snapshot()) == before, name
    rebuilt = CheckoutAttempt.from_snapshot(attempt.to_snapshot(), attempt.version)
    assert rebuilt.to_snapshot() == attempt.to_snapshot(), name


def test_every_state_is_covered() -> None:
    names = " ".join(name for name, _ in STATES)
    for expected in ("live validated", "live order_created", "succeeded", "failed"):
        assert expected in names
    assert "awaiting_action" in names


def test_the_checkout_log_keeps_what_the_attempt_was_when_saved() -> None:
    world = _world(stock=10)
    result = world.check_out(world.fill_cart(), "k")
    assert isinstance(result, CheckoutSuccess)
    attempt = world.service.attempt("k")
    stored = attempt.to_snapshot()
    attempt.record_shortages(())
    attempt.mark_announced()
    attempt.to_snapshot()["request"]["customer"]["email"] = "changed@example.test"
    assert world.service.attempt("k").to_snapshot() == stored


def eur(minor: int) -> Money:
    return money(Decimal(minor).scaleb(-2), "EUR")


ITEMS = st.lists(
    st.tuples(st.integers(0, 5_000), st.integers(1, 5), st.none() | st.integers(0, 30_000)),
    min_size=1,
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(
    items=ITEMS,
    discounts=st.lists(st.integers(1, 2_000), max_size=2),
    shipping=st.integers(0, 1_000),
    tax=st.integers(0, 3_000),
    off_by=st.sampled_from((0, 0, 0, 1, -1)),
)
def test_order_placed_accepts_exactly_a_consistent_total(
    items: list[tuple[int, int, int | None]],
    discounts: list[int],
    shipping: int,
    tax: int,
    off_by: int,
) -> None:
    ordered = [
        OrderedItem(f"SKU{i}", qty, eur(unit), None if net is None else eur(net))
        for i, (unit, qty, net) in enumerate(items)
    ]
    # the former check: each subtotal as Money, then to minor units
    subtotal = sum(to_minor(item.subtotal) for item in ordered)
    discounted = sum(discounts)
    total = subtotal - discounted + shipping + tax + off_by
    consistent = discounted <= subtotal and off_by == 0
    if total < 0:
        return  # refused as a negative total either way

    def make() -> OrderPlaced:
        return OrderPlaced(
            occurred_at=NOW,
            session_id="s",
            channel="web",
            order_id="o",
            items=ordered,
            discounts=[AppliedDiscount(f"p{i}", eur(d)) for i, d in enumerate(discounts)],
            shipping=eur(shipping),
            tax=eur(tax),
            total=eur(total),
        )

    if consistent:
        assert make().subtotal == sum((i.subtotal for i in ordered[1:]), ordered[0].subtotal)
    else:
        with pytest.raises(InvalidAnalyticsEventError):
            make()
