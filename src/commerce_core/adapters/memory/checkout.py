"""The in-memory checkout log (thread-safe; attempts stored as JSON snapshots)."""

from __future__ import annotations

from commerce_core.adapters.memory.core import VersionedSnapshotStore
from commerce_core.domain.checkout import CheckoutAttempt
from commerce_core.errors import (
    CheckoutInProgressError,
    ConcurrencyConflictError,
    NotFoundError,
)

__all__ = ["InMemoryCheckoutLog"]


class InMemoryCheckoutLog:
    """A :class:`~commerce_core.ports.checkout.CheckoutLog` in memory.

    One lock guards the attempts and the index of unfinished attempts per cart, so ``begin`` and
    ``save`` check and write in one critical section (never held between calls).
    """

    def __init__(self) -> None:
        self._store: VersionedSnapshotStore[CheckoutAttempt] = VersionedSnapshotStore(
            "checkout",
            CheckoutAttempt.to_snapshot,
            CheckoutAttempt.from_snapshot,
            fresh_snapshots=True,
            plain_snapshots=True,
        )
        self._carts: dict[str, str] = {}

    def begin(self, attempt: CheckoutAttempt) -> tuple[CheckoutAttempt, bool]:
        """Store ``attempt`` unless its id exists; refuse a second unfinished one per cart."""
        with self._store.lock:
            if self._store.version_of(attempt.checkout_id):
                return self._store.get(attempt.checkout_id), False
            holder = self._carts.get(attempt.cart_id)
            if holder is not None:
                raise CheckoutInProgressError(attempt.cart_id, holder)
            attempt.version = self._store.save(attempt.checkout_id, attempt, 0)
            if not attempt.is_terminal:
                self._carts[attempt.cart_id] = attempt.checkout_id
            return attempt, True

    def get(self, checkout_id: str) -> CheckoutAttempt:
        """The attempt ``checkout_id`` (``NotFoundError`` when absent)."""
        return self._store.get(checkout_id)

    def find(self, checkout_id: str) -> CheckoutAttempt | None:
        """The attempt ``checkout_id``, or None when absent (``get`` without the exception)."""
        if not self._store.version_of(checkout_id):  # attempts are never deleted
            return None
        return self._store.get(checkout_id)

    def save(self, attempt: CheckoutAttempt) -> None:
        """Store a changed attempt under the version check; a terminal one frees its cart."""
        with self._store.lock:
            if not attempt.version and not self._store.version_of(attempt.checkout_id):
                raise NotFoundError("checkout", attempt.checkout_id)  # saving would create it
            try:
                attempt.version = self._store.save(attempt.checkout_id, attempt, attempt.version)
            except ConcurrencyConflictError as conflict:
                if not conflict.actual_version:  # nothing stored under this id: never begun
                    raise NotFoundError("checkout", attempt.checkout_id) from None
                raise
            if attempt.is_terminal and self._carts.get(attempt.cart_id) == attempt.checkout_id:
                del self._carts[attempt.cart_id]

    def unfinished(self) -> tuple[CheckoutAttempt, ...]:
        """Attempts neither succeeded nor failed, least recently updated first."""
        attempts = [a for a in self._store.all() if not a.is_terminal]
        return tuple(sorted(attempts, key=lambda a: (a.updated_at, a.checkout_id)))

    def unannounced(self) -> tuple[CheckoutAttempt, ...]:
        """Succeeded or failed attempts not marked announced, least recently updated first."""
        attempts = [a for a in self._store.all() if a.is_terminal and not a.announced]
        return tuple(sorted(attempts, key=lambda a: (a.updated_at, a.checkout_id)))

    def all(self) -> tuple[CheckoutAttempt, ...]:
        """Every attempt (tests and demos)."""
        return tuple(self._store.all())
