"""The audit trail's signed checkpoints, which every service publishes (docs/audit.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from xietong_common.contracts.base import IntegrationEvent, event
from xietong_common.services import SERVICES

CHECKPOINT_TOPIC = "audit.checkpoint"


@event(
    CHECKPOINT_TOPIC,
    producers=tuple(SERVICES),
    consumers=(
        "oversight (SUP-01, the outsider: every signature and each chain's continuity)",
        "auditors outside the platform (xietong audit verify)",
    ),
    summary="A service signed its audit chain head (row, hash, time) with its own key: the "
    "evidence `xietong audit verify` checks the chain against",
    retained=True,
)
class AuditCheckpointSigned(IntegrationEvent):
    """A service signed the head of its hash-chained audit log with its own key: its chain
    `chain_id` reached row `seq`, whose hash is `hash`, at `signed_at`. Key = the service's
    name; the topic never deletes (retention.ms = retention.bytes = -1), so an outsider can
    later show that the chain was truncated (a signed row is gone) or rewritten (a signed
    hash no longer matches): `xietong audit verify SERVICE`.

    `signature` (base64) is over the UTF-8 bytes of `xietong audit checkpoint v1` and a line
    feed, followed by the JSON object of the other fields with sorted keys and no whitespace
    (RFC 8785 form), `signed_at` written `YYYY-MM-DDTHH:MM:SS.ffffffZ`. Ed25519: RFC 8032,
    64 bytes. SM2: GB/T 32918 over SM3 with the signer id `1234567812345678`, DER (r, s).
    `key_id` is the SHA-256 (Ed25519) or SM3 (SM2) of the key's DER SubjectPublicKeyInfo, as
    `xietong audit public-key SERVICE` prints it. `deployment`, when present, is one of the
    signed fields (absent, the object is exactly as before the field existed); so are
    `previous_seq` and `previous_hash`, the head the chain's previous checkpoint signed, which
    let an outsider see a checkpoint missing between two it read (no producer states them
    yet: the services' `audit_checkpoints` record would need them to re-verify)."""

    service: str = Field(description="the service whose chain this is", examples=["referral"])
    chain_id: str = Field(
        description="the chain's identity (a database rebuilt from scratch starts a new chain)",
        examples=["8d6a1c64-3c1e-4a4e-9a7e-0f3f2b9c1d20"],
    )
    seq: int = Field(ge=1, description="the row the chain head names")
    hash: str = Field(
        pattern="^[0-9a-f]{64}$",
        description="that row's hash (hex), which covers every row before it",
    )
    hash_algorithm: Literal["sha256", "sm3"] = Field(description="the function of that row's hash")
    signed_at: datetime = Field(description="when the service signed (UTC)")
    key_id: str = Field(
        pattern="^[0-9a-f]{64}$", description="which of the service's keys signed (hex digest)"
    )
    signature_algorithm: Literal["ed25519", "sm2"] = Field(description="how it signed")
    signature: str = Field(max_length=512, description="base64 signature over the fields above")
    deployment: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="the deployment that signed (XIETONG_DEPLOYMENT_ID: production, staging…); "
        "signed with the other fields when present. `xietong audit verify` judges a database "
        "only against checkpoints of its own deployment; checkpoints signed before the field "
        "existed carry none and count for every deployment",
        examples=["production"],
    )
    previous_seq: int | None = Field(
        default=None,
        ge=1,
        description="the row the previous checkpoint of this chain named, when the signer "
        "states it; signed with the other fields when present. An outsider (oversight) that "
        "never saw that checkpoint knows one is missing: a gap",
    )
    previous_hash: str | None = Field(
        default=None,
        pattern="^[0-9a-f]{64}$",
        description="that previous checkpoint's hash; present with `previous_seq` only",
    )
