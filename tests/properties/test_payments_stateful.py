"""The Payment aggregate against a plain model: integers in cents and a status string."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from commerce_core import (
    Approved,
    DeclineCode,
    Declined,
    InvalidTransitionError,
    OverCaptureError,
    OverRefundError,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RequiredAction,
    RequiresAction,
    from_minor,
    to_minor,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
AMOUNT = 10_000  # 100.00 EUR in cents


def eur(cents: int) -> object:
    return from_minor(cents, "EUR")


class PaymentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.payment = Payment.create(
            "p", "o", from_minor(AMOUNT, "EUR"), PaymentMethod("t"), now=NOW
        )
        self.status = "created"
        self.authorized = self.captured = self.refunded = 0
        self.keys = 0

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    @precondition(lambda self: self.status == "created")
    @rule(
        outcome=st.sampled_from(["approve", "decline", "action"]),
        cents=st.integers(1, AMOUNT),
    )
    def authorize(self, outcome: str, cents: int) -> None:
        if outcome == "approve":
            result: object = Approved("r", from_minor(cents, "EUR"))
            self.status, self.authorized = "authorized", cents
        elif outcome == "decline":
            result = Declined(DeclineCode.CARD_DECLINED)
            self.status = "failed"
        else:
            result = RequiresAction("r", RequiredAction("three_d_secure"))
            self.status = "requires_action"
        assert isinstance(result, Approved | Declined | RequiresAction)
        self.payment.record_authorization(result, key=self.key(), now=NOW)

    @rule(cents=st.integers(1, AMOUNT))
    def capture(self, cents: int) -> None:
        allowed = self.status in ("authorized", "partially_captured")
        fits = cents <= self.authorized - self.captured
        before = self.payment.to_snapshot()
        try:
            self.payment.record_capture(
                from_minor(cents, "EUR"),
                Approved("r", from_minor(cents, "EUR")),
                key=self.key(),
                now=NOW,
            )
        except InvalidTransitionError:
            assert not allowed
            assert self.payment.to_snapshot() == before
            return
        except OverCaptureError:
            assert allowed
            assert not fits
            assert self.payment.to_snapshot() == before
            return
        assert allowed
        assert fits
        self.captured += cents
        self.status = "captured" if self.captured == self.authorized else "partially_captured"

    @rule(cents=st.integers(1, AMOUNT))
    def refund(self, cents: int) -> None:
        allowed = self.status in ("partially_captured", "captured", "partially_refunded")
        fits = cents <= self.captured - self.refunded
        before = self.payment.to_snapshot()
        try:
            self.payment.record_refund(
                from_minor(cents, "EUR"),
                Approved("r", from_minor(cents, "EUR")),
                key=self.key(),
                now=NOW,
            )
        except InvalidTransitionError:
            assert not allowed
            assert self.payment.to_snapshot() == before
            return
        except OverRefundError:
            assert allowed
            assert not fits
            assert self.payment.to_snapshot() == before
            return
        assert allowed
        assert fits
        self.refunded += cents
        self.status = "refunded" if self.refunded == self.captured else "partially_refunded"

    @rule()
    def void(self) -> None:
        allowed = self.status in ("authorized", "requires_action", "partially_captured")
        before = self.payment.to_snapshot()
        try:
            self.payment.record_void(
                Approved("r", from_minor(AMOUNT, "EUR")), key=self.key(), now=NOW
            )
        except InvalidTransitionError:
            assert not allowed
            assert self.payment.to_snapshot() == before
            return
        assert allowed
        if self.status == "partially_captured":
            # the uncaptured rest is released; what was captured stays captured (and refundable)
            self.authorized, self.status = self.captured, "captured"
        else:
            self.status = "voided"

    @rule()
    def declined_capture_changes_nothing(self) -> None:
        before = (self.payment.status, self.payment.captured)
        self.payment.record_capture(
            from_minor(1, "EUR"), Declined(DeclineCode.NOT_PERMITTED), key=self.key(), now=NOW
        )
        assert (self.payment.status, self.payment.captured) == before

    @invariant()
    def matches_the_model(self) -> None:
        assert self.payment.status == PaymentStatus(self.status)
        assert to_minor(self.payment.authorized) == self.authorized
        assert to_minor(self.payment.captured) == self.captured
        assert to_minor(self.payment.refunded) == self.refunded

    @invariant()
    def money_invariants_hold(self) -> None:
        assert self.payment.refunded <= self.payment.captured <= self.payment.authorized

    @invariant()
    def snapshots_round_trip(self) -> None:
        copy = Payment.from_snapshot(self.payment.to_snapshot(), 0)
        assert copy.to_snapshot() == self.payment.to_snapshot()


PaymentMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
TestPaymentLifecycle = PaymentMachine.TestCase
