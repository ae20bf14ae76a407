"""Sign-in at the identity provider (OIDC authorization code + PKCE), against a small fake IdP
served over real HTTP: discovery, authorize, token (checking the PKCE verifier), JWKS. The
access token the IdP issues is checked as the services check it before any page uses it."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from workbench.main import create_app
from workbench.settings import WorkbenchSettings

CLIENT_ID = "xietong-workbench"


@dataclass
class FakeIdp:
    """The identity provider: one person, `org` and `roles` claims as the services read them."""

    base: str = ""
    key: Any = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    audience: str = "xietong"
    org: str = "town:lizhi"
    verifiers_seen: list[str] = field(default_factory=list)

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})

    def app(self) -> Starlette:
        async def discovery(request: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": self.base,
                    "authorization_endpoint": f"{self.base}/authorize",
                    "token_endpoint": f"{self.base}/token",
                    "jwks_uri": f"{self.base}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )

        async def authorize(request: Request) -> Response:
            q = request.query_params
            assert q["response_type"] == "code"
            assert q["client_id"] == CLIENT_ID
            assert q["code_challenge_method"] == "S256", "PKCE S256 is required"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "challenge": q["code_challenge"],
                "nonce": q.get("nonce"),
                "redirect_uri": q["redirect_uri"],
            }
            target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
            return RedirectResponse(target, status_code=302)

        async def token(request: Request) -> Response:
            form = await request.form()
            grant = self.codes.pop(str(form.get("code")), None)
            if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            verifier = str(form.get("code_verifier") or "")
            self.verifiers_seen.append(verifier)
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
            now = int(time.time())
            common = {"iss": self.base, "sub": "u-1001", "iat": now, "exp": now + 600}
            access = self.sign(
                {**common, "aud": self.audience, "org": self.org, "roles": ["handler", "leader"]}
            )
            id_token = self.sign(
                {**common, "aud": CLIENT_ID, "nonce": grant["nonce"], "name": "王经办"}
            )
            return JSONResponse(
                {
                    "access_token": access,
                    "id_token": id_token,
                    "token_type": "Bearer",
                    "expires_in": 600,
                }
            )

        async def jwks(request: Request) -> Response:
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return JSONResponse({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
                Route("/jwks", jwks),
            ]
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(idp: FakeIdp) -> AsyncIterator[FakeIdp]:
    port = _free_port()
    idp.base = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(idp.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield idp
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def workbench_for(idp: FakeIdp) -> AsyncIterator[httpx.AsyncClient]:
    settings = WorkbenchSettings(
        workbench_oidc_discovery_url=f"{idp.base}/.well-known/openid-configuration",
        workbench_oidc_client_id=CLIENT_ID,
        jwt_jwks_url=f"{idp.base}/jwks",
        jwt_issuer=idp.base,
        jwt_audience="xietong",
        jwt_local_key=False,
        workbench_session_secret=secrets.token_urlsafe(32),
        workbench_cookie_secure=False,
        workbench_service_urls={name: "http://127.0.0.1:9" for name in ("referral",)},
        log_json=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def _sign_in(client: httpx.AsyncClient) -> httpx.Response:
    start = await client.get("/signin/oidc?next=/referrals")
    assert start.status_code == 302
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://testserver/auth/callback"]
    async with httpx.AsyncClient() as browser_to_idp:
        back = await browser_to_idp.get(authorize)
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    return await client.get(f"{callback.path}?{callback.query}")


async def test_oidc_sign_in_with_pkce_gives_the_person_the_idps_organisation_and_roles() -> None:
    async with serving(FakeIdp()) as idp, workbench_for(idp) as client:
        page = await client.get("/signin")
        assert "统一身份认证登录" in page.text
        assert 'action="/signin"' not in page.text  # no local sign-in with an IdP
        done = await _sign_in(client)
        assert done.status_code == 303
        assert done.headers["location"] == "/referrals"
        assert idp.verifiers_seen
        assert len(idp.verifiers_seen[0]) >= 43
        home = await client.get("/")
        assert home.status_code == 200
        assert "王经办" in home.text
        assert "荔枝街道" in home.text
        assert "经办人" in home.text


async def test_a_token_the_services_would_refuse_signs_nobody_in() -> None:
    async with serving(FakeIdp(audience="another-system")) as idp, workbench_for(idp) as client:
        done = await _sign_in(client)
        assert done.status_code == 403
        assert "不被各服务接受" in done.text
        assert (await client.get("/")).status_code == 303  # still signed out


async def test_a_callback_with_a_forged_state_is_refused() -> None:
    async with serving(FakeIdp()) as idp, workbench_for(idp) as client:
        await client.get("/signin/oidc")
        forged = await client.get("/auth/callback?code=x&state=forged")
        assert forged.status_code == 400
        assert (await client.get("/")).status_code == 303


async def test_the_local_sign_in_is_off_with_an_identity_provider() -> None:
    async with serving(FakeIdp()) as idp, workbench_for(idp) as client:
        page = await client.get("/signin")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        posted = await client.post(
            "/signin",
            data={"csrf_token": token, "org": "justice-bureau", "roles": ["handler"]},
        )
        assert posted.status_code == 404
        assert (await client.get("/")).status_code == 303
