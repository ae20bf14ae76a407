"""Signing secrets sealed at rest (AES-256-GCM). No I/O.

Every delivery is signed with its subscription's secret, so the service must keep it, but a
copy of the database (a backup, a replica, a dump for support) must not be enough to forge a
webhook. The secret is stored as `sealed:v1:` + base64(nonce ‖ ciphertext ‖ tag), encrypted
with a key derived (HKDF-SHA256) from XIETONG_NOTIFIER_SECRETS_KEY, the subscription's id as
the associated data: a sealed secret copied to another row does not open there. A value
without the prefix is one stored before sealing (migration 0004): read as it is, and sealed
by the delivery job's next run.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_PREFIX = "sealed:v1:"
NONCE_BYTES = 12
KEY_INFO = b"xietong/notifier/webhook-secrets/v1"
MIN_KEY_CHARS = 32


class SecretUnreadable(ValueError):
    """A sealed secret the key cannot open (another key, another row, or altered)."""


def derive_key(material: str) -> bytes:
    """The AES-256 key from the configured key material (32+ random characters)."""
    if len(material) < MIN_KEY_CHARS:
        raise ValueError(f"the secrets key must be at least {MIN_KEY_CHARS} characters")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(
        material.encode()
    )


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def seal(key: bytes, secret: str, *, bound_to: str) -> str:
    """The secret as stored, sealed to the row `bound_to` names (the subscription's id)."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), bound_to.encode())
    return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(key: bytes, stored: str, *, bound_to: str) -> str:
    """The secret itself (a value stored before sealing: as it is)."""
    if not is_sealed(stored):
        return stored
    raw = base64.b64decode(stored.removeprefix(SEALED_PREFIX))
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], bound_to.encode())
    except InvalidTag:
        raise SecretUnreadable(
            "a sealed webhook secret does not open with XIETONG_NOTIFIER_SECRETS_KEY (another "
            "key, or the value was altered)"
        ) from None
    return plain.decode()
