"""Journey and sales events, and their versioned JSON-lines codec.

Every event is a frozen :class:`~commerce_core.domain.events.DomainEvent` carrying the time it
happened (timezone-aware), the session it belongs to, the customer when known and the
acquisition channel. Money travels as exact decimal strings with one ``currency`` per line, never
as a float.

One line of JSON per event (schema version :data:`SCHEMA_VERSION`)::

    {
        "v": 1,
        "type": "ProductViewed",
        "occurred_at": "2026-03-01T10:00:00+00:00",
        "session_id": "s1",
        "customer_id": null,
        "channel": "ads",
        "sku": "MUG",
    }

:func:`to_json` / :func:`from_json` convert one event; :func:`decode_lines` streams a file's lines
into events and :class:`LineProblem` values (line number and reason) for lines it cannot read.
:func:`event_json_schema` describes every line as a JSON Schema document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeAlias

import attrs
from moneyed import Money

from commerce_core.domain.events import DomainEvent
from commerce_core.errors import (
    CommerceError,
    InvalidAnalyticsEventError,
    MalformedEventLineError,
)
from commerce_core.money import currency_of, ensure_same_currency, minor_units, quantize, to_minor

__all__ = [
    "SCHEMA_VERSION",
    "JourneyEvent",
    "SessionStarted",
    "ProductViewed",
    "ProductAddedToCart",
    "ProductRemovedFromCart",
    "CheckoutStarted",
    "PaymentFailed",
    "OrderedItem",
    "AppliedDiscount",
    "OrderPlaced",
    "OrderRefunded",
    "OrderCancelled",
    "AnyJourneyEvent",
    "EVENT_TYPES",
    "LineProblem",
    "to_json",
    "from_json",
    "decode_lines",
    "event_json_schema",
]

SCHEMA_VERSION: Final = 1
"""The version written in every line's ``"v"`` field; lines of another version are refused."""


def _text(event_type: str, name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        raise InvalidAnalyticsEventError(event_type, f"{name} must be a non-empty string")


def _on_grid(event_type: str, name: str, amount: object, *, positive: bool = False) -> int:
    if not isinstance(amount, Money):
        raise InvalidAnalyticsEventError(event_type, f"{name} must be Money")
    try:
        units = to_minor(amount)
    except CommerceError as error:
        raise InvalidAnalyticsEventError(event_type, f"{name}: {error}") from None
    if units < 0 or (positive and units == 0):
        raise InvalidAnalyticsEventError(event_type, f"{name} must be positive")
    return units


@attrs.frozen(kw_only=True)
class JourneyEvent(DomainEvent):
    """What every journey and sales event carries.

    Attributes:
        occurred_at: when it happened (timezone-aware).
        session_id: the visit it belongs to.
        channel: the acquisition channel of the visit (``"ads"``, ``"email"``, ``"organic"``...).
        customer_id: the customer, when known (``None`` for an anonymous visitor).

    Raises:
        InvalidAnalyticsEventError: a naive time or an empty id or channel.
    """

    session_id: str
    channel: str
    customer_id: str | None = None

    def __attrs_post_init__(self) -> None:
        kind = self.event_type
        at: object = self.occurred_at
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            raise InvalidAnalyticsEventError(kind, "occurred_at must be a timezone-aware datetime")
        _text(kind, "session_id", self.session_id)
        _text(kind, "channel", self.channel)
        _text(kind, "customer_id", self.customer_id, optional=True)
        self._validate()

    def _validate(self) -> None:
        """Subclass rules (called once the common fields are checked)."""


@attrs.frozen(kw_only=True)
class SessionStarted(JourneyEvent):
    """A visit began; ``campaign`` and ``utm_source`` tell where it came from."""

    campaign: str | None = None
    utm_source: str | None = None

    def _validate(self) -> None:
        _text(self.event_type, "campaign", self.campaign, optional=True)
        _text(self.event_type, "utm_source", self.utm_source, optional=True)


@attrs.frozen(kw_only=True)
class ProductViewed(JourneyEvent):
    """A product page was seen."""

    sku: str

    def _validate(self) -> None:
        _text(self.event_type, "sku", self.sku)


def _quantity(event_type: str, quantity: object) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidAnalyticsEventError(event_type, "quantity must be a positive integer")


@attrs.frozen(kw_only=True)
class ProductAddedToCart(JourneyEvent):
    """Units of a product were put in a cart (the first one creates the cart for analytics)."""

    cart_id: str
    sku: str
    quantity: int = 1

    def _validate(self) -> None:
        _text(self.event_type, "cart_id", self.cart_id)
        _text(self.event_type, "sku", self.sku)
        _quantity(self.event_type, self.quantity)


@attrs.frozen(kw_only=True)
class ProductRemovedFromCart(JourneyEvent):
    """Units of a product were taken out of a cart."""

    cart_id: str
    sku: str
    quantity: int = 1

    def _validate(self) -> None:
        _text(self.event_type, "cart_id", self.cart_id)
        _text(self.event_type, "sku", self.sku)
        _quantity(self.event_type, self.quantity)


@attrs.frozen(kw_only=True)
class CheckoutStarted(JourneyEvent):
    """The shopper began checking out a cart."""

    cart_id: str

    def _validate(self) -> None:
        _text(self.event_type, "cart_id", self.cart_id)


@attrs.frozen(kw_only=True)
class PaymentFailed(JourneyEvent):
    """A payment attempt for a cart failed (declined card, gateway error)."""

    cart_id: str
    amount: Money
    reason: str

    def _validate(self) -> None:
        _text(self.event_type, "cart_id", self.cart_id)
        _text(self.event_type, "reason", self.reason)
        _on_grid(self.event_type, "amount", self.amount)


@attrs.frozen
class OrderedItem:
    """One line of a placed order: ``quantity`` units at ``unit_price``.

    Amounts are before order discounts and net of tax. ``net_total`` states the line's net
    value when ``unit_price x quantity`` does not give it exactly: a price that includes tax is
    taxed per line, so its unit net (9.99 / 1.2 = 8.325) does not multiply back to the line net.
    When given, it is the line's :attr:`subtotal`, and ``unit_price`` is informational.

    >>> from commerce_core.money import money
    >>> OrderedItem("JAR", 3, money("8.33", "EUR"), net_total=money("24.98", "EUR")).subtotal
    Money('24.98', 'EUR')
    """

    sku: str
    quantity: int
    unit_price: Money
    net_total: Money | None = None

    def __attrs_post_init__(self) -> None:
        _text("OrderedItem", "sku", self.sku)
        _quantity("OrderedItem", self.quantity)
        _on_grid("OrderedItem", "unit_price", self.unit_price)
        if self.net_total is not None:
            _on_grid("OrderedItem", "net_total", self.net_total)

    @property
    def subtotal(self) -> Money:
        """The line's net value before order discounts (``net_total``, else unit x quantity)."""
        if self.net_total is not None:
            return self.net_total
        return self.unit_price * self.quantity


@attrs.frozen
class AppliedDiscount:
    """A discount granted on an order by a promotion, possibly unlocked by a coupon code."""

    promotion_id: str
    amount: Money
    coupon_code: str | None = None

    def __attrs_post_init__(self) -> None:
        _text("AppliedDiscount", "promotion_id", self.promotion_id)
        _text("AppliedDiscount", "coupon_code", self.coupon_code, optional=True)
        _on_grid("AppliedDiscount", "amount", self.amount)


def _subtotal_minor(item: OrderedItem) -> int:
    """``to_minor(item.subtotal)``: a unit price on its grid times the quantity, in minor units."""
    if item.net_total is not None:
        return to_minor(item.net_total)
    return to_minor(item.unit_price) * item.quantity


def _items(value: Iterable[OrderedItem]) -> tuple[OrderedItem, ...]:
    return tuple(value)


def _discounts(value: Iterable[AppliedDiscount]) -> tuple[AppliedDiscount, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class OrderPlaced(JourneyEvent):
    """An order was placed. All amounts are net of tax; ``tax`` is stated separately.

    ``total == subtotal - discount + shipping + tax`` where ``subtotal`` is the sum of the items'
    :attr:`OrderedItem.subtotal` (``net_total`` when given, else ``unit_price x quantity``) and
    ``discount`` the sum of ``discounts``.

    Attributes:
        order_id: the order.
        cart_id: the cart it was placed from, if any (converts that cart).
        items: the lines (at least one).
        discounts: the promotions applied, with their coupon codes.
        shipping: shipping charged, net of tax.
        tax: all tax charged on the order (items and shipping).
        total: what the customer pays.
    """

    order_id: str
    items: tuple[OrderedItem, ...] = attrs.field(converter=_items)
    total: Money
    shipping: Money
    tax: Money
    discounts: tuple[AppliedDiscount, ...] = attrs.field(default=(), converter=_discounts)
    cart_id: str | None = None

    def _validate(self) -> None:
        kind = self.event_type
        _text(kind, "order_id", self.order_id)
        _text(kind, "cart_id", self.cart_id, optional=True)
        if not self.items:
            raise InvalidAnalyticsEventError(kind, "an order has at least one item")
        for item in self.items:
            if not isinstance(item, OrderedItem):
                raise InvalidAnalyticsEventError(kind, "items must be OrderedItem values")
        for discount in self.discounts:
            if not isinstance(discount, AppliedDiscount):
                raise InvalidAnalyticsEventError(kind, "discounts must be AppliedDiscount values")
        amounts = [
            self.total,
            self.shipping,
            self.tax,
            *(i.unit_price for i in self.items),
            *(i.net_total for i in self.items if i.net_total is not None),
            *(d.amount for d in self.discounts),
        ]
        total = _on_grid(kind, "total", self.total)
        shipping = _on_grid(kind, "shipping", self.shipping)
        tax = _on_grid(kind, "tax", self.tax)
        try:
            ensure_same_currency(amounts, context=kind)
        except CommerceError as error:
            raise InvalidAnalyticsEventError(kind, str(error)) from None
        subtotal = sum(_subtotal_minor(i) for i in self.items)
        discounted = sum(to_minor(d.amount) for d in self.discounts)
        if discounted > subtotal:
            raise InvalidAnalyticsEventError(kind, "discount exceeds the items' subtotal")
        if subtotal - discounted + shipping + tax != total:
            raise InvalidAnalyticsEventError(
                kind, "total must equal subtotal - discount + shipping + tax"
            )

    @property
    def currency(self) -> str:
        """The order's currency code."""
        return currency_of(self.total)

    @property
    def subtotal(self) -> Money:
        """Sum of the items' :attr:`OrderedItem.subtotal` (before discounts, net of tax)."""
        return sum((i.subtotal for i in self.items[1:]), self.items[0].subtotal)

    @property
    def discount(self) -> Money:
        """Sum of the applied discounts."""
        return sum((d.amount for d in self.discounts), self.total * 0)

    @property
    def units(self) -> int:
        """Units ordered."""
        return sum(i.quantity for i in self.items)

    @property
    def coupon_codes(self) -> tuple[str, ...]:
        """The coupon codes used, in order of the discounts."""
        return tuple(d.coupon_code for d in self.discounts if d.coupon_code is not None)


_set: Final = object.__setattr__
"""Sets a field of a frozen attrs instance, as its generated ``__init__`` does."""


def _item(sku: str, quantity: int, unit_price: Money, net_total: Money | None) -> OrderedItem:
    """``OrderedItem(...)`` without its checks (for values checked already)."""
    item = object.__new__(OrderedItem)
    _set(item, "sku", sku)
    _set(item, "quantity", quantity)
    _set(item, "unit_price", unit_price)
    _set(item, "net_total", net_total)
    return item


def _discount(promotion_id: str, amount: Money, coupon_code: str | None) -> AppliedDiscount:
    """``AppliedDiscount(...)`` without its checks (for values checked already)."""
    discount = object.__new__(AppliedDiscount)
    _set(discount, "promotion_id", promotion_id)
    _set(discount, "amount", amount)
    _set(discount, "coupon_code", coupon_code)
    return discount


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _is_aware(value: object) -> bool:
    """Whether ``value`` is a timezone-aware ``datetime`` (as ``JourneyEvent`` requires)."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return False
    return value.utcoffset() is not None


def _grid_units(amount: object, code: str) -> int | None:
    """Minor units of a non-negative ``Money`` in currency ``code`` on its grid, else None."""
    if not isinstance(amount, Money) or amount.currency.code != code:
        return None
    try:
        units = to_minor(amount)
    except (CommerceError, ArithmeticError, ValueError, TypeError):
        return None
    return units if units >= 0 else None


ItemParts: TypeAlias = tuple[str, int, Money, Money | None]
"""An :class:`OrderedItem`'s fields ``(sku, quantity, unit_price, net_total)``."""
DiscountParts: TypeAlias = tuple[str, Money, str | None]
"""An :class:`AppliedDiscount`'s fields ``(promotion_id, amount, coupon_code)``."""


def _order_fits(
    *,
    occurred_at: object,
    texts: Sequence[object],
    optional_texts: Sequence[object],
    items: Sequence[ItemParts],
    discounts: Sequence[DiscountParts],
    shipping: object,
    tax: object,
    total: object,
) -> bool:
    """Whether the validating constructors accept these ``OrderPlaced`` values (never raises).

    Every check they make, made once over minor units: a timezone-aware time, non-empty texts,
    positive integer quantities, amounts that are ``Money`` in one currency, non-negative and
    on its grid, and ``subtotal - discount + shipping + tax == total`` with the discount within
    the subtotal.
    """
    if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
        return False
    if occurred_at.utcoffset() is None or not items:
        return False
    for value in texts:
        if not isinstance(value, str) or not value:
            return False
    for value in optional_texts:
        if value is not None and (not isinstance(value, str) or not value):
            return False
    if not isinstance(total, Money):
        return False
    code = total.currency.code
    total_units = _grid_units(total, code)
    shipping_units = _grid_units(shipping, code)
    tax_units = _grid_units(tax, code)
    if total_units is None or shipping_units is None or tax_units is None:
        return False
    subtotal = 0
    for sku, quantity, unit_price, net_total in items:
        if not _is_text(sku) or type(quantity) is not int or quantity < 1:
            return False
        unit = _grid_units(unit_price, code)
        if unit is None:
            return False
        if net_total is None:
            subtotal += unit * quantity
            continue
        net = _grid_units(net_total, code)
        if net is None:
            return False
        subtotal += net
    discounted = 0
    for promotion_id, amount, coupon_code in discounts:
        if not _is_text(promotion_id) or (coupon_code is not None and not _is_text(coupon_code)):
            return False
        units = _grid_units(amount, code)
        if units is None:
            return False
        discounted += units
    if discounted > subtotal:
        return False
    return subtotal - discounted + shipping_units + tax_units == total_units


def build_checkout_started(
    *,
    occurred_at: datetime,
    session_id: str,
    channel: str,
    customer_id: str | None,
    cart_id: str,
) -> CheckoutStarted:
    """``CheckoutStarted(...)`` with its checks made in one pass (the same event or error).

    When every check passes (a timezone-aware time, non-empty texts) the event is assembled
    without checking it again; otherwise the validating constructor runs and raises its error.
    For hot paths (every checkout announces its start).
    """
    if (
        _is_aware(occurred_at)
        and _is_text(session_id)
        and _is_text(channel)
        and (customer_id is None or _is_text(customer_id))
        and _is_text(cart_id)
    ):
        event = object.__new__(CheckoutStarted)
        _set(event, "occurred_at", occurred_at)
        _set(event, "session_id", session_id)
        _set(event, "channel", channel)
        _set(event, "customer_id", customer_id)
        _set(event, "cart_id", cart_id)
        return event
    return CheckoutStarted(
        occurred_at=occurred_at,
        session_id=session_id,
        channel=channel,
        customer_id=customer_id,
        cart_id=cart_id,
    )


def build_order_placed(
    *,
    occurred_at: datetime,
    session_id: str,
    channel: str,
    customer_id: str | None,
    order_id: str,
    cart_id: str | None,
    items: Sequence[ItemParts],
    discounts: Sequence[DiscountParts],
    shipping: Money,
    tax: Money,
    total: Money,
) -> OrderPlaced:
    """``OrderPlaced`` of items and discounts given as their fields; the checks made in one pass.

    The same event (or the same error) as ``OrderPlaced(..., items=[OrderedItem(*i) ...],
    discounts=[AppliedDiscount(*d) ...])``: when every check passes (:func:`_order_fits`) the
    values are assembled without checking them again, one at a time; otherwise the validating
    constructors run and raise their error. For hot paths (a checkout announcing its sale).
    """
    if not _order_fits(
        occurred_at=occurred_at,
        texts=(session_id, channel, order_id),
        optional_texts=(customer_id, cart_id),
        items=items,
        discounts=discounts,
        shipping=shipping,
        tax=tax,
        total=total,
    ):
        return OrderPlaced(
            occurred_at=occurred_at,
            session_id=session_id,
            channel=channel,
            customer_id=customer_id,
            order_id=order_id,
            cart_id=cart_id,
            items=[OrderedItem(*item) for item in items],
            discounts=[AppliedDiscount(*discount) for discount in discounts],
            shipping=shipping,
            tax=tax,
            total=total,
        )
    event = object.__new__(OrderPlaced)
    _set(event, "occurred_at", occurred_at)
    _set(event, "session_id", session_id)
    _set(event, "channel", channel)
    _set(event, "customer_id", customer_id)
    _set(event, "order_id", order_id)
    _set(event, "items", tuple([_item(*item) for item in items]))
    _set(event, "total", total)
    _set(event, "shipping", shipping)
    _set(event, "tax", tax)
    _set(event, "discounts", tuple([_discount(*discount) for discount in discounts]))
    _set(event, "cart_id", cart_id)
    return event


@attrs.frozen(kw_only=True)
class OrderRefunded(JourneyEvent):
    """Money went back to the customer.

    ``amount`` is everything refunded, of which ``tax`` is tax and ``shipping`` is shipping net
    of tax; the rest (:attr:`merchandise`) is goods.
    """

    order_id: str
    amount: Money
    tax: Money
    shipping: Money

    def _validate(self) -> None:
        kind = self.event_type
        _text(kind, "order_id", self.order_id)
        total = _on_grid(kind, "amount", self.amount, positive=True)
        parts = _on_grid(kind, "tax", self.tax) + _on_grid(kind, "shipping", self.shipping)
        try:
            ensure_same_currency((self.amount, self.tax, self.shipping), context=kind)
        except CommerceError as error:
            raise InvalidAnalyticsEventError(kind, str(error)) from None
        if parts > total:
            raise InvalidAnalyticsEventError(kind, "tax + shipping exceed the refunded amount")

    @property
    def merchandise(self) -> Money:
        """The refunded merchandise net of tax, ``amount - tax - shipping``."""
        return self.amount - self.tax - self.shipping


@attrs.frozen(kw_only=True)
class OrderCancelled(JourneyEvent):
    """An order was cancelled. Money returned for it arrives as :class:`OrderRefunded`."""

    order_id: str
    reason: str = "cancelled"

    def _validate(self) -> None:
        _text(self.event_type, "order_id", self.order_id)
        _text(self.event_type, "reason", self.reason)


AnyJourneyEvent: TypeAlias = (
    SessionStarted
    | ProductViewed
    | ProductAddedToCart
    | ProductRemovedFromCart
    | CheckoutStarted
    | PaymentFailed
    | OrderPlaced
    | OrderRefunded
    | OrderCancelled
)
"""Union of every concrete journey event type."""

EVENT_TYPES: Final[dict[str, type[JourneyEvent]]] = {
    cls.event_type: cls
    for cls in (
        SessionStarted,
        ProductViewed,
        ProductAddedToCart,
        ProductRemovedFromCart,
        CheckoutStarted,
        PaymentFailed,
        OrderPlaced,
        OrderRefunded,
        OrderCancelled,
    )
}
"""Every event type by its stable ``event_type`` name (the ``"type"`` of a JSON line)."""

# --- codec ---------------------------------------------------------------------------------------

# Per type: its own fields (after the common ones) and their JSON kind. The encoder, decoder and
# JSON schema are all derived from this one table.
_STR, _OPT, _INT, _MONEY, _ITEMS, _DISCOUNTS = "str", "opt", "int", "money", "items", "discounts"
_FIELDS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "SessionStarted": (("campaign", _OPT), ("utm_source", _OPT)),
    "ProductViewed": (("sku", _STR),),
    "ProductAddedToCart": (("cart_id", _STR), ("sku", _STR), ("quantity", _INT)),
    "ProductRemovedFromCart": (("cart_id", _STR), ("sku", _STR), ("quantity", _INT)),
    "CheckoutStarted": (("cart_id", _STR),),
    "PaymentFailed": (("cart_id", _STR), ("amount", _MONEY), ("reason", _STR)),
    "OrderPlaced": (
        ("order_id", _STR),
        ("cart_id", _OPT),
        ("items", _ITEMS),
        ("discounts", _DISCOUNTS),
        ("shipping", _MONEY),
        ("tax", _MONEY),
        ("total", _MONEY),
    ),
    "OrderRefunded": (
        ("order_id", _STR),
        ("amount", _MONEY),
        ("tax", _MONEY),
        ("shipping", _MONEY),
    ),
    "OrderCancelled": (("order_id", _STR), ("reason", _STR)),
}
_HAS_MONEY: Final = frozenset(
    name for name, fields in _FIELDS.items() if any(k in {_MONEY, _ITEMS} for _, k in fields)
)


def _amount(value: Money) -> str:
    return str(quantize(value).amount)


def _currency_of_event(event: JourneyEvent) -> str:
    if isinstance(event, OrderPlaced):
        return event.currency
    amount: Money = event.amount  # type: ignore[attr-defined]
    return currency_of(amount)


def _item_to_data(item: OrderedItem) -> dict[str, Any]:
    data = {"sku": item.sku, "quantity": item.quantity, "unit_price": _amount(item.unit_price)}
    if item.net_total is not None:  # optional: lines without it read as before
        data["net_total"] = _amount(item.net_total)
    return data


def to_json(event: JourneyEvent) -> str:
    """One JSON line (no newline) for ``event``, in schema version :data:`SCHEMA_VERSION`.

    >>> from datetime import UTC, datetime
    >>> at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    >>> to_json(ProductViewed(occurred_at=at, session_id="s1", channel="ads", sku="MUG"))
    '{"v": 1, "type": "ProductViewed", "occurred_at": "2026-03-01T09:30:00+00:00", \
"session_id": "s1", "customer_id": null, "channel": "ads", "sku": "MUG"}'
    """
    kind = event.event_type
    data: dict[str, Any] = {
        "v": SCHEMA_VERSION,
        "type": kind,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "session_id": event.session_id,
        "customer_id": event.customer_id,
        "channel": event.channel,
    }
    if kind in _HAS_MONEY:
        data["currency"] = _currency_of_event(event)
    for name, field_kind in _FIELDS[kind]:
        value = getattr(event, name)
        if field_kind == _MONEY:
            data[name] = _amount(value)
        elif field_kind == _ITEMS:
            data[name] = [_item_to_data(i) for i in value]
        elif field_kind == _DISCOUNTS:
            data[name] = [
                {
                    "promotion_id": d.promotion_id,
                    "coupon_code": d.coupon_code,
                    "amount": _amount(d.amount),
                }
                for d in value
            ]
        else:
            data[name] = value
    return json.dumps(data, ensure_ascii=False)


class _BadLineError(Exception):
    """A decoding problem (private; surfaced as MalformedEventLineError or LineProblem)."""


def _get(data: dict[str, Any], name: str, kind: str) -> Any:
    value = data.get(name)
    if value.__class__ is str and kind != _INT:
        return value
    if kind == _OPT:
        if value is not None and not isinstance(value, str):
            raise _BadLineError(f"{name} must be a string or null")
        return value
    if value is None:
        raise _BadLineError(f"missing field {name!r}")
    if kind == _STR and not isinstance(value, str):
        raise _BadLineError(f"{name} must be a string")
    if kind == _INT and (isinstance(value, bool) or not isinstance(value, int)):
        raise _BadLineError(f"{name} must be an integer")
    return value


def _money(value: object, currency: str, name: str) -> Money:
    if not isinstance(value, str):
        raise _BadLineError(f"{name} must be a decimal string (money is never a JSON number)")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _BadLineError(f"{name} is not a decimal number: {value!r}") from None
    if not amount.is_finite():
        raise _BadLineError(f"{name} must be finite")
    return Money(amount, currency)


def _decode(data: object) -> JourneyEvent:
    if not isinstance(data, dict):
        raise _BadLineError("a line must hold a JSON object")
    version = data.get("v")
    if version != SCHEMA_VERSION:
        raise _BadLineError(f"unsupported schema version {version!r} (expected {SCHEMA_VERSION})")
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise _BadLineError(f"unknown event type {kind!r}")
    at_text = data.get("occurred_at")
    if not isinstance(at_text, str):
        raise _BadLineError("occurred_at must be an ISO 8601 string")
    try:
        at = datetime.fromisoformat(at_text)
    except ValueError:
        raise _BadLineError(f"occurred_at is not ISO 8601: {at_text!r}") from None
    kwargs: dict[str, Any] = {
        "occurred_at": at,
        "session_id": _get(data, "session_id", _STR),
        "customer_id": _get(data, "customer_id", _OPT),
        "channel": _get(data, "channel", _STR),
    }
    currency = ""
    assert isinstance(kind, str)  # noqa: S101 - narrowed by the EVENT_TYPES lookup above
    if kind in _HAS_MONEY:
        currency = _get(data, "currency", _STR)
        try:
            minor_units(currency)  # cached by the money kernel
        except CommerceError as error:
            raise _BadLineError(str(error)) from None
    for name, field_kind in _FIELDS[kind]:
        if field_kind == _MONEY:
            kwargs[name] = _money(data.get(name), currency, name)
        elif field_kind == _ITEMS:
            kwargs[name] = tuple(
                OrderedItem(
                    sku=_get(i, "sku", _STR),
                    quantity=_get(i, "quantity", _INT),
                    unit_price=_money(i.get("unit_price"), currency, "unit_price"),
                    net_total=(
                        None
                        if i.get("net_total") is None
                        else _money(i.get("net_total"), currency, "net_total")
                    ),
                )
                for i in _objects(data.get(name), name)
            )
        elif field_kind == _DISCOUNTS:
            kwargs[name] = tuple(
                AppliedDiscount(
                    promotion_id=_get(d, "promotion_id", _STR),
                    coupon_code=_get(d, "coupon_code", _OPT),
                    amount=_money(d.get("amount"), currency, "amount"),
                )
                for d in _objects(data.get(name, []), name)
            )
        else:
            kwargs[name] = _get(data, name, field_kind)
    try:
        return cls(**kwargs)
    except CommerceError as error:
        raise _BadLineError(str(error)) from None


def _objects(value: object, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _BadLineError(f"{name} must be a list of objects")
    return value


def from_json(text: str, *, line_number: int = 1) -> JourneyEvent:
    """Decode one JSON line written by :func:`to_json`.

    Raises:
        MalformedEventLineError: bad JSON, another schema version, an unknown type, a missing or
            mistyped field, or a value the event refuses (with ``line_number``).
    """
    try:
        return _decode(json.loads(text))
    except json.JSONDecodeError as error:
        raise MalformedEventLineError(line_number, f"invalid JSON: {error.msg}") from None
    except _BadLineError as error:
        raise MalformedEventLineError(line_number, str(error)) from None
    except (TypeError, ValueError, AttributeError) as error:  # defensive: odd nested shapes
        raise MalformedEventLineError(line_number, f"malformed event: {error}") from None


@attrs.frozen
class LineProblem:
    """A line of an events file that could not be read, and why (it was skipped)."""

    line_number: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.reason}"


def decode_lines(
    lines: Iterable[str], *, strict: bool = False
) -> Iterator[JourneyEvent | LineProblem]:
    """Stream events from JSON lines (a file object works), one at a time, in bounded memory.

    Blank lines are ignored. A line that cannot be decoded yields a :class:`LineProblem` with its
    1-based line number, or raises in ``strict`` mode.

    Raises:
        MalformedEventLineError: in ``strict`` mode, at the first bad line.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield from_json(line, line_number=number)
        except MalformedEventLineError as error:
            if strict:
                raise
            yield LineProblem(number, error.reason)


def event_json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) document describing one line of every event type."""
    money_string = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
    kinds: dict[str, dict[str, Any]] = {
        _STR: {"type": "string", "minLength": 1},
        _OPT: {"type": ["string", "null"]},
        _INT: {"type": "integer", "minimum": 1},
        _MONEY: money_string,
        _ITEMS: {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["sku", "quantity", "unit_price"],
                "properties": {
                    "sku": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "unit_price": money_string,
                    "net_total": money_string,
                },
            },
        },
        _DISCOUNTS: {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["promotion_id", "amount"],
                "properties": {
                    "promotion_id": {"type": "string"},
                    "coupon_code": {"type": ["string", "null"]},
                    "amount": money_string,
                },
            },
        },
    }
    variants = []
    for kind, fields in _FIELDS.items():
        properties: dict[str, Any] = {
            "v": {"const": SCHEMA_VERSION},
            "type": {"const": kind},
            "occurred_at": {"type": "string", "format": "date-time"},
            "session_id": kinds[_STR],
            "customer_id": kinds[_OPT],
            "channel": kinds[_STR],
        }
        required = ["v", "type", "occurred_at", "session_id", "channel"]
        if kind in _HAS_MONEY:
            properties["currency"] = {"type": "string", "pattern": "^[A-Z]{3}$"}
            required.append("currency")
        for name, field_kind in fields:
            properties[name] = kinds[field_kind]
            if field_kind not in {_OPT, _DISCOUNTS}:
                required.append(name)
        variants.append(
            {"title": kind, "type": "object", "properties": properties, "required": required}
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"commerce_core/analytics-event/v{SCHEMA_VERSION}",
        "title": "commerce_core analytics event (one JSON line)",
        "oneOf": variants,
    }
