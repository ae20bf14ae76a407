"""The workbench's own small rules, without servers: where an API's refusal is shown, where a
person may be sent after signing in, what a search snippet may carry, which settings hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workbench.api import ApiProblem
from workbench.charts import bar_chart
from workbench.settings import DEFAULT_SERVICE_URLS, WorkbenchSettings
from workbench.web import FormErrors, china_datetime, field_name, marked, safe_next

SRC = Path(__file__).resolve().parents[2] / "src" / "workbench"


def problem(**body: object) -> ApiProblem:
    return ApiProblem("referral", 422, {"title": "请求内容无效", "detail": "整体说明", **body})


def test_errors_are_placed_beside_the_fields_the_api_names() -> None:
    errors = FormErrors.from_problem(
        problem(
            errors=[
                {"loc": ["body", "facts"], "msg": "缺少必填项"},
                {"loc": ["body", "party", "name"], "msg": "至少 1 个字符"},
                {"loc": ["body", "items", 0, "quantity"], "msg": "须为数字"},
                {"loc": ["query", "unknown"], "msg": "不允许的字段"},
            ]
        ),
        known={"facts", "party.name", "items.0.quantity"},
    )
    assert errors.of("facts") == ["缺少必填项"]
    assert errors.of("party.name") == ["至少 1 个字符"]
    assert errors.of("items.0.quantity") == ["须为数字"]
    assert errors.general == ["unknown: 不允许的字段"]  # a field the form does not have
    assert errors.summary[1] == ("f-facts", "缺少必填项")


def test_a_refusal_naming_no_field_is_shown_whole() -> None:
    errors = FormErrors.from_problem(problem(detail="处于“已签收”状态的移送案件不能执行“移送”"))
    assert errors.general == ["处于“已签收”状态的移送案件不能执行“移送”"]
    assert errors.fields == {}
    named = FormErrors.from_problem(problem(field="reason", detail="理由过短"), known={"reason"})
    assert named.of("reason") == ["理由过短"]


def test_a_refusal_naming_what_is_missing_is_shown_beside_that_field() -> None:
    """A rule's `missing` (a withdrawal's reason) goes beside the form's field; a missing
    thing no field of the form holds (a material) stays in the summary."""
    detail = "撤回法制审核提请应当书面说明理由（不少于8个字）"
    errors = FormErrors.from_problem(problem(missing=["reason"], detail=detail), known={"reason"})
    assert errors.of("reason") == [detail]
    other = FormErrors.from_problem(
        problem(missing=["letter"], detail="缺少移送函"), known={"reason"}
    )
    assert (other.fields, other.general) == ({}, ["缺少移送函"])


def test_row_errors_of_a_sheet_keep_their_message() -> None:
    errors = FormErrors.from_problem(
        problem(
            errors=[{"row": 3, "column": "姓名", "message_zh": "缺少必填项", "message_en": "x"}]
        )
    )
    assert errors.general == ["缺少必填项"]


def test_field_names_follow_the_apis_locations() -> None:
    assert field_name(["body", "party", "kind"]) == "party.kind"
    assert field_name(["query", "page"]) == "page"
    assert field_name("body") == ""


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
        None,
    ],
)
def test_after_signing_in_a_person_is_sent_only_within_the_site(target: str | None) -> None:
    assert safe_next(target) == "/"


def test_a_local_path_is_kept() -> None:
    assert safe_next("/referrals?box=inbox") == "/referrals?box=inbox"


def test_a_search_snippet_carries_only_its_highlight() -> None:
    html = marked("河道<mark>排污</mark>&lt;script&gt;<script>alert(1)</script>")
    assert "<mark>排污</mark>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_datetime_field_is_china_time() -> None:
    assert china_datetime("2026-12-01T09:30") == "2026-12-01T09:30:00+08:00"
    assert china_datetime("not a time") == "not a time"  # for the API to refuse, in its words
    assert china_datetime(None) is None


def test_service_urls_merge_with_the_make_run_defaults() -> None:
    settings = WorkbenchSettings(workbench_service_urls={"referral": "http://referral:8000/"})
    assert settings.workbench_service_urls["referral"] == "http://referral:8000"
    assert settings.workbench_service_urls["oversight"] == DEFAULT_SERVICE_URLS["oversight"]
    with pytest.raises(ValueError, match="unknown services"):
        WorkbenchSettings(workbench_service_urls={"payroll": "http://x"})
    with pytest.raises(ValueError, match="http"):
        WorkbenchSettings(workbench_service_urls={"referral": "file:///etc/passwd"})


def test_local_sign_in_only_with_the_local_key_and_no_identity_provider() -> None:
    assert WorkbenchSettings(jwt_local_key=True).local_sign_in
    assert not WorkbenchSettings(jwt_local_key=False).local_sign_in
    assert not WorkbenchSettings(jwt_jwks_url="https://idp/jwks").local_sign_in
    oidc = WorkbenchSettings(
        workbench_oidc_discovery_url="https://idp/.well-known/openid-configuration",
        workbench_oidc_client_id="wb",
    )
    assert not oidc.local_sign_in
    assert WorkbenchSettings(workbench_cookie_secure=True).session_cookie.startswith("__Host-")


def test_a_chart_carries_its_text() -> None:
    svg = bar_chart([("荔枝街道", 3), ("<区水利局>", 0)], title="逾期", chart_id="c")
    assert 'role="img"' in svg
    assert '<title id="c-t">逾期</title>' in svg
    assert "&lt;区水利局&gt;" in svg


def test_the_workbench_imports_no_service_and_no_database() -> None:
    """A client like any other platform: never a service's package, its tables or Kafka."""
    forbidden = {
        "referral",
        "legal_review",
        "assistance",
        "info_sharing",
        "joint_inspection",
        "secondment",
        "sqlalchemy",
        "asyncpg",
        "aiokafka",
        "xietong_common.db",
        "xietong_common.uow",
        "xietong_common.messaging",
        "xietong_common.events",
    }
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                hit = {f for f in forbidden if name == f or name.startswith(f + ".")}
                assert not hit, f"{path.name} imports {name}"


def test_the_print_panel_offers_a_document_to_its_issuer_and_keeps_superseded_ones() -> None:
    """打印文书: the one in force by its slot (kind and instance), the issuer's offer to issue
    one not issued yet, nothing to download for the others, a superseded one by its digest."""
    from types import SimpleNamespace
    from typing import Any, cast

    from workbench.pages.common import DocumentSlot, document_rows

    def visit(org: str) -> Any:
        return SimpleNamespace(me=SimpleNamespace(org=org), t=lambda zh, en: zh)

    old = {"kind": "opinion", "instance": "round-1", "current": False, "sha256": "a" * 64}
    new = {"kind": "opinion", "instance": "round-1", "current": True, "sha256": "b" * 64}
    other_round = {"kind": "opinion", "instance": "round-2", "current": True, "sha256": "c" * 64}
    slots = [
        DocumentSlot("opinion", "意见书（第1轮）", "", "town:a", "round-1", "round=1"),
        DocumentSlot("materials-notice", "补正通知（第1轮）", "", "town:a", "round-1", "round=1"),
        DocumentSlot("materials-notice", "补正通知（第2轮）", "", None, "round-2", "round=2"),
    ]
    base = "/reviews/r"
    issued = [old, new, other_round]
    rows = document_rows(cast(Any, visit("town:a")), issued, slots, base)
    assert [(r["title"], r["doc"], r["href"]) for r in rows] == [
        ("意见书（第1轮）", new, "/reviews/r/documents/opinion.pdf?round=1"),
        ("补正通知（第1轮）", None, "/reviews/r/documents/materials-notice.pdf?round=1"),
        ("意见书（第1轮）", old, f"/reviews/r/documents/opinion.pdf?round=1&version={'a' * 64}"),
    ]  # round 2's opinion has no slot here: not shown; its notice is not to be had yet
    theirs = document_rows(cast(Any, visit("brigade:a")), issued, slots, base)
    assert theirs[1]["doc"] is None  # 待出具
    assert theirs[1]["href"] is None  # no offer: not the issuer
    assert theirs[1]["issuer"] == "town:a"
    target = DocumentSlot("advance-notice", "事先告知书", "", "dept:x", "t1", under="targets/t1/")
    [row] = document_rows(cast(Any, visit("dept:x")), [], [target], "/inspection/orders/o")
    assert row["href"] == "/inspection/orders/o/targets/t1/documents/advance-notice.pdf"


def test_issue_24_a_services_todo_item_reads_as_a_workbench_item() -> None:
    """The shape every service's GET /todo answers (xietong_common.todo.TodoItem, as JSON)
    becomes the workbench's item: the record's title and page, the action in the notice's
    words, the China-time label."""
    from datetime import UTC, datetime

    from workbench.todo import from_feed
    from xietong_common.todo import RecordOut, TodoItem

    entry = TodoItem(
        deadline_id="d-1",
        rule="REV-05",
        action="supply-materials:round-2",
        organisation="town:lizhi",
        counterparty=None,
        assignee="wang",
        started_at=datetime(2024, 2, 5, 2, tzinfo=UTC),
        due_at=datetime(2024, 2, 18, 16, tzinfo=UTC),
        provisional=False,
        overdue=False,
        working_days_left=5,
        record=RecordOut(
            subject="review:r-1",
            kind="review",
            kind_zh="法制审核",
            id="r-1",
            link="/reviews/r-1",
            title="涪综执罚〔2024〕8号 URB-002",
        ),
    ).model_dump(mode="json")
    item = from_feed("legal-review", entry, "zh")
    assert (item.title, item.link, item.rule) == (
        "涪综执罚〔2024〕8号 URB-002",
        "/reviews/r-1",
        "REV-05",
    )
    assert item.action == "补正材料"
    assert item.due_label == "2024年2月18日24时前"
    assert item.due_at == datetime(2024, 2, 18, 16, tzinfo=UTC)
    assert from_feed("legal-review", entry, "en").action == "supply the missing materials"
    shortcoming = {**entry, "record": {**entry["record"], "kind": "inspection-shortcoming"}}
    assert from_feed("joint-inspection", shortcoming, "zh").link == "/"  # no page of its own
