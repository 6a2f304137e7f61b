"""The payment audit trail: hash-chained entries and the function that verifies the chain.

Each :class:`LogEntry` stores the SHA-256 of its predecessor (``previous_hash``) and its own hash
over ``previous_hash`` plus the canonical JSON of its record. Editing any entry changes its hash;
deleting or reordering one breaks the next link or the sequence. :func:`verify_chain` finds the
first broken entry. Deleting the *newest* entries is only detectable against a head hash kept
elsewhere (pass ``expected_head``).

Records hold amounts, outcomes, idempotency keys and a masked card summary, never a card number
or CVC: a :class:`TransactionRecord` refuses any of our own text that looks like a card number,
and masks card-number-shaped runs in what the provider sent (its reference, a decline detail),
so recording an answer the gateway already gave never fails.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from json.encoder import encode_basestring_ascii as _json_text
from typing import Any, Final

import attrs

from commerce_core.domain.cards import CardSummary, looks_like_card_number, mask_card_numbers
from commerce_core.errors import RawCardDataError, TransactionLogCorruptError
from commerce_core.money import Money, money_from_data, money_to_data

__all__ = [
    "GENESIS_HASH",
    "TransactionRecord",
    "LogEntry",
    "chain_hash",
    "chain_entry",
    "verify_chain",
    "chain_is_intact",
]

GENESIS_HASH: Final = "0" * 64
"""The ``previous_hash`` of the first entry."""

_CANONICAL: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
# what json.dumps(..., sort_keys=True, separators=(",", ":")) builds on every call, built once


def _no_card_number(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, str) and looks_like_card_number(value):
        raise RawCardDataError(attribute.name)


def _masked(value: str) -> str:
    return mask_card_numbers(value)


def _masked_optional(value: str | None) -> str | None:
    return None if value is None else mask_card_numbers(value)


_REFUSED: Final = ("payment_id", "order_id", "operation", "outcome", "method_kind")
"""Our own text fields, refused when one looks like a card number (checked in this order)."""


@attrs.frozen
class TransactionRecord:
    """One gateway call and its answer, as the audit log keeps it.

    Attributes:
        recorded_at: when the answer came back.
        payment_id: our payment id.
        order_id: the order it pays.
        operation: ``"authorize"``, ``"capture"``, ``"void"`` or ``"refund"``.
        idempotency_key: the key the call carried.
        attempt: 1 for the first try, 2+ for retries.
        amount: the amount requested (None for a void).
        outcome: ``"approved"``, ``"declined"``, ``"requires_action"``, ``"transient_failure"``.
        detail: the decline code, action kind or transient reason ("" when approved); a
            card-number-shaped run in it is masked.
        reference: the provider's reference, when it gave one; a card-number-shaped run in it
            (a numeric reference may pass the Luhn check) is masked, never refused.
        method_kind: ``"card"``, ``"gift_card"``...
        card: brand, last four and expiry of the card, when it is one.

    Raises:
        RawCardDataError: one of our text fields (ids, operation, outcome, method kind) looks
            like a card number. The idempotency key is a digest made by the library and not
            scanned; provider text (detail, reference) is masked instead.
    """

    recorded_at: datetime
    payment_id: str
    order_id: str
    operation: str
    idempotency_key: str
    attempt: int
    amount: Money | None
    outcome: str
    detail: str
    reference: str | None
    method_kind: str
    card: CardSummary | None = None

    def __attrs_post_init__(self) -> None:
        """Mask ``detail`` and ``reference``, then refuse card numbers in our own text.

        The usual record holds plain text and no card number: one scan of all the text fields
        joined by newlines tells (a card-number-shaped run holds only digits, spaces and
        dashes, so none found in the joined text spans two fields, and a newline bounds a field
        as its start or end does: the joined text holds a card number exactly when one field
        does). When none does, masking changes nothing and nothing is refused. Anything else
        (or a field that is not text) takes the field by field path: masking first, then each
        refused field in order.
        """
        reference = self.reference
        try:
            joined = "\n".join(
                (
                    self.payment_id,
                    self.order_id,
                    self.operation,
                    self.outcome,
                    self.method_kind,
                    self.detail,
                    "" if reference is None else reference,
                )
            )
        except TypeError:  # a field that is not text: the field by field path decides
            joined = None
        if joined is not None and not looks_like_card_number(joined):
            return
        object.__setattr__(self, "detail", _masked(self.detail))
        object.__setattr__(self, "reference", _masked_optional(self.reference))
        fields = attrs.fields_dict(TransactionRecord)
        for name in _REFUSED:
            _no_card_number(self, fields[name], getattr(self, name))

    def to_data(self) -> dict[str, Any]:
        """JSON primitives (the hashed form)."""
        return {
            "recorded_at": self.recorded_at.isoformat(),
            "payment_id": self.payment_id,
            "order_id": self.order_id,
            "operation": self.operation,
            "idempotency_key": self.idempotency_key,
            "attempt": self.attempt,
            "amount": None if self.amount is None else money_to_data(self.amount),
            "outcome": self.outcome,
            "detail": self.detail,
            "reference": self.reference,
            "method_kind": self.method_kind,
            "card": None if self.card is None else self.card.to_data(),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> TransactionRecord:
        """Rebuild from :meth:`to_data` output."""
        return cls(
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            payment_id=data["payment_id"],
            order_id=data["order_id"],
            operation=data["operation"],
            idempotency_key=data["idempotency_key"],
            attempt=int(data["attempt"]),
            amount=None if data["amount"] is None else money_from_data(data["amount"]),
            outcome=data["outcome"],
            detail=data["detail"],
            reference=data["reference"],
            method_kind=data["method_kind"],
            card=None if data["card"] is None else CardSummary.from_data(data["card"]),
        )


def _canonical_json(record: TransactionRecord) -> str:
    """``json.dumps(record.to_data(), sort_keys=True, separators=(",", ":"))``, written directly.

    The fields are written in key order as ``json`` writes them when they hold what the record
    declares (text, an ``int`` attempt, Money, a card summary); a record holding anything else
    goes through the JSON encoder itself, so the text is always the same.
    """
    attempt = record.attempt
    amount = record.amount
    card = record.card
    reference = record.reference
    if type(attempt) is not int:
        return _CANONICAL.encode(record.to_data())
    try:
        amount_json = (
            "null"
            if amount is None
            else f'{{"amount":{_json_text(str(amount.amount))},'
            f'"currency":{_json_text(str(amount.currency.code))}}}'
        )
        return (
            f'{{"amount":{amount_json},"attempt":{attempt},'
            f'"card":{"null" if card is None else _CANONICAL.encode(card.to_data())},'
            f'"detail":{_json_text(record.detail)},'
            f'"idempotency_key":{_json_text(record.idempotency_key)},'
            f'"method_kind":{_json_text(record.method_kind)},'
            f'"operation":{_json_text(record.operation)},'
            f'"order_id":{_json_text(record.order_id)},'
            f'"outcome":{_json_text(record.outcome)},'
            f'"payment_id":{_json_text(record.payment_id)},'
            f'"recorded_at":{_json_text(record.recorded_at.isoformat())},'
            f'"reference":{"null" if reference is None else _json_text(reference)}}}'
        )
    except TypeError:  # a field that is not text: let the encoder write (or refuse) it
        return _CANONICAL.encode(record.to_data())


def chain_hash(previous_hash: str, record: TransactionRecord) -> str:
    """SHA-256 over the previous hash and the record's canonical JSON."""
    blob = _canonical_json(record)
    return hashlib.sha256(f"{previous_hash}\n{blob}".encode()).hexdigest()


@attrs.frozen
class LogEntry:
    """A record as stored in the chain.

    Attributes:
        sequence: 1, 2, 3... without gaps.
        record: what happened.
        previous_hash: the hash of entry ``sequence - 1`` (:data:`GENESIS_HASH` for the first).
        hash: :func:`chain_hash` of ``previous_hash`` and ``record``.
    """

    sequence: int
    record: TransactionRecord
    previous_hash: str
    hash: str


def chain_entry(previous: LogEntry | None, record: TransactionRecord) -> LogEntry:
    """The entry that appends ``record`` after ``previous`` (None for the first entry)."""
    sequence = 1 if previous is None else previous.sequence + 1
    prev_hash = GENESIS_HASH if previous is None else previous.hash
    return LogEntry(sequence, record, prev_hash, chain_hash(prev_hash, record))


def verify_chain(entries: Sequence[LogEntry], *, expected_head: str | None = None) -> None:
    """Check that ``entries`` (oldest first) form an unbroken chain.

    Args:
        entries: the whole log, oldest first.
        expected_head: the last entry's hash as recorded elsewhere (detects a truncated tail).

    Raises:
        TransactionLogCorruptError: at the first entry that was edited (``hash_mismatch``), whose
            predecessor was removed or changed (``broken_link`` / ``sequence_gap``), or when the
            head differs from ``expected_head`` (``head_mismatch``).
    """
    previous_hash = GENESIS_HASH
    for expected_sequence, entry in enumerate(entries, start=1):
        if entry.sequence != expected_sequence:
            raise TransactionLogCorruptError(entry.sequence, "sequence_gap")
        if entry.previous_hash != previous_hash:
            raise TransactionLogCorruptError(entry.sequence, "broken_link")
        if chain_hash(entry.previous_hash, entry.record) != entry.hash:
            raise TransactionLogCorruptError(entry.sequence, "hash_mismatch")
        previous_hash = entry.hash
    if expected_head is not None and previous_hash != expected_head:
        raise TransactionLogCorruptError(len(entries), "head_mismatch")


def chain_is_intact(entries: Sequence[LogEntry], *, expected_head: str | None = None) -> bool:
    """:func:`verify_chain` as a boolean."""
    try:
        verify_chain(entries, expected_head=expected_head)
    except TransactionLogCorruptError:
        return False
    return True
