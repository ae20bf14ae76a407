"""A check for services' tests: every refusal they raise carries its Chinese detail (`zh=`),
so problems read in Chinese by default (`Accept-Language: en` for English)."""

from __future__ import annotations

import ast
from pathlib import Path

from xietong_common.errors import AppError


def _error_names() -> set[str]:
    names: set[str] = set()
    stack: list[type[AppError]] = [AppError]
    while stack:
        cls = stack.pop()
        names.add(cls.__name__)
        stack.extend(cls.__subclasses__())
    return names


def raises_without_chinese(package_dir: Path) -> list[str]:
    """`file:line Name(...)` for every construction of an AppError subclass under
    `package_dir` (imported first, so its classes are known) that gives no `zh=`."""
    names = _error_names()
    missing = []
    for path in sorted(package_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in names:
                continue
            if any(k.arg == "zh" or k.arg is None for k in node.keywords):
                continue
            missing.append(f"{path.relative_to(package_dir)}:{node.lineno} {name}(...)")
    return missing
