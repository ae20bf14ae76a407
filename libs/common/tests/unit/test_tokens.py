"""Token verification: local HS256 and production RS256 from a JWKS URL."""

from __future__ import annotations

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

from xietong_common.auth import TokenVerifier, mint_token
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


def test_rs256_tokens_from_the_identity_providers_jwks(jwks_url: str) -> None:
    verifier = TokenVerifier(ServiceSettings(jwt_jwks_url=jwks_url))
    principal = verifier.verify(rs256({"sub": "li.si", "org": "dept:water", "roles": ["clerk"]}))
    assert principal.org == "dept:water"
    assert principal.user == "li.si"
    assert principal.roles == frozenset({"clerk"})


def test_hs256_token_is_refused_when_production_keys_are_configured(jwks_url: str) -> None:
    verifier = TokenVerifier(ServiceSettings(jwt_jwks_url=jwks_url))
    local = mint_token(ServiceSettings(jwt_secret="s" * 40), org="town:lizhi", user="u")
    with pytest.raises(Unauthorized):
        verifier.verify(local)


def test_token_without_an_organisation_is_refused() -> None:
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
        TokenVerifier(settings).verify(token)


def test_mint_refuses_a_malformed_organisation() -> None:
    with pytest.raises(ValueError, match="not an organisation code"):
        mint_token(ServiceSettings(jwt_secret="s" * 40), org="townlizhi", user="u")
