"""Every operation of the services declares who may call it, and the declaration is true.

The declaration (`Allowed` in `xietong_common.web.access`) is what integrators read in
docs/openapi/<service>.json: `x-roles`, `x-organisations` and, where the roles differ by kind
of organisation, `x-access`. Here: every operation declares, with known names only; each
declaration is enforced before anything else (a caller of an admitted kind of organisation
holding every role but the declared ones, or of a kind not admitted holding every role, gets
403 with no database to reach); and the roles a route declares are the use cases' own tuples.
"""

from __future__ import annotations

import ast
import importlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from xietong_common.reference import OrgKind
from xietong_common.services import SERVICES
from xietong_common.web.access import ANY, Role
from xietong_devtools.testing import RunningService, app_before_io

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("get", "post", "put", "patch", "delete")
ROLES = {r.value for r in Role}
KINDS = [k.value for k in OrgKind]


# Oversight (督察) only reads: a handful of operations, every one open to any role of any
# organisation (each caller then sees its own figures only, which its own tests prove). The
# notifier is no mechanism either: its subscriptions and deliveries are 8 operations.
FEWEST_OPERATIONS = {"oversight": 4, "notifier": 8}
OPEN_TO_EVERY_CALLER = {"oversight"}


def document(service: str) -> dict[str, Any]:
    return dict(json.loads((ROOT / "docs" / "openapi" / f"{service}.json").read_text()))


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The API's operations; the ops routes (/healthz, /readyz, /metrics) are not among them."""
    return [
        (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS and "operations" not in op.get("tags", [])
    ]


def grants(op: dict[str, Any]) -> list[dict[str, list[str]]]:
    """One entry per kind-specific grant, or the one grant x-roles and x-organisations say."""
    return op.get("x-access") or [{"roles": op["x-roles"], "organisations": op["x-organisations"]}]


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_operation_declares_its_callers_with_known_names(service: str) -> None:
    doc = document(service)
    ops = operations(doc)
    assert len(ops) >= FEWEST_OPERATIONS.get(service, 15)
    for method, path, op in ops:
        where = f"{service}: {method.upper()} {path}"
        assert "x-roles" in op, f"{where} does not say which roles may call it"
        assert "x-organisations" in op, f"{where} does not say which organisations may call it"
        roles, kinds = op["x-roles"], op["x-organisations"]
        assert roles == [ANY] or (roles and set(roles) <= ROLES), where
        assert kinds == [ANY] or (kinds and set(kinds) <= set(KINDS)), where
        union_roles: set[str] = set()
        union_kinds: set[str] = set()
        for grant in grants(op):
            union_roles |= set(grant["roles"])
            union_kinds |= set(grant["organisations"])
        assert union_roles == set(roles), where
        assert union_kinds == set(kinds), where
        # a person reads it too, and the refusals stay documented
        assert "**Roles 角色**" in op["description"], where
        assert "**Organisations 机构**" in op["description"], where
        assert {"401", "403"} <= set(op["responses"]), where


def test_ops_routes_are_not_operations_of_the_api() -> None:
    for service in SERVICES:
        paths = document(service)["paths"]
        for path in ("/healthz", "/readyz", "/metrics"):
            assert "x-roles" not in paths[path]["get"]


def path_of(path: str, op: dict[str, Any], doc: dict[str, Any]) -> str:
    """The path with syntactically valid dummies: a UUID, an enum's first value, a minimum."""
    for param in op.get("parameters", []):
        if param["in"] != "path":
            continue
        schema = param["schema"]
        if "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if schema.get("format") == "uuid":
            value = str(uuid.uuid4())
        elif "enum" in schema:
            value = str(schema["enum"][0])
        elif schema.get("type") == "integer":
            value = str(schema.get("minimum", 1))
        elif schema.get("pattern") == "^[0-9a-f]{64}$":  # a SHA-256 (GET /documents/{digest})
            value = "0" * 64
        elif schema.get("type") == "string" and schema.get("examples"):
            value = str(schema["examples"][0])
        else:
            raise AssertionError(f"no dummy for path parameter {param['name']} of {path}")
        path = path.replace("{" + param["name"] + "}", value)
    return path


async def call(
    svc: RunningService, method: str, path: str, op: dict[str, Any], org: str, roles: set[str]
) -> Any:
    """A plausible call: a JSON body `{}` or a small multipart file where the operation takes a
    body (its content is never read: the refusal comes first)."""
    headers = svc.auth(org, *sorted(roles), user=f"{org}/access-test")
    content = op.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        return await svc.client.request(
            method, path, headers=headers, files={"file": ("x.txt", b"x", "text/plain")}
        )
    if "application/json" in content:
        return await svc.client.request(method, path, headers=headers, json={})
    return await svc.client.request(method, path, headers=headers)


def one_of_kind(svc: RunningService, kind: str) -> str:
    return svc.ctx.directory.of_kind(OrgKind(kind))[0].code


@pytest.mark.parametrize("service", list(SERVICES))
async def test_a_caller_without_the_declared_roles_or_kind_is_refused_before_anything_else(
    service: str,
) -> None:
    """Against the service's app with its database and Kafka where nothing answers: the 403
    comes before any read, any body check, any use case."""
    spec = importlib.import_module(f"{SERVICES[service]}.main").SPEC
    checked = 0
    async with app_before_io(spec) as svc:
        doc = (await svc.client.get("/openapi.json")).json()
        assert doc["paths"] == document(service)["paths"]  # what integrators read
        for method, template, op in operations(doc):
            path = path_of(template, op, doc)
            where = f"{service}: {method.upper()} {template}"
            for grant in grants(op):
                if grant["roles"] == [ANY]:
                    continue
                needed = set(grant["roles"])
                kinds = KINDS if grant["organisations"] == [ANY] else grant["organisations"]
                for kind in kinds:
                    # every role there is but the declared ones
                    r = await call(svc, method, path, op, one_of_kind(svc, kind), ROLES - needed)
                    assert r.status_code == 403, f"{where} as {kind}: {r.status_code} {r.text}"
                    problem = r.json()
                    assert problem["type"] == "urn:xietong:problem:forbidden", where
                    assert problem["required_roles"] == sorted(needed), where
                    checked += 1
            if op["x-organisations"] == [ANY]:
                continue
            for kind in set(KINDS) - set(op["x-organisations"]):
                r = await call(svc, method, path, op, one_of_kind(svc, kind), ROLES)
                assert r.status_code == 403, f"{where} as {kind}: {r.status_code} {r.text}"
                assert r.json()["allowed_org_kinds"] == op["x-organisations"], where
                checked += 1
    assert checked > 0 or service in OPEN_TO_EVERY_CALLER


# ---- the route declares the use cases' own role tuples ----------------------------------------


def declarations(tree: ast.Module) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("Allowed", "Grant")
    ]


def roles_argument(call: ast.Call) -> ast.expr | None:
    """`roles=` of Allowed or Grant, or Grant's first argument."""
    given = next((k.value for k in call.keywords if k.arg == "roles"), None)
    is_grant = isinstance(call.func, ast.Name) and call.func.id == "Grant"
    return call.args[0] if is_grant and call.args else given


@pytest.mark.parametrize("service", list(SERVICES))
def test_routes_declare_the_role_tuples_their_use_cases_check(service: str) -> None:
    """No retyped lists: a route's roles are ANY or a name imported from the service's
    service/common.py, where the use cases take theirs."""
    package = SERVICES[service]
    api = ROOT / "services" / service / "src" / package / "api"
    common = importlib.import_module(f"{package}.service.common")
    found = 0
    for source in sorted(api.glob("*.py")):
        tree = ast.parse(source.read_text())
        imported = {
            alias.asname or alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module == f"{package}.service.common"
            for alias in node.names
        }
        for call_node in declarations(tree):
            roles = roles_argument(call_node)
            if roles is None:  # Allowed(Grant(...), ...): the grants name them
                continue
            found += 1
            where = f"{source.relative_to(ROOT)}:{call_node.lineno}"
            assert isinstance(roles, ast.Name), f"{where}: name the roles, do not list them"
            assert roles.id == "ANY" or roles.id in imported, f"{where}: {roles.id}"
            if roles.id != "ANY":
                assert set(getattr(common, roles.id)) <= ROLES, where
    assert found >= FEWEST_OPERATIONS.get(service, 15)
