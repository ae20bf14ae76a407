"""No input may crash or corrupt a review: bounded, checked input gets a clear 4xx problem+json
in the caller's language and changes nothing; deadlines are shown in China time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from xietong_common.clock import FakeClock
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import RunningService

from .conftest import Flow, counts, submission

pytestmark = pytest.mark.integration

PROBLEM = "urn:xietong:problem:"


async def refused(svc: RunningService, r: Any, status: int, slug: str, before: Any) -> Any:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == PROBLEM + slug
    assert await counts(svc) == before
    return r.json()


@pytest.mark.parametrize(
    "found_at", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+08:00", "2101-01-01T00:00:00Z"]
)
async def test_an_implausible_year_is_a_422_not_a_500(
    svc: RunningService, flow: Flow, found_at: str
) -> None:
    before = await counts(svc)
    r = await svc.client.post(
        "/reviews", json={**submission(), "found_at": found_at}, headers=flow.handler
    )
    problem = await refused(svc, r, 422, "invalid-input", before)
    assert problem["errors"][0]["loc"][-1] == "found_at"


async def test_a_finding_in_the_future_is_refused_as_referrals_refuse_it(
    svc: RunningService, flow: Flow
) -> None:
    """Reviews accepted a finding in 2099 while referrals refused the future."""
    before = await counts(svc)
    r = await svc.client.post(
        "/reviews",
        json={**submission(), "found_at": "2099-06-01T10:00:00+08:00"},
        headers=flow.handler,
    )
    await refused(svc, r, 422, "review-implausible-time", before)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("facts", "倾倒\u0000垃圾"),
        ("proposal", "\u0000"),
        ("case_number", "涪\u0000"),
        ("party", {"name": "某公司\u0000", "kind": "legal-person"}),
    ],
)
async def test_nul_is_refused_in_every_text_field(
    svc: RunningService, flow: Flow, field: str, value: Any
) -> None:
    before = await counts(svc)
    r = await svc.client.post("/reviews", json={**submission(), field: value}, headers=flow.handler)
    await refused(svc, r, 422, "invalid-input", before)


async def test_every_later_text_has_a_maximum_and_refuses_nul(
    svc: RunningService, flow: Flow
) -> None:
    rid = await flow.reviewed("agree")
    before = await counts(svc)
    for body in (
        {"outcome": "decided-as-proposed", "execution": "长" * 2001},
        {"outcome": "decided-as-proposed", "reason": "长" * 20001},
        {"outcome": "decided-as-proposed", "decision_number": "\u0000"},
    ):
        r = await flow.decide(rid, **body)  # type: ignore[arg-type]
        await refused(svc, r, 422, "invalid-input", before)
    r = await svc.client.post(
        f"/reviews/{rid}/joint-opinions",
        json={"opinion": "agree", "reasons": "x", "minutes": "长" * 20001, "participants": ["王"]},
        headers=flow.reviewer,
    )
    await refused(svc, r, 422, "invalid-input", before)
    r = await svc.client.put(
        f"/reviews/{rid}/points/documents",
        json={"passed": True, "note": "\u0000"},
        headers=flow.reviewer,
    )
    await refused(svc, r, 422, "invalid-input", before)


async def test_a_token_of_an_organisation_outside_the_directory_is_refused(
    svc: RunningService,
) -> None:
    """`town:nonexistent` created a review; now it acts for nobody (403)."""
    before = await counts(svc)
    nobody = svc.auth("town:nonexistent", "handler", user="x")
    r = await svc.client.post(
        "/reviews", json={**submission(), "place_town": "town:lizhi"}, headers=nobody
    )
    await refused(svc, r, 403, "forbidden", before)


async def test_a_huge_page_is_a_422(svc: RunningService, flow: Flow) -> None:
    for params in ({"page": "100000000000000000"}, {"page_size": "1000000"}):
        r = await svc.client.get("/reviews", params=params, headers=flow.reviewer)
        assert r.status_code == 422, r.text


async def test_problems_in_chinese_by_default_english_on_request_same_type(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    path = f"/reviews/{review['id']}/take"
    zh = await svc.client.post(path, headers=flow.reviewer)
    en = await svc.client.post(path, headers={**flow.reviewer, "Accept-Language": "en"})
    assert zh.status_code == en.status_code == 409
    assert zh.json()["type"] == en.json()["type"] == PROBLEM + "review-materials-incomplete"
    assert zh.json()["title"] == "承办机构应当提交的送审材料不齐全"
    assert "调查终结报告" in zh.json()["detail"]
    assert en.json()["title"] == "Materials the brigade must submit are missing"
    assert "investigation-report" in en.json()["detail"]
    assert zh.headers["content-language"] == "zh-CN"


async def test_rev_05_deadline_is_shown_in_china_time_with_its_chinese_label(
    svc: RunningService, flow: Flow, fake_clock: FakeClock
) -> None:
    review = await flow.submit()
    r = await svc.client.post(
        f"/reviews/{review['id']}/materials-notice", json={}, headers=flow.reviewer
    )
    [due] = r.json()["due"]
    assert due["due_at"].startswith("2024-03-08T16:00:00")
    assert due["due_at_local"] == "2024-03-09T00:00:00+08:00"
    assert due["due_label_zh"] == "2024年3月8日24时前"
    assert due["provisional"] is False
    fake_clock.set(datetime(2026, 12, 29, 2, 0, tzinfo=UTC))  # 5 working days reach 2027
    late = await flow.submit()
    r = await svc.client.post(
        f"/reviews/{late['id']}/materials-notice", json={}, headers=flow.reviewer
    )
    [due] = r.json()["due"]
    assert due["provisional"] is True
    assert due["due_label_zh"] == "2027年1月5日24时前（临时(2027年假期未公布)）"
    assert due["due_label_en"].endswith("provisional until the 2027 holiday schedule is published")


async def test_other_creates_take_an_idempotency_key(svc: RunningService, flow: Flow) -> None:
    review = await flow.submit()
    rid = review["id"]
    key = {"Idempotency-Key": "material-1"}
    files = {"file": ("evidence.pdf", pdf_bytes("evidence"), "application/pdf")}
    path = f"/reviews/{rid}/materials"
    a = await svc.client.post(
        path, data={"kind": "evidence"}, files=files, headers={**flow.handler, **key}
    )
    b = await svc.client.post(
        path, data={"kind": "evidence"}, files=files, headers={**flow.handler, **key}
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"]
    other = await svc.client.post(
        path, data={"kind": "other"}, files=files, headers={**flow.handler, **key}
    )
    assert other.status_code == 422
    assert other.json()["type"] == PROBLEM + "idempotency-key-reused"
    assert (
        len((await svc.client.get(f"/reviews/{rid}", headers=flow.handler)).json()["materials"])
        == 1
    )

    await svc.client.post(
        f"/reviews/{rid}/joint",
        json={"mode": "dual-review", "departments": ["dept:urban-management"]},
        headers=flow.reviewer,
    )
    dept = {
        **svc.auth("dept:urban-management", "reviewer", user="chen.dept"),
        "Idempotency-Key": "j-1",
    }
    body = {"opinion": "agree", "reasons": "部门同意"}
    a = await svc.client.post(f"/reviews/{rid}/joint-opinions", json=body, headers=dept)
    b = await svc.client.post(f"/reviews/{rid}/joint-opinions", json=body, headers=dept)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"]

    await svc.client.post(f"/reviews/{rid}/justice-office", headers=flow.reviewer)
    office = {**svc.auth("justice-office:lizhi", "adviser", user="sfs"), "Idempotency-Key": "a-1"}
    body = {"note": "程序合法", "advisers": ["王律师"]}
    a = await svc.client.post(f"/reviews/{rid}/advice", json=body, headers=office)
    b = await svc.client.post(f"/reviews/{rid}/advice", json=body, headers=office)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"]
    detail = (await svc.client.get(f"/reviews/{rid}", headers=flow.reviewer)).json()
    assert len(detail["joint_opinions"]) == len(detail["advice"]) == 1
