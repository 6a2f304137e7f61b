"""The simulated gateway behaves like a provider in test mode: 3-D Secure and transient tokens."""

from __future__ import annotations

from commerce_core import Money, PaymentMethod, money
from commerce_core.adapters.memory import SimulatedPaymentGateway
from commerce_core.domain.payment_gateway import (
    Approved,
    AuthorizeRequest,
    Declined,
    RequiresAction,
    TransientFailure,
    VoidRequest,
)


def eur(amount: str) -> Money:
    return money(amount, "EUR")


def authorize(gateway: SimulatedPaymentGateway, key: str, token: str) -> object:
    return gateway.authorize(
        AuthorizeRequest(key, f"pay-{key}", f"ord-{key}", eur("10.00"), PaymentMethod(token))
    )


def test_completing_3ds_after_the_hold_was_voided_does_not_revive_it() -> None:
    gateway = SimulatedPaymentGateway()
    pending = authorize(gateway, "a-1", "tok_3ds_required")
    assert isinstance(pending, RequiresAction)
    reference = pending.reference
    voided = gateway.void(VoidRequest("v-1", "pay-a-1", reference))
    assert isinstance(voided, Approved)
    gateway.complete_action(reference)  # the customer finishes the challenge too late
    assert gateway.authorization(reference)["voided"] is True
    assert reference not in gateway.open_authorizations


def test_a_failed_3ds_challenge_voids_the_hold_and_a_passed_one_opens_it() -> None:
    gateway = SimulatedPaymentGateway()
    failed = authorize(gateway, "a-1", "tok_3ds_required")
    passed = authorize(gateway, "a-2", "tok_3ds_required")
    assert isinstance(failed, RequiresAction)
    assert isinstance(passed, RequiresAction)
    gateway.complete_action(failed.reference, approve=False)
    gateway.complete_action(passed.reference)
    assert gateway.open_authorizations == (passed.reference,)


def test_transient_tokens_fail_the_first_n_tries_of_every_request_not_only_the_first() -> None:
    gateway = SimulatedPaymentGateway()
    # tok_transient_2: each request (idempotency key) fails twice, its third try approves
    for key in ("pay-1", "pay-2", "pay-3"):
        answers = [authorize(gateway, key, "tok_transient_2") for _ in range(3)]
        assert [type(a) for a in answers] == [TransientFailure, TransientFailure, Approved]


def test_a_request_past_its_transient_failures_replays_its_approval() -> None:
    gateway = SimulatedPaymentGateway()
    answers = [authorize(gateway, "pay-1", "tok_transient_1") for _ in range(3)]
    assert isinstance(answers[0], TransientFailure)
    assert answers[1] == answers[2]  # the approval is remembered under the key
    assert not isinstance(answers[1], Declined)
