"""Who may call an operation: declared on its route, enforced before the route's body runs,
and documented in the OpenAPI, so an integrator reads what a 403 would otherwise teach.

    @router.post("/{referral_id}/send", ..., dependencies=[Allowed(roles=SENDING_ROLES)])

`Allowed(roles=…, orgs=…)` is a dependency: the caller's token must carry one of `roles`
(`ANY`: any role) and act for an organisation of one of the kinds `orgs` (`ANY`: any kind in
the directory), else 403 problem+json — the same `Forbidden` a use case's
`Principal.require_role` raises. Where the roles depend on the kind of organisation, give one
`Grant` per kind: `Allowed(Grant(LEAD_ROLES, INITIATORS), Grant(WRITE_ROLES, BUREAU))`.

The declaration front-loads the use case's own role check (which stays: it also guards
consumed events); checks that depend on the record (is this town a party of the case? → 404)
stay in the use cases. `create_app` refuses a route that declares nothing, and writes each
declaration into its operation: `x-roles`, `x-organisations` (`["*"]` for any), `x-access`
(one entry per grant, when roles differ by kind) and a line of the description in Chinese and
English.
"""

# No `from __future__ import annotations` here: FastAPI reads the parameters of
# `Access.__call__` from its annotations, and an instance has no module globals to resolve
# strings in.

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from fastapi import params
from fastapi.routing import APIRoute
from starlette.requests import Request

from xietong_common.auth import Principal
from xietong_common.errors import Forbidden
from xietong_common.labels import LabelledEnum
from xietong_common.reference import OrgKind, org_kind
from xietong_common.web.deps import REQUEST, BearerCredentials, authenticate

AnyOne = Literal["*"]
ANY: Final[AnyOne] = "*"

RoleSpec = Sequence[str] | AnyOne
OrgSpec = Sequence[OrgKind] | AnyOne


class Role(LabelledEnum):
    """The roles a token carries (its `roles` claim) that the services check."""

    HANDLER = "handler", "经办人", "case handler"
    LEADER = "leader", "负责人", "leader"
    CLERK = "clerk", "收发员", "clerk (receives and sends documents)"
    ADMIN = "admin", "管理员", "administrator"
    REVIEWER = "reviewer", "法制审核人员", "legal reviewer"
    HEAD = "head", "主要负责人", "head of the agency"
    PLATFORM = "platform", "受理平台", "intake platform (a system's account)"


@dataclass(frozen=True)
class Grant:
    """One way to be let in: a caller holding one of `roles` for an organisation of one of
    the kinds `orgs` (either may be `ANY`)."""

    roles: tuple[Role, ...] | AnyOne
    orgs: tuple[OrgKind, ...] | AnyOne

    def __init__(self, roles: RoleSpec, orgs: OrgSpec = ANY) -> None:
        object.__setattr__(self, "roles", _roles(roles))
        object.__setattr__(self, "orgs", _orgs(orgs))

    def admits_kind(self, kind: OrgKind) -> bool:
        return self.orgs == ANY or kind in self.orgs


def _roles(roles: RoleSpec) -> tuple[Role, ...] | AnyOne:
    if roles == ANY:
        return ANY
    if isinstance(roles, str):  # a bare "handler" would read as its letters
        raise TypeError(f"roles is a sequence of role names or ANY, not {roles!r}")
    if not roles:
        raise ValueError("an empty role list lets nobody in; give the roles, or ANY")
    known = {r.value for r in Role}
    unknown = sorted(set(roles) - known)
    if unknown:
        raise ValueError(f"unknown roles {unknown}; the known roles are {sorted(known)}")
    return tuple(dict.fromkeys(Role(r) for r in roles))


def _orgs(orgs: OrgSpec) -> tuple[OrgKind, ...] | AnyOne:
    if orgs == ANY:
        return ANY
    if isinstance(orgs, str):
        raise TypeError(f"orgs is a sequence of OrgKind or ANY, not {orgs!r}")
    if not orgs:
        raise ValueError("an empty list of organisation kinds lets nobody in; give them, or ANY")
    return tuple(dict.fromkeys(OrgKind(o) for o in orgs))


@dataclass(frozen=True)
class Access:
    """The callers an operation admits: the first grant whose kinds include the caller's
    organisation decides which roles it needs (grants name disjoint kinds)."""

    grants: tuple[Grant, ...]
    rule: str | None = None  # the rule the kinds of organisation come from, if one does

    def __post_init__(self) -> None:
        if not self.grants:
            raise ValueError("an operation declares at least one grant")
        kinds: list[OrgKind] = []
        for grant in self.grants:
            if grant.orgs == ANY and len(self.grants) > 1:
                raise ValueError("a grant for ANY organisation kind is the only grant")
            kinds += [] if grant.orgs == ANY else list(grant.orgs)
        if len(kinds) != len(set(kinds)):
            raise ValueError("each organisation kind is named by one grant only")

    async def __call__(self, request: Request, credentials: BearerCredentials) -> Principal:
        principal = await authenticate(request, credentials)
        self.check(principal)
        return principal

    def check(self, principal: Principal) -> None:
        """403 unless the caller's kind of organisation is admitted and it holds a role its
        grant names."""
        kind = org_kind(principal.org)
        grant = next((g for g in self.grants if g.admits_kind(kind)), None)
        if grant is None:
            allowed = self.organisations
            raise Forbidden(
                f"an organisation of kind {kind.value} ({principal.org}) may not do this; "
                f"this is for: {', '.join(allowed)}",
                zh=f"{kind.label_zh}（{principal.org}）无权执行此操作；此操作仅限："
                + "、".join(OrgKind(k).label_zh for k in allowed),
                allowed_org_kinds=allowed,
                **({"rule": self.rule} if self.rule else {}),
            )
        if grant.roles != ANY:
            principal.require_role(*(r.value for r in grant.roles))

    @property
    def roles(self) -> list[str]:
        """Every role some grant names (`["*"]`: any role)."""
        if any(g.roles == ANY for g in self.grants):
            return [ANY]
        return sorted({r.value for g in self.grants if g.roles != ANY for r in g.roles})

    @property
    def organisations(self) -> list[str]:
        """Every kind of organisation admitted (`["*"]`: any), in the directory's order."""
        if any(g.orgs == ANY for g in self.grants):
            return [ANY]
        admitted = {k for g in self.grants if g.orgs != ANY for k in g.orgs}
        return [k.value for k in OrgKind if k in admitted]

    def openapi(self) -> dict[str, Any]:
        """The operation's extensions: `x-roles`, `x-organisations` and, where the roles
        differ by kind of organisation, `x-access` with one entry per grant."""
        extensions: dict[str, Any] = {
            "x-roles": self.roles,
            "x-organisations": self.organisations,
        }
        if len(self.grants) > 1:
            extensions["x-access"] = [
                {"roles": _names(g.roles), "organisations": _names(g.orgs)} for g in self.grants
            ]
        return extensions

    def describe(self) -> str:
        """The lines a person reads in Swagger UI, in Chinese and English."""
        kinds = "、".join(_label(OrgKind, k) for k in self.organisations)
        if len(self.grants) == 1:
            roles = _roles_text(self.grants[0].roles)
        else:
            roles = "; ".join(
                f"{'、'.join(_label(OrgKind, k) for k in _names(g.orgs))} → {_roles_text(g.roles)}"
                for g in self.grants
            )
        if self.rule:
            kinds += f" ({self.rule})"
        return f"**Roles 角色**: {roles}\n\n**Organisations 机构**: {kinds}"


def _names(values: tuple[LabelledEnum, ...] | AnyOne) -> list[str]:
    return [ANY] if values == ANY else [v.value for v in values]


def _label(enum: type[LabelledEnum], value: str) -> str:
    if value == ANY:
        return "any organisation in the directory 机构名录中的任何机构 (`*`)"
    return f"`{value}` {enum(value).label_zh}"


def _roles_text(roles: tuple[Role, ...] | AnyOne) -> str:
    if roles == ANY:
        return "any role 任何角色 (`*`)"
    names = "、".join(_label(Role, r.value) for r in roles)
    return names if len(roles) == 1 else f"{names} (one of them 任一)"


def Allowed(  # named like FastAPI's Depends, which it returns
    *grants: Grant, roles: RoleSpec | None = None, orgs: OrgSpec = ANY, rule: str | None = None
) -> params.Depends:
    """The route's callers: `roles` and `orgs` (kinds), or one `Grant` per kind of
    organisation where the roles differ; `rule`: the rule ID that limits the kinds, cited
    when a caller of another kind is refused. Enforced before the route's body, documented
    in its operation."""
    if grants and roles is not None:
        raise TypeError("give either grants or roles (and orgs), not both")
    if not grants:
        if roles is None:
            raise TypeError("declare the roles (ANY for any role)")
        grants = (Grant(roles, orgs),)
    return params.Depends(Access(grants, rule), scope=REQUEST)


def access_of(route: APIRoute) -> Access | None:
    """The route's declaration, if it has one."""
    found = [d.dependency for d in route.dependencies if isinstance(d.dependency, Access)]
    if len(found) > 1:
        raise ValueError(f"{route.path}: declare the callers once (one Allowed)")
    return found[0] if found else None


def declare_access(route: APIRoute) -> None:
    """Write the route's declaration into its operation (extensions and a line of its
    description); a route without one is refused: every operation says who may call it."""
    access = access_of(route)
    if access is None:
        methods = ", ".join(sorted(route.methods or ()))
        raise ValueError(
            f"{methods} {route.path} ({route.name}) does not declare its callers: add "
            "dependencies=[Allowed(roles=..., orgs=...)] (xietong_common.web.access)"
        )
    route.openapi_extra = {**(route.openapi_extra or {}), **access.openapi()}
    line = access.describe()
    if not route.description.endswith(line):  # apps made again from the same routes
        route.description = f"{route.description}\n\n{line}" if route.description else line
