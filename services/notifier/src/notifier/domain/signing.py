"""Signatures of outgoing webhooks as the Standard Webhooks specification says
(https://www.standardwebhooks.com, `spec/standard-webhooks.md`). No I/O.

    webhook-id:        the delivery's id (the same on every retry: receivers dedupe on it)
    webhook-timestamp: seconds since the epoch, when this attempt was signed
    webhook-signature: v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>

The secret is `whsec_` + base64 of 32 random bytes; the key is those bytes. A receiver that
checks the signature and refuses timestamps older than a few minutes is safe from forged
and replayed calls. These few lines follow the reference implementation; the tests verify
what they produce with the `standardwebhooks` library itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: `whsec_` + base64 of 32 random bytes (shown once)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 signature>` of one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    secret: str, *, msg_id: str, timestamp: int, body: bytes, also: Sequence[str] = ()
) -> dict[str, str]:
    """The three headers of a signed webhook. `also`: further secrets (the previous one,
    within a rotation's overlap) whose signatures follow the first, space-separated, as the
    specification allows; a receiver accepts the message if any one verifies."""
    signatures = [sign(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in (secret, *also)]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def dingtalk_sign(secret: str, *, timestamp_ms: int) -> str:
    """钉钉 robot 加签: base64 of HMAC-SHA256(secret, "<timestamp>\\n<secret>") with the
    timestamp in milliseconds (sent url-encoded as the `sign` query parameter beside
    `timestamp`; DingTalk refuses a timestamp more than an hour from its own clock)."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()
