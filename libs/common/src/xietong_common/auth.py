"""JWT bearer authentication and per-organisation access checks."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt

from xietong_common.errors import AppError, Forbidden, NotFound, Unauthorized
from xietong_common.reference import OVERSIGHT_ORG, is_org_code
from xietong_common.settings import ServiceSettings, project_root


@dataclass(frozen=True)
class Principal:
    """Who is calling: organisation, roles and person (from the JWT)."""

    org: str
    user: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            raise Forbidden(
                f"this action needs one of the roles {sorted(roles)}",
                zh=f"此操作需要以下角色之一：{'、'.join(sorted(roles))}",
                required_roles=sorted(roles),
            )

    def require_org(self, *orgs: str) -> None:
        """The caller must act for one of these organisations."""
        if self.org not in orgs:
            raise Forbidden(
                f"organisation {self.org} may not do this",
                zh=f"机构 {self.org} 无权执行此操作",
                allowed_orgs=sorted(orgs),
            )

    @classmethod
    def system(cls, service: str) -> Principal:
        """The service itself, acting on a consumed event or a schedule."""
        return cls(org=f"system:{service}", user=f"system:{service}", roles=frozenset({"system"}))


Actor = Principal


def ensure_party(
    principal: Principal,
    parties: Iterable[str | None],
    *,
    readers: Iterable[str] = (OVERSIGHT_ORG,),
    what: str = "record",
) -> None:
    """Only the parties (and oversight readers) may see a record; others get 404, not 403,
    so a town cannot even learn that another town's case exists."""
    allowed = {p for p in parties if p} | set(readers)
    if principal.org not in allowed:
        raise NotFound(f"no such {what}", zh="未找到该记录")


# ---- tokens -------------------------------------------------------------------------------------


def local_key_path() -> Path:
    return project_root() / ".local" / "jwt.key"


def hs256_key(settings: ServiceSettings) -> str:
    """The HS256 key: XIETONG_JWT_SECRET, else (development only) a key generated once under
    .local/. A deployment sets XIETONG_JWT_LOCAL_KEY=false: then no configured key is an error
    at start, not a key nobody else knows."""
    if settings.jwt_secret is not None and settings.jwt_secret.get_secret_value():
        return settings.jwt_secret.get_secret_value()
    if not settings.jwt_local_key:
        raise ValueError(
            "no token keys: set XIETONG_JWT_JWKS_URL (the identity provider) or "
            "XIETONG_JWT_SECRET (HS256)"
        )
    path = local_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        try:
            tmp.rename(path) if not path.exists() else tmp.unlink()
        except FileExistsError:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def mint_token(
    settings: ServiceSettings,
    *,
    org: str,
    user: str,
    roles: Iterable[str] = (),
    ttl_s: int = 8 * 3600,
    now: float | None = None,
) -> str:
    """A local HS256 token (development and tests; production tokens come from the IdP)."""
    if not is_org_code(org):
        raise ValueError(f"not an organisation code: {org!r}")
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": user,
        "org": org,
        "roles": sorted(roles),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": issued + ttl_s,
    }
    return jwt.encode(claims, hs256_key(settings), algorithm="HS256")


class Unavailable(AppError):
    status = 503
    slug = "identity-provider-unavailable"
    title = "The identity provider's keys cannot be read; try again"
    title_zh = "无法获取身份认证服务的公钥，请稍后重试"


class JwksKeys:
    """The identity provider's signing keys (JWKS), fetched without blocking the event loop,
    cached for `ttl_s`, and fetched again early (at most every `refetch_s`) when a token names
    a key id the cache does not have — which is how an IdP's key rotation shows."""

    def __init__(self, url: str, *, ttl_s: float, refetch_s: float = 30.0) -> None:
        self.url = url
        self.ttl_s = ttl_s
        self.refetch_s = refetch_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        now = time.monotonic()
        stale = now - self._fetched_at > self.ttl_s
        unknown = kid not in self._keys if kid else len(self._keys) != 1
        if stale or (unknown and now - self._fetched_at > self.refetch_s):
            await self._refresh(now)
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        key = self._keys.get(kid or "")
        if key is None:
            raise Unauthorized(
                f"the token's key {kid!r} is not among the identity provider's keys",
                zh="令牌所用的密钥不在身份认证服务的公钥中",
                reason="unknown-key",
            )
        return key

    async def _refresh(self, decided_at: float) -> None:
        async with self._lock:
            if self._fetched_at >= decided_at:
                return  # another request refreshed the keys while this one waited
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                keys = jwt.PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                if self._keys:
                    return  # keep serving with the keys we have; try again later
                raise Unavailable(
                    f"the identity provider's keys at {self.url} cannot be read: {exc}",
                    zh="无法读取身份认证服务的公钥",
                ) from exc
            self._keys = {k.key_id or "": k for k in keys.keys}
            self._fetched_at = time.monotonic()
            self.fetches += 1


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by dotted path (`realm_access.roles`), as identity providers nest them."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


class TokenVerifier:
    """Verifies bearer tokens: RS256/ES256 of the identity provider (JWKS) in production,
    HS256 with a shared secret otherwise. Which claims carry the person, the organisation
    and the roles is a setting (`XIETONG_JWT_USER_CLAIM`, `_ORG_CLAIM`, `_ROLES_CLAIM`)."""

    # A client sends the same token with each of its requests, and checking it again (its
    # signature, every claim) cost more than the rest of a small GET's own work: a token
    # verified is remembered, by its exact text, until it expires or for a minute at most
    # (so a key withdrawn from the identity provider's set stops being honoured within one).
    REMEMBERED = 2048
    REMEMBER_S = 60.0

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        url = settings.jwt_jwks_url or None
        self._jwks = JwksKeys(url, ttl_s=settings.jwt_jwks_cache_s) if url else None
        self._hs_key = None if self._jwks else hs256_key(settings)
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        now = time.time()
        known = self._verified.get(token)
        if known is not None:
            if now < known[1]:
                return known[0]
            del self._verified[token]
        principal, expires = await self._verify(token)
        self._verified[token] = (principal, min(expires, now + self.REMEMBER_S))
        if len(self._verified) > self.REMEMBERED:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        settings = self.settings
        try:
            if self._jwks is not None:
                header = jwt.get_unverified_header(token)
                key: Any = (await self._jwks.key_for(header.get("kid"))).key
                algorithms = list(settings.jwt_algorithms)
            else:
                key, algorithms = self._hs_key, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=settings.jwt_audience,
                issuer=settings.jwt_issuer,
                options={"require": ["exp"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired", zh="令牌已过期", reason="expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthorized(
                "the token signature is not valid", zh="令牌签名无效", reason="bad-signature"
            ) from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(
                f"the token is not valid: {exc}", zh="令牌无效", reason="invalid"
            ) from exc
        user = _claim(claims, settings.jwt_user_claim)
        org = _claim(claims, settings.jwt_org_claim)
        roles = _claim(claims, settings.jwt_roles_claim) or []
        if not isinstance(user, str) or not user:
            raise Unauthorized(
                f"the token names no person (claim {settings.jwt_user_claim!r})",
                zh="令牌中没有用户标识",
                reason="invalid",
            )
        if not isinstance(org, str) or not is_org_code(org):
            raise Unauthorized(
                f"the token names no valid organisation: {org!r}",
                zh="令牌中的机构代码无效",
                reason="invalid",
            )
        if isinstance(roles, str):
            roles = roles.split()
        if not isinstance(roles, list):
            roles = []
        principal = Principal(org=org, user=user, roles=frozenset(str(r) for r in roles))
        return principal, float(claims["exp"])
