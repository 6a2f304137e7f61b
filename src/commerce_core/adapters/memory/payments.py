"""In-memory payment adapters: a simulated gateway and thread-safe stores.

* :class:`SimulatedPaymentGateway` behaves like a provider in test mode: well-known test tokens
  (and test card numbers through :meth:`SimulatedPaymentGateway.tokenize`) approve, decline,
  require 3-D Secure or fail transiently ``n`` times; scripts queue exact answers.
* :class:`InMemoryIdempotencyStore`, :class:`InMemoryPaymentRepository`,
  :class:`InMemoryTransactionLog` and :class:`InMemoryProcessedEventStore` honour their ports'
  atomicity guarantees with one lock each.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

import attrs

from commerce_core.adapters.memory.core import VersionedSnapshotStore
from commerce_core.domain.cards import CardExpiry, CardNumber
from commerce_core.domain.payment import Payment
from commerce_core.domain.payment_gateway import (
    Approved,
    AuthorizeRequest,
    CaptureRequest,
    ClaimStatus,
    DeclineCode,
    Declined,
    GatewayResult,
    IdempotencyClaim,
    PaymentMethod,
    RefundRequest,
    RequiredAction,
    RequiresAction,
    TransientFailure,
    VoidRequest,
)
from commerce_core.domain.transaction_log import (
    GENESIS_HASH,
    LogEntry,
    TransactionRecord,
    chain_hash,
)
from commerce_core.errors import IdempotencyKeyReuseError, NotFoundError
from commerce_core.money import Money, zero
from commerce_core.ports.clock import Clock

__all__ = [
    "TEST_TOKENS",
    "TEST_CARD_NUMBERS",
    "SimulatedPaymentGateway",
    "InMemoryIdempotencyStore",
    "InMemoryPaymentRepository",
    "InMemoryTransactionLog",
    "InMemoryProcessedEventStore",
]

_THREE_DS: Final = RequiredAction("three_d_secure", "https://simulated.test/3ds")

TEST_TOKENS: Final[Mapping[str, GatewayResult | None]] = {
    "tok_visa": None,
    "tok_mastercard": None,
    "tok_amex": None,
    "tok_gift_card": None,
    "tok_declined": Declined(DeclineCode.CARD_DECLINED, "simulated decline"),
    "tok_insufficient_funds": Declined(DeclineCode.INSUFFICIENT_FUNDS, "simulated decline"),
    "tok_expired_card": Declined(DeclineCode.EXPIRED_CARD, "simulated decline"),
    "tok_incorrect_cvc": Declined(DeclineCode.INCORRECT_CVC, "simulated decline"),
    "tok_fraudulent": Declined(DeclineCode.FRAUD_SUSPECTED, "simulated decline"),
    "tok_3ds_required": RequiresAction("", _THREE_DS),
}
"""Test tokens and how :meth:`SimulatedPaymentGateway.authorize` answers them (None: approve).

``tok_transient_<n>`` (e.g. ``tok_transient_2``) fails transiently the first ``n`` times *each
authorization request* (each idempotency key) is tried, then approves: a payment service retrying
within its budget succeeds, and every payment using the token is retried, not only the first.
Unknown tokens approve.
"""

TEST_CARD_NUMBERS: Final[Mapping[str, str]] = {
    "4242424242424242": "tok_visa",
    "5555555555554444": "tok_mastercard",
    "378282246310005": "tok_amex",
    "4000000000000002": "tok_declined",
    "4000000000009995": "tok_insufficient_funds",
    "4000000000000069": "tok_expired_card",
    "4000000000000127": "tok_incorrect_cvc",
    "4100000000000019": "tok_fraudulent",
    "4000000000003220": "tok_3ds_required",
}
"""Well-known public test card numbers and the test token each tokenizes to."""

_R = TypeVar("_R", AuthorizeRequest, CaptureRequest, VoidRequest, RefundRequest)

_TRANSIENT: Final = re.compile(r"^tok_transient_(\d+)$")


@attrs.define
class _Authorization:
    payment_id: str
    amount: Money
    captured: Money
    refunded: Money
    pending_action: bool = False
    voided: bool = False


class SimulatedPaymentGateway:
    """An in-memory :class:`~commerce_core.ports.payments.PaymentGateway` for tests and demos.

    Authorizations answer per token (:data:`TEST_TOKENS`), per script (:meth:`script`) or with
    scheduled transient failures (:meth:`fail_next`). Captures, voids and refunds enforce the
    amounts like a provider would (declining over-captures and over-refunds). Requests are
    idempotent by key: the same key replays the first final answer; the same key with a
    different request raises :class:`IdempotencyKeyReuseError`. Transient answers are not
    remembered, so a retry with the same key is tried again. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._auths: dict[str, _Authorization] = {}
        # the fingerprint and the final answer of each key (two flat maps: no pair kept per key)
        self._fingerprints: dict[str, str] = {}
        self._results: dict[str, GatewayResult] = {}
        self._scripts: dict[str, deque[GatewayResult]] = {}
        self._transient_left: dict[str, int] = {}
        self._zeros: dict[str, Money] = {}  # one zero per currency code: Money is immutable
        self._fail_next = 0
        self._counter = itertools.count(1)
        self._token_counter = itertools.count(1)
        self._token_behaviour: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        """Every call received, as ``(operation, idempotency_key)``."""

    # -- test controls --

    def tokenize(self, number: CardNumber | str, expiry: CardExpiry | None = None) -> PaymentMethod:
        """Exchange a card number for a token, as a provider's client SDK does.

        Public test numbers (:data:`TEST_CARD_NUMBERS`) keep their behaviour; any other valid
        number approves. Only the token and a masked summary come back.

        Raises:
            InvalidCardError: the number is not a valid card number.
        """
        card = number if isinstance(number, CardNumber) else CardNumber.parse(number)
        behaviour = TEST_CARD_NUMBERS.get(card.reveal(), "tok_visa")
        with self._lock:
            token = f"tok_sim_{next(self._token_counter):06d}"
            self._token_behaviour[token] = behaviour
        return PaymentMethod(token, "card", card.summary(expiry))

    def script(self, token: str, results: Iterable[GatewayResult]) -> None:
        """Queue exact answers for the next authorizations of ``token`` (first in, first out)."""
        with self._lock:
            self._scripts.setdefault(token, deque()).extend(results)

    def fail_next(self, times: int = 1) -> None:
        """Make the next ``times`` calls of any operation fail transiently."""
        with self._lock:
            self._fail_next = times

    def complete_action(self, reference: str, *, approve: bool = True) -> None:
        """Simulate the customer finishing (or failing) 3-D Secure for ``reference``.

        A voided authorization stays voided: completing the challenge after the merchant voided
        the hold (a checkout rolled back while the customer was away) cannot revive it, like a
        provider answering the late challenge with a failure.
        """
        with self._lock:
            auth = self._auths[reference]
            auth.pending_action = False
            if not approve:
                auth.voided = True

    def authorization(self, reference: str) -> Mapping[str, Any]:
        """The provider-side view of an authorization (amounts as Money)."""
        with self._lock:
            auth = self._auths[reference]
            return attrs.asdict(auth, recurse=False)

    @property
    def open_authorizations(self) -> tuple[str, ...]:
        """References authorized, not voided and not captured at all."""
        with self._lock:
            return tuple(
                ref
                for ref, a in self._auths.items()
                if not a.voided and not a.pending_action and a.captured.amount == 0
            )

    # -- the port --

    def authorize(self, request: AuthorizeRequest) -> GatewayResult:
        """Hold ``request.amount`` (see the class docstring for how the token decides)."""
        return self._idempotent(request, self._authorize)

    def capture(self, request: CaptureRequest) -> GatewayResult:
        """Capture all or part of an authorization."""
        return self._idempotent(request, self._capture)

    def void(self, request: VoidRequest) -> GatewayResult:
        """Release an uncaptured authorization, or the uncaptured rest of a partial capture."""
        return self._idempotent(request, self._void)

    def refund(self, request: RefundRequest) -> GatewayResult:
        """Refund all or part of what was captured."""
        return self._idempotent(request, self._refund)

    # -- internals (called under the lock) --

    def _idempotent(self, request: _R, act: Callable[[_R], GatewayResult]) -> GatewayResult:
        key = request.idempotency_key
        fingerprint = request.fingerprint()
        with self._lock:
            self.calls.append((str(request.operation), key))
            stored = self._fingerprints.get(key)
            if stored is not None:
                if stored != fingerprint:
                    raise IdempotencyKeyReuseError(key, stored, fingerprint)
                return self._results[key]
            if self._fail_next:
                self._fail_next -= 1
                return TransientFailure("simulated outage")
            result = act(request)
            if not isinstance(result, TransientFailure):
                self._fingerprints[key] = fingerprint
                self._results[key] = result
            return result

    def _new_reference(self) -> str:
        return f"sim_auth_{next(self._counter):06d}"

    def _authorize(self, request: AuthorizeRequest) -> GatewayResult:
        token = self._token_behaviour.get(request.method.token, request.method.token)
        queued = self._scripts.get(request.method.token)
        planned: GatewayResult | None
        if queued:
            planned = queued.popleft()
        else:
            match = _TRANSIENT.match(token) if token.startswith("tok_transient_") else None
            if match:
                # counted per request (idempotency key): each payment's first n tries fail
                key = request.idempotency_key
                left = self._transient_left.setdefault(key, int(match.group(1)))
                if left:
                    self._transient_left[key] = left - 1
                    return TransientFailure("simulated timeout")
            planned = TEST_TOKENS.get(token)
        if isinstance(planned, (Declined, TransientFailure)):
            return planned
        reference = self._new_reference()
        amount = request.amount
        nothing = self._zeros.get(amount.currency.code)
        if nothing is None:
            nothing = self._zeros[amount.currency.code] = zero(amount.currency)
        if isinstance(planned, Approved) and planned.amount < amount:
            amount = planned.amount  # a scripted partial approval
        auth = _Authorization(request.payment_id, amount, nothing, nothing)
        self._auths[reference] = auth
        if isinstance(planned, RequiresAction):
            auth.pending_action = True
            return RequiresAction(reference, planned.action)
        return Approved(reference, amount)

    def _find(self, reference: str) -> _Authorization | None:
        auth = self._auths.get(reference)
        if auth is None or auth.pending_action or auth.voided:
            return None
        return auth

    def _capture(self, request: CaptureRequest) -> GatewayResult:
        auth = self._find(request.reference)
        if auth is None or auth.refunded.amount > 0:
            return Declined(DeclineCode.NOT_PERMITTED, "no capturable authorization")
        captured, amount = auth.captured, request.amount
        if captured.currency is amount.currency is auth.amount.currency:  # compare the numbers
            if captured.amount + amount.amount > auth.amount.amount:
                return Declined(DeclineCode.AMOUNT_EXCEEDS_AUTHORIZATION, "over-capture")
            auth.captured = captured.__class__(captured.amount + amount.amount, captured.currency)
            return Approved(request.reference, amount)
        captured = captured + amount  # raises for another currency, as it did
        if captured > auth.amount:
            return Declined(DeclineCode.AMOUNT_EXCEEDS_AUTHORIZATION, "over-capture")
        auth.captured = captured
        return Approved(request.reference, request.amount)

    def _void(self, request: VoidRequest) -> GatewayResult:
        auth = self._auths.get(request.reference)
        if auth is None or auth.voided or auth.captured >= auth.amount or auth.refunded.amount:
            return Declined(DeclineCode.NOT_PERMITTED, "nothing to void")
        if auth.captured.amount > 0:
            # partially captured: release the uncaptured rest, keep what was captured
            released = auth.amount - auth.captured
            auth.amount = auth.captured
            return Approved(request.reference, released)
        auth.voided = True
        auth.pending_action = False
        return Approved(request.reference, auth.amount)

    def _refund(self, request: RefundRequest) -> GatewayResult:
        auth = self._find(request.reference)
        if auth is None or auth.refunded + request.amount > auth.captured:
            return Declined(DeclineCode.AMOUNT_EXCEEDS_AUTHORIZATION, "over-refund")
        auth.refunded += request.amount
        return Approved(request.reference, request.amount)


_CLAIMED: Final = IdempotencyClaim(ClaimStatus.CLAIMED)
_IN_PROGRESS: Final = IdempotencyClaim(ClaimStatus.IN_PROGRESS)


class InMemoryIdempotencyStore:
    """Thread-safe :class:`~commerce_core.ports.payments.IdempotencyStore`.

    Args:
        clock: when given, an unfinished claim older than ``lease`` may be claimed again (its
            holder is presumed crashed); without a clock claims never expire.
        lease: how long an unfinished claim is honoured.
    """

    def __init__(self, clock: Clock | None = None, lease: timedelta = timedelta(minutes=5)) -> None:
        self._clock = clock
        self._lease = lease
        # each key's fingerprint and claim time, and the result of each completed key: flat maps
        # (a str and a datetime per key are no objects the cyclic GC tracks; a pair would be)
        self._fingerprints: dict[str, str] = {}
        self._claimed_at: dict[str, datetime | None] = {}
        self._results: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, fingerprint: str) -> IdempotencyClaim:
        """Atomically claim ``key`` or report its completed result / that it is in progress."""
        now = self._clock.now() if self._clock is not None else None
        with self._lock:
            stored = self._fingerprints.get(key)
            if stored is None:
                self._fingerprints[key] = fingerprint
                self._claimed_at[key] = now
                return _CLAIMED
            if stored != fingerprint:
                raise IdempotencyKeyReuseError(key, stored, fingerprint)
            result = self._results.get(key)
            if result is not None:
                return IdempotencyClaim(ClaimStatus.COMPLETED, dict(result))
            claimed_at = self._claimed_at[key]
            if now is not None and claimed_at is not None and now - claimed_at >= self._lease:
                self._claimed_at[key] = now
                return _CLAIMED
            return _IN_PROGRESS

    def complete(self, key: str, fingerprint: str, result: Mapping[str, Any]) -> None:
        """Record the result of a claimed key (the first result stays)."""
        with self._lock:
            stored = self._fingerprints.get(key)
            if stored is None:
                raise NotFoundError("idempotency key", key)
            if stored != fingerprint:
                raise IdempotencyKeyReuseError(key, stored, fingerprint)
            if key not in self._results:
                self._results[key] = dict(result)

    def release(self, key: str, fingerprint: str) -> None:
        """Drop an unfinished claim so it can be retried."""
        with self._lock:
            stored = self._fingerprints.get(key)
            if stored is not None and key not in self._results and stored == fingerprint:
                del self._fingerprints[key]
                del self._claimed_at[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._fingerprints)


class InMemoryPaymentRepository:
    """Thread-safe :class:`~commerce_core.ports.payments.PaymentRepository` (snapshots)."""

    def __init__(self) -> None:
        self._store: VersionedSnapshotStore[Payment] = VersionedSnapshotStore(
            "payment",
            Payment.to_snapshot,
            # the store keeps exactly what to_snapshot returned: rebuilt as our own snapshots
            Payment._from_own_snapshot,
            fresh_snapshots=True,
            plain_snapshots=True,
            readonly_rebuilds=True,
        )
        self._by_order: dict[str, tuple[str, ...]] = {}  # immutable: a new tuple per payment

    def get(self, payment_id: str) -> Payment:
        """Load an independent copy of a payment (``NotFoundError`` when absent)."""
        return self._store.get(payment_id)

    def version_of(self, payment_id: str) -> int:
        """The stored version of a payment (0 when absent), without loading it.

        The optional :class:`~commerce_core.ports.payments.PaymentVersions` capability: the
        payment service uses it, when a repository offers it, to tell whether a payment it kept
        is still the stored one (see :class:`~commerce_core.services.payments.PaymentService`).
        """
        return self._store.version_of(payment_id)

    def save(self, payment: Payment) -> None:
        """Store ``payment`` if nobody saved a newer version; bump ``payment.version``."""
        with self._store.lock:
            payment.version = self._store.save(payment.id, payment, payment.version)
            ids = self._by_order.get(payment.order_id)
            if ids is None:
                self._by_order[payment.order_id] = (payment.id,)
            elif payment.id not in ids:
                self._by_order[payment.order_id] = (*ids, payment.id)

    def for_order(self, order_id: str) -> list[Payment]:
        """Every payment of ``order_id``, oldest first."""
        with self._store.lock:
            ids = self._by_order.get(order_id, ())
        return [self._store.get(i) for i in ids]

    def all(self) -> list[Payment]:
        """Every stored payment."""
        return self._store.all()


class InMemoryTransactionLog:
    """Thread-safe, append-only :class:`~commerce_core.ports.payments.TransactionLog`.

    :meth:`entries` returns copies (frozen values); nothing in the adapter edits or deletes.
    """

    def __init__(self) -> None:
        # entry n (1-based) is records[n - 1] with hashes[n - 1], chained after hashes[n - 2]
        # (GENESIS_HASH for the first): the record and the hash text are what each entry holds
        # of its own, so no LogEntry is kept per entry; entries() builds the equal values
        self._records: list[TransactionRecord] = []
        self._hashes: list[str] = []
        self._lock = threading.Lock()

    def append(self, record: TransactionRecord) -> LogEntry:
        """Chain ``record`` after the head, atomically."""
        with self._lock:
            hashes = self._hashes
            previous = hashes[-1] if hashes else GENESIS_HASH
            entry = LogEntry(len(hashes) + 1, record, previous, chain_hash(previous, record))
            self._records.append(record)
            hashes.append(entry.hash)
            return entry

    def entries(self) -> Sequence[LogEntry]:
        """Every entry, oldest first."""
        with self._lock:
            records, hashes = list(self._records), list(self._hashes)
        previous = (GENESIS_HASH, *hashes)
        return tuple(
            LogEntry(sequence, record, previous[sequence - 1], digest)
            for sequence, (record, digest) in enumerate(zip(records, hashes, strict=True), 1)
        )

    def head(self) -> str:
        """The newest hash (``GENESIS_HASH`` when empty)."""
        with self._lock:
            return self._hashes[-1] if self._hashes else GENESIS_HASH


class InMemoryProcessedEventStore:
    """Thread-safe :class:`~commerce_core.ports.payments.ProcessedEventStore`."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def is_processed(self, event_id: str) -> bool:
        """Whether ``event_id`` was marked."""
        with self._lock:
            return event_id in self._ids

    def mark_processed(self, event_id: str) -> bool:
        """Mark ``event_id``; True only for the first caller."""
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids.add(event_id)
            return True
