"""Round-6 fast paths of the checkout give what the paths they replace give.

* The in-memory checkout log keeps each saved attempt as a row of the values its snapshot is
  written from (``CheckoutAttempt._to_row``) instead of the snapshot: ``snapshot_of_row`` of a
  row is exactly what ``to_snapshot()`` returned when the row was taken, in every state an
  attempt reaches (requests of the library's classes or a host's, with or without a card
  summary and coupon codes; a draft while awaiting an action; failures, shortages, refusals),
  whatever the attempt does afterwards, and a new tree on every read.
* Reading the log rebuilds the attempt from that snapshot, as a log keeping the snapshot did.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_core.adapters.memory.checkout import InMemoryCheckoutLog
from commerce_core.domain.cards import CardExpiry, CardSummary
from commerce_core.domain.cart import PriceChange
from commerce_core.domain.checkout import (
    STEP_ORDER,
    CaptureMode,
    CheckoutAttempt,
    CheckoutFailure,
    CheckoutStatus,
    FailureReason,
    snapshot_of_row,
)
from commerce_core.domain.inventory import Shortage
from commerce_core.domain.orders import Customer
from commerce_core.domain.payment_gateway import PaymentMethod, RequiredAction
from commerce_core.domain.pricing import PriceBreakdown
from commerce_core.money import money
from commerce_core.testing.checkout import CheckoutWorld
from commerce_core.testing.contracts.checkout import make_checkout_request
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
        first, second = snapshot_of_row(row), snapshot_of_row(row)
        assert first == snapshot
        assert second == snapshot
        ids = [id(c) for c in containers(first) + containers(second) + containers(snapshot)]
        assert len(set(ids)) == len(ids)  # new trees, sharing nothing
        for container in containers(first):  # changing a read changes neither the row nor...
            if isinstance(container, dict):
                container["changed"] = True
            else:
                container.append("changed")
        assert snapshot_of_row(row) == snapshot
        assert attempt.to_snapshot() == snapshot  # ...the attempt
        taken.append((row, snapshot))
        _apply(attempt, op, _AT + timedelta(seconds=index))
    for row, snapshot in taken:  # what the attempt did later never reaches an earlier row
        assert snapshot_of_row(row) == snapshot


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
    first, second = snapshot_of_row(row)["request"], snapshot_of_row(row)["request"]
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
    assert snapshot_of_row(row) == before
    assert snapshot_of_row(row)["request"]["customer"]["tags"] == ["vip"]


def test_the_amount_is_read_as_the_decimal_text_it_was_saved_as() -> None:
    attempt = CheckoutAttempt.start(make_checkout_request(), now=_AT)
    amount = {"amount": str(Decimal("12.30")), "currency": "EUR"}
    attempt.complete_step(STEP_ORDER[0], now=_AT, amount=amount)
    row = attempt._to_row()
    handed = attempt.amount
    assert handed is not None
    handed["amount"] = "0"  # a caller changing what it was handed
    assert snapshot_of_row(row)["amount"] == {"amount": "12.30", "currency": "EUR"}
