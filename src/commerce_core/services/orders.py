"""Order use cases: place, pay, ship, deliver, cancel, refund, return; and the outbox dispatcher.

Each use case loads the order, asks the aggregate to check and apply the change, and saves it with
its events in one atomic repository call, retrying a bounded number of times on a version
conflict. Stock and money move only through the :class:`~commerce_core.ports.orders.OrderStock`
and :class:`~commerce_core.ports.orders.OrderPayments` ports, always with an idempotency key made
before the retry loop, so a retried use case never moves them twice. After a successful save the
:class:`OutboxDispatcher` sends the new events to the host's
:class:`~commerce_core.ports.notifier.Notifier`; a failed save writes no event, so nobody is
notified.

Analytics: with an ``analytics`` sink, :class:`OrderService` records ``OrderRefunded`` after each
saved refund and ``OrderCancelled`` after a saved whole-order cancellation (or the
``cancel_lines`` call that cancels the last units), never for a refused or declined request.
Session, channel and customer come from the ``journey`` source (default
:func:`~commerce_core.services.journey.default_order_journey`). A sink that raises is counted in
:attr:`OrderService.analytics_failures` and never fails the use case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType
from typing import Final, TypeVar

import attrs

from commerce_core.domain.analytics import events as journey_events
from commerce_core.domain.notifications import Notification
from commerce_core.domain.order_settlements import SettlementStep
from commerce_core.domain.orders import (
    DEFAULT_WORKFLOW,
    Address,
    Customer,
    Order,
    OrderStatus,
    OrderWorkflow,
    PaymentKind,
    PaymentOutcome,
    PaymentTerms,
    Refund,
    ReturnLine,
    ReturnStatus,
    StockLine,
)
from commerce_core.domain.pricing import PriceBreakdown
from commerce_core.errors import (
    CommerceError,
    InvalidQuantityError,
    RefundExceedsRefundableError,
)
from commerce_core.money import Money, TaxedMoney, zero
from commerce_core.ports.analytics import AnalyticsSink
from commerce_core.ports.clock import Clock
from commerce_core.ports.ids import IdFactory
from commerce_core.ports.notifier import Notifier
from commerce_core.ports.orders import (
    OrderNumbers,
    OrderOutbox,
    OrderPayments,
    OrderRepository,
    OrderStock,
)
from commerce_core.services.journey import (
    AnalyticsEmitter,
    JourneySource,
    default_order_journey,
)
from commerce_core.services.retry import retry_on_conflict

__all__ = [
    "OrderService",
    "OutboxDispatcher",
    "DispatchReport",
    "CancellationResult",
    "SettlementReport",
    "RefundResult",
    "template_key_for",
]

T = TypeVar("T")

_STEPS: Final = (SettlementStep.RELEASE_STOCK, SettlementStep.VOID, SettlementStep.REFUND)

_CAMEL: Final = re.compile(r"(?<!^)(?=[A-Z])")


def template_key_for(event_type: str) -> str:
    """The default template key of an event type: ``"OrderPlaced"`` -> ``"order.order_placed"``.

    >>> template_key_for("ReturnReceived")
    'order.return_received'
    """
    return "order." + _CAMEL.sub("_", event_type).lower()


@attrs.frozen
class DispatchReport:
    """What one dispatch run did: messages sent, and messages that failed (to be retried)."""

    sent: int
    failed: int


class OutboxDispatcher:
    """Sends outbox messages to the notifier: each at most once per notifier, none lost.

    A message is claimed (leased), sent as a :class:`Notification` whose ``key`` is the message
    id, then marked dispatched. A send that raises releases the lease; the message is retried by a
    later :meth:`dispatch_pending`. Should the process die between sending and marking, the retry
    carries the same ``key``, which the Notifier contract tells notifiers to deliver only once.

    Args:
        outbox: where saved events wait.
        notifier: the host's notifier.
        clock: for leases and dispatch times.
        templates: ``event_type -> template key`` overrides (default :func:`template_key_for`).
        lease: how long a claimed message is reserved for this dispatcher.
        batch: how many messages one run claims at most.
    """

    def __init__(
        self,
        outbox: OrderOutbox,
        notifier: Notifier,
        clock: Clock,
        *,
        templates: Mapping[str, str] | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 100,
    ) -> None:
        self._outbox = outbox
        self._notifier = notifier
        self._clock = clock
        self._templates = dict(templates or {})
        self._lease = lease
        self._batch = batch

    def _template_key(self, event_type: str) -> str:
        """The override for ``event_type``, else :func:`template_key_for` (remembered)."""
        key = self._templates.get(event_type)
        if key is None:
            key = self._templates[event_type] = template_key_for(event_type)
        return key

    def dispatch_pending(self) -> DispatchReport:
        """Send every claimable message once; return how many were sent and how many failed."""
        sent = failed = 0
        while True:
            messages = self._outbox.claim(
                now=self._clock.now(), limit=self._batch, lease=self._lease
            )
            if not messages:
                break
            for message in messages:
                payload = message.payload
                template = self._template_key(message.event_type)
                if type(payload) is MappingProxyType:  # a message's own copy, read-only: shared
                    notification = Notification._frozen(
                        message.event_type, template, payload, message.message_id
                    )
                else:
                    notification = Notification(
                        message.event_type, template, payload, message.message_id
                    )
                try:
                    self._notifier.send(notification)
                except Exception as error:  # noqa: BLE001 - any failure means "not delivered"
                    self._outbox.release(message.message_id, error=repr(error))
                    failed += 1
                else:
                    self._outbox.mark_dispatched(message.message_id, now=self._clock.now())
                    sent += 1
            if failed:
                break  # released messages would be claimed again at once: retry them later
        return DispatchReport(sent, failed)


@attrs.frozen
class SettlementReport:
    """What one step of a cancellation's settlement did this time.

    Attributes:
        settlement_id: the settlement (``order.settlement(settlement_id)``).
        step: the step.
        succeeded: whether it is done now (a step found done before also reports True).
        outcome: the payment side's answer, for a void or refund that asked it.
        error: why it failed (a decline reason or the error raised); empty on success.
    """

    settlement_id: str
    step: SettlementStep
    succeeded: bool
    outcome: PaymentOutcome | None = None
    error: str = ""


@attrs.frozen
class CancellationResult:
    """A cancellation and what the stock and payment sides did about it.

    Attributes:
        order: the order after the cancellation and every step carried out.
        cancelled: the value of the units cancelled (zero for :meth:`OrderService.
            settle_cancellation`).
        steps: every settlement step attempted by this call, in order.
    """

    order: Order
    cancelled: TaxedMoney
    steps: tuple[SettlementReport, ...] = ()

    @property
    def payments(self) -> tuple[PaymentOutcome, ...]:
        """Every void and refund outcome, in the order they were asked."""
        return tuple(r.outcome for r in self.steps if r.outcome is not None)

    @property
    def payment(self) -> PaymentOutcome | None:
        """The headline payment outcome: the first that failed, else the last.

        None when no money had to move. A successful refund never hides a declined void; read
        :attr:`payments` for every outcome.
        """
        outcomes = self.payments
        failed = [o for o in outcomes if not o.succeeded]
        if failed:
            return failed[0]
        return outcomes[-1] if outcomes else None

    @property
    def failures(self) -> tuple[SettlementReport, ...]:
        """The steps that failed this time (still pending on the order)."""
        return tuple(r for r in self.steps if not r.succeeded)

    @property
    def settled(self) -> bool:
        """Whether the order owes nothing more to the stock or payment side."""
        return not self.order.pending_settlements


@attrs.frozen
class RefundResult:
    """A refund request's outcome (a decline is a value; the order is then unchanged)."""

    order: Order
    refund: Refund | None
    payment: PaymentOutcome


class OrderService:
    """The order use cases, wired to ports.

    Args:
        repository: stores orders and their events atomically.
        numbers: makes order numbers.
        stock: commits, releases, restocks and writes off stock.
        payments: voids and refunds.
        clock: the time.
        ids: makes ids (orders, shipments, refunds, returns).
        dispatcher: sends saved events after each successful save (None: the host runs it).
        workflow: the order workflow new orders follow.
        conflict_attempts: how often a use case is retried on a version conflict.
        analytics: receives ``OrderRefunded`` / ``OrderCancelled`` journey events after the
            save succeeded (optional; failures are counted, never raised).
        journey: the session, channel and customer of an order's events (default
            :func:`~commerce_core.services.journey.default_order_journey`).
    """

    def __init__(
        self,
        *,
        repository: OrderRepository,
        numbers: OrderNumbers,
        stock: OrderStock,
        payments: OrderPayments,
        clock: Clock,
        ids: IdFactory,
        dispatcher: OutboxDispatcher | None = None,
        workflow: OrderWorkflow = DEFAULT_WORKFLOW,
        conflict_attempts: int = 5,
        analytics: AnalyticsSink | None = None,
        journey: JourneySource = default_order_journey,
    ) -> None:
        self._repo = repository
        self._numbers = numbers
        self._stock = stock
        self._payments = payments
        self._clock = clock
        self._ids = ids
        self._dispatcher = dispatcher
        self._workflow = workflow
        self._attempts = conflict_attempts
        self._analytics = AnalyticsEmitter(analytics)
        self._journey = journey

    @property
    def analytics_failures(self) -> int:
        """How many journey events the analytics sink refused (dropped, never raised)."""
        return self._analytics.failures

    def _emit_cancelled(self, order: Order, reason: str) -> None:
        def build() -> journey_events.JourneyEvent:
            context = self._journey(order)
            return journey_events.OrderCancelled(
                occurred_at=self._clock.now(),
                session_id=context.session_id,
                channel=context.channel,
                customer_id=context.customer_id,
                order_id=order.order_id,
                reason=reason or "cancelled",
            )

        self._analytics.emit(build)

    def _emit_refunded(self, order: Order, refund: Refund) -> None:
        def build() -> journey_events.JourneyEvent:
            context = self._journey(order)
            tax = sum((line.amount.tax for line in refund.lines), refund.shipping.tax)
            return journey_events.OrderRefunded(
                occurred_at=self._clock.now(),
                session_id=context.session_id,
                channel=context.channel,
                customer_id=context.customer_id,
                order_id=order.order_id,
                amount=refund.total,
                tax=tax,
                shipping=refund.shipping.net,
            )

        self._analytics.emit(build)

    # -- plumbing -------------------------------------------------------------------------------

    def _run(self, use_case: Callable[[], T]) -> T:
        result = retry_on_conflict(use_case, attempts=self._attempts)
        if self._dispatcher is not None:
            self._dispatcher.dispatch_pending()
        return result

    def _update(
        self, order_id: str, change: Callable[[Order], object], current: Order | None = None
    ) -> Order:
        """Load, change and save the order (retried on a version conflict).

        ``current``: the caller's copy of the order as this service last returned it, used for
        the first try instead of reading it again; a stale copy loses the version race and the
        retry reads the stored order.
        """
        known = [current] if current is not None and current.order_id == order_id else []

        def use_case() -> Order:
            order = known.pop() if known else self._repo.get(order_id)
            change(order)
            if order.pending_events:
                self._repo.save(order)
            return order

        return self._run(use_case)

    def get(self, order_id: str) -> Order:
        """The order ``order_id``.

        Raises:
            NotFoundError: unknown order.
        """
        return self._repo.get(order_id)

    # -- placing and paying ---------------------------------------------------------------------

    def place_order(
        self,
        breakdown: PriceBreakdown,
        *,
        customer: Customer,
        billing_address: Address,
        shipping_address: Address,
        payment_terms: PaymentTerms,
        reservation_id: str | None,
        order_id: str | None = None,
    ) -> Order:
        """Create and save an order from a priced cart (records ``OrderPlaced``).

        ``order_id`` lets a caller choose the id (checkout derives it from its idempotency key,
        so a retry finds the order); by default the id factory makes one.

        Raises:
            InvalidOrderError: an empty breakdown or inconsistent totals.
        """
        order = Order.from_breakdown(
            breakdown,
            order_id=order_id if order_id is not None else self._ids.new_id("order"),
            number=self._numbers.next_number(),
            customer=customer,
            billing_address=billing_address,
            shipping_address=shipping_address,
            payment_terms=payment_terms,
            reservation_id=reservation_id,
            now=self._clock.now(),
            workflow=self._workflow,
        )

        def use_case() -> Order:
            self._repo.save(order)
            return order

        return self._run(use_case)

    def record_payment(
        self,
        order_id: str,
        kind: PaymentKind,
        amount: Money,
        *,
        reference: str,
        actor: str = "payments",
        current: Order | None = None,
    ) -> Order:
        """Record an authorization, capture or void on the order (idempotent by ``reference``).

        ``current`` saves a read: the order object this service returned last (``place_order``,
        a previous ``record_payment``), which is then changed in place and must not be used
        again by the caller; when it is stale (changed by someone else since) the version check
        refuses the save and the stored order is read and changed instead.

        Raises:
            NotFoundError: unknown order.
            InvalidAmountError / CurrencyMismatchError: a bad amount.
        """
        now = self._clock.now()
        return self._update(
            order_id,
            lambda o: o.record_payment(kind, amount, reference=reference, now=now, actor=actor),
            current,
        )

    # -- fulfilment -----------------------------------------------------------------------------

    def ship(
        self,
        order_id: str,
        lines: Mapping[str, int],
        *,
        location: str,
        tracking_reference: str = "",
        actor: str,
    ) -> Order:
        """Ship units from ``location``, committing their reserved stock.

        Raises:
            NotFoundError: unknown order or line.
            ShipmentQuantityError: more than remains to ship.
            InvalidTransitionError: e.g. unpaid and the payment method requires payment first.
        """
        shipment_id = self._ids.new_id("shipment")
        now = self._clock.now()

        def use_case() -> Order:
            order = self._repo.get(order_id)
            shipment = order.ship(
                shipment_id=shipment_id,
                lines=lines,
                location=location,
                tracking_reference=tracking_reference,
                now=now,
                actor=actor,
            )
            if order.reservation_id is not None:
                self._stock.commit(
                    order.reservation_id,
                    lines=[StockLine(order.line(lid).sku, q) for lid, q in shipment.lines],
                    location=location,
                    idempotency_key=shipment_id,
                )
            self._repo.save(order)
            return order

        return self._run(use_case)

    def mark_delivered(self, order_id: str, shipment_id: str, *, actor: str) -> Order:
        """Record a shipment's delivery (idempotent).

        Raises:
            NotFoundError: unknown order or shipment.
        """
        now = self._clock.now()
        return self._update(order_id, lambda o: o.mark_delivered(shipment_id, now=now, actor=actor))

    def complete(self, order_id: str, *, actor: str, note: str = "") -> Order:
        """Close a delivered order with no open returns.

        Raises:
            InvalidTransitionError: not delivered, or returns are open.
        """
        now = self._clock.now()
        return self._update(order_id, lambda o: o.complete(now=now, actor=actor, note=note))

    def transition(self, order_id: str, target: str, *, actor: str, note: str = "") -> Order:
        """Move the order status explicitly (host-defined states).

        Raises:
            InvalidTransitionError: the table or a guard refuses.
        """
        now = self._clock.now()
        return self._update(
            order_id, lambda o: o.transition(target, now=now, actor=actor, note=note)
        )

    # -- cancellation ---------------------------------------------------------------------------

    def cancel(self, order_id: str, *, actor: str, reason: str = "") -> CancellationResult:
        """Cancel the whole order, then release its reservation and void or refund its money.

        The cancellation is saved with a :class:`~commerce_core.domain.order_settlements.
        CancellationSettlement` listing the stock and payment steps still owed; each step is then
        carried out and marked done in the save that records its effect (see
        :meth:`settle_cancellation`). A step that fails (the stock or payment side raises or
        declines) stays pending and is reported in the result, never raised. Cancelling an order
        that is already cancelled finishes whatever is still pending instead of raising.

        Raises:
            NotFoundError: unknown order.
            InvalidTransitionError: something has shipped (cancel the remaining lines instead).
        """
        now = self._clock.now()
        fresh: list[bool] = []

        def use_case() -> Order:
            order = self._repo.get(order_id)
            if order.status == OrderStatus.CANCELLED:
                fresh[:] = [False]  # cancelled before: only the settlement may be left to do
                return order
            order.cancel(now=now, actor=actor, reason=reason)
            self._repo.save(order)
            fresh[:] = [True]
            return order

        cancelled = self._run(use_case)
        if fresh[0]:
            self._emit_cancelled(cancelled, reason)
        steps = self._settle_pending(order_id)
        return CancellationResult(self._repo.get(order_id), cancelled.totals.total, steps)

    def cancel_lines(
        self, order_id: str, lines: Mapping[str, int], *, actor: str, reason: str = ""
    ) -> CancellationResult:
        """Cancel unshipped units; release their stock and void or refund their value.

        Like :meth:`cancel`, the stock and payment steps are recorded as pending in the
        cancellation's save, then carried out; failures are reported, and retried by
        :meth:`settle_cancellation`.

        Raises:
            NotFoundError: unknown order or line.
            CancellationQuantityError: more than is neither shipped nor cancelled.
        """
        cancellation_id = self._ids.new_id("cancellation")
        now = self._clock.now()
        values: list[TaxedMoney] = []

        def change(order: Order) -> None:
            values[:] = [
                order.cancel_lines(
                    lines, now=now, actor=actor, reason=reason, settlement_id=cancellation_id
                )
            ]

        order = self._update(order_id, change)
        if order.fully_cancelled:
            self._emit_cancelled(order, reason)
        steps = self._settle_pending(order_id)
        return CancellationResult(self._repo.get(order_id), values[0], steps)

    def settle_cancellation(self, order_id: str) -> CancellationResult:
        """Carry out every pending step of the order's cancellations (idempotent).

        The recovery routine after a crash or a failed port between a cancellation's save and
        its side effects: run it (again) until ``result.settled``. A step done before is never
        repeated; a step interrupted by an exception is asked again under the same idempotency
        key (so it never moves stock or money twice); a declined payment step is asked under a
        fresh key. ``result.cancelled`` is zero: nothing new is cancelled.

        Raises:
            NotFoundError: unknown order.
        """
        steps = self._settle_pending(order_id)
        order = self._repo.get(order_id)
        return CancellationResult(order, TaxedMoney.zero(order.currency), steps)

    def _settle_pending(self, order_id: str) -> tuple[SettlementReport, ...]:
        return tuple(
            self._settle_step(order_id, settlement.settlement_id, step)
            for settlement in self._repo.get(order_id).pending_settlements
            for step in _STEPS
            if step in settlement.pending
        )

    def _settle_step(
        self, order_id: str, settlement_id: str, step: SettlementStep
    ) -> SettlementReport:
        """Carry out one step and mark it done in the same save; report a failure as a value."""
        act = {
            SettlementStep.RELEASE_STOCK: self._release_step,
            SettlementStep.VOID: self._void_step,
            SettlementStep.REFUND: self._refund_step,
        }[step]
        try:
            return act(order_id, settlement_id)
        except Exception as error:  # noqa: BLE001 - any failure leaves the step pending
            # Not a decline: the same key is safe (and needed) for the retry.
            reason = f"{type(error).__name__}: {error}"
            now = self._clock.now()
            self._update(
                order_id,
                lambda o: (
                    o.fail_settlement_step(
                        settlement_id, step, reason=reason, declined=False, now=now
                    )
                    if step in o.settlement(settlement_id).pending
                    else None
                ),
            )
            return SettlementReport(settlement_id, step, succeeded=False, error=reason)

    def _done(self, order: Order, settlement_id: str, step: SettlementStep) -> SettlementReport:
        order.complete_settlement_step(settlement_id, step, now=self._clock.now())
        self._repo.save(order)
        return SettlementReport(settlement_id, step, succeeded=True)

    def _release_step(self, order_id: str, settlement_id: str) -> SettlementReport:
        step = SettlementStep.RELEASE_STOCK

        def use_case() -> SettlementReport:
            order = self._repo.get(order_id)
            settlement = order.settlement(settlement_id)
            if step not in settlement.pending:
                return SettlementReport(settlement_id, step, succeeded=True)
            if order.reservation_id is not None:
                self._stock.release(
                    order.reservation_id,
                    lines=[StockLine(order.line(lid).sku, q) for lid, q in settlement.lines],
                    idempotency_key=settlement.key(step),
                )
            return self._done(order, settlement_id, step)

        return self._run(use_case)

    def _void_step(self, order_id: str, settlement_id: str) -> SettlementReport:
        """Void the open authorization, up to the value cancelled."""
        step = SettlementStep.VOID

        def use_case() -> SettlementReport:
            order = self._repo.get(order_id)
            settlement = order.settlement(settlement_id)
            if step not in settlement.pending:
                return SettlementReport(settlement_id, step, succeeded=True)
            to_void = min(order.authorized, settlement.value)
            if to_void.amount <= 0:
                return self._done(order, settlement_id, step)
            key = settlement.key(step)
            outcome = self._payments.void(order_id, to_void, idempotency_key=key)
            now = self._clock.now()
            if not outcome.succeeded:
                order.fail_settlement_step(
                    settlement_id, step, reason=outcome.reason, declined=True, now=now
                )
                self._repo.save(order)
                return SettlementReport(settlement_id, step, False, outcome, outcome.reason)
            order.record_payment(
                PaymentKind.VOIDED, to_void, reference=outcome.reference or key, now=now
            )
            return attrs.evolve(self._done(order, settlement_id, step), outcome=outcome)

        return self._run(use_case)

    def _refund_step(self, order_id: str, settlement_id: str) -> SettlementReport:
        """Refund what was captured beyond what is still due."""
        step = SettlementStep.REFUND
        applied: list[Refund] = []

        def use_case() -> SettlementReport:
            applied.clear()
            order = self._repo.get(order_id)
            settlement = order.settlement(settlement_id)
            if step not in settlement.pending:
                return SettlementReport(settlement_id, step, succeeded=True)
            to_refund = min(order.refundable, order.captured - order.amount_due)
            if to_refund.amount <= 0:
                return self._done(order, settlement_id, step)
            now = self._clock.now()
            lines = dict(settlement.lines) or None
            try:
                refund = self._cancellation_refund(order, settlement.key(step), to_refund, lines)
            except CommerceError as error:
                # Nothing was asked of the payment side: report it; the key stays unused.
                failed = PaymentOutcome(False, to_refund, "", str(error))
                order.fail_settlement_step(
                    settlement_id, step, reason=str(error), declined=False, now=now
                )
                self._repo.save(order)
                return SettlementReport(settlement_id, step, False, failed, str(error))
            if refund is None:
                return self._done(order, settlement_id, step)
            if any(r.refund_id == refund.refund_id for r in order.refunds):
                return self._done(order, settlement_id, step)
            outcome = self._payments.refund(
                order_id, refund.total, idempotency_key=refund.idempotency_key, reason=refund.reason
            )
            if not outcome.succeeded:
                order.fail_settlement_step(
                    settlement_id, step, reason=outcome.reason, declined=True, now=now
                )
                self._repo.save(order)
                return SettlementReport(settlement_id, step, False, outcome, outcome.reason)
            order.apply_refund(refund, reference=outcome.reference)
            applied[:] = [refund]
            return attrs.evolve(self._done(order, settlement_id, step), outcome=outcome)

        report = self._run(use_case)
        if applied:
            self._emit_refunded(self._repo.get(order_id), applied[0])
        return report

    def _cancellation_refund(
        self, order: Order, refund_id: str, amount: Money, lines: Mapping[str, int] | None
    ) -> Refund | None:
        now = self._clock.now()
        if lines is not None:
            try:
                plan = order.plan_refund(
                    refund_id=refund_id, lines=lines, reason="cancelled lines", now=now
                )
            except (InvalidQuantityError, RefundExceedsRefundableError):
                pass
            else:
                if plan.total <= amount:
                    return plan
        nothing = zero(order.currency)
        shipping_rest = (order.shipping - order.shipping_refunded).gross
        shipping = min(shipping_rest, amount) if order.fully_cancelled else nothing
        lines_left = sum(
            ((li.total - order.line_refunded(li.line_id)).gross for li in order.lines), nothing
        )
        rest = min(amount - shipping, lines_left)
        if rest.amount <= 0 and shipping.amount <= 0:
            return None
        return order.plan_refund(
            refund_id=refund_id,
            amount=rest if rest.amount > 0 else None,
            shipping=shipping if shipping.amount > 0 else None,
            reason="cancelled",
            now=now,
        )

    # -- refunds --------------------------------------------------------------------------------

    def _refund_plan(self, order_id: str, plan: Callable[[Order], Refund]) -> PaymentOutcome:
        outcome: list[PaymentOutcome] = []
        applied: list[Refund] = []

        def use_case() -> Order:
            order = self._repo.get(order_id)
            refund = plan(order)
            known = [r for r in order.refunds if r.refund_id == refund.refund_id]
            if known:
                outcome[:] = [PaymentOutcome(True, refund.total, known[0].reference)]
                return order
            result = self._payments.refund(
                order_id, refund.total, idempotency_key=refund.idempotency_key, reason=refund.reason
            )
            outcome[:] = [result]
            if result.succeeded:
                order.apply_refund(refund, reference=result.reference)
                self._repo.save(order)
                applied[:] = [refund]
            return order

        order = self._run(use_case)
        if applied:
            self._emit_refunded(order, applied[0])
        return outcome[0]

    def refund(
        self,
        order_id: str,
        *,
        amount: Money | None = None,
        lines: Mapping[str, int] | None = None,
        shipping: Money | None = None,
        reason: str = "",
    ) -> RefundResult:
        """Refund by amount or by lines and quantities, plus shipping separately.

        The refund is planned on the order first (typed errors, nothing moved), then asked of the
        payment side keyed by :attr:`Refund.idempotency_key` (id and amount), then recorded. A
        decline is returned as a value with the order unchanged.

        Raises:
            NotFoundError: unknown order or line.
            RefundExceedsRefundableError: more than captured - refunded, a line or shipping allow.
            InvalidQuantityError / InvalidAmountError: bad quantities or amounts.
        """
        refund_id = self._ids.new_id("refund")
        now = self._clock.now()
        planned: list[Refund] = []

        def plan(order: Order) -> Refund:
            refund = order.plan_refund(
                refund_id=refund_id,
                amount=amount,
                lines=lines or {},
                shipping=shipping,
                reason=reason,
                now=now,
            )
            planned[:] = [refund]
            return refund

        outcome = self._refund_plan(order_id, plan)
        return RefundResult(
            self._repo.get(order_id), planned[0] if outcome.succeeded else None, outcome
        )

    # -- returns --------------------------------------------------------------------------------

    def request_return(
        self, order_id: str, lines: Sequence[ReturnLine], *, actor: str, note: str = ""
    ) -> Order:
        """Ask to return shipped units; the new return is ``order.returns[-1]``.

        Raises:
            ReturnQuantityError: more than shipped and not already being returned.
        """
        return_id = self._ids.new_id("return")
        now = self._clock.now()
        return self._update(
            order_id,
            lambda o: o.request_return(
                return_id=return_id, lines=lines, now=now, actor=actor, note=note
            ),
        )

    def approve_return(self, order_id: str, return_id: str, *, actor: str) -> Order:
        """Accept a requested return."""
        now = self._clock.now()
        return self._update(order_id, lambda o: o.approve_return(return_id, now=now, actor=actor))

    def reject_return(self, order_id: str, return_id: str, *, actor: str, reason: str) -> Order:
        """Refuse a requested return."""
        now = self._clock.now()
        return self._update(
            order_id, lambda o: o.reject_return(return_id, now=now, actor=actor, reason=reason)
        )

    def receive_return(
        self,
        order_id: str,
        return_id: str,
        *,
        restock_location: str | None,
        actor: str,
        write_off_reason: str = "damaged",
    ) -> Order:
        """Record returned goods: restocked into ``restock_location``, or written off when None.

        Raises:
            InvalidTransitionError: the return is not approved.
        """
        now = self._clock.now()

        def use_case() -> Order:
            order = self._repo.get(order_id)
            ret = order.receive_return(
                return_id, restock_location=restock_location, now=now, actor=actor
            )
            sources = order.return_sources(return_id)
            for line in ret.lines:
                sku = order.line(line.line_id).sku
                reference = f"{return_id}:{line.line_id}"
                if restock_location is not None:
                    self._stock.restock(
                        sku, location=restock_location, quantity=line.quantity, reference=reference
                    )
                    continue
                # Write off where the units shipped from (a line may have left several places).
                parts = [(loc, qty) for lid, loc, qty in sources if lid == line.line_id]
                for location, quantity in parts:
                    self._stock.write_off(
                        sku,
                        location=location,
                        quantity=quantity,
                        reference=reference if len(parts) == 1 else f"{reference}:{location}",
                        reason=write_off_reason,
                    )
            self._repo.save(order)
            return order

        return self._run(use_case)

    def refund_return(
        self, order_id: str, return_id: str, *, include_shipping: bool = False
    ) -> RefundResult:
        """Refund a received return's units (and, optionally, the remaining shipping).

        Idempotent per return: refunding a return that is already refunded returns its first
        refund (``result.refund``, with the provider's reference in ``result.payment``) and moves
        no money. A declined refund leaves the return ``received``; calling again retries it.

        Raises:
            NotFoundError: unknown order or return.
            InvalidTransitionError: the return is not received (requested, approved, rejected).
            RefundExceedsRefundableError: more than remains refundable.
        """
        refund_id = self._ids.new_id("refund")
        now = self._clock.now()
        planned: list[Refund] = []

        def plan(order: Order) -> Refund:
            ret = order.find_return(return_id)
            if ret.status is ReturnStatus.REFUNDED and ret.refund_id is not None:
                (first,) = (r for r in order.refunds if r.refund_id == ret.refund_id)
                planned[:] = [first]
                return first
            refund = order.plan_return_refund(
                return_id, refund_id=refund_id, now=now, include_shipping=include_shipping
            )
            planned[:] = [refund]
            return refund

        outcome = self._refund_plan(order_id, plan)
        order = self._repo.get(order_id)
        recorded = [r for r in order.refunds if r.refund_id == planned[0].refund_id]
        return RefundResult(order, recorded[0] if outcome.succeeded else None, outcome)
