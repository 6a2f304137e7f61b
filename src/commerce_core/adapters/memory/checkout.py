"""The in-memory checkout log (thread-safe; attempts kept as rows read back as snapshots)."""

from __future__ import annotations

import threading

from commerce_core.domain.checkout import CheckoutAttempt, _AttemptRow, _snapshot_of_row
from commerce_core.errors import (
    CheckoutInProgressError,
    ConcurrencyConflictError,
    NotFoundError,
)

__all__ = ["InMemoryCheckoutLog"]

_KIND = "checkout"


class InMemoryCheckoutLog:
    """A :class:`~commerce_core.ports.checkout.CheckoutLog` in memory.

    Each save keeps the whole attempt, under an optimistic version check, as a row of the values
    its snapshot is written from (``CheckoutAttempt._to_row``: the immutable values themselves,
    a new copy of every dict): a read rebuilds the attempt from the snapshot of that row, the
    very snapshot ``to_snapshot()`` gave at the save (``_snapshot_of_row``), so the log answers
    as one keeping snapshots would, without writing one on every save.

    One lock guards the attempts, their versions and the index of unfinished attempts per cart,
    so ``begin`` and ``save`` check and write in one critical section (never held between
    calls).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._rows: dict[str, _AttemptRow] = {}
        """The latest row of each attempt (``_versions`` holds its version: no pair is kept per
        attempt; both dicts change together under the lock, so they list the same ids in the
        same order)."""
        self._carts: dict[str, str] = {}

    def begin(self, attempt: CheckoutAttempt) -> tuple[CheckoutAttempt, bool]:
        """Store ``attempt`` unless its id exists; refuse a second unfinished one per cart."""
        checkout_id = attempt.checkout_id
        row = attempt._to_row()
        with self._lock:
            version = self._versions.get(checkout_id)
            if version is None:
                holder = self._carts.get(attempt.cart_id)
                if holder is not None:
                    raise CheckoutInProgressError(attempt.cart_id, holder)
                self._versions[checkout_id] = attempt.version = 1
                self._rows[checkout_id] = row
                if not attempt.is_terminal:
                    self._carts[attempt.cart_id] = checkout_id
                return attempt, True
            stored = self._rows[checkout_id]
        return _rebuild(stored, version), False

    def get(self, checkout_id: str) -> CheckoutAttempt:
        """The attempt ``checkout_id`` (``NotFoundError`` when absent)."""
        with self._lock:
            version = self._versions.get(checkout_id)
            if version is None:
                raise NotFoundError(_KIND, checkout_id)
            row = self._rows[checkout_id]
        return _rebuild(row, version)

    def find(self, checkout_id: str) -> CheckoutAttempt | None:
        """The attempt ``checkout_id``, or None when absent (``get`` without the exception)."""
        with self._lock:
            version = self._versions.get(checkout_id)
            if version is None:  # attempts are never deleted
                return None
            row = self._rows[checkout_id]
        return _rebuild(row, version)

    def save(self, attempt: CheckoutAttempt) -> None:
        """Store a changed attempt under the version check; a terminal one frees its cart."""
        checkout_id = attempt.checkout_id
        row = attempt._to_row()
        with self._lock:
            current = self._versions.get(checkout_id, 0)
            if not current:  # nothing stored under this id: saving would create it
                raise NotFoundError(_KIND, checkout_id)
            if current != attempt.version:
                raise ConcurrencyConflictError(_KIND, checkout_id, attempt.version, current)
            self._versions[checkout_id] = attempt.version = current + 1
            self._rows[checkout_id] = row
            if attempt.is_terminal and self._carts.get(attempt.cart_id) == checkout_id:
                del self._carts[attempt.cart_id]

    def unfinished(self) -> tuple[CheckoutAttempt, ...]:
        """Attempts neither succeeded nor failed, least recently updated first."""
        attempts = [a for a in self.all() if not a.is_terminal]
        return tuple(sorted(attempts, key=lambda a: (a.updated_at, a.checkout_id)))

    def unannounced(self) -> tuple[CheckoutAttempt, ...]:
        """Succeeded or failed attempts not marked announced, least recently updated first."""
        attempts = [a for a in self.all() if a.is_terminal and not a.announced]
        return tuple(sorted(attempts, key=lambda a: (a.updated_at, a.checkout_id)))

    def all(self) -> tuple[CheckoutAttempt, ...]:
        """Every attempt (tests and demos)."""
        with self._lock:
            rows = list(zip(self._versions.values(), self._rows.values(), strict=True))
        return tuple(_rebuild(row, version) for version, row in rows)


def _rebuild(row: _AttemptRow, version: int) -> CheckoutAttempt:
    """The attempt of ``row`` at ``version``, as ``from_snapshot`` rebuilds its snapshot."""
    return CheckoutAttempt.from_snapshot(_snapshot_of_row(row), version)
