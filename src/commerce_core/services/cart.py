"""Cart use cases: autosaved mutations, sign-in merge, abandonment, recovery, expiry, pricing.

Every mutation loads the cart, changes it and saves it (autosave) inside
:func:`~commerce_core.services.retry.retry_on_conflict`; when a rule refuses the change, nothing
is saved. Stock is checked through the inventory :class:`AvailabilityQuery` (no reservation).

Abandonment: :meth:`CartService.mark_abandoned` marks carts idle longer than
``policy.abandon_after`` as abandoned, arms a single-use recovery token per cart (a 128-bit
secret drawn from the :class:`RandomSource` port: ``secrets.SystemRandom()`` in production,
``random.Random(seed)`` in tests) and sends a ``cart.recovery`` notification.
:meth:`CartService.recover` restores the cart from the token until it expires.
:meth:`CartService.expire_carts` closes guest carts idle for ``policy.guest_expiry`` and
customer carts idle for ``policy.customer_expiry``.

Analytics: with an ``analytics`` sink, the line mutations (:meth:`CartService.add_item`,
:meth:`~CartService.change_quantity`, :meth:`~CartService.remove_line`, :meth:`~CartService.clear`)
record ``ProductAddedToCart`` / ``ProductRemovedFromCart`` for the change in units per SKU, after
the save succeeded (a refused mutation records nothing). The event's channel is the cart's
channel, its customer the cart's customer owner, its session the ``session_id`` argument (default
``"cart:<cart id>"``). A sink that raises is counted in :attr:`CartService.analytics_failures`
and never fails the mutation.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from commerce_core.domain.analytics.events import (
    JourneyEvent,
    ProductAddedToCart,
    ProductRemovedFromCart,
)
from commerce_core.domain.cart import (
    Cart,
    CartLimits,
    CartOwner,
    CartStatus,
    MergeResult,
    MergeStrategy,
    PriceChange,
)
from commerce_core.domain.events import DomainEvent
from commerce_core.domain.notifications import Notification
from commerce_core.domain.pricing import (
    AdjustmentStage,
    PriceBreakdown,
    PricingContext,
    price_cart,
)
from commerce_core.domain.shipping import ShippingCalculator
from commerce_core.domain.shoppers import OwnerKind
from commerce_core.domain.tax import TaxCalculator
from commerce_core.errors import (
    ActiveCartConflictError,
    ConcurrencyConflictError,
    InvalidTransitionError,
    NotFoundError,
    RecoveryTokenError,
)
from commerce_core.money import currency_of, zero
from commerce_core.ports.analytics import AnalyticsSink
from commerce_core.ports.cart import CartRepository
from commerce_core.ports.catalog import Catalog
from commerce_core.ports.clock import Clock
from commerce_core.ports.ids import IdFactory
from commerce_core.ports.inventory import AvailabilityQuery
from commerce_core.ports.notifier import Notifier
from commerce_core.ports.random import RandomSource
from commerce_core.services.journey import AnalyticsEmitter
from commerce_core.services.retry import retry_on_conflict

__all__ = ["CartPolicy", "RecoveryNotice", "CartService"]

_SECRET_SPACE = 2**128
"""Recovery secrets are 128-bit numbers (32 hex digits)."""


@attrs.frozen
class CartPolicy:
    """Timings and limits of the cart service.

    Attributes:
        abandon_after: idle time after which an active cart counts as abandoned.
        recovery_ttl: how long a recovery token stays valid.
        guest_expiry: idle time after which a guest cart expires.
        customer_expiry: idle time after which a customer cart expires.
        limits: per-cart limits for new carts.
    """

    abandon_after: timedelta = timedelta(hours=1)
    recovery_ttl: timedelta = timedelta(days=7)
    guest_expiry: timedelta = timedelta(days=7)
    customer_expiry: timedelta = timedelta(days=30)
    limits: CartLimits = attrs.field(factory=CartLimits)


@attrs.frozen
class RecoveryNotice:
    """An abandoned cart and its recovery token, and whether the notification went out."""

    cart_id: str
    owner: CartOwner
    token: str
    delivered: bool


class CartService:
    """The cart use cases, wired to their ports.

    Args:
        carts: where carts are stored.
        catalog: the host's catalog.
        stock: the inventory availability query (stock checks on add and change).
        clock: the time.
        ids: ids for carts.
        random: draws recovery-token secrets; cryptographic by default
            (``secrets.SystemRandom()``); tests may pass a seeded ``random.Random(seed)``.
        notifier: delivers recovery messages.
        policy: timings and limits.
        on_events: receives the domain events of every saved change (optional).
        analytics: receives add-to-cart / remove-from-cart journey events after each saved
            line change (optional; failures are counted, never raised).
    """

    def __init__(
        self,
        *,
        carts: CartRepository,
        catalog: Catalog,
        stock: AvailabilityQuery,
        clock: Clock,
        ids: IdFactory,
        random: RandomSource | None = None,
        notifier: Notifier,
        policy: CartPolicy | None = None,
        on_events: Callable[[tuple[DomainEvent, ...]], None] | None = None,
        analytics: AnalyticsSink | None = None,
    ) -> None:
        self.carts = carts
        self.catalog = catalog
        self.stock = stock
        self.clock = clock
        self.ids = ids
        self.random: RandomSource = random if random is not None else secrets.SystemRandom()
        self.notifier = notifier
        self.policy = policy or CartPolicy()
        self._on_events = on_events
        self._analytics = AnalyticsEmitter(analytics)

    @property
    def analytics_failures(self) -> int:
        """How many journey events the analytics sink refused (dropped, never raised)."""
        return self._analytics.failures

    def _save(self, cart: Cart) -> Cart:
        self.carts.save(cart)
        events = cart.collect_events()
        if self._on_events is not None and events:
            self._on_events(events)
        return cart

    def _mutate(
        self,
        cart_id: str,
        change: Callable[[Cart], object],
        *,
        session_id: str | None = None,
        track: bool = False,
        current: Cart | None = None,
    ) -> Cart:
        before: dict[str, int] = {}
        # the units before the change feed the analytics events only: not counted without them
        tracked = track and self._analytics.enabled
        # the caller's copy as this service returned it saves the first read; a stale copy loses
        # the version race and the retry reads the stored cart
        known = [current] if current is not None and current.id == cart_id else []

        def use_case() -> Cart:
            cart = known.pop() if known else self.carts.get(cart_id)
            if tracked:
                before.clear()
                before.update(_units(cart))
            change(cart)
            return self._save(cart)

        saved = retry_on_conflict(use_case)
        if tracked:
            self._emit_line_changes(saved, before, session_id)
        return saved

    def _emit_line_changes(
        self, cart: Cart, before: Mapping[str, int], session_id: str | None
    ) -> None:
        after = _units(cart)
        session = session_id or f"cart:{cart.id}"
        customer = cart.owner.id if cart.owner.kind is OwnerKind.CUSTOMER else None
        now = self.clock.now()
        for sku in [*before, *(s for s in after if s not in before)]:
            delta = after.get(sku, 0) - before.get(sku, 0)
            if delta == 0:
                continue
            self._analytics.emit(
                functools.partial(
                    _line_event, cart, sku, delta, session_id=session, customer_id=customer, now=now
                )
            )

    # --- opening and reading --------------------------------------------------------------------

    def open_cart(
        self,
        owner: CartOwner,
        currency: str,
        *,
        channel: str = "default",
        price_list: str = "default",
        replace: bool = False,
    ) -> Cart:
        """The owner's active cart, or a new one (saved).

        An owner has one active cart. Asking for another currency or channel than the active
        cart's is refused, unless ``replace`` is true: the active cart is then closed as
        ``expired`` (its lines are not carried over: prices differ per currency) and a new,
        empty cart is opened.

        Raises:
            UnknownCurrencyError: ``currency`` is not a currency.
            ActiveCartConflictError: the owner's active cart has another currency or channel
                (and ``replace`` is false); nothing is saved.
        """
        code = currency_of(zero(currency))
        existing = self.carts.find_by_owner(owner)
        if existing is not None:
            if existing.currency == code and existing.channel == channel:
                return existing
            if not replace:
                raise ActiveCartConflictError(
                    existing.id,
                    str(owner),
                    currency=existing.currency,
                    channel=existing.channel,
                    requested_currency=code,
                    requested_channel=channel,
                )

            def close_existing() -> None:
                current = self.carts.get(existing.id)
                if current.status in (CartStatus.ACTIVE, CartStatus.ABANDONED):
                    current.expire(now=self.clock.now())
                    self._save(current)

            retry_on_conflict(close_existing)
        cart = Cart.create(
            self.ids.new_id("cart"),
            owner,
            code,
            now=self.clock.now(),
            channel=channel,
            price_list=price_list,
            limits=self.policy.limits,
        )
        return self._save(cart)

    def get(self, cart_id: str) -> Cart:
        """The cart ``cart_id``.

        Raises:
            NotFoundError: no such cart.
        """
        return self.carts.get(cart_id)

    # --- mutations (autosaved) ------------------------------------------------------------------

    def add_item(
        self,
        cart_id: str,
        sku: str,
        quantity: int,
        *,
        metadata: Mapping[str, str] | None = None,
        session_id: str | None = None,
    ) -> Cart:
        """Add units of ``sku`` (stock-checked) and save.

        ``session_id`` is the visit reported with the analytics event (see the module docs).

        Raises:
            UnknownSkuError, InvalidQuantityError, QuantityRuleError, CartLimitError,
            PriceNotFoundError, StockUnavailableError, CartNotActiveError: nothing saved.
        """
        item = self.catalog.get(sku)
        return self._mutate(
            cart_id,
            lambda cart: cart.add(
                item,
                quantity,
                now=self.clock.now(),
                metadata=metadata,
                stock=self.stock.availability,
            ),
            session_id=session_id,
            track=True,
        )

    def change_quantity(
        self, cart_id: str, line_id: str, quantity: int, *, session_id: str | None = None
    ) -> Cart:
        """Set a line's quantity (0 removes it; stock-checked) and save."""
        return self._mutate(
            cart_id,
            lambda cart: cart.change_quantity(
                line_id, quantity, now=self.clock.now(), stock=self.stock.availability
            ),
            session_id=session_id,
            track=True,
        )

    def remove_line(self, cart_id: str, line_id: str, *, session_id: str | None = None) -> Cart:
        """Remove a line and save."""
        return self._mutate(
            cart_id,
            lambda cart: cart.remove(line_id, now=self.clock.now()),
            session_id=session_id,
            track=True,
        )

    def clear(self, cart_id: str, *, session_id: str | None = None) -> Cart:
        """Remove every line and save."""
        return self._mutate(
            cart_id,
            lambda cart: cart.clear(now=self.clock.now()),
            session_id=session_id,
            track=True,
        )

    def reprice(self, cart_id: str) -> tuple[PriceChange, ...]:
        """Refresh the cart's snapshots from the catalog, save, and return the price changes."""
        return self.refresh(cart_id)[1]

    def refresh(
        self, cart_id: str, *, current: Cart | None = None
    ) -> tuple[Cart, tuple[PriceChange, ...]]:
        """:meth:`reprice`, also returning the saved cart.

        ``current``: the cart as this service last returned it (:meth:`get`), used instead of
        reading it again and changed in place; the caller uses the returned cart afterwards.
        A stale copy loses the version race and the stored cart is read and repriced instead.
        """
        changes: list[tuple[PriceChange, ...]] = []

        def change(cart: Cart) -> None:
            items = self.catalog.get_many({line.sku for line in cart.lines})
            changes.append(cart.reprice(items, now=self.clock.now()))

        saved = self._mutate(cart_id, change, current=current)
        return saved, changes[-1]

    def check_out(self, cart_id: str, *, current: Cart | None = None) -> Cart:
        """Mark the cart checked out (the Orders capability calls this once the order exists).

        ``current``: as for :meth:`refresh` (saves a read; changed in place).
        """
        return self._mutate(
            cart_id, lambda cart: cart.check_out(now=self.clock.now()), current=current
        )

    # --- sign-in merge --------------------------------------------------------------------------

    def sign_in(
        self,
        guest_cart_id: str,
        customer_id: str,
        strategy: MergeStrategy | str = MergeStrategy.MERGE,
    ) -> tuple[Cart, MergeResult]:
        """Merge the guest cart into the customer's active cart (created when missing).

        Two saves, ordered so that no failure loses the guest's lines: the customer's cart is
        saved first with the merged lines (it remembers the guest cart's id), then the guest
        cart is closed as ``merged``. If the second save fails, the guest cart is still active
        with its lines and the customer's cart already holds them; running ``sign_in`` again
        just closes the guest cart (the result is ``replayed``), never merging twice. Each save
        retries on optimistic-concurrency conflicts, re-applying the merge to fresh copies.

        Known limit: two *different* customers signing in with the same guest cart at the same
        moment can both receive its lines (a guest cart belongs to one browser session).

        Raises:
            NotFoundError: no such guest cart.
            CartMergeError: the cart is not a guest's cart (or is the customer's own).
            CartNotActiveError: the guest cart was checked out, expired, or merged elsewhere.
            CurrencyMismatchError: the carts have different currencies.
            InvalidCartSettingError: ``strategy`` is neither a ``MergeStrategy`` nor one of
                its values (``"merge"``, ``"keep_customer"``...).
        """
        strategy = MergeStrategy.parse(strategy)
        owner = CartOwner.customer(customer_id)

        def absorb() -> tuple[Cart, MergeResult]:
            guest = self.carts.get(guest_cart_id)
            target = self._customer_cart(owner, guest)
            if target.has_absorbed(guest.id):
                return target, MergeResult(strategy, replayed=True)
            # merge_from also closes this in-memory guest copy; it is not saved here
            merged = target.merge_from(guest, strategy, now=self.clock.now())
            return self._save(target), merged

        target, result = retry_on_conflict(absorb)

        def close_guest() -> None:
            guest = self.carts.get(guest_cart_id)
            if guest.status in (CartStatus.ACTIVE, CartStatus.ABANDONED):
                guest.mark_merged(now=self.clock.now())
                self._save(guest)

        retry_on_conflict(close_guest)
        return target, result

    def _customer_cart(self, owner: CartOwner, guest: Cart) -> Cart:
        found = self.carts.find_by_owner(owner)
        if found is not None:
            return found
        return Cart.create(
            self.ids.new_id("cart"),
            owner,
            guest.currency,
            now=self.clock.now(),
            channel=guest.channel,
            price_list=guest.price_list,
            limits=self.policy.limits,
        )

    # --- abandonment, recovery, expiry ----------------------------------------------------------

    def mark_abandoned(self) -> tuple[RecoveryNotice, ...]:
        """Mark carts idle longer than ``policy.abandon_after`` abandoned and notify.

        Empty carts are skipped (nothing to recover). A cart changed concurrently is skipped (it
        is not idle after all). A notification that fails is reported with ``delivered=False``;
        the cart stays abandoned and its token valid.
        """
        now = self.clock.now()
        notices: list[RecoveryNotice] = []
        for cart in self.carts.find_idle_since(now - self.policy.abandon_after):
            if cart.is_empty:
                continue
            expires = now + self.policy.recovery_ttl
            token = cart.mark_abandoned(
                secret=f"{self.random.randrange(_SECRET_SPACE):032x}", expires_at=expires, now=now
            )
            try:
                self._save(cart)
            except ConcurrencyConflictError:
                continue
            notification = Notification(
                event_type="CartAbandoned",
                template_key="cart.recovery",
                data={
                    "cart_id": cart.id,
                    "owner_kind": cart.owner.kind.value,
                    "owner_id": cart.owner.id,
                    "token": token,
                    "expires_at": expires.isoformat(),
                    "items": cart.item_count,
                },
                key=f"cart-abandoned:{cart.id}:{cart.version}",
            )
            try:
                self.notifier.send(notification)
                delivered = True
            except Exception:  # noqa: BLE001 - any delivery failure is reported, never fatal
                delivered = False
            notices.append(RecoveryNotice(cart.id, cart.owner, token, delivered))
        return tuple(notices)

    def recover(self, token: str) -> Cart:
        """Restore the abandoned cart a recovery token points to (single use).

        Raises:
            RecoveryTokenError: malformed, unknown, used or expired token.
        """
        cart_id, dot, _secret = token.rpartition(".")
        if not dot or not cart_id:
            raise RecoveryTokenError("malformed token")

        def change(cart: Cart) -> None:
            if cart.status is not CartStatus.ABANDONED:
                raise RecoveryTokenError("token already used or cart closed")
            cart.recover(token, now=self.clock.now())

        try:
            return self._mutate(cart_id, change)
        except NotFoundError:
            raise RecoveryTokenError("unknown token") from None

    def expire_carts(self) -> tuple[str, ...]:
        """Expire guest and customer carts idle beyond their policy; return their ids."""
        now = self.clock.now()
        statuses = (CartStatus.ACTIVE, CartStatus.ABANDONED)
        expired: list[str] = []
        shortest = min(self.policy.guest_expiry, self.policy.customer_expiry)
        for cart in self.carts.find_idle_since(now - shortest, statuses):
            limit = (
                self.policy.guest_expiry
                if cart.owner.kind is OwnerKind.GUEST
                else self.policy.customer_expiry
            )
            if cart.updated_at >= now - limit:
                continue
            try:
                cart.expire(now=now)
                self._save(cart)
            except (ConcurrencyConflictError, InvalidTransitionError):
                continue
            expired.append(cart.id)
        return tuple(expired)

    # --- pricing --------------------------------------------------------------------------------

    def price(
        self,
        cart_id: str,
        context: PricingContext | None = None,
        *,
        stages: Sequence[AdjustmentStage] = (),
        tax: TaxCalculator | None = None,
        shipping: ShippingCalculator | None = None,
    ) -> PriceBreakdown:
        """Price the cart (read-only): ``context`` defaults to the cart's currency and owner."""
        cart = self.carts.get(cart_id)
        if context is None:
            context = PricingContext(
                currency=cart.currency,
                now=self.clock.now(),
                channel=cart.channel,
                price_list=cart.price_list,
                customer_id=cart.owner.id if cart.owner.kind is OwnerKind.CUSTOMER else None,
            )
        return price_cart(cart, context, stages=stages, tax=tax, shipping=shipping)


def _units(cart: Cart) -> dict[str, int]:
    """Units per SKU in ``cart`` (lines with different metadata summed)."""
    units: dict[str, int] = {}
    for line in cart.lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


def _line_event(
    cart: Cart, sku: str, delta: int, *, session_id: str, customer_id: str | None, now: datetime
) -> JourneyEvent:
    """The add-to-cart (``delta > 0``) or remove-from-cart event of a change in units."""
    event = ProductAddedToCart if delta > 0 else ProductRemovedFromCart
    return event(
        occurred_at=now,
        session_id=session_id,
        channel=cart.channel,
        customer_id=customer_id,
        cart_id=cart.id,
        sku=sku,
        quantity=abs(delta),
    )
