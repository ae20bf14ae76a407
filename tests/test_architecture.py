"""The shape every service shares, and the boundaries the code keeps (docs/architecture.md).

Read from the source, without importing it: the same file names in every service, no
service importing another, no import cycle in libs/ or services/, domains free of I/O
frameworks, use cases that take the context rather than the app factory, xietong_common
in layers with its command line on top.
"""

from __future__ import annotations

import ast
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
        if p.stem not in SHAPE and p.name not in ("__init__.py", "py.typed", "__pycache__")
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
    ("events", "audit"),
    ("contracts",),
    ("db", "uow", "job_rows", "deadlines", "idempotency", "context", "jobs"),
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
