"""Contract suite for the :class:`~commerce_core.ports.payments.WebhookVerifier` port.

Override :meth:`WebhookVerifierContract.make_verifier` (your verifier for a secret, reading the
time from the given clock, with the suite's :attr:`~WebhookVerifierContract.tolerance`) and
:meth:`WebhookVerifierContract.sign` (the signature header your provider would send). Comparing
signatures in constant time is required of adapters too, but no test can observe it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce_core.adapters.memory import InMemoryClock
from commerce_core.errors import InvalidWebhookSignatureError
from commerce_core.ports.clock import Clock
from commerce_core.ports.payments import WebhookVerifier

__all__ = ["WebhookVerifierContract"]

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SECRET = b"whsec_contract_secret"
OTHER_SECRET = b"whsec_someone_else"
BODY = b'{"id": "evt_1", "type": "payment.captured", "amount": 2500}'


class WebhookVerifierContract:
    """What every WebhookVerifier adapter must do. Override the two methods below."""

    tolerance = timedelta(seconds=300)
    """How far a signature's time may be from now; :meth:`make_verifier` must honour it."""

    def make_verifier(self, secret: bytes, clock: Clock) -> WebhookVerifier:
        """Return a verifier for deliveries signed with ``secret``, reading now from ``clock``."""
        raise NotImplementedError

    def sign(self, secret: bytes, body: bytes, at: datetime) -> str:
        """Return the signature header the provider would send for ``body`` signed at ``at``."""
        raise NotImplementedError

    def _setup(self) -> tuple[WebhookVerifier, InMemoryClock]:
        clock = InMemoryClock(NOW)
        return self.make_verifier(SECRET, clock), clock

    def _rejects(self, verifier: WebhookVerifier, header: str, body: bytes) -> None:
        with pytest.raises(InvalidWebhookSignatureError) as info:
            verifier.verify(header, body)
        assert info.value.reason

    def test_a_delivery_signed_now_with_the_secret_is_accepted(self) -> None:
        verifier, _ = self._setup()
        header = self.sign(SECRET, BODY, NOW)
        verifier.verify(header, BODY)  # returns (raising would fail the test)
        verifier.verify(header, BODY)  # stateless: accepted again

    def test_a_signature_within_the_tolerance_either_side_of_now_is_accepted(self) -> None:
        verifier, _ = self._setup()
        inside = self.tolerance - timedelta(seconds=1)
        for at in (NOW - inside, NOW + inside):
            verifier.verify(self.sign(SECRET, BODY, at), BODY)

    def test_a_tampered_body_is_rejected(self) -> None:
        verifier, _ = self._setup()
        header = self.sign(SECRET, BODY, NOW)
        self._rejects(verifier, header, BODY.replace(b"2500", b"2501"))
        self._rejects(verifier, header, BODY + b" ")
        self._rejects(verifier, header, b"")

    def test_a_signature_made_with_another_secret_is_rejected(self) -> None:
        verifier, _ = self._setup()
        self._rejects(verifier, self.sign(OTHER_SECRET, BODY, NOW), BODY)

    def test_a_signature_older_or_newer_than_the_tolerance_is_rejected(self) -> None:
        verifier, _ = self._setup()
        beyond = self.tolerance + timedelta(seconds=1)
        self._rejects(verifier, self.sign(SECRET, BODY, NOW - beyond), BODY)
        self._rejects(verifier, self.sign(SECRET, BODY, NOW + beyond), BODY)

    def test_a_replayed_delivery_is_rejected_once_the_clock_passes_the_tolerance(self) -> None:
        verifier, clock = self._setup()
        header = self.sign(SECRET, BODY, NOW)
        verifier.verify(header, BODY)
        clock.advance(self.tolerance + timedelta(seconds=1))
        self._rejects(verifier, header, BODY)

    def test_a_missing_or_garbled_header_is_rejected(self) -> None:
        verifier, _ = self._setup()
        header = self.sign(SECRET, BODY, NOW)
        for garbled in ("", " ", "not a signature", header[: len(header) // 2], header[::-1]):
            self._rejects(verifier, garbled, BODY)

    def test_a_signature_for_another_body_is_rejected_and_rejection_is_repeatable(self) -> None:
        verifier, _ = self._setup()
        other = self.sign(SECRET, b'{"id": "evt_2"}', NOW)
        self._rejects(verifier, other, BODY)
        self._rejects(verifier, other, BODY)
