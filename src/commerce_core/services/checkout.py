"""Checkout: turn a cart into a paid order, undo everything on failure, recover after a crash.

:meth:`CheckoutService.checkout` runs seven steps, recording each on the attempt once its effect
is done (the attempt is saved to the ``CheckoutLog`` at the save points below):

1. **validate** - the cart is active and not empty; reprice it (price changes stop the checkout
   unless accepted); check stock; price it (promotions, shipping, tax); every entered coupon
   code must apply; the priced order draft is recorded, and the order is later created from
   it (never from a second pricing, which could disagree with the authorized amount);
2. **reserve** stock under the checkout's reservation id, with an expiry;
3. **redeem** the accepted coupon codes (all or nothing) for the checkout's order id;
4. **authorize** the grand total (the payment service retries transient gateway failures);
5. **create the order** under the checkout's order id, recording the authorization on it;
6. **capture** (or not, in authorize-only mode), recording the capture on the order;
7. **complete**: commit the reservation, mark the cart checked out, dispatch the order outbox.

Every id derives from the idempotency key (:func:`~commerce_core.domain.checkout.checkout_id_for`),
so a replay, a resumed checkout and the undo find what an earlier run did, and every
compensation is idempotent.

**Save points.** Because the reservation, the payment and the order are found by their derived
ids, the attempt is saved only where a fact or a decision must survive a crash: when it begins;
before the first coupon use is taken (the undo finds coupon uses only through the recorded
codes); before the authorization (a recoverer that took the attempt over is noticed before the
money is touched); once the order exists (recovery resumes forward from there); at the end of
step 7; and whenever the attempt waits for a customer action, decides a failure or fails. A
crash between save points leaves the log a few steps behind: recovery rolls back (nothing
before the order needs the log) or, from ``order_created``, redoes the unsaved steps, each
idempotent (a capture is replayed under its idempotency key). A replay of a running attempt
whose payment is already captured takes it over at once, as past the point of no return.

**Failure.** A failure is a :class:`CheckoutFailure` value. It is saved first (``rolling_back``),
then everything is undone in reverse, by the derived ids and whatever the steps recorded: the
payment is voided (or refunded when a capture went through), an order is cancelled, coupon uses
are given back, the reservation is released. Then the attempt is saved ``failed``.

**Point of no return.** Once the money is captured (or, in authorize-only mode, once the order
exists) the sale stands: a later failure (committing stock, closing the cart, notifying) is
logged and left to :meth:`CheckoutService.recover`, and the caller gets a
:class:`CheckoutSuccess` with ``completed=False``.

**3-D Secure.** When the gateway asks for a customer action the attempt waits
(``awaiting_action``) *keeping* its reservation and coupon uses, so the customer who completes
the challenge gets what they saw; the hold is bounded by the reservation's expiry. Replaying the
same request (or :meth:`CheckoutService.resume`) continues once the payment is authorized, rolls
back when it failed, and :meth:`CheckoutService.recover` rolls back attempts whose customer never
came back within ``policy.reservation_ttl``.

**Recovery** (:meth:`CheckoutService.recover`) finds attempts idle longer than
``policy.stale_after`` (a crashed process) and:

- rolls back those interrupted *before* the order was created: the customer got no answer, and
  the holds (stock, coupons, authorization) are cheap to give back;
- resumes forward those interrupted *after* the order was created: the order exists and its
  confirmation may be out, the money is authorized; finishing only captures, commits and closes
  (a capture decline then rolls back and cancels the order);
- finishes the undo of those interrupted while rolling back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import attrs

from commerce_core.domain.analytics.events import (
    ItemParts,
    JourneyEvent,
    PaymentFailed,
    build_checkout_started,
    build_order_placed,
)
from commerce_core.domain.cart import Cart, CartStatus
from commerce_core.domain.checkout import (
    CaptureMode,
    CheckoutAttempt,
    CheckoutCapture,
    CheckoutFailure,
    CheckoutRequest,
    CheckoutResult,
    CheckoutStatus,
    CheckoutStep,
    CheckoutSuccess,
    FailureReason,
    breakdown_from_draft,
    checkout_id_for,
)
from commerce_core.domain.inventory import ReservationState, Shortage
from commerce_core.domain.orders import (
    Address,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentTerms,
)
from commerce_core.domain.payment import PaymentStatus
from commerce_core.domain.payment_gateway import PaymentMethod
from commerce_core.domain.pricing import (
    AdjustmentStage,
    PriceBreakdown,
    PricingContext,
    price_cart,
)
from commerce_core.domain.shipping import ShippingCalculator
from commerce_core.domain.tax import Destination, TaxCalculator
from commerce_core.errors import (
    CheckoutInProgressError,
    ConcurrencyConflictError,
    IdempotencyKeyReuseError,
    InvalidCheckoutError,
    InvalidTransitionError,
    NotFoundError,
)
from commerce_core.money import (
    Money,
    Weight,
    allocate,
    allocate_evenly,
    money_from_data,
    money_to_data,
    zero,
)
from commerce_core.ports.analytics import AnalyticsSink
from commerce_core.ports.checkout import CheckoutLog, CouponRedeemer
from commerce_core.ports.clock import Clock
from commerce_core.services.cart import CartService
from commerce_core.services.inventory import InventoryService
from commerce_core.services.journey import AnalyticsEmitter
from commerce_core.services.orders import OrderService, OutboxDispatcher
from commerce_core.services.payments import PaymentService

__all__ = ["CheckoutPolicy", "CheckoutService", "RecoveryReport", "StepHook"]

_LOG: Final = logging.getLogger("commerce_core.checkout")

StepHook = Callable[[CheckoutAttempt, CheckoutStep], None]
"""Called after each step is recorded on the attempt, and saved if it is a save point (tests raise
from it to simulate a crash)."""

_INTERNAL_MESSAGE: Final = (
    "the checkout stopped on an internal error and was undone; support can trace it by its id"
)
_SAVE_TRIES: Final = 3
"""How many times one checkout-log save is tried when the log fails (not on a conflict)."""
_HELD: Final = (PaymentStatus.AUTHORIZED, PaymentStatus.REQUIRES_ACTION)
_PAYMENT_REASONS: Final = (FailureReason.PAYMENT_DECLINED, FailureReason.GATEWAY_UNAVAILABLE)


@attrs.frozen
class CheckoutPolicy:
    """How checkouts run.

    Attributes:
        capture_mode: the default capture mode (a request may override it).
        reservation_ttl: how long stock (and, during 3-D Secure, coupon uses) stay held; also
            how long recovery waits for a customer action.
        stale_after: an unfinished attempt idle this long is presumed crashed and recovered.
        payment_terms: the orders' payment terms.
        actor: the actor recorded on order changes.
    """

    capture_mode: CaptureMode = CaptureMode.IMMEDIATE
    reservation_ttl: timedelta = timedelta(minutes=15)
    stale_after: timedelta = timedelta(minutes=2)
    payment_terms: PaymentTerms = attrs.field(factory=PaymentTerms.card)
    actor: str = "checkout"


@attrs.frozen
class RecoveryReport:
    """What one recovery run did, by checkout id.

    Attributes:
        completed: attempts resumed forward to a placed order with every step done.
        rolled_back: attempts undone (now failed).
        waiting: attempts still awaiting a customer action, or still running elsewhere.
        errors: attempts whose recovery raised, or whose sale stands but whose completion
            (commit stock, close the cart, notify) failed again: tried again by the next run.
        announced: finished attempts whose outcome event (``OrderPlaced`` / ``PaymentFailed``)
            was missing (a crash before the mark, or a failing sink) and was emitted now.
        short: completed sales whose stock hold lapsed before recovery and could not be held
            again (the units were sold meanwhile): the sale stands and is flagged for the
            merchant (:attr:`CheckoutAttempt.shortages`).
    """

    completed: tuple[str, ...] = ()
    rolled_back: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    announced: tuple[str, ...] = ()
    short: tuple[str, ...] = ()


class _ClaimLostError(Exception):
    """Another process saved the attempt since we loaded it: it owns the attempt now."""


@attrs.define
class _Run:
    """One execution's working state (never stored)."""

    attempt: CheckoutAttempt
    recovering: bool = False
    cart: Cart | None = None
    breakdown: PriceBreakdown | None = None
    codes: tuple[str, ...] = ()
    """The coupon codes ``breakdown`` accepted (set with it by a successful validation)."""
    order: Order | None = None
    prepriced: bool = False
    """``cart`` and ``breakdown`` come from the up-front check (reused if nothing changed)."""
    after_action: bool = False
    """Resumed after a customer action: the reservation may have lapsed meanwhile."""
    unsaved: bool = False
    """A step was recorded on ``attempt`` since it was last saved (see ``_checkpoint``)."""
    quantities: dict[str, int] | None = None
    """The units per SKU of ``cart``, as validation counted them (reserved as counted)."""
    fresh: bool = False
    """The attempt was begun by this very call: no earlier run can have placed its order."""


def _ids(checkout_id: str) -> tuple[str, str, str]:
    """The reservation, payment and order ids of a checkout."""
    suffix = checkout_id.removeprefix("chk_")
    return checkout_id, f"pay_{suffix}", f"ord_{suffix}"


def _codes_of(breakdown: PriceBreakdown) -> tuple[str, ...]:
    """The coupon codes the breakdown's promotions accepted (from adjustments and reports)."""
    codes: set[str] = set()
    for line in breakdown.lines:
        for adjustment in line.adjustments:
            if adjustment.code:
                codes.add(adjustment.code)
    if breakdown.shipping is not None:
        for adjustment in breakdown.shipping.adjustments:
            if adjustment.code:
                codes.add(adjustment.code)
    for report in breakdown.extensions.values():
        accepted = getattr(report, "accepted_codes", ())
        if isinstance(accepted, tuple):
            codes.update([str(code) for code in accepted])
    return tuple(sorted(codes)) if codes else ()


def _quantities(cart: Cart) -> dict[str, int]:
    """The units of each SKU in ``cart`` (lines of one SKU added up), in line order."""
    quantities: dict[str, int] = {}
    for line in cart.lines:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    return quantities


def _norm(code: str) -> str:
    return code.strip().upper()


class CheckoutService:
    """The checkout use case over the cart, inventory, payment and order services.

    Args:
        log: the checkout log (idempotency and crash recovery).
        carts: the cart service (reprice, price, check out).
        inventory: the inventory service (reserve, commit, release).
        payments: the payment service (authorize with retries, capture, void, refund).
        orders: the order service; give it no dispatcher and pass ``dispatcher`` here, so
            notifications go out in step 7.
        clock: the time.
        coupons: redeems and releases coupon uses (the promotions engine); None: no coupons.
        stages: pricing stages (the promotions engine).
        tax: the tax calculator.
        shipping: the shipping calculator.
        dispatcher: the order outbox dispatcher, run in step 7.
        analytics: receives ``CheckoutStarted``, ``PaymentFailed`` and ``OrderPlaced`` (never
            fails a sale).
        policy: capture mode, time-to-live, staleness.
        on_step: called after each recorded step.
    """

    def __init__(
        self,
        *,
        log: CheckoutLog,
        carts: CartService,
        inventory: InventoryService,
        payments: PaymentService,
        orders: OrderService,
        clock: Clock,
        coupons: CouponRedeemer | None = None,
        stages: Sequence[AdjustmentStage] = (),
        tax: TaxCalculator | None = None,
        shipping: ShippingCalculator | None = None,
        dispatcher: OutboxDispatcher | None = None,
        analytics: AnalyticsSink | None = None,
        policy: CheckoutPolicy | None = None,
        on_step: StepHook | None = None,
    ) -> None:
        self._log = log
        find = getattr(log, "find", None)
        self._find: Callable[[str], CheckoutAttempt | None] = (
            find if callable(find) else self._get_or_none
        )
        """The attempt under a checkout id or None: the log's optional ``find``, else ``get``."""
        self._carts = carts
        self._inventory = inventory
        self._payments = payments
        self._orders = orders
        self._clock = clock
        self._coupons = coupons
        self._stages = tuple(stages)
        self._tax = tax
        self._shipping = shipping
        self._dispatcher = dispatcher
        self._analytics = AnalyticsEmitter(analytics)
        self.policy = policy if policy is not None else CheckoutPolicy()
        self._on_step = on_step

    # -- public API -------------------------------------------------------------------------------

    def checkout(
        self,
        cart_id: str,
        *,
        customer: Customer,
        billing_address: Address,
        shipping_address: Address,
        shipping_method: str,
        payment_method: PaymentMethod,
        idempotency_key: str,
        accept_price_changes: bool = False,
        coupon_codes: Sequence[str] = (),
        capture_mode: CaptureMode | None = None,
        session_id: str | None = None,
        channel: str = "web",
    ) -> CheckoutResult:
        """Check the cart out: a :class:`CheckoutSuccess` with the order, or a failure value.

        The same ``idempotency_key`` with the same arguments returns the first outcome (the
        same order, or the same failure) without charging again.

        Raises:
            IdempotencyKeyReuseError: the key was used for a different request.
            CheckoutInProgressError: an attempt with this key, or for this cart, is running.
            InvalidCheckoutError: an empty cart id, key or channel.
            NotFoundError: no such cart.
            ShippingUnavailableError: the shipping method cannot ship this cart there.
            UnknownJurisdictionError: no tax rate for the shipping destination.
            CurrencyMismatchError: the cart's currency differs from the shipping rates'.

            Bad input is refused before anything is stored or emitted.
        """
        return self.submit(
            CheckoutRequest(
                cart_id=cart_id,
                customer=customer,
                billing_address=billing_address,
                shipping_address=shipping_address,
                shipping_method=shipping_method,
                payment_method=payment_method,
                idempotency_key=idempotency_key,
                accept_price_changes=accept_price_changes,
                coupon_codes=tuple(coupon_codes),
                capture_mode=capture_mode,
                session_id=session_id,
                channel=channel,
            )
        )

    def submit(self, request: CheckoutRequest) -> CheckoutResult:
        """:meth:`checkout` with a prepared :class:`CheckoutRequest`.

        A new request is checked before anything is stored or emitted: its cart is priced for
        the destination and shipping method, so a method that cannot ship there, a destination
        without a tax rate or a currency mismatch raises its typed error and leaves every store
        unchanged (a replayed key answers from the log without this check).
        """
        checkout_id = request.checkout_id
        stored = self._find(checkout_id)
        if stored is not None:
            return self._replay_request(stored, request)
        cart, breakdown = self._precheck(request)
        now = self._clock.now()
        attempt, created = self._log.begin(
            CheckoutAttempt.start(request, now=now, checkout_id=checkout_id)
        )
        if not created:
            return self._replay_request(attempt, request)
        self._emit(
            lambda: build_checkout_started(
                occurred_at=now,
                session_id=request.session_id or request.cart_id,
                channel=request.channel,
                customer_id=request.customer.customer_id,
                cart_id=request.cart_id,
            )
        )
        return self._advance(
            _Run(attempt, cart=cart, breakdown=breakdown, prepriced=True, fresh=True)
        )

    def _get_or_none(self, checkout_id: str) -> CheckoutAttempt | None:
        """The logged attempt ``checkout_id``, or None (through the port's ``get``)."""
        try:
            return self._log.get(checkout_id)
        except NotFoundError:
            return None

    def _replay_request(self, attempt: CheckoutAttempt, request: CheckoutRequest) -> CheckoutResult:
        fingerprint = request.fingerprint()
        if attempt.fingerprint != fingerprint:
            raise IdempotencyKeyReuseError(
                request.idempotency_key, attempt.fingerprint, fingerprint
            )
        return self._replay(attempt)

    def _precheck(self, request: CheckoutRequest) -> tuple[Cart, PriceBreakdown | None]:
        """Price an active, non-empty cart for the request; raise its typed bad-input errors.

        Raises:
            NotFoundError: no such cart.
            ShippingUnavailableError: the shipping method cannot ship this cart there.
            UnknownJurisdictionError: no tax rate for the destination.
            CurrencyMismatchError: the cart's currency does not match the rates.
        """
        cart = self._carts.get(request.cart_id)
        if cart.status is not CartStatus.ACTIVE or cart.is_empty:
            return cart, None  # answered as a failure value by validation
        return cart, self._price_cart(cart, request)

    def resume(self, idempotency_key: str) -> CheckoutResult:
        """The outcome of the checkout with ``idempotency_key``, continuing it when it can.

        An attempt awaiting a customer action continues when the payment got authorized (a
        webhook), rolls back when it failed, and otherwise returns the same ``REQUIRES_ACTION``
        failure.

        Raises:
            NotFoundError: no checkout with this key.
            CheckoutInProgressError: the attempt is running elsewhere.
        """
        return self._replay(self._log.get(checkout_id_for(idempotency_key)))

    def recover(self, now: datetime | None = None) -> RecoveryReport:
        """Resume or roll back every unfinished attempt idle for ``policy.stale_after``.

        Attempts awaiting a customer action are continued when the payment was authorized, and
        rolled back when it failed or after ``policy.reservation_ttl`` without an answer. Safe to
        run from several processes at once: an attempt is claimed by a versioned save first.
        """
        now = now if now is not None else self._clock.now()
        completed: list[str] = []
        rolled_back: list[str] = []
        waiting: list[str] = []
        errors: list[str] = []
        short: list[str] = []
        for attempt in self._log.unfinished():
            idle = now - attempt.updated_at
            cid = attempt.checkout_id
            if attempt.status is CheckoutStatus.AWAITING_ACTION:
                expired = idle >= self.policy.reservation_ttl
                if not expired and self._payment_status(cid) is PaymentStatus.REQUIRES_ACTION:
                    waiting.append(cid)
                    continue
            elif idle < self.policy.stale_after:
                waiting.append(cid)
                continue
            try:
                result = self._take_over(attempt, recovering=True, expired=True)
            except CheckoutInProgressError:
                waiting.append(cid)
                continue
            except Exception:  # noqa: BLE001 - recovery goes on; the next run retries
                _LOG.exception("recovery of checkout %s failed", cid)
                errors.append(cid)
                continue
            if isinstance(result, CheckoutSuccess):
                # a sale whose bookkeeping could not finish is not completed: the next run retries
                (completed if result.completed else errors).append(cid)
                if result.completed and attempt.shortages:
                    short.append(cid)
            elif result.final:
                rolled_back.append(cid)
            else:
                waiting.append(cid)
        announced = self._announce_missed()
        return RecoveryReport(
            tuple(completed),
            tuple(rolled_back),
            tuple(waiting),
            tuple(errors),
            announced,
            tuple(short),
        )

    def _announce_missed(self) -> tuple[str, ...]:
        """Emit the outcome events that a crash or a failing sink left unsent; mark them."""
        done: list[str] = []
        for attempt in self._log.unannounced():
            self._announce(attempt)
            if not attempt.announced:
                continue  # the sink is still failing: the next run tries again
            try:
                self._save(attempt)
            except _ClaimLostError:
                continue  # another process saved it (and announces it)
            except Exception:  # noqa: BLE001 - emitted again by the next run (at least once)
                _LOG.exception("checkout %s: could not mark the event sent", attempt.checkout_id)
                continue
            done.append(attempt.checkout_id)
        return tuple(done)

    def capture(self, idempotency_key: str) -> CheckoutCapture:
        """Capture the held money of an authorize-only checkout and record it on its order.

        The authorize-only use case's second half, called by the host when it ships (neither
        ``OrderService.ship`` nor ``PaymentService.capture`` alone records the capture on the
        order). It captures the authorized checkout amount through ``PaymentService.capture``
        under the same idempotency key an immediate capture uses, then records it with
        ``OrderService.record_payment`` (idempotent by reference): calling it again, or for a
        checkout already captured, captures nothing more and returns the same order. A refused
        capture is a value (``ok`` False, with the decline code or ``transient``).

        Raises:
            NotFoundError: no checkout with this key.
            InvalidCheckoutError: the checkout placed no order (failed or not that far).
            InvalidTransitionError: the payment can no longer be captured (voided, refunded).
        """
        attempt = self._log.get(checkout_id_for(idempotency_key))
        cid = attempt.checkout_id
        if attempt.status is CheckoutStatus.FAILED or not attempt.done(CheckoutStep.ORDER_CREATED):
            raise InvalidCheckoutError("idempotency_key", f"checkout {cid} placed no order")
        _, payment_id, order_id = _ids(cid)
        payment = self._payments.get(payment_id)
        captured = payment.captured
        if captured.amount == 0:
            result = self._payments.capture(payment_id, self._amount(attempt), scope=cid)
            if result.status is not PaymentStatus.CAPTURED:
                code = result.decline_code
                return CheckoutCapture(
                    checkout_id=cid,
                    order=self._orders.get(order_id),
                    payment_id=payment_id,
                    captured=result.captured,
                    decline_code=None if code is None else str(code),
                    transient=result.is_transient,
                )
            captured = result.captured
        order = self._orders.record_payment(
            order_id,
            PaymentKind.CAPTURED,
            captured,
            reference=f"{payment_id}:capture",
            actor=self.policy.actor,
        )
        return CheckoutCapture(
            checkout_id=cid, order=order, payment_id=payment_id, captured=captured
        )

    def attempt(self, idempotency_key: str) -> CheckoutAttempt:
        """The logged attempt of ``idempotency_key`` (``NotFoundError`` when none)."""
        return self._log.get(checkout_id_for(idempotency_key))

    # -- replay -----------------------------------------------------------------------------------

    def _replay(self, attempt: CheckoutAttempt) -> CheckoutResult:
        if attempt.status is CheckoutStatus.SUCCEEDED:
            return self._success(attempt, replayed=True)
        if attempt.status is CheckoutStatus.FAILED:
            failure = attempt.failure
            assert failure is not None  # noqa: S101 - a failed attempt always has its failure
            return attrs.evolve(failure, replayed=True)
        stale = self._clock.now() - attempt.updated_at >= self.policy.stale_after
        if attempt.status is CheckoutStatus.ROLLING_BACK and stale:
            # The failure is decided: it is the answer, whether or not the undo can finish now
            # (what it cannot do yet is left to recover()).
            failure = attempt.failure
            assert failure is not None  # noqa: S101 - rolling back always has its failure
            try:
                return self._take_over(attempt, recovering=True, expired=False)
            except Exception:  # noqa: BLE001 - the undo continues in recover()
                _LOG.exception("checkout %s: undo incomplete on replay", attempt.checkout_id)
                return attrs.evolve(failure, replayed=True)
        if attempt.status is CheckoutStatus.AWAITING_ACTION:
            return self._take_over(attempt, recovering=False, expired=False)
        if stale or self._past_no_return(attempt) or self._captured_unrecorded(attempt):
            return self._take_over(attempt, recovering=True, expired=False)
        raise CheckoutInProgressError(attempt.cart_id, attempt.checkout_id)

    def _take_over(
        self, attempt: CheckoutAttempt, *, recovering: bool, expired: bool
    ) -> CheckoutResult:
        """Claim an unfinished attempt (a versioned save) and drive it to an outcome."""
        attempt.touch(now=self._clock.now())
        try:
            self._save(attempt)
        except _ClaimLostError:
            return self._lost_claim(attempt)
        if attempt.status is CheckoutStatus.ROLLING_BACK:
            failure = attempt.failure
            assert failure is not None  # noqa: S101 - rolling back always has its failure
            return self._rollback(attempt, failure, decided=True)
        if attempt.status is CheckoutStatus.AWAITING_ACTION:
            return self._after_action(attempt, expired=expired)
        return self._advance(_Run(attempt, recovering=recovering))

    def _after_action(self, attempt: CheckoutAttempt, *, expired: bool) -> CheckoutResult:
        cid = attempt.checkout_id
        status = self._payment_status(cid)
        now = self._clock.now()
        if status is PaymentStatus.AUTHORIZED:
            attempt.resume(now=now)
            try:
                self._save(attempt)
            except _ClaimLostError:
                return self._lost_claim(attempt)
            return self._advance(_Run(attempt, after_action=True))
        if status is PaymentStatus.REQUIRES_ACTION and not expired:
            failure = attempt.failure
            assert failure is not None  # noqa: S101 - awaiting action always has its failure
            return attrs.evolve(failure, replayed=True)
        message = (
            "the customer action was not completed in time"
            if status is PaymentStatus.REQUIRES_ACTION
            else "the payment failed after the customer action"
        )
        failure = CheckoutFailure(
            checkout_id=cid, reason=FailureReason.PAYMENT_DECLINED, message=message
        )
        return self._rollback(attempt, failure, decided=False)

    # -- the forward path -------------------------------------------------------------------------

    def _past_no_return(self, attempt: CheckoutAttempt) -> bool:
        if attempt.done(CheckoutStep.CAPTURED):
            return True
        return attempt.done(CheckoutStep.ORDER_CREATED) and (
            self._mode(attempt) is CaptureMode.AUTHORIZE_ONLY
        )

    def _captured_unrecorded(self, attempt: CheckoutAttempt) -> bool:
        """Past the point of no return although the log does not say so yet.

        The capture is not saved on its own (the next save is the end of step 7): a stored
        attempt with its order created whose payment is captured is past the point of no
        return all the same.
        """
        if not attempt.done(CheckoutStep.ORDER_CREATED) or attempt.done(CheckoutStep.CAPTURED):
            return False
        status = self._payment_status(attempt.checkout_id)
        return status in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_CAPTURED)

    def _mode(self, attempt: CheckoutAttempt) -> CaptureMode:
        mode = attempt.request.capture_mode
        return mode if mode is not None else self.policy.capture_mode

    def _advance(self, run: _Run) -> CheckoutResult:
        attempt = run.attempt
        if run.recovering and not attempt.done(CheckoutStep.ORDER_CREATED):
            interrupted = CheckoutFailure(
                checkout_id=attempt.checkout_id,
                reason=FailureReason.INTERNAL_ERROR,
                message="interrupted before the order was created; rolled back by recovery",
            )
            return self._rollback(attempt, interrupted, decided=False)
        failure: CheckoutFailure | None
        try:
            failure = self._steps(run)
        except _ClaimLostError:
            return self._lost_claim(attempt)
        except Exception as error:  # noqa: BLE001 - any error becomes an internal-error failure
            if self._past_no_return(attempt):
                _LOG.exception(
                    "checkout %s: the sale stands, completion deferred", attempt.checkout_id
                )
                return self._success(attempt, order=run.order, completed=False)
            _LOG.exception("checkout %s failed: %r", attempt.checkout_id, error)
            failure = CheckoutFailure(
                checkout_id=attempt.checkout_id,
                reason=FailureReason.INTERNAL_ERROR,
                message=_INTERNAL_MESSAGE,
            )
        if failure is None:
            return self._success(attempt, order=run.order)
        if failure.reason is FailureReason.REQUIRES_ACTION:
            return failure
        return self._rollback(attempt, failure, decided=False)

    def _record(
        self,
        run: _Run,
        step: CheckoutStep,
        *,
        durable: bool = False,
        codes: tuple[str, ...] | None = None,
        amount: dict[str, str] | None = None,
        order_id: str | None = None,
        priced: PriceBreakdown | None = None,
    ) -> None:
        """Record ``step`` on the attempt; save it now when ``durable``, else at the next save.

        The facts go to :meth:`CheckoutAttempt.complete_step`. The steps between the save points
        are re-found by their derived ids (see :meth:`_checkpoint`), so only the save points pay
        for a log write.
        """
        run.attempt.complete_step(
            step,
            now=self._clock.now(),
            codes=codes,
            amount=amount,
            order_id=order_id,
            priced=priced,
        )
        run.unsaved = True
        if durable:
            self._checkpoint(run)
        if self._on_step is not None:
            self._on_step(run.attempt, step)

    def _checkpoint(self, run: _Run) -> None:
        """Save the attempt if a step was recorded since its last save.

        The forward path saves only where a fact must survive a crash (the protocol in the
        module docstring): before the first coupon use is taken (the undo finds the uses only
        through the recorded codes), before the authorization (a recoverer that took the
        attempt over is noticed before the money is touched), once the order exists (the point
        from which recovery resumes forward) and at the end. Everything else is found by its
        derived id. A lost claim raises ``_ClaimLostError``.
        """
        if run.unsaved:
            self._save(run.attempt)
            run.unsaved = False

    def _save(self, attempt: CheckoutAttempt) -> None:
        """Save the attempt, retrying a failed write a bounded number of times.

        A version conflict means another process claimed the attempt (``_ClaimLostError``),
        unless an earlier try of this very save went through without its answer (the stored
        attempt equals ours: we adopt its version). Other errors are retried up to
        ``_SAVE_TRIES`` times, then raised.
        """
        for tried in range(1, _SAVE_TRIES + 1):
            try:
                self._log.save(attempt)
                break
            except ConcurrencyConflictError:
                if tried > 1 and self._already_saved(attempt):
                    break
                raise _ClaimLostError from None
            except (NotFoundError, _ClaimLostError):
                raise
            except Exception:
                if tried == _SAVE_TRIES:
                    raise
                _LOG.warning("checkout %s: log save failed, retrying", attempt.checkout_id)
        attempt._drop_events()  # nobody reads the attempt's own events here

    def _already_saved(self, attempt: CheckoutAttempt) -> bool:
        stored = self._log.get(attempt.checkout_id)
        if stored.to_snapshot() != attempt.to_snapshot():
            return False
        attempt.version = stored.version
        return True

    def _lost_claim(self, attempt: CheckoutAttempt) -> CheckoutResult:
        """Another process (a recovery run) took the attempt over while we worked on it.

        The caller gets the attempt's outcome when it has one. When that outcome is a failure,
        the undo runs again (idempotent, by derived ids): an effect we made after the other
        process's undo (an order, an authorization) is given back too. While the other process
        is still working, :class:`CheckoutInProgressError` tells the caller to retry later.
        """
        stored = self._log.get(attempt.checkout_id)
        if stored.status is CheckoutStatus.FAILED:
            try:
                self._undo(stored)
            except Exception:  # noqa: BLE001 - the other process and recovery redo the undo
                _LOG.exception("checkout %s: undo after a lost claim failed", stored.checkout_id)
        if stored.is_terminal:
            return self._replay(stored)
        raise CheckoutInProgressError(attempt.cart_id, attempt.checkout_id)

    def _steps(self, run: _Run) -> CheckoutFailure | None:
        attempt = run.attempt
        cid = attempt.checkout_id
        reservation_id, payment_id, order_id = _ids(cid)
        request = attempt.request
        if not attempt.done(CheckoutStep.VALIDATED):
            failure = self._validate(run)
            if failure is not None:
                return failure
            assert run.breakdown is not None  # noqa: S101 - set by a successful validation
            amount = run.breakdown.grand_total  # what the recorded amount reads back as
            self._record(
                run,
                CheckoutStep.VALIDATED,
                codes=run.codes,
                amount=money_to_data(amount),
                priced=run.breakdown,
            )
        else:
            amount = self._amount(attempt)
        if not attempt.done(CheckoutStep.RESERVED):
            cart = run.cart if run.cart is not None else self._carts.get(request.cart_id)
            quantities = run.quantities if run.cart is not None else None
            if quantities is None:
                quantities = _quantities(cart)
            outcome = self._inventory.reserve(
                reservation_id,
                list(quantities.items()),
                owner=cart.owner.kind,
                ttl=self.policy.reservation_ttl,
            )
            if not outcome.ok:
                return CheckoutFailure(
                    checkout_id=cid,
                    reason=FailureReason.OUT_OF_STOCK,
                    message="not enough stock to reserve",
                    shortages=outcome.shortages,
                )
            self._record(run, CheckoutStep.RESERVED)
        if not attempt.done(CheckoutStep.COUPONS_REDEEMED):
            codes = attempt.redeemed_codes
            if codes:
                if self._coupons is None:
                    msg = "coupon codes were accepted but the checkout has no coupon redeemer"
                    raise ValueError(msg)
                self._checkpoint(run)  # the undo finds coupon uses only through these codes
                redemption = self._coupons.redeem_codes(
                    codes, order_id=order_id, customer_id=request.customer.customer_id
                )
                if not redemption.ok:
                    reason = None if redemption.reason is None else str(redemption.reason)
                    return CheckoutFailure(
                        checkout_id=cid,
                        reason=FailureReason.COUPON_LIMIT_REACHED,
                        message="a coupon reached its usage limit",
                        coupon_code=redemption.failed_code,
                        coupon_reason=reason,
                    )
            self._record(run, CheckoutStep.COUPONS_REDEEMED)
        if not attempt.done(CheckoutStep.AUTHORIZED):
            self._checkpoint(run)  # a takeover is noticed before the money is touched
            failure = self._authorize(run, payment_id, order_id, amount)
            if failure is not None:
                return failure
            self._record(run, CheckoutStep.AUTHORIZED)
        if run.after_action and not attempt.done(CheckoutStep.ORDER_CREATED):
            failure = self._hold_stock_again(run, reservation_id)
            if failure is not None:
                return failure
        if not attempt.done(CheckoutStep.ORDER_CREATED):
            failure = self._create_order(run, order_id, payment_id, amount)
            if failure is not None:
                return failure
            self._record(run, CheckoutStep.ORDER_CREATED, durable=True, order_id=order_id)
        if self._mode(attempt) is CaptureMode.IMMEDIATE and not attempt.done(CheckoutStep.CAPTURED):
            failure = self._capture(run, payment_id, order_id, amount)
            if failure is not None:
                return failure
            self._record(run, CheckoutStep.CAPTURED)
        if not attempt.done(CheckoutStep.COMPLETED):
            self._complete(run, reservation_id)
        return None

    def _amount(self, attempt: CheckoutAttempt) -> Money:
        data = attempt.amount
        if data is None:
            msg = "a validated checkout always records its amount"
            raise AssertionError(msg)
        return money_from_data(data)

    def _context(self, cart: Cart, request: CheckoutRequest) -> PricingContext:
        address = request.shipping_address
        return PricingContext(
            currency=cart.currency,
            now=self._clock.now(),
            channel=cart.channel,
            price_list=cart.price_list,
            customer_id=request.customer.customer_id,
            destination=Destination(
                address.country, address.region, address.city, address.postal_code
            ),
            shipping_method=request.shipping_method,
            coupon_codes=request.coupon_codes,
        )

    def _price_cart(self, cart: Cart, request: CheckoutRequest) -> PriceBreakdown:
        return price_cart(
            cart,
            self._context(cart, request),
            stages=self._stages,
            tax=self._tax,
            shipping=self._shipping,
        )

    def _validate(self, run: _Run) -> CheckoutFailure | None:
        request = run.attempt.request
        cid = run.attempt.checkout_id
        prepriced = run.breakdown if run.prepriced else None
        cart = run.cart if run.prepriced and run.cart is not None else None
        if cart is None:
            cart = self._carts.get(request.cart_id)
        if cart.status is not CartStatus.ACTIVE:
            return CheckoutFailure(
                checkout_id=cid,
                reason=FailureReason.CART_NOT_ACTIVE,
                message=f"the cart is {cart.status}",
            )
        if cart.is_empty:
            return CheckoutFailure(
                checkout_id=cid, reason=FailureReason.EMPTY_CART, message="the cart is empty"
            )
        run.cart = None  # handed over to the refresh (changed in place)
        cart, changes = self._carts.refresh(cart.id, current=cart)
        if changes and not request.accept_price_changes:
            return CheckoutFailure(
                checkout_id=cid,
                reason=FailureReason.PRICE_CHANGED,
                message="prices changed since the cart was filled",
                price_changes=changes,
            )
        if changes:
            prepriced = None
        quantities = _quantities(cart)
        shortages = []
        for sku, quantity in quantities.items():
            availability = self._inventory.availability(sku, quantity)
            if not availability.can_fulfil:
                shortages.append(
                    Shortage(sku, quantity, availability.available, availability.backorderable)
                )
        if shortages:
            return CheckoutFailure(
                checkout_id=cid,
                reason=FailureReason.OUT_OF_STOCK,
                message="not enough stock",
                shortages=shortages,
            )
        breakdown = prepriced if prepriced is not None else self._price_cart(cart, request)
        codes = _codes_of(breakdown)
        accepted = {_norm(code) for code in codes} if request.coupon_codes else set()
        for code in request.coupon_codes:
            if _norm(code) in accepted:
                continue
            why = next(
                (
                    note
                    for note in breakdown.notes
                    if note.source_id in (f"code:{code}", f"code:{_norm(code)}")
                ),
                None,
            )
            reason = None if why is None else str(why.data.get("reason", "")) or None
            limit = reason == "limit_reached"
            return CheckoutFailure(
                checkout_id=cid,
                reason=(
                    FailureReason.COUPON_LIMIT_REACHED
                    if limit
                    else FailureReason.COUPON_NOT_APPLICABLE
                ),
                message="" if why is None else why.message,
                coupon_code=code,
                coupon_reason=reason,
            )
        run.cart = cart
        run.breakdown = breakdown
        run.codes = codes
        run.quantities = quantities
        return None

    def _authorize(
        self, run: _Run, payment_id: str, order_id: str, amount: Money
    ) -> CheckoutFailure | None:
        cid = run.attempt.checkout_id
        result = self._payments.pay(
            order_id, amount, run.attempt.request.payment_method, payment_id=payment_id
        )
        if result.status is PaymentStatus.AUTHORIZED and result.authorized == amount:
            return None
        if result.status is PaymentStatus.REQUIRES_ACTION:
            failure = CheckoutFailure(
                checkout_id=cid,
                reason=FailureReason.REQUIRES_ACTION,
                message="the payment needs a customer action",
                required_action=result.required_action,
            )
            run.attempt.await_action(failure, now=self._clock.now())
            self._save(run.attempt)
            return failure
        if result.is_transient:
            return CheckoutFailure(
                checkout_id=cid,
                reason=FailureReason.GATEWAY_UNAVAILABLE,
                message="the payment gateway was unavailable after retries",
            )
        code = result.decline_code
        return CheckoutFailure(
            checkout_id=cid,
            reason=FailureReason.PAYMENT_DECLINED,
            message="the payment was declined" if code else "only part of the amount was approved",
            decline_code=str(code) if code is not None else "partial_authorization",
        )

    def _hold_stock_again(self, run: _Run, reservation_id: str) -> CheckoutFailure | None:
        """After a customer action: re-hold the same lines if the reservation lapsed meanwhile.

        All or nothing (see :meth:`_hold_again`); when the stock is gone the checkout fails
        ``OUT_OF_STOCK`` and the rollback voids the authorization.
        """
        shortages = self._hold_again(reservation_id)
        if not shortages:
            return None
        return CheckoutFailure(
            checkout_id=run.attempt.checkout_id,
            reason=FailureReason.OUT_OF_STOCK,
            message="the stock held during the customer action lapsed and was sold meanwhile",
            shortages=shortages,
        )

    def _hold_for_commit(self, reservation_id: str) -> tuple[Shortage, ...]:
        """Before committing a standing sale: hold its lines again if the reservation lapsed.

        A sale resumed by recovery may find its hold lapsed (expired, or past its expiry and not
        swept yet). The same lines are held again, all or nothing; when the stock is gone the
        shortages are returned and a lapsed hold still on the books is released.
        """
        shortages = self._hold_again(reservation_id)
        if shortages:
            reservation = self._inventory.reservation(reservation_id)
            if reservation.state is ReservationState.ACTIVE:
                self._inventory.release(reservation_id)
        return shortages

    def _hold_again(self, reservation_id: str) -> tuple[Shortage, ...]:
        """Hold the reservation's lines again if it lapsed; the shortages when it cannot.

        All or nothing (``InventoryService.replace`` starts a lapsed reservation afresh under
        its id). A reservation active and within its expiry, or already committed, is kept.
        """
        reservation = self._inventory.reservation(reservation_id)
        now = self._clock.now()
        if reservation.state is ReservationState.COMMITTED:
            return ()
        if reservation.state is ReservationState.ACTIVE and reservation.expires_at > now:
            return ()
        outcome = self._inventory.replace(
            reservation_id,
            [(line.sku, line.quantity) for line in reservation.lines],
            owner=reservation.owner,
            ttl=self.policy.reservation_ttl,
        )
        return () if outcome.ok else tuple(outcome.shortages)

    def _create_order(
        self, run: _Run, order_id: str, payment_id: str, amount: Money
    ) -> CheckoutFailure | None:
        request = run.attempt.request
        # an attempt begun by this call has no order yet (its id is derived from the new key)
        order = None if run.fresh else self._find_order(order_id)
        if order is None:
            breakdown = run.breakdown
            if breakdown is None:
                # resumed (after a customer action): place what was priced and authorized; pricing
                # again could disagree (the coupon's own held use now counts against its limit)
                draft = run.attempt.draft
                if draft is None:
                    msg = "a validated checkout always records its order draft"
                    raise AssertionError(msg)
                breakdown = breakdown_from_draft(draft)
            order = self._orders.place_order(
                breakdown,
                customer=request.customer,
                billing_address=request.billing_address,
                shipping_address=request.shipping_address,
                payment_terms=self.policy.payment_terms,
                reservation_id=run.attempt.checkout_id,
                order_id=order_id,
            )
        run.order = order
        if self._mode(run.attempt) is CaptureMode.IMMEDIATE:
            # The capture follows at once and records the money on the order (placed -> paid);
            # until then the authorization lives on the payment, keyed by this order's id.
            return None
        run.order = None  # handed over below (changed in place): reloaded if the call fails
        run.order = self._orders.record_payment(
            order.order_id,
            PaymentKind.AUTHORIZED,
            amount,
            reference=f"{payment_id}:authorize",
            actor=self.policy.actor,
            current=order,
        )
        return None

    def _capture(
        self, run: _Run, payment_id: str, order_id: str, amount: Money
    ) -> CheckoutFailure | None:
        cid = run.attempt.checkout_id
        result = self._payments.capture(payment_id, amount, scope=cid)
        if result.status is not PaymentStatus.CAPTURED:
            if result.is_transient:
                return CheckoutFailure(
                    checkout_id=cid,
                    reason=FailureReason.GATEWAY_UNAVAILABLE,
                    message="the payment gateway was unavailable after retries (capture)",
                )
            code = result.decline_code
            return CheckoutFailure(
                checkout_id=cid,
                reason=FailureReason.PAYMENT_DECLINED,
                message="the capture was declined",
                decline_code=None if code is None else str(code),
            )
        order, run.order = run.order, None  # handed over (changed in place): reloaded on failure
        run.order = self._orders.record_payment(
            order_id,
            PaymentKind.CAPTURED,
            result.captured,
            reference=f"{payment_id}:capture",
            actor=self.policy.actor,
            current=order,
        )
        return None

    def _complete(self, run: _Run, reservation_id: str) -> None:
        attempt = run.attempt
        order = (
            run.order if run.order is not None else self._orders.get(_ids(attempt.checkout_id)[2])
        )
        shortages = self._hold_for_commit(reservation_id)
        if shortages:
            # The sale stands (money captured or held, order placed): flag it for the merchant
            # rather than fail it or retry forever.
            attempt.record_shortages(shortages)
            _LOG.warning(
                "checkout %s: order %s stands short of stock %s (its hold lapsed)",
                attempt.checkout_id,
                order.order_id,
                shortages,
            )
        else:
            self._inventory.commit(reservation_id, reference=order.number)  # idempotent
        cart, run.cart = run.cart, None  # handed over (changed in place)
        try:
            self._carts.check_out(attempt.cart_id, current=cart)
        except InvalidTransitionError:
            if self._carts.get(attempt.cart_id).status is not CartStatus.CHECKED_OUT:
                raise
        if self._dispatcher is not None:
            self._dispatcher.dispatch_pending()
        now = self._clock.now()
        attempt.complete_step(CheckoutStep.COMPLETED, now=now)
        attempt.succeed(now=now)
        # emit, then mark, then save: a crash before the save emits again on recovery
        self._announce(attempt, order)
        self._save(attempt)
        run.order = order
        if self._on_step is not None:
            self._on_step(attempt, CheckoutStep.COMPLETED)

    def _announce(self, attempt: CheckoutAttempt, order: Order | None = None) -> None:
        """Emit the terminal attempt's outcome event and mark it announced (unless it failed).

        ``OrderPlaced`` for a success, ``PaymentFailed`` for a payment failure; other failures
        have no event and are simply marked. When the sink fails the mark is not set and
        :meth:`recover` emits it later.
        """
        if attempt.announced:
            return
        if attempt.status is CheckoutStatus.SUCCEEDED:
            placed = order if order is not None else self._orders.get(_ids(attempt.checkout_id)[2])
            emitted = self._emit(lambda: self._order_placed(attempt, placed))
        else:
            failure = attempt.failure
            if failure is not None and failure.reason in _PAYMENT_REASONS:
                emitted = self._emit(lambda: self._payment_failed(attempt, failure))
            else:
                emitted = True  # nothing to announce
        if emitted:
            attempt.mark_announced()

    def _success(
        self,
        attempt: CheckoutAttempt,
        *,
        order: Order | None = None,
        completed: bool = True,
        replayed: bool = False,
    ) -> CheckoutSuccess:
        _, payment_id, order_id = _ids(attempt.checkout_id)
        if order is None or replayed:
            order = self._orders.get(order_id)
        return CheckoutSuccess(
            checkout_id=attempt.checkout_id,
            order=order,
            payment_id=payment_id,
            captured=order.captured.amount > 0,
            completed=completed,
            replayed=replayed,
        )

    # -- the undo ---------------------------------------------------------------------------------

    def _rollback(
        self, attempt: CheckoutAttempt, failure: CheckoutFailure, *, decided: bool
    ) -> CheckoutResult:
        """Save the failure, undo everything in reverse, save the attempt failed."""
        if not decided:
            attempt.begin_rollback(failure, now=self._clock.now())
            try:
                self._save(attempt)
            except _ClaimLostError:
                return self._lost_claim(attempt)
            except Exception:  # noqa: BLE001 - the failure stands; recovery redoes the undo
                _LOG.exception("checkout %s: could not save the failure", attempt.checkout_id)
                return failure
        try:
            self._undo(attempt)
        except Exception:
            if decided:
                raise
            _LOG.exception("checkout %s: undo incomplete, left to recovery", attempt.checkout_id)
            return failure
        attempt.finish_rollback(now=self._clock.now())
        self._announce(attempt)  # emit, then mark, then save (again after a crash: recovery)
        try:
            self._save(attempt)
        except _ClaimLostError:
            return self._lost_claim(attempt)
        except Exception:  # noqa: BLE001 - the undo is done; recovery marks it failed later
            _LOG.exception("checkout %s: could not save the rollback", attempt.checkout_id)
        return failure

    def _undo(self, attempt: CheckoutAttempt) -> None:
        """Undo every effect of the checkout, by derived ids; each compensation is idempotent.

        The steps are independent: the coupon uses and the stock hold are given back even when
        giving the money back fails (the order is cancelled only once the money is back, since
        it records the void). Raises the first error a step raised, after trying every step:
        the attempt then stays ``rolling_back`` and the next recovery run tries again.
        """
        reservation_id, payment_id, order_id = _ids(attempt.checkout_id)
        errors: list[Exception] = []
        try:
            voided = self._undo_payment(attempt, payment_id)
        except Exception as error:  # noqa: BLE001 - the other steps go on; raised below
            errors.append(error)
        else:
            try:
                self._cancel_order(order_id, payment_id, voided=voided)
            except Exception as error:  # noqa: BLE001 - raised below
                errors.append(error)
        if attempt.redeemed_codes and self._coupons is not None:
            try:
                self._coupons.release_codes(attempt.redeemed_codes, order_id=order_id)
            except Exception as error:  # noqa: BLE001 - raised below
                errors.append(error)
        try:
            self._release_stock(reservation_id)
        except Exception as error:  # noqa: BLE001 - raised below
            errors.append(error)
        if errors:
            raise errors[0]

    def _cancel_order(self, order_id: str, payment_id: str, *, voided: bool) -> None:
        order = self._find_order(order_id)
        if order is None or order.status == OrderStatus.CANCELLED:
            return
        open_hold = order.authorized
        if voided and open_hold.amount > 0:
            self._orders.record_payment(
                order_id,
                PaymentKind.VOIDED,
                open_hold,
                reference=f"{payment_id}:void",
                actor=self.policy.actor,
            )
        self._orders.cancel(order_id, actor=self.policy.actor, reason="checkout failed")

    def _release_stock(self, reservation_id: str) -> None:
        try:
            reservation = self._inventory.reservation(reservation_id)
        except NotFoundError:
            return
        if reservation.state is ReservationState.ACTIVE:
            self._inventory.release(reservation_id)

    def _refused(self, attempt: CheckoutAttempt, what: str, outcome: object) -> RuntimeError:
        """Note a refused void or refund on the attempt (the next try asks under a fresh scope).

        The count is saved at once: otherwise the next undo would replay the stored refusal.
        """
        attempt.note_refusal()
        try:
            self._save(attempt)
        except Exception:  # noqa: BLE001 - unsaved: the next run replays the refusal, notes it
            _LOG.exception("checkout %s: could not save the refusal", attempt.checkout_id)
        return RuntimeError(f"{what} not approved: {outcome}")

    def _undo_payment(self, attempt: CheckoutAttempt, payment_id: str) -> bool:
        """Give the money back: settle an unknown outcome, then void or refund. True if voided.

        When the checkout failed on an error or a crash, a payment still ``created`` may have
        been authorized without the answer being recorded; it is asked again under the same
        idempotency key (the gateway replays its first answer) and then undone. If that question
        goes unanswered too, the outcome is still unknown and the undo raises (the next
        recovery run asks again). After a decline or a gateway still unavailable after its
        retries in the checkout itself the outcome is known: nothing to settle.

        A refused void or refund is the stored answer of its idempotency key; each refusal is
        counted on the attempt (:meth:`CheckoutAttempt.note_refusal`) and the next try uses a
        scope with that count, so the gateway is asked again (a lost answer, by contrast, is
        replayed under the same key).

        Raises:
            RuntimeError: the gateway did not approve the void or refund, or did not answer
                whether it authorized (tried again later).
        """
        checkout_id = attempt.checkout_id
        capture_tried = attempt.done(CheckoutStep.ORDER_CREATED) and (
            self._mode(attempt) is CaptureMode.IMMEDIATE
        )
        failure = attempt.failure
        settle = failure is None or failure.reason is FailureReason.INTERNAL_ERROR
        tries = attempt.refusals
        try:
            payment = self._payments.get(payment_id)
        except NotFoundError:
            return False
        if payment.status is PaymentStatus.CREATED and settle:
            # The outcome is unknown (a crash or an error around the gateway call): replay the
            # authorization under its idempotency key to learn it, then undo it.
            self._payments.authorize(payment_id)
            payment = self._payments.get(payment_id)
            if payment.status is PaymentStatus.CREATED:
                # Still no answer (the gateway stayed unavailable): the provider may hold the
                # authorization all the same. The undo stays incomplete; recovery asks again.
                msg = f"the authorization outcome of {payment_id} is still unknown"
                raise RuntimeError(msg)
        if payment.status in _HELD:
            result = self._payments.void(payment_id, scope=f"undo:{tries}" if tries else "")
            if result.approved:
                return True
            if not capture_tried or payment.status is not PaymentStatus.AUTHORIZED:
                if result.is_transient:
                    raise RuntimeError(f"void of {payment_id} not approved: {result.outcome}")
                raise self._refused(attempt, f"void of {payment_id}", result.outcome)
            # The void was refused: a capture may have gone through without being recorded.
            # Replaying it under the same key learns its outcome; a capture is then refunded.
            self._payments.capture(payment_id, payment.authorized, scope=checkout_id)
            payment = self._payments.get(payment_id)
            if payment.captured.amount == 0:
                if result.is_transient:
                    raise RuntimeError(f"void of {payment_id} not approved: {result.outcome}")
                raise self._refused(attempt, f"void of {payment_id}", result.outcome)
        if payment.refundable.amount > 0:
            scope = f"checkout-undo:{tries}" if tries else "checkout-undo"
            refund = self._payments.refund(payment_id, scope=scope)
            if not refund.approved:
                if refund.is_transient:
                    raise RuntimeError(f"refund of {payment_id} not approved: {refund.outcome}")
                raise self._refused(attempt, f"refund of {payment_id}", refund.outcome)
        return False

    # -- helpers ----------------------------------------------------------------------------------

    def _find_order(self, order_id: str) -> Order | None:
        try:
            return self._orders.get(order_id)
        except NotFoundError:
            return None

    def _payment_status(self, checkout_id: str) -> PaymentStatus | None:
        try:
            return self._payments.get(_ids(checkout_id)[1]).status
        except NotFoundError:
            return None

    def _emit(self, make: Callable[[], JourneyEvent]) -> bool:
        """Record an analytics event; analytics never fails a sale (see AnalyticsEmitter).

        True when recorded; False when there is no sink or it failed.
        """
        return self._analytics.emit(make)

    @property
    def analytics_failures(self) -> int:
        """How many analytics events could not be recorded (the sale went on regardless)."""
        return self._analytics.failures

    def _payment_failed(self, attempt: CheckoutAttempt, failure: CheckoutFailure) -> JourneyEvent:
        request = attempt.request
        return PaymentFailed(
            occurred_at=self._clock.now(),
            session_id=request.session_id or request.cart_id,
            channel=request.channel,
            customer_id=request.customer.customer_id,
            cart_id=request.cart_id,
            amount=self._amount(attempt),
            reason=failure.decline_code or str(failure.reason),
        )

    def _order_placed(self, attempt: CheckoutAttempt, order: Order) -> JourneyEvent:
        """The analytics ``OrderPlaced`` of ``order``: exact for net and gross price bases."""
        request = attempt.request
        currency = order.shipping.net.currency
        discounts: dict[tuple[str, str], Decimal] = {}
        items: list[ItemParts] = []
        for line in order.lines:
            item, parts = _ordered_item(line)
            items.append(item)
            for key, amount in parts:
                discounts[key] = discounts.get(key, _NO_AMOUNT) + amount
        total = order.totals.total
        return build_order_placed(
            occurred_at=self._clock.now(),
            session_id=request.session_id or request.cart_id,
            channel=request.channel,
            customer_id=request.customer.customer_id,
            order_id=order.order_id,
            cart_id=request.cart_id,
            items=items,
            discounts=[
                (source, Money(amount, currency), code or None)
                for (source, code), amount in discounts.items()
                if amount > 0
            ],
            shipping=order.shipping.net,
            tax=Money(total.gross.amount - total.net.amount, total.gross.currency),  # gross - net
            total=total.gross,
        )


_NO_AMOUNT: Final = Decimal(0)
"""What ``zero(currency).amount`` holds: the start of a sum of discounts."""


def _ordered_item(line: OrderLine) -> tuple[ItemParts, list[tuple[tuple[str, str], Decimal]]]:
    """A line as an analytics item plus its discounts ``((source, code), amount)``, net of tax.

    Each discount (an adjustment taking money off) is stated net of tax: as is for a net price
    basis; for a price that includes tax, split over the line's net and tax after discounts with
    :func:`allocate` (or over 1 : the sum of its tax rates, for a line discounted to zero), the
    net part kept. Surcharges are left in the line's value. The item's value before discounts is
    then ``total.net + Σ net discounts``, so ``Σ subtotal - Σ discounts == Σ total.net`` to the
    minor unit; it is stated as ``net_total`` when ``unit_price x quantity`` does not give it.

    The item is given as :class:`OrderedItem`'s fields, the discounts as Decimal amounts in the
    line's currency (the line's amounts share it: an order line checks it), so no ``Money`` is
    built for them on the way.
    """
    parts: list[tuple[tuple[str, str], Decimal]] = []
    net = line.total.net
    for adjustment in line.adjustments:
        if adjustment.amount.amount >= 0:
            continue  # a surcharge (or nothing) takes no money off
        if line.prices_include_tax:
            if line.total.gross.amount > 0:
                weights: list[Weight] = [net, line.total.tax]
            else:
                weights = [Decimal(1), sum((t.rate for t in line.tax_lines), Decimal(0))]
            taken = allocate(-adjustment.amount, weights)[0].amount
        else:
            taken = -adjustment.amount.amount
        parts.append(((adjustment.source_id, adjustment.code), taken))
    before = net.amount
    for _, amount in parts:
        before += amount
    if not line.prices_include_tax and before == line.unit_price.amount * line.quantity:
        return (line.sku, line.quantity, line.unit_price, None), parts
    before_money = Money(before, net.currency)
    if before > 0:
        unit = allocate_evenly(before_money, line.quantity)[0]
        return (line.sku, line.quantity, unit, before_money), parts
    return (line.sku, line.quantity, zero(net.currency), before_money), parts
