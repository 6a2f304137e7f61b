"""The Payment aggregate: one tender of an order, its lifecycle and its money invariants.

A payment moves through :data:`PAYMENT_TRANSITIONS` (one :class:`TransitionTable`)::

    created -> requires_action -> authorized -> partially_captured / captured
            -> partially_refunded / refunded;   voided;   failed

A void before any capture releases the authorization (``voided``). A void after partial
captures releases only the rest: the authorization shrinks to what was captured and the payment
is ``captured`` (its captured money stays refundable).

and keeps three running totals with two invariants: ``captured <= authorized`` and
``refunded <= captured``. An over-capture or over-refund raises a typed error and changes
nothing. Gateway answers are applied with ``record_*`` methods, each at most once per idempotency
key. Provider webhooks are applied monotonically (:meth:`Payment.apply_provider_event`): a late
"authorized" after "captured" moves nothing back.

An order may hold several payments (split tender: a gift card and a card);
:class:`PaymentSummary` totals them and derives the order's :class:`OrderPaymentStatus`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs

from commerce_core.domain.events import DomainEvent, EventRecorder
from commerce_core.domain.payment_gateway import (
    Approved,
    DeclineCode,
    Declined,
    GatewayResult,
    PaymentMethod,
    PaymentOperation,
    RequiredAction,
    RequiresAction,
    TransientFailure,
)
from commerce_core.domain.payment_status import (
    OrderPaymentStatus,
    derive_order_payment_status,
)
from commerce_core.domain.state_machine import TransitionTable
from commerce_core.errors import (
    CommerceError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidWebhookPayloadError,
    OverCaptureError,
    OverRefundError,
)
from commerce_core.money import (
    Money,
    currency_of,
    money,
    money_from_data,
    to_minor,
    zero,
)

__all__ = [
    "PaymentStatus",
    "PAYMENT_TRANSITIONS",
    "Payment",
    "PaymentCreated",
    "PaymentActionRequired",
    "PaymentAuthorized",
    "PaymentFailed",
    "PaymentCaptured",
    "PaymentVoided",
    "PaymentRefunded",
    "PaymentOperationDeclined",
    "ProviderEventKind",
    "ProviderEvent",
    "parse_provider_event",
    "PaymentSummary",
]


class PaymentStatus(enum.StrEnum):
    """Where a payment is in its lifecycle."""

    CREATED = "created"
    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"


S = PaymentStatus

PAYMENT_TRANSITIONS: Final = TransitionTable(
    machine="payment",
    initial=S.CREATED,
    edges={
        S.CREATED: {S.REQUIRES_ACTION, S.AUTHORIZED, S.FAILED},
        S.REQUIRES_ACTION: {S.AUTHORIZED, S.FAILED, S.VOIDED},
        S.AUTHORIZED: {S.PARTIALLY_CAPTURED, S.CAPTURED, S.VOIDED},
        S.PARTIALLY_CAPTURED: {
            S.PARTIALLY_CAPTURED,
            S.CAPTURED,
            S.PARTIALLY_REFUNDED,
            S.REFUNDED,
        },
        S.CAPTURED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
        S.PARTIALLY_REFUNDED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
        S.REFUNDED: set(),
        S.VOIDED: set(),
        S.FAILED: set(),
    },
    terminal={S.REFUNDED, S.VOIDED, S.FAILED},
)
"""The payment lifecycle as data. Capturing stops once refunds begin; partial states loop.

``partially_captured -> captured`` is also how a void of the uncaptured rest ends."""

_PROGRESS: Final = {state: rank for rank, state in enumerate(PaymentStatus)}

# The table's edges, read directly on the hot path; a refused move still goes through
# PAYMENT_TRANSITIONS.check, which raises its error.
_EDGES: Final = PAYMENT_TRANSITIONS.edges


# --- events ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _PaymentEvent(DomainEvent):
    payment_id: str
    order_id: str


@attrs.frozen(kw_only=True)
class PaymentCreated(_PaymentEvent):
    """A payment was started for an order."""

    amount: Money
    method_kind: str


@attrs.frozen(kw_only=True)
class PaymentActionRequired(_PaymentEvent):
    """The customer must complete an action (3-D Secure) before the authorization completes."""

    action_kind: str


@attrs.frozen(kw_only=True)
class PaymentAuthorized(_PaymentEvent):
    """An amount was authorized (possibly less than requested: a partial approval)."""

    amount: Money


@attrs.frozen(kw_only=True)
class PaymentFailed(_PaymentEvent):
    """The authorization was declined (or the required action failed)."""

    decline_code: str


@attrs.frozen(kw_only=True)
class PaymentCaptured(_PaymentEvent):
    """An amount was captured; ``captured_total`` is the running total."""

    amount: Money
    captured_total: Money


@attrs.frozen(kw_only=True)
class PaymentVoided(_PaymentEvent):
    """The authorization was released.

    All of it before any capture (``released`` is None), or what remained uncaptured after
    partial captures (``released`` is that amount; the payment is then ``captured``).
    """

    released: Money | None = None


@attrs.frozen(kw_only=True)
class PaymentRefunded(_PaymentEvent):
    """An amount was refunded; ``refunded_total`` is the running total."""

    amount: Money
    refunded_total: Money


@attrs.frozen(kw_only=True)
class PaymentOperationDeclined(_PaymentEvent):
    """A capture, void or refund was declined by the gateway; the payment did not change."""

    operation: str
    decline_code: str


# --- provider events (webhooks) ----------------------------------------------------------------


class ProviderEventKind(enum.StrEnum):
    """The provider event types the library understands (others are ignored safely)."""

    AUTHORIZED = "payment.authorized"
    CAPTURED = "payment.captured"
    REFUNDED = "payment.refunded"
    VOIDED = "payment.voided"
    FAILED = "payment.failed"


@attrs.frozen
class ProviderEvent:
    """A verified, parsed provider webhook event.

    Attributes:
        event_id: the provider's unique event id (deduplication key).
        event_type: the provider's type string; see :class:`ProviderEventKind`.
        payment_id: our payment id (from the provider's metadata).
        amount: for ``authorized`` the amount authorized; for ``captured`` and ``refunded`` the
            provider's *cumulative* total, which makes out-of-order delivery harmless.
        occurred_at: when the provider says it happened.
    """

    event_id: str
    event_type: str
    payment_id: str
    amount: Money | None
    occurred_at: datetime

    @property
    def kind(self) -> ProviderEventKind | None:
        """The understood kind, or None for an event type the library ignores."""
        try:
            return ProviderEventKind(self.event_type)
        except ValueError:
            return None


# --- the aggregate ------------------------------------------------------------------------------


def _amount(value: Money, currency: str, what: str) -> Money:
    if not isinstance(value, Money):
        raise InvalidAmountError(value, f"{what} must be Money")
    if currency_of(value) != currency:
        raise CurrencyMismatchError(currency, currency_of(value), context=f"payment {what}")
    if value.amount <= 0:
        raise InvalidAmountError(value, f"{what} must be positive")
    return value


def _on_grid(value: Money) -> bool:
    try:
        to_minor(value)
    except InvalidAmountError:
        return False
    return True


def _text(value: Money) -> str:
    return f"{value.amount} {currency_of(value)}"


def _money_like(data: Any, like: Money) -> Money:
    """``money_from_data(data)`` for a total stored in the currency of ``like``.

    A snapshot's totals share the payment's currency, already resolved for its amount: an
    amount written as :func:`~commerce_core.money.money_to_data` writes it in that currency is
    rebuilt with it; anything else goes through ``money_from_data`` (and its errors).
    """
    if type(data) is dict and data.get("currency") == like.currency.code:
        text = data.get("amount")
        if type(text) is str:
            try:
                value = Decimal(text)
            except InvalidOperation:
                return money_from_data(data)
            if value.is_finite():
                return Money(value, like.currency)
    return money_from_data(data)


_TOTALS: Final = ("authorized", "captured", "refunded")

_STATUSES: Final[Mapping[str, PaymentStatus]] = {str(status): status for status in PaymentStatus}
"""Each status by its snapshot text (what ``PaymentStatus(text)`` finds, without the call)."""


def _totals(data: Mapping[str, Any], amount: Money) -> tuple[Money, Money, Money]:
    """The snapshot's totals, each as ``_money_like(data[name], amount)`` rebuilds it.

    A total written with the same text in the same currency as an amount already rebuilt (the
    payment's amount, usually its authorized and captured totals too; the zero of the totals
    not reached yet) is that same immutable Money: it is the value the rebuild would make.
    """
    code = amount.currency.code
    seen: dict[str, Money] = {}
    head = data["amount"]
    if type(head) is dict and head.get("currency") == code:
        text = head.get("amount")
        if type(text) is str:
            seen[text] = amount
    rebuilt: list[Money] = []
    for name in _TOTALS:
        total = data[name]
        text = (
            total.get("amount") if type(total) is dict and total.get("currency") == code else None
        )
        if type(text) is str:
            value = seen.get(text)
            if value is None:
                value = seen[text] = _money_like(total, amount)
        else:
            value = _money_like(total, amount)
        rebuilt.append(value)
    return rebuilt[0], rebuilt[1], rebuilt[2]


def _plus(total: Money, amount: Money) -> Money:
    """``total + amount`` for amounts of one currency (both checked), without Money's dispatch."""
    if total.currency is amount.currency:
        return total.__class__(total.amount + amount.amount, total.currency)
    return total + amount


def _minus(total: Money, amount: Money) -> Money:
    """``total - amount``, built as Money builds it (``total + (-amount)``) for one currency.

    Money's ``__sub__`` negates ``amount`` into a second Money and adds it into a third; for
    amounts of one currency object this adds the negated number directly (the same Decimal
    steps, so the same digits and sign, zeros included) and builds one Money.
    """
    if total.currency is amount.currency:
        return total.__class__(total.amount + -amount.amount, total.currency)
    return total - amount


def _zero_of_amount(payment: Payment) -> Money:
    return zero(payment.amount.currency)


@attrs.define(eq=False)
class Payment(EventRecorder):
    """One payment (tender) of an order. Build with :meth:`create` or :meth:`from_snapshot`.

    State is private and read through properties; every change goes through a method that checks
    the transition table and the money invariants and records an event.
    """

    id: str
    order_id: str
    amount: Money
    method: PaymentMethod
    created_at: datetime
    _status: PaymentStatus = PaymentStatus.CREATED
    _authorized: Money = attrs.field(default=attrs.Factory(_zero_of_amount, takes_self=True))
    _captured: Money = attrs.field(default=attrs.Factory(_zero_of_amount, takes_self=True))
    _refunded: Money = attrs.field(default=attrs.Factory(_zero_of_amount, takes_self=True))
    _reference: str | None = None
    _action: RequiredAction | None = None
    _decline_code: DeclineCode | None = None
    _applied: list[str] = attrs.field(factory=list)
    version: int = 0
    _events: list[DomainEvent] = attrs.field(factory=list, init=False, repr=False)
    _created_text: tuple[datetime, str] | None = attrs.field(default=None, init=False, repr=False)
    """``created_at`` and its ISO text, written once per payment (see :meth:`to_snapshot`)."""

    @classmethod
    def create(
        cls, payment_id: str, order_id: str, amount: Money, method: PaymentMethod, *, now: datetime
    ) -> Payment:
        """Start a payment of ``amount`` for ``order_id`` with a tokenized ``method``.

        Raises:
            InvalidAmountError: ``amount`` is not positive.
        """
        _amount(amount, currency_of(amount), "amount")
        nothing = zero(amount.currency)  # one zero for the three totals: Money is immutable
        payment = cls(
            payment_id, order_id, amount, method, now, S.CREATED, nothing, nothing, nothing
        )
        payment._record(
            PaymentCreated(
                occurred_at=now,
                payment_id=payment_id,
                order_id=order_id,
                amount=amount,
                method_kind=method.kind,
            )
        )
        return payment

    # -- read-only state --

    @property
    def status(self) -> PaymentStatus:
        """The lifecycle state."""
        return self._status

    @property
    def currency(self) -> str:
        """The ISO code of the payment's currency."""
        return currency_of(self.amount)

    @property
    def authorized(self) -> Money:
        """The amount authorized (0 before authorization)."""
        return self._authorized

    @property
    def captured(self) -> Money:
        """The running total captured."""
        return self._captured

    @property
    def refunded(self) -> Money:
        """The running total refunded."""
        return self._refunded

    @property
    def capturable(self) -> Money:
        """What may still be captured (``authorized - captured`` while capturing is allowed)."""
        if self._status in (S.AUTHORIZED, S.PARTIALLY_CAPTURED):
            return _minus(self._authorized, self._captured)
        return zero(self.amount.currency)

    @property
    def refundable(self) -> Money:
        """What may still be refunded (``captured - refunded``)."""
        return _minus(self._captured, self._refunded)

    @property
    def reference(self) -> str | None:
        """The provider's authorization reference, once the gateway gave one."""
        return self._reference

    @property
    def required_action(self) -> RequiredAction | None:
        """What the customer must do while the payment is ``requires_action``."""
        return self._action if self._status is S.REQUIRES_ACTION else None

    @property
    def decline_code(self) -> DeclineCode | None:
        """Why the authorization failed, when it did."""
        return self._decline_code

    @property
    def applied_keys(self) -> frozenset[str]:
        """Idempotency keys and provider event ids already applied to this payment."""
        return frozenset(self._applied)

    @property
    def is_open_authorization(self) -> bool:
        """Whether money is held but not captured (what a rollback must void)."""
        return self._status is S.AUTHORIZED

    # -- checks done before calling the gateway --

    def _move(self, target: PaymentStatus, reason: str = "") -> None:
        if target not in _EDGES.get(self._status, ()):
            PAYMENT_TRANSITIONS.check(self._status, target, reason=reason)  # raises
        self._status = target

    def _why_no_capture(self) -> str:
        if self._status in (S.PARTIALLY_REFUNDED, S.REFUNDED):
            return "capturing stops once refunds begin"
        if self._status is S.CAPTURED:
            return "everything authorized was captured"
        if self._status in (S.VOIDED, S.FAILED):
            return f"the payment is {self._status}"
        return "nothing authorized to capture"

    def _why_no_refund(self) -> str:
        if self._status is S.REFUNDED:
            return "everything captured was refunded"
        if self._status in (S.VOIDED, S.FAILED):
            return f"the payment is {self._status}"
        return "nothing captured to refund"

    def ensure_can_authorize(self) -> None:
        """Raise unless the payment was never sent to the gateway.

        Raises:
            InvalidTransitionError: the payment is past ``created``.
        """
        if self._status is not S.CREATED:
            raise InvalidTransitionError(
                "payment",
                str(self._status),
                str(S.AUTHORIZED),
                sorted(PAYMENT_TRANSITIONS.allowed(self._status)),
                "the payment was already submitted for authorization",
            )

    def ensure_can_capture(self, amount: Money) -> None:
        """Raise unless ``amount`` may be captured now.

        Raises:
            InvalidTransitionError: the state does not allow captures.
            CurrencyMismatchError / InvalidAmountError: a bad amount.
            OverCaptureError: ``amount`` exceeds :attr:`capturable`.
        """
        _amount(amount, self.currency, "capture")
        if S.CAPTURED not in _EDGES.get(self._status, ()):
            PAYMENT_TRANSITIONS.check(self._status, S.CAPTURED, reason=self._why_no_capture())
        authorized, captured = self._authorized, self._captured
        if amount.currency is authorized.currency is captured.currency:  # the usual case
            over = amount.amount > authorized.amount - captured.amount  # capturable, unbuilt
        else:
            over = amount > self.capturable
        if over:
            raise OverCaptureError(self.id, _text(amount), _text(self.capturable))

    def ensure_can_void(self) -> None:
        """Raise unless the authorization (or what remains of it) may be released.

        An uncaptured authorization voids entirely; after partial captures the uncaptured rest is
        released and the payment becomes ``captured``.

        Raises:
            InvalidTransitionError: the state does not allow a void.
        """
        if self._status is S.PARTIALLY_CAPTURED:
            PAYMENT_TRANSITIONS.check(self._status, S.CAPTURED)
            return
        PAYMENT_TRANSITIONS.check(
            self._status, S.VOIDED, reason="nothing authorized and uncaptured is left to release"
        )

    def ensure_can_refund(self, amount: Money) -> None:
        """Raise unless ``amount`` may be refunded now.

        Raises:
            InvalidTransitionError: nothing was captured.
            CurrencyMismatchError / InvalidAmountError: a bad amount.
            OverRefundError: ``amount`` exceeds :attr:`refundable`.
        """
        _amount(amount, self.currency, "refund")
        if S.REFUNDED not in _EDGES.get(self._status, ()):
            PAYMENT_TRANSITIONS.check(self._status, S.REFUNDED, reason=self._why_no_refund())
        if amount > self.refundable:
            raise OverRefundError(self.id, _text(amount), _text(self.refundable))

    # -- applying gateway answers (each at most once per idempotency key) --

    def _first_time(self, key: str) -> bool:
        if key in self._applied:
            return False
        self._applied.append(key)
        return True

    def record_authorization(self, result: GatewayResult, *, key: str, now: datetime) -> bool:
        """Apply the gateway's answer to the authorization; False when nothing changed.

        Approved -> ``authorized`` (for the approved amount, which may be partial); declined ->
        ``failed``; requires action -> ``requires_action``; a transient failure changes nothing.

        Raises:
            InvalidTransitionError: the payment is not awaiting authorization.
            InvalidAmountError / CurrencyMismatchError: an approval for more than requested.
        """
        if key in self._applied or isinstance(result, TransientFailure):
            return False
        self.ensure_can_authorize()
        if isinstance(result, Approved):
            approved = _amount(result.amount, self.currency, "authorization")
            if approved.amount > self.amount.amount:  # one currency: _amount checked it
                raise InvalidAmountError(result.amount, "approved more than requested")
            self._move(S.AUTHORIZED)
            self._authorized = approved
            self._reference = result.reference
            self._record(
                PaymentAuthorized(
                    occurred_at=now, amount=approved, payment_id=self.id, order_id=self.order_id
                )
            )
        elif isinstance(result, Declined):
            self._move(S.FAILED)
            self._decline_code = result.code
            self._record(
                PaymentFailed(
                    occurred_at=now,
                    decline_code=result.code,
                    payment_id=self.id,
                    order_id=self.order_id,
                )
            )
        elif isinstance(result, RequiresAction):
            self._move(S.REQUIRES_ACTION)
            self._reference = result.reference
            self._action = result.action
            self._record(
                PaymentActionRequired(
                    occurred_at=now,
                    action_kind=result.action.kind,
                    payment_id=self.id,
                    order_id=self.order_id,
                )
            )
        self._first_time(key)
        return True

    def _declined(self, operation: PaymentOperation, result: GatewayResult, now: datetime) -> None:
        code = result.code if isinstance(result, Declined) else DeclineCode.OTHER
        self._record(
            PaymentOperationDeclined(
                occurred_at=now,
                operation=str(operation),
                decline_code=str(code),
                payment_id=self.id,
                order_id=self.order_id,
            )
        )

    def _captured_status(self) -> PaymentStatus:
        captured, authorized = self._captured, self._authorized
        if captured.currency is authorized.currency:  # the usual case: compare the amounts
            done = captured.amount == authorized.amount
        else:
            done = captured == authorized
        return S.CAPTURED if done else S.PARTIALLY_CAPTURED

    def _refunded_status(self) -> PaymentStatus:
        return S.REFUNDED if self.refunded == self.captured else S.PARTIALLY_REFUNDED

    def record_capture(
        self, amount: Money, result: GatewayResult, *, key: str, now: datetime
    ) -> bool:
        """Apply the gateway's answer to a capture of ``amount``; False when nothing changed.

        Raises:
            OverCaptureError, InvalidTransitionError: the capture is not allowed (state unchanged).
        """
        if key in self._applied or isinstance(result, TransientFailure):
            return False
        if isinstance(result, Approved):
            self.ensure_can_capture(amount)
            self._captured = _plus(self._captured, amount)
            self._move(self._captured_status())
            self._record(
                PaymentCaptured(
                    occurred_at=now,
                    amount=amount,
                    captured_total=self.captured,
                    payment_id=self.id,
                    order_id=self.order_id,
                )
            )
        else:
            self._declined(PaymentOperation.CAPTURE, result, now)
        self._first_time(key)
        return True

    def record_void(self, result: GatewayResult, *, key: str, now: datetime) -> bool:
        """Apply the gateway's answer to a void; False when nothing changed.

        Before any capture the payment becomes ``voided``; after partial captures the uncaptured
        rest is released and it becomes ``captured`` (see :meth:`ensure_can_void`).

        Raises:
            InvalidTransitionError: the payment cannot be voided (state unchanged).
        """
        if key in self._applied or isinstance(result, TransientFailure):
            return False
        if isinstance(result, Approved):
            self.ensure_can_void()
            self._void(now)
        else:
            self._declined(PaymentOperation.VOID, result, now)
        self._first_time(key)
        return True

    def _void(self, now: datetime) -> None:
        if self._status is S.PARTIALLY_CAPTURED:
            released = _minus(self._authorized, self._captured)
            self._authorized = self.captured
            self._move(S.CAPTURED)
            self._record(
                PaymentVoided(
                    occurred_at=now,
                    payment_id=self.id,
                    order_id=self.order_id,
                    released=released,
                )
            )
        else:
            self._move(S.VOIDED)
            self._record(PaymentVoided(occurred_at=now, payment_id=self.id, order_id=self.order_id))

    def record_refund(
        self, amount: Money, result: GatewayResult, *, key: str, now: datetime
    ) -> bool:
        """Apply the gateway's answer to a refund of ``amount``; False when nothing changed.

        Raises:
            OverRefundError, InvalidTransitionError: the refund is not allowed (state unchanged).
        """
        if key in self._applied or isinstance(result, TransientFailure):
            return False
        if isinstance(result, Approved):
            self.ensure_can_refund(amount)
            self._refunded = self.refunded + amount
            self._move(self._refunded_status())
            self._record(
                PaymentRefunded(
                    occurred_at=now,
                    amount=amount,
                    refunded_total=self.refunded,
                    payment_id=self.id,
                    order_id=self.order_id,
                )
            )
        else:
            self._declined(PaymentOperation.REFUND, result, now)
        self._first_time(key)
        return True

    # -- provider events --

    def apply_provider_event(self, event: ProviderEvent, *, now: datetime) -> bool:
        """Apply a webhook event monotonically; False when it changes nothing.

        Amounts only grow (captured and refunded events carry cumulative totals, applied as a
        maximum), and the state only moves forward: a late ``authorized`` after ``captured``, a
        ``voided`` after a capture, or an event already applied changes nothing. Unknown event
        types change nothing. An event inconsistent with the payment (another currency, an amount
        off the currency's minor-unit grid, a capture above the authorization) is ignored rather
        than trusted.
        """
        kind = event.kind
        if (
            kind is None
            or event.event_id in self._applied
            or self.status in PAYMENT_TRANSITIONS.terminal
        ):
            return False
        if event.amount is not None and (
            currency_of(event.amount) != self.currency
            or event.amount.amount <= 0
            or not _on_grid(event.amount)
        ):
            return False
        before = (self._status, self.authorized, self.captured, self.refunded)
        if kind is ProviderEventKind.FAILED:
            if self._status in (S.CREATED, S.REQUIRES_ACTION):
                self._move(S.FAILED)
                self._decline_code = DeclineCode.AUTHENTICATION_FAILED
                self._record(
                    PaymentFailed(
                        occurred_at=now,
                        decline_code=self._decline_code,
                        payment_id=self.id,
                        order_id=self.order_id,
                    )
                )
        elif kind is ProviderEventKind.VOIDED:
            if self._status in (S.REQUIRES_ACTION, S.AUTHORIZED, S.PARTIALLY_CAPTURED):
                self._void(now)
        else:
            self._apply_amounts(kind, event.amount or self.amount, now)
        changed = before != (self._status, self.authorized, self.captured, self.refunded)
        if changed:
            self._applied.append(event.event_id)
        return changed

    def _authorize_from_provider(self, amount: Money, now: datetime) -> None:
        if self._status in (S.CREATED, S.REQUIRES_ACTION) and amount <= self.amount:
            self._move(S.AUTHORIZED)
            self._authorized = amount
            self._record(
                PaymentAuthorized(
                    occurred_at=now, amount=amount, payment_id=self.id, order_id=self.order_id
                )
            )

    def _apply_amounts(self, kind: ProviderEventKind, amount: Money, now: datetime) -> None:
        if kind is ProviderEventKind.AUTHORIZED:
            self._authorize_from_provider(amount, now)
            return
        # A capture or refund implies the authorization: apply it first if it was missed.
        self._authorize_from_provider(self.amount, now)
        if kind is ProviderEventKind.CAPTURED:
            if (
                self._status in (S.AUTHORIZED, S.PARTIALLY_CAPTURED)
                and self.captured < amount <= self.authorized
            ):
                delta = amount - self.captured
                self._captured = amount
                self._move(self._captured_status())
                self._record(
                    PaymentCaptured(
                        occurred_at=now,
                        amount=delta,
                        captured_total=amount,
                        payment_id=self.id,
                        order_id=self.order_id,
                    )
                )
        elif (
            self._status in (S.PARTIALLY_CAPTURED, S.CAPTURED, S.PARTIALLY_REFUNDED)
            and self.refunded < amount <= self.captured
        ):
            delta = amount - self.refunded
            self._refunded = amount
            self._move(self._refunded_status())
            self._record(
                PaymentRefunded(
                    occurred_at=now,
                    amount=delta,
                    refunded_total=amount,
                    payment_id=self.id,
                    order_id=self.order_id,
                )
            )

    # -- snapshots --

    def to_snapshot(self) -> dict[str, Any]:
        """The payment as JSON primitives (money via ``money_to_data``, times as ISO strings)."""
        # money_to_data's dicts, written here: four amounts per save
        action = self._action
        created, created_text = self.created_at, self._created_text
        if created_text is None or created_text[0] is not created:
            # the creation time's text is the same on every save: written once per datetime
            created_text = self._created_text = (created, created.isoformat())
        amount, authorized, captured, refunded = (
            self.amount,
            self._authorized,
            self._captured,
            self._refunded,
        )
        return {
            "id": self.id,
            "order_id": self.order_id,
            "amount": {"amount": str(amount.amount), "currency": str(amount.currency.code)},
            "method": self.method.to_data(),
            "created_at": created_text[1],
            "status": str(self._status),
            "authorized": {
                "amount": str(authorized.amount),
                "currency": str(authorized.currency.code),
            },
            "captured": {"amount": str(captured.amount), "currency": str(captured.currency.code)},
            "refunded": {"amount": str(refunded.amount), "currency": str(refunded.currency.code)},
            "reference": self._reference,
            "action": None
            if action is None
            else {"kind": action.kind, "url": action.url, "client_secret": action.client_secret},
            "decline_code": None if self._decline_code is None else str(self._decline_code),
            "applied": list(self._applied),
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], version: int) -> Payment:
        """Rebuild a payment from :meth:`to_snapshot` output at ``version``."""
        return cls._rebuild(data, version, PaymentMethod.from_data(data["method"]))

    @classmethod
    def _from_own_snapshot(cls, data: Mapping[str, Any], version: int) -> Payment:
        """:meth:`from_snapshot` of what :meth:`to_snapshot` returned, unchanged since.

        For a store that keeps the snapshots it was handed and nothing else (the in-memory
        repository): the method was checked when the payment was built, so its data is not
        checked again, and the ``created_at`` text (``isoformat()`` of a datetime) is kept for
        the next save when ``fromisoformat`` rebuilds that datetime exactly: always, except for
        a UTC offset with microseconds (after the seconds' ``.`` at index 19), which it drops.
        """
        payment = cls._rebuild(data, version, PaymentMethod._from_own_data(data["method"]))
        text = data["created_at"]
        if text.find(".", 20) < 0:
            payment._created_text = (payment.created_at, text)
        return payment

    @classmethod
    def _rebuild(cls, data: Mapping[str, Any], version: int, method: PaymentMethod) -> Payment:
        action = data["action"]
        decline = data["decline_code"]
        status = data["status"]
        amount = money_from_data(data["amount"])
        authorized, captured, refunded = _totals(data, amount)
        return cls(
            id=data["id"],
            order_id=data["order_id"],
            amount=amount,
            method=method,
            created_at=datetime.fromisoformat(data["created_at"]),
            status=(_STATUSES.get(status) if type(status) is str else None)
            or PaymentStatus(status),
            authorized=authorized,
            captured=captured,
            refunded=refunded,
            reference=data["reference"],
            action=None
            if action is None
            else RequiredAction(action["kind"], action["url"], action["client_secret"]),
            decline_code=None if decline is None else DeclineCode(decline),
            applied=list(data["applied"]),
            version=version,
        )

    def __repr__(self) -> str:
        return (
            f"Payment(id={self.id!r}, order_id={self.order_id!r}, status={str(self._status)!r}, "
            f"amount={_text(self.amount)!r}, captured={_text(self.captured)!r}, "
            f"refunded={_text(self.refunded)!r}, version={self.version})"
        )


# --- split tender ---------------------------------------------------------------------------


_LIVE: Final = frozenset(
    {S.AUTHORIZED, S.PARTIALLY_CAPTURED, S.CAPTURED, S.PARTIALLY_REFUNDED, S.REFUNDED}
)


@attrs.frozen
class PaymentSummary:
    """Totals across an order's payments (split tender), for Orders to derive a payment status.

    Voided and failed payments hold nothing and count zero.

    Attributes:
        currency: the ISO code shared by the payments.
        authorized: total authorized by live payments (including what was since captured).
        captured: total captured.
        refunded: total refunded.
        open_authorizations: ids of payments authorized and not captured (a rollback voids them).
        awaiting_action: ids of payments waiting for the customer (3-D Secure).
    """

    currency: str
    authorized: Money
    captured: Money
    refunded: Money
    open_authorizations: tuple[str, ...] = ()
    awaiting_action: tuple[str, ...] = ()

    @classmethod
    def of(cls, payments: Iterable[Payment], currency: str) -> PaymentSummary:
        """Total ``payments`` (all in ``currency``).

        Raises:
            CurrencyMismatchError: a payment is in another currency.
        """
        authorized = captured = refunded = zero(currency)
        open_ids: list[str] = []
        waiting: list[str] = []
        for payment in payments:
            if payment.currency != currency:
                raise CurrencyMismatchError(currency, payment.currency, context="payment summary")
            if payment.status in _LIVE:
                authorized += payment.authorized
                captured += payment.captured
                refunded += payment.refunded
            if payment.is_open_authorization:
                open_ids.append(payment.id)
            if payment.status is S.REQUIRES_ACTION:
                waiting.append(payment.id)
        return cls(currency, authorized, captured, refunded, tuple(open_ids), tuple(waiting))

    @property
    def net_captured(self) -> Money:
        """Captured minus refunded: what the shop keeps."""
        return self.captured - self.refunded

    def status_for(self, order_total: Money) -> OrderPaymentStatus:
        """The order's payment status for an order of ``order_total``.

        Refunds first (any refund makes it partially refunded, all captured money refunded makes
        it refunded), then captures (paid when captured covers the total), then authorizations.
        """
        return derive_order_payment_status(
            order_total, authorized=self.authorized, captured=self.captured, refunded=self.refunded
        )


def parse_provider_event(body: bytes) -> ProviderEvent:
    """Parse the library's default webhook JSON into a :class:`ProviderEvent`.

    The shape (hosts with another provider format pass their own parser to the webhook intake)::

        {
            "id": "evt_1",
            "type": "payment.captured",
            "created": "2026-01-01T00:00:00+00:00",
            "data": {"payment_id": "pay_1", "amount": "30.00", "currency": "EUR"},
        }

    ``amount`` and ``currency`` are optional; an amount must sit on the currency's minor-unit
    grid (``"33.333"`` EUR is refused: no payment could ever capture or refund it).

    Raises:
        InvalidWebhookPayloadError: the body is not JSON of that shape, or the amount is off the
            currency's grid.
    """
    try:
        data = json.loads(body)
        event_id = data["id"]
        event_type = data["type"]
        payload = data["data"]
        payment_id = payload["payment_id"]
        occurred_at = datetime.fromisoformat(data["created"])
        amount = None
        if payload.get("amount") is not None:
            amount = money(str(payload["amount"]), str(payload["currency"]))
    except (ValueError, KeyError, TypeError, CommerceError) as error:
        raise InvalidWebhookPayloadError(type(error).__name__) from None
    if amount is not None and not _on_grid(amount):
        raise InvalidWebhookPayloadError(
            f"amount {amount.amount} has more decimals than {currency_of(amount)} allows"
        )
    if not all(isinstance(v, str) and v for v in (event_id, event_type, payment_id)):
        raise InvalidWebhookPayloadError("id, type and data.payment_id must be strings")
    if occurred_at.tzinfo is None:
        raise InvalidWebhookPayloadError("created must carry a timezone")
    return ProviderEvent(event_id, event_type, payment_id, amount, occurred_at)
