"""Round-6 fast paths of the checkout give what the paths they replace give.

* The in-memory checkout log keeps each saved attempt as a row of the values its snapshot is
  written from (``CheckoutAttempt._to_row``) instead of the snapshot: ``_snapshot_of_row`` of a
  row is exactly what ``to_snapshot()`` returned when the row was taken, in every state an
  attempt reaches (requests of the library's classes or a host's, with or without a card
  summary and coupon codes; a draft while awaiting an action; failures, shortages, refusals),
  whatever the attempt does afterwards, and a new tree on every read.
* Reading the log rebuilds the attempt from that snapshot, as a log keeping the snapshot did.
* A request of the library's own classes writes its fingerprint's JSON from its fields (no
  ``to_data()`` tree): the same digest as from its data (the path it replaces) and as the JSON
  encoder, for any texts, a guest, one address or two, any capture mode, codes and values that
  are not text (which take the encoder's path).
* The in-memory analytics sink keeps an ``OrderPlaced`` as a tuple of its values and builds it
  again when read: equal events of the same classes (amounts digit for digit), in order, among
  any other events; an event holding a host's ``Money`` class, or a host's subclass of
  ``OrderedItem`` or ``AppliedDiscount`` (which may hold more fields), is kept as it is.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from moneyed import Money

from commerce_core.adapters.memory.analytics import InMemoryAnalyticsSink
from commerce_core.adapters.memory.checkout import InMemoryCheckoutLog
from commerce_core.domain.analytics.events import (
    AppliedDiscount,
    CheckoutStarted,
    JourneyEvent,
    OrderedItem,
    OrderPlaced,
)
from commerce_core.domain.cards import CardExpiry, CardSummary
from commerce_core.domain.cart import PriceChange
from commerce_core.domain.checkout import (
    STEP_ORDER,
    CaptureMode,
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutRequest,
    CheckoutStatus,
    CheckoutSuccess,
    FailureReason,
    _snapshot_of_row,
)
from commerce_core.domain.inventory import Shortage
from commerce_core.domain.orders import Address, Customer
from commerce_core.domain.payment_gateway import PaymentMethod, RequiredAction
from commerce_core.domain.pricing import PriceBreakdown
from commerce_core.money import money
from commerce_core.testing.checkout import CheckoutWorld
from commerce_core.testing.contracts.checkout import make_checkout_request
from commerce_core.testing.strategies.analytics import journey_events
from tests.snapshot_helpers import containers

_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@attrs.frozen
class _TaggedCustomer(Customer):
    """A host's customer holding a list: its request is kept as data, not as itself."""

    tags: list[str] = attrs.field(factory=list)


def _priced() -> PriceBreakdown:
    world = CheckoutWorld(stock=10, faults=False)
    cart = world.carts.get(world.fill_cart())
    return world.service._price_cart(cart, make_checkout_request(cart_id=cart.id))


_PRICED = _priced()

_FAILURES = st.builds(
    CheckoutFailure,
    checkout_id=st.just("chk_x"),
    reason=st.sampled_from(FailureReason),
    message=st.text(max_size=5),
    price_changes=st.lists(
        st.just(PriceChange("l-1", "TEA", money("1.00", "EUR"), money("2.00", "EUR"))),
        max_size=1,
    ),
    shortages=st.lists(st.just(Shortage("TEA", 3, 1, None)), max_size=1),
    coupon_code=st.none() | st.just("SAVE5"),
    required_action=st.none() | st.just(RequiredAction("three_d_secure", "https://x.test")),
    replayed=st.booleans(),
)

_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.integers(0, len(STEP_ORDER) - 1), st.sampled_from("ndp")),
        st.tuples(st.just("await"), _FAILURES),
        st.tuples(st.just("resume")),
        st.tuples(st.just("rollback"), _FAILURES),
        st.tuples(st.just("fail")),
        st.tuples(st.just("succeed")),
        st.tuples(st.just("short"), st.integers(0, 2)),
        st.tuples(st.just("refuse")),
        st.tuples(st.just("announce")),
        st.tuples(st.just("touch")),
    ),
    max_size=14,
)


@st.composite
def _requests(draw: st.DrawFn, *, host: bool = True) -> Any:
    request = make_checkout_request()
    changes: dict[str, Any] = {
        "coupon_codes": tuple(draw(st.lists(st.sampled_from(["SAVE5", " save5"]), max_size=2))),
        "capture_mode": draw(st.none() | st.sampled_from(CaptureMode)),
        "session_id": draw(st.none() | st.just("s-1")),
    }
    card = draw(st.sampled_from(["none", "plain", "expiry"]))
    if card != "none":
        expiry = CardExpiry(12, 2030) if card == "expiry" else None
        summary = CardSummary(None, "4242", expiry)
        changes["payment_method"] = PaymentMethod("tok_visa", card=summary)
    if host and draw(st.booleans()):  # (``from_data`` rebuilds a customer of the library's own)
        changes["customer"] = _TaggedCustomer("a@example.test", tags=["vip"])
    return attrs.evolve(request, **changes)


def _apply(attempt: CheckoutAttempt, op: tuple[Any, ...], now: datetime) -> None:
    """One operation on the attempt (refused ones, as the attempt refuses them, are skipped)."""
    kind = op[0]
    try:
        if kind == "step":
            facts: dict[str, Any] = {}
            if op[2] == "d":
                facts["draft"] = {"lines": [{"sku": "TEA", "n": [1, 2]}], "currency": "EUR"}
            elif op[2] == "p":
                facts["priced"] = _PRICED
            attempt.complete_step(
                STEP_ORDER[op[1]],
                now=now,
                codes=("SAVE5",),
                amount={"amount": "12.30", "currency": "EUR"},
                order_id="ord_x",
                **facts,
            )
        elif kind == "await":
            attempt.await_action(op[1], now=now)
        elif kind == "resume":
            attempt.resume(now=now)
        elif kind == "rollback":
            attempt.begin_rollback(op[1], now=now)
        elif kind == "fail":
            attempt.finish_rollback(now=now)
        elif kind == "succeed":
            attempt.succeed(now=now)
        elif kind == "short":
            attempt.record_shortages([Shortage("TEA", 2, 1, None)] * op[1])
        elif kind == "refuse":
            attempt.note_refusal()
        elif kind == "announce":
            attempt.mark_announced()
        else:
            attempt.touch(now=now)
    except Exception:  # noqa: BLE001 - a transition the attempt refuses changes nothing here
        return


@settings(max_examples=150)
@given(request=_requests(), ops=_OPS)
def test_a_row_reads_back_as_the_snapshot_of_its_time(request: Any, ops: list[Any]) -> None:
    attempt = CheckoutAttempt.start(request, now=_AT)
    taken: list[tuple[Any, dict[str, Any]]] = []
    for index, op in enumerate([("touch",), *ops]):
        row = attempt._to_row()
        snapshot = attempt.to_snapshot()
        first, second = _snapshot_of_row(row), _snapshot_of_row(row)
        assert first == snapshot
        assert second == snapshot
        ids = [id(c) for c in containers(first) + containers(second) + containers(snapshot)]
        assert len(set(ids)) == len(ids)  # new trees, sharing nothing
        for container in containers(first):  # changing a read changes neither the row nor...
            if isinstance(container, dict):
                container["changed"] = True
            else:
                container.append("changed")
        assert _snapshot_of_row(row) == snapshot
        assert attempt.to_snapshot() == snapshot  # ...the attempt
        taken.append((row, snapshot))
        _apply(attempt, op, _AT + timedelta(seconds=index))
    for row, snapshot in taken:  # what the attempt did later never reaches an earlier row
        assert _snapshot_of_row(row) == snapshot


@settings(max_examples=60)
@given(request=_requests(host=False), ops=_OPS)
def test_the_log_reads_an_attempt_back_as_its_snapshot_rebuilt(
    request: Any, ops: list[Any]
) -> None:
    log = InMemoryCheckoutLog()
    attempt, created = log.begin(CheckoutAttempt.start(request, now=_AT))
    assert created
    for index, op in enumerate(ops):
        _apply(attempt, op, _AT + timedelta(seconds=index))
        log.save(attempt)
        snapshot = attempt.to_snapshot()
        stored = log.get(attempt.checkout_id)
        assert stored.version == attempt.version == index + 2
        assert stored.to_snapshot() == snapshot
        assert stored.to_snapshot() == CheckoutAttempt.from_snapshot(snapshot, 1).to_snapshot()
        assert stored.status is CheckoutAttempt.from_snapshot(snapshot, 1).status
        found = log.find(attempt.checkout_id)
        assert found is not None
        assert found.to_snapshot() == snapshot
    (only,) = log.all()
    assert only.to_snapshot() == attempt.to_snapshot()
    assert (only.status in (CheckoutStatus.SUCCEEDED, CheckoutStatus.FAILED)) is not bool(
        log.unfinished()
    )


def test_a_request_of_the_library_classes_is_kept_as_itself_and_read_as_new_data() -> None:
    request = make_checkout_request()
    row = CheckoutAttempt.start(request, now=_AT)._to_row()
    assert row[1] is request  # a frozen value: nothing of it can change
    first, second = _snapshot_of_row(row)["request"], _snapshot_of_row(row)["request"]
    assert first == second == request.to_data()
    assert not {id(c) for c in containers(first)} & {id(c) for c in containers(second)}


def test_a_host_request_is_kept_as_a_copy_of_its_data() -> None:
    tags = ["vip"]
    request = attrs.evolve(
        make_checkout_request(), customer=_TaggedCustomer("a@example.test", tags=tags)
    )
    attempt = CheckoutAttempt.start(request, now=_AT)
    row = attempt._to_row()
    before = attempt.to_snapshot()
    tags.append("changed later")  # the host's list changes after the save
    assert _snapshot_of_row(row) == before
    assert _snapshot_of_row(row)["request"]["customer"]["tags"] == ["vip"]


def test_the_amount_is_read_as_the_decimal_text_it_was_saved_as() -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=_AT)
    amount = {"amount": str(Decimal("12.30")), "currency": "EUR"}
    attempt.complete_step(STEP_ORDER[0], now=_AT, amount=amount)
    row = attempt._to_row()
    handed = attempt.amount
    assert handed is not None
    handed["amount"] = "0"  # a caller changing what it was handed
    assert _snapshot_of_row(row)["amount"] == {"amount": "12.30", "currency": "EUR"}


_ANY_TEXT = st.text(max_size=6)
_ADDRESSES = st.builds(
    Address, _ANY_TEXT, _ANY_TEXT, _ANY_TEXT, _ANY_TEXT, _ANY_TEXT, _ANY_TEXT, _ANY_TEXT, _ANY_TEXT
)


@st.composite
def _fingerprinted(draw: st.DrawFn) -> CheckoutRequest:
    billing = draw(_ADDRESSES)
    shipping = draw(st.sampled_from(["same", "equal", "other"]))
    if shipping == "same":
        ship = billing
    elif shipping == "equal":
        ship = attrs.evolve(billing)
    else:
        ship = draw(_ADDRESSES)
    # values that are not text (or not a bool) take the JSON encoder's path
    cart_id: Any = draw(st.one_of(st.text(min_size=1, max_size=6).filter(str.strip), st.just(7)))
    accept: Any = draw(st.sampled_from([False, True, 1]))
    return CheckoutRequest(
        cart_id=cart_id,
        customer=Customer(
            draw(st.text(min_size=1, max_size=6).filter(str.strip)),
            customer_id=draw(st.none() | _ANY_TEXT),
            name=draw(_ANY_TEXT),
        ),
        billing_address=billing,
        shipping_address=ship,
        shipping_method=draw(_ANY_TEXT),
        payment_method=PaymentMethod(draw(st.sampled_from(["tok_visa", "tok_é", "tok_\n"]))),
        idempotency_key="k",
        accept_price_changes=accept,
        coupon_codes=tuple(draw(st.lists(_ANY_TEXT, max_size=3))),
        capture_mode=draw(st.none() | st.sampled_from([*CaptureMode, "immediate"])),
        session_id=draw(st.none() | _ANY_TEXT),
        channel=draw(st.sampled_from(["web", "app"])),
    )


@settings(max_examples=300)
@given(_fingerprinted())
def test_a_fingerprint_from_the_fields_equals_the_one_from_the_data(
    request: CheckoutRequest,
) -> None:
    data = request.to_data()
    purchase = {
        "cart_id": data["cart_id"],
        "customer": data["customer"],
        "billing_address": data["billing_address"],
        "shipping_address": data["shipping_address"],
        "shipping_method": data["shipping_method"],
        "payment_token": data["payment_method"]["token"],
        "coupon_codes": sorted({code.strip().upper() for code in request.coupon_codes}),
        "capture_mode": data["capture_mode"],
        "accept_price_changes": data["accept_price_changes"],
    }
    blob = json.dumps(purchase, sort_keys=True, separators=(",", ":"))
    expected = hashlib.sha256(blob.encode()).hexdigest()
    assert request.fingerprint() == request._fingerprint_of(data) == expected
    assert CheckoutAttempt.start(request, now=_AT).fingerprint == expected


def test_a_request_of_other_classes_is_fingerprinted_from_its_data() -> None:
    request = attrs.evolve(
        make_checkout_request(), customer=_TaggedCustomer("a@example.test", tags=["vip"])
    )
    assert request.fingerprint() == request._fingerprint_of(request.to_data())


@attrs.frozen
class _CategorisedItem(OrderedItem):
    """A host's richer line: more than the fields the sink packs."""

    category: str = "tea"


@attrs.frozen
class _CampaignDiscount(AppliedDiscount):
    """A host's richer discount: more than the fields the sink packs."""

    campaign: str = "spring"


@st.composite
def _orders_placed(draw: st.DrawFn) -> OrderPlaced:
    currency = draw(st.sampled_from(["EUR", "JPY", "BHD"]))
    places = {"EUR": 2, "JPY": 0, "BHD": 3}[currency]

    def amount(low: int, high: int) -> Money:
        return Money(Decimal(draw(st.integers(low, high))).scaleb(-places), currency)

    items = []
    subtotal = Decimal(0)
    for _ in range(draw(st.integers(1, 3))):
        quantity = draw(st.integers(1, 4))
        unit = amount(1, 5_000)
        net = amount(1, 20_000) if draw(st.booleans()) else None
        item_class = draw(st.sampled_from([OrderedItem, OrderedItem, _CategorisedItem]))
        items.append(item_class(draw(st.sampled_from(["TEA", "MUG"])), quantity, unit, net))
        subtotal += net.amount if net is not None else unit.amount * quantity
    discounts = []
    for _ in range(draw(st.integers(0, 2))):
        taken = Money(subtotal * Decimal("0.1"), currency).round(places)
        code = draw(st.none() | st.just("SAVE5"))
        discount_class = draw(
            st.sampled_from([AppliedDiscount, AppliedDiscount, _CampaignDiscount])
        )
        discounts.append(discount_class(draw(st.sampled_from(["p-1", "p-2"])), taken, code))
    shipping, tax = amount(0, 900), amount(0, 900)
    discounted = sum((d.amount.amount for d in discounts), Decimal(0))
    return OrderPlaced(
        occurred_at=_AT,
        session_id="s-1",
        channel=draw(st.sampled_from(["web", "ads"])),
        customer_id=draw(st.none() | st.just("c-1")),
        order_id="o-1",
        cart_id=draw(st.none() | st.just("cart-1")),
        items=items,
        discounts=discounts,
        shipping=shipping,
        tax=tax,
        total=Money(subtotal - discounted + shipping.amount + tax.amount, currency),
    )


def _same(kept: object, recorded: object) -> None:
    """Equal, of the same classes all the way down (``Money`` included)."""
    assert kept == recorded
    assert type(kept) is type(recorded)
    if isinstance(recorded, OrderPlaced):
        assert isinstance(kept, OrderPlaced)
        ours = [kept.total, kept.shipping, kept.tax]
        for mine, theirs in zip(
            ours, [recorded.total, recorded.shipping, recorded.tax], strict=True
        ):
            assert type(mine) is type(theirs)
            assert str(mine.amount) == str(theirs.amount)
        for item, other in zip(kept.items, recorded.items, strict=True):
            assert type(item) is type(other)
            assert attrs.asdict(item, recurse=False) == attrs.asdict(other, recurse=False)
            assert str(item.unit_price.amount) == str(other.unit_price.amount)
        assert [type(d) for d in kept.discounts] == [type(d) for d in recorded.discounts]
        for discount, other_discount in zip(kept.discounts, recorded.discounts, strict=True):
            assert attrs.asdict(discount, recurse=False) == attrs.asdict(
                other_discount, recurse=False
            )


@settings(max_examples=100)
@given(placed=st.lists(_orders_placed(), max_size=3), others=st.lists(journey_events(), max_size=4))
def test_the_sink_gives_back_the_events_recorded(
    placed: list[OrderPlaced], others: list[JourneyEvent]
) -> None:
    recorded = [*placed, *others, *placed[:1]]
    sink = InMemoryAnalyticsSink()
    for event in recorded:
        sink.record(event)
    kept = sink.events
    assert len(kept) == len(recorded)
    for mine, theirs in zip(kept, recorded, strict=True):
        _same(mine, theirs)
    sink.clear()
    assert sink.events == ()


class _TaggedMoney(Money):
    """A host's ``Money`` class: an event holding one is kept as it is."""


def test_an_order_placed_holding_other_money_is_kept_as_it_is() -> None:
    event = OrderPlaced(
        occurred_at=_AT,
        session_id="s-1",
        channel="web",
        order_id="o-1",
        items=[OrderedItem("TEA", 1, money("5.00", "EUR"))],
        shipping=money("0.00", "EUR"),
        tax=money("1.00", "EUR"),
        total=_TaggedMoney(Decimal("6.00"), "EUR"),
    )
    sink = InMemoryAnalyticsSink()
    sink.record(event)
    (kept,) = sink.events
    assert kept is event


@settings(max_examples=50)
@given(placed=_orders_placed())
def test_an_order_placed_holding_a_hosts_item_or_discount_class_is_kept_as_it_is(
    placed: OrderPlaced,
) -> None:
    sink = InMemoryAnalyticsSink()
    sink.record(placed)
    (kept,) = sink.events
    own = all(type(i) is OrderedItem for i in placed.items) and all(
        type(d) is AppliedDiscount for d in placed.discounts
    )
    assert own or kept is placed


def test_a_hosts_item_class_keeps_its_own_fields_in_the_sink() -> None:
    event = OrderPlaced(
        occurred_at=_AT,
        session_id="s-1",
        channel="web",
        order_id="o-1",
        items=[_CategorisedItem("TEA", 1, money("10.00", "EUR"), category="green")],
        discounts=[_CampaignDiscount("p-1", money("1.00", "EUR"), campaign="autumn")],
        total=money("11.00", "EUR"),
        shipping=money("0.00", "EUR"),
        tax=money("2.00", "EUR"),
    )
    sink = InMemoryAnalyticsSink()
    sink.record(event)
    (kept,) = sink.events
    assert kept == event
    assert kept is event


def test_a_checkout_records_its_sale_as_a_packed_order_read_back_equal() -> None:
    world = CheckoutWorld(stock=10, faults=False)
    result = world.check_out(world.fill_cart(), "k-1")
    assert isinstance(result, CheckoutSuccess)
    (started, placed) = world.recorded.events
    assert type(started) is CheckoutStarted
    assert type(placed) is OrderPlaced
    assert world.recorded.events == (started, placed)
    assert placed.order_id == result.order.order_id
