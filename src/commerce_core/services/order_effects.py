"""The real services behind the order ports: ``OrderStock`` and ``OrderPayments`` adapters.

:class:`InventoryOrderStock` maps the order's stock side effects onto
:class:`~commerce_core.services.inventory.InventoryService`, and
:class:`PaymentServiceOrderPayments` maps voids and refunds of an *order* onto the individual
payments (tenders) of :class:`~commerce_core.services.payments.PaymentService`.

**The stock model.** Checkout commits the whole reservation when the order is placed: the units
are sold then (``SALE`` movements at the allocated locations). So:

* ``commit`` at shipment is a no-op for a committed reservation (an active one is committed
  whole, since the inventory commits reservations as a unit);
* cancelling lines of a *committed* reservation puts those units back on hand where they were
  allocated (``RETURN`` movements with the reference ``"<reservation>|<key>"``, so a repeated
  call is a no-op); cancelling lines of a still *active* reservation replaces it with the reduced
  lines, and cancelling everything releases it;
* returned goods go back through the ledger: restocked (``RETURN``), or written off as a
  ``RETURN`` followed by a ``WRITE_OFF`` of the same units at the same location, both under the
  return's reference: on hand is unchanged and both movements are visible.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Final

from commerce_core.domain.inventory import MovementKind, Reservation, ReservationState
from commerce_core.domain.orders import PaymentOutcome, StockLine
from commerce_core.domain.payment import Payment
from commerce_core.domain.payment_gateway import Approved, ClaimStatus, amount_key
from commerce_core.errors import InvalidQuantityError
from commerce_core.money import Money, allocate, money_from_data, money_to_data, to_minor, zero
from commerce_core.ports.payments import IdempotencyStore, PaymentRepository
from commerce_core.services.inventory import InventoryService
from commerce_core.services.payments import PaymentResult, PaymentService
from commerce_core.services.retry import retry_on_conflict

__all__ = ["InventoryOrderStock", "PaymentServiceOrderPayments"]

_CANCEL_REASON: Final = "order lines cancelled"
_EXACT_VOID_LIMIT: Final = 12


def _merge(lines: Iterable[StockLine]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for line in lines:
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    return merged


def _check_held(reservation: Reservation, wanted: Mapping[str, int]) -> None:
    held = reservation.requested
    for sku, quantity in wanted.items():
        if quantity > held.get(sku, 0):
            raise InvalidQuantityError(
                quantity,
                f"reservation {reservation.id} holds {held.get(sku, 0)} of {sku}",
            )


class InventoryOrderStock:
    """:class:`~commerce_core.ports.orders.OrderStock` over the inventory service.

    Every method is idempotent by its key. Ledger movements carry the key as their reference, so
    the inventory store's own per-reference idempotency guards them (also across processes).
    The one operation with no ledger entry, reducing a still *active* reservation, is guarded by
    a per-instance record of applied keys (and a compare-and-set on the reservation's version,
    so concurrent reductions never overwrite one another): share one instance per process, or commit
    reservations at checkout (the recommended model), which makes every cancellation a keyed
    ledger movement.

    Args:
        inventory: the inventory service.
    """

    def __init__(self, inventory: InventoryService) -> None:
        self._inventory = inventory
        self._applied: set[str] = set()
        self._running: set[str] = set()
        self._changed = threading.Condition()

    def commit(
        self,
        reservation_id: str,
        *,
        lines: Sequence[StockLine],
        location: str,  # noqa: ARG002 - units leave the locations the reservation allocated
        idempotency_key: str,
    ) -> None:
        """Make sure the reservation is sold; a no-op when it is already committed.

        ``lines`` are checked against the reservation; ``location`` is informational (the units
        leave the locations the reservation allocated them from).

        Raises:
            NotFoundError: unknown reservation (kind ``"reservation"``).
            InvalidQuantityError: more than the reservation holds for a SKU.
            InvalidTransitionError: the reservation was released or expired.
        """
        reservation = self._inventory.reservation(reservation_id)
        _check_held(reservation, _merge(lines))
        if reservation.state is ReservationState.COMMITTED:
            return
        self._inventory.commit(reservation_id, reference=idempotency_key)

    def release(
        self, reservation_id: str, *, lines: Sequence[StockLine] = (), idempotency_key: str
    ) -> None:
        """Give cancelled units back to sale (``lines``, or the whole reservation when empty).

        * released or expired reservation: nothing to do;
        * active: release it whole, or replace it with the reduced lines (keeping its expiry
          and preferring the locations it already held);
        * committed: put the units back on hand at their allocated locations, latest allocation
          first, never more per location than was allocated there and not yet put back by an
          earlier cancellation (``RETURN`` movements referenced ``"<reservation>|<key>"``);
          backordered units have no location and nothing is put back for them.

        **Concurrency.** The reduced lines are computed from the reservation as read and
        written with a compare-and-set on its ``version``
        (:meth:`~commerce_core.services.inventory.InventoryService.replace` with
        ``expected_version``); a conflict (another cancellation landed in between, through
        this adapter or another process's) re-reads and recomputes, up to
        :data:`~commerce_core.services.retry.DEFAULT_CONFLICT_ATTEMPTS` times
        (``retry_on_conflict``). So concurrent cancellations of distinct units under distinct keys
        each take effect exactly once; calls repeating one key through this adapter run one at
        a time, and the replays do nothing.

        Raises:
            NotFoundError: unknown reservation (kind ``"reservation"``).
            InvalidQuantityError: more than the reservation holds for a SKU.
            ConcurrencyConflictError: the reservation kept changing under every attempt.
        """
        wanted = _merge(lines)
        with self._changed:
            while idempotency_key in self._running:
                self._changed.wait()
            if idempotency_key in self._applied:
                # A replay: the reservation already holds fewer units than ``lines`` name.
                return
            self._running.add(idempotency_key)
        try:
            retry_on_conflict(lambda: self._release_once(reservation_id, wanted, idempotency_key))
            with self._changed:
                self._applied.add(idempotency_key)
        finally:
            with self._changed:
                self._running.discard(idempotency_key)
                self._changed.notify_all()

    def _release_once(self, reservation_id: str, wanted: Mapping[str, int], key: str) -> None:
        """One attempt: read the reservation, then change it only if it is still that version."""
        reservation = self._inventory.reservation(reservation_id)
        _check_held(reservation, wanted)
        if reservation.state in (ReservationState.RELEASED, ReservationState.EXPIRED):
            return
        if reservation.state is ReservationState.COMMITTED:
            self._restock_committed(reservation, wanted or reservation.requested, key)
            return
        remaining = {
            sku: quantity - wanted.get(sku, 0)
            for sku, quantity in reservation.requested.items()
            if quantity > wanted.get(sku, 0)
        }
        if not wanted or not remaining:
            self._inventory.release(reservation_id)
            return
        self._inventory.replace(
            reservation_id,
            remaining.items(),
            owner=reservation.owner,
            expires_at=reservation.expires_at,
            preference=[a.location for line in reservation.lines for a in line.allocations],
            expected_version=reservation.version,
        )

    def _restock_committed(
        self, reservation: Reservation, wanted: Mapping[str, int], key: str
    ) -> None:
        prefix = f"{reservation.id}|"
        reference = f"{prefix}{key}"
        for sku, quantity in wanted.items():
            line = reservation.line(sku)
            already: dict[str, int] = {}
            for movement in self._inventory.store.ledger(sku):
                # Units put back by *earlier* cancellations of this reservation; this key's own
                # movements are left out, so a replay plans the same restocks, which the store
                # then ignores (idempotent per reference).
                if (
                    movement.kind is MovementKind.RETURN
                    and movement.reference.startswith(prefix)
                    and movement.reference != reference
                ):
                    already[movement.location] = already.get(movement.location, 0) + (
                        movement.quantity
                    )
            left = quantity
            for allocation in reversed(line.allocations):
                room = allocation.quantity - already.get(allocation.location, 0)
                units = min(left, room)
                if units > 0:
                    self._inventory.restock(
                        sku,
                        allocation.location,
                        units,
                        reference=reference,
                        reason=_CANCEL_REASON,
                    )
                    left -= units
                if left == 0:
                    break

    def restock(self, sku: str, *, location: str, quantity: int, reference: str) -> None:
        """Put returned units back on hand at ``location`` (a ``RETURN`` movement).

        Raises:
            NotFoundError: unknown SKU or location.
            InvalidQuantityError: a quantity that is not a positive integer.
        """
        self._inventory.restock(
            sku, location, quantity, reference=reference, reason="returned by customer"
        )

    def write_off(
        self, sku: str, *, location: str, quantity: int, reference: str, reason: str
    ) -> None:
        """Record returned, unsellable units: a ``RETURN`` then a ``WRITE_OFF`` (net zero).

        Both movements carry ``reference``, so a repeated call adds neither. Should the write-off
        fail after the return was booked (a reservation took the units in between), the call
        raises and its retry books only the missing write-off.

        Raises:
            NotFoundError: unknown SKU or location.
            InvalidQuantityError: a quantity that is not a positive integer.
        """
        self._inventory.restock(
            sku, location, quantity, reference=reference, reason=f"returned: {reason}"
        )
        self._inventory.write_off(sku, location, quantity, reference=reference, reason=reason)


def _outcome_to_data(outcome: PaymentOutcome) -> dict[str, Any]:
    return {
        "succeeded": outcome.succeeded,
        "amount": money_to_data(outcome.amount),
        "reference": outcome.reference,
        "reason": outcome.reason,
    }


def _outcome_from_data(data: Mapping[str, Any]) -> PaymentOutcome:
    return PaymentOutcome(
        bool(data["succeeded"]),
        money_from_data(data["amount"]),
        str(data["reference"]),
        str(data["reason"]),
    )


def _reference(result: PaymentResult) -> str:
    return result.result.reference if isinstance(result.result, Approved) else ""


class PaymentServiceOrderPayments:
    """:class:`~commerce_core.ports.orders.OrderPayments` over the payment service (split tender).

    An order may be paid with several payments (a gift card and a card). This adapter spreads an
    order-level request over them:

    * **void** releases whole open authorizations (``PaymentSummary.open_authorizations``): the
      first subset, in payment order, whose authorized amounts add up to exactly ``amount``.
      Providers cannot release part of a hold, so when no subset matches, the outcome is a
      decline (capture only what is due instead; the provider releases the rest).
    * **refund** splits ``amount`` over the captured payments in proportion to what each still
      has refundable, with the exact-sum :func:`~commerce_core.money.allocate`; each part is
      refunded with the order's key as the payment ``scope``.

    **Idempotency.** The outcome of each key is stored in ``idempotency`` (namespaced
    ``"order-void:"`` / ``"order-refund:"``, so it may be the payment service's own store): a
    repeated call returns it without moving money. A failed outcome is final for its key too;
    the order service reports it and staff retry under a new key. A split that fails part way
    (the card declines after the gift card was refunded) reports ``succeeded=False`` and names
    what moved in ``reason``; the payments hold the truth.

    **A repeat while the first call runs** (same key, another thread or process) waits for the
    first call's outcome and returns it, polling the store every ``poll_interval`` for at most
    ``in_progress_wait``. Should the first call still be running then (or have crashed, until
    the store's claim lease lapses), the repeat returns
    ``PaymentOutcome(succeeded=False, in_progress=True)``: nothing was decided, so it is not a
    decline; repeat the call with the same key later to get the first outcome.

    Args:
        payments: the payment service.
        repository: the payment repository (lists an order's payments).
        idempotency: stores each key's outcome.
        in_progress_wait: how long a repeat waits for the first call's outcome.
        poll_interval: how often the waiting repeat looks at the store again.
        sleep: how to wait ``poll_interval`` (seconds); injectable for tests.
    """

    def __init__(
        self,
        payments: PaymentService,
        *,
        repository: PaymentRepository,
        idempotency: IdempotencyStore,
        in_progress_wait: timedelta = timedelta(seconds=5),
        poll_interval: timedelta = timedelta(milliseconds=10),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if poll_interval <= timedelta(0) or in_progress_wait < timedelta(0):
            msg = "poll_interval must be positive and in_progress_wait not negative"
            raise ValueError(msg)
        self._payments = payments
        self._repository = repository
        self._idempotency = idempotency
        self._polls = math.ceil(in_progress_wait / poll_interval)
        self._poll_seconds = poll_interval.total_seconds()
        self._sleep = sleep

    def _once(
        self,
        operation: str,
        order_id: str,
        amount: Money,
        key: str,
        act: Callable[[], PaymentOutcome],
    ) -> PaymentOutcome:
        store_key = f"order-{operation}:{order_id}:{key}"
        fingerprint = f"{order_id}|{operation}|{amount_key(amount)}"
        claim = self._idempotency.claim(store_key, fingerprint)
        polls = 0
        while claim.status is ClaimStatus.IN_PROGRESS:
            if polls == self._polls:
                return PaymentOutcome(
                    False,
                    amount,
                    "",
                    f"{operation} {key} is still in progress: repeat it with the same key",
                    in_progress=True,
                )
            self._sleep(self._poll_seconds)
            polls += 1
            claim = self._idempotency.claim(store_key, fingerprint)
        if claim.status is ClaimStatus.COMPLETED and claim.result is not None:
            return _outcome_from_data(claim.result)
        try:
            outcome = act()
        except BaseException:
            self._idempotency.release(store_key, fingerprint)
            raise
        self._idempotency.complete(store_key, fingerprint, _outcome_to_data(outcome))
        return outcome

    def void(self, order_id: str, amount: Money, *, idempotency_key: str) -> PaymentOutcome:
        """Void whole open authorizations of the order adding up to ``amount``."""
        return self._once(
            "void", order_id, amount, idempotency_key, lambda: self._void(order_id, amount)
        )

    def _void(self, order_id: str, amount: Money) -> PaymentOutcome:
        summary = self._payments.summary(order_id, str(amount.currency.code))
        holds = [self._payments.get(pid) for pid in summary.open_authorizations]
        chosen = _exact_subset(holds, amount)
        if chosen is None:
            open_text = ", ".join(f"{p.id} {p.authorized}" for p in holds) or "none"
            return PaymentOutcome(
                False,
                amount,
                "",
                f"no open authorizations add up to {amount} (open: {open_text}); "
                "a hold cannot be released in part",
            )
        return _combine(amount, [(p.id, self._payments.void(p.id)) for p in chosen])

    def refund(
        self,
        order_id: str,
        amount: Money,
        *,
        idempotency_key: str,
        reason: str = "",  # noqa: ARG002 - payment refunds carry no reason; the order keeps it
    ) -> PaymentOutcome:
        """Refund ``amount`` across the order's captured payments (proportional split)."""
        return self._once(
            "refund",
            order_id,
            amount,
            idempotency_key,
            lambda: self._refund(order_id, amount, idempotency_key),
        )

    def _refund(self, order_id: str, amount: Money, key: str) -> PaymentOutcome:
        paid = [p for p in self._repository.for_order(order_id) if p.refundable.amount > 0]
        refundable = sum((p.refundable for p in paid), zero(amount.currency))
        if not paid or amount > refundable:
            return PaymentOutcome(
                False, amount, "", f"only {refundable} is refundable on the order's payments"
            )
        parts = allocate(amount, [to_minor(p.refundable) for p in paid])
        results: list[tuple[str, PaymentResult]] = []
        for payment, part in zip(paid, parts, strict=True):
            if part.amount > 0:
                results.append((payment.id, self._payments.refund(payment.id, part, scope=key)))
                if not results[-1][1].approved:
                    break
        return _combine(amount, results)


def _exact_subset(holds: Sequence[Payment], amount: Money) -> list[Payment] | None:
    """The first subset (fewest payments, then payment order) authorized for exactly ``amount``."""
    if len(holds) > _EXACT_VOID_LIMIT:  # pragma: no cover - more tenders than any checkout has
        holds = holds[:_EXACT_VOID_LIMIT]
    for size in range(1, len(holds) + 1):
        for subset in itertools.combinations(holds, size):
            if sum((p.authorized for p in subset), zero(amount.currency)) == amount:
                return list(subset)
    return None


def _combine(amount: Money, results: Sequence[tuple[str, PaymentResult]]) -> PaymentOutcome:
    """One order-level outcome from per-payment results (succeeded only if all approved)."""
    references = ",".join(_reference(r) for _pid, r in results if r.approved)
    failed = [(pid, r) for pid, r in results if not r.approved]
    if not failed:
        return PaymentOutcome(True, amount, references)
    moved = [f"{pid} {r.amount}" for pid, r in results if r.approved]
    pid, result = failed[0]
    detail = result.decline_code or result.outcome
    done = f"; already done: {', '.join(moved)}" if moved else ""
    return PaymentOutcome(False, amount, "", f"{pid} {result.operation} {detail}{done}")
