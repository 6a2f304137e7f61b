"""The order fast paths of the fifth checkout round give what the general paths give.

* ``Order._time_text`` is ``isoformat()`` of the time given, remembered for the very object
  (never for an equal time in another zone); ``Order.to_snapshot`` and the event payloads the
  repository writes through it are what ``isoformat()`` everywhere wrote, in every state a
  lifecycle leaves an order in.
* The in-memory outbox keeps each message and the end of its lease without a row object per
  message, and a message never claimed as its fields: claims, marks, releases and reads give
  what one mutable row per message gave.
* A capture records ``OrderPaid`` (with the captured total its entry's sums carry) exactly when
  it makes the order paid, after any sequence of payment facts and refunds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_core.adapters.memory import InMemoryOrderRepository
from commerce_core.domain.orders import (
    Order,
    OrderPaid,
    OutboxMessage,
    PaymentKind,
    ReturnLine,
)
from commerce_core.domain.payment_status import OrderPaymentStatus
from commerce_core.errors import CommerceError, NotFoundError
from commerce_core.money import from_minor, money, money_to_data
from commerce_core.testing.contracts import make_sample_order

_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_PARIS = timezone(timedelta(hours=2))

_zones = st.sampled_from([UTC, _PARIS, timezone(timedelta(hours=-5, minutes=-30))])


def _taxed(value: Any) -> dict[str, Any]:
    return {"net": money_to_data(value.net), "gross": money_to_data(value.gross)}


def _optional_iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _reference_snapshot(order: Order) -> dict[str, Any]:
    """``Order.to_snapshot`` as it was before its fast paths (every leaf made on the spot)."""
    customer, terms = order.customer, order.payment_terms
    return {
        "order_id": order.order_id,
        "number": order.number,
        "lines": [
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": money_to_data(line.unit_price),
                "total": _taxed(line.total),
                "adjustments": [
                    {
                        "source_id": a.source_id,
                        "label": a.label,
                        "amount": money_to_data(a.amount),
                        "code": a.code,
                    }
                    for a in line.adjustments
                ],
                "tax_lines": [
                    {
                        "name": t.name,
                        "rate": str(t.rate),
                        "amount": money_to_data(t.amount),
                        "compound": t.compound,
                    }
                    for t in line.tax_lines
                ],
                "prices_include_tax": line.prices_include_tax,
            }
            for line in order.lines
        ],
        "shipping": _taxed(order.shipping),
        "customer": {
            "email": customer.email,
            "customer_id": customer.customer_id,
            "name": customer.name,
        },
        "billing_address": order.billing_address.to_data(),
        "shipping_address": order.shipping_address.to_data(),
        "shipping_method": order.shipping_method,
        "payment_terms": {
            "code": terms.code,
            "allows_fulfilment_before_payment": terms.allows_fulfilment_before_payment,
        },
        "reservation_id": order.reservation_id,
        "placed_at": order.placed_at.isoformat(),
        "status": order.status,
        "history": [
            {
                "from": h.from_status,
                "to": h.to_status,
                "at": h.at.isoformat(),
                "actor": h.actor,
                "note": h.note,
            }
            for h in order.history
        ],
        "payments": [
            {
                "kind": p.kind.value,
                "amount": money_to_data(p.amount),
                "reference": p.reference,
                "at": p.at.isoformat(),
            }
            for p in order.payments
        ],
        "shipments": [
            {
                "shipment_id": s.shipment_id,
                "lines": [list(pair) for pair in s.lines],
                "location": s.location,
                "tracking_reference": s.tracking_reference,
                "shipped_at": s.shipped_at.isoformat(),
                "delivered_at": _optional_iso(s.delivered_at),
            }
            for s in order.shipments
        ],
        "cancelled": [list(pair) for pair in order._cancelled],
        "refunds": [
            {
                "refund_id": r.refund_id,
                "lines": [
                    {"line_id": p.line_id, "quantity": p.quantity, "amount": _taxed(p.amount)}
                    for p in r.lines
                ],
                "shipping": _taxed(r.shipping),
                "total": money_to_data(r.total),
                "reason": r.reason,
                "at": r.at.isoformat(),
                "return_id": r.return_id,
                "reference": r.reference,
            }
            for r in order.refunds
        ],
        "returns": [
            {
                "return_id": r.return_id,
                "lines": [[rl.line_id, rl.quantity, rl.reason] for rl in r.lines],
                "status": r.status.value,
                "requested_at": r.requested_at.isoformat(),
                "note": r.note,
                "received_at": _optional_iso(r.received_at),
                "restock_location": r.restock_location,
                "refund_id": r.refund_id,
            }
            for r in order.returns
        ],
        "settlements": [s.to_data() for s in order._settlements],
    }


def _same_json(left: Any, right: Any) -> None:
    assert left == right
    assert json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


@given(st.datetimes(timezones=_zones), _zones)
def test_time_text_is_isoformat_of_that_very_object(value: datetime, zone: Any) -> None:
    order = make_sample_order()
    same_instant = value.astimezone(zone)  # equal, maybe with another text
    for when in (value, value, same_instant, value, same_instant, same_instant):
        assert order._time_text(when) == when.isoformat()


def _check(order: Order, repository: InMemoryOrderRepository) -> None:
    """The snapshot and the payloads of the pending events are what ``isoformat()`` made."""
    events = order.pending_events
    expected_payloads = [json.loads(json.dumps(e.to_dict())) for e in events]
    _same_json(order.to_snapshot(), _reference_snapshot(order))
    repository.save(order)
    messages = repository.outbox.all()[-len(events) :] if events else ()
    _same_json([dict(m.payload) for m in messages], expected_payloads)
    _same_json(order.to_snapshot(), _reference_snapshot(order))


@settings(max_examples=30, deadline=None)
@given(st.lists(_zones, min_size=8, max_size=8), st.sampled_from(["one object", "own times"]))
def test_snapshots_and_payloads_of_a_lifecycle_are_what_isoformat_made(
    zones: list[Any], clock: str
) -> None:
    # each step at its own time, or (as a fixed clock gives them) the very same object
    times = [
        _NOW if clock == "one object" else (_NOW + timedelta(minutes=i)).astimezone(zone)
        for i, zone in enumerate(zones)
    ]
    repository = InMemoryOrderRepository()
    order = make_sample_order()
    _check(order, repository)
    total = order.totals.total.gross
    order.record_payment(PaymentKind.AUTHORIZED, total, reference="p1", now=times[0])
    _check(order, repository)
    order.record_payment(PaymentKind.CAPTURED, total, reference="p1", now=times[1])
    _check(order, repository)
    order.ship(
        shipment_id="s1", lines={"l1": 3, "l2": 1}, location="main", now=times[2], actor="wh"
    )
    _check(order, repository)
    order.mark_delivered("s1", now=times[3], actor="carrier")
    _check(order, repository)
    order.request_return(
        return_id="r1", lines=[ReturnLine("l1", 1, "broken")], now=times[4], actor="ann"
    )
    order.approve_return("r1", now=times[4], actor="cs")
    _check(order, repository)
    order.receive_return("r1", restock_location="main", now=times[5], actor="wh")
    _check(order, repository)
    refund = order.plan_return_refund("r1", refund_id="f1", now=times[6])
    order.apply_refund(refund, reference="ref-1")
    _check(order, repository)
    order.refund(refund_id="f2", amount=money("1.00", "EUR"), now=times[7], reason="goodwill")
    _check(order, repository)
    rebuilt = repository.get(order.order_id)
    _same_json(rebuilt.to_snapshot(), _reference_snapshot(order))


# --- the in-memory outbox keeps messages and leases without a row object per message ------------


@attrs.define
class _Row:
    message: OutboxMessage
    leased_until: datetime | None = None
    dispatched_at: datetime | None = None


class _ReferenceOutbox:
    """The in-memory outbox as it was before: one mutable row object per message."""

    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}

    def append(self, messages: list[OutboxMessage]) -> None:
        for message in messages:
            self._rows[message.message_id] = _Row(message)

    def claim(self, *, now: datetime, limit: int, lease: timedelta) -> tuple[OutboxMessage, ...]:
        claimed: list[OutboxMessage] = []
        for row in self._rows.values():
            if len(claimed) >= limit:
                break
            if row.dispatched_at is not None:
                continue
            if row.leased_until is not None and row.leased_until > now:
                continue
            row.message = attrs.evolve(row.message, attempts=row.message.attempts + 1)
            row.leased_until = now + lease
            claimed.append(row.message)
        return tuple(claimed)

    def _row(self, message_id: str) -> _Row:
        row = self._rows.get(message_id)
        if row is None:
            raise NotFoundError("outbox message", message_id)
        return row

    def mark_dispatched(self, message_id: str, *, now: datetime) -> None:
        row = self._row(message_id)
        if row.dispatched_at is None:
            row.dispatched_at = now
        row.leased_until = None

    def release(self, message_id: str, *, error: str) -> None:
        row = self._row(message_id)
        row.leased_until = None
        row.message = attrs.evolve(row.message, last_error=error)

    def undispatched(self) -> tuple[OutboxMessage, ...]:
        return tuple(r.message for r in self._rows.values() if r.dispatched_at is None)

    def dispatched(self) -> tuple[OutboxMessage, ...]:
        return tuple(r.message for r in self._rows.values() if r.dispatched_at is not None)

    def all(self) -> tuple[OutboxMessage, ...]:
        return tuple(r.message for r in self._rows.values())


_ids = st.sampled_from([f"m{i}" for i in range(6)])
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 3)),
        st.tuples(st.just("claim"), st.integers(0, 150), st.integers(0, 4), st.integers(1, 90)),
        st.tuples(st.just("dispatched"), _ids),
        st.tuples(st.just("release"), _ids, st.text(max_size=3)),
    ),
    max_size=30,
)


def _outcome(method: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return method(*args, **kwargs)
    except NotFoundError as error:
        return ("error", str(error))


@settings(max_examples=200, deadline=None)
@given(_operations)
def test_the_outbox_claims_marks_and_releases_as_one_row_per_message_did(
    operations: list[Any],
) -> None:
    outbox = InMemoryOrderRepository().outbox
    reference = _ReferenceOutbox()
    appended = 0  # message ids are unique (``<order_id>:<version>:<index>``)
    for operation in operations:
        kind = operation[0]
        if kind == "append":
            messages = [
                OutboxMessage(f"m{appended + index}", "order_1", "OrderPlaced", {"n": index})
                for index in range(operation[1])
            ]
            appended += operation[1]
            for message in messages:
                payload = MappingProxyType(dict(message.payload))
                outbox._append(message.message_id, message.order_id, message.event_type, payload)
            reference.append(messages)
        elif kind == "claim":
            _, seconds, limit, lease = operation
            now, length = _NOW + timedelta(seconds=seconds), timedelta(seconds=lease)
            claimed = outbox.claim(now=now, limit=limit, lease=length)
            assert claimed == reference.claim(now=now, limit=limit, lease=length)
        elif kind == "dispatched":
            message_id = operation[1]
            assert _outcome(outbox.mark_dispatched, message_id, now=_NOW) == _outcome(
                reference.mark_dispatched, message_id, now=_NOW
            )
        else:
            _, message_id, error = operation
            assert _outcome(outbox.release, message_id, error=error) == _outcome(
                reference.release, message_id, error=error
            )
        assert outbox.all() == reference.all()
        assert outbox.undispatched() == reference.undispatched()
        assert outbox.dispatched() == reference.dispatched()


# --- a capture records OrderPaid from the sums its entry carried on -----------------------------

_payment_steps = st.lists(
    st.tuples(st.sampled_from(["authorize", "capture", "void", "refund"]), st.integers(1, 8000)),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(_payment_steps)
def test_a_capture_records_order_paid_exactly_when_it_makes_the_order_paid(
    steps: list[tuple[str, int]],
) -> None:
    order = make_sample_order()
    kinds = {
        "authorize": PaymentKind.AUTHORIZED,
        "capture": PaymentKind.CAPTURED,
        "void": PaymentKind.VOIDED,
    }
    for index, (step, cents) in enumerate(steps):
        amount = from_minor(cents, "EUR")
        order.collect_events()
        before, captured_before = order.payment_status, order.captured
        try:
            if step == "refund":
                order.refund(refund_id=f"f{index}", amount=amount, now=_NOW)
                continue
            order.record_payment(kinds[step], amount, reference=f"p{index}", now=_NOW)
        except CommerceError:
            continue
        paid_events = [e for e in order.collect_events() if isinstance(e, OrderPaid)]
        if step != "capture":
            assert paid_events == []
            continue
        assert order.captured == captured_before + amount
        became_paid = (
            before is not OrderPaymentStatus.PAID
            and order.payment_status is OrderPaymentStatus.PAID
        )
        assert paid_events == (
            [OrderPaid(occurred_at=_NOW, order_id=order.order_id, amount=captured_before + amount)]
            if became_paid
            else []
        )
