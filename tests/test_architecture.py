"""The shape every service shares, and the boundaries the code keeps (docs/architecture.md).

Read from the source, without importing it: the same file names in every service, no
service importing another, no import cycle in libs/ or services/, domains free of I/O
frameworks, use cases that take the context rather than the app factory, xietong_common
in layers with its command line on top.
"""

from __future__ import annotations

import ast
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {
    "referral": "referral",
    "legal-review": "legal_review",
    "secondment": "secondment",
    "joint-inspection": "joint_inspection",
    "assistance": "assistance",
    "info-sharing": "info_sharing",
    "oversight": "oversight",
    "notifier": "notifier",
}
# One name, one job, in every service; a module past ~400 lines becomes a package of the
# same name (api/, service/, domain/, schemas/).
SHAPE = (
    "main",
    "settings",
    "domain",
    "errors",
    "models",
    "schemas",
    "views",
    "service",
    "api",
    "events",
    "handlers",
)


OPTIONAL_SHAPE = ("cli",)
"""What a service may add: `cli` — its commands under `xietong <service> …`, registered
through the `xietong.cli` entry point (oversight: `xietong oversight rebuild`)."""


def _module_or_package(src: Path, name: str) -> bool:
    return (src / f"{name}.py").is_file() or (src / name / "__init__.py").is_file()


@pytest.mark.parametrize(("directory", "package"), SERVICES.items())
def test_every_service_has_the_same_shape(directory: str, package: str) -> None:
    service = ROOT / "services" / directory
    src = service / "src" / package
    missing = [name for name in SHAPE if not _module_or_package(src, name)]
    assert missing == [], f"{directory} lacks {missing}"
    for extra in ("migrations/env.py", "migrations/versions", "tests/unit", "tests/integration"):
        assert (service / extra).exists(), f"{directory} lacks {extra}"
    unexpected = sorted(
        p.stem
        for p in src.iterdir()
        if p.stem not in (*SHAPE, *OPTIONAL_SHAPE)
        and p.name not in ("__init__.py", "py.typed", "__pycache__")
    )
    assert unexpected == [], f"{directory} has modules outside the shape: {unexpected}"


def _modules() -> Iterator[tuple[str, Path]]:
    roots = [ROOT / "libs" / "common" / "src", ROOT / "libs" / "devtools" / "src"]
    roots += [ROOT / "services" / d / "src" for d in SERVICES]
    for root in roots:
        for path in root.rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = dict(_modules())
    return {
        name: {i for i in _imports(path, name) if i in modules and i != name}
        for name, path in modules.items()
    }


def test_no_import_cycle_in_libs_or_services(graph: dict[str, set[str]]) -> None:
    # A package's __init__ only hands names on; a cycle through it is not a cycle of code.
    faces = {m for m in graph if (m + ".__init__") and not _defines_code(m)}
    edges = {m: {i for i in deps if i not in faces} for m, deps in graph.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def _defines_code(module: str) -> bool:
    for name, path in _modules():
        if name == module and path.name == "__init__.py":
            tree = ast.parse(path.read_text())
            return any(
                isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                for n in tree.body
            )
    return True


def test_services_never_import_each_other(graph: dict[str, set[str]]) -> None:
    for module, deps in graph.items():
        own = module.split(".")[0]
        others = {d.split(".")[0] for d in deps} & (set(SERVICES.values()) - {own})
        assert others == set(), f"{module} imports the service(s) {sorted(others)}"


def test_domains_do_no_io_and_use_cases_do_not_import_the_app(graph: dict[str, set[str]]) -> None:
    for name, path in _modules():
        top = name.split(".")[0]
        if top not in SERVICES.values():
            continue
        part = name.split(".")[1] if "." in name else ""
        imported = _imports(path, name)
        if part == "domain":
            io = {i for i in imported if i.split(".")[0] in ("fastapi", "sqlalchemy", "asyncpg")}
            assert io == set(), f"{name} (a domain) imports {sorted(io)}"
        if part == "service":
            web = {i for i in imported if i.startswith("xietong_common.web")}
            assert web == set(), f"{name} (use cases) imports the web layer {sorted(web)}"


def test_the_runtime_library_does_not_import_its_web_layer_below_it(
    graph: dict[str, set[str]],
) -> None:
    """xietong_common.context, jobs, messaging and the rest sit below the web layer; only the
    command line (`cli/`), which stands on top of every layer, reaches into it."""
    for module, deps in graph.items():
        if _in(module, "xietong_common.cli"):
            continue
        if module.startswith("xietong_common.") and not module.startswith("xietong_common.web"):
            web = {d for d in deps if d.startswith("xietong_common.web")}
            assert web == set(), f"{module} imports {sorted(web)}"


# xietong_common by layer, from the bottom up: a module imports from its own layer or below,
# never from above. Packages group by layer, not by topic: the relay and the consumer
# (`messaging/`) stand above the envelope and registry they send (`events/`), the checkpoint
# job and verification (`attestation/`) above the chain the unit of work writes (`audit/`).
# Modules not named here are held only by the cycle test.
COMMON_LAYERS = (
    ("events", "audit", "faultpoints", "files", "reasons", "closing"),
    ("contracts",),
    (
        "db",
        "uow",
        "job_rows",
        "deadlines",
        "idempotency",
        "context",
        "jobs",
        "import_jobs",
        "records",
        "materials",
    ),
    ("messaging", "attestation", "mechanisms"),
    ("web",),
    ("cli",),
)


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _common_layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "xietong_common" or len(parts) < 2:
        return None
    return next((n for n, layer in enumerate(COMMON_LAYERS) if parts[1] in layer), None)


def test_xietong_common_imports_only_downwards(graph: dict[str, set[str]]) -> None:
    upwards = sorted(
        f"{module} -> {dep}"
        for module, deps in graph.items()
        if (layer := _common_layer(module)) is not None
        for dep in deps
        if (dep_layer := _common_layer(dep)) is not None and dep_layer > layer
    )
    assert upwards == [], "imports from a higher layer:\n" + "\n".join(upwards)


def test_contracts_stand_on_the_envelope_and_registry_alone(graph: dict[str, set[str]]) -> None:
    """An event contract is a versioned model on the registry: it sends, stores and runs nothing."""
    allowed = {
        "xietong_common.events",
        "xietong_common.events.envelope",
        "xietong_common.events.registry",
    }
    for module, deps in graph.items():
        if _in(module, "xietong_common.contracts"):
            events = {d for d in deps if _in(d, "xietong_common.events")} - allowed
            assert events == set(), f"{module} imports {sorted(events)}"


def test_only_the_command_line_imports_the_command_line(graph: dict[str, set[str]]) -> None:
    """`xietong_common.cli` is a front end on top: neither the library nor a service imports it
    (the devtools plug into it through the `xietong.cli` entry point, and may)."""
    for module, deps in graph.items():
        if _in(module, "xietong_common.cli") or _in(module, "xietong_devtools"):
            continue
        cli = {d for d in deps if _in(d, "xietong_common.cli")}
        assert cli == set(), f"{module} imports the command line {sorted(cli)}"


# ---- one spelling per idiom (docs/architecture.md, "The record kit") -------------------------

NOT_YET_ON_THE_KIT: set[str] = set()
"""Services not yet converted to the record kit. Each conversion (the checklist in
docs/architecture.md) removes its name here; the list only shrinks."""
ON_THE_KIT = {d: p for d, p in SERVICES.items() if d not in NOT_YET_ON_THE_KIT}
ROOT_PACKAGES = {
    package: ROOT / "services" / d / "src" / package for d, package in SERVICES.items()
}


def _service_modules(package: str, part: str | None = None) -> Iterator[tuple[str, Path]]:
    """The modules of one service (under `part`, e.g. "service", if given)."""
    src = ROOT_PACKAGES[package]
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        if part is not None and parts[0] != part:
            continue
        name = ".".join([package, *(p for p in parts if p != "__init__")])
        yield name, path


def _trees(package: str, part: str | None = None) -> Iterator[tuple[str, ast.Module]]:
    for name, path in _service_modules(package, part):
        yield name, ast.parse(path.read_text())


def test_the_kit_allowlist_only_names_services() -> None:
    assert set(SERVICES) >= NOT_YET_ON_THE_KIT
    assert "referral" not in NOT_YET_ON_THE_KIT  # the worked example


@pytest.mark.parametrize("package", SERVICES.values())
def test_no_error_class_repeats_the_status_it_inherits(package: str) -> None:
    errors = __import__(f"{package}.errors", fromlist=["*"])
    repeated = [
        name
        for name, cls in vars(errors).items()
        if isinstance(cls, type)
        and cls.__module__ == errors.__name__
        and "status" in vars(cls)
        and next(b for b in cls.__mro__[1:] if "status" in vars(b)).status == cls.status
    ]
    assert repeated == [], f"{package}.errors: drop the inherited `status =` of {repeated}"


@pytest.mark.parametrize("package", SERVICES.values())
def test_reference_data_is_refused_with_the_common_problems(package: str) -> None:
    """`ctx.directory.require(code, *kinds)` and `ctx.catalogue.require(code)` raise the one
    `unknown-organisation` / `unknown-matter` problem; no service spells its own."""
    errors = __import__(f"{package}.errors", fromlist=["*"])
    own = [
        f"{name} ({cls.slug})"
        for name, cls in vars(errors).items()
        if isinstance(cls, type)
        and cls.__module__ == errors.__name__
        and (
            name in ("UnknownOrganisation", "UnknownMatter")
            or getattr(cls, "slug", "").endswith(("unknown-organisation", "unknown-matter"))
        )
    ]
    assert own == [], f"{package} declares {own}: use xietong_common.reference's"
    helpers = [
        f"{module}.{node.name}"
        for module, tree in _trees(package)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.name in ("check_org", "check_orgs", "is_town", "is_department")
    ]
    assert helpers == [], f"spelt again: {helpers} (the directory and reference.is_town say it)"


ORG_PREFIXES = ("town:", "dept:", "justice-office:")


def test_organisation_kinds_are_read_in_one_place() -> None:
    """`reference.is_town(code)`, `kind_of_code(code)`, the directory's kinds: never a raw
    `startswith("town:")` outside xietong_common.reference."""
    found = []
    for name, path in _modules():
        if name == "xietong_common.reference":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("startswith", "removeprefix")
                and any(isinstance(a, ast.Constant) and a.value in ORG_PREFIXES for a in node.args)
            ):
                found.append(f"{name}:{node.lineno}")
    assert found == [], f"raw organisation-code tests: {found}"


def test_domains_do_not_import_the_token_module(graph: dict[str, set[str]]) -> None:
    """Organisation constants live in xietong_common.reference: a pure domain never loads
    the JWT and HTTP client of `auth`."""
    for package in SERVICES.values():
        for name, path in _service_modules(package, "domain"):
            auth = {i for i in _imports(path, name) if i.startswith("xietong_common.auth")}
            assert auth == set(), f"{name} imports {sorted(auth)}"


@pytest.mark.parametrize("package", SERVICES.values())
def test_problem_response_sets_are_declared_once(package: str) -> None:
    """WRITE_ERRORS, READ_ERRORS, LIST_ERRORS … come from xietong_common.web.problems."""
    declared = [
        f"{module}:{target.id}"
        for module, tree in _trees(package)
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id.endswith("_ERRORS")
    ]
    assert declared == [], f"declared again: {declared}"


@pytest.mark.parametrize(("directory", "package"), SERVICES.items())
def test_ids_in_paths_are_spelled_uuid(directory: str, package: str) -> None:
    """`"/{referral_id:uuid}"` wherever the parameter is a UUID, so a fixed path beside it is
    never taken for an id (and a malformed id is a 404); nothing rewrites routes later."""
    import xietong_common.web.app as web_app
    from xietong_common.web.app import api_routes

    assert not hasattr(web_app, "ids_match_uuids")
    spec = __import__(f"{package}.main", fromlist=["SPEC"]).SPEC
    unspelt = [
        f"{route.path} ({param.name})"
        for router in spec.routers
        for route in api_routes(router)
        for param in route.dependant.path_params
        if param.field_info.annotation is uuid.UUID and f"{{{param.name}:uuid}}" not in route.path
    ]
    assert unspelt == [], f"{directory}: spell these ids {{name:uuid}}: {unspelt}"


@pytest.mark.parametrize(("directory", "package"), SERVICES.items())
def test_models_are_a_module_until_they_outgrow_one(directory: str, package: str) -> None:
    """`models.py`; a `models/` package only past the ~400 lines that make any module one."""
    src = ROOT_PACKAGES[package]
    if (src / "models.py").is_file():
        return
    lines = sum(len(p.read_text().splitlines()) for p in (src / "models").glob("*.py"))
    assert lines > 400, f"{directory}: models/ holds {lines} lines: make it models.py"


@pytest.mark.parametrize("package", SERVICES.values())
def test_handlers_only_translate(package: str) -> None:
    """handlers.py turns an event into a use case's arguments (a request model at most) and
    calls the use case; the rules stay with the use case both paths call."""
    (path,) = [p for n, p in _service_modules(package) if n == f"{package}.handlers"]
    own = {
        i.split(".")[1]
        for i in _imports(path, f"{package}.handlers")
        if i.split(".")[0] == package and "." in i
    }
    assert own <= {"service", "schemas"}, f"{package}.handlers reaches {sorted(own)}"
    tree = ast.parse(path.read_text())
    helpers = [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and not n.name.startswith("on_")
    ]
    assert helpers == [], f"{package}.handlers holds more than handlers: {helpers}"


def test_only_the_web_layer_of_the_library_imports_fastapi() -> None:
    for name, path in _modules():
        if not name.startswith("xietong_common.") or name.startswith("xietong_common.web"):
            continue
        web = {i for i in _imports(path, name) if i.split(".")[0] in ("fastapi", "starlette")}
        assert web == set(), f"{name} imports {sorted(web)}: use cases take ports, not web types"


# ---- the kit itself: services converted (NOT_YET_ON_THE_KIT shrinks) -----------------------


@pytest.mark.parametrize("package", ON_THE_KIT.values())
def test_use_cases_and_domains_never_import_the_web_framework(package: str) -> None:
    """A use case takes the `Upload` port, never `fastapi.UploadFile`: a consumed event or a
    job can call it as a request does."""
    for part in ("service", "domain"):
        for name, path in _service_modules(package, part):
            web = {i for i in _imports(path, name) if i.split(".")[0] in ("fastapi", "starlette")}
            assert web == set(), f"{name} imports {sorted(web)}"


@pytest.mark.parametrize("package", ON_THE_KIT.values())
def test_schemas_are_requests_and_responses(package: str) -> None:
    src = ROOT_PACKAGES[package] / "schemas"
    assert sorted(p.name for p in src.glob("*.py")) == [
        "__init__.py",
        "requests.py",
        "responses.py",
    ], f"{package}: schemas/{{requests,responses}}.py"
    assert not _defines_code(f"{package}.schemas"), f"{package}.schemas/__init__ only hands on"


@pytest.mark.parametrize("package", ON_THE_KIT.values())
def test_views_and_use_cases_do_not_import_each_other(package: str) -> None:
    for name, path in _service_modules(package):
        part = name.split(".")[1] if "." in name else ""
        imported = {i for i in _imports(path, name) if i.startswith(f"{package}.")}
        if part == "views":
            assert not {i for i in imported if i.startswith(f"{package}.service")}, name
        if part == "service":
            assert not {i for i in imported if i.startswith(f"{package}.views")}, name


HAND_WRITTEN_PLUMBING = ("load", "load_for", "load_visible", "transition", "audit_step")


@pytest.mark.parametrize("package", ON_THE_KIT.values())
def test_records_are_declared_with_the_kit(package: str) -> None:
    """Each kind of record is a `RecordKind` in service/common.py; loading, transitions,
    audit rows, subjects and deadlines are its verbs, not functions of the service's own."""
    common = ast.parse((ROOT_PACKAGES[package] / "service" / "common.py").read_text())
    kinds = [
        node
        for node in common.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) == "RecordKind"
    ]
    assert kinds, f"{package}.service.common declares no RecordKind"
    spelt = [
        f"{module}.{node.name}"
        for module, tree in _trees(package, "service")
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (
            node.name in HAND_WRITTEN_PLUMBING
            or node.name.startswith(("subject_of", "audit"))
            or node.name.endswith("_subject")
        )
    ]
    assert spelt == [], f"the kit's verbs spelt again: {spelt}"


@pytest.mark.parametrize("package", ON_THE_KIT.values())
def test_material_tables_take_the_common_columns(package: str) -> None:
    """A table with a stored file inherits `MaterialColumns`, so every material reads alike."""
    for name, tree in _trees(package):
        if name != f"{package}.models" and not name.startswith(f"{package}.models."):
            continue
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            columns = {
                t.target.id
                for t in node.body
                if isinstance(t, ast.AnnAssign) and isinstance(t.target, ast.Name)
            }
            bases = {ast.unparse(b) for b in node.bases}
            assert "sha256" not in columns, f"{name}.{node.name}: inherit MaterialColumns"
            if "MaterialColumns" in bases:
                assert "filename" not in columns, f"{name}.{node.name} repeats a column"


def test_only_the_fault_harness_arms_a_fault_point() -> None:
    """`xietong_common.faultpoints.reached` does nothing unless a probe is installed in the
    process. Only the dev-only fault harness (`xietong_devtools.faults`, never in the
    production image) installs one, and no setting does: no configuration of a service can
    stop it at a fault point."""
    installers = {
        name
        for name, path in _modules()
        if name != "xietong_common.faultpoints" and "install_probe" in path.read_text()
    }
    assert installers == {"xietong_devtools.faults.serve"}
    code = (ROOT / "libs/common/src/xietong_common/faultpoints.py").read_text().split('"""', 2)[2]
    assert "environ" not in code
    assert "settings" not in code


METRIC_MOVES = ("inc", "dec", "observe")


def _metric_moves_in(function: ast.AST) -> Iterator[ast.Call]:
    """Calls such as `COUNTER.inc()` or `COUNTER.labels(...).observe(x)` in `function`,
    nested functions included (a row's closure runs in its caller's transaction)."""
    for node in ast.walk(function):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in METRIC_MOVES
        ):
            continue
        target = node.func.value
        if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute):
            if target.func.attr == "labels":
                yield node
        elif isinstance(target, ast.Name) and target.id.isupper():
            yield node


def test_metrics_of_a_change_move_after_its_commit() -> None:
    """A Prometheus metric is outside the transaction: moved inside a use case, handler or
    job (a function given the unit of work), it would count a change that then rolled back,
    and count it again when the handler is retried. Such a function queues the move with
    `uow.after_commit(COUNTER.labels(...).inc)`, which runs only once the commit succeeded
    (SUP-01's alarm counters, the deadline breaches and reminders)."""
    found = []
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if "uow" not in {a.arg for a in (*node.args.args, *node.args.kwonlyargs)}:
                continue
            found += [f"{name}:{call.lineno}" for call in _metric_moves_in(node)]
    assert sorted(set(found)) == []
