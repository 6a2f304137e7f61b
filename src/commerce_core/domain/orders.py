"""Orders: an immutable snapshot of what was sold, and everything that happens to it afterwards.

An :class:`Order` freezes the priced lines (unit prices, adjustments, tax lines, totals), the
shipping charge, the customer and the addresses at placement, so later catalog or promotion
changes never alter it. It then moves along three axes:

* the **order status** (:class:`OrderStatus`), a workflow driven by ONE
  :class:`~commerce_core.domain.state_machine.TransitionTable` plus guards with reasons
  (:class:`OrderWorkflow`); every move is written to the history (from, to, time, actor, note);
* the **payment status** (:class:`OrderPaymentStatus`), derived from the amounts authorized,
  captured and refunded that were recorded on the order;
* the **fulfilment status** (:class:`FulfilmentStatus`), derived from shipments and returns.

Every change checks its rule first and leaves the order untouched when it raises; every change
records a past-tense :class:`~commerce_core.domain.events.DomainEvent`.
"""

from __future__ import annotations

import decimal
import functools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType, TracebackType
from typing import Any, ClassVar, Final, NamedTuple, TypeAlias

import attrs

from commerce_core.domain.events import DomainEvent, EventRecorder, iso_memo
from commerce_core.domain.order_settlements import (
    CancellationSettled,
    CancellationSettlement,
    CancellationSettlementFailed,
    SettlementStep,
)
from commerce_core.domain.payment_status import (
    OrderPaymentStatus,
    derive_order_payment_status,
)
from commerce_core.domain.pricing import Adjustment, LineBreakdown, PriceBreakdown, TaxLine
from commerce_core.domain.state_machine import TransitionTable
from commerce_core.errors import (
    CancellationQuantityError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidOrderError,
    InvalidQuantityError,
    InvalidTableError,
    InvalidTransitionError,
    NotFoundError,
    PaymentFactRejectedError,
    RefundExceedsRefundableError,
    ReturnQuantityError,
    ShipmentQuantityError,
)
from commerce_core.money import (
    Money,
    TaxedMoney,
    allocate,
    allocate_evenly,
    currency_of,
    money_from_data,
    money_to_data,
    to_minor,
    zero,
)

__all__ = [
    "OrderStatus",
    "FulfilmentStatus",
    "ReturnStatus",
    "PaymentKind",
    "Address",
    "Customer",
    "PaymentTerms",
    "OrderLine",
    "OrderTotals",
    "HistoryEntry",
    "PaymentEntry",
    "Shipment",
    "RefundLine",
    "Refund",
    "ReturnLine",
    "ReturnRequest",
    "Guard",
    "OrderWorkflow",
    "ORDER_TABLE",
    "RETURN_TABLE",
    "DEFAULT_WORKFLOW",
    "Order",
    "OrderPlaced",
    "OrderStatusChanged",
    "OrderPaymentAuthorized",
    "OrderPaymentCaptured",
    "OrderPaymentVoided",
    "OrderPaid",
    "OrderShipped",
    "OrderDelivered",
    "OrderLinesCancelled",
    "OrderCancelled",
    "OrderRefunded",
    "ReturnRequested",
    "ReturnApproved",
    "ReturnRejected",
    "ReturnReceived",
    "ORDER_EVENT_TYPES",
    "StockLine",
    "PaymentOutcome",
    "OutboxMessage",
]


# --- the three axes ------------------------------------------------------------------------------


class OrderStatus(StrEnum):
    """Where an order is in its workflow (the transition table's states).

    Drawn from the three anchors: Vendure's order process (``PaymentAuthorized``,
    ``PaymentSettled``, ``PartiallyShipped``, ``Shipped``, ``Delivered``, ``Cancelled``), Saleor's
    statuses (``unfulfilled``, ``partially fulfilled``, ``fulfilled``, ``returned``, ``canceled``)
    and Solidus' ``complete``/``canceled``/``returned`` with separate payment and shipment states.
    Payment and fulfilment *progress* live on their own derived axes; this status is the stage
    a person acts on.
    """

    PLACED = "placed"
    """Created at checkout; payment not yet secured (Vendure's ArrangingPayment done)."""
    PAYMENT_AUTHORIZED = "payment_authorized"
    """Funds are held by the provider; fulfilment may start, capture happens later."""
    PAID = "paid"
    """The amount due is captured; ready to fulfil."""
    PARTIALLY_SHIPPED = "partially_shipped"
    """Some units have shipped, some remain."""
    SHIPPED = "shipped"
    """Every unit that was not cancelled has shipped."""
    DELIVERED = "delivered"
    """Every shipment has been delivered."""
    COMPLETED = "completed"
    """Closed: no open returns, nothing left to do (terminal)."""
    RETURNED = "returned"
    """Every shipped unit came back (terminal)."""
    CANCELLED = "cancelled"
    """Cancelled before anything shipped (terminal)."""


class FulfilmentStatus(StrEnum):
    """Derived from shipments, cancellations and received returns."""

    UNFULFILLED = "unfulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"


class ReturnStatus(StrEnum):
    """The lifecycle of one return request (its own table, :data:`RETURN_TABLE`)."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"
    REFUNDED = "refunded"


class PaymentKind(StrEnum):
    """A payment fact recorded on an order by the payment side."""

    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"


ORDER_TABLE: Final = TransitionTable(
    machine="order",
    initial=OrderStatus.PLACED,
    edges={
        OrderStatus.PLACED: {
            OrderStatus.PAYMENT_AUTHORIZED,
            OrderStatus.PAID,
            OrderStatus.PARTIALLY_SHIPPED,
            OrderStatus.SHIPPED,
            OrderStatus.CANCELLED,
        },
        OrderStatus.PAYMENT_AUTHORIZED: {
            OrderStatus.PAID,
            OrderStatus.PARTIALLY_SHIPPED,
            OrderStatus.SHIPPED,
            OrderStatus.CANCELLED,
        },
        OrderStatus.PAID: {
            OrderStatus.PARTIALLY_SHIPPED,
            OrderStatus.SHIPPED,
            OrderStatus.CANCELLED,
        },
        OrderStatus.PARTIALLY_SHIPPED: {OrderStatus.SHIPPED},
        OrderStatus.SHIPPED: {OrderStatus.DELIVERED, OrderStatus.RETURNED},
        OrderStatus.DELIVERED: {OrderStatus.COMPLETED, OrderStatus.RETURNED},
        OrderStatus.COMPLETED: set(),
        OrderStatus.RETURNED: set(),
        OrderStatus.CANCELLED: set(),
    },
    terminal={OrderStatus.COMPLETED, OrderStatus.RETURNED, OrderStatus.CANCELLED},
)
"""The default order workflow as data (read it, render it with ``to_mermaid()``, extend it)."""

RETURN_TABLE: Final = TransitionTable(
    machine="return",
    initial=ReturnStatus.REQUESTED,
    edges={
        ReturnStatus.REQUESTED: {ReturnStatus.APPROVED, ReturnStatus.REJECTED},
        ReturnStatus.APPROVED: {ReturnStatus.RECEIVED},
        ReturnStatus.RECEIVED: {ReturnStatus.REFUNDED},
        ReturnStatus.REJECTED: set(),
        ReturnStatus.REFUNDED: set(),
    },
    terminal={ReturnStatus.REJECTED, ReturnStatus.REFUNDED},
)
"""requested -> approved | rejected; approved -> received -> refunded."""


# --- snapshot values -----------------------------------------------------------------------------


def _non_empty(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise InvalidOrderError("", f"{attribute.name} must be a string")
    if not value.strip():
        raise InvalidOrderError("", f"{attribute.name} must be a non-empty string")


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidQuantityError(value)
    return value


def _string(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise InvalidOrderError("", f"{attribute.name} must be a string")


def _optional_string(_inst: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidOrderError("", f"{attribute.name} must be a string or None")


@attrs.frozen
class Address:
    """A postal address as it was at placement.

    Raises:
        InvalidOrderError: a field is not a string.
    """

    name: str = attrs.field(validator=_string)
    line1: str = attrs.field(validator=_string)
    city: str = attrs.field(validator=_string)
    postal_code: str = attrs.field(validator=_string)
    country: str = attrs.field(validator=_string)
    line2: str = attrs.field(default="", validator=_string)
    region: str = attrs.field(default="", validator=_string)
    phone: str = attrs.field(default="", validator=_string)

    def to_data(self) -> dict[str, str]:
        """The address as primitives."""
        return {
            "name": self.name,
            "line1": self.line1,
            "city": self.city,
            "postal_code": self.postal_code,
            "country": self.country,
            "line2": self.line2,
            "region": self.region,
            "phone": self.phone,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, str]) -> Address:
        """Rebuild from :meth:`to_data` output."""
        return cls(**data)


@attrs.frozen
class Customer:
    """Who placed the order (a guest has no ``customer_id``).

    Raises:
        InvalidOrderError: an empty email, or a field that is not a string.
    """

    email: str = attrs.field(validator=_non_empty)
    customer_id: str | None = attrs.field(default=None, validator=_optional_string)
    name: str = attrs.field(default="", validator=_string)


@attrs.frozen
class PaymentTerms:
    """How the customer pays, and whether goods may ship before the money is secured.

    Attributes:
        code: the host's payment method code (``"card"``, ``"cod"``, ``"invoice"``).
        allows_fulfilment_before_payment: cash on delivery or invoice: shipping an unpaid order
            is fine.
    """

    code: str = attrs.field(validator=_non_empty)
    allows_fulfilment_before_payment: bool = False

    @classmethod
    def card(cls) -> PaymentTerms:
        """A card: ship only once the payment is authorized or captured."""
        return cls("card")

    @classmethod
    def cash_on_delivery(cls) -> PaymentTerms:
        """Cash on delivery: shipping before payment is the point."""
        return cls("cash_on_delivery", allows_fulfilment_before_payment=True)


def _adjustments(values: Iterable[Adjustment]) -> tuple[Adjustment, ...]:
    return tuple(values)


def _tax_lines(values: Iterable[TaxLine]) -> tuple[TaxLine, ...]:
    return tuple(values)


_NO_TAX: Final = Decimal(0)
"""Where the sum of a line's tax amounts starts (``sum()``'s start)."""


def _line_amounts_fit(
    net: Money,
    gross: Money,
    unit_price: Money,
    adjustments: tuple[Adjustment, ...],
    tax_lines: tuple[TaxLine, ...],
) -> bool:
    """Whether :class:`OrderLine`'s amount checks pass, answered without raising.

    The checks ``TaxedMoney(net, gross)`` and ``OrderLine.__attrs_post_init__`` make.
    """
    code = net.currency.code
    if gross.currency.code != code or unit_price.currency.code != code:
        return False
    for adjustment in adjustments:
        if adjustment.amount.currency.code != code:
            return False
    taxes = _NO_TAX  # ``sum(...)`` of the tax line amounts, added up in the same pass
    for tax_line in tax_lines:
        tax_amount = tax_line.amount
        if tax_amount.currency.code != code:
            return False
        taxes += tax_amount.amount
    if net.amount < 0 or gross.amount < 0:
        return False
    if not tax_lines:
        return True
    return taxes == _TAXED_MONEY_CONTEXT.subtract(gross.amount, net.amount)


@attrs.frozen
class OrderLine:
    """One sold line, frozen at placement.

    Attributes:
        line_id: unique within the order.
        sku: the stock-keeping unit.
        name: the product name as shown at checkout.
        quantity: units ordered (positive).
        unit_price: the undiscounted unit price, in its price basis (net, or gross when
            ``prices_include_tax``).
        total: what the line costs after adjustments, net and gross (``total.tax`` is its tax).
        adjustments: the discounts/surcharges that were applied (pricing's ``Adjustment``).
        tax_lines: the taxes that make up ``total.tax`` (they must add up to it when given).
        prices_include_tax: the price basis of ``unit_price`` and ``adjustments``.

    Raises:
        InvalidQuantityError: the quantity is not a positive integer.
        CurrencyMismatchError: amounts in more than one currency.
        InvalidOrderError: a negative total, or tax lines that do not add up to the tax.
    """

    line_id: str = attrs.field(validator=_non_empty)
    sku: str = attrs.field(validator=_non_empty)
    name: str
    quantity: int = attrs.field(converter=_positive_int)
    unit_price: Money
    total: TaxedMoney
    adjustments: tuple[Adjustment, ...] = attrs.field(default=(), converter=_adjustments)
    tax_lines: tuple[TaxLine, ...] = attrs.field(default=(), converter=_tax_lines)
    prices_include_tax: bool = False

    @classmethod
    def from_breakdown(cls, priced: LineBreakdown) -> OrderLine:
        """Freeze one priced line of a :class:`~commerce_core.domain.pricing.PriceBreakdown`."""
        line = priced.line
        line_id, sku, quantity = line.line_id, line.sku, line.quantity
        unit_price, net, gross = line.unit_price, priced.net, priced.gross
        adjustments, tax_lines = priced.adjustments, priced.tax_lines
        # The constructor's checks, in one pass on the values as they come (exact types, the
        # codes and Decimals): when they all pass, the line is assembled without running them
        # again; otherwise the validating constructor raises the error it raises.
        if (
            type(line_id) is str
            and type(sku) is str
            and type(quantity) is int
            and type(adjustments) is tuple
            and type(tax_lines) is tuple
            and type(net) is Money
            and type(gross) is Money
            and type(unit_price) is Money
            and quantity > 0
            and line_id.strip()
            and sku.strip()
            and _line_amounts_fit(net, gross, unit_price, adjustments, tax_lines)
        ):
            return cls._trusted(
                line_id,
                sku,
                line.name,
                quantity,
                unit_price,
                TaxedMoney._trusted(net, gross),
                adjustments,
                tax_lines,
                line.prices_include_tax,
            )
        return cls(
            line_id=line_id,
            sku=sku,
            name=line.name,
            quantity=quantity,
            unit_price=unit_price,
            total=priced.taxed,
            adjustments=adjustments,
            tax_lines=tax_lines,
            prices_include_tax=line.prices_include_tax,
        )

    @classmethod
    def _trusted(  # noqa: PLR0917 - the fields, in order
        cls,
        line_id: str,
        sku: str,
        name: str,
        quantity: int,
        unit_price: Money,
        total: TaxedMoney,
        adjustments: tuple[Adjustment, ...],
        tax_lines: tuple[TaxLine, ...],
        prices_include_tax: bool,  # noqa: FBT001 - a field, in order
    ) -> OrderLine:
        """Internal: a line from values its caller has checked as the constructor would.

        Equal to ``OrderLine(...)`` of the same values (``from_breakdown`` checks them first).
        """
        line = object.__new__(cls)
        setter = object.__setattr__
        setter(line, "line_id", line_id)
        setter(line, "sku", sku)
        setter(line, "name", name)
        setter(line, "quantity", quantity)
        setter(line, "unit_price", unit_price)
        setter(line, "total", total)
        setter(line, "adjustments", adjustments)
        setter(line, "tax_lines", tax_lines)
        setter(line, "prices_include_tax", prices_include_tax)
        return line

    def __attrs_post_init__(self) -> None:
        # The checks compare currency codes and Decimal amounts directly (the total's net and
        # gross share a currency: TaxedMoney checks it), building no Money on the way.
        total, tax_lines = self.total, self.tax_lines
        code = total.net.currency.code
        amounts = [self.unit_price, *[a.amount for a in self.adjustments]]
        amounts += [t.amount for t in tax_lines]
        for amount in amounts:
            if amount.currency.code != code:
                raise CurrencyMismatchError(code, currency_of(amount), context="order line")
        if total.net.amount < 0 or total.gross.amount < 0:
            raise InvalidOrderError("", f"line {self.line_id!r} has a negative total")
        if tax_lines and sum((t.amount.amount for t in tax_lines), Decimal(0)) != total.tax.amount:
            raise InvalidOrderError("", f"tax lines of {self.line_id!r} do not add up to its tax")

    def units_value(self, start: int, count: int) -> TaxedMoney:
        """The value of units ``start .. start+count-1``, from an exact even split of the total.

        Splitting net and gross each over the units with :func:`allocate_evenly` makes the parts
        of all units add up to the line total exactly.
        """
        nets = allocate_evenly(self.total.net, self.quantity)[start : start + count]
        grosses = allocate_evenly(self.total.gross, self.quantity)[start : start + count]
        code = self.total.currency
        return TaxedMoney(sum(nets, zero(code)), sum(grosses, zero(code)))

    def to_data(self) -> dict[str, Any]:
        """The line as primitives."""
        return {
            "line_id": self.line_id,
            "sku": self.sku,
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": money_to_data(self.unit_price),
            "total": _taxed_to_data(self.total),
            "adjustments": [
                {
                    "source_id": a.source_id,
                    "label": a.label,
                    "amount": money_to_data(a.amount),
                    "code": a.code,
                }
                for a in self.adjustments
            ],
            "tax_lines": [
                {
                    "name": t.name,
                    "rate": str(t.rate),
                    "amount": money_to_data(t.amount),
                    "compound": t.compound,
                }
                for t in self.tax_lines
            ],
            "prices_include_tax": self.prices_include_tax,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> OrderLine:
        """Rebuild from :meth:`to_data` output."""
        return cls(
            line_id=data["line_id"],
            sku=data["sku"],
            name=data["name"],
            quantity=data["quantity"],
            unit_price=money_from_data(data["unit_price"]),
            total=_taxed_from_data(data["total"]),
            adjustments=tuple(
                Adjustment(a["source_id"], a["label"], money_from_data(a["amount"]), a["code"])
                for a in data["adjustments"]
            ),
            tax_lines=tuple(
                TaxLine(t["name"], Decimal(t["rate"]), money_from_data(t["amount"]), t["compound"])
                for t in data["tax_lines"]
            ),
            prices_include_tax=data["prices_include_tax"],
        )


@attrs.frozen
class OrderTotals:
    """The order's totals, derived from its lines and shipping.

    ``discount`` is the net reduction the line adjustments made (positive for discounts), in
    the lines' price basis.
    """

    subtotal: TaxedMoney
    shipping: TaxedMoney
    discount: Money
    total: TaxedMoney


@attrs.frozen
class HistoryEntry:
    """One status change: from, to, when, who, why."""

    from_status: str
    to_status: str
    at: datetime
    actor: str
    note: str = ""


@attrs.frozen
class PaymentEntry:
    """A payment fact recorded on the order (idempotent by ``kind`` and ``reference``)."""

    kind: PaymentKind
    amount: Money
    reference: str
    at: datetime


@attrs.frozen
class Shipment:
    """Units of some lines leaving one location together.

    Attributes:
        shipment_id: unique within the order.
        lines: ``(line_id, quantity)`` pairs.
        location: the stock location it ships from (the reservation's allocation).
        tracking_reference: the carrier's tracking number (may be empty).
        shipped_at: when it left.
        delivered_at: when it arrived (None until delivered).
    """

    shipment_id: str
    lines: tuple[tuple[str, int], ...]
    location: str
    tracking_reference: str
    shipped_at: datetime
    delivered_at: datetime | None = None

    def quantity_of(self, line_id: str) -> int:
        """Units of ``line_id`` in this shipment."""
        return sum(q for lid, q in self.lines if lid == line_id)


@attrs.frozen
class RefundLine:
    """The part of a refund that falls on one line (``quantity`` is 0 for amount refunds)."""

    line_id: str
    quantity: int
    amount: TaxedMoney


@attrs.frozen
class Refund:
    """Money given back, split exactly over lines (net and tax) and shipping.

    Attributes:
        refund_id: unique within the order (also the payment idempotency key).
        lines: the per-line parts.
        shipping: the shipping part.
        total: the gross amount refunded (lines + shipping).
        reason: why.
        at: when.
        return_id: the return it settles, if any.
        reference: the payment provider's reference.
    """

    refund_id: str
    lines: tuple[RefundLine, ...]
    shipping: TaxedMoney
    total: Money
    reason: str
    at: datetime
    return_id: str | None = None
    reference: str = ""

    @property
    def idempotency_key(self) -> str:
        """The key to ask the payment side for this refund with: the refund id and its amount.

        A refund re-planned under the same id for another amount (the order changed between a
        conflicting save and the retry) gets another key, so a payment adapter never answers it
        with the outcome of a different amount.
        """
        return f"{self.refund_id}:{to_minor(self.total)}"


@attrs.frozen
class ReturnLine:
    """Units of one line the customer sends back, and why."""

    line_id: str
    quantity: int = attrs.field(converter=_positive_int)
    reason: str = ""


@attrs.frozen
class ReturnRequest:
    """A return (RMA): lines, status, and what happened to the goods.

    ``restock_location`` is where received goods went back into stock; None with ``received_at``
    set means they were written off.
    """

    return_id: str
    lines: tuple[ReturnLine, ...]
    status: ReturnStatus
    requested_at: datetime
    note: str = ""
    received_at: datetime | None = None
    restock_location: str | None = None
    refund_id: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether the return still needs work (not rejected, not refunded)."""
        return self.status not in (ReturnStatus.REJECTED, ReturnStatus.REFUNDED)

    def quantity_of(self, line_id: str) -> int:
        """Units of ``line_id`` in this return."""
        return sum(r.quantity for r in self.lines if r.line_id == line_id)


# --- the workflow: one table plus guards ---------------------------------------------------------

Guard: TypeAlias = Callable[["Order"], "str | None"]
"""A guard on entering a state: returns None to allow, or the reason it refuses."""


def _freeze_guards(
    guards: Mapping[str, Iterable[Guard]],
) -> Mapping[str, tuple[Guard, ...]]:
    return MappingProxyType({str(k): tuple(v) for k, v in guards.items()})


@attrs.frozen
class OrderWorkflow:
    """The order status table plus guards per target state.

    Attributes:
        table: the one transition table of the order status.
        guards: for a target state, the checks that must pass to enter it.

    Raises:
        InvalidTableError: a guard is keyed by a state the table does not have, or a built-in
            status the order methods move to is missing.
    """

    table: TransitionTable
    guards: Mapping[str, tuple[Guard, ...]] = attrs.field(factory=dict, converter=_freeze_guards)

    def __attrs_post_init__(self) -> None:
        states = set(self.table.states)
        unknown = set(self.guards) - states
        if unknown:
            raise InvalidTableError(self.table.machine, f"guards for unknown states {unknown}")
        missing = {s.value for s in OrderStatus} - states
        if missing:
            raise InvalidTableError(self.table.machine, f"built-in states missing: {missing}")

    def refusal(self, order: Order, target: str) -> str | None:
        """The first guard's refusal reason for entering ``target``, or None."""
        for guard in self.guards.get(str(target), ()):
            reason = guard(order)
            if reason:
                return reason
        return None

    def extended(
        self,
        *,
        states: Iterable[str] = (),
        transitions: Iterable[tuple[str, str]] = (),
        remove: Iterable[tuple[str, str]] = (),
        terminal: Iterable[str] = (),
        guards: Mapping[str, Iterable[Guard]] | None = None,
    ) -> OrderWorkflow:
        """A new workflow with host states, transitions and guards (validated).

        Guards given for a state are added to the existing ones.
        """
        merged = {k: list(v) for k, v in self.guards.items()}
        for state, extra in (guards or {}).items():
            merged.setdefault(str(state), []).extend(extra)
        return OrderWorkflow(
            self.table.extended(
                states=states, transitions=transitions, remove=remove, terminal=terminal
            ),
            merged,
        )

    def to_mermaid(self) -> str:
        """The status table as a Mermaid ``stateDiagram-v2``."""
        return self.table.to_mermaid()


def _guard_payment_secured(order: Order) -> str | None:
    if order.payment_secured or order.payment_terms.allows_fulfilment_before_payment:
        return None
    return (
        f"order is {order.payment_status.value} and payment method "
        f"{order.payment_terms.code!r} does not allow fulfilment before payment"
    )


def _guard_fully_shipped(order: Order) -> str | None:
    left = sum(order.shippable_quantity(line.line_id) for line in order.lines)
    return f"{left} units are still to ship" if left else None


def _guard_partly_shipped(order: Order) -> str | None:
    if order.shipped_units == 0:
        return "nothing has shipped yet"
    return None


def _guard_nothing_shipped(order: Order) -> str | None:
    shipped = order.shipped_units
    if shipped:
        return f"{shipped} units have shipped; cancel the remaining lines or return them instead"
    return None


def _guard_all_delivered(order: Order) -> str | None:
    waiting = [s.shipment_id for s in order.shipments if s.delivered_at is None]
    if waiting:
        return f"shipments {waiting} are not delivered"
    return _guard_fully_shipped(order)


def _guard_captured(order: Order) -> str | None:
    captured, due = order.captured, order.amount_due
    if _covers(captured, due) and captured.amount > 0:
        return None
    return f"captured {captured} of {due}"


def _guard_authorized(order: Order) -> str | None:
    return None if order.authorized.amount > 0 else "no open authorization"


def _guard_all_returned(order: Order) -> str | None:
    if order.fulfilment_status is FulfilmentStatus.RETURNED:
        return None
    return "not every shipped unit has come back"


def _guard_no_open_returns(order: Order) -> str | None:
    open_returns = [r.return_id for r in order.returns if r.is_open]
    return f"returns {open_returns} are still open" if open_returns else None


DEFAULT_WORKFLOW: Final = OrderWorkflow(
    ORDER_TABLE,
    {
        OrderStatus.PAYMENT_AUTHORIZED: (_guard_authorized,),
        OrderStatus.PAID: (_guard_captured,),
        OrderStatus.PARTIALLY_SHIPPED: (_guard_payment_secured, _guard_partly_shipped),
        OrderStatus.SHIPPED: (_guard_payment_secured, _guard_partly_shipped, _guard_fully_shipped),
        OrderStatus.DELIVERED: (_guard_all_delivered,),
        OrderStatus.CANCELLED: (_guard_nothing_shipped,),
        OrderStatus.RETURNED: (_guard_all_returned,),
        OrderStatus.COMPLETED: (_guard_no_open_returns,),
    },
)
""":data:`ORDER_TABLE` with the library's guards (payment secured before shipping, nothing
shipped before cancelling, everything delivered before delivered, no open returns to complete)."""


# --- events --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _OrderEvent(DomainEvent):
    order_id: str


@attrs.frozen(kw_only=True)
class OrderPlaced(_OrderEvent):
    """An order was created from a priced cart."""

    number: str
    customer_email: str
    total: Money


@attrs.frozen(kw_only=True)
class OrderStatusChanged(_OrderEvent):
    """The order status moved (one per history entry)."""

    from_status: str
    to_status: str
    actor: str
    note: str = ""


@attrs.frozen(kw_only=True)
class OrderPaymentAuthorized(_OrderEvent):
    """Funds were authorized for the order."""

    amount: Money
    reference: str


@attrs.frozen(kw_only=True)
class OrderPaymentCaptured(_OrderEvent):
    """Funds were captured for the order."""

    amount: Money
    reference: str


@attrs.frozen(kw_only=True)
class OrderPaymentVoided(_OrderEvent):
    """An authorization was released."""

    amount: Money
    reference: str


@attrs.frozen(kw_only=True)
class OrderPaid(_OrderEvent):
    """The captured amount reached the amount due."""

    amount: Money


@attrs.frozen(kw_only=True)
class OrderShipped(_OrderEvent):
    """A shipment left a location."""

    shipment_id: str
    location: str
    tracking_reference: str
    lines: tuple[tuple[str, int], ...]


@attrs.frozen(kw_only=True)
class OrderDelivered(_OrderEvent):
    """A shipment arrived."""

    shipment_id: str


@attrs.frozen(kw_only=True)
class OrderLinesCancelled(_OrderEvent):
    """Unshipped units of some lines were cancelled."""

    lines: tuple[tuple[str, int], ...]
    amount: Money


@attrs.frozen(kw_only=True)
class OrderCancelled(_OrderEvent):
    """The whole order was cancelled."""

    reason: str


@attrs.frozen(kw_only=True)
class OrderRefunded(_OrderEvent):
    """Money was given back."""

    refund_id: str
    amount: Money
    shipping: Money
    reason: str
    return_id: str | None = None


@attrs.frozen(kw_only=True)
class ReturnRequested(_OrderEvent):
    """The customer asked to return units."""

    return_id: str
    lines: tuple[tuple[str, int, str], ...]


@attrs.frozen(kw_only=True)
class ReturnApproved(_OrderEvent):
    """A return was accepted; the goods may be sent back."""

    return_id: str


@attrs.frozen(kw_only=True)
class ReturnRejected(_OrderEvent):
    """A return was refused."""

    return_id: str
    reason: str


@attrs.frozen(kw_only=True)
class ReturnReceived(_OrderEvent):
    """Returned goods arrived and were restocked (or written off when ``restocked_to`` is None)."""

    return_id: str
    restocked_to: str | None


_PAYMENT_EVENTS: Final[
    Mapping[
        PaymentKind,
        type[OrderPaymentAuthorized] | type[OrderPaymentCaptured] | type[OrderPaymentVoided],
    ]
] = {
    PaymentKind.AUTHORIZED: OrderPaymentAuthorized,
    PaymentKind.CAPTURED: OrderPaymentCaptured,
    PaymentKind.VOIDED: OrderPaymentVoided,
}
"""The event each payment fact records."""

ORDER_EVENT_TYPES: Final[tuple[type[DomainEvent], ...]] = (
    OrderPlaced,
    OrderStatusChanged,
    OrderPaymentAuthorized,
    OrderPaymentCaptured,
    OrderPaymentVoided,
    OrderPaid,
    OrderShipped,
    OrderDelivered,
    OrderLinesCancelled,
    OrderCancelled,
    OrderRefunded,
    ReturnRequested,
    ReturnApproved,
    ReturnRejected,
    ReturnReceived,
    CancellationSettlementFailed,
    CancellationSettled,
)
"""Every event type the order aggregate records."""


# --- snapshot helpers ----------------------------------------------------------------------------


def _taxed_to_data(value: TaxedMoney) -> dict[str, Any]:
    return {"net": money_to_data(value.net), "gross": money_to_data(value.gross)}


def _taxed_from_data(data: Mapping[str, Any]) -> TaxedMoney:
    return TaxedMoney(money_from_data(data["net"]), money_from_data(data["gross"]))


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _line_quantities(
    order_id: str, lines: Mapping[str, int] | Iterable[tuple[str, int]]
) -> tuple[tuple[str, int], ...]:
    pairs = lines.items() if isinstance(lines, Mapping) else lines
    merged: dict[str, int] = {}
    for line_id, quantity in pairs:
        merged[line_id] = merged.get(line_id, 0) + _positive_int(quantity)
    if not merged:
        raise InvalidQuantityError(0, f"no lines given for order {order_id!r}")
    return tuple(merged.items())


# --- the aggregate -------------------------------------------------------------------------------


class _PaymentSums(NamedTuple):
    """The amounts an order's payment entries add up to (see ``Order._sums``)."""

    payments: tuple[PaymentEntry, ...]
    captured: Money
    authorized: Money


def _step_sums(
    captured: Money, authorized: Money, kind: PaymentKind, amount: Money
) -> tuple[Money, Money]:
    """Captured and open authorization after one more payment entry (the re-summing's step)."""
    currency = amount.currency
    if (
        type(amount) is not Money
        or type(captured) is not Money
        or type(authorized) is not Money
        or captured.currency is not currency
        or authorized.currency is not currency
    ):  # what the Money operators make of it (or the error they raise)
        if kind is PaymentKind.AUTHORIZED:
            return captured, authorized + amount
        if kind is PaymentKind.CAPTURED:
            captured += amount
        return captured, authorized - min(authorized, amount)
    # One currency: the same sums on the Decimals (``a - b`` is ``a + (-b)``, in the ambient
    # context as Money's operators compute them), building one Money per changed sum.
    value = amount.amount
    if kind is PaymentKind.AUTHORIZED:
        return captured, Money(authorized.amount + value, currency)
    if kind is PaymentKind.CAPTURED:
        captured = Money(captured.amount + value, currency)
    left = authorized.amount
    return captured, Money(left - min(left, value), currency)


def _covers(amount: Money, other: Money) -> bool:
    """``amount >= other`` (Money's comparison, on the Decimals when the currency is one)."""
    if amount.currency is other.currency and type(amount) is Money and type(other) is Money:
        return amount.amount >= other.amount
    return amount >= other


_ORDER_STATE: Final = (
    "_status",
    "_history",
    "_payments",
    "_shipments",
    "_cancelled",
    "_refunds",
    "_returns",
    "_settlements",
)
"""The order fields a command changes (what ``Order._change()`` rolls back)."""

_read_order_state: Final = operator.attrgetter(*_ORDER_STATE)


class _Change:
    """``Order._change()``: on any error inside the block, state and pending events roll back."""

    __slots__ = ("_mark", "_order", "_saved")

    def __init__(self, order: Order) -> None:
        self._order = order

    def __enter__(self) -> None:
        order = self._order
        self._saved: tuple[Any, ...] = _read_order_state(order)
        self._mark = len(order._events)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            return
        order = self._order
        for name, value in zip(_ORDER_STATE, self._saved, strict=True):
            setattr(order, name, value)
        del order._events[self._mark :]


_TAXED_MONEY_CONTEXT: Final = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP, traps=[])
"""The context TaxedMoney arithmetic runs in (``commerce_core.money``), for the order totals."""

_FROZEN = attrs.setters.frozen


def _assigned(_order: object, _attribute: attrs.Attribute[Any], value: Any) -> Any:
    """The setattr hook of the order's changing fields: the value as given.

    Every field of :class:`Order` has a hook (``_FROZEN`` or this one), so the attrs
    ``__init__`` sets them all directly rather than through the class's Python ``__setattr__``,
    and a later assignment finds its hook instead of raising and catching a ``KeyError``.
    """
    return value


_ASSIGNED = _assigned


@attrs.define(eq=False)
class Order(EventRecorder):
    """The order aggregate. Build it with :meth:`place`; rebuild it with :meth:`from_snapshot`.

    Every command checks its rule first and raises a typed error with the order unchanged
    (state and pending events); otherwise it changes state, writes history for status moves and
    records events. ``collect_events()`` drains them (the repository does, into its outbox).
    """

    order_id: str = attrs.field(on_setattr=_FROZEN)
    number: str = attrs.field(on_setattr=_FROZEN)
    lines: tuple[OrderLine, ...] = attrs.field(on_setattr=_FROZEN)
    shipping: TaxedMoney = attrs.field(on_setattr=_FROZEN)
    customer: Customer = attrs.field(on_setattr=_FROZEN)
    billing_address: Address = attrs.field(on_setattr=_FROZEN)
    shipping_address: Address = attrs.field(on_setattr=_FROZEN)
    shipping_method: str = attrs.field(on_setattr=_FROZEN)
    payment_terms: PaymentTerms = attrs.field(on_setattr=_FROZEN)
    reservation_id: str | None = attrs.field(on_setattr=_FROZEN)
    placed_at: datetime = attrs.field(on_setattr=_FROZEN)
    workflow: OrderWorkflow = attrs.field(default=DEFAULT_WORKFLOW, on_setattr=_FROZEN)
    version: int = attrs.field(default=0, on_setattr=_ASSIGNED)
    _status: str = attrs.field(init=False, default=OrderStatus.PLACED.value, on_setattr=_ASSIGNED)
    _history: tuple[HistoryEntry, ...] = attrs.field(init=False, default=(), on_setattr=_ASSIGNED)
    _payments: tuple[PaymentEntry, ...] = attrs.field(init=False, default=(), on_setattr=_ASSIGNED)
    _shipments: tuple[Shipment, ...] = attrs.field(init=False, default=(), on_setattr=_ASSIGNED)
    _cancelled: tuple[tuple[str, int], ...] = attrs.field(
        init=False, default=(), on_setattr=_ASSIGNED
    )
    _refunds: tuple[Refund, ...] = attrs.field(init=False, default=(), on_setattr=_ASSIGNED)
    _returns: tuple[ReturnRequest, ...] = attrs.field(init=False, default=(), on_setattr=_ASSIGNED)
    _settlements: tuple[CancellationSettlement, ...] = attrs.field(
        init=False, default=(), on_setattr=_ASSIGNED
    )
    _events: list[DomainEvent] = attrs.field(init=False, factory=list, on_setattr=_ASSIGNED)
    _payment_sums: _PaymentSums | None = attrs.field(
        init=False, default=None, repr=False, on_setattr=_ASSIGNED
    )
    """What ``captured`` and ``authorized`` make of ``_payments`` (for that very tuple)."""
    _last_time: tuple[datetime, str] | None = attrs.field(
        init=False, default=None, repr=False, on_setattr=_ASSIGNED
    )
    """The last time :meth:`_time_text` formatted, with its ISO text."""
    _lines_data: list[dict[str, Any]] | None = attrs.field(
        init=False, default=None, repr=False, on_setattr=_ASSIGNED
    )
    """The data of the (frozen) lines when they are a tuple, for :meth:`_stored_snapshot` only
    (never handed out)."""

    _STATE: ClassVar[tuple[str, ...]] = _ORDER_STATE

    def __attrs_post_init__(self) -> None:
        if not self.lines:
            raise InvalidOrderError(self.order_id, "an order needs at least one line")
        ids = [line.line_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise InvalidOrderError(self.order_id, "line ids must be unique")
        code = self.shipping.net.currency.code
        for line in self.lines:
            if line.total.net.currency.code != code:
                raise CurrencyMismatchError(code, line.total.currency, context="order")

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def place(
        cls,
        *,
        order_id: str,
        number: str,
        lines: Sequence[OrderLine],
        shipping: TaxedMoney,
        customer: Customer,
        billing_address: Address,
        shipping_address: Address,
        shipping_method: str,
        payment_terms: PaymentTerms,
        reservation_id: str | None,
        now: datetime,
        workflow: OrderWorkflow = DEFAULT_WORKFLOW,
    ) -> Order:
        """Create a placed order from frozen lines and record :class:`OrderPlaced`.

        Raises:
            InvalidOrderError: no lines, or duplicate line ids.
            CurrencyMismatchError: lines and shipping in different currencies.
        """
        order = cls(
            order_id=order_id,
            number=number,
            lines=tuple(lines),
            shipping=shipping,
            customer=customer,
            billing_address=billing_address,
            shipping_address=shipping_address,
            shipping_method=shipping_method,
            payment_terms=payment_terms,
            reservation_id=reservation_id,
            placed_at=now,
            workflow=workflow,
        )
        order._status = str(workflow.table.initial)
        order._record(
            OrderPlaced(
                occurred_at=now,
                order_id=order_id,
                number=number,
                customer_email=customer.email,
                total=order.totals.total.gross,
            )
        )
        return order

    @classmethod
    def from_breakdown(
        cls,
        breakdown: PriceBreakdown,
        *,
        order_id: str,
        number: str,
        customer: Customer,
        billing_address: Address,
        shipping_address: Address,
        payment_terms: PaymentTerms,
        reservation_id: str | None,
        now: datetime,
        workflow: OrderWorkflow = DEFAULT_WORKFLOW,
    ) -> Order:
        """Place an order from a priced cart: lines, adjustments, taxes and shipping are frozen.

        The shipping method is the breakdown's (empty when nothing ships).

        Raises:
            InvalidOrderError: no lines, or the frozen totals differ from the breakdown's.
        """
        shipping = breakdown.shipping
        order = cls.place(
            order_id=order_id,
            number=number,
            lines=[OrderLine.from_breakdown(line) for line in breakdown.lines],
            shipping=shipping.taxed if shipping else TaxedMoney.zero(breakdown.currency),
            customer=customer,
            billing_address=billing_address,
            shipping_address=shipping_address,
            shipping_method=shipping.method if shipping else "",
            payment_terms=payment_terms,
            reservation_id=reservation_id,
            now=now,
            workflow=workflow,
        )
        if order.totals.total != breakdown.total:
            raise InvalidOrderError(
                order_id,
                f"lines and shipping add up to {order.totals.total}, not {breakdown.total}",
            )
        return order

    # -- read-only views ------------------------------------------------------------------------

    @property
    def currency(self) -> str:
        """The order's currency code."""
        return self.shipping.currency

    @property
    def status(self) -> str:
        """The order status (an :class:`OrderStatus` value, or a host-defined state)."""
        return self._status

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        """Every status move, oldest first."""
        return self._history

    @property
    def payments(self) -> tuple[PaymentEntry, ...]:
        """The payment facts recorded, oldest first."""
        return self._payments

    @property
    def shipments(self) -> tuple[Shipment, ...]:
        """The shipments, oldest first."""
        return self._shipments

    @property
    def refunds(self) -> tuple[Refund, ...]:
        """The refunds, oldest first."""
        return self._refunds

    @property
    def returns(self) -> tuple[ReturnRequest, ...]:
        """The return requests, oldest first."""
        return self._returns

    @property
    def allowed_transitions(self) -> frozenset[str]:
        """The statuses the table allows from the current one (guards not evaluated)."""
        return self.workflow.table.allowed(self._status)

    @functools.cached_property
    def totals(self) -> OrderTotals:
        """Subtotal, shipping, discount and total as placed.

        Computed once per order object: lines and shipping are frozen, so the totals never
        change after construction.
        """
        # The sums TaxedMoney and Money arithmetic would make (TaxedMoney adds in its own
        # context, Money in the ambient one), on the Decimals, from zero and in line order.
        add = _TAXED_MONEY_CONTEXT.add
        net = gross = discount = self._zero.amount
        for line in self.lines:
            net = add(net, line.total.net.amount)
            gross = add(gross, line.total.gross.amount)
            for adjustment in line.adjustments:
                discount = discount + adjustment.amount.amount
        currency = self._zero.currency
        subtotal = TaxedMoney._trusted(Money(net, currency), Money(gross, currency))
        shipping = self.shipping  # in the lines' currency: the constructor checked it
        total = TaxedMoney._trusted(
            Money(add(net, shipping.net.amount), currency),
            Money(add(gross, shipping.gross.amount), currency),
        )  # ``subtotal + shipping``
        return OrderTotals(subtotal, shipping, Money(-discount, currency), total)

    @functools.cached_property
    def _zero(self) -> Money:
        """Zero in the order's currency (the start of every sum of its amounts)."""
        return zero(self.currency)

    def line(self, line_id: str) -> OrderLine:
        """The line with ``line_id``.

        Raises:
            NotFoundError: no such line (kind ``"order line"``).
        """
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise NotFoundError("order line", line_id)

    def cancelled_quantity(self, line_id: str) -> int:
        """Units of the line cancelled so far."""
        return sum(q for lid, q in self._cancelled if lid == line_id)

    def shipped_quantity(self, line_id: str) -> int:
        """Units of the line shipped so far."""
        return sum(s.quantity_of(line_id) for s in self._shipments)

    def shippable_quantity(self, line_id: str) -> int:
        """Units still to ship: ordered - cancelled - shipped."""
        line = self.line(line_id)
        return line.quantity - self.cancelled_quantity(line_id) - self.shipped_quantity(line_id)

    def returned_quantity(self, line_id: str, *, received_only: bool = False) -> int:
        """Units in returns that are not rejected (only received ones with ``received_only``)."""
        total = 0
        for ret in self._returns:
            if ret.status is ReturnStatus.REJECTED:
                continue
            if received_only and ret.received_at is None:
                continue
            total += ret.quantity_of(line_id)
        return total

    def returnable_quantity(self, line_id: str) -> int:
        """Shipped units of the line not yet in a (non-rejected) return."""
        return self.shipped_quantity(line_id) - self.returned_quantity(line_id)

    @property
    def shipped_units(self) -> int:
        """Units shipped across all lines."""
        return sum(sum(q for _, q in s.lines) for s in self._shipments)

    def _sums(self) -> _PaymentSums:
        """Captured and open authorization of ``_payments``, summed once per payments tuple.

        ``captured`` adds the captures from zero in their order; ``authorized`` adds each
        authorization and takes off what each capture and void consumed, in order. A new entry
        comes last (:meth:`_add_payment` carries both on by one step); any other change of
        ``_payments`` (a rollback, a rebuild) is a new tuple, summed again on the next read.
        """
        sums = self._payment_sums
        payments = self._payments
        if sums is not None and sums.payments is payments:
            return sums
        captured = authorized = self._zero
        for entry in payments:
            captured, authorized = _step_sums(captured, authorized, entry.kind, entry.amount)
        sums = self._payment_sums = _PaymentSums(payments, captured, authorized)
        return sums

    @property
    def captured(self) -> Money:
        """Everything captured so far."""
        return self._sums().captured

    @property
    def authorized(self) -> Money:
        """The authorization still open: authorized minus what captures and voids consumed."""
        return self._sums().authorized

    @property
    def refunded(self) -> Money:
        """Everything refunded so far."""
        refunds = self._refunds
        if not refunds:  # the common case: ``sum()`` of nothing is its start
            return self._zero
        return sum((r.total for r in refunds), self._zero)

    @property
    def refundable(self) -> Money:
        """What may still be refunded: captured minus refunded."""
        return self.captured - self.refunded

    @property
    def cancelled_value(self) -> TaxedMoney:
        """The value of the cancelled units (the last units of each line)."""
        code = self.currency
        value = TaxedMoney.zero(code)
        for line in self.lines:
            count = self.cancelled_quantity(line.line_id)
            if count:
                value += line.units_value(line.quantity - count, count)
        return value

    @property
    def fully_cancelled(self) -> bool:
        """Whether every unit of every line was cancelled."""
        return all(self.cancelled_quantity(li.line_id) == li.quantity for li in self.lines)

    @property
    def amount_due(self) -> Money:
        """The gross total minus cancelled units (and minus shipping when all was cancelled)."""
        if not self._cancelled:  # the common case: nothing cancelled, the whole total is due
            return self.totals.total.gross
        if self.fully_cancelled:
            return self._zero
        return self.totals.total.gross - self.cancelled_value.gross

    @property
    def payment_secured(self) -> bool:
        """Whether captured (net of refunds) plus open authorization covers the amount due."""
        return self.captured - self.refunded + self.authorized >= self.amount_due

    @property
    def payment_status(self) -> OrderPaymentStatus:
        """Derived from the amounts authorized, captured and refunded."""
        return derive_order_payment_status(
            self.amount_due,
            authorized=self.authorized,
            captured=self.captured,
            refunded=self.refunded,
        )

    @property
    def fulfilment_status(self) -> FulfilmentStatus:
        """Derived from shipments, cancellations and received returns."""
        shipped = self.shipped_units
        if shipped == 0:
            return FulfilmentStatus.UNFULFILLED
        received = sum(self.returned_quantity(li.line_id, received_only=True) for li in self.lines)
        left = sum(self.shippable_quantity(li.line_id) for li in self.lines)
        if received:
            if received == shipped and not left:
                return FulfilmentStatus.RETURNED
            return FulfilmentStatus.PARTIALLY_RETURNED
        return FulfilmentStatus.PARTIALLY_FULFILLED if left else FulfilmentStatus.FULFILLED

    def line_refunded(self, line_id: str) -> TaxedMoney:
        """What was refunded on one line so far, net and gross."""
        total = TaxedMoney.zero(self.currency)
        for refund in self._refunds:
            for part in refund.lines:
                if part.line_id == line_id:
                    total += part.amount
        return total

    def line_refunded_units(self, line_id: str) -> int:
        """Units of the line refunded by quantity so far."""
        return sum(p.quantity for r in self._refunds for p in r.lines if p.line_id == line_id)

    @property
    def shipping_refunded(self) -> TaxedMoney:
        """What was refunded on shipping so far."""
        return sum((r.shipping for r in self._refunds), TaxedMoney.zero(self.currency))

    def find_return(self, return_id: str) -> ReturnRequest:
        """The return with ``return_id``.

        Raises:
            NotFoundError: no such return (kind ``"return"``).
        """
        for ret in self._returns:
            if ret.return_id == return_id:
                return ret
        raise NotFoundError("return", return_id)

    def return_sources(self, return_id: str) -> tuple[tuple[str, str, int], ...]:
        """Where a return's units shipped from: ``(line_id, location, quantity)`` triples.

        Returned units of a line are matched to its shipments in shipping order, after the units
        of earlier (non-rejected) returns of that line; so two returns of a line shipped from two
        locations are written off (or accounted) at the location each unit left from.

        Raises:
            NotFoundError: no such return (kind ``"return"``).
        """
        target = self.find_return(return_id)
        consumed: dict[str, int] = {}
        for ret in self._returns:
            if ret.return_id == return_id:
                break
            if ret.status is not ReturnStatus.REJECTED:
                for earlier in ret.lines:
                    consumed[earlier.line_id] = consumed.get(earlier.line_id, 0) + earlier.quantity
        sources: dict[tuple[str, str], int] = {}
        for ret_line in target.lines:
            line_id = ret_line.line_id
            skip, need = consumed.get(line_id, 0), ret_line.quantity
            for shipment in self._shipments:
                units = shipment.quantity_of(line_id)
                skipped = min(skip, units)
                skip -= skipped
                take = min(need, units - skipped)
                if take:
                    key = (line_id, shipment.location)
                    sources[key] = sources.get(key, 0) + take
                    need -= take
                if not need:
                    break
            consumed[line_id] = consumed.get(line_id, 0) + ret_line.quantity
        return tuple((line_id, location, qty) for (line_id, location), qty in sources.items())

    # -- the transaction and the status machine -------------------------------------------------

    def _change(self) -> _Change:
        """Apply a command all or nothing: on any error, state and pending events roll back."""
        return _Change(self)

    def _move(
        self, target: str, *, now: datetime, actor: str, note: str = "", checked: bool = False
    ) -> None:
        """Move to ``target`` or raise :class:`InvalidTransitionError` (table, then guards).

        ``checked``: the caller has just asked the table and the guards (``_advance``).
        """
        table = self.workflow.table
        current = self._status
        if not checked:
            reason = self.workflow.refusal(self, target)
            if reason or not table.can(current, target):
                raise InvalidTransitionError(
                    table.machine,
                    current,
                    str(target),
                    sorted(table.allowed(current)),
                    reason or "",
                )
        self._history += (HistoryEntry(current, str(target), now, actor, note),)
        self._status = str(target)
        self._record(
            OrderStatusChanged(
                occurred_at=now,
                order_id=self.order_id,
                from_status=current,
                to_status=str(target),
                actor=actor,
                note=note,
            )
        )

    def _advance(self, target: str, *, now: datetime, actor: str, note: str = "") -> bool:
        """Move to ``target`` when the table and guards allow it; otherwise stay.

        Facts (a capture, a delivery) always update their axis; the status follows when it may.
        """
        if self._status == target or not self.workflow.table.can(self._status, target):
            return False
        if self.workflow.refusal(self, target):
            return False
        self._move(target, now=now, actor=actor, note=note, checked=True)
        return True

    def can_transition(self, target: str) -> str | None:
        """None when ``target`` may be entered now; otherwise why not."""
        table = self.workflow.table
        if not table.can(self._status, target):
            return f"{self._status!r} does not lead to {str(target)!r}"
        return self.workflow.refusal(self, target)

    def transition(self, target: str, *, now: datetime, actor: str, note: str = "") -> None:
        """Move the status explicitly (host states such as ``awaiting_fraud_review``).

        Raises:
            InvalidTransitionError: the table or a guard refuses (current, requested, allowed
                and the guard's reason are on the error).
        """
        with self._change():
            self._move(target, now=now, actor=actor, note=note)

    # -- payments -------------------------------------------------------------------------------

    def record_payment(
        self,
        kind: PaymentKind,
        amount: Money,
        *,
        reference: str,
        now: datetime,
        actor: str = "payments",
    ) -> bool:
        """Record a payment fact; return False if already known.

        Facts are idempotent by ``(kind, reference)``: providers often reuse one id (a payment
        intent) for the authorization and its capture, so an authorization and a capture with the
        same reference are two facts, while the same capture delivered twice is one.

        Authorizing moves a placed order to ``payment_authorized``; capturing the amount due moves
        it to ``paid`` (when the table allows it from the current status).

        Raises:
            InvalidAmountError: the amount is not positive.
            InvalidOrderError: ``kind`` is not a :class:`PaymentKind`.
            CurrencyMismatchError: the amount is in another currency.
            PaymentFactRejectedError: a capture above the amount due minus what was captured, or
                a void above the open authorization.
            InvalidTransitionError: a capture on a cancelled order (refund it instead).
        """
        if type(kind) is not PaymentKind:  # a member is itself: only other values convert
            try:
                kind = PaymentKind(kind)
            except ValueError:
                raise InvalidOrderError(self.order_id, f"unknown payment kind {kind!r}") from None
        for entry in self._payments:
            if entry.kind is kind and entry.reference == reference:
                return False  # already known
        self._check_amount(amount)
        if kind is PaymentKind.CAPTURED:
            if self._status == OrderStatus.CANCELLED:
                raise InvalidTransitionError(
                    self.workflow.table.machine,
                    self._status,
                    OrderStatus.PAID,
                    sorted(self.workflow.table.allowed(self._status)),
                    "the order is cancelled: refund money captured for it, do not record it",
                )
            amount_due, captured = self.amount_due, self.captured
            # ``amount > amount_due - captured``: all three are in the order's currency (checked
            # above; the sums start from its zero), so the Decimals compare as the Money would.
            if amount.amount > amount_due.amount - captured.amount:
                due = amount_due - captured
                raise PaymentFactRejectedError(self.order_id, str(kind), amount, due)
            # The order was not paid before this capture: ``paid`` needs a capture covering the
            # amount due and no refund, and a capture is refused above once that is so.
            with self._change():
                sums = self._add_payment(kind, amount, reference, now)
                paid = derive_order_payment_status(
                    amount_due,
                    authorized=sums.authorized,
                    captured=sums.captured,
                    refunded=self.refunded,
                )
                if paid is OrderPaymentStatus.PAID:
                    self._record(
                        OrderPaid(occurred_at=now, order_id=self.order_id, amount=sums.captured)
                    )
                self._advance(OrderStatus.PAID, now=now, actor=actor)
            return True
        if kind is PaymentKind.VOIDED and amount > self.authorized:
            raise PaymentFactRejectedError(self.order_id, str(kind), amount, self.authorized)
        with self._change():
            self._add_payment(kind, amount, reference, now)
            if kind is PaymentKind.AUTHORIZED:
                self._advance(OrderStatus.PAYMENT_AUTHORIZED, now=now, actor=actor)
        return True

    def _add_payment(
        self, kind: PaymentKind, amount: Money, reference: str, now: datetime
    ) -> _PaymentSums:
        """Append the entry and record its event; return the sums with the entry counted."""
        sums = self._sums()
        payments = self._payments = (*sums.payments, PaymentEntry(kind, amount, reference, now))
        captured, authorized = _step_sums(sums.captured, sums.authorized, kind, amount)
        sums = self._payment_sums = _PaymentSums(payments, captured, authorized)
        self._record(
            _PAYMENT_EVENTS[kind](
                occurred_at=now, order_id=self.order_id, amount=amount, reference=reference
            )
        )
        return sums

    def _check_amount(self, amount: Money, *, allow_zero: bool = False) -> None:
        if not isinstance(amount, Money):
            raise InvalidAmountError(amount, "expected Money")
        if currency_of(amount) != self.currency:
            raise CurrencyMismatchError(self.currency, currency_of(amount), context="order")
        if amount.amount < 0 or (amount.amount == 0 and not allow_zero):
            raise InvalidAmountError(amount, "amount must be positive")

    # -- shipments ------------------------------------------------------------------------------

    def ship(
        self,
        *,
        shipment_id: str,
        lines: Mapping[str, int] | Iterable[tuple[str, int]],
        location: str,
        tracking_reference: str = "",
        now: datetime,
        actor: str,
    ) -> Shipment:
        """Ship units of some lines from ``location`` (partial shipments welcome).

        Raises:
            NotFoundError: an unknown line.
            InvalidQuantityError: no lines, or a quantity that is not positive.
            ShipmentQuantityError: more than ordered - cancelled - already shipped.
            InvalidTransitionError: the status cannot move (e.g. unpaid and the payment method
                does not allow fulfilment before payment); the reason is on the error.
        """
        pairs = _line_quantities(self.order_id, lines)
        for line_id, quantity in pairs:
            shippable = self.shippable_quantity(line_id)
            if quantity > shippable:
                raise ShipmentQuantityError(self.order_id, line_id, quantity, shippable)
        if any(s.shipment_id == shipment_id for s in self._shipments):
            raise InvalidOrderError(self.order_id, f"shipment {shipment_id!r} already exists")
        shipment = Shipment(shipment_id, pairs, location, tracking_reference, now)
        with self._change():
            self._shipments += (shipment,)
            left = sum(self.shippable_quantity(li.line_id) for li in self.lines)
            target = OrderStatus.PARTIALLY_SHIPPED if left else OrderStatus.SHIPPED
            self._record(
                OrderShipped(
                    occurred_at=now,
                    order_id=self.order_id,
                    shipment_id=shipment_id,
                    location=location,
                    tracking_reference=tracking_reference,
                    lines=pairs,
                )
            )
            if self._status != target:
                self._move(target, now=now, actor=actor, note=f"shipment {shipment_id}")
        return shipment

    def mark_delivered(self, shipment_id: str, *, now: datetime, actor: str) -> bool:
        """Record a shipment's delivery; return False when it was already delivered.

        The order becomes ``delivered`` once everything shipped and every shipment arrived.

        Raises:
            NotFoundError: no such shipment (kind ``"shipment"``).
        """
        index = next(
            (i for i, s in enumerate(self._shipments) if s.shipment_id == shipment_id), None
        )
        if index is None:
            raise NotFoundError("shipment", shipment_id)
        if self._shipments[index].delivered_at is not None:
            return False
        with self._change():
            shipments = list(self._shipments)
            shipments[index] = attrs.evolve(shipments[index], delivered_at=now)
            self._shipments = tuple(shipments)
            self._record(
                OrderDelivered(occurred_at=now, order_id=self.order_id, shipment_id=shipment_id)
            )
            self._advance(OrderStatus.DELIVERED, now=now, actor=actor)
        return True

    # -- cancellation ---------------------------------------------------------------------------

    def cancel(
        self, *, now: datetime, actor: str, reason: str = "", settlement_id: str | None = None
    ) -> None:
        """Cancel the whole order (only while nothing has shipped).

        Opens a :class:`CancellationSettlement` (default id ``"<order_id>:cancel"``) listing the
        stock and payment steps the service still has to carry out.

        Raises:
            InvalidTransitionError: something shipped, or the status is terminal.
        """
        with self._change():
            self._move(OrderStatus.CANCELLED, now=now, actor=actor, note=reason)
            self._cancelled = tuple((li.line_id, li.quantity) for li in self.lines)
            self._record(OrderCancelled(occurred_at=now, order_id=self.order_id, reason=reason))
            self._open_settlement(
                settlement_id or f"{self.order_id}:cancel", self.totals.total.gross, ()
            )

    def cancel_lines(
        self,
        lines: Mapping[str, int] | Iterable[tuple[str, int]],
        *,
        now: datetime,
        actor: str,
        reason: str = "",
        settlement_id: str | None = None,
    ) -> TaxedMoney:
        """Cancel unshipped units of some lines; return the value cancelled.

        Cancelling every remaining unit of an order with nothing shipped cancels the order;
        cancelling what remains of a partially shipped order makes it ``shipped``. Opens a
        :class:`CancellationSettlement` (default id ``"<order_id>:cancellation-<n>"``) for the
        stock and payment steps of these units.

        Raises:
            NotFoundError: an unknown line.
            InvalidQuantityError: no lines, or a quantity that is not positive.
            CancellationQuantityError: more than is neither shipped nor cancelled.
            InvalidTransitionError: the order status is terminal.
        """
        pairs = _line_quantities(self.order_id, lines)
        for line_id, quantity in pairs:
            cancellable = self.shippable_quantity(line_id)
            if quantity > cancellable:
                raise CancellationQuantityError(self.order_id, line_id, quantity, cancellable)
        if self.workflow.table.is_terminal(self._status):
            raise InvalidTransitionError(
                "order", self._status, OrderStatus.CANCELLED, [], "the order is closed"
            )
        with self._change():
            before = self.cancelled_value
            merged = dict(self._cancelled)
            for line_id, quantity in pairs:
                merged[line_id] = merged.get(line_id, 0) + quantity
            self._cancelled = tuple(merged.items())
            value = self.cancelled_value - before
            self._record(
                OrderLinesCancelled(
                    occurred_at=now, order_id=self.order_id, lines=pairs, amount=value.gross
                )
            )
            self._open_settlement(
                settlement_id or f"{self.order_id}:cancellation-{len(self._settlements) + 1}",
                value.gross,
                pairs,
            )
            if self.fully_cancelled:
                self._move(OrderStatus.CANCELLED, now=now, actor=actor, note=reason)
                self._record(OrderCancelled(occurred_at=now, order_id=self.order_id, reason=reason))
            elif self.shipped_units:
                self._advance(OrderStatus.SHIPPED, now=now, actor=actor, note=reason)
            elif self.payment_status is OrderPaymentStatus.PAID:
                self._advance(OrderStatus.PAID, now=now, actor=actor, note=reason)
        return value

    # -- cancellation settlement (see commerce_core.domain.order_settlements) -------------------

    @property
    def settlements(self) -> tuple[CancellationSettlement, ...]:
        """Every cancellation's settlement, oldest first."""
        return self._settlements

    @property
    def pending_settlements(self) -> tuple[CancellationSettlement, ...]:
        """The settlements with steps still to do, oldest first."""
        return tuple(s for s in self._settlements if not s.settled)

    def settlement(self, settlement_id: str) -> CancellationSettlement:
        """The settlement ``settlement_id``.

        Raises:
            NotFoundError: no such settlement (kind ``"cancellation settlement"``).
        """
        for settlement in self._settlements:
            if settlement.settlement_id == settlement_id:
                return settlement
        raise NotFoundError("cancellation settlement", settlement_id)

    def _open_settlement(
        self, settlement_id: str, value: Money, lines: tuple[tuple[str, int], ...]
    ) -> None:
        if any(s.settlement_id == settlement_id for s in self._settlements):
            raise InvalidOrderError(self.order_id, f"settlement {settlement_id!r} already exists")
        steps = {SettlementStep.VOID, SettlementStep.REFUND}
        if self.reservation_id is not None:
            steps.add(SettlementStep.RELEASE_STOCK)
        self._settlements += (
            CancellationSettlement(settlement_id, value, lines, frozenset(steps)),
        )

    def _replace_settlement(self, updated: CancellationSettlement) -> None:
        self._settlements = tuple(
            updated if s.settlement_id == updated.settlement_id else s for s in self._settlements
        )

    def complete_settlement_step(
        self, settlement_id: str, step: SettlementStep, *, now: datetime
    ) -> bool:
        """Mark ``step`` done; False if it was not pending.

        Records :class:`CancellationSettled` when it was the last one.

        Raises:
            NotFoundError: no such settlement.
        """
        current = self.settlement(settlement_id)
        step = SettlementStep(step)
        if step not in current.pending:
            return False
        with self._change():
            updated = attrs.evolve(current, pending=current.pending - {step})
            self._replace_settlement(updated)
            if updated.settled:
                self._record(
                    CancellationSettled(
                        occurred_at=now, order_id=self.order_id, settlement_id=settlement_id
                    )
                )
        return True

    def fail_settlement_step(
        self,
        settlement_id: str,
        step: SettlementStep,
        *,
        reason: str,
        declined: bool,
        now: datetime,
    ) -> None:
        """Record that ``step`` failed; it stays pending (records the failure event).

        A decline bumps the step's attempt, so the retry asks the payment side under a fresh
        key; an error does not (the retry must reuse the key). Records
        :class:`CancellationSettlementFailed`.

        Raises:
            NotFoundError: no such settlement.
            InvalidOrderError: ``step`` is not pending.
        """
        current = self.settlement(settlement_id)
        step = SettlementStep(step)
        if step not in current.pending:
            raise InvalidOrderError(self.order_id, f"{step} of {settlement_id!r} is not pending")
        with self._change():
            updated = (
                current.declined(step, reason)
                if declined
                else attrs.evolve(current, last_error=f"{step.value}: {reason}")
            )
            self._replace_settlement(updated)
            self._record(
                CancellationSettlementFailed(
                    occurred_at=now,
                    order_id=self.order_id,
                    settlement_id=settlement_id,
                    step=step.value,
                    reason=reason,
                    attempt=updated.attempt_of(step),
                )
            )

    # -- refunds --------------------------------------------------------------------------------

    def plan_refund(
        self,
        *,
        refund_id: str,
        amount: Money | None = None,
        lines: Mapping[str, int] | Iterable[tuple[str, int]] = (),
        shipping: Money | None = None,
        reason: str = "",
        now: datetime,
        return_id: str | None = None,
    ) -> Refund:
        """Work out a refund without applying it (the service asks the payment side for it).

        By ``amount``: split over the lines by what each can still give back, then each line's
        part over its net and tax (both with :func:`allocate`). By ``lines``: the exact value of
        those units. ``shipping`` is refunded separately. Either way the total never exceeds
        captured - refunded.

        Raises:
            NotFoundError: an unknown line.
            InvalidQuantityError: a non-positive quantity, or more units than remain refundable.
            InvalidAmountError / CurrencyMismatchError: a bad amount.
            RefundExceedsRefundableError: more than a line, shipping or the order can give back.
        """
        code = self.currency
        parts: list[RefundLine] = []
        pairs = _line_quantities(self.order_id, lines) if lines else ()
        if amount is not None and pairs:
            raise InvalidOrderError(self.order_id, "refund by amount or by lines, not both")
        for line_id, quantity in pairs:
            line = self.line(line_id)
            done = self.line_refunded_units(line_id)
            if quantity > line.quantity - done:
                raise InvalidQuantityError(
                    quantity, f"only {line.quantity - done} units of {line_id!r} are refundable"
                )
            value = line.units_value(done, quantity)
            remaining = line.total - self.line_refunded(line_id)
            if value.gross > remaining.gross:
                raise RefundExceedsRefundableError(
                    self.order_id, value.gross, remaining.gross, line_id
                )
            parts.append(RefundLine(line_id, quantity, value))
        if amount is not None:
            self._check_amount(amount)
            rests = [li.total - self.line_refunded(li.line_id) for li in self.lines]
            available = sum((r.gross for r in rests), zero(code))
            if amount > available:
                raise RefundExceedsRefundableError(self.order_id, amount, available, "lines")
            shares = allocate(amount, [r.gross for r in rests])
            for line, rest, share in zip(self.lines, rests, shares, strict=True):
                if share.amount:
                    net, tax = allocate(share, [rest.net, rest.tax])
                    parts.append(RefundLine(line.line_id, 0, TaxedMoney(net, net + tax)))
        shipping_part = TaxedMoney.zero(code)
        if shipping is not None:
            self._check_amount(shipping, allow_zero=True)
            rest = self.shipping - self.shipping_refunded
            if shipping > rest.gross:
                raise RefundExceedsRefundableError(self.order_id, shipping, rest.gross, "shipping")
            if shipping.amount:
                net, tax = allocate(shipping, [rest.net, rest.tax])
                shipping_part = TaxedMoney(net, net + tax)
        total = sum((p.amount.gross for p in parts), shipping_part.gross)
        if total.amount <= 0:
            raise InvalidAmountError(total, "a refund must give something back")
        if total > self.refundable:
            raise RefundExceedsRefundableError(self.order_id, total, self.refundable, "order")
        return Refund(refund_id, tuple(parts), shipping_part, total, reason, now, return_id)

    def _check_refund_still_fits(self, refund: Refund) -> None:
        """Re-check a planned refund against what is refundable *now*, line by line.

        A plan may be stale (another refund was applied since): each line's units and amount,
        the shipping part and the order total must still fit.
        """
        units: dict[str, int] = {}
        amounts: dict[str, Money] = {}
        for part in refund.lines:
            units[part.line_id] = units.get(part.line_id, 0) + part.quantity
            amounts[part.line_id] = amounts.get(part.line_id, zero(self.currency)) + (
                part.amount.gross
            )
        for line_id, quantity in units.items():
            line = self.line(line_id)
            left = line.quantity - self.line_refunded_units(line_id)
            if quantity > left:
                raise InvalidQuantityError(
                    quantity, f"only {left} units of {line_id!r} are still refundable"
                )
            remaining = (line.total - self.line_refunded(line_id)).gross
            if amounts[line_id] > remaining:
                raise RefundExceedsRefundableError(
                    self.order_id, amounts[line_id], remaining, line_id
                )
        shipping_rest = (self.shipping - self.shipping_refunded).gross
        if refund.shipping.gross > shipping_rest:
            raise RefundExceedsRefundableError(
                self.order_id, refund.shipping.gross, shipping_rest, "shipping"
            )
        if refund.total > self.refundable:
            raise RefundExceedsRefundableError(
                self.order_id, refund.total, self.refundable, "order"
            )

    def apply_refund(self, refund: Refund, *, reference: str = "") -> bool:
        """Record a refund the payment side carried out; False if ``refund_id`` is known.

        The refund is re-checked against what is refundable now (a plan made before another
        refund was applied may no longer fit a line). A refund settling a received return moves
        that return to ``refunded``.

        Raises:
            RefundExceedsRefundableError: it no longer fits a line, shipping or the order (the
                order changed since planning); nothing is recorded.
            InvalidQuantityError: it refunds more units of a line than remain unrefunded.
            InvalidTransitionError: its return is not in ``received``.
        """
        if any(r.refund_id == refund.refund_id for r in self._refunds):
            return False
        self._check_refund_still_fits(refund)
        with self._change():
            if refund.return_id is not None:
                self._set_return(
                    refund.return_id, ReturnStatus.REFUNDED, refund_id=refund.refund_id
                )
            self._refunds += (attrs.evolve(refund, reference=reference),)
            self._record(
                OrderRefunded(
                    occurred_at=refund.at,
                    order_id=self.order_id,
                    refund_id=refund.refund_id,
                    amount=refund.total,
                    shipping=refund.shipping.gross,
                    reason=refund.reason,
                    return_id=refund.return_id,
                )
            )
        return True

    def refund(
        self,
        *,
        refund_id: str,
        amount: Money | None = None,
        lines: Mapping[str, int] | Iterable[tuple[str, int]] = (),
        shipping: Money | None = None,
        reason: str = "",
        now: datetime,
        reference: str = "",
    ) -> Refund:
        """:meth:`plan_refund` then :meth:`apply_refund`, for when the money already moved.

        Raises:
            The errors of :meth:`plan_refund`.
        """
        planned = self.plan_refund(
            refund_id=refund_id,
            amount=amount,
            lines=lines,
            shipping=shipping,
            reason=reason,
            now=now,
        )
        self.apply_refund(planned, reference=reference)
        return planned

    # -- returns --------------------------------------------------------------------------------

    def request_return(
        self,
        *,
        return_id: str,
        lines: Sequence[ReturnLine],
        now: datetime,
        actor: str,
        note: str = "",
    ) -> ReturnRequest:
        """Ask to return shipped units (``requested``).

        Raises:
            NotFoundError: an unknown line.
            InvalidQuantityError: no lines.
            ReturnQuantityError: more than shipped and not already being returned.
        """
        del actor
        if not lines:
            raise InvalidQuantityError(0, "a return needs at least one line")
        wanted: dict[str, int] = {}
        for ret_line in lines:
            self.line(ret_line.line_id)
            wanted[ret_line.line_id] = wanted.get(ret_line.line_id, 0) + ret_line.quantity
        for line_id, quantity in wanted.items():
            returnable = self.returnable_quantity(line_id)
            if quantity > returnable:
                raise ReturnQuantityError(self.order_id, line_id, quantity, returnable)
        if any(r.return_id == return_id for r in self._returns):
            raise InvalidOrderError(self.order_id, f"return {return_id!r} already exists")
        request = ReturnRequest(return_id, tuple(lines), ReturnStatus.REQUESTED, now, note)
        with self._change():
            self._returns += (request,)
            self._record(
                ReturnRequested(
                    occurred_at=now,
                    order_id=self.order_id,
                    return_id=return_id,
                    lines=tuple((r.line_id, r.quantity, r.reason) for r in lines),
                )
            )
        return request

    def _set_return(self, return_id: str, status: ReturnStatus, **changes: Any) -> ReturnRequest:
        current = self.find_return(return_id)
        RETURN_TABLE.check(current.status, status)
        updated = attrs.evolve(current, status=status, **changes)
        self._returns = tuple(updated if r.return_id == return_id else r for r in self._returns)
        return updated

    def approve_return(self, return_id: str, *, now: datetime, actor: str) -> None:
        """Accept a return (``requested -> approved``).

        Raises:
            NotFoundError: no such return.
            InvalidTransitionError: it is not ``requested``.
        """
        del actor
        with self._change():
            self._set_return(return_id, ReturnStatus.APPROVED)
            self._record(
                ReturnApproved(occurred_at=now, order_id=self.order_id, return_id=return_id)
            )

    def reject_return(self, return_id: str, *, now: datetime, actor: str, reason: str) -> None:
        """Refuse a return (``requested -> rejected``); its units become returnable again.

        Raises:
            NotFoundError: no such return.
            InvalidTransitionError: it is not ``requested``.
        """
        del actor
        with self._change():
            self._set_return(return_id, ReturnStatus.REJECTED, note=reason)
            self._record(
                ReturnRejected(
                    occurred_at=now, order_id=self.order_id, return_id=return_id, reason=reason
                )
            )

    def receive_return(
        self, return_id: str, *, restock_location: str | None, now: datetime, actor: str
    ) -> ReturnRequest:
        """Record the goods' arrival (``approved -> received``): restocked or written off.

        When every shipped unit is back, the order becomes ``returned``.

        Raises:
            NotFoundError: no such return.
            InvalidTransitionError: it is not ``approved``.
        """
        with self._change():
            updated = self._set_return(
                return_id,
                ReturnStatus.RECEIVED,
                received_at=now,
                restock_location=restock_location,
            )
            self._record(
                ReturnReceived(
                    occurred_at=now,
                    order_id=self.order_id,
                    return_id=return_id,
                    restocked_to=restock_location,
                )
            )
            self._advance(OrderStatus.RETURNED, now=now, actor=actor, note=f"return {return_id}")
        return updated

    def plan_return_refund(
        self, return_id: str, *, refund_id: str, now: datetime, include_shipping: bool = False
    ) -> Refund:
        """The refund for a received return: the returned units by quantity (plus shipping).

        Raises:
            NotFoundError: no such return.
            InvalidTransitionError: the return is not ``received``.
            RefundExceedsRefundableError: more than what remains refundable.
        """
        ret = self.find_return(return_id)
        RETURN_TABLE.check(ret.status, ReturnStatus.REFUNDED)
        rest = (self.shipping - self.shipping_refunded).gross if include_shipping else None
        return self.plan_refund(
            refund_id=refund_id,
            lines=[(r.line_id, r.quantity) for r in ret.lines],
            shipping=rest,
            reason=f"return {return_id}",
            now=now,
            return_id=return_id,
        )

    # -- closing --------------------------------------------------------------------------------

    def complete(self, *, now: datetime, actor: str, note: str = "") -> None:
        """Close a delivered order (no open returns).

        Raises:
            InvalidTransitionError: not delivered, or a return is still open.
        """
        self.transition(OrderStatus.COMPLETED, now=now, actor=actor, note=note)

    # -- snapshots ------------------------------------------------------------------------------

    def _time_text(self, value: datetime) -> str:
        """Internal: ``value.isoformat()``, remembered for the last ``datetime`` object given.

        One command stamps its history entry, payment entry and events with the same ``now``
        object, and the repository writes them all in one save (snapshot and event payloads):
        formatting an aware time costs more than the rest of such an entry, so it is done once.
        The text is kept with the very object it was made from (identity, not equality: an
        equal time in another zone has another text), an immutable leaf the snapshots share.
        """
        last = self._last_time = iso_memo(self._last_time, value)
        return last[1]

    @functools.cached_property
    def _placed_at_text(self) -> str:
        """``placed_at.isoformat()``, once per order object (``placed_at`` never changes)."""
        return self._time_text(self.placed_at)

    def to_snapshot(self) -> dict[str, Any]:
        """The order as JSON primitives (ISO times, money via ``money_to_data``)."""
        return self._snapshot([line.to_data() for line in self.lines])

    def _stored_snapshot(self) -> dict[str, Any]:
        """Internal: :meth:`to_snapshot` for a store that copies it before anyone else sees it.

        Equal to :meth:`to_snapshot`, but the lines' data is built once per order object and
        the same list is in every such snapshot (the lines are frozen, so it never changes):
        only for a caller that writes the tree out at once and keeps no part of it (the
        in-memory repository marshals it; when it keeps a tree, it takes :meth:`to_snapshot`).
        Only a tuple of lines is cached: ``lines`` has no converter, and an order built from a
        list its caller changes later is written with the lines it holds at each call.
        """
        lines = self._lines_data
        if lines is None:
            lines = [line.to_data() for line in self.lines]
            if type(self.lines) is tuple:
                self._lines_data = lines
        return self._snapshot(lines)

    def _snapshot(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        """:meth:`to_snapshot` with ``lines`` as the lines' data."""
        customer, terms = self.customer, self.payment_terms
        iso = self._time_text
        return {
            "order_id": self.order_id,
            "number": self.number,
            "lines": lines,
            "shipping": _taxed_to_data(self.shipping),
            "customer": {
                "email": customer.email,
                "customer_id": customer.customer_id,
                "name": customer.name,
            },
            "billing_address": self.billing_address.to_data(),
            "shipping_address": self.shipping_address.to_data(),
            "shipping_method": self.shipping_method,
            "payment_terms": {
                "code": terms.code,
                "allows_fulfilment_before_payment": terms.allows_fulfilment_before_payment,
            },
            "reservation_id": self.reservation_id,
            "placed_at": self._placed_at_text,
            "status": self._status,
            "history": [
                {
                    "from": h.from_status,
                    "to": h.to_status,
                    "at": iso(h.at),
                    "actor": h.actor,
                    "note": h.note,
                }
                for h in self._history
            ],
            "payments": [
                {
                    "kind": p.kind.value,
                    "amount": money_to_data(p.amount),
                    "reference": p.reference,
                    "at": iso(p.at),
                }
                for p in self._payments
            ],
            "shipments": [
                {
                    "shipment_id": s.shipment_id,
                    "lines": [list(pair) for pair in s.lines],
                    "location": s.location,
                    "tracking_reference": s.tracking_reference,
                    "shipped_at": iso(s.shipped_at),
                    "delivered_at": None if s.delivered_at is None else iso(s.delivered_at),
                }
                for s in self._shipments
            ],
            "cancelled": [list(pair) for pair in self._cancelled],
            "refunds": [
                {
                    "refund_id": r.refund_id,
                    "lines": [
                        {
                            "line_id": p.line_id,
                            "quantity": p.quantity,
                            "amount": _taxed_to_data(p.amount),
                        }
                        for p in r.lines
                    ],
                    "shipping": _taxed_to_data(r.shipping),
                    "total": money_to_data(r.total),
                    "reason": r.reason,
                    "at": iso(r.at),
                    "return_id": r.return_id,
                    "reference": r.reference,
                }
                for r in self._refunds
            ],
            "returns": [
                {
                    "return_id": r.return_id,
                    "lines": [[rl.line_id, rl.quantity, rl.reason] for rl in r.lines],
                    "status": r.status.value,
                    "requested_at": iso(r.requested_at),
                    "note": r.note,
                    "received_at": None if r.received_at is None else iso(r.received_at),
                    "restock_location": r.restock_location,
                    "refund_id": r.refund_id,
                }
                for r in self._returns
            ],
            "settlements": [s.to_data() for s in self._settlements],
        }

    @classmethod
    def from_snapshot(
        cls, data: Mapping[str, Any], version: int, workflow: OrderWorkflow = DEFAULT_WORKFLOW
    ) -> Order:
        """Rebuild an order from :meth:`to_snapshot` output at ``version`` (no events pending)."""
        order = cls(
            order_id=data["order_id"],
            number=data["number"],
            lines=tuple(OrderLine.from_data(li) for li in data["lines"]),
            shipping=_taxed_from_data(data["shipping"]),
            customer=Customer(**data["customer"]),
            billing_address=Address.from_data(data["billing_address"]),
            shipping_address=Address.from_data(data["shipping_address"]),
            shipping_method=data["shipping_method"],
            payment_terms=PaymentTerms(**data["payment_terms"]),
            reservation_id=data["reservation_id"],
            placed_at=datetime.fromisoformat(data["placed_at"]),
            workflow=workflow,
            version=version,
        )
        order._status = data["status"]
        order._history = tuple(
            HistoryEntry(h["from"], h["to"], datetime.fromisoformat(h["at"]), h["actor"], h["note"])
            for h in data["history"]
        )
        order._payments = tuple(
            PaymentEntry(
                PaymentKind(p["kind"]),
                money_from_data(p["amount"]),
                p["reference"],
                datetime.fromisoformat(p["at"]),
            )
            for p in data["payments"]
        )
        order._shipments = tuple(
            Shipment(
                s["shipment_id"],
                tuple((lid, q) for lid, q in s["lines"]),
                s["location"],
                s["tracking_reference"],
                datetime.fromisoformat(s["shipped_at"]),
                _dt(s["delivered_at"]),
            )
            for s in data["shipments"]
        )
        order._cancelled = tuple((lid, q) for lid, q in data["cancelled"])
        order._refunds = tuple(
            Refund(
                r["refund_id"],
                tuple(
                    RefundLine(p["line_id"], p["quantity"], _taxed_from_data(p["amount"]))
                    for p in r["lines"]
                ),
                _taxed_from_data(r["shipping"]),
                money_from_data(r["total"]),
                r["reason"],
                datetime.fromisoformat(r["at"]),
                r["return_id"],
                r["reference"],
            )
            for r in data["refunds"]
        )
        order._returns = tuple(
            ReturnRequest(
                r["return_id"],
                tuple(ReturnLine(lid, q, why) for lid, q, why in r["lines"]),
                ReturnStatus(r["status"]),
                datetime.fromisoformat(r["requested_at"]),
                r["note"],
                _dt(r["received_at"]),
                r["restock_location"],
                r["refund_id"],
            )
            for r in data["returns"]
        )
        order._settlements = tuple(
            CancellationSettlement.from_data(s) for s in data.get("settlements", ())
        )
        return order


# --- values crossing the order ports -------------------------------------------------------------


@attrs.frozen
class StockLine:
    """Units of one SKU moved by an order operation (commit, release)."""

    sku: str
    quantity: int = attrs.field(converter=_positive_int)


@attrs.frozen
class PaymentOutcome:
    """What the payment side did with a void or refund request (a value, not an exception).

    Attributes:
        succeeded: whether the money moved.
        amount: the amount asked for.
        reference: the provider's reference for the operation (empty when it failed).
        reason: why it failed (a decline message), empty on success.
        in_progress: the request was not decided: another call with the same idempotency key
            was still running when this one stopped waiting for it. Not a decline: repeat the
            call with the same key later to get the first call's outcome. Implies
            ``succeeded=False``.
    """

    succeeded: bool
    amount: Money
    reference: str = ""
    reason: str = ""
    in_progress: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.in_progress and self.succeeded:
            raise InvalidOrderError("", "an outcome still in progress has not succeeded")


def _freeze_payload(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


@attrs.frozen
class OutboxMessage:
    """One recorded domain event waiting in the outbox (stored with the order that made it).

    Attributes:
        message_id: stable and unique: ``"<order_id>:<version>:<index>"``; also the
            notification's deduplication key.
        order_id: the order that recorded the event.
        event_type: the event's ``event_type``.
        payload: the event as JSON primitives (``DomainEvent.to_dict()``).
        attempts: how many times it was claimed for dispatch.
        last_error: the last dispatch failure, if any.
    """

    message_id: str
    order_id: str
    event_type: str
    payload: Mapping[str, Any] = attrs.field(converter=_freeze_payload)
    attempts: int = 0
    last_error: str = ""

    @classmethod
    def _frozen(  # noqa: PLR0917 - the fields, in order
        cls,
        message_id: str,
        order_id: str,
        event_type: str,
        payload: Mapping[str, Any],
        attempts: int,
        last_error: str,
    ) -> OutboxMessage:
        """Internal: a message whose payload is already a read-only view no one else can change.

        Either the payload of another message (its converter made the copy), or a view of a
        dict its caller has just built and holds nowhere else. Equal to ``OutboxMessage(...)``
        of the same values.
        """
        message = object.__new__(cls)
        setter = object.__setattr__
        setter(message, "message_id", message_id)
        setter(message, "order_id", order_id)
        setter(message, "event_type", event_type)
        setter(message, "payload", payload)
        setter(message, "attempts", attempts)
        setter(message, "last_error", last_error)
        return message
