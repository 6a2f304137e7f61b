"""Round 2 of the payment hot path: each shorter path does what the path it replaces did.

* ``open_payment`` with a ``payment_id`` inserts first (a save at version 0 refuses a taken id)
  instead of reading first: same payments, same answers, same errors, one payment under races.
* ``TransactionRecord`` masks and refuses card numbers with one scan of its joined text fields:
  the same record and the same errors as masking and checking field by field.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_core import money
from commerce_core.adapters.memory import (
    InMemoryClock,
    InMemoryIdempotencyStore,
    InMemoryPaymentRepository,
    InMemoryTransactionLog,
    SequentialIdFactory,
    SimulatedPaymentGateway,
)
from commerce_core.domain.cards import (
    CardBrand,
    CardSummary,
    looks_like_card_number,
    mask_card_numbers,
)
from commerce_core.domain.payment import PaymentCreated, PaymentStatus
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.domain.transaction_log import TransactionRecord, chain_hash
from commerce_core.errors import (
    CommerceError,
    ConcurrencyConflictError,
    IdempotencyKeyReuseError,
    InvalidAmountError,
    RawCardDataError,
)
from commerce_core.money import Money, from_minor, money_from_data
from commerce_core.services.payments import PaymentService

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _service() -> tuple[PaymentService, InMemoryPaymentRepository, list[Any]]:
    clock = InMemoryClock()
    repository = InMemoryPaymentRepository()
    published: list[Any] = []
    service = PaymentService(
        gateway=SimulatedPaymentGateway(),
        payments=repository,
        idempotency=InMemoryIdempotencyStore(clock),
        log=InMemoryTransactionLog(),
        clock=clock,
        ids=SequentialIdFactory(),
        sleeper=lambda _seconds: None,
        on_events=published.extend,
    )
    return service, repository, published


# --- open_payment inserts first ------------------------------------------------------------


def test_a_new_payment_id_is_saved_once_and_published_once() -> None:
    service, repository, published = _service()
    payment = service.open_payment(
        "ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_a"
    )
    assert payment.version == 1
    assert repository.get("pay_a").to_snapshot() == payment.to_snapshot()
    assert [type(e) for e in published] == [PaymentCreated]


def test_the_same_payment_again_returns_the_saved_one_without_a_second_event() -> None:
    service, repository, published = _service()
    method = PaymentMethod("tok_visa")
    first = service.open_payment("ord_1", money("10.00", "EUR"), method, payment_id="pay_a")
    again = service.open_payment("ord_1", money("10", "EUR"), method, payment_id="pay_a")
    assert again.id == first.id
    assert again.version == 1
    assert again.to_snapshot() == first.to_snapshot()
    assert len(published) == 1
    assert len(repository.all()) == 1


@pytest.mark.parametrize(
    ("order_id", "amount", "token"),
    [("ord_2", "10.00", "tok_visa"), ("ord_1", "11.00", "tok_visa"), ("ord_1", "10", "tok_amex")],
)
def test_a_taken_id_with_another_payment_is_refused_and_nothing_changes(
    order_id: str, amount: str, token: str
) -> None:
    service, repository, published = _service()
    service.open_payment(
        "ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_a"
    )
    before = repository.get("pay_a").to_snapshot()
    with pytest.raises(IdempotencyKeyReuseError):
        service.open_payment(
            order_id, money(amount, "EUR"), PaymentMethod(token), payment_id="pay_a"
        )
    assert repository.get("pay_a").to_snapshot() == before
    assert len(published) == 1


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_a_refused_amount_for_a_taken_id_is_a_key_reuse_as_before(amount: str) -> None:
    service, _, _ = _service()
    service.open_payment(
        "ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_a"
    )
    with pytest.raises(IdempotencyKeyReuseError):
        service.open_payment(
            "ord_1", money(amount, "EUR"), PaymentMethod("tok_visa"), payment_id="pay_a"
        )


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_a_refused_amount_for_a_free_id_raises_and_saves_nothing(amount: str) -> None:
    service, repository, published = _service()
    with pytest.raises(InvalidAmountError):
        service.open_payment(
            "ord_1", money(amount, "EUR"), PaymentMethod("tok_visa"), payment_id="pay_a"
        )
    with pytest.raises(InvalidAmountError):
        service.open_payment("ord_1", money(amount, "EUR"), PaymentMethod("tok_visa"))
    assert repository.all() == []
    assert published == []


def test_concurrent_opens_of_one_id_make_one_payment_and_all_get_it() -> None:
    service, repository, published = _service()
    method = PaymentMethod("tok_visa")
    start = threading.Barrier(8)
    got: list[str] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            got.append(
                service.open_payment("ord_1", money("10.00", "EUR"), method, payment_id="p").id
            )
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert got == ["p"] * 8
    assert len(repository.all()) == 1
    assert len(published) == 1


def test_the_repository_refuses_a_second_insert_of_one_id() -> None:
    # what open_payment relies on: a save at version 0 of a taken id stores nothing
    service, repository, _ = _service()
    service.open_payment(
        "ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_a"
    )
    other = service.get("pay_a")
    other.version = 0
    with pytest.raises(ConcurrencyConflictError):
        repository.save(other)
    assert repository.get("pay_a").version == 1


def test_pay_then_capture_with_an_id_still_authorizes_and_captures() -> None:
    service, _, _ = _service()
    result = service.pay(
        "ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_a"
    )
    assert result.status is PaymentStatus.AUTHORIZED
    again = service.pay(
        "ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"), payment_id="pay_a"
    )
    assert again.replayed
    assert again.attempts == 0
    captured = service.capture("pay_a", money("10.00", "EUR"), scope="s")
    assert captured.status is PaymentStatus.CAPTURED


# --- audit records: one scan ---------------------------------------------------------------


def _field_by_field(**fields: Any) -> TransactionRecord | type[BaseException]:
    """What the record was before: converters, then a validator per refused field, in order."""
    try:
        detail = mask_card_numbers(fields["detail"])
        reference = None if fields["reference"] is None else mask_card_numbers(fields["reference"])
    except TypeError:
        return TypeError
    for name in ("payment_id", "order_id", "operation", "outcome", "method_kind"):
        value = fields[name]
        if isinstance(value, str) and looks_like_card_number(value):
            return RawCardDataError
    record = TransactionRecord(**fields)
    assert (record.detail, record.reference) == (detail, reference)
    return record


_CARDISH_TEXT = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        [
            "4242424242424242",
            "4242 4242 4242 4242",
            "ref-4242-4242-4242-4242",
            "4242424242424241",  # fails Luhn
            "1234567890123",
            "x4242424242424242",
            "",
            "pay_000001",
        ]
    ),
)


@given(
    st.fixed_dictionaries(
        {
            "payment_id": _CARDISH_TEXT,
            "order_id": _CARDISH_TEXT,
            "operation": st.sampled_from(["authorize", "capture", "4000000000000002"]),
            "outcome": st.sampled_from(["approved", "declined"]),
            "detail": _CARDISH_TEXT,
            "reference": st.one_of(st.none(), _CARDISH_TEXT),
            "method_kind": _CARDISH_TEXT,
        }
    )
)
def test_one_scan_builds_the_record_the_field_by_field_checks_build(text: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        **text,
        "recorded_at": NOW,
        "idempotency_key": "authorize-abc",
        "attempt": 1,
        "amount": money("1.00", "EUR"),
        "card": CardSummary(CardBrand.VISA, "4242"),
    }
    expected = _field_by_field(**fields)
    if isinstance(expected, type):
        with pytest.raises(expected):
            TransactionRecord(**fields)
        return
    record = TransactionRecord(**fields)
    assert record == expected
    assert looks_like_card_number(record.detail) is False
    assert record.reference is None or looks_like_card_number(record.reference) is False
    assert chain_hash("0" * 64, record) == chain_hash("0" * 64, expected)


def test_a_refused_field_is_named_as_before() -> None:
    base: dict[str, Any] = {
        "recorded_at": NOW,
        "payment_id": "pay_1",
        "order_id": "ord_1",
        "operation": "authorize",
        "idempotency_key": "k",
        "attempt": 1,
        "amount": None,
        "outcome": "approved",
        "detail": "",
        "reference": None,
        "method_kind": "card",
    }
    for name in ("payment_id", "order_id", "operation", "outcome", "method_kind"):
        with pytest.raises(RawCardDataError) as caught:
            TransactionRecord(**{**base, name: "4242 4242 4242 4242"})
        assert str(caught.value) == str(RawCardDataError(name))
    # the first refused field in field order is the one named
    with pytest.raises(RawCardDataError) as caught:
        TransactionRecord(**{**base, "order_id": "4242424242424242", "outcome": "4242424242424242"})
    assert str(caught.value) == str(RawCardDataError("order_id"))


def test_text_that_is_not_str_is_handled_field_by_field() -> None:
    base: dict[str, Any] = {
        "recorded_at": NOW,
        "payment_id": "pay_1",
        "order_id": "ord_1",
        "operation": "authorize",
        "idempotency_key": "k",
        "attempt": 1,
        "amount": None,
        "outcome": "approved",
        "detail": "",
        "reference": None,
        "method_kind": "card",
    }
    # an id that is not text is not scanned (as before); a detail that is not text is refused
    kept: object = TransactionRecord(**{**base, "payment_id": 4242424242424242}).payment_id
    assert kept == 4242424242424242
    with pytest.raises(TypeError):
        TransactionRecord(**{**base, "detail": 42})
    masked = TransactionRecord(**{**base, "reference": "ref 4242424242424242"})
    assert masked.reference == "ref **** 4242"
    evolved = attrs.evolve(masked, detail="card 4242-4242-4242-4242")
    assert evolved.detail == "card **** 4242"


def test_money_in_the_record_is_kept() -> None:
    amount: Money = money("12.30", "EUR")
    record = TransactionRecord(
        recorded_at=NOW,
        payment_id="pay_1",
        order_id="ord_1",
        operation="capture",
        idempotency_key="k",
        attempt=2,
        amount=amount,
        outcome="approved",
        detail="",
        reference="sim_auth_000001",
        method_kind="card",
    )
    assert record.amount is amount
    assert TransactionRecord.from_data(record.to_data()) == record


# --- snapshot totals, sums and fingerprints ---------------------------------------------------

_AMOUNT_TEXTS = st.sampled_from(["30.00", "30", "0", "0.00", "12.50", " 12.50 ", "1_000", "abc"])


@given(
    amount_text=st.sampled_from(["30.00", "30", "12.50", " 12.50 ", "1_000"]),
    totals=st.tuples(_AMOUNT_TEXTS, _AMOUNT_TEXTS, _AMOUNT_TEXTS),
    codes=st.tuples(*[st.sampled_from(["EUR", "eur", "USD"])] * 3),
)
def test_snapshot_totals_are_what_money_like_rebuilds_each_time(
    amount_text: str, totals: tuple[str, str, str], codes: tuple[str, str, str]
) -> None:
    from commerce_core.domain.payment import _money_like, _totals

    amount = money_from_data({"amount": amount_text, "currency": "EUR"})
    data: dict[str, Any] = {"amount": {"amount": amount_text, "currency": "EUR"}}
    for name, text, code in zip(("authorized", "captured", "refunded"), totals, codes, strict=True):
        data[name] = {"amount": text, "currency": code}
    expected: list[Any] = []
    for name in ("authorized", "captured", "refunded"):
        try:
            expected.append(_money_like(data[name], amount))
        except CommerceError as error:
            expected.append(type(error))
    refused: type[CommerceError] | None = None
    got: list[Any] = []
    try:
        got = list(_totals(data, amount))
    except CommerceError as error:
        refused = type(error)
    if refused is not None:  # the first total that cannot be rebuilt raises its error
        assert refused is next(e for e in expected if isinstance(e, type))
        return
    assert got == expected
    for value, reference in zip(got, expected, strict=True):
        assert str(value.amount) == str(reference.amount)
        assert value.currency is reference.currency


@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=1, max_value=10**9),
    st.sampled_from(["EUR", "JPY", "BHD"]),
)
def test_a_payment_sum_is_money_addition(total: int, amount: int, code: str) -> None:
    from commerce_core.domain.payment import _plus

    left, right = from_minor(total, code), from_minor(amount, code)
    got = _plus(left, right)
    assert got == left + right
    assert str(got.amount) == str((left + right).amount)
    with pytest.raises(TypeError):
        _plus(left, money("1", "USD" if code != "USD" else "EUR"))


def test_requests_keep_the_fingerprint_they_would_compute() -> None:
    from commerce_core.domain.payment_gateway import (
        AuthorizeRequest,
        CaptureRequest,
        RefundRequest,
        VoidRequest,
    )

    amount = money("10.00", "EUR")
    requests: list[AuthorizeRequest | CaptureRequest | RefundRequest | VoidRequest] = [
        AuthorizeRequest("k", "pay_1", "ord_1", amount, PaymentMethod("tok_visa")),
        CaptureRequest("k", "pay_1", "ref_1", amount),
        RefundRequest("k", "pay_1", "ref_1", amount),
        VoidRequest("k", "pay_1", "ref_1"),
    ]
    for request in requests:
        assert request.fingerprint() == request._compute_fingerprint()
        assert attrs.evolve(request).fingerprint() == request.fingerprint()


def test_a_fingerprint_that_cannot_be_written_still_raises_when_asked() -> None:
    from commerce_core.domain.payment_gateway import CaptureRequest

    off_grid = money("10.001", "EUR")
    request = CaptureRequest("k", "pay_1", "ref_1", off_grid)  # built, as before
    with pytest.raises(InvalidAmountError):
        request.fingerprint()
    with pytest.raises(InvalidAmountError):
        request.fingerprint()


def test_the_simulated_gateway_refuses_an_over_capture_and_keeps_the_captured_total() -> None:
    from commerce_core.domain.payment_gateway import (
        Approved,
        AuthorizeRequest,
        CaptureRequest,
        DeclineCode,
        Declined,
    )

    gateway = SimulatedPaymentGateway()
    approved = gateway.authorize(
        AuthorizeRequest("a", "pay_1", "ord_1", money("10.00", "EUR"), PaymentMethod("tok_visa"))
    )
    assert isinstance(approved, Approved)
    ref = approved.reference
    assert isinstance(
        gateway.capture(CaptureRequest("c1", "pay_1", ref, money("4", "EUR"))), Approved
    )
    over = gateway.capture(CaptureRequest("c2", "pay_1", ref, money("6.01", "EUR")))
    assert over == Declined(DeclineCode.AMOUNT_EXCEEDS_AUTHORIZATION, "over-capture")
    assert gateway.authorization(ref)["captured"] == money("4.00", "EUR")
    rest = gateway.capture(CaptureRequest("c3", "pay_1", ref, money("6.00", "EUR")))
    assert rest == Approved(ref, money("6.00", "EUR"))
    assert gateway.authorization(ref)["captured"] == money("10.00", "EUR")
    with pytest.raises(TypeError):
        gateway.capture(CaptureRequest("c4", "pay_1", ref, money("1", "USD")))
