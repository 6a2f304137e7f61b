"""Payment use cases: authorize, capture, void and refund through idempotency, retries and audit.

Every gateway operation of :class:`PaymentService` goes the same way:

1. load the payment and check the rule (over-capture, over-refund, wrong state: typed errors,
   nothing called, nothing stored);
2. derive the idempotency key from what the call does (order, payment, operation, amount, scope)
   and claim it in the :class:`IdempotencyStore` - a completed key replays its stored result
   without calling the gateway, a key held by a concurrent call raises
   :class:`IdempotencyInProgressError`;
3. call the gateway, retrying transient failures per the :class:`RetryPolicy` (sleeping through
   the injected sleeper with full jitter from the injected random source), appending every attempt
   to the hash-chained :class:`TransactionLog`;
4. record the final result in the idempotency store (a transient failure releases the key so a
   later call may try again), apply it to the payment and save it with its version
   (retrying version conflicts), then hand the payment's events to ``on_events``.

:class:`PaymentWebhookHandler` verifies, deduplicates and applies provider webhooks.
"""

from __future__ import annotations

import enum
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import attrs

from commerce_core.domain.events import DomainEvent
from commerce_core.domain.payment import (
    Payment,
    PaymentStatus,
    PaymentSummary,
    ProviderEvent,
    parse_provider_event,
)
from commerce_core.domain.payment_gateway import (
    Approved,
    AuthorizeRequest,
    CaptureRequest,
    ClaimStatus,
    DeclineCode,
    Declined,
    GatewayOutcome,
    GatewayRequest,
    GatewayResult,
    PaymentMethod,
    PaymentOperation,
    RefundRequest,
    RequiredAction,
    RequiresAction,
    RetryPolicy,
    TransientFailure,
    VoidRequest,
    _key_of_text,
    amount_key,
    idempotency_key,
    result_from_data,
    result_to_data,
)
from commerce_core.domain.transaction_log import TransactionRecord
from commerce_core.errors import (
    ConcurrencyConflictError,
    IdempotencyInProgressError,
    IdempotencyKeyReuseError,
    NotFoundError,
)
from commerce_core.money import Money
from commerce_core.ports.clock import Clock
from commerce_core.ports.ids import IdFactory
from commerce_core.ports.payments import (
    IdempotencyStore,
    PaymentGateway,
    PaymentRepository,
    ProcessedEventStore,
    Sleeper,
    TransactionLog,
    WebhookVerifier,
)
from commerce_core.ports.random import RandomSource
from commerce_core.services.retry import DEFAULT_CONFLICT_ATTEMPTS, retry_on_conflict

__all__ = [
    "PaymentResult",
    "PaymentService",
    "WebhookOutcome",
    "WebhookResult",
    "PaymentWebhookHandler",
]

_LOG: Final = logging.getLogger("commerce_core.payments")

R = TypeVar("R", AuthorizeRequest, CaptureRequest, VoidRequest, RefundRequest)

EventSink = Callable[[Sequence[DomainEvent]], None]


@attrs.frozen
class PaymentResult:
    """What a payment operation did: the gateway's answer and the payment afterwards.

    Attributes:
        payment_id: the payment.
        operation: authorize, capture, void or refund.
        result: the final gateway answer (``Approved``, ``Declined``, ``RequiresAction`` or
            ``TransientFailure`` after the retries ran out).
        status: the payment's state after applying it.
        amount: the amount the operation asked for (None for a void).
        authorized: the payment's authorized total afterwards.
        captured: the payment's captured total afterwards.
        refunded: the payment's refunded total afterwards.
        idempotency_key: the key the gateway call carried.
        attempts: gateway calls made by this invocation (0 when replayed).
        replayed: whether the result came from the idempotency store, without a gateway call.
    """

    payment_id: str
    operation: PaymentOperation
    result: GatewayResult
    status: PaymentStatus
    amount: Money | None
    authorized: Money
    captured: Money
    refunded: Money
    idempotency_key: str
    attempts: int
    replayed: bool

    @property
    def outcome(self) -> GatewayOutcome:
        """approved, declined, requires_action or transient_failure."""
        return self.result.outcome

    @property
    def approved(self) -> bool:
        """Whether the gateway approved."""
        return isinstance(self.result, Approved)

    @property
    def decline_code(self) -> DeclineCode | None:
        """Why it was declined, when it was."""
        return self.result.code if isinstance(self.result, Declined) else None

    @property
    def required_action(self) -> RequiredAction | None:
        """What the customer must do, when the gateway asks for an action."""
        return self.result.action if isinstance(self.result, RequiresAction) else None

    @property
    def is_transient(self) -> bool:
        """Whether the gateway was still unavailable after every retry (safe to try later)."""
        return isinstance(self.result, TransientFailure)


def _default_sleep(seconds: float) -> None:
    time.sleep(seconds)


_RANDOM = random.Random()  # noqa: S311 - jitter, not security


class PaymentService:
    """Payment use cases over the ports. Thread-safe when its ports are.

    Args:
        gateway: the payment provider.
        payments: where Payment aggregates live (optimistic versioning); one that is also a
            :class:`~commerce_core.ports.payments.PaymentVersions` lets an operation start from
            the payment the last one saved while it is still the stored version.
        idempotency: request fingerprints and results by idempotency key.
        log: the hash-chained audit trail of gateway calls.
        clock: the time source.
        ids: makes payment ids.
        retry: how transient gateway failures are retried.
        sleeper: waits between retries (``time.sleep`` by default).
        random: the jitter's :class:`~commerce_core.ports.random.RandomSource` (a private
            ``random.Random()`` by default).
        on_events: receives the domain events of each saved change (an outbox, a bus...).
    """

    def __init__(
        self,
        *,
        gateway: PaymentGateway,
        payments: PaymentRepository,
        idempotency: IdempotencyStore,
        log: TransactionLog,
        clock: Clock,
        ids: IdFactory,
        retry: RetryPolicy | None = None,
        sleeper: Sleeper = _default_sleep,
        random: RandomSource = _RANDOM,
        on_events: EventSink | None = None,
    ) -> None:
        self._gateway = gateway
        self._payments = payments
        self._idempotency = idempotency
        self._log = log
        self._clock = clock
        self._ids = ids
        self._retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleeper
        self._random = random
        self._on_events = on_events
        # The optional :class:`PaymentVersions` capability, found by looking the method up (not
        # by ``isinstance``: from Python 3.12 a runtime protocol check no longer sees a method a
        # wrapper forwards through ``__getattr__``, as fault injectors and tracing proxies do).
        version_of = getattr(payments, "version_of", None)
        self._version_of: Callable[[str], int] | None = version_of if callable(version_of) else None
        """The repository's optional ``version_of`` (:class:`PaymentVersions`), else None."""
        self._kept: Payment | None = None
        """The payment the last operation left saved (or unchanged), held by nobody else.

        The next operation on that payment starts from it instead of reading it again, only if
        the repository's ``version_of`` says it is still the stored version (the repository
        bumps the version on every save, and nothing changes a kept payment): a stale copy is
        read again and never reaches the gateway. Taken out under ``_kept_lock``, so one
        operation at a time uses it.
        """
        self._kept_lock = threading.Lock()

    # -- queries --

    def get(self, payment_id: str) -> Payment:
        """Load a payment (``NotFoundError`` when absent)."""
        return self._payments.get(payment_id)

    def summary(self, order_id: str, currency: str) -> PaymentSummary:
        """Totals across every payment of ``order_id`` (split tender)."""
        return PaymentSummary.of(self._payments.for_order(order_id), currency)

    # -- use cases --

    def open_payment(
        self,
        order_id: str,
        amount: Money,
        method: PaymentMethod,
        *,
        payment_id: str | None = None,
    ) -> Payment:
        """Create and save a payment in ``created``; nothing is sent to the gateway yet.

        With an explicit ``payment_id`` (derive it from your own idempotency key) the call is
        idempotent: an existing payment with that id and the same order, amount and token is
        returned as is.

        Raises:
            InvalidAmountError: ``amount`` is not positive.
            IdempotencyKeyReuseError: ``payment_id`` exists with another order, amount or token.
        """
        now = self._clock.now()
        if payment_id is None:
            payment = Payment.create(self._ids.new_id("pay"), order_id, amount, method, now=now)
            self._payments.save(payment)
            self._publish(payment)
            return payment
        try:
            payment = Payment.create(payment_id, order_id, amount, method, now=now)
        except Exception:  # noqa: BLE001 - raised again below unless the id is taken
            # A refused amount: a payment already saved under this id answers first, as before.
            return self._open_existing(payment_id, order_id, amount, method)
        try:
            # Saving at version 0 inserts only if the id is free (atomic in the repository):
            # no read, and no NotFoundError raised and caught, for a new payment.
            self._payments.save(payment)
        except ConcurrencyConflictError:
            return self._open_existing(payment_id, order_id, amount, method)
        self._publish(payment)
        return payment

    def _open_existing(
        self, payment_id: str, order_id: str, amount: Money, method: PaymentMethod
    ) -> Payment:
        """:meth:`open_payment` of an id that may be taken: the saved payment, if the same."""
        try:
            existing = self._payments.get(payment_id)
        except NotFoundError:
            # Not saved (``Payment.create`` refused the amount): let it raise its error.
            payment = Payment.create(payment_id, order_id, amount, method, now=self._clock.now())
            self._payments.save(payment)
            self._publish(payment)
            return payment
        same = (existing.order_id, existing.amount, existing.method.token) == (
            order_id,
            amount,
            method.token,
        )
        if not same:
            raise IdempotencyKeyReuseError(payment_id, "existing payment", "new payment")
        return existing

    def authorize(self, payment_id: str) -> PaymentResult:
        """Authorize a payment's full amount, retrying transient failures.

        Replaying it after it completed returns the stored result without a gateway call.

        Raises:
            NotFoundError: no such payment.
            InvalidTransitionError: the payment was already submitted with another outcome.
            IdempotencyInProgressError: the same authorization is running concurrently.
        """
        return self._authorize(self._load(payment_id))

    def _authorize(self, payment: Payment) -> PaymentResult:
        """:meth:`authorize` of a payment this service just loaded or saved.

        A stale one loses the version race when its result is applied, and the stored payment
        is read again (``_apply``).
        """
        amount_text = amount_key(payment.amount)  # written once: for the key and the request
        key = _key_of_text(
            str(PaymentOperation.AUTHORIZE), payment.order_id, payment.id, amount_text, ""
        )
        if key not in payment.applied_keys:
            payment.ensure_can_authorize()
        request = AuthorizeRequest._of_key(
            key,
            payment.id,
            payment.order_id,
            payment.amount,
            payment.method,
            amount_text=amount_text,
        )
        return self._execute(
            payment,
            request,
            payment.amount,
            self._gateway.authorize,
            lambda p, r: p.record_authorization(r, key=key, now=self._clock.now()),
        )

    def pay(
        self,
        order_id: str,
        amount: Money,
        method: PaymentMethod,
        *,
        payment_id: str | None = None,
    ) -> PaymentResult:
        """:meth:`open_payment` then :meth:`authorize`: one tender of an order, authorized."""
        payment = self.open_payment(order_id, amount, method, payment_id=payment_id)
        return self._authorize(payment)  # the payment just opened (or found): no second read

    def capture(
        self, payment_id: str, amount: Money | None = None, *, scope: str = ""
    ) -> PaymentResult:
        """Capture ``amount`` (default: everything still capturable) of an authorized payment.

        Args:
            payment_id: the payment.
            amount: how much; None for all that is capturable.
            scope: what makes this capture distinct (a shipment id). Calls with the same payment,
                amount and scope are one operation: a replay returns the first result. Without a
                scope the key includes the total captured so far, so a retry of an unsaved
                attempt reuses its key while a deliberate second capture gets a new one.

        Raises:
            OverCaptureError: ``amount`` exceeds what is capturable (nothing called or stored).
            InvalidTransitionError: the payment is not in a capturable state.
        """
        payment = self._load(payment_id)
        wanted = amount if amount is not None else payment.capturable
        amount_text = amount_key(wanted)  # written once: for the key and the request
        key = _key_of_text(
            str(PaymentOperation.CAPTURE),
            payment.order_id,
            payment.id,
            amount_text,
            scope or f"after:{amount_key(payment.captured)}",
        )
        if key not in payment.applied_keys:
            payment.ensure_can_capture(wanted)
        request = CaptureRequest._of_key(
            key, payment.id, payment.reference or "", wanted, amount_text=amount_text
        )
        return self._execute(
            payment,
            request,
            wanted,
            self._gateway.capture,
            lambda p, r: p.record_capture(wanted, r, key=key, now=self._clock.now()),
        )

    def void(self, payment_id: str, *, scope: str = "") -> PaymentResult:
        """Release what is authorized and not captured.

        Before any capture the whole authorization is voided (a checkout rolling back); after
        partial captures the uncaptured rest is released and the payment becomes ``captured``.
        A refused void is the stored answer of its key: pass a new ``scope`` to ask again.

        Raises:
            InvalidTransitionError: everything was captured, refunds began, or the payment is
                final.
        """
        payment = self._load(payment_id)
        key = idempotency_key(
            order_id=payment.order_id,
            payment_id=payment.id,
            operation=PaymentOperation.VOID,
            scope=scope,
        )
        if key not in payment.applied_keys:
            payment.ensure_can_void()
        request = VoidRequest(key, payment.id, payment.reference or "")
        return self._execute(
            payment,
            request,
            None,
            self._gateway.void,
            lambda p, r: p.record_void(r, key=key, now=self._clock.now()),
        )

    def refund(
        self, payment_id: str, amount: Money | None = None, *, scope: str = ""
    ) -> PaymentResult:
        """Refund ``amount`` (default: everything captured and not yet refunded).

        ``scope`` works as for :meth:`capture` (pass the return's id).

        Raises:
            OverRefundError: ``amount`` exceeds what is refundable (nothing called or stored).
            InvalidTransitionError: nothing was captured.
        """
        payment = self._load(payment_id)
        wanted = amount if amount is not None else payment.refundable
        key = idempotency_key(
            order_id=payment.order_id,
            payment_id=payment.id,
            operation=PaymentOperation.REFUND,
            amount=wanted,
            scope=scope or f"after:{amount_key(payment.refunded)}",
        )
        if key not in payment.applied_keys:
            payment.ensure_can_refund(wanted)
        request = RefundRequest(key, payment.id, payment.reference or "", wanted)
        return self._execute(
            payment,
            request,
            wanted,
            self._gateway.refund,
            lambda p, r: p.record_refund(wanted, r, key=key, now=self._clock.now()),
        )

    # -- the shared pipeline --

    def _load(self, payment_id: str) -> Payment:
        """The stored payment ``payment_id``: the kept one while it is the stored version.

        Equal to ``self._payments.get(payment_id)``: the kept payment is the one the last
        operation saved at its version (or left unchanged at the version it read) and nothing
        has changed since, so while the stored version is still its version, the stored
        snapshot is its snapshot. Otherwise (another payment kept, a newer version stored, a
        repository that is no :class:`PaymentVersions`) the payment is read.
        """
        with self._kept_lock:
            kept = self._kept
            if kept is not None and kept.id == payment_id:
                self._kept = None  # one operation at a time changes it
            else:
                kept = None
        version_of = self._version_of
        if kept is not None and version_of is not None and version_of(payment_id) == kept.version:
            return kept
        return self._payments.get(payment_id)

    def _execute(
        self,
        payment: Payment,
        request: R,
        amount: Money | None,
        call: Callable[[R], GatewayResult],
        apply: Callable[[Payment, GatewayResult], bool],
    ) -> PaymentResult:
        key = request.idempotency_key
        fingerprint = request.fingerprint()
        claim = self._idempotency.claim(key, fingerprint)
        attempts = 0
        if claim.status is ClaimStatus.COMPLETED and claim.result is not None:
            result = result_from_data(claim.result)
        elif claim.status is ClaimStatus.IN_PROGRESS:
            raise IdempotencyInProgressError(key)
        else:
            try:
                result, attempts = self._call_with_retries(payment, request, amount, call)
            except BaseException:
                self._idempotency.release(key, fingerprint)
                raise
            if isinstance(result, TransientFailure):
                self._idempotency.release(key, fingerprint)
            else:
                self._idempotency.complete(key, fingerprint, result_to_data(result))
        saved = self._apply(payment, apply, result)
        _LOG.debug(
            "payment %s %s -> %s (key %s, attempts %d)",
            saved.id,
            request.operation,
            result.outcome,
            key,
            attempts,
        )
        done = PaymentResult(
            payment_id=saved.id,
            operation=request.operation,
            result=result,
            status=saved.status,
            amount=amount,
            authorized=saved.authorized,
            captured=saved.captured,
            refunded=saved.refunded,
            idempotency_key=key,
            attempts=attempts,
            replayed=claim.status is ClaimStatus.COMPLETED,
        )
        self._kept = saved  # saved (or unchanged) and no longer used here: see _load
        return done

    def _call_with_retries(
        self,
        payment: Payment,
        request: R,
        amount: Money | None,
        call: Callable[[R], GatewayResult],
    ) -> tuple[GatewayResult, int]:
        attempt = 0
        while True:
            attempt += 1
            result = call(request)
            self._audit(payment, request, amount, attempt, result)
            if not self._retry.should_retry(result, attempt):
                return result, attempt
            self._sleep(self._retry.delay(attempt, self._random.random()))

    def _audit(
        self,
        payment: Payment,
        request: GatewayRequest,
        amount: Money | None,
        attempt: int,
        result: GatewayResult,
    ) -> None:
        reference: str | None = None
        if isinstance(result, Approved):  # the usual answer first
            detail, reference = "", result.reference
        elif isinstance(result, Declined):
            detail = str(result.code)
        elif isinstance(result, RequiresAction):
            detail, reference = result.action.kind, result.reference
        else:
            detail = result.reason
        method = payment.method
        self._log.append(
            TransactionRecord(
                recorded_at=self._clock.now(),
                payment_id=payment.id,
                order_id=payment.order_id,
                operation=str(request.operation),
                idempotency_key=request.idempotency_key,
                attempt=attempt,
                amount=amount,
                outcome=str(result.outcome),
                detail=detail,
                reference=reference or payment.reference,
                method_kind=method.kind,
                card=method.card,
            )
        )

    def _apply(
        self,
        loaded: Payment,
        apply: Callable[[Payment, GatewayResult], bool],
        result: GatewayResult,
    ) -> Payment:
        try:  # the payment this call holds, saved without reading it again
            return self._apply_to(loaded, apply, result)
        except ConcurrencyConflictError:
            pass  # it lost the version race: read the stored one, for the remaining attempts
        return retry_on_conflict(
            lambda: self._apply_to(self._payments.get(loaded.id), apply, result),
            attempts=DEFAULT_CONFLICT_ATTEMPTS - 1,
        )

    def _apply_to(
        self,
        payment: Payment,
        apply: Callable[[Payment, GatewayResult], bool],
        result: GatewayResult,
    ) -> Payment:
        if apply(payment, result):
            self._payments.save(payment)
            self._publish(payment)
        return payment

    def _publish(self, payment: Payment) -> None:
        events = payment.collect_events()
        if events and self._on_events is not None:
            self._on_events(events)


class WebhookOutcome(enum.StrEnum):
    """What the webhook handler did with an event."""

    APPLIED = "applied"
    """The event moved the payment forward."""
    NO_CHANGE = "no_change"
    """The payment already reflected it (a late or out-of-order event)."""
    DUPLICATE = "duplicate"
    """The event id was processed before."""
    IGNORED = "ignored"
    """An event type the library does not handle (marked processed)."""
    UNKNOWN_PAYMENT = "unknown_payment"
    """No payment with that id is saved yet (a webhook racing checkout). Not marked processed:
    answer the provider with a retryable status (e.g. 409 or 503) so that it redelivers."""


@attrs.frozen
class WebhookResult:
    """The handler's answer for one delivery.

    Acknowledge it to the provider (2xx) unless the outcome is
    :attr:`WebhookOutcome.UNKNOWN_PAYMENT`: then answer with a retryable status so the provider
    delivers it again once the payment is saved.

    Attributes:
        event_id: the provider's event id.
        outcome: what was done.
        status: the payment's state afterwards, when the payment is known.
    """

    event_id: str
    outcome: WebhookOutcome
    status: PaymentStatus | None = None


class PaymentWebhookHandler:
    """Verifies, deduplicates and applies provider webhooks to payments.

    Args:
        verifier: authenticates the signature header.
        payments: the payment repository.
        processed: remembers processed event ids.
        clock: the time source for the events recorded on payments.
        parser: turns an authenticated body into a :class:`ProviderEvent`
            (:func:`parse_provider_event` by default).
        on_events: receives the domain events of each change.
    """

    def __init__(
        self,
        *,
        verifier: WebhookVerifier,
        payments: PaymentRepository,
        processed: ProcessedEventStore,
        clock: Clock,
        parser: Callable[[bytes], ProviderEvent] = parse_provider_event,
        on_events: EventSink | None = None,
    ) -> None:
        self._verifier = verifier
        self._payments = payments
        self._processed = processed
        self._clock = clock
        self._parser = parser
        self._on_events = on_events

    def handle(self, signature_header: str, body: bytes) -> WebhookResult:
        """Verify and apply one delivery.

        An event for a payment that is not saved yet returns ``UNKNOWN_PAYMENT`` and is not
        marked processed, so the provider's redelivery is applied later rather than lost.

        Raises:
            InvalidWebhookSignatureError: the signature does not authenticate the body (answer
                the provider with a 400; nothing was changed).
            InvalidWebhookPayloadError: an authentic body the parser cannot read.
        """
        self._verifier.verify(signature_header, body)
        event = self._parser(body)
        if self._processed.is_processed(event.event_id):
            return WebhookResult(event.event_id, WebhookOutcome.DUPLICATE)
        if event.kind is None:
            self._processed.mark_processed(event.event_id)
            return WebhookResult(event.event_id, WebhookOutcome.IGNORED)

        def use_case() -> tuple[bool, Payment]:
            payment = self._payments.get(event.payment_id)
            changed = payment.apply_provider_event(event, now=self._clock.now())
            if changed:
                self._payments.save(payment)
                events = payment.collect_events()
                if events and self._on_events is not None:
                    self._on_events(events)
            return changed, payment

        try:
            changed, payment = retry_on_conflict(use_case)
        except NotFoundError:
            # Not marked processed: the redelivery must be applied once the payment exists.
            return WebhookResult(event.event_id, WebhookOutcome.UNKNOWN_PAYMENT)
        self._processed.mark_processed(event.event_id)
        outcome = WebhookOutcome.APPLIED if changed else WebhookOutcome.NO_CHANGE
        return WebhookResult(event.event_id, outcome, payment.status)
