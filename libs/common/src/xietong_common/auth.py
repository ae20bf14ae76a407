"""JWT bearer authentication and per-organisation access checks."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from xietong_common.errors import Forbidden, NotFound, Unauthorized
from xietong_common.settings import ServiceSettings, project_root

ORG_PREFIXES = ("town:", "dept:", "justice-office:")
ORG_SINGLETONS = ("justice-bureau", "district-gov")
OVERSIGHT_ORG = "justice-bureau"
DISTRICT_GOV = "district-gov"


def is_valid_org(org: str) -> bool:
    if org in ORG_SINGLETONS:
        return True
    return any(org.startswith(p) and len(org) > len(p) for p in ORG_PREFIXES)


@dataclass(frozen=True)
class Principal:
    """Who is calling: organisation, roles and person (from the JWT)."""

    org: str
    user: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_town(self) -> bool:
        return self.org.startswith("town:")

    @property
    def is_department(self) -> bool:
        return self.org.startswith("dept:")

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
    """The HS256 key: XIETONG_JWT_SECRET, else a key generated once under .local/."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
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
    if not is_valid_org(org):
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


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._hs_key = None if self._jwks else hs256_key(settings)

    def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256"]
            else:
                key, algorithms = self._hs_key, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "sub", "org"]},
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
        org = str(claims["org"])
        if not is_valid_org(org):
            raise Unauthorized(
                f"the token names no valid organisation: {org!r}",
                zh="令牌中的机构代码无效",
                reason="invalid",
            )
        roles = claims.get("roles") or []
        return Principal(org=org, user=str(claims["sub"]), roles=frozenset(str(r) for r in roles))
