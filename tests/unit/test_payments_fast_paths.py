"""The payment hot path's faster internals write exactly what the straightforward forms write.

Idempotency keys, request fingerprints and audit-chain hashes are persisted (a provider, an
idempotency store and an audit log keep them), so their text must not change: each fast form is
checked here against the ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` reference.
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from commerce_core import money
from commerce_core.domain import cards
from commerce_core.domain.cards import CardBrand, CardExpiry, CardSummary
from commerce_core.domain.payment import Payment, _money_like
from commerce_core.domain.payment_gateway import (
    Approved,
    AuthorizeRequest,
    CaptureRequest,
    GatewayRequest,
    PaymentMethod,
    PaymentOperation,
    RefundRequest,
    VoidRequest,
    amount_key,
    idempotency_key,
)
from commerce_core.domain.transaction_log import (
    TransactionRecord,
    _canonical_json,
    chain_hash,
)
from commerce_core.errors import CommerceError
from commerce_core.money import Money, from_minor, money_from_data


def _reference_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _reference_digest(data: Any) -> str:
    return hashlib.sha256(_reference_json(data).encode()).hexdigest()


# text without digits never looks like a card number, so records accept it in every field
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=12)
_AMOUNTS = st.builds(
    from_minor, st.integers(min_value=1, max_value=10**9), st.sampled_from(["EUR", "JPY", "BHD"])
)


def test_a_key_of_ids_that_are_not_text_is_the_reference_digest_too() -> None:
    key = idempotency_key(order_id=7, payment_id="pay_1", operation="void")  # type: ignore[arg-type]
    parts = {"order": 7, "payment": "pay_1", "operation": "void", "amount": None, "scope": ""}
    assert key == f"void-{_reference_digest(parts)[:35]}"


@given(
    order_id=_TEXT,
    payment_id=_TEXT,
    operation=st.sampled_from(list(PaymentOperation)),
    amount=st.one_of(st.none(), _AMOUNTS),
    scope=_TEXT,
)
def test_idempotency_keys_are_unchanged(
    order_id: str,
    payment_id: str,
    operation: PaymentOperation,
    amount: Money | None,
    scope: str,
) -> None:
    parts = {
        "order": order_id,
        "payment": payment_id,
        "operation": str(operation),
        "amount": None if amount is None else amount_key(amount),
        "scope": scope,
    }
    expected = f"{operation}-{_reference_digest(parts)[: 39 - len(str(operation))]}"
    key = idempotency_key(
        order_id=order_id, payment_id=payment_id, operation=operation, amount=amount, scope=scope
    )
    assert key == expected


@given(payment_id=_TEXT, order_id=_TEXT, reference=_TEXT, amount=_AMOUNTS, token=_TEXT)
def test_fingerprints_are_unchanged_and_stable(
    payment_id: str, order_id: str, reference: str, amount: Money, token: str
) -> None:
    token = f"tok_{token}"
    authorize = AuthorizeRequest("k", payment_id, order_id, amount, PaymentMethod(token))
    capture = CaptureRequest("k", payment_id, reference, amount)
    refund = RefundRequest("k", payment_id, reference, amount)
    void = VoidRequest("k", payment_id, reference)
    money_text = amount_key(amount)
    expected: dict[GatewayRequest, dict[str, str]] = {
        authorize: {
            "op": "authorize",
            "payment": payment_id,
            "order": order_id,
            "amount": money_text,
            "token": token,
        },
        capture: {
            "op": "capture",
            "payment": payment_id,
            "reference": reference,
            "amount": money_text,
        },
        refund: {
            "op": "refund",
            "payment": payment_id,
            "reference": reference,
            "amount": money_text,
        },
        void: {"op": "void", "payment": payment_id, "reference": reference},
    }
    for request, fields in expected.items():
        assert request.fingerprint() == _reference_digest(fields)
        assert request.fingerprint() == request.fingerprint()  # computed once, kept


def test_a_changed_request_gets_its_own_fingerprint() -> None:
    request = CaptureRequest("k", "pay_1", "ref_1", money("10", "EUR"))
    first = request.fingerprint()
    other = attrs.evolve(request, amount=money("11", "EUR"))
    assert other.fingerprint() != first
    assert request.fingerprint() == first
    assert attrs.asdict(request, recurse=False).keys() == {
        "idempotency_key",
        "payment_id",
        "reference",
        "amount",
    }
    assert request == CaptureRequest("k", "pay_1", "ref_1", money("10", "EUR"))


class _Attempt(enum.IntEnum):
    FIRST = 1


_CARDS = st.one_of(
    st.none(),
    st.builds(
        CardSummary,
        st.one_of(st.none(), st.sampled_from(list(CardBrand))),
        st.sampled_from(["4242", "0005", "1234"]),
        st.one_of(
            st.none(),
            st.builds(
                CardExpiry,
                st.integers(min_value=1, max_value=12),
                st.integers(min_value=2000, max_value=2099),
            ),
        ),
    ),
)


@given(
    at=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))])),
    texts=st.lists(_TEXT, min_size=8, max_size=8),
    attempt=st.one_of(st.integers(), st.just(True), st.just(_Attempt.FIRST)),
    amount=st.one_of(st.none(), _AMOUNTS),
    card=_CARDS,
    reference=st.one_of(st.none(), st.just("ref 4242 4242 4242 4242"), _TEXT),
)
def test_the_audit_chain_hashes_the_reference_json_of_each_record(
    *,
    at: datetime,
    texts: list[str],
    attempt: int,
    amount: Money | None,
    card: CardSummary | None,
    reference: str | None,
) -> None:
    record = TransactionRecord(
        recorded_at=at,
        payment_id=texts[0],
        order_id=texts[1],
        operation=texts[2],
        idempotency_key=texts[3],
        attempt=attempt,
        amount=amount,
        outcome=texts[4],
        detail=texts[5],
        reference=reference,
        method_kind=texts[6],
        card=card,
    )
    assert _canonical_json(record) == _reference_json(record.to_data())
    previous = hashlib.sha256(texts[7].encode()).hexdigest()
    expected = hashlib.sha256(
        f"{previous}\n{_reference_json(record.to_data())}".encode()
    ).hexdigest()
    assert chain_hash(previous, record) == expected


def test_a_record_holding_other_values_is_written_by_the_json_encoder() -> None:
    record = TransactionRecord(
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        payment_id=7,  # type: ignore[arg-type]
        order_id="ord_1",
        operation="capture",
        idempotency_key="capture-1",
        attempt=2,
        amount=money("5", "EUR"),
        outcome="approved",
        detail="",
        reference=None,
        method_kind="card",
    )
    assert _canonical_json(record) == _reference_json(record.to_data())
    assert '"payment_id":7' in _canonical_json(record)


def _reference_looks_like(text: str) -> bool:
    return any(cards._is_card_number(m.group()) for m in cards._CARDISH.finditer(text))


def _reference_mask(text: str) -> str:
    return cards._CARDISH.sub(
        lambda m: cards.mask_number(m.group()) if cards._is_card_number(m.group()) else m.group(),
        text,
    )


@given(
    st.lists(
        st.one_of(
            st.text(max_size=8),
            st.sampled_from(["4242424242424242", "4242 4242 4242 4242", "1234567890123", "-"]),
            st.from_regex(r"\A[0-9 -]{10,22}\Z"),
        ),
        max_size=4,
    ).map(" ".join)
)
def test_card_number_scans_answer_as_the_full_scan(text: str) -> None:
    assert cards.looks_like_card_number(text) == _reference_looks_like(text)
    assert cards.mask_card_numbers(text) == _reference_mask(text)


@given(
    amount=_AMOUNTS,
    text=st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from([" 12.50 ", "1_000", "abc", "", "1e3", "-0"]),
    ),
    currency=st.sampled_from(["same", "eur", "USD"]),
)
def test_snapshot_totals_are_rebuilt_as_money_from_data_rebuilds_them(
    amount: Money, text: str, currency: str
) -> None:
    code = str(amount.currency.code) if currency == "same" else currency
    data = {"amount": text, "currency": code}
    try:
        expected: Money | type[Exception] = money_from_data(data)
    except CommerceError as error:
        expected = type(error)
    try:
        got: Money | type[Exception] = _money_like(data, amount)
    except CommerceError as error:
        got = type(error)
    assert got == expected
    if isinstance(got, Money) and isinstance(expected, Money):
        assert str(got.amount) == str(expected.amount)
        assert got.currency is expected.currency


def test_a_payment_snapshot_round_trips_through_the_fast_rebuild() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    payment = Payment.create(
        "pay_1", "ord_1", money("30.00", "EUR"), PaymentMethod("tok_visa"), now=now
    )
    payment.record_authorization(Approved("ref_1", money("30.00", "EUR")), key="a", now=now)
    payment.record_capture(
        money("12.50", "EUR"), Approved("ref_1", money("12.50", "EUR")), key="c", now=now
    )
    snapshot = payment.to_snapshot()
    rebuilt = Payment.from_snapshot(snapshot, 3)
    assert rebuilt.to_snapshot() == snapshot
    assert (rebuilt.authorized, rebuilt.captured, rebuilt.refunded) == (
        money("30.00", "EUR"),
        money("12.50", "EUR"),
        money("0", "EUR"),
    )
    assert rebuilt.capturable == money("17.50", "EUR")
