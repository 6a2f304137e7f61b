"""What a cancellation still owes the outside world: stock back to sale, a hold voided, money back.

Cancelling an order is one save; releasing its stock and voiding or refunding its money are calls
to other systems that may be down or may decline. So the cancellation records, in the same save,
a :class:`CancellationSettlement` listing the steps still to do (:class:`SettlementStep`). The
order service performs each step after the save and marks it done in the save that records its
effect (the void, the refund); a step that failed stays pending, with its error, and is retried
by ``OrderService.settle_cancellation`` (or a repeated ``cancel``). A declined payment step bumps
:meth:`CancellationSettlement.attempt_of` that step, so its retry asks the payment side under a
fresh key (a declined key keeps its first answer); an exception (provider unreachable) does not,
so a retry after a crash re-asks under the same key and never moves money twice. Attempts are
counted per step: a declined void never changes the key of a refund that may already have been
carried out.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import attrs

from commerce_core.domain.events import DomainEvent
from commerce_core.money import Money, money_from_data, money_to_data

__all__ = [
    "SettlementStep",
    "CancellationSettlement",
    "CancellationSettlementFailed",
    "CancellationSettled",
]


class SettlementStep(StrEnum):
    """One side effect of a cancellation, in the order the service performs them."""

    RELEASE_STOCK = "release_stock"
    VOID = "void"
    REFUND = "refund"


@attrs.frozen
class CancellationSettlement:
    """The side effects one cancellation still has to carry out.

    Attributes:
        settlement_id: unique within the order; the base of every idempotency key it uses.
        value: the gross value cancelled (the most it voids).
        lines: ``(line_id, quantity)`` cancelled; empty for a whole-order cancellation.
        pending: the steps not done yet.
        declines: ``(step, count)`` of the steps the payment side declined (their retries use
            a fresh key).
        last_error: why the last attempt at a step failed (empty when none failed).
    """

    settlement_id: str
    value: Money
    lines: tuple[tuple[str, int], ...]
    pending: frozenset[SettlementStep]
    declines: tuple[tuple[SettlementStep, int], ...] = ()
    last_error: str = ""

    @property
    def settled(self) -> bool:
        """Whether every step is done."""
        return not self.pending

    def attempt_of(self, step: SettlementStep) -> int:
        """How many times the payment side declined ``step``."""
        return dict(self.declines).get(step, 0)

    def declined(self, step: SettlementStep, reason: str) -> CancellationSettlement:
        """This settlement after a decline of ``step``: its next attempt uses a fresh key."""
        counts = dict(self.declines)
        counts[step] = counts.get(step, 0) + 1
        return attrs.evolve(
            self, declines=tuple(sorted(counts.items())), last_error=f"{step.value}: {reason}"
        )

    def key(self, step: SettlementStep) -> str:
        """The idempotency key of ``step`` for the current attempt.

        >>> from commerce_core.money import money
        >>> s = CancellationSettlement("o1:cancel", money("5", "EUR"), (), frozenset())
        >>> (
        ...     s.key(SettlementStep.VOID),
        ...     s.declined(SettlementStep.VOID, "no").key(SettlementStep.VOID),
        ... )
        ('o1:cancel:void', 'o1:cancel:void:1')
        """
        base = f"{self.settlement_id}:{step.value}"
        if step is SettlementStep.RELEASE_STOCK:
            return self.settlement_id  # the key releases were always made with
        attempt = self.attempt_of(step)
        return base if attempt == 0 else f"{base}:{attempt}"

    def to_data(self) -> dict[str, Any]:
        """As JSON primitives."""
        return {
            "settlement_id": self.settlement_id,
            "value": money_to_data(self.value),
            "lines": [list(pair) for pair in self.lines],
            "pending": sorted(step.value for step in self.pending),
            "declines": [[step.value, count] for step, count in self.declines],
            "last_error": self.last_error,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CancellationSettlement:
        """From :meth:`to_data` output."""
        return cls(
            data["settlement_id"],
            money_from_data(data["value"]),
            tuple((lid, q) for lid, q in data["lines"]),
            frozenset(SettlementStep(s) for s in data["pending"]),
            tuple((SettlementStep(step), count) for step, count in data["declines"]),
            data["last_error"],
        )


@attrs.frozen(kw_only=True)
class CancellationSettlementFailed(DomainEvent):
    """A step of a cancellation's settlement failed; it stays pending for a retry."""

    order_id: str
    settlement_id: str
    step: str
    reason: str
    attempt: int


@attrs.frozen(kw_only=True)
class CancellationSettled(DomainEvent):
    """Every side effect of a cancellation was carried out (stock released, money settled)."""

    order_id: str
    settlement_id: str
