"""Issue 24: every action any service can put on a deadline has a Chinese name in the shared
table (`xietong_common.owed_actions`), so a reminder or a breach message never names it by
its code. Read from the services' sources: every call that starts a deadline
(`<RECORD>.start_deadline(uow, record, <action>, …)`, `deadlines.start(…, action=…)`,
`deadlines.start_until(…, action=…)`), its action resolved in the module that names it (a
constant, an enum's value, or a helper that builds a qualified code such as
`support:<id>`, called with a stand-in)."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from xietong_common.owed_actions import (
    MECHANISMS_ZH,
    OWED_ACTIONS_ZH,
    action_code,
    action_zh,
)

ROOT = Path(__file__).resolve().parents[1]


class StandIn:
    """Any record or id a helper reads to qualify its code: every attribute is 1."""

    def __getattr__(self, name: str) -> int:
        return 1

    def __str__(self) -> str:
        return "1"


def _action_argument(call: ast.Call) -> ast.expr | None:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    keyword = next((k.value for k in call.keywords if k.arg == "action"), None)
    if func.attr == "start_deadline":
        return call.args[2] if len(call.args) >= 3 else keyword
    if (
        func.attr in ("start", "start_until")
        and isinstance(func.value, ast.Name)
        and func.value.id == "deadlines"
    ):
        return keyword
    return None


def _resolve(expr: ast.expr, module: Any) -> str:
    if isinstance(expr, ast.Call):
        helper = eval(ast.unparse(expr.func), vars(module))  # our own source, eval is safe
        value = helper(*(StandIn() for _ in expr.args))
    else:
        value = eval(ast.unparse(expr), vars(module))  # our own source, eval is safe
    if isinstance(value, Enum):
        value = value.value
    assert isinstance(value, str), f"{module.__name__}: {ast.unparse(expr)} is {value!r}"
    return value


def started_actions() -> Iterator[tuple[str, str, str]]:
    """(mechanism, action, where) of every deadline the services start."""
    for src in sorted(ROOT.glob("services/*/src/*")):
        mechanism = src.parents[1].name
        for path in sorted(src.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            calls = [
                (node, arg)
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and (arg := _action_argument(node)) is not None
            ]
            if not calls:
                continue
            dotted = ".".join(path.relative_to(src.parent).with_suffix("").parts)
            module = importlib.import_module(dotted)
            for node, arg in calls:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                yield mechanism, _resolve(arg, module), where


FOUND = list(started_actions())


def test_issue_24_the_scan_finds_the_deadlines_of_every_mechanism_that_has_them() -> None:
    mechanisms = {m for m, _, _ in FOUND}
    assert mechanisms == {"referral", "assistance", "legal-review", "joint-inspection"}
    assert len(FOUND) >= 12


@pytest.mark.parametrize(("mechanism", "action", "where"), FOUND, ids=[w for _, _, w in FOUND])
def test_issue_24_every_owed_action_has_a_chinese_name(
    mechanism: str, action: str, where: str
) -> None:
    name = action_zh(mechanism, action)
    assert name, f"{where}: {mechanism} starts a deadline to {action!r} with no Chinese name"
    assert not any(c.isascii() and c.isalpha() for c in name), name
    assert mechanism in MECHANISMS_ZH


def test_issue_24_the_table_names_no_action_that_no_service_owes() -> None:
    """A code left in the table after its deadline is gone would hide a renamed one."""
    owed = {(m, action_code(a)) for m, a, _ in FOUND}
    named = {(m, code) for m, codes in OWED_ACTIONS_ZH.items() for code in codes}
    assert named == owed


def test_issue_24_a_qualified_code_is_named_by_its_code_and_round() -> None:
    assert action_zh("referral", "answer") == "书面答复是否受理"
    assert action_zh("joint-inspection", "support:0b9c2f4e") == "答复支持请求"
    assert action_zh("legal-review", "supply-materials:round-2") == "补正材料（第2轮）"
    assert action_zh("referral", "no-such-action") is None
    assert action_zh("no-such-mechanism", "answer") is None


def test_issue_24_every_record_page_a_message_links_to_is_a_workbench_page() -> None:
    """The paths of `xietong_common.record_pages` are routes the workbench serves."""
    import re

    from workbench.pages import ROUTERS
    from xietong_common.record_pages import WORKBENCH_PAGES

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path)

    served = {shape(getattr(r, "path", "")) for router in ROUTERS for r in router.routes}
    assert "/referrals/{}" in served
    for kind, path in WORKBENCH_PAGES.items():
        assert shape(path) in served, f"{kind}: the workbench has no page {path}"


def test_issue_24_the_workbench_names_a_qualified_action_by_its_code() -> None:
    """The to-do list once showed `support:<id>` as it is: a qualified code is named by its
    code's words, and a code the workbench does not list by the shared table."""
    from workbench.todo import _action

    assert _action("joint-inspection", "support:0b9c2f4e", "zh") == "答复支持请求"
    assert _action("joint-inspection", "support:0b9c2f4e", "en") == (
        "answer the request for support"
    )
    assert _action("legal-review", "supply-materials:round-2", "zh") == "补正材料"
    assert _action("referral", "answer", "zh") == "书面答复是否受理"
    assert _action("referral", "no-such-action", "zh") == "no-such-action"
