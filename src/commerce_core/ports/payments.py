"""Payment ports: the gateway, idempotency, payments, the audit log and webhook intake.

A host implements :class:`PaymentGateway` for its provider (Stripe, Adyen, PayPal...) and backs
the stores with its database. Each port has a contract suite in
:mod:`commerce_core.testing.contracts.payments` that the in-memory adapters pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

from commerce_core.domain.payment import Payment
from commerce_core.domain.payment_gateway import (
    AuthorizeRequest,
    CaptureRequest,
    GatewayResult,
    IdempotencyClaim,
    RefundRequest,
    VoidRequest,
)
from commerce_core.domain.transaction_log import LogEntry, TransactionRecord

__all__ = [
    "PaymentGateway",
    "IdempotencyStore",
    "PaymentRepository",
    "PaymentVersions",
    "TransactionLog",
    "WebhookVerifier",
    "ProcessedEventStore",
    "Sleeper",
]

Sleeper: TypeAlias = Callable[[float], None]
"""Waits the given number of seconds (``time.sleep`` in production, a recorder in tests)."""


@runtime_checkable
class PaymentGateway(Protocol):
    """A payment provider. Only tokens cross it; every call carries an idempotency key.

    Every method returns a value for every business outcome: :class:`Approved`,
    :class:`Declined` (with a decline code), :class:`RequiresAction` (authorize only: what the
    customer must do) or :class:`TransientFailure` (a timeout, rate limit or outage: the same
    request may be retried). Adapters translate their provider's errors into these values; an
    exception means a bug or a misconfiguration, not a declined card.

    Idempotency: a request repeated with the same ``idempotency_key`` returns the first answer
    and moves no money twice (pass the key to the provider's own idempotency mechanism).
    Capture and refund may be partial; the gateway declines
    (``DeclineCode.AMOUNT_EXCEEDS_AUTHORIZATION``) a capture above the uncaptured authorization or
    a refund above the unrefunded capture.
    """

    def authorize(self, request: AuthorizeRequest) -> GatewayResult:
        """Hold ``request.amount`` on ``request.method``; an approval carries the reference."""
        ...

    def capture(self, request: CaptureRequest) -> GatewayResult:
        """Capture all or part of the authorization ``request.reference``."""
        ...

    def void(self, request: VoidRequest) -> GatewayResult:
        """Release the uncaptured authorization ``request.reference``."""
        ...

    def refund(self, request: RefundRequest) -> GatewayResult:
        """Refund all or part of what was captured on ``request.reference``."""
        ...


@runtime_checkable
class IdempotencyStore(Protocol):
    """Remembers each idempotency key's request fingerprint and final result.

    Atomicity: :meth:`claim` is one atomic operation (an ``INSERT`` guarded by a unique key in
    SQL): of several concurrent claims of a new key exactly one gets ``CLAIMED``; the others get
    ``IN_PROGRESS`` until it completes (then ``COMPLETED`` with the result) or releases the key.
    A claim may expire after a lease chosen by the adapter, so a crashed caller does not block
    the key forever.
    """

    def claim(self, key: str, fingerprint: str) -> IdempotencyClaim:
        """Claim ``key`` for the request with ``fingerprint``, or report what holds it.

        Raises:
            IdempotencyKeyReuseError: ``key`` is held or completed with another fingerprint.
        """
        ...

    def complete(self, key: str, fingerprint: str, result: Mapping[str, Any]) -> None:
        """Record the final ``result`` (JSON primitives) of the claimed ``key``.

        Completing again with the same fingerprint is a no-op (the first result stays).

        Raises:
            IdempotencyKeyReuseError: ``key`` belongs to another fingerprint.
            NotFoundError: ``key`` was never claimed.
        """
        ...

    def release(self, key: str, fingerprint: str) -> None:
        """Give up an unfinished claim so a later call may retry (no-op when completed/absent)."""
        ...


@runtime_checkable
class PaymentRepository(Protocol):
    """Stores Payment aggregates with optimistic versioning.

    ``save`` stores the payment only if the stored version equals ``payment.version`` (0 for a
    new payment), then sets ``payment.version`` to the new version; otherwise it raises
    ``ConcurrencyConflictError`` and stores nothing. Loaded payments are independent copies.
    """

    def get(self, payment_id: str) -> Payment:
        """Load a payment. Raises ``NotFoundError`` when absent."""
        ...

    def save(self, payment: Payment) -> None:
        """Insert or update ``payment`` (see the version rule above)."""
        ...

    def for_order(self, order_id: str) -> list[Payment]:
        """Every payment of an order, oldest first (empty when none)."""
        ...


@runtime_checkable
class PaymentVersions(Protocol):
    """Optional capability of a :class:`PaymentRepository`: a payment's stored version, unloaded.

    ``version_of(payment_id)`` answers the version stored for the payment, 0 when it is absent.
    The version goes up by one on every ``save``, and ``save`` sets the saved payment's
    ``version`` to it; so a payment object whose ``version`` equals ``version_of`` of its id is
    the stored payment, as long as nothing changed that object since.

    :class:`~commerce_core.services.payments.PaymentService` opts in when its repository has a
    callable ``version_of`` (looked up as an attribute, so a wrapper that forwards it through
    ``__getattr__`` offers it too): an operation then starts from the
    payment its last operation saved, without reading it again, while it is still the stored
    version (a stale one is read again). A repository without it works as before: every
    operation reads the payment.
    """

    def version_of(self, payment_id: str) -> int:
        """The stored version of ``payment_id`` (0 when absent), without loading the payment."""
        ...


@runtime_checkable
class TransactionLog(Protocol):
    """An append-only, hash-chained audit trail of gateway calls.

    ``append`` is atomic: concurrent appends form one chain without gaps or forks (a
    transaction that reads the head and inserts the next entry, guarded by a unique sequence).
    Nothing is ever updated or deleted; ``verify_chain(log.entries())`` detects tampering.
    """

    def append(self, record: TransactionRecord) -> LogEntry:
        """Append ``record`` after the current head and return its chained entry."""
        ...

    def entries(self) -> Sequence[LogEntry]:
        """Every entry, oldest first."""
        ...

    def head(self) -> str:
        """The newest entry's hash (``GENESIS_HASH`` when empty).

        Keep it elsewhere to detect a truncated tail.
        """
        ...


@runtime_checkable
class WebhookVerifier(Protocol):
    """Authenticates a provider webhook from its signature header and raw body.

    Stateless and side-effect free (time comes from a Clock), so trivially idempotent: the same
    header and body get the same answer until the clock moves the signature out of tolerance.
    Signatures are compared in constant time (not observable by a test, but required).
    :class:`~commerce_core.testing.contracts.WebhookVerifierContract` checks an adapter.
    """

    def verify(self, signature_header: str, body: bytes) -> None:
        """Return when the body is authentic: signed with the endpoint's secret, recently.

        Accepted: a header the provider made for exactly ``body`` with the secret, whose
        signing time is within the adapter's tolerance of the Clock's now (either side).

        Raises:
            InvalidWebhookSignatureError: with the reason it was rejected: a body changed
                after signing, a signature made with another secret, a signing time older or
                newer than the tolerance (a replayed delivery), or a missing, empty or garbled
                header.
        """
        ...


@runtime_checkable
class ProcessedEventStore(Protocol):
    """Remembers which provider event ids were processed (webhook deduplication).

    ``mark_processed`` is atomic: of concurrent calls with one event id exactly one returns True.
    """

    def is_processed(self, event_id: str) -> bool:
        """Whether ``event_id`` was marked processed."""
        ...

    def mark_processed(self, event_id: str) -> bool:
        """Mark ``event_id`` processed; True for the first caller, False afterwards."""
        ...
