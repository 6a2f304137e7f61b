"""The order fast paths of the third checkout round give what the general paths give.

* ``OrderLine.from_breakdown`` checks a priced line's values in one pass and assembles the line
  unchecked when they pass: it builds the line the validating constructor builds, and raises
  the constructor's error when they do not pass.
* ``Order.captured`` and ``Order.authorized`` are summed once per payments tuple and carried on
  entry by entry: they equal the re-summing of the payment entries after any sequence of
  payment facts, refused ones (rolled back) included.
* ``Order._change()`` rolls state and pending events back on any error.
* The order repository keeps the payload it builds from an event's usual field values as the
  message's read-only view without copying it again; a claim and the dispatcher's notification
  share that view: each equals what the validating constructors build.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_core.adapters.memory import InMemoryClock, InMemoryNotifier, InMemoryOrderRepository
from commerce_core.adapters.memory.orders import _payload
from commerce_core.domain.events import DomainEvent
from commerce_core.domain.notifications import Notification
from commerce_core.domain.orders import Order, OrderLine, OutboxMessage, PaymentKind
from commerce_core.domain.pricing import Adjustment, LineBreakdown, PricingLine, TaxLine
from commerce_core.errors import CommerceError, InvalidOrderError
from commerce_core.money import Money, TaxedMoney, from_minor, money, money_to_data, zero
from commerce_core.services.orders import OutboxDispatcher, template_key_for
from commerce_core.testing.contracts import make_sample_order

_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

_codes = st.sampled_from(["EUR", "EUR", "EUR", "USD"])
_small = st.decimals(min_value=Decimal(-5), max_value=Decimal(50), places=2, allow_nan=False)


@st.composite
def _priced_lines(draw: st.DrawFn) -> LineBreakdown:
    net = draw(_small)
    taxes = draw(st.lists(_small.filter(lambda d: d >= 0), max_size=3))
    gross = net + sum(taxes, Decimal(0)) + draw(st.sampled_from([Decimal(0), Decimal("0.01")]))
    code = draw(_codes)
    price = money(draw(_small.filter(lambda d: d >= 0)), draw(_codes))
    line = PricingLine(
        draw(st.sampled_from(["l1", "l2", " "])),
        draw(st.sampled_from(["TEA", "MUG", ""])),
        "Tea",
        draw(st.integers(1, 5)),
        price,
        prices_include_tax=draw(st.booleans()),
    )
    adjustments = tuple(
        Adjustment("p", "promo", money(amount, draw(_codes)), "promo")
        for amount in draw(st.lists(_small, max_size=2))
    )
    tax_lines = tuple(
        TaxLine("VAT", Decimal("0.2"), money(tax, draw(_codes)), compound=False) for tax in taxes
    )
    net_money, gross_money = money(net, code), money(gross, draw(_codes))
    return LineBreakdown(line, price, adjustments, net_money, net_money, tax_lines, gross_money)


def _validating(priced: LineBreakdown) -> OrderLine:
    """What ``from_breakdown`` built before its fast path: the validating constructor."""
    line = priced.line
    return OrderLine(
        line_id=line.line_id,
        sku=line.sku,
        name=line.name,
        quantity=line.quantity,
        unit_price=line.unit_price,
        total=priced.taxed,
        adjustments=priced.adjustments,
        tax_lines=priced.tax_lines,
        prices_include_tax=line.prices_include_tax,
    )


def _outcome(make: Any) -> tuple[object, str]:
    try:
        built = make()
    except CommerceError as error:
        return type(error), str(error)
    return built, repr(built)


@settings(max_examples=400, deadline=None)
@given(priced=_priced_lines())
def test_from_breakdown_builds_or_refuses_as_the_validating_constructor(
    priced: LineBreakdown,
) -> None:
    assert _outcome(lambda: OrderLine.from_breakdown(priced)) == _outcome(
        lambda: _validating(priced)
    )


def test_from_breakdown_of_an_unusual_value_takes_the_validating_path() -> None:
    class Sku(str):
        __slots__ = ()

    price = money("10.00", "EUR")
    line = PricingLine("l1", Sku("TEA"), "Tea", 1, price)
    priced = LineBreakdown(line, price, [], price, price, (), price)  # type: ignore[arg-type]
    built = OrderLine.from_breakdown(priced)
    assert built == _validating(priced)
    assert type(built.adjustments) is tuple  # the constructor's converter made it one
    empty = PricingLine("l1", "  ", "Tea", 1, price)
    with pytest.raises(InvalidOrderError, match="non-empty"):
        OrderLine.from_breakdown(LineBreakdown(empty, price, (), price, price, (), price))


# --- captured and authorized carried on entry by entry --------------------------------------------


def _resummed(order: Order) -> tuple[Money, Money]:
    """``captured`` and ``authorized`` as the order summed them before (the reference)."""
    nothing = zero(order.currency)
    captured = sum((p.amount for p in order.payments if p.kind is PaymentKind.CAPTURED), nothing)
    open_amount = nothing
    for entry in order.payments:
        if entry.kind is PaymentKind.AUTHORIZED:
            open_amount += entry.amount
        else:
            open_amount -= min(open_amount, entry.amount)
    return captured, open_amount


_facts = st.lists(
    st.tuples(
        st.sampled_from(list(PaymentKind)),
        # cents; the sample order is due 66.00 EUR
        st.one_of(st.sampled_from([6600, 3300, 2200, 1100]), st.integers(1, 7000)),
        st.sampled_from(["a", "b", "c", "d"]),
    ),
    max_size=10,
)


@settings(max_examples=200, deadline=None)
@given(facts=_facts, rebuild_at=st.integers(0, 10))
def test_captured_and_authorized_equal_the_resumming(
    facts: list[tuple[PaymentKind, int, str]], rebuild_at: int
) -> None:
    order = make_sample_order()
    for index, (kind, cents, reference) in enumerate(facts):
        if index == rebuild_at:
            order = Order.from_snapshot(order.to_snapshot(), order.version)
        before = (order.status, order.payments, len(order.pending_events))
        try:
            order.record_payment(kind, from_minor(cents, "EUR"), reference=reference, now=_NOW)
        except CommerceError:
            assert (order.status, order.payments, len(order.pending_events)) == before
        captured, authorized = _resummed(order)
        assert (order.captured, order.authorized) == (captured, authorized)
        assert str(order.captured.amount) == str(captured.amount)
        assert str(order.authorized.amount) == str(authorized.amount)


def test_a_failed_change_rolls_the_running_sums_back_with_the_payments() -> None:
    order = make_sample_order()
    order.record_payment(PaymentKind.AUTHORIZED, from_minor(6600, "EUR"), reference="a", now=_NOW)
    mark = len(order.pending_events)
    payments = order.payments

    def capture_then_fail() -> None:
        with order._change():
            order._add_payment(PaymentKind.CAPTURED, from_minor(1000, "EUR"), "c", _NOW)
            assert order.captured == from_minor(1000, "EUR")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        capture_then_fail()
    assert order.payments is payments
    assert len(order.pending_events) == mark
    assert order.captured == zero("EUR")
    assert order.authorized == from_minor(6600, "EUR")
    assert isinstance(order.shipping, TaxedMoney)


# --- outbox messages and notifications kept without copies ---------------------------------------


def test_saved_and_claimed_messages_equal_the_validating_constructor() -> None:
    repository = InMemoryOrderRepository()
    order = make_sample_order()
    order.record_payment(PaymentKind.CAPTURED, from_minor(6600, "EUR"), reference="c", now=_NOW)
    events = order.pending_events
    repository.save(order)
    stored = repository.outbox.all()
    assert [m.event_type for m in stored] == [e.event_type for e in events]
    for index, (message, event) in enumerate(zip(stored, events, strict=True)):
        expected = OutboxMessage(
            message_id=f"{order.order_id}:1:{index}",
            order_id=order.order_id,
            event_type=event.event_type,
            payload=json.loads(json.dumps(event.to_dict())),
        )
        assert message == expected
        assert type(message.payload) is MappingProxyType
    claimed = repository.outbox.claim(now=_NOW)
    assert claimed == tuple(attrs.evolve(m, attempts=1) for m in stored)
    assert all(type(m.payload) is MappingProxyType for m in claimed)


def test_a_payload_is_a_view_of_a_dict_no_event_or_other_message_holds() -> None:
    repository = InMemoryOrderRepository()
    order = make_sample_order()
    events = order.pending_events
    repository.save(order)
    (message,) = repository.outbox.all()
    (event,) = events
    first = event.to_dict()
    assert dict(message.payload) == first
    first["total"]["amount"] = "changed"  # a new tree per call: the stored payload is unchanged
    assert message.payload["total"] == money_to_data(event.total)  # type: ignore[attr-defined]


def test_an_event_with_a_text_subclass_type_takes_the_general_path() -> None:
    class Kind(StrEnum):
        PLACED = "Placed"

    @attrs.frozen(kw_only=True)
    class Placed(DomainEvent):
        event_type: ClassVar[str] = Kind.PLACED
        order_id: str

    event = Placed(occurred_at=_NOW, order_id="o1")
    assert event._plain_dict() is None
    assert _payload(event) == json.loads(json.dumps(event.to_dict()))
    assert type(_payload(event)["event_type"]) is str


def test_dispatched_notifications_equal_the_validating_constructor() -> None:
    repository = InMemoryOrderRepository()
    notifier = InMemoryNotifier()
    clock = InMemoryClock(_NOW)
    order = make_sample_order()
    repository.save(order)
    messages = repository.outbox.all()
    assert OutboxDispatcher(repository.outbox, notifier, clock).dispatch_pending().sent == 1
    (sent,) = notifier.sent
    (message,) = messages
    assert sent == Notification(
        message.event_type,
        template_key_for(message.event_type),
        message.payload,
        message.message_id,
    )
    assert type(sent.data) is MappingProxyType
    frozen = Notification._frozen("E", "t", MappingProxyType({"a": 1}), "k")
    assert frozen == Notification("E", "t", {"a": 1}, "k")
