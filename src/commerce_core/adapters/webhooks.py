"""Webhook signature verification for the common ``t=<timestamp>,v1=<hex>`` header scheme.

The provider signs ``"<timestamp>.<raw body>"`` with HMAC-SHA256 under a shared secret and sends
``t=<unix seconds>,v1=<hex digest>`` (several ``v1`` entries during secret rotation). A body is
authentic when any ``v1`` matches (compared in constant time) and the timestamp is within the
tolerance of the Clock's now, which defeats replays of old deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from commerce_core.errors import InvalidPaymentSettingError, InvalidWebhookSignatureError
from commerce_core.ports.clock import Clock

__all__ = ["HmacSha256WebhookVerifier", "sign_webhook", "DEFAULT_TOLERANCE"]

DEFAULT_TOLERANCE = timedelta(seconds=300)


def _secret_bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def _digest(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_webhook(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """The signature header a provider would send for ``body`` at ``timestamp`` (unix seconds).

    >>> sign_webhook("whsec_test", b"{}", 1767225600)[:13]
    't=1767225600,'
    """
    return f"t={timestamp},v1={_digest(_secret_bytes(secret), str(timestamp), body)}"


class HmacSha256WebhookVerifier:
    """A :class:`~commerce_core.ports.payments.WebhookVerifier` for ``t=...,v1=...`` headers.

    Args:
        secret: the endpoint's signing secret.
        clock: the source of "now" for the timestamp tolerance.
        tolerance: how far the header's timestamp may be from now (300 s by default).

    Raises:
        InvalidPaymentSettingError: an empty secret, or a negative tolerance.
    """

    def __init__(
        self, secret: str | bytes, clock: Clock, tolerance: timedelta = DEFAULT_TOLERANCE
    ) -> None:
        if not isinstance(secret, str | bytes):
            raise InvalidPaymentSettingError("secret", "must be text or bytes")
        if not secret:
            raise InvalidPaymentSettingError("secret", "the signing secret must not be empty")
        if not isinstance(tolerance, timedelta):
            raise InvalidPaymentSettingError("tolerance", "must be a timedelta")
        if tolerance < timedelta(0):
            raise InvalidPaymentSettingError("tolerance", "must not be negative")
        self._secret = _secret_bytes(secret)
        self._clock = clock
        self._tolerance = tolerance

    def __repr__(self) -> str:
        return f"HmacSha256WebhookVerifier(secret=<hidden>, tolerance={self._tolerance!r})"

    def verify(self, signature_header: str, body: bytes) -> None:
        """Return when ``body`` is authentic; raise :class:`InvalidWebhookSignatureError` if not.

        Reasons: ``malformed_header`` (not text, or no single ASCII-integer ``t``),
        ``no_signature`` (no ``v1``), ``signature_mismatch`` (no ``v1`` matches, or a body that
        is not bytes), ``timestamp_out_of_tolerance``.
        """
        if not isinstance(signature_header, str):
            raise InvalidWebhookSignatureError("malformed_header")
        if not isinstance(body, bytes | bytearray):
            raise InvalidWebhookSignatureError("signature_mismatch")
        body = bytes(body)
        timestamps: list[str] = []
        signatures: list[str] = []
        for item in signature_header.split(","):
            name, sep, value = item.strip().partition("=")
            if not sep:
                continue
            if name == "t":
                timestamps.append(value)
            elif name == "v1":
                signatures.append(value)
        if len(timestamps) != 1 or not (timestamps[0].isascii() and timestamps[0].isdigit()):
            raise InvalidWebhookSignatureError("malformed_header")
        if not signatures:
            raise InvalidWebhookSignatureError("no_signature")
        expected = _digest(self._secret, timestamps[0], body)
        matched = False
        for candidate in signatures:
            # Check every candidate: the comparison time does not depend on which one matches.
            matched |= hmac.compare_digest(expected.encode(), candidate.encode())
        if not matched:
            raise InvalidWebhookSignatureError("signature_mismatch")
        age = self._clock.now().timestamp() - int(timestamps[0])
        if abs(age) > self._tolerance.total_seconds():
            raise InvalidWebhookSignatureError("timestamp_out_of_tolerance")
