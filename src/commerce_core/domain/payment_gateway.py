"""What crosses the payment gateway port: methods, requests, typed results, keys, retry policy.

Only payment-method *tokens* cross the port (a :class:`PaymentMethod` refuses anything that
looks like a card number). Every request carries an idempotency key derived deterministically from
what it does (:func:`idempotency_key`) and a :meth:`fingerprint` of its content, so a replay can be
recognised and a key reused for a different request refused.

A gateway answers with one of four values, never an exception for a business outcome:
:class:`Approved`, :class:`Declined` (with a :class:`DeclineCode`), :class:`RequiresAction`
(3-D Secure: what the client must do next) or :class:`TransientFailure` (retry later).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import math
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import Any, ClassVar, Final, TypeAlias

import attrs

from commerce_core.domain.cards import CardSummary, looks_like_card_number
from commerce_core.errors import InvalidAmountError, InvalidPaymentSettingError, RawCardDataError
from commerce_core.money import Money, money_from_data, money_to_data, to_minor

__all__ = [
    "PaymentMethod",
    "DeclineCode",
    "RequiredAction",
    "GatewayOutcome",
    "Approved",
    "Declined",
    "RequiresAction",
    "TransientFailure",
    "GatewayResult",
    "result_to_data",
    "result_from_data",
    "PaymentOperation",
    "AuthorizeRequest",
    "CaptureRequest",
    "VoidRequest",
    "RefundRequest",
    "GatewayRequest",
    "idempotency_key",
    "amount_key",
    "RetryPolicy",
    "ClaimStatus",
    "IdempotencyClaim",
]


def _no_card_number(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, str) and looks_like_card_number(value):
        raise RawCardDataError(attribute.name)


def _non_empty(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        msg = f"{attribute.name} must be a non-empty string"
        raise ValueError(msg)


@attrs.frozen
class PaymentMethod:
    """A tokenized payment method: the only form in which a card reaches a port.

    Attributes:
        token: the provider's opaque token (``"pm_1Nx..."``, ``"tok_visa"``).
        kind: ``"card"``, ``"gift_card"``, ``"wallet"``... (free text the host routes on).
        card: brand, last four and expiry for display and the audit log, when it is a card.

    Raises:
        RawCardDataError: the token looks like a raw card number.
    """

    token: str = attrs.field(validator=[_non_empty, _no_card_number])
    kind: str = "card"
    card: CardSummary | None = None

    def to_data(self) -> dict[str, Any]:
        """Snapshot primitives."""
        return {
            "token": self.token,
            "kind": self.kind,
            "card": None if self.card is None else self.card.to_data(),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PaymentMethod:
        """Rebuild from :meth:`to_data` output."""
        card = data.get("card")
        return cls(
            str(data["token"]),
            str(data["kind"]),
            None if card is None else CardSummary.from_data(card),
        )

    @classmethod
    def _from_own_data(cls, data: Mapping[str, Any]) -> PaymentMethod:
        """:meth:`from_data` of what :meth:`to_data` of a method returned, unchanged since.

        The token was checked when that method was built: it is set without the checks (the
        card summary, when there is one, is rebuilt by ``CardSummary.from_data`` as usual).
        """
        card = data["card"]
        method = object.__new__(cls)
        set_field = object.__setattr__  # a frozen class: what its generated __init__ does
        set_field(method, "token", str(data["token"]))
        set_field(method, "kind", str(data["kind"]))
        set_field(method, "card", None if card is None else CardSummary.from_data(card))
        return method


class DeclineCode(enum.StrEnum):
    """Why a gateway declined. Adapters map their provider's codes onto these."""

    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    INCORRECT_CVC = "incorrect_cvc"
    FRAUD_SUSPECTED = "fraud_suspected"
    AUTHENTICATION_FAILED = "authentication_failed"
    AMOUNT_EXCEEDS_AUTHORIZATION = "amount_exceeds_authorization"
    NOT_PERMITTED = "not_permitted"
    OTHER = "other"


@attrs.frozen
class RequiredAction:
    """What the client must do before the payment can proceed (e.g. a 3-D Secure challenge).

    Attributes:
        kind: ``"three_d_secure"``, ``"redirect"``...
        url: where to send the customer, when the provider gives one.
        client_secret: an opaque value the provider's client SDK needs, when it gives one.
    """

    kind: str
    url: str = ""
    client_secret: str = attrs.field(default="", repr=False)


class GatewayOutcome(enum.StrEnum):
    """The four kinds of gateway answer."""

    APPROVED = "approved"
    DECLINED = "declined"
    REQUIRES_ACTION = "requires_action"
    TRANSIENT_FAILURE = "transient_failure"


@attrs.frozen
class Approved:
    """The gateway did it.

    Attributes:
        reference: the provider's id for the authorization (or capture/refund).
        amount: the amount authorized, captured, refunded or released. An authorization may be
            approved for less than requested (a gift card's balance): a partial approval.
    """

    reference: str
    amount: Money
    outcome: ClassVar[GatewayOutcome] = GatewayOutcome.APPROVED


@attrs.frozen
class Declined:
    """The gateway refused; retrying the same request will not help.

    Attributes:
        code: why, as a :class:`DeclineCode`.
        message: the provider's human-readable explanation (never card data).
    """

    code: DeclineCode
    message: str = ""
    outcome: ClassVar[GatewayOutcome] = GatewayOutcome.DECLINED


@attrs.frozen
class RequiresAction:
    """The customer must act (3-D Secure) before the authorization completes.

    Attributes:
        reference: the provider's id of the pending authorization.
        action: what the client must do next.
    """

    reference: str
    action: RequiredAction
    outcome: ClassVar[GatewayOutcome] = GatewayOutcome.REQUIRES_ACTION


@attrs.frozen
class TransientFailure:
    """A timeout, rate limit or provider outage: the same request may succeed later.

    Attributes:
        reason: a short description (``"timeout"``, ``"rate_limited"``...).
    """

    reason: str = "unavailable"
    outcome: ClassVar[GatewayOutcome] = GatewayOutcome.TRANSIENT_FAILURE


GatewayResult: TypeAlias = Approved | Declined | RequiresAction | TransientFailure
"""Every answer a :class:`~commerce_core.ports.payments.PaymentGateway` can give."""


def result_to_data(result: GatewayResult) -> dict[str, Any]:
    """A gateway result as JSON primitives (what an idempotency store records)."""
    if isinstance(result, Approved):
        return {
            "outcome": "approved",
            "reference": result.reference,
            "amount": money_to_data(result.amount),
        }
    if isinstance(result, Declined):
        return {"outcome": "declined", "code": str(result.code), "message": result.message}
    if isinstance(result, RequiresAction):
        return {
            "outcome": "requires_action",
            "reference": result.reference,
            "action": {
                "kind": result.action.kind,
                "url": result.action.url,
                "client_secret": result.action.client_secret,
            },
        }
    return {"outcome": "transient_failure", "reason": result.reason}


def result_from_data(data: Mapping[str, Any]) -> GatewayResult:
    """Rebuild a gateway result from :func:`result_to_data` output."""
    outcome = GatewayOutcome(data["outcome"])
    if outcome is GatewayOutcome.APPROVED:
        return Approved(str(data["reference"]), money_from_data(data["amount"]))
    if outcome is GatewayOutcome.DECLINED:
        return Declined(DeclineCode(data["code"]), str(data.get("message", "")))
    if outcome is GatewayOutcome.REQUIRES_ACTION:
        action = data["action"]
        return RequiresAction(
            str(data["reference"]),
            RequiredAction(str(action["kind"]), str(action["url"]), str(action["client_secret"])),
        )
    return TransientFailure(str(data["reason"]))


class PaymentOperation(enum.StrEnum):
    """The gateway operations, used in idempotency keys and the transaction log."""

    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money) or value.amount <= 0:
        raise InvalidAmountError(value, f"{attribute.name} must be a positive amount")


def amount_key(amount: Money) -> str:
    """An amount as exact, normalised text for keys and fingerprints: ``"1000 EUR"`` for 10.00.

    Equal amounts give equal text whatever their written precision (``10`` and ``10.00``).

    Raises:
        InvalidAmountError: the amount is off its currency's grid.
    """
    return f"{to_minor(amount)} {amount.currency.code}"  # the code is currency_of's text


_CANONICAL: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
"""What ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` builds, built once."""


def _digest(data: Mapping[str, str | None], text: str | None) -> str:
    """SHA-256 of the canonical JSON of ``data`` (what keys and fingerprints hash).

    ``text`` is that JSON written directly by the caller, fields in key order, values through
    ``encode_basestring_ascii`` as ``json`` writes them, or None when a value is not exactly
    ``str`` (a void's ``None`` amount, an id of another type): ``data`` then goes through the
    JSON encoder itself. Either way the text is that of
    ``json.dumps(data, sort_keys=True, separators=...)``.
    """
    blob = _CANONICAL.encode(data) if text is None else text
    return hashlib.sha256(blob.encode()).hexdigest()


def _text_digest(text: str) -> str:
    """:func:`_digest` of data whose canonical JSON ``text`` the caller wrote (no dict built)."""
    return hashlib.sha256(text.encode()).hexdigest()


_q = encode_basestring_ascii  # a JSON string literal, as json writes it


@attrs.frozen
class _FingerprintedRequest:
    """What every gateway request shares: a fingerprint of everything but the key.

    Computed once, as the request is built (:func:`_remember_fingerprint`): the service and the
    gateway both ask for it.
    """

    def fingerprint(self) -> str:
        """A digest of everything but the key: same key + other fingerprint = key reuse."""
        return self._fingerprint

    def __attrs_post_init__(self) -> None:
        _remember_fingerprint(self)

    @functools.cached_property
    def _fingerprint(self) -> str:  # kept at construction, or computed when first asked
        return self._compute_fingerprint()

    def _compute_fingerprint(self) -> str:
        raise NotImplementedError


def _remember_fingerprint(request: _FingerprintedRequest) -> None:
    """Compute ``request``'s fingerprint as it is built and keep it in its cached property.

    The service and the gateway both ask for it; kept at construction, the first ask reads the
    slot instead of going through attrs' missing-attribute hook. A request whose fingerprint
    cannot be written (an amount off its currency's grid) keeps it unset: ``fingerprint()``
    computes it when asked and raises then, as it always did.
    """
    try:
        value = request._compute_fingerprint()
    except Exception:  # noqa: BLE001 - raised again by fingerprint(), when it is asked for
        return
    object.__setattr__(request, "_fingerprint", value)


@attrs.frozen
class AuthorizeRequest(_FingerprintedRequest):
    """Reserve ``amount`` on the payment method.

    Attributes:
        idempotency_key: the same key always means the same request.
        payment_id: our payment's id (put it in the provider's metadata for webhooks).
        order_id: the order being paid.
        amount: how much to authorize.
        method: the tokenized payment method.
    """

    idempotency_key: str = attrs.field(validator=_non_empty)
    payment_id: str
    order_id: str
    amount: Money = attrs.field(validator=_positive)
    method: PaymentMethod
    operation: ClassVar[PaymentOperation] = PaymentOperation.AUTHORIZE

    def _compute_fingerprint(self) -> str:
        return _authorize_fingerprint(
            self.payment_id, self.order_id, amount_key(self.amount), self.method.token
        )

    @classmethod
    def _of_key(
        cls,
        idempotency_key: str,
        payment_id: str,
        order_id: str,
        amount: Money,
        method: PaymentMethod,
        *,
        amount_text: str,
    ) -> AuthorizeRequest:
        """The request ``AuthorizeRequest(...)`` builds, its fingerprint from ``amount_text``.

        For the payment service, which just wrote ``amount_text`` (``amount_key(amount)``) for
        the idempotency key: the fingerprint is written from it, not from the amount again.
        The same checks run (a blank key, an amount that is not positive raise as the
        constructor does); the fields and the fingerprint are those the constructor keeps.
        """
        _check_key_and_amount(idempotency_key, amount)
        request = object.__new__(cls)
        set_field = object.__setattr__  # a frozen class: what its generated __init__ does
        set_field(request, "idempotency_key", idempotency_key)
        set_field(request, "payment_id", payment_id)
        set_field(request, "order_id", order_id)
        set_field(request, "amount", amount)
        set_field(request, "method", method)
        fingerprint = _authorize_fingerprint(payment_id, order_id, amount_text, method.token)
        set_field(request, "_fingerprint", fingerprint)
        return request


def _authorize_fingerprint(payment: str, order: str, amount: str, token: str) -> str:
    """The fingerprint of an authorization, ``amount`` written by :func:`amount_key`."""
    op = str(PaymentOperation.AUTHORIZE)
    if type(payment) is str and type(order) is str and type(token) is str:
        return _text_digest(
            f'{{"amount":{_q(amount)},"op":{_q(op)},"order":{_q(order)},'
            f'"payment":{_q(payment)},"token":{_q(token)}}}'
        )
    return _digest(
        {"op": op, "payment": payment, "order": order, "amount": amount, "token": token}, None
    )


def _check_key_and_amount(idempotency_key: object, amount: object) -> None:
    """What the request constructors' validators check of a key and an amount, same errors."""
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        _non_empty(None, _KEY_FIELD, idempotency_key)
    if not isinstance(amount, Money) or amount.amount <= 0:
        _positive(None, _AMOUNT_FIELD, amount)


@attrs.frozen
class CaptureRequest(_FingerprintedRequest):
    """Take ``amount`` (all or part of what remains) of an authorization.

    Attributes:
        idempotency_key: the same key always means the same request.
        payment_id: our payment's id.
        reference: the provider's authorization reference.
        amount: how much to capture.
    """

    idempotency_key: str = attrs.field(validator=_non_empty)
    payment_id: str
    reference: str
    amount: Money = attrs.field(validator=_positive)
    operation: ClassVar[PaymentOperation] = PaymentOperation.CAPTURE

    def _compute_fingerprint(self) -> str:
        return _amount_fingerprint(self.operation, self.payment_id, self.reference, self.amount)

    @classmethod
    def _of_key(
        cls,
        idempotency_key: str,
        payment_id: str,
        reference: str,
        amount: Money,
        *,
        amount_text: str,
    ) -> CaptureRequest:
        """The request ``CaptureRequest(...)`` builds, its fingerprint from ``amount_text``.

        ``amount_text`` is ``amount_key(amount)`` (see :meth:`AuthorizeRequest._of_key`).
        """
        _check_key_and_amount(idempotency_key, amount)
        request = object.__new__(cls)
        set_field = object.__setattr__  # a frozen class: what its generated __init__ does
        set_field(request, "idempotency_key", idempotency_key)
        set_field(request, "payment_id", payment_id)
        set_field(request, "reference", reference)
        set_field(request, "amount", amount)
        fingerprint = _amount_text_fingerprint(cls.operation, payment_id, reference, amount_text)
        set_field(request, "_fingerprint", fingerprint)
        return request


@attrs.frozen
class VoidRequest(_FingerprintedRequest):
    """Release an authorization that has not been captured.

    Attributes:
        idempotency_key: the same key always means the same request.
        payment_id: our payment's id.
        reference: the provider's authorization reference.
    """

    idempotency_key: str = attrs.field(validator=_non_empty)
    payment_id: str
    reference: str
    operation: ClassVar[PaymentOperation] = PaymentOperation.VOID

    def _compute_fingerprint(self) -> str:
        op, payment, reference = str(self.operation), self.payment_id, self.reference
        text = None
        if type(payment) is str and type(reference) is str:
            text = f'{{"op":{_q(op)},"payment":{_q(payment)},"reference":{_q(reference)}}}'
        return _digest({"op": op, "payment": payment, "reference": reference}, text)


@attrs.frozen
class RefundRequest(_FingerprintedRequest):
    """Return ``amount`` (all or part) of what was captured.

    Attributes:
        idempotency_key: the same key always means the same request.
        payment_id: our payment's id.
        reference: the provider's authorization reference.
        amount: how much to refund.
    """

    idempotency_key: str = attrs.field(validator=_non_empty)
    payment_id: str
    reference: str
    amount: Money = attrs.field(validator=_positive)
    operation: ClassVar[PaymentOperation] = PaymentOperation.REFUND

    def _compute_fingerprint(self) -> str:
        return _amount_fingerprint(self.operation, self.payment_id, self.reference, self.amount)


def _amount_fingerprint(
    operation: PaymentOperation, payment: str, reference: str, amount: Money
) -> str:
    """The fingerprint of a capture or a refund: the same fields, the same JSON."""
    return _amount_text_fingerprint(operation, payment, reference, amount_key(amount))


def _amount_text_fingerprint(
    operation: PaymentOperation, payment: str, reference: str, money_text: str
) -> str:
    """:func:`_amount_fingerprint` of the amount ``money_text`` (written by :func:`amount_key`)."""
    op = str(operation)
    if type(payment) is str and type(reference) is str:
        return _text_digest(
            f'{{"amount":{_q(money_text)},"op":{_q(op)},"payment":{_q(payment)},'
            f'"reference":{_q(reference)}}}'
        )
    return _digest(
        {"op": op, "payment": payment, "reference": reference, "amount": money_text}, None
    )


GatewayRequest: TypeAlias = AuthorizeRequest | CaptureRequest | VoidRequest | RefundRequest
"""Any request to the gateway."""

_KEY_FIELD: Final = attrs.fields(AuthorizeRequest).idempotency_key
_AMOUNT_FIELD: Final = attrs.fields(AuthorizeRequest).amount
"""The attributes the validators name in their errors (the same in every request class)."""


def idempotency_key(
    *,
    order_id: str,
    payment_id: str,
    operation: PaymentOperation | str,
    amount: Money | None = None,
    scope: str = "",
) -> str:
    """The deterministic idempotency key of a gateway operation.

    The same (order, payment, operation, amount, scope) always gives the same key, so a retried or
    replayed operation reuses its key and the provider (and our idempotency store) deduplicate it.
    ``scope`` tells apart deliberate repeats of an operation: the shipment id of a partial capture,
    the return id of a refund.

    >>> from commerce_core.money import money
    >>> key = idempotency_key(
    ...     order_id="ord_1", payment_id="pay_1", operation="capture", amount=money("5", "EUR")
    ... )
    >>> key.startswith("capture-"), len(key)
    (True, 40)
    """
    return _key_of_text(
        str(operation),
        order_id,
        payment_id,
        None if amount is None else amount_key(amount),
        scope,
    )


def _key_of_text(
    op: str, order_id: str, payment_id: str, money_text: str | None, scope: str
) -> str:
    """:func:`idempotency_key` of the operation text ``op`` and the amount text ``money_text``.

    ``money_text`` is what :func:`amount_key` wrote (None without an amount): for a caller that
    keeps that text for the request too.
    """
    if (
        money_text is not None
        and type(order_id) is str
        and type(payment_id) is str
        and type(scope) is str
    ):
        digest = _text_digest(
            f'{{"amount":{_q(money_text)},"operation":{_q(op)},"order":{_q(order_id)},'
            f'"payment":{_q(payment_id)},"scope":{_q(scope)}}}'
        )
    else:
        parts = {
            "order": order_id,
            "payment": payment_id,
            "operation": op,
            "amount": money_text,
            "scope": scope,
        }
        digest = _digest(parts, None)
    return f"{op}-{digest[: 39 - len(op)]}"


def _at_least_one(_inst: object, _attr: object, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidPaymentSettingError("max_attempts", "must be an integer >= 1")


def _non_negative(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InvalidPaymentSettingError(attribute.name, "must be a number >= 0")


@attrs.frozen
class RetryPolicy:
    """How transient gateway failures are retried: bounded attempts, backoff with full jitter.

    Declines, approvals and required actions are final and never retried.

    The delay before attempt ``n + 1`` is ``random() * min(max_delay, base_delay * 2 ** (n - 1))``
    ("full jitter"), with ``random()`` in ``[0, 1)`` supplied by the caller, so the policy itself
    is pure and tests are deterministic.

    Attributes:
        max_attempts: total attempts including the first (1 = never retry).
        base_delay: seconds; the backoff ceiling of the first retry.
        max_delay: seconds; the largest backoff ceiling.

    >>> policy = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=3.0)
    >>> [policy.ceiling(n) for n in (1, 2, 3, 4)]
    [0.5, 1.0, 2.0, 3.0]
    >>> policy.delay(2, 0.5)
    0.5
    """

    max_attempts: int = attrs.field(default=3, validator=_at_least_one)
    base_delay: float = attrs.field(default=0.2, validator=_non_negative)
    max_delay: float = attrs.field(default=5.0, validator=_non_negative)

    def ceiling(self, attempt: int) -> float:
        """The largest delay after failed attempt number ``attempt`` (1-based)."""
        return min(self.max_delay, math.ldexp(self.base_delay, attempt - 1))

    def delay(self, attempt: int, random_value: float) -> float:
        """The full-jitter delay after failed attempt ``attempt`` for ``random_value`` in [0, 1)."""
        if not 0 <= random_value < 1:
            msg = "random_value must be in [0, 1)"
            raise ValueError(msg)
        return random_value * self.ceiling(attempt)

    def should_retry(self, result: GatewayResult, attempt: int) -> bool:
        """Whether to try again after ``result``: transient failures only, while attempts remain."""
        return isinstance(result, TransientFailure) and attempt < self.max_attempts


class ClaimStatus(enum.StrEnum):
    """What :meth:`IdempotencyStore.claim` found."""

    CLAIMED = "claimed"
    """The key is new (or was released): the caller owns it and must call the gateway."""
    COMPLETED = "completed"
    """A previous identical request finished: replay its stored result."""
    IN_PROGRESS = "in_progress"
    """Another caller holds the key and has not finished."""


@attrs.frozen
class IdempotencyClaim:
    """The answer of an idempotency store to a claim.

    Attributes:
        status: claimed, completed (with ``result``) or in progress.
        result: the stored result primitives when ``status`` is completed.
    """

    status: ClaimStatus
    result: Mapping[str, Any] | None = None
