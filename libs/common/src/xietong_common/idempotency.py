"""Idempotency-Key for creates (IETF draft-ietf-httpapi-idempotency-key-header), per
organisation and operation, in the create's own transaction.

    replay = await idempotency.claim(uow, scope="referral.create", org=actor.org,
                                     key=key, request=data)
    if replay is not None:
        return await load(uow, uuid.UUID(replay))      # the first request's result
    referral = ...                                       # create
    await idempotency.remember(uow, scope=..., org=..., key=key, resource_id=str(referral.id))

`claim` inserts the key first: a concurrent request with the same key waits on it and then
sees the committed result (or, if the first rolled back, takes the key itself). The same
key with a different request is refused (422): a client bug, not a retry.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert

from xietong_common import faultpoints
from xietong_common.errors import Conflict, InvalidInput
from xietong_common.tables import idempotency_keys
from xietong_common.uow import UnitOfWork

_k = idempotency_keys.c


class IdempotencyKeyReused(InvalidInput):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was used for a different request"
    title_zh = "该幂等键已用于另一个不同的请求"


class IdempotencyKeyInFlight(Conflict):
    slug = "idempotency-key-in-flight"
    title = "A request with this Idempotency-Key is still being processed; retry it"
    title_zh = "使用该幂等键的请求仍在处理中，请稍后重试"


def fingerprint(request: BaseModel | dict[str, Any] | None) -> str:
    """SHA-256 of the request as validated (so key order and spacing do not matter)."""
    data = request.model_dump(mode="json") if isinstance(request, BaseModel) else request
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    uow: UnitOfWork,
    *,
    scope: str,
    org: str,
    key: str | None,
    request: BaseModel | dict[str, Any] | None,
) -> str | None:
    """None: go on and create (the key is now this transaction's). Otherwise the id of what
    the first request with this key created: return that instead."""
    if key is None:
        return None
    print_ = fingerprint(request)
    inserted = (
        await uow.session.execute(
            insert(idempotency_keys)
            .values(scope=scope, org=org, key=key, fingerprint=print_, created_at=uow.now)
            .on_conflict_do_nothing(index_elements=[_k.scope, _k.org, _k.key])
            .returning(_k.key)
        )
    ).first()
    if inserted is not None:
        return None
    row = (
        await uow.session.execute(
            sa.select(_k.fingerprint, _k.resource_id).where(
                _k.scope == scope, _k.org == org, _k.key == key
            )
        )
    ).one()
    if row.fingerprint is not None and row.fingerprint != print_:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request; use a new key "
            "for a new request",
            zh="该幂等键已用于另一个不同的请求；新的请求请使用新的幂等键",
            idempotency_key=key,
        )
    if row.resource_id is None:
        raise IdempotencyKeyInFlight(
            "the first request with this Idempotency-Key has not finished",
            zh="使用该幂等键的第一个请求尚未完成",
        )
    return str(row.resource_id)


async def remember(
    uow: UnitOfWork, *, scope: str, org: str, key: str | None, resource_id: str
) -> None:
    """Record what the request created under its key (same transaction as the create)."""
    if key is None:
        return
    await uow.session.execute(
        sa.update(idempotency_keys)
        .where(_k.scope == scope, _k.org == org, _k.key == key)
        .values(resource_id=resource_id)
    )
    faultpoints.reached(faultpoints.REQUEST_UNCOMMITTED, scope=scope)
