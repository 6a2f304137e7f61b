from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from commerce_core import InvalidWebhookSignatureError
from commerce_core.adapters.memory import InMemoryClock
from commerce_core.adapters.webhooks import HmacSha256WebhookVerifier, sign_webhook

# The documented test vector: secret, body and timestamp (2026-01-01T00:00:00Z = 1767225600).
SECRET = b"whsec_commerce_core_test"
BODY = b'{"id":"evt_1","type":"payment.captured"}'
TIMESTAMP = 1767225600
# HMAC-SHA256(SECRET, b"1767225600." + BODY), computed once and cross-checked with
# `printf '1767225600.{...}' | openssl dgst -sha256 -hmac whsec_commerce_core_test`.
EXPECTED_HEX = "b043e47829691128309ed19254c03ff287fe0d68aef58df32af33752e50bdaf2"


def verifier(now: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> HmacSha256WebhookVerifier:
    return HmacSha256WebhookVerifier(SECRET, InMemoryClock(now))


def test_the_signed_payload_is_timestamp_dot_raw_body() -> None:
    computed = hmac.new(SECRET, f"{TIMESTAMP}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert computed == EXPECTED_HEX
    assert sign_webhook(SECRET, BODY, TIMESTAMP) == f"t={TIMESTAMP},v1={EXPECTED_HEX}"


def test_the_fixed_vector_verifies() -> None:
    verifier().verify(f"t={TIMESTAMP},v1={EXPECTED_HEX}", BODY)


def test_any_matching_v1_is_accepted_during_secret_rotation() -> None:
    verifier().verify(f"t={TIMESTAMP}, v1={'0' * 64}, v1={EXPECTED_HEX}", BODY)


@pytest.mark.parametrize(
    ("header", "body", "reason"),
    [
        (f"t={TIMESTAMP},v1={EXPECTED_HEX}", BODY + b" ", "signature_mismatch"),
        (f"t={TIMESTAMP + 1},v1={EXPECTED_HEX}", BODY, "signature_mismatch"),
        (f"t={TIMESTAMP},v1={EXPECTED_HEX.upper()}é", BODY, "signature_mismatch"),
        (f"t={TIMESTAMP},v0={EXPECTED_HEX}", BODY, "no_signature"),
        (f"v1={EXPECTED_HEX}", BODY, "malformed_header"),
        (f"t=soon,v1={EXPECTED_HEX}", BODY, "malformed_header"),
        (f"t=1,t=2,v1={EXPECTED_HEX}", BODY, "malformed_header"),
        ("", BODY, "malformed_header"),
    ],
)
def test_tampered_or_malformed_deliveries_are_rejected_with_a_reason(
    header: str, body: bytes, reason: str
) -> None:
    with pytest.raises(InvalidWebhookSignatureError) as caught:
        verifier().verify(header, body)
    assert caught.value.reason == reason


def test_the_timestamp_must_be_within_300_seconds_of_the_clock() -> None:
    header = f"t={TIMESTAMP},v1={EXPECTED_HEX}"
    verifier(datetime(2026, 1, 1, 0, 5, tzinfo=UTC)).verify(header, BODY)  # exactly 300 s later
    with pytest.raises(InvalidWebhookSignatureError) as caught:
        verifier(datetime(2026, 1, 1, 0, 5, 1, tzinfo=UTC)).verify(header, BODY)
    assert caught.value.reason == "timestamp_out_of_tolerance"


def test_the_secret_never_appears_in_the_verifier_repr() -> None:
    assert "whsec" not in repr(verifier())
