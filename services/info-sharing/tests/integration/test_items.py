"""INFO-01 on the running service: the nine categories and their fields, who publishes what,
attachments, versions, visibility; bad input changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from xietong_devtools.files_corpus import pdf_bytes

from .conftest import PROBLEM, Info, item_body

pytestmark = pytest.mark.integration

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bodies(c: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """A valid item of each category the item API takes, with a publisher allowed to share it."""
    return {
        "laws-norms": (
            c.dept,
            {
                "details": {
                    "level": "normative-document",
                    "issuing_body": "重庆市涪陵区人民政府",
                    "document_number": "涪陵府发〔2023〕37号",
                    "effective_from": "2024-01-01",
                    "expires_on": "2028-12-31",
                },
            },
        ),
        "licensing-supervision": (
            c.dept,
            {
                "details": {
                    "kind": "licensing",
                    "decided_on": "2024-02-20",
                    "subject_name": "某公司",
                }
            },
        ),
        "inspection-records": (
            c.dept,
            {"details": {"inspected_from": "2024-02-01", "targets": 12, "problems_found": 3}},
        ),
        "statistics": (
            c.town_a,
            {
                "details": {
                    "period_from": "2024-01-01",
                    "period_to": "2024-01-31",
                    "purpose": "supervision-assessment",
                },
                "publish": False,  # the table comes first
            },
        ),
        "discretion-workflows": (c.dept, {"details": {"kind": "benchmark"}}),
        "dynamic": (c.dept, {"details": {"occurred_on": "2024-02-28"}}),
        "other": (c.town_b, {}),
    }


async def test_info_01_the_nine_categories_and_no_tenth(info: Info) -> None:
    c = info.codes
    r = await info.svc.client.get("/categories", headers=info.h(c.town_a))
    listed = r.json()
    assert [x["number"] for x in listed] == list(range(1, 10))
    assert listed[3]["value"] == "penalty-decisions"
    assert listed[3]["label_zh"].startswith("行政处罚")
    assert listed[4]["needs_table"] is True
    assert listed[7]["through_complaint_api"] is True

    made = set()
    for category, (org, extra) in bodies(c).items():
        body = item_body(**{"category": category, "publish": True, **extra})
        r = await info.post(org, body)
        assert r.status_code == 201, (category, r.text)
        assert r.json()["category"]["value"] == category
        made.add(category)

    before = await info.counts()
    r = await info.post(c.dept, item_body(category="tenth", publish=True))
    assert r.status_code == 422
    assert r.json()["type"] == PROBLEM + "invalid-input"
    r = await info.post(c.dept, item_body(category="complaints", publish=True))
    assert r.status_code == 422
    assert r.json()["type"] == PROBLEM + "info-complaints-through-complaint-api"
    assert await info.counts() == before
    assert len(made) == 7  # 4 needs a feedback request, 8 comes from /complaints: both below


async def test_info_01_category_fields_are_checked(info: Info) -> None:
    c = info.codes
    before = await info.counts()
    for details in (
        {"level": "law", "issuing_body": "全国人大常委会"},  # no effective date
        {
            "level": "law",
            "issuing_body": "x",
            "effective_from": "2024-05-01",
            "expires_on": "2024-01-01",
        },
        {"level": "decree", "issuing_body": "x", "effective_from": "2024-05-01"},
        {"level": "law", "issuing_body": "x", "effective_from": "1024-05-01"},
        {"level": "law", "issuing_body": "x\u0000", "effective_from": "2024-05-01"},
    ):
        r = await info.post(c.dept, item_body(category="laws-norms", details=details))
        assert r.status_code == 422, details
        assert r.json()["type"] == PROBLEM + "invalid-input"
    assert await info.counts() == before


async def test_info_01_only_the_parties_the_notice_names_publish_each_category(
    info: Info,
) -> None:
    c = info.codes
    before = await info.counts()
    r = await info.post(
        c.town_a,
        item_body(
            category="licensing-supervision",
            details={"kind": "licensing", "decided_on": "2024-02-20"},
        ),
    )
    assert r.status_code == 403
    assert r.json()["type"] == PROBLEM + "info-publisher-not-allowed"
    assert r.json()["rule"] == "INFO-01"
    r = await info.svc.client.post(
        "/items", json=item_body(), headers=info.h(c.town_a, "viewer")
    )  # no publishing role
    assert r.status_code == 403
    assert await info.counts() == before


async def test_info_01_statistics_are_published_with_their_table(info: Info) -> None:
    c = info.codes
    _, extra = bodies(c)["statistics"]
    draft = (await info.post(c.town_a, item_body(**{"category": "statistics", **extra}))).json()
    assert draft["state"]["value"] == "draft"
    r = await info.svc.client.post(f"/items/{draft['id']}/publish", headers=info.clerk(c.town_a))
    assert r.status_code == 409
    assert r.json()["type"] == PROBLEM + "info-table-missing"

    csv = "乡镇,立案数,结案数\n荔枝街道,12,10\n".encode()
    r = await info.svc.client.post(
        f"/items/{draft['id']}/attachments",
        files={"file": ("2024年1月执法统计.csv", csv, "text/csv")},
        data={"title": "执法统计表"},
        headers=info.clerk(c.town_a),
    )
    assert r.status_code == 201, r.text
    attachment = r.json()
    r = await info.svc.client.post(f"/items/{draft['id']}/publish", headers=info.clerk(c.town_a))
    assert r.status_code == 200, r.text
    assert r.json()["state"]["value"] == "published"

    # any coordinating party downloads it; a published item takes no more files
    r = await info.svc.client.get(
        f"/items/{draft['id']}/attachments/{attachment['id']}/content", headers=info.h(c.dept)
    )
    assert r.status_code == 200
    assert r.content == csv
    r = await info.svc.client.post(
        f"/items/{draft['id']}/attachments",
        files={"file": ("b.xlsx", b"PK\x03\x04more", XLSX)},
        headers=info.clerk(c.town_a),
    )
    assert r.status_code == 409
    assert r.json()["type"] == PROBLEM + "info-invalid-transition"


async def test_info_01_a_superseded_version_stays_readable_marked_so(info: Info) -> None:
    c = info.codes
    laws_org, extra = bodies(c)["laws-norms"]
    draft = (await info.post(laws_org, item_body(category="laws-norms", **extra))).json()
    r = await info.svc.client.post(
        f"/items/{draft['id']}/attachments",
        files={"file": ("基准.pdf", pdf_bytes("v1"), "application/pdf")},
        headers=info.clerk(laws_org),
    )
    assert r.status_code == 201
    v1 = (
        await info.svc.client.post(f"/items/{draft['id']}/publish", headers=info.clerk(laws_org))
    ).json()

    v2 = await info.publish(
        laws_org,
        category="laws-norms",
        title="修订后的规范性文件",
        supersedes=v1["id"],
        **extra,
    )
    assert v2["version"] == 2
    assert v2["series_id"] == v1["id"]
    assert v2["supersedes"] == v1["id"]
    assert [a["filename"] for a in v2["attachments"]] == ["基准.pdf"]  # carried over

    old = (await info.get(v1["id"], c.town_b)).json()
    assert old["state"]["value"] == "superseded"
    assert old["superseded"] is True
    assert old["superseded_by"] == v2["id"]
    assert old["title"] == v1["title"]  # still readable as it was
    versions = (
        await info.svc.client.get(f"/items/{v2['id']}/versions", headers=info.h(c.town_b))
    ).json()
    assert [(v["version"], v["state"]["value"]) for v in versions] == [
        (1, "superseded"),
        (2, "published"),
    ]
    # lists show current versions unless asked
    listed = (
        await info.svc.client.get(
            "/items", params={"category": "laws-norms"}, headers=info.h(c.town_b)
        )
    ).json()
    assert [i["id"] for i in listed["items"]] == [v2["id"]]
    both = (
        await info.svc.client.get(
            "/items",
            params={"category": "laws-norms", "state": ["published", "superseded"]},
            headers=info.h(c.town_b),
        )
    ).json()
    assert both["total"] == 2

    # only the publisher's current item of the same category can be replaced
    before = await info.counts()
    for org, body in (
        (laws_org, item_body(category="laws-norms", supersedes=v1["id"], **extra)),
        (c.other_dept, item_body(category="laws-norms", supersedes=v2["id"], **extra)),
        (laws_org, item_body(category="other", supersedes=v2["id"])),
    ):
        r = await info.post(org, body)
        assert r.status_code in (404, 409), r.text
    assert await info.counts() == before


async def test_restricted_items_are_seen_only_by_the_named_organisations(info: Info) -> None:
    c = info.codes
    item = await info.publish(c.town_a, audience=[c.dept])
    assert item["restricted"] is True
    assert item["audience"] == [c.dept]
    assert (await info.get(item["id"], c.dept)).status_code == 200
    assert (await info.get(item["id"], "justice-bureau")).status_code == 200  # oversight
    hidden = await info.get(item["id"], c.town_b)
    assert hidden.status_code == 404
    assert hidden.json()["type"] == PROBLEM + "info-item-not-found"
    r = await info.svc.client.get("/items", headers=info.h(c.town_b))
    assert item["id"] not in [i["id"] for i in r.json()["items"]]
    r = await info.svc.client.post(f"/items/{item['id']}/read", headers=info.h(c.town_b))
    assert r.status_code == 404
    # a draft is its publisher's alone
    draft = (await info.post(c.town_a, item_body())).json()
    assert (await info.get(draft["id"], "justice-bureau")).status_code == 404
    r = await info.svc.client.post(f"/items/{draft['id']}/publish", headers=info.clerk(c.town_b))
    assert r.status_code == 404


async def test_drafts_are_replaced_and_discarded_published_items_are_not(info: Info) -> None:
    c = info.codes
    draft = (await info.post(c.town_a, item_body())).json()
    r = await info.svc.client.put(
        f"/items/{draft['id']}",
        json=item_body(title="改过的标题", publish=True),
        headers=info.clerk(c.town_a),
    )
    assert r.status_code == 200
    assert r.json()["title"] == "改过的标题"
    assert r.json()["state"]["value"] == "published"
    for method in ("put", "delete"):
        r = await info.svc.client.request(
            method.upper(),
            f"/items/{draft['id']}",
            json=item_body() if method == "put" else None,
            headers=info.clerk(c.town_a),
        )
        assert r.status_code == 409
    other = (await info.post(c.town_a, item_body())).json()
    r = await info.svc.client.delete(f"/items/{other['id']}", headers=info.clerk(c.town_a))
    assert r.status_code == 204
    assert (await info.get(other["id"], c.town_a)).status_code == 404


async def test_bad_input_is_a_clear_4xx_and_changes_nothing(info: Info) -> None:
    c = info.codes
    before = await info.counts()
    cases: list[tuple[dict[str, Any], str]] = [
        (item_body(matter_codes=["NO-SUCH"]), "unknown-matter"),
        (item_body(towns=[c.dept]), "unknown-organisation"),
        (item_body(audience=["town:atlantis"]), "unknown-organisation"),
        (item_body(audience=[]), "invalid-input"),  # shared with nobody is not sharing
        (item_body(title="a\nb"), "invalid-input"),
        (item_body(body="x" * 20_001), "invalid-input"),
        (item_body(matter_codes=["A"] * 51), "invalid-input"),
        (item_body(extra="field"), "invalid-input"),
        (item_body(supersedes=str(uuid.uuid4())), "info-item-not-found"),
    ]
    for body, problem in cases:
        r = await info.post(c.town_a, body)
        assert r.status_code in (404, 422), (body, r.text)
        assert r.json()["type"] == PROBLEM + problem, r.text
        assert r.headers["content-type"] == "application/problem+json"
    assert await info.counts() == before
    r = await info.svc.client.get("/items", params={"page_size": 10_000}, headers=info.h(c.town_a))
    assert r.status_code == 422
    r = await info.svc.client.get("/items/not-a-uuid", headers=info.h(c.town_a))
    assert r.status_code == 404  # an id that is no UUID names nothing (paths match UUIDs only)
    r = await info.svc.client.get("/items", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401


async def test_idempotency_key_returns_the_first_item(info: Info) -> None:
    c = info.codes
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await info.post(c.town_a, item_body(publish=True), **key)
    again = await info.post(c.town_a, item_body(publish=True), **key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert await info.count("items") == 1
    other = await info.post(c.town_a, item_body(title="另一条", publish=True), **key)
    assert other.status_code == 422
    assert other.json()["type"] == PROBLEM + "idempotency-key-reused"
