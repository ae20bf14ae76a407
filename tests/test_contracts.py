"""The OpenAPI documents as a gateway or a client generator imports them (issue 25): every
example valid against its schema, every problem type an operation may return declared with
its type URI, title and status, and operationIds that do not change by accident.

The documents read are docs/openapi/*.json, which tests/test_docs_current.py keeps equal to
what the services generate; nothing here starts a service."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from xietong_common.errors import AppError, Conflict
from xietong_common.services import SERVICES
from xietong_common.web.problem_types import route_problems

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "openapi"
OPERATION_IDS = Path(__file__).with_name("operation_ids.txt")
_METHODS = {"get", "put", "post", "delete", "patch"}

# Problem types no operation declares, and why (an entry here is a decision, not a shrug).
UNDECLARED = {
    # Defined in referral/errors.py, raised nowhere: case numbers come with issue 23.
    "referral-duplicate-case-number",
    # Raised only by oversight's event handlers (a forged deadline fact goes to the DLQ); it
    # has no REST operation to answer with it.
    "oversight-fact-not-its-own",
    # Likewise the outsider's (SUP-01): a service's checkpoint of another's audit chain.
    "oversight-checkpoint-not-its-own",
    # Likewise the notifier's: an event from another than its producer goes to the DLQ.
    "notifier-event-not-from-its-owner",
    # Refused by `xietong oversight rebuild` (a command, not an operation) when the ledger
    # is not empty.
    "oversight-ledger-not-empty",
}


def _documents() -> dict[str, dict[str, Any]]:
    return {name: json.loads((DOCS / f"{name}.json").read_text()) for name in SERVICES}


DOCUMENTS = _documents()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in _METHODS:
                yield method, path, operation


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of `schema` whose `#/components/...` references are the document's."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:document", Resource(contents=document, specification=DRAFT202012)
    )
    text = json.dumps(schema).replace('"#/components/', '"urn:document#/components/')
    return Draft202012Validator(
        json.loads(text), registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _schema_examples(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Every JSON Schema `examples` list in the document, with the schema it belongs to."""
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list) and not where.endswith("/content"):
            schema = {k: v for k, v in node.items() if k != "examples"}
            for n, example in enumerate(node["examples"]):
                yield f"{where}/examples/{n}", schema, example
        for key, value in node.items():
            if key not in ("examples", "example"):
                yield from _schema_examples(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _schema_examples(value, f"{where}/{n}")


def _media_examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Every named example of a request or response body, with the body's schema."""
    named = document.get("components", {}).get("examples", {})
    for method, path, operation in _operations(document):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(code, r) for code, r in operation.get("responses", {}).items()]
        for code, body in bodies:
            for media, content in body.get("content", {}).items():
                for name, example in content.get("examples", {}).items():
                    ref = example.get("$ref", "")
                    value = named[ref.rsplit("/", 1)[1]] if ref else example
                    where = f"{method.upper()} {path} {code} {media} {name}"
                    yield where, content.get("schema", {}), value["value"]


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_example_validates_against_its_schema(service: str) -> None:
    document = DOCUMENTS[service]
    examples = [*_schema_examples(document, ""), *_media_examples(document)]
    assert examples
    wrong = [
        f"{where}: {error.message[:200]}"
        for where, schema, example in examples
        for error in list(_validator(document, schema).iter_errors(example))[:1]
    ]
    assert not wrong, "\n".join(wrong)


def test_every_problem_type_is_declared_with_its_status() -> None:
    """Each error response of each operation names the problem types it may carry (type URI,
    title, status: a named example), each of the response's status; and every problem type
    the code defines is declared by some operation."""
    declared: set[str] = set()
    for service, document in DOCUMENTS.items():
        named = document["components"]["examples"]
        for method, path, operation in _operations(document):
            for code, response in operation["responses"].items():
                if code[0] not in "45":
                    continue
                content = response["content"]["application/problem+json"]
                refs = [e["$ref"].rsplit("/", 1)[1] for e in content.get("examples", {}).values()]
                assert refs, f"{service}: {method.upper()} {path} {code} names no problem type"
                for slug in refs:
                    value = named[slug]["value"]
                    assert value["type"] == f"urn:xietong:problem:{slug}"
                    assert str(value["status"]) == code, (service, path, code, slug)
                    assert value["title"]
                    assert named[slug]["summary"]
                    declared.add(slug)

    for package in SERVICES.values():
        importlib.import_module(f"{package}.main")
    defined: dict[str, type[AppError]] = {}
    owners = {"xietong_common", *SERVICES.values()}
    todo = [AppError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        # A base of others may be raised, but need not be; tests define their own.
        if not cls.__subclasses__() and cls.__module__.split(".")[0] in owners:
            defined[cls.slug] = cls
    undeclared = {slug for slug in defined if slug not in declared}
    assert undeclared == UNDECLARED, {s: defined[s].__module__ for s in undeclared ^ UNDECLARED}


# ---- how the problem types of an operation are found ------------------------------------------


class _Refused(Conflict):
    slug = "test-refused"


class _Missing(AppError):
    status = 422
    slug = "test-missing"


class _Caught(AppError):
    slug = "test-caught"


class _Checker:
    def check(self, value: int) -> None:
        if value < 0:
            raise _Missing("negative")


class _Kind:
    def __init__(self) -> None:
        self.checker = _Checker()

    def step(self, value: int) -> None:
        self.checker.check(value)


KIND = _Kind()


def _use_case(value: int, checker: _Checker) -> None:
    checker.check(value)
    try:
        if value > 10:
            raise _Refused("too many")
    except _Caught:  # handled here: not something the operation returns
        return


def _dependency() -> _Checker:
    return _Checker()


def test_the_problems_a_route_raises_are_found_through_its_calls() -> None:
    """Through a helper, a parameter's type, a module-level object's method and what that
    object holds; a type named only in an `except` clause is not one."""
    router = APIRouter()

    @router.post("/things")
    async def create(value: int, checker: Annotated[_Checker, Depends(_dependency)]) -> None:
        _use_case(value, checker)

    @router.post("/steps")
    async def step(value: int) -> None:
        KIND.step(value)

    routes = {r.path: r for r in router.routes if isinstance(r, APIRoute)}
    assert {p.slug for p in route_problems(routes["/things"])} == {"test-refused", "test-missing"}
    assert {p.slug for p in route_problems(routes["/steps"])} == {"test-missing"}


# ---- operationIds -----------------------------------------------------------------------------


def _operation_ids() -> list[str]:
    return sorted(
        f"{service} {operation['operationId']} {method.upper()} {path}"
        for service, document in DOCUMENTS.items()
        for method, path, operation in _operations(document)
    )


def test_operation_ids_are_unique_named_and_do_not_stutter() -> None:
    for service, document in DOCUMENTS.items():
        ids = [operation["operationId"] for _, _, operation in _operations(document)]
        assert len(ids) == len(set(ids)), service
        for operation_id in ids:
            assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", operation_id), operation_id
            assert not re.match(r"^(\w+)_\1(_|$)", operation_id), f"stutters: {operation_id}"


def test_operation_ids_do_not_change_by_accident() -> None:
    """A client generated from the documents calls operations by these names: renaming one
    breaks every such client. tests/operation_ids.txt lists them; a new operation is added
    there, and a rename or removal is a decision recorded there and in the release notes."""
    expected = OPERATION_IDS.read_text().splitlines()
    current = _operation_ids()
    gone = sorted(set(expected) - set(current))
    new = sorted(set(current) - set(expected))
    changes = [*(f"- {line}" for line in gone), *(f"+ {line}" for line in new)]
    assert not changes, (
        "operationIds changed (tests/operation_ids.txt if deliberate):\n" + "\n".join(changes)
    )


def test_ops_routes_need_no_token_and_bodies_have_names_of_their_own() -> None:
    for service, document in DOCUMENTS.items():
        for path in ("/healthz", "/readyz"):
            assert document["paths"][path]["get"]["security"] == [], (service, path)
        generated = [n for n in document["components"]["schemas"] if n.startswith("Body_")]
        assert not generated, (service, generated)


# Pages that are not lists of records, and why: no row of them has a last change.
NOT_RECORDS = {
    # ASSIST three(four): figures per organisation and period, computed on each request.
    "assistance_performance",
}


def _is_page(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return {"items", "total", "page", "page_size"} <= set(schema.get("properties", {}))


def test_every_list_of_records_takes_updated_since() -> None:
    """Issue 25: a platform that polls instead of consuming the events asks every list for
    what changed since its last poll (`xietong_common.web.deps.Paging` declares it, and
    `fetch_page` cannot be called without the column it filters on)."""
    lists, missing = [], []
    for name, document in DOCUMENTS.items():
        for method, path, operation in _operations(document):
            ok = operation.get("responses", {}).get("200", {})
            schema = ok.get("content", {}).get("application/json", {}).get("schema")
            if method != "get" or schema is None or not _is_page(document, schema):
                continue
            if operation["operationId"] in NOT_RECORDS:
                continue
            lists.append(f"{name} {path}")
            params = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
            since = params.get("updated_since", {}).get("schema", {})
            kinds = [since, *since.get("anyOf", [])]
            if not any(k.get("format") == "date-time" for k in kinds):
                missing.append(f"{name} GET {path}")
    assert len(lists) >= 40, lists
    assert not missing, missing
    pages = {o["operationId"] for d in DOCUMENTS.values() for _, _, o in _operations(d)}
    assert pages >= NOT_RECORDS, "an exemption names no operation any more"
