"""Bad input gets a clear 4xx problem+json and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

PROBLEM = "urn:xietong:problem:"


async def refused(
    case: Any, response: Any, status: int, slug: str, before: tuple[int, int]
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["type"] == PROBLEM + slug
    assert body["detail"]
    assert await case.counts() == before
    return body


def body(case: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "matter_code": case.codes.dept_matter,
        "place_town": case.codes.town_a,
        "found_at": case.clock.now().isoformat(),
        "facts": "x",
    }
    data.update(overrides)
    return data


async def test_unknown_matter_code(case: Any) -> None:
    before = await case.counts()
    r = await case.svc.client.post(
        "/referrals", json=body(case, matter_code="NOPE-999"), headers=case.sender
    )
    problem = await refused(case, r, 422, "referral-unknown-matter", before)
    assert problem["matter_code"] == "NOPE-999"


async def test_negative_amounts(case: Any) -> None:
    before = await case.counts()
    items = [{"name": "冻肉", "quantity": "1", "disposed_in_advance": True, "proceeds": "-5.00"}]
    r = await case.svc.client.post("/referrals", json=body(case, items=items), headers=case.sender)
    problem = await refused(case, r, 422, "invalid-input", before)
    assert problem["errors"][0]["loc"][-1] == "proceeds"
    r = await case.svc.client.post(
        "/referrals", json=body(case, items=[{"name": "x", "quantity": "-1"}]), headers=case.sender
    )
    await refused(case, r, 422, "invalid-input", before)


async def test_wrong_organisation(case: Any) -> None:
    before = await case.counts()
    r = await case.svc.client.post(
        "/referrals", json=body(case, receiver="dept:no-such-dept"), headers=case.sender
    )
    await refused(case, r, 422, "referral-unknown-organisation", before)
    r = await case.svc.client.post(
        "/referrals", json=body(case, place_town="dept:water"), headers=case.sender
    )
    await refused(case, r, 422, "referral-unknown-organisation", before)
    r = await case.svc.client.post(
        "/referrals", json=body(case), headers=case.h("justice-bureau", "handler")
    )
    assert r.status_code == 422
    referral = await case.sent()
    before = await case.counts()
    # another town may not even learn the case exists; the receiver may not send it
    assert (await case.get(referral["id"], case.codes.town_b)).status_code == 404
    r = await case.act(referral["id"], "receive", case.codes.town_b, "clerk")
    await refused(case, r, 404, "not-found", before)
    r = await case.svc.client.post(
        f"/referrals/{referral['id']}/send", headers=case.h(case.codes.dept, "handler")
    )
    await refused(case, r, 403, "forbidden", before)


async def test_missing_letter(case: Any) -> None:
    referral = await case.draft()
    assert (await case.upload(referral["id"], "item-list")).status_code == 201
    before = await case.counts()
    r = await case.svc.client.post(f"/referrals/{referral['id']}/send", headers=case.sender)
    problem = await refused(case, r, 409, "referral-materials-missing", before)
    assert problem["missing"] == ["letter"]


async def test_oversized_and_unsupported_files(case: Any) -> None:
    from referral.settings import referral_settings

    case.svc.ctx.settings = referral_settings(case.svc.ctx).model_copy(
        update={"max_upload_bytes": 1024}
    )
    referral = await case.draft()
    before = await case.counts()
    r = await case.upload(referral["id"], "letter", content=b"%PDF" + b"0" * 4096)
    problem = await refused(case, r, 413, "payload-too-large", before)
    assert problem["max_bytes"] == 1024
    r = await case.upload(referral["id"], "letter", content_type="application/x-msdownload")
    await refused(case, r, 415, "unsupported-media-type", before)
    r = await case.svc.client.post(
        f"/referrals/{referral['id']}/materials", data={"kind": "letter"}, headers=case.sender
    )
    await refused(case, r, 422, "invalid-input", before)
    assert (await case.get(referral["id"])).json()["materials"] == []


async def test_malformed_json_and_unknown_fields(case: Any) -> None:
    before = await case.counts()
    r = await case.svc.client.post("/referrals", json=body(case, colour="red"), headers=case.sender)
    await refused(case, r, 422, "invalid-input", before)
    r = await case.svc.client.post(
        "/referrals", json=body(case, found_at="2024-03-01T10:00:00"), headers=case.sender
    )
    await refused(case, r, 422, "invalid-input", before)
    r = await case.svc.client.post("/referrals", json=body(case))
    await refused(case, r, 401, "unauthorized", before)
