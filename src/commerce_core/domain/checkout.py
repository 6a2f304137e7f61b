"""Checkout as data: the request, the typed results, and the durable record of an attempt.

A checkout turns a cart into a paid order in seven steps (validate, reserve stock, redeem
coupons, authorize, create the order, capture, complete). Each attempt is a
:class:`CheckoutAttempt` aggregate kept in the ``CheckoutLog`` port: it remembers the request's
fingerprint (so a replayed idempotency key returns the first outcome), every completed step (so an
attempt interrupted by a crash can be resumed or rolled back) and the final outcome.

The attempt's lifecycle is :data:`CHECKOUT_LIFECYCLE`::

    in_progress -> awaiting_action | rolling_back | succeeded
    awaiting_action -> in_progress | rolling_back
    rolling_back -> failed

A failure is decided (and saved, as ``rolling_back`` with its :class:`CheckoutFailure`) *before*
anything is undone, so a crash during the undo is finished by recovery with the same answer.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any, ClassVar, Final, NamedTuple

import attrs

from commerce_core.domain.cards import CardSummary
from commerce_core.domain.cart import PriceChange
from commerce_core.domain.events import DomainEvent, EventRecorder, iso_memo
from commerce_core.domain.inventory import Shortage
from commerce_core.domain.orders import Address, Customer, Order, OrderLine
from commerce_core.domain.payment_gateway import PaymentMethod, RequiredAction
from commerce_core.domain.pricing import (
    Adjustment,
    LineBreakdown,
    PriceBreakdown,
    PricingLine,
    ShippingBreakdown,
    TaxLine,
)
from commerce_core.domain.state_machine import TransitionTable
from commerce_core.errors import InvalidCheckoutError
from commerce_core.money import Money, TaxedMoney, money_from_data, money_to_data

__all__ = [
    "CaptureMode",
    "CheckoutStep",
    "CheckoutStatus",
    "CHECKOUT_LIFECYCLE",
    "FailureReason",
    "CheckoutRequest",
    "CheckoutFailure",
    "CheckoutSuccess",
    "CheckoutResult",
    "CheckoutCapture",
    "CheckoutAttempt",
    "CheckoutStepCompleted",
    "CheckoutSucceeded",
    "CheckoutFailed",
    "checkout_id_for",
    "draft_from_breakdown",
    "breakdown_from_draft",
]


class CaptureMode(enum.StrEnum):
    """When the money is taken."""

    IMMEDIATE = "immediate"
    """Capture right after the order is created (goods sold from stock)."""
    AUTHORIZE_ONLY = "authorize_only"
    """Only hold the money; the host captures at shipment (``PaymentService.capture``)."""


class CheckoutStep(enum.StrEnum):
    """The steps of a checkout, in order. A step is recorded once its effect is done."""

    VALIDATED = "validated"
    RESERVED = "reserved"
    COUPONS_REDEEMED = "coupons_redeemed"
    AUTHORIZED = "authorized"
    ORDER_CREATED = "order_created"
    CAPTURED = "captured"
    COMPLETED = "completed"


STEP_ORDER: Final = tuple(CheckoutStep)
_STEP_RANK: Final = {step: rank for rank, step in enumerate(STEP_ORDER)}
_STEP_TEXT: Final = {step: step.value for step in STEP_ORDER}
"""Each step's text (a plain ``str``), as snapshots store it."""


class CheckoutStatus(enum.StrEnum):
    """Where a checkout attempt is."""

    IN_PROGRESS = "in_progress"
    AWAITING_ACTION = "awaiting_action"
    """The payment asked for a customer action (3-D Secure); stock and coupons stay held."""
    ROLLING_BACK = "rolling_back"
    """A failure was decided; what was done is being undone."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"


_STATUS_TEXT: Final = {status: status.value for status in CheckoutStatus}
"""Each status's text (a plain ``str``), as snapshots store it."""


CHECKOUT_LIFECYCLE: Final = TransitionTable(
    machine="checkout",
    initial=CheckoutStatus.IN_PROGRESS,
    edges={
        CheckoutStatus.IN_PROGRESS: {
            CheckoutStatus.AWAITING_ACTION,
            CheckoutStatus.ROLLING_BACK,
            CheckoutStatus.SUCCEEDED,
        },
        CheckoutStatus.AWAITING_ACTION: {CheckoutStatus.IN_PROGRESS, CheckoutStatus.ROLLING_BACK},
        CheckoutStatus.ROLLING_BACK: {CheckoutStatus.FAILED},
        CheckoutStatus.SUCCEEDED: set(),
        CheckoutStatus.FAILED: set(),
    },
    terminal={CheckoutStatus.SUCCEEDED, CheckoutStatus.FAILED},
)
"""The checkout attempt lifecycle as data."""

_TERMINAL: Final = frozenset(CheckoutStatus(state) for state in CHECKOUT_LIFECYCLE.terminal)
"""The lifecycle's terminal statuses (what ``CHECKOUT_LIFECYCLE.is_terminal`` answers)."""


class FailureReason(enum.StrEnum):
    """Why a checkout did not produce an order (a value the host maps to a message)."""

    EMPTY_CART = "empty_cart"
    CART_NOT_ACTIVE = "cart_not_active"
    PRICE_CHANGED = "price_changed"
    OUT_OF_STOCK = "out_of_stock"
    COUPON_NOT_APPLICABLE = "coupon_not_applicable"
    COUPON_LIMIT_REACHED = "coupon_limit_reached"
    PAYMENT_DECLINED = "payment_declined"
    REQUIRES_ACTION = "requires_action"
    GATEWAY_UNAVAILABLE = "gateway_unavailable"
    INTERNAL_ERROR = "internal_error"


def checkout_id_for(idempotency_key: str) -> str:
    """The checkout id derived from the caller's idempotency key (stable, opaque, short).

    The reservation, payment and order ids of the checkout derive from it, so a replay or a
    recovery finds everything the first run did.

    >>> checkout_id_for("k-1") == checkout_id_for("k-1")
    True
    >>> checkout_id_for("k-1").startswith("chk_")
    True
    """
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
    return f"chk_{digest}"


def _code_key(code: str) -> str:
    """A coupon code as compared (never raises: an invalid code is refused by pricing)."""
    return code.strip().upper()


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _changes(values: Iterable[PriceChange]) -> tuple[PriceChange, ...]:
    return tuple(values)


def _shortages(values: Iterable[Shortage]) -> tuple[Shortage, ...]:
    return tuple(values)


def _adjustments_to_data(adjustments: Iterable[Adjustment]) -> list[dict[str, Any]]:
    return [
        {
            "source_id": a.source_id,
            "label": a.label,
            "amount": money_to_data(a.amount),
            "code": a.code,
        }
        for a in adjustments
    ]


def _adjustments_from_data(data: Iterable[Mapping[str, Any]]) -> tuple[Adjustment, ...]:
    return tuple(
        Adjustment(a["source_id"], a["label"], money_from_data(a["amount"]), a["code"])
        for a in data
    )


def _taxes_to_data(lines: Iterable[TaxLine]) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "rate": str(t.rate),
            "amount": money_to_data(t.amount),
            "compound": t.compound,
        }
        for t in lines
    ]


def _taxes_from_data(data: Iterable[Mapping[str, Any]]) -> tuple[TaxLine, ...]:
    return tuple(
        TaxLine(t["name"], Decimal(t["rate"]), money_from_data(t["amount"]), t["compound"])
        for t in data
    )


def _taxed(data: Mapping[str, Any]) -> TaxedMoney:
    return TaxedMoney(money_from_data(data["net"]), money_from_data(data["gross"]))


def _taxed_data(value: TaxedMoney) -> dict[str, Any]:
    return {"net": money_to_data(value.net), "gross": money_to_data(value.gross)}


_CONTAINERS: Final = (dict, list)


def _fresh(value: Any) -> Any:
    """A deep copy of snapshot data: every dict and list is new, the leaves are kept.

    Snapshot data holds only dicts, lists and immutable leaves (``str``, numbers, ``None``), so
    the copy shares nothing that can change: a snapshot built with it holds no dict or list of
    the aggregate's (the checkout log keeps snapshots uncopied, ``fresh_snapshots``).
    """
    kind = type(value)
    if kind is dict:
        copy = value.copy()
        for key, item in copy.items():
            if type(item) in _CONTAINERS:
                copy[key] = _fresh(item)
        return copy
    if kind is list:
        copy_list = value.copy()
        for index, item in enumerate(copy_list):
            if type(item) in _CONTAINERS:
                copy_list[index] = _fresh(item)
        return copy_list
    return value


def _customer_data(customer: Customer) -> dict[str, Any]:
    """``attrs.asdict(customer)``, written out for a ``Customer`` itself (three texts)."""
    if type(customer) is not Customer:  # a subclass may hold more: asdict knows its fields
        return attrs.asdict(customer)
    return {"email": customer.email, "customer_id": customer.customer_id, "name": customer.name}


def _flat_parts(request: CheckoutRequest) -> bool:
    """The request's customer, addresses and payment method are the library's own classes.

    Their data is then the shape :func:`_fresh_request` copies: flat dicts of texts, but for the
    payment method's optional card summary (a subclass may hold more: :func:`_fresh` copies it).
    """
    return (
        type(request.customer) is Customer
        and type(request.billing_address) is Address
        and type(request.shipping_address) is Address
        and type(request.payment_method) is PaymentMethod
    )


def _fresh_request(data: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of :meth:`CheckoutRequest.to_data` output (as :func:`_fresh`, shaped: faster).

    Only for a request of :func:`_flat_parts`: the customer and the addresses are flat dicts of
    strings, the payment method a flat dict but for its optional card summary.
    """
    copy = data.copy()
    copy["customer"] = data["customer"].copy()
    copy["billing_address"] = data["billing_address"].copy()
    copy["shipping_address"] = data["shipping_address"].copy()
    method = data["payment_method"]  # two texts and an optional card summary
    copy["payment_method"] = method.copy() if method.get("card") is None else _fresh(method)
    copy["coupon_codes"] = data["coupon_codes"].copy()
    return copy


def _line_draft(priced: LineBreakdown) -> dict[str, Any]:
    """One priced line as its draft: ``OrderLine.from_breakdown(priced).to_data()`` and totals.

    Built straight from the breakdown (no ``OrderLine`` on the way: the order is placed later
    from this very breakdown, or from the draft, through ``OrderLine``, which checks the line).
    """
    line = priced.line
    adjustments = priced.adjustments
    return {
        "line_id": line.line_id,
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": money_to_data(line.unit_price),
        "total": {"net": money_to_data(priced.net), "gross": money_to_data(priced.gross)},
        "adjustments": _adjustments_to_data(adjustments) if adjustments else [],
        "tax_lines": [
            {
                "name": t.name,
                "rate": str(t.rate),
                "amount": money_to_data(t.amount),
                "compound": t.compound,
            }
            for t in priced.tax_lines
        ],
        "prices_include_tax": line.prices_include_tax,
        "base_total": money_to_data(priced.base_total),
        "basis_total": money_to_data(priced.total),
    }


def draft_from_breakdown(breakdown: PriceBreakdown) -> dict[str, Any]:
    """The order draft of a priced cart, as JSON primitives (kept in the checkout attempt).

    It holds what an order is made of (each line as an order line with its price-basis totals,
    the shipping charge, the totals), so an order can be placed later exactly as it was priced
    and authorized, without pricing the cart again (:func:`breakdown_from_draft`).
    """
    shipping = breakdown.shipping
    return {
        "currency": breakdown.currency,
        "lines": [_line_draft(line) for line in breakdown.lines],
        "shipping": None
        if shipping is None
        else {
            "method": shipping.method,
            "name": shipping.name,
            "price": money_to_data(shipping.price),
            "adjustments": _adjustments_to_data(shipping.adjustments),
            "total": money_to_data(shipping.total),
            "tax_lines": _taxes_to_data(shipping.tax_lines),
            "taxed": {"net": money_to_data(shipping.net), "gross": money_to_data(shipping.gross)},
        },
        "subtotal": _taxed_data(breakdown.subtotal),
        "discounts": money_to_data(breakdown.discounts),
        "total": _taxed_data(breakdown.total),
    }


def breakdown_from_draft(data: Mapping[str, Any]) -> PriceBreakdown:
    """Rebuild the priced cart of :func:`draft_from_breakdown` (lines, shipping and totals).

    Only what an order needs comes back: no notes, stage reports, trace or tax summary.
    """
    lines = []
    for raw in data["lines"]:
        order_line = OrderLine.from_data(raw)
        lines.append(
            LineBreakdown(
                line=PricingLine(
                    line_id=order_line.line_id,
                    sku=order_line.sku,
                    name=order_line.name,
                    quantity=order_line.quantity,
                    unit_price=order_line.unit_price,
                    prices_include_tax=order_line.prices_include_tax,
                ),
                base_total=money_from_data(raw["base_total"]),
                adjustments=order_line.adjustments,
                total=money_from_data(raw["basis_total"]),
                net=order_line.total.net,
                tax_lines=order_line.tax_lines,
                gross=order_line.total.gross,
            )
        )
    ship = data["shipping"]
    shipping = None
    if ship is not None:
        taxed = _taxed(ship["taxed"])
        shipping = ShippingBreakdown(
            method=ship["method"],
            name=ship["name"],
            price=money_from_data(ship["price"]),
            adjustments=_adjustments_from_data(ship["adjustments"]),
            total=money_from_data(ship["total"]),
            net=taxed.net,
            tax_lines=_taxes_from_data(ship["tax_lines"]),
            gross=taxed.gross,
        )
    total = _taxed(data["total"])
    return PriceBreakdown(
        currency=data["currency"],
        lines=tuple(lines),
        shipping=shipping,
        subtotal=_taxed(data["subtotal"]),
        discounts=money_from_data(data["discounts"]),
        total=total,
        tax_total=total.gross - total.net,
        grand_total=total.gross,
        tax_summary=(),
    )


@attrs.frozen(kw_only=True)
class CheckoutRequest:
    """Everything a checkout is asked to do; its :meth:`fingerprint` identifies it.

    Attributes:
        cart_id: the cart to buy.
        customer: who buys (the order's customer).
        billing_address: the billing address.
        shipping_address: the shipping address (also the tax and shipping destination).
        shipping_method: the chosen shipping method code.
        payment_method: the tokenized payment method (never a card number).
        idempotency_key: the caller's key: the same key returns the same outcome.
        accept_price_changes: continue when repricing changed a price (else stop with them).
        coupon_codes: the codes the shopper entered.
        capture_mode: capture now, or only authorize (None: the service's default).
        session_id: the analytics visit (defaults to the cart id).
        channel: the analytics acquisition channel.

    Raises:
        InvalidCheckoutError: an empty cart id, idempotency key or channel.
    """

    cart_id: str
    customer: Customer
    billing_address: Address
    shipping_address: Address
    shipping_method: str
    payment_method: PaymentMethod
    idempotency_key: str
    accept_price_changes: bool = False
    coupon_codes: tuple[str, ...] = attrs.field(default=(), converter=_codes)
    capture_mode: CaptureMode | None = None
    session_id: str | None = None
    channel: str = "web"

    def __attrs_post_init__(self) -> None:
        if not str(self.cart_id).strip():
            raise InvalidCheckoutError("cart_id", "must be a non-empty string")
        if not str(self.idempotency_key).strip():
            raise InvalidCheckoutError("idempotency_key", "must be a non-empty string")
        if not str(self.channel).strip():
            raise InvalidCheckoutError("channel", "must be a non-empty string")

    @property
    def checkout_id(self) -> str:
        """The checkout id derived from the idempotency key."""
        return checkout_id_for(self.idempotency_key)

    def to_data(self) -> dict[str, Any]:
        """The request as JSON primitives."""
        return {
            "cart_id": self.cart_id,
            "customer": _customer_data(self.customer),
            "billing_address": self.billing_address.to_data(),
            "shipping_address": self.shipping_address.to_data(),
            "shipping_method": self.shipping_method,
            "payment_method": self.payment_method.to_data(),
            "idempotency_key": self.idempotency_key,
            "accept_price_changes": self.accept_price_changes,
            "coupon_codes": list(self.coupon_codes),
            "capture_mode": None if self.capture_mode is None else str(self.capture_mode),
            "session_id": self.session_id,
            "channel": self.channel,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CheckoutRequest:
        """Rebuild from :meth:`to_data` output."""
        mode = data["capture_mode"]
        return cls(
            cart_id=data["cart_id"],
            customer=Customer(**data["customer"]),
            billing_address=Address.from_data(data["billing_address"]),
            shipping_address=Address.from_data(data["shipping_address"]),
            shipping_method=data["shipping_method"],
            payment_method=PaymentMethod.from_data(data["payment_method"]),
            idempotency_key=data["idempotency_key"],
            accept_price_changes=bool(data["accept_price_changes"]),
            coupon_codes=tuple(data["coupon_codes"]),
            capture_mode=None if mode is None else CaptureMode(mode),
            session_id=data["session_id"],
            channel=data["channel"],
        )

    def fingerprint(self) -> str:
        """A SHA-256 of what changes the purchase: the same purchase, the same print.

        It covers the cart, the customer, both addresses, the shipping method, the payment
        token, the coupon codes (normalized: case, surrounding spaces, order and repeats do
        not matter), the capture mode and ``accept_price_changes``. The analytics session and
        channel are left out: re-sending a key from a new session is the same purchase.

        >>> home = Address("Ana", "1 rue du Thé", "Lyon", "69001", "FR")
        >>> a = CheckoutRequest(
        ...     cart_id="c",
        ...     customer=Customer("a@example.test"),
        ...     billing_address=home,
        ...     shipping_address=home,
        ...     shipping_method="standard",
        ...     payment_method=PaymentMethod("tok_visa"),
        ...     idempotency_key="k",
        ...     coupon_codes=("save5",),
        ...     session_id="s-1",
        ... )
        >>> b = attrs.evolve(a, coupon_codes=(" SAVE5",), session_id="s-2", channel="app")
        >>> a.fingerprint() == b.fingerprint()
        True
        >>> a.fingerprint() == attrs.evolve(a, shipping_method="express").fingerprint()
        False
        """
        if type(self) is not CheckoutRequest or not _flat_parts(self):
            return self._fingerprint_of(self.to_data())
        codes = sorted({_code_key(code) for code in self.coupon_codes}) if self.coupon_codes else []
        try:
            blob = _own_purchase_json(self, codes)
        except TypeError:  # a value that is not text (or a bool where one is expected)
            blob = _CANONICAL.encode(_purchase(self.to_data(), codes))
        return hashlib.sha256(blob.encode()).hexdigest()

    def _fingerprint_of(self, data: Mapping[str, Any]) -> str:
        """:meth:`fingerprint` of this request's :meth:`to_data` output (built once per attempt)."""
        codes = sorted({_code_key(code) for code in self.coupon_codes}) if self.coupon_codes else []
        try:
            blob = _purchase_json(data, codes)
        except TypeError:  # a value that is not text (or a bool where one is expected)
            blob = _CANONICAL.encode(_purchase(data, codes))
        return hashlib.sha256(blob.encode()).hexdigest()


_CANONICAL: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
"""What ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` writes, built once."""


def _text_json(value: object) -> str:
    """A text or ``None`` as ``json`` writes it (``TypeError`` for any other value)."""
    return "null" if value is None else encode_basestring_ascii(value)  # type: ignore[arg-type]


def _flat_json(data: Mapping[str, Any]) -> str:
    """The canonical JSON of a flat dict of texts and ``None`` (``TypeError`` for other values)."""
    return (
        "{"
        + ",".join(
            [
                f"{encode_basestring_ascii(key)}:"
                f"{'null' if value is None else encode_basestring_ascii(value)}"
                for key, value in sorted(data.items())
            ]
        )
        + "}"
    )


def _purchase(data: Mapping[str, Any], codes: list[str]) -> dict[str, Any]:
    """What a request's fingerprint covers, of its ``to_data()`` and its normalized codes."""
    return {
        "cart_id": data["cart_id"],
        "customer": data["customer"],
        "billing_address": data["billing_address"],
        "shipping_address": data["shipping_address"],
        "shipping_method": data["shipping_method"],
        "payment_token": data["payment_method"]["token"],
        "coupon_codes": codes,
        "capture_mode": data["capture_mode"],
        "accept_price_changes": data["accept_price_changes"],
    }


def _purchase_json(data: Mapping[str, Any], codes: list[str]) -> str:
    """``_CANONICAL.encode(_purchase(data, codes))`` for the usual values, written field by field.

    The keys come sorted and the texts go through ``encode_basestring_ascii`` as ``json``
    writes them (no ``_purchase`` dict is built on the way). Raises ``TypeError`` for a value
    of another kind (the caller then uses the JSON encoder itself).
    """
    accept = data["accept_price_changes"]
    if type(accept) is not bool:
        raise TypeError(accept)
    coupon_codes = ",".join([encode_basestring_ascii(code) for code in codes])
    billing_data = data["billing_address"]
    billing = _flat_json(billing_data)
    shipping_data = data["shipping_address"]
    # one address for both (the common case): its JSON is written once
    shipping = billing if shipping_data == billing_data else _flat_json(shipping_data)
    return (
        f'{{"accept_price_changes":{"true" if accept else "false"},'
        f'"billing_address":{billing},'
        f'"capture_mode":{_text_json(data["capture_mode"])},'
        f'"cart_id":{encode_basestring_ascii(data["cart_id"])},'
        f'"coupon_codes":[{coupon_codes}],'
        f'"customer":{_flat_json(data["customer"])},'
        f'"payment_token":{encode_basestring_ascii(data["payment_method"]["token"])},'
        f'"shipping_address":{shipping},'
        f'"shipping_method":{encode_basestring_ascii(data["shipping_method"])}}}'
    )


def _address_json(address: Address) -> str:
    """``_flat_json(address.to_data())`` of an ``Address`` itself, its fields in sorted key order.

    Raises ``TypeError`` for a field that is not text, as :func:`_flat_json` does for a value
    other than text or None (an address field is never None).
    """
    return (
        f'{{"city":{encode_basestring_ascii(address.city)},'
        f'"country":{encode_basestring_ascii(address.country)},'
        f'"line1":{encode_basestring_ascii(address.line1)},'
        f'"line2":{encode_basestring_ascii(address.line2)},'
        f'"name":{encode_basestring_ascii(address.name)},'
        f'"phone":{encode_basestring_ascii(address.phone)},'
        f'"postal_code":{encode_basestring_ascii(address.postal_code)},'
        f'"region":{encode_basestring_ascii(address.region)}}}'
    )


def _own_purchase_json(request: CheckoutRequest, codes: list[str]) -> str:
    """``_purchase_json(request.to_data(), codes)`` written from the request itself.

    Only for a ``CheckoutRequest`` of :func:`_flat_parts`: its customer and addresses are the
    library's own classes, whose data are the fields written here in sorted key order. No
    ``to_data()`` tree is built on the way. Raises ``TypeError`` where ``_purchase_json`` does.
    """
    accept = request.accept_price_changes
    if type(accept) is not bool:
        raise TypeError(accept)
    coupon_codes = ",".join([encode_basestring_ascii(code) for code in codes])
    billing_address = request.billing_address
    shipping_address = request.shipping_address
    billing = _address_json(billing_address)
    # one address for both (the common case): its JSON is written once
    shipping = (
        billing
        if shipping_address is billing_address or shipping_address == billing_address
        else _address_json(shipping_address)
    )
    customer = request.customer
    mode = request.capture_mode
    return (
        f'{{"accept_price_changes":{"true" if accept else "false"},'
        f'"billing_address":{billing},'
        f'"capture_mode":{"null" if mode is None else encode_basestring_ascii(str(mode))},'
        f'"cart_id":{encode_basestring_ascii(request.cart_id)},'
        f'"coupon_codes":[{coupon_codes}],'
        f'"customer":{{"customer_id":{_text_json(customer.customer_id)},'
        f'"email":{encode_basestring_ascii(customer.email)},'
        f'"name":{encode_basestring_ascii(customer.name)}}},'
        f'"payment_token":{encode_basestring_ascii(request.payment_method.token)},'
        f'"shipping_address":{shipping},'
        f'"shipping_method":{encode_basestring_ascii(request.shipping_method)}}}'
    )


@attrs.frozen(kw_only=True)
class CheckoutFailure:
    """A checkout that produced no order, and why (a value, never an exception).

    Attributes:
        checkout_id: the attempt.
        reason: the reason code.
        message: a sentence for logs and support.
        price_changes: for ``PRICE_CHANGED``: every changed unit price.
        shortages: for ``OUT_OF_STOCK``: the SKUs lacking stock.
        coupon_code: for the coupon reasons: the code refused.
        coupon_reason: the promotions engine's reason for it (``"expired"``, ``"limit_reached"``).
        decline_code: for ``PAYMENT_DECLINED``: the gateway's decline code.
        required_action: for ``REQUIRES_ACTION``: what the customer must do next.
        replayed: whether this answer came from the log (an idempotent replay).
    """

    ok: ClassVar[bool] = False

    checkout_id: str
    reason: FailureReason
    message: str = ""
    price_changes: tuple[PriceChange, ...] = attrs.field(default=(), converter=_changes)
    shortages: tuple[Shortage, ...] = attrs.field(default=(), converter=_shortages)
    coupon_code: str | None = None
    coupon_reason: str | None = None
    decline_code: str | None = None
    required_action: RequiredAction | None = None
    replayed: bool = False

    @property
    def final(self) -> bool:
        """False only for ``REQUIRES_ACTION``: the checkout may still complete after the action."""
        return self.reason is not FailureReason.REQUIRES_ACTION

    def to_data(self) -> dict[str, Any]:
        """The failure as JSON primitives (``replayed`` is not stored)."""
        action = self.required_action
        return {
            "checkout_id": self.checkout_id,
            "reason": str(self.reason),
            "message": self.message,
            "price_changes": [
                {
                    "line_id": c.line_id,
                    "sku": c.sku,
                    "old": money_to_data(c.old),
                    "new": money_to_data(c.new),
                }
                for c in self.price_changes
            ],
            "shortages": [attrs.asdict(s) for s in self.shortages],
            "coupon_code": self.coupon_code,
            "coupon_reason": self.coupon_reason,
            "decline_code": self.decline_code,
            "required_action": None
            if action is None
            else {"kind": action.kind, "url": action.url, "client_secret": action.client_secret},
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, replayed: bool = False) -> CheckoutFailure:
        """Rebuild from :meth:`to_data` output."""
        action = data["required_action"]
        return cls(
            checkout_id=data["checkout_id"],
            reason=FailureReason(data["reason"]),
            message=data["message"],
            price_changes=[
                PriceChange(
                    c["line_id"], c["sku"], money_from_data(c["old"]), money_from_data(c["new"])
                )
                for c in data["price_changes"]
            ],
            shortages=[Shortage(**s) for s in data["shortages"]],
            coupon_code=data["coupon_code"],
            coupon_reason=data["coupon_reason"],
            decline_code=data["decline_code"],
            required_action=None if action is None else RequiredAction(**action),
            replayed=replayed,
        )


@attrs.frozen(kw_only=True)
class CheckoutSuccess:
    """A checkout that placed an order.

    Attributes:
        checkout_id: the attempt.
        order: the order (as stored when the result was made).
        payment_id: the payment that pays it.
        captured: whether the money was captured (False in authorize-only mode).
        completed: whether step 7 (commit stock, close the cart, notify) finished; when False the
            sale stands and :meth:`CheckoutService.recover` finishes the bookkeeping.
        replayed: whether this answer came from the log (an idempotent replay).
    """

    ok: ClassVar[bool] = True

    checkout_id: str
    order: Order
    payment_id: str
    captured: bool
    completed: bool = True
    replayed: bool = False


@attrs.frozen(kw_only=True)
class CheckoutCapture:
    """What capturing an authorize-only checkout did (``CheckoutService.capture``).

    Attributes:
        checkout_id: the checkout.
        order: the order afterwards (``payment_status`` ``"paid"`` once captured).
        payment_id: the payment.
        captured: the amount captured on the payment so far.
        decline_code: the gateway's decline code when the capture was refused.
        transient: the gateway stayed unavailable after the retries (try again later).
    """

    checkout_id: str
    order: Order
    payment_id: str
    captured: Money
    decline_code: str | None = None
    transient: bool = False

    @property
    def ok(self) -> bool:
        """Whether the money is captured and recorded on the order."""
        return self.decline_code is None and not self.transient


CheckoutResult = CheckoutSuccess | CheckoutFailure
"""What :meth:`CheckoutService.checkout` returns: test ``result.ok`` or ``isinstance``."""


@attrs.frozen(kw_only=True)
class CheckoutStepCompleted(DomainEvent):
    """A step of a checkout attempt was done and recorded."""

    checkout_id: str
    step: str


@attrs.frozen(kw_only=True)
class CheckoutSucceeded(DomainEvent):
    """A checkout attempt placed its order."""

    checkout_id: str
    order_id: str


@attrs.frozen(kw_only=True)
class CheckoutFailed(DomainEvent):
    """A checkout attempt ended without an order (everything it held was given back)."""

    checkout_id: str
    reason: str


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


@attrs.define(eq=False)
class CheckoutAttempt(EventRecorder):
    """The durable record of one checkout attempt (the ``CheckoutLog`` stores these).

    Build it with :meth:`start`. It knows the request, the steps done, the facts the undo needs
    (the redeemed codes, the amount), and the outcome.

    Attributes:
        checkout_id: derived from the idempotency key (:func:`checkout_id_for`).
        request: what was asked.
        fingerprint: the request's fingerprint.
        started_at: when the attempt began.
        version: the stored version (optimistic concurrency).
    """

    checkout_id: str
    request: CheckoutRequest
    fingerprint: str
    started_at: datetime
    version: int = 0
    _status: CheckoutStatus = attrs.field(default=CheckoutStatus.IN_PROGRESS, alias="_status")
    _steps: tuple[CheckoutStep, ...] = attrs.field(default=(), alias="_steps")
    _updated_at: datetime | None = attrs.field(default=None, alias="_updated_at")
    _codes: tuple[str, ...] = attrs.field(default=(), alias="_codes")
    _amount: dict[str, str] | None = attrs.field(default=None, alias="_amount")
    _draft: dict[str, Any] | None = attrs.field(default=None, alias="_draft")
    _priced: PriceBreakdown | None = attrs.field(init=False, default=None, repr=False)
    """The priced cart whose draft is recorded, until the draft is first read (then ``_draft``)."""
    _order_id: str | None = attrs.field(default=None, alias="_order_id")
    _failure: CheckoutFailure | None = attrs.field(default=None, alias="_failure")
    _announced: bool = attrs.field(default=False, alias="_announced")
    _refusals: int = attrs.field(default=0, alias="_refusals")
    _shortages: tuple[Shortage, ...] = attrs.field(default=(), alias="_shortages")
    _events: list[DomainEvent] = attrs.field(init=False, factory=list)
    _step_events: list[tuple[datetime, CheckoutStep]] = attrs.field(
        init=False, factory=list, repr=False
    )
    """The pending ``CheckoutStepCompleted`` events as ``(occurred_at, step)``, in order.

    Built into events when read (:meth:`collect_events`, :meth:`pending_events`): a checkout
    records seven and its service drops them unread at each save (``_drop_events``). They
    all come before the pending ``_events``: those are only the terminal outcome's event, and no
    step is recorded once the attempt ended.
    """
    _request_data: tuple[CheckoutRequest, dict[str, Any]] | None = attrs.field(
        init=False, default=None, repr=False
    )
    """``request`` and its ``to_data()``, built once: each snapshot gets a fresh copy of it."""
    _started_text: tuple[datetime, str] | None = attrs.field(init=False, default=None, repr=False)
    """``started_at`` and its ISO text, written once for every snapshot."""
    _updated_text: tuple[datetime, str] | None = attrs.field(init=False, default=None, repr=False)
    """The last ``updated_at`` a snapshot wrote and its ISO text (a later save may reuse it)."""

    @classmethod
    def start(
        cls, request: CheckoutRequest, *, now: datetime, checkout_id: str | None = None
    ) -> CheckoutAttempt:
        """A new attempt for ``request``, in progress with no step done.

        ``checkout_id``: ``request.checkout_id`` when the caller derived it already (it must be
        that id; ``None`` derives it).
        """
        return cls(
            checkout_id=request.checkout_id if checkout_id is None else checkout_id,
            request=request,
            fingerprint=request.fingerprint(),
            started_at=now,
            _updated_at=now,
        )

    # -- views --

    @property
    def idempotency_key(self) -> str:
        """The caller's key."""
        return self.request.idempotency_key

    @property
    def cart_id(self) -> str:
        """The cart being bought."""
        return self.request.cart_id

    @property
    def status(self) -> CheckoutStatus:
        """The lifecycle status."""
        return self._status

    @property
    def steps(self) -> tuple[CheckoutStep, ...]:
        """The steps done, in order."""
        return self._steps

    @property
    def last_step(self) -> CheckoutStep | None:
        """The latest step done (None before validation)."""
        return self._steps[-1] if self._steps else None

    @property
    def updated_at(self) -> datetime:
        """When the attempt was last changed (recovery picks attempts idle for long)."""
        return self._updated_at if self._updated_at is not None else self.started_at

    @property
    def redeemed_codes(self) -> tuple[str, ...]:
        """The coupon codes holding a use for this checkout (to give back on undo)."""
        return self._codes

    @property
    def amount(self) -> dict[str, str] | None:
        """The amount authorized, as ``money_to_data`` (None before authorization)."""
        return self._amount

    @property
    def draft(self) -> dict[str, Any] | None:
        """The order draft priced at validation (:func:`draft_from_breakdown`).

        The order is created from it, so a checkout resumed after 3-D Secure places exactly
        what was authorized, without pricing the cart again. None before validation and again
        once the order is created (the order holds what was placed). The snapshot carries it
        only while the attempt awaits a customer action: that is the only time a run reads it
        back from the log (an attempt interrupted in progress before its order exists is rolled
        back, never continued, so its saves need no draft).
        """
        if self._priced is not None:
            self._draft, self._priced = draft_from_breakdown(self._priced), None
        return self._draft

    @property
    def order_id(self) -> str | None:
        """The order's id once created."""
        return self._order_id

    @property
    def failure(self) -> CheckoutFailure | None:
        """The failure decided (rolling back, failed or awaiting action)."""
        return self._failure

    @property
    def announced(self) -> bool:
        """Whether the outcome's analytics event was emitted.

        ``OrderPlaced`` for a success, ``PaymentFailed`` for a payment failure; other failures
        have none and are marked too. The service emits, then marks, then saves: a crash in
        between emits again on recovery (at least once across a crash, exactly once otherwise).
        """
        return self._announced

    @property
    def is_terminal(self) -> bool:
        """Whether the attempt ended (succeeded or failed)."""
        return self._status in _TERMINAL

    def done(self, step: CheckoutStep) -> bool:
        """Whether ``step`` was recorded."""
        return step in self._steps

    # -- commands --

    def _move(self, target: CheckoutStatus, now: datetime) -> None:
        CHECKOUT_LIFECYCLE.check(self._status, target)
        self._status = target
        self._updated_at = now

    def complete_step(
        self,
        step: CheckoutStep,
        *,
        now: datetime,
        codes: Iterable[str] | None = None,
        amount: dict[str, str] | None = None,
        order_id: str | None = None,
        draft: Mapping[str, Any] | None = None,
        priced: PriceBreakdown | None = None,
    ) -> None:
        """Record ``step`` as done, with the facts it produced (idempotent for a recorded step).

        ``priced`` records the draft of a priced cart like ``draft=draft_from_breakdown(priced)``
        (built only when read or saved: a snapshot builds it anew rather than copying it).

        Raises:
            InvalidCheckoutError: the attempt is not in progress, or ``step`` comes before the
                last recorded step (steps may be skipped: no capture in authorize-only mode).
        """
        steps = self._steps
        if step in steps:
            return
        if self._status is not CheckoutStatus.IN_PROGRESS:
            raise InvalidCheckoutError("step", f"cannot record {step} while {self._status}")
        if steps and _STEP_RANK[step] < _STEP_RANK[steps[-1]]:
            raise InvalidCheckoutError("step", f"{step} cannot follow {steps[-1]}")
        self._steps = (*steps, step)
        self._updated_at = now
        if codes is not None:
            self._codes = tuple(codes)
        if amount is not None:
            self._amount = dict(amount)
        if order_id is not None:
            self._order_id = order_id
        if draft is not None:
            self._draft, self._priced = dict(draft), None
        if priced is not None:
            self._draft, self._priced = None, priced
        if step is CheckoutStep.ORDER_CREATED:
            # The order now holds what was placed; the draft is never read again, so the saves
            # from here on (order created, outcome) do not carry it.
            self._draft = self._priced = None
        self._step_events.append((now, step))  # a CheckoutStepCompleted, built when read

    def _build_step_events(self) -> None:
        """Turn the pending ``(occurred_at, step)`` into events, ahead of the other pending ones."""
        checkout_id = self.checkout_id
        self._events[:0] = [
            CheckoutStepCompleted(occurred_at=at, checkout_id=checkout_id, step=step)
            for at, step in self._step_events
        ]
        self._step_events.clear()

    def collect_events(self) -> tuple[DomainEvent, ...]:
        """Return the pending events in the order they happened and forget them."""
        if self._step_events:
            self._build_step_events()
        return super().collect_events()

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """The events recorded since the last ``collect_events()``, without draining them."""
        if self._step_events:
            self._build_step_events()
        return tuple(self._events)

    def _drop_events(self) -> None:
        """Internal: forget the pending events unread (the checkout service, after a save)."""
        self._step_events.clear()
        self._events.clear()

    def await_action(self, failure: CheckoutFailure, *, now: datetime) -> None:
        """The payment needs a customer action: hold everything and wait."""
        self._move(CheckoutStatus.AWAITING_ACTION, now)
        self._failure = failure

    def resume(self, *, now: datetime) -> None:
        """Continue after the customer action was completed."""
        self._move(CheckoutStatus.IN_PROGRESS, now)
        self._failure = None

    @property
    def refusals(self) -> int:
        """How many times the gateway refused to give the money back during the undo.

        The undo asks again under a fresh idempotency scope per refusal, so a refused void or
        refund is not replayed as the final answer of its key.
        """
        return self._refusals

    @property
    def shortages(self) -> tuple[Shortage, ...]:
        """Stock a standing sale could not get (flagged for the merchant).

        Its hold lapsed before it was committed and the units were sold meanwhile. The sale
        stands (the money is captured, the order exists); the merchant restocks or settles it
        with the customer.
        """
        return self._shortages

    def record_shortages(self, shortages: Iterable[Shortage]) -> None:
        """Flag the sale as short of ``shortages`` (its stock could not be committed)."""
        self._shortages = tuple(shortages)

    def note_refusal(self) -> None:
        """Record that the gateway refused a void or refund of the undo (the next try asks anew)."""
        self._refusals += 1

    def mark_announced(self) -> None:
        """Record that the outcome's analytics event was emitted (idempotent)."""
        self._announced = True

    def touch(self, *, now: datetime) -> None:
        """Mark the attempt as worked on now (a recoverer claims it by saving this)."""
        self._updated_at = now

    def begin_rollback(self, failure: CheckoutFailure, *, now: datetime) -> None:
        """Decide the failure; the undo follows (and is resumed by recovery after a crash)."""
        self._move(CheckoutStatus.ROLLING_BACK, now)
        self._failure = failure

    def finish_rollback(self, *, now: datetime) -> None:
        """Everything was undone: the attempt failed."""
        self._move(CheckoutStatus.FAILED, now)
        reason = self._failure.reason if self._failure is not None else FailureReason.INTERNAL_ERROR
        self._record(CheckoutFailed(occurred_at=now, checkout_id=self.checkout_id, reason=reason))

    def succeed(self, *, now: datetime) -> None:
        """The order is placed and the bookkeeping done."""
        if self._order_id is None:
            raise InvalidCheckoutError("order_id", "no order was created")
        self._move(CheckoutStatus.SUCCEEDED, now)
        self._record(
            CheckoutSucceeded(
                occurred_at=now, checkout_id=self.checkout_id, order_id=self._order_id
            )
        )

    # -- snapshots --

    def to_snapshot(self) -> dict[str, Any]:
        """The attempt as JSON primitives (a new tree on every call: it shares no dict or list)."""
        cached = self._request_data
        if cached is None or cached[0] is not self.request:
            cached = self._request_data = (self.request, self.request.to_data())
        started = self._started_text = iso_memo(self._started_text, self.started_at)
        updated = self._updated_at
        if updated is None or updated is started[0]:
            updated_text = started[1]
        else:
            known = self._updated_text = iso_memo(self._updated_text, updated)
            updated_text = known[1]
        amount = self._amount
        draft_data = self._draft_data()
        return {
            "checkout_id": self.checkout_id,
            "request": (
                _fresh_request(cached[1]) if _flat_parts(self.request) else _fresh(cached[1])
            ),
            "fingerprint": self.fingerprint,
            "started_at": started[1],
            "status": _STATUS_TEXT[self._status],
            "steps": list(map(_STEP_TEXT.__getitem__, self._steps)),
            "updated_at": updated_text,
            "codes": list(self._codes),
            "amount": None if amount is None else dict(amount),
            "draft": draft_data,
            "order_id": self._order_id,
            "failure": None if self._failure is None else self._failure.to_data(),
            "announced": self._announced,
            "refusals": self._refusals,
            "shortages": [attrs.asdict(s) for s in self._shortages] if self._shortages else [],
        }

    def _draft_data(self) -> dict[str, Any] | None:
        """The order draft as a snapshot writes it: a new tree, only while awaiting an action.

        That is the one time a run reads the draft back; otherwise the snapshot holds None.
        """
        if self._status is not CheckoutStatus.AWAITING_ACTION:
            return None
        if self._priced is not None:
            return draft_from_breakdown(self._priced)  # a new tree: nothing to copy
        draft = self._draft
        return None if draft is None else _fresh(draft)

    def _to_row(self) -> _AttemptRow:
        """Internal: the attempt as the in-memory checkout log keeps it (:func:`_snapshot_of_row`).

        What :meth:`to_snapshot` writes, kept as the values it is written from: the immutable
        ones as they are (texts, instants, the status, the tuples of steps and codes, and the
        request itself when it is the library's own frozen classes: :func:`_flat_row_request`),
        every dict or list as a new one that only the row holds. No text, list or dict of the
        snapshot is built on a save: :func:`_snapshot_of_row` builds them when the row is read.
        """
        request = self.request
        amount = self._amount
        draft_data = self._draft_data()
        return _AttemptRow(
            self.checkout_id,
            request if _flat_row_request(request) else _fresh(request.to_data()),
            self.fingerprint,
            self.started_at,
            self._status,
            self._steps,
            self._updated_at,
            self._codes,
            None if amount is None else dict(amount),
            draft_data,
            self._order_id,
            None if self._failure is None else self._failure.to_data(),
            self._announced,
            self._refusals,
            [attrs.asdict(s) for s in self._shortages] if self._shortages else None,
        )

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], version: int) -> CheckoutAttempt:
        """Rebuild from :meth:`to_snapshot` output at ``version``."""
        failure = data["failure"]
        return cls(
            checkout_id=data["checkout_id"],
            request=CheckoutRequest.from_data(data["request"]),
            fingerprint=data["fingerprint"],
            started_at=_dt(data["started_at"]),
            version=version,
            _status=CheckoutStatus(data["status"]),
            _steps=tuple(CheckoutStep(s) for s in data["steps"]),
            _updated_at=_dt(data["updated_at"]),
            _codes=tuple(data["codes"]),
            _amount=None if data["amount"] is None else dict(data["amount"]),
            _draft=None if data.get("draft") is None else dict(data["draft"]),
            _order_id=data["order_id"],
            _failure=None if failure is None else CheckoutFailure.from_data(failure),
            _announced=bool(data.get("announced", False)),
            _refusals=int(data.get("refusals", 0)),
            _shortages=tuple(Shortage(**s) for s in data.get("shortages", ())),
        )


class _AttemptRow(NamedTuple):
    """Internal: a checkout attempt as the in-memory log keeps it (``CheckoutAttempt._to_row``).

    Its dicts and lists are held by the row alone (never by the attempt or another row) and
    never handed out: :func:`_snapshot_of_row` copies them. One tuple per saved attempt.
    """

    checkout_id: str
    request: CheckoutRequest | dict[str, Any]
    """The request itself, or a copy of its data (:func:`_flat_row_request`)."""
    fingerprint: str
    started_at: datetime
    status: CheckoutStatus
    steps: tuple[CheckoutStep, ...]
    updated_at: datetime | None
    """None: ``started_at``."""
    codes: tuple[str, ...]
    amount: dict[str, str] | None
    draft: dict[str, Any] | None
    """Only while awaiting an action."""
    order_id: str | None
    failure: dict[str, Any] | None
    """As ``CheckoutFailure.to_data()``."""
    announced: bool
    refusals: int
    shortages: list[dict[str, Any]] | None
    """The shortages as data (None: none)."""


def _flat_row_request(request: CheckoutRequest) -> bool:
    """The request is a value of the library's own frozen classes, all the way down.

    Its ``to_data()`` is then the same at every call, and a new tree each time: a row keeps the
    request itself rather than its data. Any other request (a subclass, a host's customer class
    that may hold a list) is kept as a copy of its data, as a snapshot would keep it.
    """
    if type(request) is not CheckoutRequest or not _flat_parts(request):
        return False
    card = request.payment_method.card
    if card is not None and type(card) is not CardSummary:
        return False
    codes = request.coupon_codes
    return not codes or all(type(code) is str for code in codes)


def _snapshot_of_row(row: _AttemptRow) -> dict[str, Any]:
    """What :meth:`CheckoutAttempt.to_snapshot` returned for the attempt ``row`` was taken of.

    A new tree on every call: it shares no dict or list with the row or an earlier call.
    """
    (
        checkout_id,
        request,
        fingerprint,
        started_at,
        status,
        steps,
        updated_at,
        codes,
        amount,
        draft,
        order_id,
        failure,
        announced,
        refusals,
        shortages,
    ) = row
    return {
        "checkout_id": checkout_id,
        "request": request.to_data() if type(request) is CheckoutRequest else _fresh(request),
        "fingerprint": fingerprint,
        "started_at": started_at.isoformat(),
        "status": _STATUS_TEXT[status],
        "steps": list(map(_STEP_TEXT.__getitem__, steps)),
        "updated_at": (started_at if updated_at is None else updated_at).isoformat(),
        "codes": list(codes),
        "amount": None if amount is None else dict(amount),
        "draft": None if draft is None else _fresh(draft),
        "order_id": order_id,
        "failure": None if failure is None else _fresh(failure),
        "announced": announced,
        "refusals": refusals,
        "shortages": [] if shortages is None else _fresh(shortages),
    }
