"""The fair baseline, served by uvicorn like a service: the least an endpoint with the
referral service's guarantees can do, in FastAPI with PyJWT and raw asyncpg.

- `POST /things`: verify the JWT (HS256, issuer, audience), validate the body (pydantic), and
  in ONE transaction insert the row, its outbox event and a hash-chained audit row (chain
  head locked just before COMMIT, as `xietong_common.audit` does).
- `GET /things/{id}`: verify the JWT, read the row by primary key, 404 unless the caller's
  organisation is a party to it.

What it leaves out is what the service is for (routing, deadlines, the REF rules, the
response's fields) and what it does besides (JSON logs, metrics, traces, relay, consumer).
`bench.bench_api` starts it with `BENCH_BASELINE_DATABASE_URL` naming a database prepared by
`prepare()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import jwt
from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel

SECRET = os.environ.get("BENCH_BASELINE_JWT_SECRET", "")


class ThingIn(BaseModel):
    matter_code: str
    place_town: str
    found_at: datetime
    facts: str


async def principal(authorization: Annotated[str, Header()]) -> dict[str, Any]:
    # `async`: a plain `def` would be handed to the thread pool on every request.
    try:
        claims: dict[str, Any] = jwt.decode(
            authorization.removeprefix("Bearer "),
            SECRET,
            algorithms=["HS256"],
            audience="xietong",
            issuer="xietong",
        )
    except jwt.PyJWTError as exc:
        raise HTTPException(401) from exc
    return claims


Claims = Annotated[dict[str, Any], Depends(principal)]
pool: asyncpg.Pool | None = None

SCHEMA = """
CREATE TABLE IF NOT EXISTS things (
    id uuid PRIMARY KEY, org text NOT NULL, body jsonb NOT NULL, created_at timestamptz NOT NULL
)
"""


async def prepare(url: str) -> None:
    """The baseline's tables: its own, and the outbox and audit chain of every service."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from xietong_common.backbone import create_backbone_schema

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SCHEMA)
    finally:
        await conn.close()
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    async with engine.begin() as sa_conn:
        await sa_conn.run_sync(create_backbone_schema)
    await engine.dispose()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(
        os.environ["BENCH_BASELINE_DATABASE_URL"], min_size=8, max_size=16
    )
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/things", status_code=201)
async def create(data: ThingIn, who: Claims) -> dict[str, Any]:
    assert pool is not None
    thing_id = uuid.uuid4()
    now = datetime.now(UTC)
    event_id = uuid.uuid4()
    body = data.model_dump(mode="json")
    envelope = {"id": str(event_id), "type": "bench.thing", "data": body}
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO things (id, org, body, created_at) VALUES ($1, $2, $3, $4)",
            thing_id,
            str(who["org"]),
            json.dumps(body),
            now,
        )
        await conn.execute(
            "INSERT INTO outbox (event_id, topic, key, envelope) VALUES ($1, $2, $3, $4)",
            event_id,
            "bench.thing",
            str(thing_id),
            json.dumps(envelope),
        )
        prev = await conn.fetchval("SELECT hash FROM audit_head WHERE id = 1 FOR UPDATE")
        digest = hashlib.sha256(f"{prev}{thing_id}{now.isoformat()}".encode()).hexdigest()
        await conn.execute(
            "WITH ins AS (INSERT INTO audit_log (at, actor, org, action, subject, detail,"
            " prev_hash, hash) VALUES ($1, $2, $3, 'created', $4, '{}', $5, $6)"
            " RETURNING seq) UPDATE audit_head SET last_seq = (SELECT seq FROM ins), hash = $6"
            " WHERE id = 1",
            now,
            str(who["sub"]),
            str(who["org"]),
            f"thing:{thing_id}",
            prev,
            digest,
        )
    return {"id": str(thing_id), **body, "created_at": now.isoformat()}


@app.get("/things/{thing_id}")
async def get_one(thing_id: uuid.UUID, who: Claims) -> dict[str, Any]:
    assert pool is not None
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, org, body, created_at FROM things WHERE id = $1", thing_id
        )
    if row is None or row["org"] != who["org"]:
        raise HTTPException(404)
    return {"id": str(row["id"]), **json.loads(row["body"]), "created_at": row["created_at"]}
