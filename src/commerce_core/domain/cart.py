"""The cart aggregate: lines with price snapshots, limits, stock checks, merge, reprice.

A :class:`Cart` belongs to a :class:`CartOwner` (a guest token or a customer id), has one currency
and a status from :data:`CART_LIFECYCLE` (``active -> checked_out | abandoned | expired |
merged``; an abandoned cart can be recovered back to ``active``). Each :class:`CartLine`
snapshots what pricing needs from the catalog when the item is added (unit price, tax class,
weight...), so pricing a cart is pure; :meth:`Cart.reprice` refreshes the snapshots and reports
the :class:`PriceChange` values so the host can warn the shopper.

Stock is checked (not reserved) on add and on quantity change through a :data:`StockCheck`
callable, normally ``AvailabilityQuery.availability``.

>>> from datetime import UTC, datetime
>>> from commerce_core.money import money
>>> from commerce_core.domain.catalog import CatalogItem
>>> now = datetime(2026, 1, 1, tzinfo=UTC)
>>> cart = Cart.create("cart_1", CartOwner.guest("g1"), "EUR", now=now)
>>> tea = CatalogItem.simple("TEA", "Tea", money("4.50", "EUR"))
>>> line = cart.add(tea, 2, now=now)
>>> _ = cart.add(tea, 1, now=now)
>>> [(l.sku, l.quantity) for l in cart.lines]
[('TEA', 3)]
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import attrs
from moneyed import Money

from commerce_core.domain.catalog import (
    DEFAULT_PRICE_LIST,
    CatalogItem,
    QuantityRule,
    check_quantity,
)
from commerce_core.domain.events import DomainEvent, EventRecorder, iso_memo
from commerce_core.domain.inventory import Availability
from commerce_core.domain.pricing import PricingLine
from commerce_core.domain.shoppers import OwnerKind
from commerce_core.domain.state_machine import TransitionTable
from commerce_core.errors import (
    CartLimitError,
    CartMergeError,
    CartNotActiveError,
    CurrencyMismatchError,
    InvalidCartSettingError,
    NotFoundError,
    RecoveryTokenError,
    StockUnavailableError,
    UnknownSkuError,
)
from commerce_core.money import currency_of, money_from_data, money_to_data, zero

__all__ = [
    "CartStatus",
    "CART_LIFECYCLE",
    "CartOwner",
    "CartLimits",
    "CartLine",
    "PriceChange",
    "MergeStrategy",
    "MergeResult",
    "StockCheck",
    "Cart",
    "CartCreated",
    "CartLineAdded",
    "CartLineQuantityChanged",
    "CartLineRemoved",
    "CartCleared",
    "CartRepriced",
    "CartsMerged",
    "CartAbandoned",
    "CartRecovered",
    "CartExpired",
    "CartCheckedOut",
]

StockCheck: TypeAlias = Callable[[str, int], Availability]
"""``(sku, quantity) -> Availability``: ``AvailabilityQuery.availability`` fits."""


class CartStatus(enum.StrEnum):
    """Where a cart is in its life."""

    ACTIVE = "active"
    CHECKED_OUT = "checked_out"
    ABANDONED = "abandoned"
    EXPIRED = "expired"
    MERGED = "merged"


CART_LIFECYCLE = TransitionTable(
    machine="cart",
    initial=CartStatus.ACTIVE,
    edges={
        CartStatus.ACTIVE: {
            CartStatus.CHECKED_OUT,
            CartStatus.ABANDONED,
            CartStatus.EXPIRED,
            CartStatus.MERGED,
        },
        CartStatus.ABANDONED: {CartStatus.ACTIVE, CartStatus.EXPIRED, CartStatus.MERGED},
        CartStatus.CHECKED_OUT: set(),
        CartStatus.EXPIRED: set(),
        CartStatus.MERGED: set(),
    },
    terminal={CartStatus.CHECKED_OUT, CartStatus.EXPIRED, CartStatus.MERGED},
)
"""The cart lifecycle as data (abandoned carts can be recovered to active)."""


def _owner_kind(value: OwnerKind | str) -> OwnerKind:
    try:
        return OwnerKind(value)
    except ValueError:
        kinds = ", ".join(kind.value for kind in OwnerKind)
        raise InvalidCartSettingError("owner.kind", value, f"expected one of {kinds}") from None


def _owner_id(_inst: object, _attribute: attrs.Attribute[str], value: str) -> None:
    given: object = value  # hosts outside mypy pass None
    if not isinstance(given, str) or not given.strip():
        raise InvalidCartSettingError("owner.id", value, "an owner needs a non-empty id")


def _positive_limit(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    given: object = value  # hosts outside mypy pass floats and strings
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        raise InvalidCartSettingError(attribute.name, value, "a limit must be an int >= 1")


@attrs.frozen
class CartOwner:
    """Who a cart belongs to.

    Raises:
        InvalidCartSettingError: an unknown kind, or an empty id (guest token or customer id).
    """

    kind: OwnerKind = attrs.field(converter=_owner_kind)
    id: str = attrs.field(validator=_owner_id)

    @classmethod
    def guest(cls, token: str) -> CartOwner:
        """A guest identified by a session token."""
        return cls(OwnerKind.GUEST, token)

    @classmethod
    def customer(cls, customer_id: str) -> CartOwner:
        """A signed-in customer."""
        return cls(OwnerKind.CUSTOMER, customer_id)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"


@attrs.frozen
class CartLimits:
    """Limits every cart enforces.

    Attributes:
        max_lines: the most distinct lines in one cart.
        max_quantity_per_line: the most units in one line (item rules may be stricter).

    Raises:
        InvalidCartSettingError: a limit that is not an int of at least 1.
    """

    max_lines: int = attrs.field(default=100, validator=_positive_limit)
    max_quantity_per_line: int = attrs.field(default=999, validator=_positive_limit)


_DEFAULT_LIMITS = CartLimits()
"""The limits of most carts (immutable, so every cart rebuilt with them can share them)."""


def _stored_owner(kind: str, owner_id: str) -> CartOwner:
    """The stored owner ``kind``/``owner_id`` (what :meth:`Cart.to_snapshot` wrote).

    Builds exactly what ``CartOwner(OwnerKind(kind), owner_id)`` builds, without the attrs
    converter and validator calls when the stored values are the valid ones
    :meth:`Cart.to_snapshot` writes; anything else takes the validating constructor (and its
    errors).
    """
    if type(kind) is str and type(owner_id) is str and owner_id.strip():
        member = _OWNER_KINDS.get(kind)
        if member is not None:
            owner = object.__new__(CartOwner)
            object.__setattr__(owner, "kind", member)
            object.__setattr__(owner, "id", owner_id)
            return owner
    return CartOwner(OwnerKind(kind), owner_id)


_OWNER_KINDS: Final = {kind.value: kind for kind in OwnerKind}
"""Owner kinds by their stored value."""

_OWNER_KIND_TEXT: Final = {kind: kind.value for kind in OwnerKind}
"""The stored value of each owner kind (a dict lookup: ``.value`` is a Python-level property)."""

_STATUSES: Final = {status.value: status for status in CartStatus}
"""Cart statuses by their stored value."""

_STATUS_TEXT: Final = {status: status.value for status in CartStatus}
"""The stored value of each cart status."""


def _stored_status(value: str) -> CartStatus:
    """``CartStatus(value)`` (and its error for anything but a status value), looked up."""
    status = _STATUSES.get(value) if type(value) is str else None
    return status if status is not None else CartStatus(value)


def _stored_limits(max_lines: int, max_quantity: int) -> CartLimits:
    """The stored limits, validated unless they are the default ones (then shared)."""
    if (
        type(max_lines) is int
        and type(max_quantity) is int
        and max_lines == _DEFAULT_LIMITS.max_lines
        and max_quantity == _DEFAULT_LIMITS.max_quantity_per_line
    ):
        return _DEFAULT_LIMITS
    return CartLimits(max_lines, max_quantity)


_NO_METADATA: Mapping[str, str] = MappingProxyType({})
"""The metadata of most lines (read-only, so every such line can share it)."""

_ANY_QUANTITY = QuantityRule()
"""The quantity rule of most items (immutable, so every line rebuilt with it can share it)."""


def _freeze(data: Mapping[str, str]) -> Mapping[str, str]:
    if not data:
        return _NO_METADATA
    return MappingProxyType({str(k): str(v) for k, v in data.items()})


_NO_LABELS: frozenset[str] = frozenset()
"""The categories and tags of most lines (immutable, so every such line can share them)."""


def _stored_set(values: Iterable[str]) -> frozenset[str]:
    """``frozenset(values)``; the shared empty one for an empty stored list."""
    if type(values) is list and not values:
        return _NO_LABELS
    return frozenset(values)


def _quantity_rule(minimum: int, maximum: int | None, step: int) -> QuantityRule:
    """The stored rule ``[minimum, maximum, step]``, validated unless it is the default one."""
    if maximum is None and type(minimum) is int and type(step) is int and minimum == step == 1:
        return _ANY_QUANTITY
    return QuantityRule(minimum, maximum, step)


@attrs.frozen
class CartLine:
    """A line of a cart: a SKU, a quantity, the catalog snapshot taken when it was added.

    Attributes:
        line_id: unique within the cart.
        sku: the item.
        name: display name at snapshot time.
        quantity: units.
        unit_price: unit price snapshot (in the price basis given by ``prices_include_tax``).
        prices_include_tax: whether ``unit_price`` is gross.
        tax_class: tax class snapshot.
        categories: category snapshot.
        tags: tags snapshot.
        weight: unit weight (kg) snapshot.
        shippable: whether it ships.
        quantity_rule: the item's quantity rule snapshot.
        metadata: gift message, engraving... (lines with different metadata stay separate).
    """

    line_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Money
    prices_include_tax: bool
    tax_class: str
    categories: frozenset[str]
    tags: frozenset[str]
    weight: Decimal
    shippable: bool
    quantity_rule: QuantityRule
    metadata: Mapping[str, str] = attrs.field(factory=dict, converter=_freeze)

    @property
    def total(self) -> Money:
        """``unit_price * quantity`` (in the line's price basis)."""
        return self.unit_price * self.quantity

    def pricing_line(self) -> PricingLine:
        """The line as the pricing pipeline sees it."""
        return PricingLine(
            self.line_id,
            self.sku,
            self.name,
            self.quantity,
            self.unit_price,
            self.prices_include_tax,
            self.tax_class,
            self.categories,
            self.tags,
            self.weight,
            self.shippable,
            self.metadata,
        )

    def same_item(self, sku: str, metadata: Mapping[str, str]) -> bool:
        """Whether an add of ``sku`` with ``metadata`` belongs in this line."""
        return self.sku == sku and dict(self.metadata) == dict(metadata)

    def to_data(self) -> dict[str, Any]:
        """The line as snapshot primitives."""
        rule = self.quantity_rule
        metadata = self.metadata
        return {
            "line_id": self.line_id,
            "sku": self.sku,
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": money_to_data(self.unit_price),
            "prices_include_tax": self.prices_include_tax,
            "tax_class": self.tax_class,
            "categories": sorted(self.categories) if self.categories else [],
            "tags": sorted(self.tags) if self.tags else [],
            "weight": str(self.weight),
            "shippable": self.shippable,
            "quantity_rule": [rule.minimum, rule.maximum, rule.step],
            "metadata": dict(metadata) if metadata else {},
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CartLine:
        """Rebuild a line from :meth:`to_data` output."""
        minimum, maximum, step = data["quantity_rule"]
        return cls(  # positional, in field order: this runs for every line of every cart read
            data["line_id"],
            data["sku"],
            data["name"],
            int(data["quantity"]),
            money_from_data(data["unit_price"]),
            bool(data["prices_include_tax"]),
            data["tax_class"],
            _stored_set(data["categories"]),
            _stored_set(data["tags"]),
            Decimal(data["weight"]),
            bool(data["shippable"]),
            _quantity_rule(minimum, maximum, step),
            data["metadata"],
        )


@attrs.frozen
class PriceChange:
    """A snapshot refreshed by :meth:`Cart.reprice` whose unit price changed."""

    line_id: str
    sku: str
    old: Money
    new: Money


class MergeStrategy(enum.StrEnum):
    """How a guest cart joins the customer's cart at sign-in."""

    MERGE = "merge"
    """Sum quantities of equal lines, within the limits (excess is clamped and reported)."""
    KEEP_CUSTOMER = "keep_customer"
    """Keep the customer's cart as it is; the guest cart is discarded."""
    KEEP_GUEST = "keep_guest"
    """Replace the customer's lines with the guest's."""
    GUEST_IF_CUSTOMER_EMPTY = "guest_if_customer_empty"
    """The guest's lines if the customer's cart is empty, else keep the customer's."""

    @classmethod
    def parse(cls, value: MergeStrategy | str) -> MergeStrategy:
        """The strategy ``value`` names: a member, or its value (``"merge"``).

        Raises:
            InvalidCartSettingError: anything else.
        """
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(member.value for member in cls)
            raise InvalidCartSettingError(
                "strategy", value, f"expected a MergeStrategy or one of {names}"
            ) from None


@attrs.frozen
class MergeResult:
    """What a merge did.

    Attributes:
        strategy: the strategy used.
        taken: line ids of the target cart that received guest units.
        clamped: SKUs whose summed quantity was reduced to fit a limit (sku, wanted, kept).
        dropped: SKUs that did not fit at all (the cart's line limit, or clamped to zero).
        replayed: the target had already taken this guest cart's lines (a re-run of the same
            sign-in): nothing was merged again.
    """

    strategy: MergeStrategy
    taken: tuple[str, ...] = ()
    clamped: tuple[tuple[str, int, int], ...] = ()
    dropped: tuple[str, ...] = ()
    replayed: bool = False


@attrs.frozen(kw_only=True)
class CartCreated(DomainEvent):
    """A cart was opened."""

    cart_id: str
    owner: str
    currency: str


@attrs.frozen(kw_only=True)
class CartLineAdded(DomainEvent):
    """Units were added (a new line, or more units of an existing one)."""

    cart_id: str
    line_id: str
    sku: str
    quantity: int


@attrs.frozen(kw_only=True)
class CartLineQuantityChanged(DomainEvent):
    """A line's quantity was set."""

    cart_id: str
    line_id: str
    old_quantity: int
    new_quantity: int


@attrs.frozen(kw_only=True)
class CartLineRemoved(DomainEvent):
    """A line was removed."""

    cart_id: str
    line_id: str
    sku: str


@attrs.frozen(kw_only=True)
class CartCleared(DomainEvent):
    """Every line was removed."""

    cart_id: str


@attrs.frozen(kw_only=True)
class CartRepriced(DomainEvent):
    """Snapshots were refreshed; ``changes`` price changes were found."""

    cart_id: str
    changes: int


@attrs.frozen(kw_only=True)
class CartsMerged(DomainEvent):
    """A guest cart was merged into this cart."""

    cart_id: str
    source_cart_id: str
    strategy: str


@attrs.frozen(kw_only=True)
class CartAbandoned(DomainEvent):
    """A cart was idle too long and marked abandoned."""

    cart_id: str


@attrs.frozen(kw_only=True)
class CartRecovered(DomainEvent):
    """An abandoned cart was restored through its recovery token."""

    cart_id: str


@attrs.frozen(kw_only=True)
class CartExpired(DomainEvent):
    """A cart passed its expiry and is closed for good."""

    cart_id: str


@attrs.frozen(kw_only=True)
class CartCheckedOut(DomainEvent):
    """A cart became an order."""

    cart_id: str


def _snapshot_unchanged(line: CartLine, item: CatalogItem, price: Money) -> bool:
    """Whether snapshotting ``item`` at ``price`` again would give ``line`` back.

    True when every snapshot field is the same value of the same type (amounts and weights
    written with the same digits: ``compare_total`` tells ``1.0`` from ``1.00``, which are
    equal), so the refreshed line would equal ``line`` and snapshot to the same data:
    :meth:`Cart.reprice` then keeps ``line`` instead of building it again. The quantity, line id
    and metadata are the line's own either way. Written out inline: it runs for every line of
    every checkout.
    """
    old, old_rule, new_rule = line.unit_price, line.quantity_rule, item.quantity_rule
    # ``a is b``: the same text object (a line read back from its snapshot holds the catalog's
    # own strings) is the same value of the same type, without the type and value comparisons
    return (
        (line.sku is item.sku or (type(line.sku) is type(item.sku) and line.sku == item.sku))
        and (
            line.name is item.name
            or (type(line.name) is type(item.name) and line.name == item.name)
        )
        and type(old) is type(price)
        and (old.currency is price.currency or old.currency == price.currency)
        and type(old.amount) is type(price.amount)
        and not old.amount.compare_total(price.amount)
        and line.prices_include_tax is item.prices_include_tax
        and (
            line.tax_class is item.tax_class
            or (type(line.tax_class) is type(item.tax_class) and line.tax_class == item.tax_class)
        )
        and line.categories == item.categories
        and line.tags == item.tags
        and type(line.weight) is type(item.weight)
        and not line.weight.compare_total(item.weight)
        and line.shippable is item.shippable
        and (
            old_rule is new_rule
            or (  # the rules' __eq__ (same class, equal fields), without its call
                type(old_rule) is type(new_rule)
                and type(old_rule.minimum) is type(new_rule.minimum)
                and type(old_rule.maximum) is type(new_rule.maximum)
                and type(old_rule.step) is type(new_rule.step)
                and old_rule.minimum == new_rule.minimum
                and old_rule.maximum == new_rule.maximum
                and old_rule.step == new_rule.step
            )
        )
    )


def _is_utc_iso_text(text: str) -> bool:
    """Whether ``text`` is exactly what ``datetime.fromisoformat(text).isoformat()`` gives back.

    True for the form :meth:`Cart.to_snapshot` writes of a UTC instant without microseconds
    (``"2026-01-01T09:30:00+00:00"``: fixed positions of the separators, 25 characters; the
    digits are checked by ``fromisoformat`` itself); any other form (``"Z"``, a space, an
    offset, a fraction, a week date) is False, so its text is written again by ``isoformat``.
    Call it only on a text ``fromisoformat`` accepted.
    """
    return (
        type(text) is str
        and len(text) == 25
        and text[10] == "T"
        and text[19:] == "+00:00"
        and text[4] == "-"
        and text[7] == "-"
        and text[13] == ":"
        and text[16] == ":"
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@attrs.define(eq=False)
class Cart(EventRecorder):
    """A shopping cart. Create it with :meth:`create`; change it through its methods.

    Every method that changes the cart checks its rules first and leaves the cart unchanged
    when it raises.
    """

    id: str
    owner: CartOwner
    currency: str
    channel: str
    price_list: str
    created_at: datetime
    updated_at: datetime
    limits: CartLimits = attrs.field(factory=CartLimits)
    version: int = 0
    _status: CartStatus = CartStatus.ACTIVE
    _lines: list[CartLine] = attrs.field(factory=list)
    _line_seq: int = 0
    _recovery_digest: str | None = None
    _recovery_expires_at: datetime | None = None
    _absorbed: list[str] = attrs.field(factory=list)
    _events: list[DomainEvent] = attrs.field(factory=list, init=False)
    # The ISO text of ``created_at`` / ``updated_at`` as last read or written, with the instant
    # it stands for: a snapshot reuses it while the attribute still holds that very instant
    # (``isoformat`` is the dearest step of a snapshot). One tuple each, so a reader never
    # pairs an instant with another instant's text.
    _created_text: tuple[datetime, str] | None = attrs.field(default=None, init=False, repr=False)
    _updated_text: tuple[datetime, str] | None = attrs.field(default=None, init=False, repr=False)

    # --- construction and reading ---------------------------------------------------------------

    @classmethod
    def create(
        cls,
        cart_id: str,
        owner: CartOwner,
        currency: str,
        *,
        now: datetime,
        channel: str = "default",
        price_list: str = DEFAULT_PRICE_LIST,
        limits: CartLimits | None = None,
    ) -> Cart:
        """A new, empty, active cart (records :class:`CartCreated`).

        Raises:
            UnknownCurrencyError: ``currency`` is not a currency.
        """
        code = currency_of(zero(currency))
        cart = cls(cart_id, owner, code, channel, price_list, now, now, limits or CartLimits())
        cart._record(CartCreated(occurred_at=now, cart_id=cart_id, owner=str(owner), currency=code))
        return cart

    @property
    def status(self) -> CartStatus:
        """The lifecycle status."""
        return self._status

    @property
    def lines(self) -> tuple[CartLine, ...]:
        """The lines, in the order they were added."""
        return tuple(self._lines)

    @property
    def is_empty(self) -> bool:
        """Whether the cart has no line."""
        return not self._lines

    @property
    def item_count(self) -> int:
        """Total units over all lines."""
        return sum(line.quantity for line in self._lines)

    def line(self, line_id: str) -> CartLine:
        """The line ``line_id``.

        Raises:
            NotFoundError: no such line (kind ``"cart line"``).
        """
        for line in self._lines:
            if line.line_id == line_id:
                return line
        raise NotFoundError("cart line", line_id)

    def has_absorbed(self, cart_id: str) -> bool:
        """Whether this cart already took the lines of the guest cart ``cart_id`` (a merge)."""
        return cart_id in self._absorbed

    def pricing_lines(self) -> tuple[PricingLine, ...]:
        """The lines for :func:`~commerce_core.domain.pricing.price_cart`."""
        return tuple(line.pricing_line() for line in self._lines)

    # --- rules -----------------------------------------------------------------------------------

    def _ensure_active(self) -> None:
        if self._status is not CartStatus.ACTIVE:
            raise CartNotActiveError(self.id, self._status.value)

    def _check_line_quantity(self, sku: str, rule: QuantityRule, quantity: int) -> None:
        rule.check(sku, quantity)
        if quantity > self.limits.max_quantity_per_line:
            raise CartLimitError(
                self.id, "max_quantity_per_line", self.limits.max_quantity_per_line, quantity
            )

    @staticmethod
    def _check_stock(stock: StockCheck | None, sku: str, quantity: int) -> None:
        if stock is None:
            return
        answer = stock(sku, quantity)
        if not answer.can_fulfil:
            extra = answer.backorderable or 0
            raise StockUnavailableError(sku, quantity, answer.available + extra)

    def _touch(self, now: datetime) -> None:
        self.updated_at = max(self.updated_at, now)

    def _snapshot_line(
        self,
        line_id: str,
        item: CatalogItem,
        quantity: int,
        metadata: Mapping[str, str],
        price: Money | None = None,
    ) -> CartLine:
        return CartLine(
            line_id=line_id,
            sku=item.sku,
            name=item.name,
            quantity=quantity,
            unit_price=price
            if price is not None
            else item.price_for(self.currency, self.price_list),
            prices_include_tax=item.prices_include_tax,
            tax_class=item.tax_class,
            categories=item.categories,
            tags=item.tags,
            weight=item.weight,
            shippable=item.shippable,
            quantity_rule=item.quantity_rule,
            metadata=metadata,
        )

    # --- commands -------------------------------------------------------------------------------

    def add(
        self,
        item: CatalogItem,
        quantity: int,
        *,
        now: datetime,
        metadata: Mapping[str, str] | None = None,
        stock: StockCheck | None = None,
    ) -> CartLine:
        """Add ``quantity`` units of ``item``; the same SKU and metadata joins its line.

        Returns the new or updated line.

        Raises:
            CartNotActiveError: the cart is not active.
            InvalidQuantityError / QuantityRuleError: a bad quantity for the item.
            CartLimitError: too many lines, or too many units in the line.
            PriceNotFoundError: the item has no price in the cart's currency.
            StockUnavailableError: not enough stock for the resulting quantity.
        """
        self._ensure_active()
        meta = dict(metadata or {})
        check_quantity(quantity)
        for index, existing in enumerate(self._lines):
            if existing.same_item(item.sku, meta):
                wanted = existing.quantity + quantity
                self._check_line_quantity(item.sku, item.quantity_rule, wanted)
                self._check_stock(stock, item.sku, wanted)
                updated = attrs.evolve(existing, quantity=wanted)
                self._lines[index] = updated
                break
        else:
            if len(self._lines) >= self.limits.max_lines:
                raise CartLimitError(
                    self.id, "max_lines", self.limits.max_lines, len(self._lines) + 1
                )
            self._check_line_quantity(item.sku, item.quantity_rule, quantity)
            line_id = f"{self.id}-l{self._line_seq + 1}"
            updated = self._snapshot_line(line_id, item, quantity, meta)
            self._check_stock(stock, item.sku, quantity)
            self._line_seq += 1
            self._lines.append(updated)
        self._touch(now)
        self._record(
            CartLineAdded(
                occurred_at=now,
                cart_id=self.id,
                line_id=updated.line_id,
                sku=item.sku,
                quantity=quantity,
            )
        )
        return updated

    def change_quantity(
        self, line_id: str, quantity: int, *, now: datetime, stock: StockCheck | None = None
    ) -> CartLine | None:
        """Set a line's quantity; 0 removes the line (returns None then).

        Raises:
            CartNotActiveError, NotFoundError, InvalidQuantityError, QuantityRuleError,
            CartLimitError, StockUnavailableError: as for :meth:`add`.
        """
        self._ensure_active()
        line = self.line(line_id)
        if quantity == 0 and not isinstance(quantity, bool):
            self.remove(line_id, now=now)
            return None
        self._check_line_quantity(line.sku, line.quantity_rule, quantity)
        self._check_stock(stock, line.sku, quantity)
        updated = attrs.evolve(line, quantity=quantity)
        self._lines[self._lines.index(line)] = updated
        self._touch(now)
        self._record(
            CartLineQuantityChanged(
                occurred_at=now,
                cart_id=self.id,
                line_id=line_id,
                old_quantity=line.quantity,
                new_quantity=quantity,
            )
        )
        return updated

    def remove(self, line_id: str, *, now: datetime) -> None:
        """Remove a line.

        Raises:
            CartNotActiveError: the cart is not active.
            NotFoundError: no such line.
        """
        self._ensure_active()
        line = self.line(line_id)
        self._lines.remove(line)
        self._touch(now)
        self._record(
            CartLineRemoved(occurred_at=now, cart_id=self.id, line_id=line_id, sku=line.sku)
        )

    def clear(self, *, now: datetime) -> None:
        """Remove every line.

        Raises:
            CartNotActiveError: the cart is not active.
        """
        self._ensure_active()
        self._lines.clear()
        self._touch(now)
        self._record(CartCleared(occurred_at=now, cart_id=self.id))

    def reprice(
        self, items: Mapping[str, CatalogItem], *, now: datetime
    ) -> tuple[PriceChange, ...]:
        """Refresh every line's snapshot from ``items`` (by SKU); return the price changes.

        Quantities and metadata stay; name, price, tax class, weight... are refreshed.

        Raises:
            CartNotActiveError: the cart is not active.
            UnknownSkuError: a line's SKU is missing from ``items`` (delisted).
            PriceNotFoundError: an item lost its price in the cart's currency.
        """
        self._ensure_active()
        refreshed: list[CartLine] = []
        changes: list[PriceChange] = []
        currency, price_list = self.currency, self.price_list
        for line in self._lines:
            item = items.get(line.sku)
            if item is None:
                raise UnknownSkuError(line.sku)
            price = item.price_for(currency, price_list)
            if _snapshot_unchanged(line, item, price):
                refreshed.append(line)  # what a fresh snapshot would hold, to the last digit
                continue
            fresh = self._snapshot_line(line.line_id, item, line.quantity, line.metadata, price)
            if fresh.unit_price != line.unit_price:
                changes.append(
                    PriceChange(line.line_id, line.sku, line.unit_price, fresh.unit_price)
                )
            refreshed.append(fresh)
        self._lines = refreshed
        self._touch(now)
        self._record(CartRepriced(occurred_at=now, cart_id=self.id, changes=len(changes)))
        return tuple(changes)

    def _check_mergeable(self, guest: Cart) -> None:
        self._ensure_active()
        if guest is self or guest.id == self.id:
            raise CartMergeError(guest.id, self.id, "a cart cannot be merged into itself")
        if guest.owner.kind is not OwnerKind.GUEST:
            raise CartMergeError(
                guest.id, self.id, f"only a guest cart can be merged; it belongs to {guest.owner}"
            )
        if guest.status not in (CartStatus.ACTIVE, CartStatus.ABANDONED):
            raise CartNotActiveError(guest.id, guest.status.value)
        if guest.currency != self.currency:
            raise CurrencyMismatchError(self.currency, guest.currency, context="cart merge")

    def merge_from(self, guest: Cart, strategy: MergeStrategy, *, now: datetime) -> MergeResult:
        """Take a guest cart's lines per ``strategy``; the guest cart becomes ``merged``.

        This cart remembers the guest cart's id (:meth:`has_absorbed`), so a service can save
        this cart first and close the guest cart afterwards, and a re-run never merges twice.

        Quantities summed by :attr:`MergeStrategy.MERGE` are clamped to the item's rule and the
        cart's limits (reported in the result); stock is not checked here (checkout reserves).

        Only a guest's cart can be merged: a customer's cart is never taken over by another
        customer (nor by the same one) at sign-in.

        Raises:
            CartNotActiveError: either cart is not active/abandoned as required.
            CartMergeError: ``guest`` is not a guest's cart, or it is this cart.
            CurrencyMismatchError: the carts have different currencies.
            InvalidCartSettingError: ``strategy`` is not a merge strategy.
        """
        strategy = MergeStrategy.parse(strategy)
        self._check_mergeable(guest)
        take_guest = strategy is MergeStrategy.KEEP_GUEST or (
            strategy is MergeStrategy.GUEST_IF_CUSTOMER_EMPTY and self.is_empty
        )
        lines = list(self._lines)
        seq = self._line_seq
        taken: list[str] = []
        clamped: list[tuple[str, int, int]] = []
        dropped: list[str] = []
        if take_guest:
            lines = []
        if take_guest or strategy is MergeStrategy.MERGE:
            for incoming in guest.lines:
                cap = min(
                    incoming.quantity_rule.maximum or self.limits.max_quantity_per_line,
                    self.limits.max_quantity_per_line,
                )
                rule = attrs.evolve(incoming.quantity_rule, maximum=cap)
                match = next(
                    (
                        i
                        for i, ln in enumerate(lines)
                        if ln.same_item(incoming.sku, incoming.metadata)
                    ),
                    None,
                )
                if match is not None:
                    wanted = lines[match].quantity + incoming.quantity
                    kept = rule.clamp(wanted)
                    if kept < wanted:
                        clamped.append((incoming.sku, wanted, kept))
                    if kept > lines[match].quantity:
                        lines[match] = attrs.evolve(lines[match], quantity=kept)
                        taken.append(lines[match].line_id)
                    continue
                if len(lines) >= self.limits.max_lines:
                    dropped.append(incoming.sku)
                    continue
                kept = rule.clamp(incoming.quantity)
                if kept == 0:
                    dropped.append(incoming.sku)
                    continue
                if kept < incoming.quantity:
                    clamped.append((incoming.sku, incoming.quantity, kept))
                seq += 1
                new_line = attrs.evolve(incoming, line_id=f"{self.id}-l{seq}", quantity=kept)
                lines.append(new_line)
                taken.append(new_line.line_id)
        guest._transition(CartStatus.MERGED, now)
        self._lines = lines
        self._line_seq = seq
        self._absorbed.append(guest.id)
        self._touch(now)
        self._record(
            CartsMerged(
                occurred_at=now, cart_id=self.id, source_cart_id=guest.id, strategy=strategy.value
            )
        )
        return MergeResult(strategy, tuple(taken), tuple(clamped), tuple(dropped))

    # --- lifecycle ------------------------------------------------------------------------------

    def _transition(self, target: CartStatus, now: datetime) -> None:
        CART_LIFECYCLE.check(self._status, target)
        self._status = target
        self._touch(now)
        event: DomainEvent
        if target is CartStatus.MERGED:
            return
        if target is CartStatus.ABANDONED:
            event = CartAbandoned(occurred_at=now, cart_id=self.id)
        elif target is CartStatus.EXPIRED:
            event = CartExpired(occurred_at=now, cart_id=self.id)
        elif target is CartStatus.CHECKED_OUT:
            event = CartCheckedOut(occurred_at=now, cart_id=self.id)
        else:
            event = CartRecovered(occurred_at=now, cart_id=self.id)
        self._record(event)

    def mark_merged(self, *, now: datetime) -> None:
        """Close this guest cart as merged (its lines were taken by another cart).

        Raises:
            InvalidTransitionError: the cart is not active or abandoned.
        """
        self._transition(CartStatus.MERGED, now)

    def mark_abandoned(self, *, secret: str, expires_at: datetime, now: datetime) -> str:
        """Mark the cart abandoned and arm a recovery token; return the token.

        The token is ``"<cart id>.<secret>"``; only a SHA-256 digest of ``secret`` is kept, so
        a leaked snapshot cannot be turned into a token. ``secret`` must be unguessable (the
        service draws it from the ``RandomSource`` port).

        Raises:
            InvalidTransitionError: the cart is not active.
        """
        self._transition(CartStatus.ABANDONED, now)
        self._recovery_digest = _digest(secret)
        self._recovery_expires_at = expires_at
        return f"{self.id}.{secret}"

    def recover(self, token: str, *, now: datetime) -> None:
        """Restore an abandoned cart with its recovery token (single use).

        Raises:
            RecoveryTokenError: wrong, used or expired token.
            InvalidTransitionError: the cart is not abandoned.
        """
        prefix = f"{self.id}."
        if not token.startswith(prefix) or self._recovery_digest is None:
            raise RecoveryTokenError("unknown token")
        if not hmac.compare_digest(_digest(token[len(prefix) :]), self._recovery_digest):
            raise RecoveryTokenError("unknown token")
        if self._recovery_expires_at is not None and now >= self._recovery_expires_at:
            raise RecoveryTokenError("token expired")
        self._transition(CartStatus.ACTIVE, now)
        self._recovery_digest = None
        self._recovery_expires_at = None

    def expire(self, *, now: datetime) -> None:
        """Close the cart for good (the expiry policy decided).

        Raises:
            InvalidTransitionError: the cart is already closed.
        """
        self._transition(CartStatus.EXPIRED, now)

    def check_out(self, *, now: datetime) -> None:
        """Mark the cart as turned into an order.

        Raises:
            InvalidTransitionError: the cart is not active.
            CartNotActiveError: (never; kept for symmetry with other commands).
        """
        self._transition(CartStatus.CHECKED_OUT, now)

    # --- snapshots ------------------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        """The cart as JSON primitives (ISO strings, money as ``{"amount", "currency"}``)."""
        created = self._created_text = iso_memo(self._created_text, self.created_at)
        updated = self._updated_text = iso_memo(self._updated_text, self.updated_at)
        return {
            "id": self.id,
            "owner": {"kind": _OWNER_KIND_TEXT[self.owner.kind], "id": self.owner.id},
            "currency": self.currency,
            "channel": self.channel,
            "price_list": self.price_list,
            "created_at": created[1],
            "updated_at": updated[1],
            "limits": [self.limits.max_lines, self.limits.max_quantity_per_line],
            "status": _STATUS_TEXT[self._status],
            "lines": [line.to_data() for line in self._lines],
            "line_seq": self._line_seq,
            "recovery_digest": self._recovery_digest,
            "recovery_expires_at": (
                self._recovery_expires_at.isoformat() if self._recovery_expires_at else None
            ),
            "absorbed": list(self._absorbed),
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], version: int) -> Cart:
        """Rebuild a cart from :meth:`to_snapshot` output and its stored version."""
        expires = data["recovery_expires_at"]
        max_lines, max_quantity = data["limits"]
        created_text, updated_text = data["created_at"], data["updated_at"]
        created = datetime.fromisoformat(created_text)
        updated = datetime.fromisoformat(updated_text)
        owner = data["owner"]
        cart = cls(
            id=data["id"],
            owner=_stored_owner(owner["kind"], owner["id"]),
            currency=data["currency"],
            channel=data["channel"],
            price_list=data["price_list"],
            created_at=created,
            updated_at=updated,
            limits=_stored_limits(max_lines, max_quantity),
            version=version,
            status=_stored_status(data["status"]),
            lines=[CartLine.from_data(line) for line in data["lines"]],
            line_seq=int(data["line_seq"]),
            recovery_digest=data["recovery_digest"],
            recovery_expires_at=datetime.fromisoformat(expires) if expires else None,
            absorbed=list(data.get("absorbed", ())),
        )
        # the stored texts are what to_snapshot writes of these instants when in its own form
        if _is_utc_iso_text(created_text):
            cart._created_text = (created, created_text)
        if _is_utc_iso_text(updated_text):
            cart._updated_text = (updated, updated_text)
        return cart
