"""Which problem types an operation can return, for its OpenAPI document.

A gateway or a generated client needs each operation's problem `type` URIs, not only its
status codes. They are found, not listed by hand (a list by hand goes stale the day a use
case raises something new): from the route's endpoint and its dependencies, every function
of the service's packages and of `xietong_common` it can reach by name — a module's function,
a method of a module-level object or class, `self.`/`cls.` methods — is read (its syntax
tree), and every `AppError` subclass it names, except in an `except` clause, is one the
operation may return. A method of what a function returns is followed by the function's
return annotation (`pool_for(settings).render(...)`); calls on local objects (a unit of
work, a session) are not. What the web layer itself answers is added by
`framework_problems` (every operation: invalid input and internal error; with a token:
unauthorized, forbidden and the identity provider unavailable; with an id in the path: not
found; with a body: bad request and too large). The result is what the operation *may*
return, a little more rather than less."""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import textwrap
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from xietong_common.auth import Unavailable
from xietong_common.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)

_OURS = "xietong_common"


@dataclass(frozen=True, order=True)
class ProblemType:
    """One problem `type` as the OpenAPI document declares it."""

    status: int
    slug: str
    uri: str
    title: str
    title_zh: str

    @classmethod
    def of(cls, error: type[AppError]) -> ProblemType:
        return cls(error.status, error.slug, error.type_uri(), error.title, error.title_zh)


# What the web layer answers itself (xietong_common.web.problems, web.middleware).
INTERNAL_ERROR = ProblemType(
    500, "internal-error", "urn:xietong:problem:internal-error", "Internal error", "内部错误"
)
BAD_REQUEST = ProblemType(
    400, "bad-request", "urn:xietong:problem:bad-request", "Bad request", "请求有误"
)

# /readyz's answer while the database or Kafka is away (web.ops; sent in English only).
NOT_READY = ProblemType(503, "not-ready", "urn:xietong:problem:not-ready", "Not ready", "Not ready")

GENERIC = {
    p.status: p
    for p in [
        BAD_REQUEST,
        ProblemType.of(Unauthorized),
        ProblemType.of(Forbidden),
        ProblemType.of(NotFound),
        ProblemType.of(Conflict),
        ProblemType.of(PayloadTooLarge),
        ProblemType.of(UnsupportedMediaType),
        ProblemType.of(InvalidInput),
        INTERNAL_ERROR,
        NOT_READY,
    ]
}


def framework_problems(operation: dict[str, Any]) -> set[ProblemType]:
    """The problems any request to this operation may meet before or around its code."""
    found = {ProblemType.of(InvalidInput), INTERNAL_ERROR}
    if operation.get("security"):
        # The token's signature checked against the identity provider's keys, when it has
        # them from a JWKS URL: 503 while they cannot be read.
        found |= {
            ProblemType.of(Unauthorized),
            ProblemType.of(Forbidden),
            ProblemType.of(Unavailable),
        }
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        found.add(ProblemType.of(NotFound))
    if "requestBody" in operation:
        found |= {BAD_REQUEST, ProblemType.of(PayloadTooLarge)}
    if "503" in operation.get("responses", {}):  # only /readyz says so
        found.add(NOT_READY)
    return found


def route_problems(route: APIRoute) -> set[ProblemType]:
    """The problem types the route's own code (endpoint and dependencies) may raise."""
    # The service's package: the endpoint's, or (an endpoint made by xietong_common for a
    # service, such as its document routes) its dependencies'.
    calls = list(_calls(route.dependant))
    packages = frozenset(_root(call) for call in calls) - {_OURS, ""}
    found: set[type[AppError]] = set()
    for call in calls:
        bound = call if _is_instance(call) else None  # a callable object: itself as `self`
        found |= _raised(_unwrap(call), bound, packages)
    return {ProblemType.of(error) for error in found}


def _calls(dependant: Dependant) -> Iterator[Any]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _unwrap(obj: Any) -> Any:
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, functools.partial):
        obj = obj.func
    if inspect.ismethod(obj):
        obj = obj.__func__
    if callable(obj) and not inspect.isfunction(obj) and not inspect.isclass(obj):
        # A callable object (a dependency such as `Allowed(...)`): its __call__.
        obj = type(obj).__call__
    try:
        return inspect.unwrap(obj)
    except ValueError:
        return obj


def _ours(obj: Any, packages: frozenset[str]) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == _OURS or module.startswith(f"{_OURS}.") or module.split(".")[0] in packages


def _root(call: Any) -> str:
    module = getattr(_unwrap(call), "__module__", None) or ""
    return module.split(".")[0]


@dataclass(frozen=True)
class _Typed:
    """An object known only by its type (a parameter `ctx: ServiceContext`)."""

    cls: type


_HINTS: dict[Any, dict[str, Any]] = {}


def _hints(obj: Any) -> dict[str, Any]:
    """Its type hints, worked out once per function or class: with postponed annotations each
    hint is a string compiled and evaluated on every `get_type_hints` call, and a class's are
    asked for at each of its attributes a route reaches (~10,000 calls, 110,000 compiles and a
    third of the time of the OpenAPI documents of all eight services)."""
    try:
        return _HINTS[obj]
    except KeyError:
        pass
    except TypeError:  # not hashable: not kept
        return _hints_uncached(obj)
    hints = _HINTS[obj] = _hints_uncached(obj)
    return hints


def _hints_uncached(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj)
    except Exception:  # a hint naming what only type checkers import is not followed
        return {}


def _class_of(hint: Any) -> type | None:
    """The class a hint stands for: `X`, `X | None`, `Optional[X]` (else None)."""
    if inspect.isclass(hint) and not isinstance(hint, types.GenericAlias):
        return hint
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        classes = [a for a in typing.get_args(hint) if inspect.isclass(a) and a is not type(None)]
        return classes[0] if len(classes) == 1 else None
    return origin if inspect.isclass(origin) and origin.__module__ != "builtins" else None


# A function reached, and the object its `self` is when it was reached through one (a method
# of a module-level object such as a `RecordKind`), so that `self.attribute` can be followed.
_Node = tuple[Any, Any]


def _raised(start: Any, bound: Any, packages: frozenset[str]) -> set[type[AppError]]:
    found: set[type[AppError]] = set()
    seen: set[tuple[Any, int]] = set()
    todo: list[_Node] = [(start, bound)]
    while todo:
        function, bound = todo.pop()
        key = (function, id(bound))
        if key in seen or not (inspect.isfunction(function) and _ours(function, packages)):
            continue
        seen.add(key)
        errors, reached = _read(function, bound, packages)
        found |= errors
        todo.extend(reached)
    return found


_READ: dict[tuple[Any, int], tuple[frozenset[type[AppError]], tuple[_Node, ...]]] = {}


def _read(
    function: Any, bound: Any, packages: frozenset[str]
) -> tuple[frozenset[type[AppError]], tuple[_Node, ...]]:
    """The AppError classes a function names and the functions it reaches by name."""
    key = (function, id(bound))
    if key not in _READ:
        _READ[key] = _read_uncached(function, bound, packages)
    return _READ[key]


def _read_uncached(
    function: Any, bound: Any, packages: frozenset[str]
) -> tuple[frozenset[type[AppError]], tuple[_Node, ...]]:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return frozenset(), ()
    parameters = {
        name: _Typed(cls)
        for name, hint in _hints(function).items()
        if name != "return" and (cls := _class_of(hint)) is not None
    }
    namespace = {**vars(builtins), **function.__globals__, **_closure(function), **parameters}
    this = bound if bound is not None else _owner(function)
    caught = {
        id(node)
        for handler in ast.walk(tree)
        if isinstance(handler, ast.ExceptHandler) and handler.type is not None
        for node in ast.walk(handler.type)
    }
    errors: set[type[AppError]] = set()
    reached: list[_Node] = []
    for node in ast.walk(tree):
        if id(node) in caught or not isinstance(node, (ast.Name, ast.Attribute)):
            continue
        base, target = _resolve(node, namespace, this)
        if inspect.isclass(target) and issubclass(target, AppError):
            errors.add(target)
        elif target is not None:
            held = bound is not None and base is bound
            reached.extend(_functions_of(target, base, packages, held=held))
    return frozenset(errors), tuple(reached)


def _closure(function: Any) -> dict[str, Any]:
    names = function.__code__.co_freevars
    cells = function.__closure__ or ()
    values: dict[str, Any] = {}
    for name, cell in zip(names, cells, strict=False):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # not yet bound
            continue
    return values


def _owner(function: Any) -> Any:
    """The class a method is defined in (for `self.`/`cls.`), if it is a module-level one."""
    parts = function.__qualname__.split(".")
    if len(parts) < 2 or "<locals>" in parts:
        return None
    owner: Any = function.__globals__.get(parts[0])
    for part in parts[1:-1]:
        owner = getattr(owner, part, None)
    return owner if inspect.isclass(owner) else None


def _resolve(node: ast.expr, namespace: dict[str, Any], this: Any) -> tuple[Any, Any]:
    """(the object the name was read from, or None; the object it names, or None)."""
    if isinstance(node, ast.Name):
        if node.id in ("self", "cls") and this is not None:
            return None, this
        return None, namespace.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
        # A method of what a call returns (`pool_for(settings).render(...)`): known by the
        # called function's return annotation.
        _, called = _resolve(node.value.func, namespace, this)
        if not inspect.isfunction(called):
            return None, None
        cls = _class_of(_hints(called).get("return"))
        if cls is None:
            return None, None
        return _resolve_attribute(_Typed(cls), node.attr)
    if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
        _, base = _resolve(node.value, namespace, this)
        if base is None or isinstance(base, (dict, list, tuple, set, str, int, float)):
            return None, None
        if isinstance(base, _Typed):
            return _resolve_attribute(base, node.attr)
        try:
            return base, inspect.getattr_static(base, node.attr)
        except AttributeError:
            return None, None
    return None, None


def _resolve_attribute(base: _Typed, attr: str) -> tuple[Any, Any]:
    """An attribute of an object known only by its class: a method, or a field's class."""
    try:
        found = inspect.getattr_static(base.cls, attr)
    except AttributeError:
        found = None
    if found is None or _is_instance(found):
        # A field: known by its annotation.
        cls = _class_of(_hints(base.cls).get(attr))
        return None, (_Typed(cls) if cls is not None else None)
    return None, found


def _is_instance(obj: Any) -> bool:
    return not (
        inspect.isclass(obj)
        or inspect.ismodule(obj)
        or inspect.isroutine(obj)
        or isinstance(obj, (_Typed, staticmethod, classmethod, property))
    )


def _functions_of(
    target: Any, base: Any, packages: frozenset[str], *, held: bool
) -> Iterable[_Node]:
    """The functions a name leads to: a function (a method with the object it was read
    from as `self`), a class's constructor, a callable object's __call__; and, for an object
    of ours that the `self` object holds (`self.transitions`), whatever it can do."""
    if inspect.ismodule(target) or isinstance(target, _Typed):
        return ()
    if inspect.isclass(target):
        # Constructing one of our classes runs its __init__ / __post_init__.
        return [
            (_unwrap(vars(target)[name]), None)
            for name in ("__init__", "__post_init__", "__call__")
            if name in vars(target)
        ]
    mine = base is not None and _is_instance(base) and _ours(type(base), packages)
    instance = base if mine else None
    if held and _is_instance(target) and _ours(type(target), packages) and not callable(target):
        return [
            (_unwrap(member), target)
            for cls in type(target).__mro__
            if _ours(cls, packages)
            for member in vars(cls).values()
            if inspect.isfunction(_unwrap(member))
        ]
    try:
        function = _unwrap(target)
    except Exception:  # an object whose attributes cannot be read is not followed
        return ()
    if not inspect.isfunction(function):
        return ()
    if callable(target) and _is_instance(target) and not inspect.isfunction(target):
        instance = target  # a callable object: its __call__, with itself as `self`
    return [(function, instance)]


def problems_of(route: APIRoute | None, operation: dict[str, Any]) -> list[ProblemType]:
    """Every problem type the operation may return, by status then slug. A status the route
    documents (`responses=WRITE_ERRORS`) that nothing found carries gets its generic type."""
    found = framework_problems(operation) | (route_problems(route) if route else set())
    statuses = {p.status for p in found}
    for code in operation.get("responses", {}):
        generic = GENERIC.get(int(code)) if code.isdigit() else None
        if generic is not None and generic.status not in statuses:
            found.add(generic)
    return sorted(found)
