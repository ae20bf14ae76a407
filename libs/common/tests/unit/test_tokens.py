"""Token verification: local HS256 and production RS256 from a JWKS URL."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from xietong_common.auth import TokenVerifier, Unavailable, mint_token
from xietong_common.errors import Unauthorized
from xietong_common.settings import ServiceSettings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


def rs256(claims: dict[str, Any], kid: str = "k1") -> str:
    base = {"iss": "xietong", "aud": "xietong", "exp": int(time.time()) + 600}
    return jwt.encode({**base, **claims}, KEY, algorithm="RS256", headers={"kid": kid})


async def test_rs256_tokens_from_the_identity_providers_jwks(jwks_url: str) -> None:
    verifier = TokenVerifier(ServiceSettings(jwt_jwks_url=jwks_url))
    principal = await verifier.verify(
        rs256({"sub": "li.si", "org": "dept:water", "roles": ["clerk"]})
    )
    assert principal.org == "dept:water"
    assert principal.user == "li.si"
    assert principal.roles == frozenset({"clerk"})


async def test_hs256_token_is_refused_when_production_keys_are_configured(jwks_url: str) -> None:
    verifier = TokenVerifier(ServiceSettings(jwt_jwks_url=jwks_url))
    local = mint_token(ServiceSettings(jwt_secret="s" * 40), org="town:lizhi", user="u")
    with pytest.raises(Unauthorized):
        await verifier.verify(local)


async def test_token_without_an_organisation_is_refused() -> None:
    settings = ServiceSettings(jwt_secret="s" * 40)
    token = jwt.encode(
        {
            "sub": "u",
            "org": "village:x",
            "iss": "xietong",
            "aud": "xietong",
            "exp": int(time.time()) + 60,
        },
        "s" * 40,
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized, match="no valid organisation"):
        await TokenVerifier(settings).verify(token)


def test_mint_refuses_a_malformed_organisation() -> None:
    with pytest.raises(ValueError, match="not an organisation code"):
        mint_token(ServiceSettings(jwt_secret="s" * 40), org="townlizhi", user="u")


async def test_jwks_keys_are_fetched_once_and_again_when_the_idp_rotates(jwks_url: str) -> None:
    verifier = TokenVerifier(ServiceSettings(jwt_jwks_url=jwks_url))
    token = rs256({"sub": "li.si", "org": "dept:water"})
    for _ in range(5):
        await verifier.verify(token)
    assert verifier._jwks is not None
    assert verifier._jwks.fetches == 1  # cached
    with pytest.raises(Unauthorized, match="not among the identity provider's keys"):
        await verifier.verify(rs256({"sub": "li.si", "org": "dept:water"}, kid="rotated"))
    assert verifier._jwks.fetches == 1  # not again within refetch_s: no hammering the IdP
    verifier._jwks.refetch_s = 0
    with pytest.raises(Unauthorized, match="not among the identity provider's keys"):
        await verifier.verify(rs256({"sub": "li.si", "org": "dept:water"}, kid="rotated"))
    assert verifier._jwks.fetches == 2  # an unknown key id made it look again


async def test_the_jwks_is_read_without_blocking_the_event_loop(jwks_url: str) -> None:
    """While the keys are fetched, other work on the loop goes on (httpx, not urllib)."""
    verifier = TokenVerifier(ServiceSettings(jwt_jwks_url=jwks_url))
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    try:
        await verifier.verify(rs256({"sub": "li.si", "org": "dept:water"}))
    finally:
        ticker.cancel()
    assert ticks > 1


async def test_an_identity_providers_own_claims_map_to_person_org_and_roles(
    jwks_url: str,
) -> None:
    settings = ServiceSettings(
        jwt_jwks_url=jwks_url,
        jwt_user_claim="preferred_username",
        jwt_org_claim="xietong.org",
        jwt_roles_claim="realm_access.roles",
    )
    token = rs256(
        {
            "sub": "f3a1-uuid",
            "preferred_username": "wang.fang",
            "xietong": {"org": "town:lizhi"},
            "realm_access": {"roles": ["clerk", "handler"]},
        }
    )
    principal = await TokenVerifier(settings).verify(token)
    assert (principal.user, principal.org) == ("wang.fang", "town:lizhi")
    assert principal.roles == frozenset({"clerk", "handler"})


async def test_an_unreachable_identity_provider_is_a_503_not_a_crash() -> None:
    verifier = TokenVerifier(ServiceSettings(jwt_jwks_url="http://127.0.0.1:1/jwks.json"))
    with pytest.raises(Unavailable):
        await verifier.verify(rs256({"sub": "li.si", "org": "dept:water"}))


def test_a_deployment_without_token_keys_stops_at_start() -> None:
    with pytest.raises(ValueError, match="no token keys"):
        TokenVerifier(ServiceSettings(jwt_local_key=False, jwt_secret=None))


async def test_a_verified_token_is_remembered_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same token again is not decoded again — until its `exp`, and for a minute at most
    (then it is checked afresh, its expiry by PyJWT as for any token)."""
    settings = ServiceSettings(jwt_secret="s" * 40)
    verifier = TokenVerifier(settings)
    token = mint_token(settings, org="town:lizhi", user="u", roles=("clerk",), ttl_s=120)
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting(*args: Any, **kwargs: Any) -> Any:
        decoded.append(args[0])
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert len(decoded) == 1
    other = mint_token(settings, org="town:baitao", user="u", roles=("clerk",), ttl_s=120)
    assert (await verifier.verify(other)).org == "town:baitao"  # its own entry
    assert len(decoded) == 2

    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)  # a minute on: checked again
    assert await verifier.verify(token) == first
    assert len(decoded) == 3
    monkeypatch.setattr(time, "time", lambda: now + 121)  # past its exp: never from memory
    await verifier.verify(token)
    assert len(decoded) == 4
