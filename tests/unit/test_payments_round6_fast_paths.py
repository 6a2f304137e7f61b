"""Round 6 internals of the payment hot path decide and build exactly what the paths they replace.

- card-number scans first look for a run of 13 ASCII digits, spaces or dashes (``_ASCII_RUN``):
  ``looks_like_card_number`` and ``mask_card_numbers`` answer what the full ``_CARDISH`` scan
  alone answers, for any text (ASCII or not), and raise the same errors for what is not text.
- the in-memory transaction log keeps each entry's record and hash (no LogEntry per entry):
  ``append``, ``entries`` and ``head`` give what the chain of ``chain_entry`` entries gives.
- the in-memory idempotency store keeps each key's fingerprint and claim time in two flat maps
  (no pair per key): any sequence of claims, completions and releases answers as the store that
  kept one ``(fingerprint, claimed_at)`` pair per key.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from commerce_core.adapters.memory.core import InMemoryClock
from commerce_core.adapters.memory.payments import InMemoryIdempotencyStore, InMemoryTransactionLog
from commerce_core.domain import cards
from commerce_core.domain.cards import looks_like_card_number, mask_card_numbers, mask_number
from commerce_core.domain.payment_gateway import ClaimStatus, IdempotencyClaim
from commerce_core.domain.transaction_log import (
    GENESIS_HASH,
    LogEntry,
    TransactionRecord,
    chain_entry,
    verify_chain,
)
from commerce_core.errors import IdempotencyKeyReuseError, NotFoundError
from commerce_core.money import from_minor

_FULL_SCAN = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
"""The pattern the scans used alone (kept here as the reference)."""


def _reference_looks_like(text: str) -> bool:
    if _FULL_SCAN.search(text) is None:
        return False
    return any(cards._is_card_number(match.group()) for match in _FULL_SCAN.finditer(text))


def _reference_mask(text: str) -> str:
    if _FULL_SCAN.search(text) is None:
        return text
    return _FULL_SCAN.sub(
        lambda m: mask_number(m.group()) if cards._is_card_number(m.group()) else m.group(), text
    )


_CARD_TEXT = st.text(
    # digits (ASCII and other scripts), the separators, letters, and what stands between words
    alphabet=st.sampled_from("0123456789 -_\n\tax.Z/\u0661\u0967\u00e9"),
    max_size=60,
)
_NUMBERS = st.sampled_from(
    ["4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", "378282246310005"]
)


@given(text=st.one_of(_CARD_TEXT, st.text(max_size=40)))
@example(text="pay_000001\nord_000001\ncapture\napproved\ncard\n\nsim_auth_000001")
@example(text="tok_4242424242424242")
@example(text="1234567890123")
@example(text="123456789012")
@example(text="\u0664\u0662\u0664\u0662" * 4)  # Arabic-Indic digits: \d matches them
def test_the_scans_answer_what_the_full_scan_answers(text: str) -> None:
    assert looks_like_card_number(text) is _reference_looks_like(text)
    assert mask_card_numbers(text) == _reference_mask(text)


@given(before=_CARD_TEXT, number=_NUMBERS, after=_CARD_TEXT)
def test_a_card_number_among_other_text_is_found_as_before(
    before: str, number: str, after: str
) -> None:
    text = f"{before}{number}{after}"
    assert looks_like_card_number(text) is _reference_looks_like(text)
    assert mask_card_numbers(text) == _reference_mask(text)


@pytest.mark.parametrize("value", [None, 4242424242424242, b"4242424242424242"])
def test_what_is_not_text_raises_as_the_full_scan_raises(value: object) -> None:
    with pytest.raises(TypeError):
        _FULL_SCAN.search(value)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        looks_like_card_number(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mask_card_numbers(value)  # type: ignore[arg-type]


def test_the_reference_is_the_pattern_the_scans_use() -> None:
    assert cards._CARDISH.pattern == _FULL_SCAN.pattern


_RECORDS = st.builds(
    TransactionRecord,
    recorded_at=st.datetimes(timezones=st.just(UTC)),
    payment_id=st.sampled_from(["pay_1", "pay_2"]),
    order_id=st.sampled_from(["ord_1", "ord_2"]),
    operation=st.sampled_from(["authorize", "capture", "void", "refund"]),
    idempotency_key=st.text(max_size=8),
    attempt=st.integers(min_value=1, max_value=3),
    amount=st.one_of(st.none(), st.builds(from_minor, st.integers(1, 10**6), st.just("EUR"))),
    outcome=st.sampled_from(["approved", "declined", "transient_failure"]),
    detail=st.text(max_size=8),
    reference=st.one_of(st.none(), st.text(max_size=8)),
    method_kind=st.sampled_from(["card", "gift_card"]),
)


@given(records=st.lists(_RECORDS, max_size=6))
def test_the_log_gives_the_entries_chain_entry_builds(records: list[TransactionRecord]) -> None:
    log = InMemoryTransactionLog()
    expected: list[LogEntry] = []
    for record in records:
        entry = log.append(record)
        expected.append(chain_entry(expected[-1] if expected else None, record))
        assert entry == expected[-1]
        assert log.head() == entry.hash
    entries = log.entries()
    assert type(entries) is tuple
    assert list(entries) == expected
    assert all(type(e) is LogEntry and e.record is r for e, r in zip(entries, records, strict=True))
    verify_chain(entries, expected_head=log.head())
    if not records:
        assert log.head() == GENESIS_HASH


class _PairStore:
    """The idempotency store as it was: one ``(fingerprint, claimed_at)`` pair per key."""

    def __init__(self, clock: InMemoryClock | None, lease: timedelta) -> None:
        self._clock = clock
        self._lease = lease
        self._rows: dict[str, tuple[str, datetime | None]] = {}
        self._results: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, fingerprint: str) -> IdempotencyClaim:
        now = self._clock.now() if self._clock is not None else None
        row = self._rows.get(key)
        if row is None:
            self._rows[key] = (fingerprint, now)
            return IdempotencyClaim(ClaimStatus.CLAIMED)
        stored, claimed_at = row
        if stored != fingerprint:
            raise IdempotencyKeyReuseError(key, stored, fingerprint)
        result = self._results.get(key)
        if result is not None:
            return IdempotencyClaim(ClaimStatus.COMPLETED, dict(result))
        if now is not None and claimed_at is not None and now - claimed_at >= self._lease:
            self._rows[key] = (stored, now)
            return IdempotencyClaim(ClaimStatus.CLAIMED)
        return IdempotencyClaim(ClaimStatus.IN_PROGRESS)

    def complete(self, key: str, fingerprint: str, result: Mapping[str, Any]) -> None:
        row = self._rows.get(key)
        if row is None:
            raise NotFoundError("idempotency key", key)
        if row[0] != fingerprint:
            raise IdempotencyKeyReuseError(key, row[0], fingerprint)
        if key not in self._results:
            self._results[key] = dict(result)

    def release(self, key: str, fingerprint: str) -> None:
        row = self._rows.get(key)
        if row is not None and key not in self._results and row[0] == fingerprint:
            del self._rows[key]

    def __len__(self) -> int:
        return len(self._rows)


_STORE_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["claim", "complete", "release", "advance"]),
        st.sampled_from(["k1", "k2", "k3"]),
        st.sampled_from(["fp1", "fp2"]),
        st.integers(min_value=0, max_value=3),
    ),
    max_size=30,
)


def _outcome(act: Any, *args: object) -> object:
    try:
        return ("ok", act(*args))
    except (IdempotencyKeyReuseError, NotFoundError) as error:
        return (type(error), str(error))


@given(steps=_STORE_STEPS, clocked=st.sampled_from(["clock", "no clock"]))
def test_the_store_answers_as_the_store_of_pairs(
    steps: list[tuple[str, str, str, int]], clocked: str
) -> None:
    clock = InMemoryClock(datetime(2026, 1, 1, tzinfo=UTC))
    lease = timedelta(minutes=2)
    store = InMemoryIdempotencyStore(clock if clocked == "clock" else None, lease)
    reference = _PairStore(clock if clocked == "clock" else None, lease)
    for action, key, fingerprint, n in steps:
        if action == "advance":
            clock.advance(timedelta(minutes=n))
        elif action == "claim":
            assert _outcome(store.claim, key, fingerprint) == _outcome(
                reference.claim, key, fingerprint
            )
        elif action == "complete":
            result = {"outcome": "approved", "n": n}
            assert _outcome(store.complete, key, fingerprint, result) == _outcome(
                reference.complete, key, fingerprint, result
            )
        else:
            store.release(key, fingerprint)
            reference.release(key, fingerprint)
        assert len(store) == len(reference)
