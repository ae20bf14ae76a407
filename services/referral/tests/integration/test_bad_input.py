"""Bad input gets a clear 4xx problem+json and changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from xietong_devtools.testing import Servers, create_database, running_service, sample_codes

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
    problem = await refused(case, r, 422, "unknown-matter", before)
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
    await refused(case, r, 422, "unknown-organisation", before)
    r = await case.svc.client.post(
        "/referrals", json=body(case, place_town="dept:water"), headers=case.sender
    )
    await refused(case, r, 422, "unknown-organisation", before)
    # REF-01: referrals are between towns and departments; the justice bureau refers nothing
    # (refused for its kind of organisation, before its body is read)
    r = await case.svc.client.post(
        "/referrals", json=body(case), headers=case.h("justice-bureau", "handler")
    )
    problem = await refused(case, r, 403, "forbidden", before)
    assert (problem["rule"], problem["allowed_org_kinds"]) == ("REF-01", ["town", "dept"])
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


async def test_a_letter_of_the_senders_own_needs_its_item_list(case: Any) -> None:
    """REF-05: with no letter uploaded the platform issues the 案件移送函 (test_rules.py,
    test_documents.py); a letter of the sender's own without the item list is refused, and
    nothing changes."""
    referral = await case.draft()
    assert (await case.upload(referral["id"], "letter")).status_code == 201
    before = await case.counts()
    r = await case.svc.client.post(f"/referrals/{referral['id']}/send", headers=case.sender)
    problem = await refused(case, r, 409, "referral-materials-missing", before)
    assert problem["missing"] == ["item-list"]


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


# ---- issue 9: no input may crash or corrupt a case ------------------------------------------


@pytest.mark.parametrize(
    "found_at", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59Z"]
)
async def test_ref_03_an_implausible_year_is_refused_not_stored_as_infinity(
    case: Any, found_at: str
) -> None:
    """A year-1 finding was stored as -infinity (every later read a 500); with +08:00 it was
    a 500 at once. Times outside 2000..2100 are a 422 that changes nothing."""
    before = await case.counts()
    r = await case.svc.client.post(
        "/referrals", json=body(case, found_at=found_at), headers=case.sender
    )
    problem = await refused(case, r, 422, "invalid-input", before)
    assert problem["errors"][0]["loc"][-1] == "found_at"
    draft = await case.draft()
    before = await case.counts()
    r = await case.svc.client.patch(
        f"/referrals/{draft['id']}", json={"found_at": found_at}, headers=case.sender
    )
    await refused(case, r, 422, "invalid-input", before)
    assert (await case.get(draft["id"])).json()["found_at"] == draft["found_at"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("facts", "直排\u0000污水"),
        ("stop_measure", "责令\u0000停止"),
        ("jurisdiction_override_reason", "理由\u0000"),
        ("distinct_case_reason", "\u0000"),
        ("items", [{"name": "软管\u0000", "quantity": "1"}]),
        ("items", [{"name": "软管", "quantity": "1", "description": "\u0007"}]),
        ("party", {"name": "某公司\u0000", "kind": "legal-person"}),
    ],
)
async def test_nul_and_control_characters_are_refused_in_every_text_field(
    case: Any, field: str, value: Any
) -> None:
    """PostgreSQL refuses NUL in text: it was a 500. Now a 422 naming the field."""
    before = await case.counts()
    r = await case.svc.client.post(
        "/referrals", json=body(case, **{field: value}), headers=case.sender
    )
    problem = await refused(case, r, 422, "invalid-input", before)
    assert field in problem["errors"][0]["loc"]


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("stop_measure", 2000),
        ("jurisdiction_override_reason", 2000),
        ("facts", 20000),
        ("distinct_case_reason", 2000),
    ],
)
async def test_every_text_field_has_a_maximum_length(case: Any, field: str, limit: int) -> None:
    before = await case.counts()
    r = await case.svc.client.post(
        "/referrals", json=body(case, **{field: "长" * (limit + 1)}), headers=case.sender
    )
    await refused(case, r, 422, "invalid-input", before)
    for item in ({"description": "长" * 2001}, {"disposal_method": "长" * 2001}):
        items = [{"name": "软管", "quantity": "1", **item}]
        r = await case.svc.client.post(
            "/referrals", json=body(case, items=items), headers=case.sender
        )
        await refused(case, r, 422, "invalid-input", before)


async def test_explicit_null_for_a_field_that_cannot_be_cleared_is_a_422(case: Any) -> None:
    """`{"urgent": null}` (also ongoing, facts, found_at …) was a 500."""
    draft = await case.draft()
    before = await case.counts()
    for name in ("urgent", "ongoing", "facts", "found_at", "matter_code", "place_town", "items"):
        r = await case.svc.client.patch(
            f"/referrals/{draft['id']}", json={name: None}, headers=case.sender
        )
        await refused(case, r, 422, "invalid-input", before)
    r = await case.svc.client.patch(
        f"/referrals/{draft['id']}", json={"party": None}, headers=case.sender
    )
    assert r.status_code == 200, r.text  # an optional field is cleared
    assert r.json()["party"] is None


async def test_a_huge_page_number_or_size_is_a_422_not_an_overflow(case: Any) -> None:
    for params in (
        {"page": "100000000000000000"},
        {"page": "0"},
        {"page_size": "100000"},
        {"page": "1e3"},
    ):
        r = await case.svc.client.get("/referrals", params=params, headers=case.sender)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = await case.svc.client.get("/referrals", params={"page": 100000}, headers=case.sender)
    assert r.status_code == 200
    assert r.json()["items"] == []


async def test_request_bodies_are_limited_while_they_stream_in(case: Any) -> None:
    """A JSON body past XIETONG_MAX_REQUEST_BODY_BYTES (1 MiB) is a 413, declared or not."""
    before = await case.counts()
    huge = json.dumps(body(case, facts="x" * (1024 * 1024 + 10))).encode()
    headers = {**case.sender, "content-type": "application/json"}
    r = await case.svc.client.post("/referrals", content=huge, headers=headers)
    await refused(case, r, 413, "payload-too-large", before)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(huge), 64 * 1024):
            yield huge[start : start + 64 * 1024]

    r = await case.svc.client.post("/referrals", content=chunks(), headers=headers)
    await refused(case, r, 413, "payload-too-large", before)


async def test_a_token_of_an_organisation_outside_the_directory_acts_for_nobody(
    case: Any,
) -> None:
    before = await case.counts()
    r = await case.svc.client.post(
        "/referrals", json=body(case), headers=case.h("town:nonexistent", "handler")
    )
    await refused(case, r, 403, "forbidden", before)
    r = await case.svc.client.get("/referrals", headers=case.h("town:nonexistent", "handler"))
    assert r.status_code == 403


async def test_the_same_idempotency_key_with_another_body_is_refused(case: Any) -> None:
    headers = {**case.sender, "Idempotency-Key": "draft-1"}
    first = await case.svc.client.post("/referrals", json=body(case), headers=headers)
    assert first.status_code == 201
    again = await case.svc.client.post("/referrals", json=body(case), headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    before = await case.counts()
    other = await case.svc.client.post(
        "/referrals", json=body(case, facts="另一个案件"), headers=headers
    )
    await refused(case, other, 422, "idempotency-key-reused", before)


async def test_problems_are_in_chinese_by_default_and_english_on_request(case: Any) -> None:
    """The same refusal in both languages, with the same stable type."""
    before = await case.counts()
    path = "/referrals"
    data = body(case, matter_code="NOPE-999")
    zh = await case.svc.client.post(path, json=data, headers=case.sender)
    en = await case.svc.client.post(
        path, json=data, headers={**case.sender, "Accept-Language": "en-GB,en;q=0.9"}
    )
    zh_body = await refused(case, zh, 422, "unknown-matter", before)
    en_body = await refused(case, en, 422, "unknown-matter", before)
    assert zh_body["title"] == "事项编码不在执法事项目录中"
    assert "NOPE-999" in zh_body["detail"]
    assert "目录" in zh_body["detail"]
    assert en_body["title"] == "The matter code is not in the catalogue of matters"
    assert en_body["detail"] == "no matter 'NOPE-999' in the catalogue"
    assert zh.headers["content-language"] == "zh-CN"
    assert en.headers["content-language"] == "en"
    # a state refusal and a validation error, too
    draft = await case.draft()
    assert (await case.upload(draft["id"], "letter")).status_code == 201
    r = await case.svc.client.post(f"/referrals/{draft['id']}/send", headers=case.sender)
    assert r.json()["title"] == "移送材料不齐全"
    assert "涉案物品清单" in r.json()["detail"]
    r = await case.svc.client.post("/referrals", json=body(case, facts=""), headers=case.sender)
    assert r.json()["title"] == "请求内容无效"


def test_every_referral_error_has_a_chinese_title() -> None:
    from referral import errors
    from xietong_common.errors import AppError

    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, AppError) and c.__module__ == errors.__name__
    ]
    assert classes
    for cls in classes:
        assert "title_zh" in vars(cls), f"{cls.__name__} has no title_zh of its own"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in cls.title_zh), cls.__name__


async def test_uploads_are_capped_while_they_stream_in(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """XIETONG_MAX_UPLOAD_BYTES is counted as a multipart body arrives, before it is spooled
    or parsed: a chunked upload past it is a 413 and stores nothing."""
    from referral.main import SPEC

    async with running_service(
        SPEC,
        database_url=await create_database(servers, "referral"),
        kafka_bootstrap=kafka_bootstrap,
        blob_dir=tmp_path / "blobs",
        max_upload_bytes=4096,
        run_consumer=False,
    ) as svc:
        codes = sample_codes(svc.ctx)
        sender = svc.auth(codes["town_a"], "handler")
        created = await svc.client.post(
            "/referrals",
            json={
                "matter_code": codes["dept_matter"],
                "place_town": codes["town_a"],
                "found_at": "2024-03-01T02:00:00Z",
                "facts": "x",
            },
            headers=sender,
        )
        rid = created.json()["id"]
        boundary = "xietongboundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nletter\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF"
        ).encode()

        async def chunks() -> AsyncIterator[bytes]:
            yield head
            for _ in range(10):
                yield b"0" * 1024
            yield f"\r\n--{boundary}--\r\n".encode()

        r = await svc.client.post(
            f"/referrals/{rid}/materials",
            content=chunks(),
            headers={**sender, "content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert r.status_code == 413, r.text
        assert r.json()["type"] == PROBLEM + "payload-too-large"
        assert r.json()["max_bytes"] == 4096
        detail = (await svc.client.get(f"/referrals/{rid}", headers=sender)).json()
        assert detail["materials"] == []
        assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


async def test_a_case_stored_with_a_year_1_finding_can_be_read_and_fixed_after_upgrading(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A year-1 finding was stored as -infinity and left a case that could never be read,
    edited or sent. The upgrade (revision 0006) gives it the draft's creation time, cancels
    the deadlines computed from it, and the sender can then correct it."""
    import asyncio

    import sqlalchemy as sa
    from alembic import command

    from referral.main import SPEC
    from xietong_common.clock import SystemClock
    from xietong_common.db import Database
    from xietong_common.migrations import alembic_config

    url = await create_database(servers, "referral")
    config = alembic_config(SPEC.migrations_dir, url)
    await asyncio.to_thread(command.upgrade, config, "0004")
    db = Database(url, clock=SystemClock(), service_name="repair-test")
    rid = "0b9c6f4e-2d7a-4b8e-9a55-2b8f2f8b4d11"
    async with db.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO referrals (id, state, sender, receiver, proposed_receiver,"
                " matter_code, place_town, found_at, facts, urgent, ongoing,"
                " proceeds_transferred, source_kind, created_at, created_by, updated_at)"
                " VALUES (:id, 'draft', :town, :dept, :dept, :matter, :town, '-infinity', 'x',"
                " false, false, 0, 'manual', '2024-03-01T02:00:00Z', 'u',"
                " '2024-03-01T02:00:00Z')"
            ),
            {
                "id": rid,
                "town": "town:lizhi",
                "dept": "dept:ecology-environment",
                "matter": "ENV-001",
            },
        )
        await conn.execute(
            sa.text(
                "INSERT INTO deadlines (id, subject, action, rule, organisation, unit, amount,"
                " started_at, due_at, provisional) VALUES (gen_random_uuid(), :subject, 'send',"
                " 'REF-03', 'town:lizhi', 'working_days', 5, '-infinity', '-infinity', false)"
            ),
            {"subject": f"referral:{rid}"},
        )
    await db.dispose()
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        blob_dir=tmp_path / "blobs",
        run_consumer=False,
        run_jobs=False,
    ) as svc:
        sender = svc.auth("town:lizhi", "handler")
        detail = await svc.client.get(f"/referrals/{rid}", headers=sender)
        assert detail.status_code == 200, detail.text
        assert detail.json()["found_at"] == "2024-03-01T02:00:00Z"
        assert detail.json()["deadlines"] == []
        timeline = await svc.client.get(f"/referrals/{rid}/timeline", headers=sender)
        assert timeline.status_code == 200, timeline.text
        fixed = await svc.client.patch(
            f"/referrals/{rid}", json={"found_at": "2024-02-29T09:00:00+08:00"}, headers=sender
        )
        assert fixed.status_code == 200, fixed.text
        assert [d["rule"] for d in fixed.json()["deadlines"]] == ["REF-03"]
