"""The checkout's order fast paths build exactly what the general paths build.

* ``DomainEvent.to_dict`` serialises the usual field values (strings, numbers, times, amounts)
  itself and everything else through ``attrs.asdict``: both give the same dict, for every event
  class of the library.
* The order repository writes outbox payloads without a JSON round trip: they equal the round
  trip of the event's dict.
* ``OrderLine`` checks its invariants on codes and Decimals: it accepts and refuses exactly what
  the Money-based checks it replaced accept and refuse, with the same errors.
"""

from __future__ import annotations

import decimal
import importlib
import json
import pkgutil
import types
import typing
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import commerce_core.domain
import commerce_core.domain.orders as orders_module
from commerce_core.adapters.memory import InMemoryOrderRepository
from commerce_core.adapters.memory.orders import _payload
from commerce_core.domain.events import DomainEvent
from commerce_core.domain.order_settlements import CancellationSettlementFailed, SettlementStep
from commerce_core.domain.orders import (
    ORDER_EVENT_TYPES,
    Order,
    OrderCancelled,
    OrderLine,
    OrderPaid,
    OrderTotals,
    PaymentKind,
)
from commerce_core.domain.payment_status import OrderPaymentStatus
from commerce_core.domain.pricing import Adjustment, TaxLine
from commerce_core.errors import CommerceError, CurrencyMismatchError, InvalidOrderError
from commerce_core.money import Money, TaxedMoney, currency_of, from_minor, money, zero
from commerce_core.testing.contracts import make_sample_order

for _module in pkgutil.walk_packages(commerce_core.domain.__path__, "commerce_core.domain."):
    importlib.import_module(_module.name)


def _event_classes() -> list[type[DomainEvent]]:
    found: list[type[DomainEvent]] = []
    pending = [DomainEvent]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            found.append(sub)
    return sorted(set(found), key=lambda c: c.__qualname__)


EVENT_CLASSES = _event_classes()

# One currency and non-negative amounts: analytics events refuse anything else.
_amounts = st.decimals(min_value=Decimal(0), max_value=Decimal(10**9), places=2)
_moneys = st.builds(money, _amounts, st.just("EUR"))
_times = st.datetimes(
    timezones=st.sampled_from([UTC, UTC, None, timezone(timedelta(hours=-5, minutes=-30))])
)
_texts = st.text(alphabet="abcXYZ_-:é 0123456789", min_size=1, max_size=8)


def _strategy(hint: Any) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(hint)
    if hint is Money:
        return _moneys
    if hint is datetime:
        return _times
    if origin in {typing.Union, types.UnionType}:
        return st.one_of([_strategy(arg) for arg in typing.get_args(hint)])
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_strategy(args[0]), min_size=1, max_size=3).map(tuple)
        return st.tuples(*[_strategy(arg) for arg in args])
    if hint is str:
        return _texts
    if hint is int:
        return st.integers(1, 10**6)
    if attrs.has(hint):
        return _builds(hint)
    return st.from_type(hint)


def _builds(cls: type) -> st.SearchStrategy[Any]:
    """Instances of an attrs class from its field types (values it refuses are skipped)."""
    hints = typing.get_type_hints(cls)
    fields = {f.alias: _strategy(hints[f.name]) for f in attrs.fields(cls) if f.init}

    def build(**kwargs: Any) -> object:
        if {"items", "discounts", "shipping", "tax", "total"} <= set(kwargs):
            # an analytics OrderPlaced: its total must add up
            kwargs["total"] = (
                sum((item.subtotal for item in kwargs["items"]), money(0, "EUR"))
                - sum((d.amount for d in kwargs["discounts"]), money(0, "EUR"))
                + kwargs["shipping"]
                + kwargs["tax"]
            )
        try:
            return cls(**kwargs)
        except CommerceError:  # e.g. analytics events refuse naive times and empty ids
            return None

    return st.builds(build, **fields).filter(lambda value: value is not None)


def test_every_event_class_of_the_library_is_covered() -> None:
    assert set(ORDER_EVENT_TYPES) <= set(EVENT_CLASSES)
    assert len(EVENT_CLASSES) > len(ORDER_EVENT_TYPES)  # cart, inventory, payment, analytics...


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=[c.__qualname__ for c in EVENT_CLASSES])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_to_dict_is_the_attrs_asdict_serialisation(cls: type[DomainEvent], data: Any) -> None:
    event = data.draw(_builds(cls))
    fast = event.to_dict()
    assert fast == event._to_dict_generic()
    assert list(fast) == list(event._to_dict_generic())  # same keys, same order


def test_to_dict_of_an_order_event_builds_no_attrs_asdict(monkeypatch: pytest.MonkeyPatch) -> None:
    order = make_sample_order()
    order.record_payment(PaymentKind.CAPTURED, money("66.00", "EUR"), reference="c", now=_NOW)

    def refuse(*_args: object, **_kwargs: object) -> dict[str, Any]:
        raise AssertionError("the fast path should have been taken")

    monkeypatch.setattr(attrs, "asdict", refuse)
    for event in order.pending_events:
        assert event.to_dict()["event_type"] == event.event_type


_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_outbox_payloads_equal_the_json_round_trip_of_the_events() -> None:
    repo = InMemoryOrderRepository()
    order = make_sample_order()
    repo.save(order)
    order.record_payment(PaymentKind.CAPTURED, money("66.00", "EUR"), reference="c", now=_NOW)
    expected = [json.loads(json.dumps(e._to_dict_generic())) for e in order.pending_events]
    repo.save(order)
    messages = repo.outbox.all()
    assert [dict(m.payload) for m in messages[1:]] == expected
    assert [m.event_type for m in messages[1:]] == [p["event_type"] for p in expected]


def test_an_outbox_payload_shares_nothing_with_another() -> None:
    repo = InMemoryOrderRepository()
    order = make_sample_order()
    repo.save(order)
    order.record_payment(PaymentKind.CAPTURED, money("66.00", "EUR"), reference="c", now=_NOW)
    repo.save(order)
    payloads = [m.payload for m in repo.outbox.all()]
    amounts = [id(p["amount"]) for p in payloads if "amount" in p]
    assert len(set(amounts)) == len(amounts)


def test_a_payload_that_is_not_plain_json_is_converted_as_json_would() -> None:
    event = CancellationSettlementFailed(
        occurred_at=_NOW,
        order_id="o1",
        settlement_id="o1:cancel",
        step=SettlementStep.VOID,  # a StrEnum: JSON makes it a plain string
        reason="declined",
        attempt=1,
    )
    payload = _payload(event)
    assert payload == json.loads(json.dumps(event._to_dict_generic()))
    assert type(payload["step"]) is str


def test_a_payload_json_cannot_hold_raises_what_json_raises() -> None:
    event = OrderCancelled(occurred_at=_NOW, order_id="o1", reason=Decimal(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        json.dumps(event.to_dict())
    with pytest.raises(TypeError):
        _payload(event)


# --- OrderLine's checks --------------------------------------------------------------------------


def _reference_check(line: OrderLine) -> None:
    """The Money-based checks ``OrderLine.__attrs_post_init__`` made before (the reference)."""
    amounts = [line.unit_price, line.total.net]
    amounts += [a.amount for a in line.adjustments] + [t.amount for t in line.tax_lines]
    code = line.total.currency
    for amount in amounts:
        if currency_of(amount) != code:
            raise CurrencyMismatchError(code, currency_of(amount), context="order line")
    if line.total.net.amount < 0 or line.total.gross.amount < 0:
        raise InvalidOrderError("", f"line {line.line_id!r} has a negative total")
    if line.tax_lines and sum((t.amount for t in line.tax_lines), zero(code)) != line.total.tax:
        raise InvalidOrderError("", f"tax lines of {line.line_id!r} do not add up to its tax")


_codes = st.sampled_from(["EUR", "EUR", "EUR", "USD"])
_small = st.decimals(min_value=Decimal(-5), max_value=Decimal(50), places=2, allow_nan=False)


@st.composite
def _line_fields(draw: st.DrawFn) -> dict[str, Any]:
    net = draw(_small)
    taxes = draw(st.lists(_small.filter(lambda d: d >= 0), max_size=3))
    gross = net + sum(taxes, Decimal(0)) + draw(st.sampled_from([Decimal(0), Decimal("0.01")]))
    code = draw(_codes)
    return {
        "line_id": "l1",
        "sku": "TEA",
        "name": "Tea",
        "quantity": draw(st.integers(1, 5)),
        "unit_price": money(draw(_small), draw(_codes)),
        "total": TaxedMoney(money(net, code), money(gross, code)),
        "adjustments": tuple(
            Adjustment("p", "promo", money(amount, draw(_codes)), "promo")
            for amount in draw(st.lists(_small, max_size=2))
        ),
        "tax_lines": tuple(
            TaxLine("VAT", Decimal("0.2"), money(tax, draw(_codes)), compound=False)
            for tax in taxes
        ),
    }


def _outcome(make: typing.Callable[[], object]) -> tuple[type[Exception] | None, str]:
    try:
        make()
    except (CurrencyMismatchError, InvalidOrderError) as error:
        return type(error), str(error)
    return None, ""


@settings(max_examples=400, deadline=None)
@given(fields=_line_fields())
def test_order_line_accepts_and_refuses_as_the_money_based_checks(fields: dict[str, Any]) -> None:
    built = _outcome(lambda: OrderLine(**fields))
    unchecked = object.__new__(OrderLine)
    for name, value in fields.items():
        object.__setattr__(unchecked, name, value)
    object.__setattr__(unchecked, "prices_include_tax", False)
    assert built == _outcome(lambda: _reference_check(unchecked))


def test_order_line_refuses_its_broken_invariants() -> None:
    eur = "EUR"
    total = TaxedMoney(money("10.00", eur), money("12.00", eur))
    vat = TaxLine("VAT", Decimal("0.2"), money("2.00", eur), compound=False)
    OrderLine("l1", "TEA", "Tea", 1, money("10.00", eur), total, tax_lines=(vat,))
    with pytest.raises(CurrencyMismatchError):
        OrderLine("l1", "TEA", "Tea", 1, money("10.00", "USD"), total)
    promo = Adjustment("p", "promo", money("-1.00", "USD"), "promo")
    with pytest.raises(CurrencyMismatchError):
        OrderLine("l1", "TEA", "Tea", 1, money("10.00", eur), total, adjustments=(promo,))
    negative = TaxedMoney(money("-1.00", eur), money("-1.00", eur))
    with pytest.raises(InvalidOrderError, match="negative total"):
        OrderLine("l1", "TEA", "Tea", 1, money("10.00", eur), negative)
    short = TaxLine("VAT", Decimal("0.2"), money("1.99", eur), compound=False)
    with pytest.raises(InvalidOrderError, match="do not add up"):
        OrderLine("l1", "TEA", "Tea", 1, money("10.00", eur), total, tax_lines=(short,))


# --- record_payment's running sums --------------------------------------------------------------


_facts = st.lists(
    st.tuples(
        st.sampled_from(list(PaymentKind)),
        # cents; the sample order is due 66.00 EUR: parts of it reach "paid" exactly
        st.one_of(st.sampled_from([6600, 3300, 2200, 1100]), st.integers(1, 7000)),
        st.sampled_from(["a", "b", "c", "d"]),
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(facts=_facts)
def test_a_capture_records_order_paid_exactly_when_the_order_becomes_paid(
    facts: list[tuple[PaymentKind, int, str]],
) -> None:
    order = make_sample_order()
    order.collect_events()
    for kind, cents, reference in facts:
        before = order.payment_status
        try:
            recorded = order.record_payment(
                kind, from_minor(cents, "EUR"), reference=reference, now=_NOW
            )
        except CommerceError:
            assert not order.pending_events
            continue
        events = order.collect_events()
        paid = [e for e in events if isinstance(e, OrderPaid)]
        became_paid = (
            before is not OrderPaymentStatus.PAID
            and order.payment_status is OrderPaymentStatus.PAID
        )
        assert bool(paid) == (recorded and kind is PaymentKind.CAPTURED and became_paid)
        for event in paid:
            assert event.amount == order.captured
        captured = sum(
            (p.amount for p in order.payments if p.kind is PaymentKind.CAPTURED), zero("EUR")
        )
        assert order.captured == captured


# --- Order.totals summed on Decimals -------------------------------------------------------------


def test_the_totals_context_is_the_taxed_money_context() -> None:
    money_module = importlib.import_module("commerce_core.money")  # the package shadows it
    mine, theirs = orders_module._TAXED_MONEY_CONTEXT, money_module._CONTEXT
    assert (mine.prec, mine.rounding, mine.Emin, mine.Emax, mine.capitals, mine.clamp) == (
        theirs.prec,
        theirs.rounding,
        theirs.Emin,
        theirs.Emax,
        theirs.capitals,
        theirs.clamp,
    )
    assert not any(mine.traps.values())
    assert not any(theirs.traps.values())


def _reference_totals(order: Order) -> OrderTotals:
    """The totals as TaxedMoney and Money arithmetic make them (what ``totals`` did before)."""
    code = order.currency
    subtotal = sum((line.total for line in order.lines), TaxedMoney.zero(code))
    discount = sum((a.amount for line in order.lines for a in line.adjustments), zero(code))
    return OrderTotals(subtotal, order.shipping, -discount, subtotal + order.shipping)


_digits = st.decimals(
    min_value=Decimal(0), max_value=Decimal("1e12"), places=2, allow_nan=False
) | st.sampled_from([Decimal("0.00"), Decimal("-0.00"), Decimal("123456789012345678901.99")])


_LineSpec = tuple[Decimal, Decimal, list[Decimal]]


def _order(lines: list[_LineSpec], shipping: Decimal) -> Order:
    sample = make_sample_order()
    return Order.place(
        order_id="o1",
        number="SO-1",
        lines=[
            OrderLine(
                f"l{index}",
                "TEA",
                "Tea",
                1,
                money(net, "EUR"),
                TaxedMoney(money(net, "EUR"), money(net + tax, "EUR")),
                adjustments=tuple(
                    Adjustment("p", "promo", money(-amount, "EUR"), "") for amount in discounts
                ),
            )
            for index, (net, tax, discounts) in enumerate(lines)
        ],
        shipping=TaxedMoney(money(shipping, "EUR"), money(shipping, "EUR")),
        customer=sample.customer,
        billing_address=sample.billing_address,
        shipping_address=sample.shipping_address,
        shipping_method="standard",
        payment_terms=sample.payment_terms,
        reservation_id=None,
        now=_NOW,
    )


_line_specs = st.lists(
    st.tuples(_digits, _digits, st.lists(_digits, max_size=2)), min_size=1, max_size=4
)


def _same(a: OrderTotals, b: OrderTotals) -> bool:
    """Equal, and with the same Decimals (exponent and sign of zero included)."""

    def parts(t: OrderTotals) -> list[tuple[str, str]]:
        amounts = [t.subtotal.net, t.subtotal.gross, t.shipping.net, t.shipping.gross, t.discount]
        amounts += [t.total.net, t.total.gross]
        return [(str(m.amount), currency_of(m)) for m in amounts]

    return a == b and parts(a) == parts(b)


@settings(max_examples=200, deadline=None)
@given(lines=_line_specs, shipping=_digits, precision=st.sampled_from([None, 3, 10]))
def test_totals_equal_the_taxed_money_sums(
    lines: list[_LineSpec], shipping: Decimal, precision: int | None
) -> None:
    with decimal.localcontext() as ambient:  # Money arithmetic follows the ambient context
        if precision is not None:
            ambient.prec = precision
        order = _order(lines, shipping)  # placing computes the totals (for OrderPlaced)
        assert _same(order.totals, _reference_totals(order))
