"""JWT: missing, expired, badly signed or of another organisation → 401/403 problem+json, nothing changed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import jwt
import pytest

from backbone_support import counter_service_spec, counter_value
from xietong_common.auth import mint_token
from xietong_devtools.testing import RunningService, Servers, create_database, running_service

pytestmark = pytest.mark.integration


@pytest.fixture
async def svc(servers: Servers, kafka_bootstrap: str) -> AsyncIterator[RunningService]:
    url = await create_database(servers, "auth")
    async with running_service(
        counter_service_spec(), database_url=url, kafka_bootstrap=kafka_bootstrap
    ) as s:
        yield s


async def assert_refused(
    svc: RunningService, headers: dict[str, str], status: int, reason: str | None
) -> None:
    r = await svc.client.post("/towns/lizhi/counter", headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:xietong:problem:")
    if reason:
        assert body.get("reason") == reason
    assert await counter_value(svc.ctx.db, "lizhi") is None  # nothing changed


async def test_valid_token_of_the_town_writes(svc: RunningService) -> None:
    r = await svc.client.post("/towns/lizhi/counter", headers=svc.auth("town:lizhi", "handler"))
    assert r.status_code == 201, r.text
    assert r.json() == {"value": 1}


async def test_missing_token_is_401(svc: RunningService) -> None:
    await assert_refused(svc, {}, 401, "missing")


async def test_expired_token_is_401(svc: RunningService) -> None:
    token = mint_token(
        svc.settings,
        org="town:lizhi",
        user="u",
        roles=["handler"],
        ttl_s=60,
        now=time.time() - 3600,
    )
    await assert_refused(svc, {"Authorization": f"Bearer {token}"}, 401, "expired")


async def test_badly_signed_token_is_401(svc: RunningService) -> None:
    forged = jwt.encode(
        {
            "sub": "u",
            "org": "town:lizhi",
            "roles": ["handler"],
            "iss": "xietong",
            "aud": "xietong",
            "exp": int(time.time()) + 600,
        },
        "not-the-key-" * 4,
        algorithm="HS256",
    )
    await assert_refused(svc, {"Authorization": f"Bearer {forged}"}, 401, "bad-signature")


async def test_garbage_token_is_401(svc: RunningService) -> None:
    await assert_refused(svc, {"Authorization": "Bearer not.a.jwt"}, 401, "invalid")


async def test_token_of_another_organisation_is_403(svc: RunningService) -> None:
    await assert_refused(svc, svc.auth("town:baitao", "handler"), 403, None)


async def test_right_town_without_the_role_is_403(svc: RunningService) -> None:
    await assert_refused(svc, svc.auth("town:lizhi", "clerk"), 403, None)


async def test_validation_errors_are_problem_json(svc: RunningService) -> None:
    r = await svc.client.get("/no-such-route")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
