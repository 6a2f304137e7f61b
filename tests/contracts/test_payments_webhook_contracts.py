from __future__ import annotations

from datetime import datetime

from commerce_core.adapters.webhooks import HmacSha256WebhookVerifier, sign_webhook
from commerce_core.ports.clock import Clock
from commerce_core.ports.payments import WebhookVerifier
from commerce_core.testing.contracts import WebhookVerifierContract


class TestHmacSha256WebhookVerifier(WebhookVerifierContract):
    def make_verifier(self, secret: bytes, clock: Clock) -> WebhookVerifier:
        return HmacSha256WebhookVerifier(secret, clock, tolerance=self.tolerance)

    def sign(self, secret: bytes, body: bytes, at: datetime) -> str:
        return sign_webhook(secret, body, int(at.timestamp()))
