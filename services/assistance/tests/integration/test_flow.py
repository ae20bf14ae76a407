"""The whole path of an assistance request on the running service, through REST and Kafka."""

from __future__ import annotations

import pytest

from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import topic_reader

from .conftest import PDF, Assist

pytestmark = pytest.mark.integration


async def test_assist_01_02_the_completed_result_reaches_the_town(
    assist: Assist, kafka_bootstrap: str
) -> None:
    c = assist.codes
    topics = (
        "assistance.requested",
        "assistance.accepted",
        "assistance.delivered",
        "assistance.completed",
    )
    async with topic_reader(kafka_bootstrap, *topics) as reader:
        draft = await assist.draft(
            case={"kind": "inspection", "id": "insp-2024-031"}, needed_by="2024-03-15"
        )
        rid = draft["id"]
        assert draft["state"]["value"] == "draft"
        assert draft["department"] == c.dept  # proposed from the matter catalogue
        assert draft["within_powers"] is True
        assert draft["warnings"] == []
        assert (await assist.upload(rid, assist.town, name="现场照片.pdf")).status_code == 201

        # The department does not see a draft.
        assert (await assist.get(rid, assist.dept)).status_code == 404

        submitted = (await assist.post(rid, "submit", assist.town)).json()
        assert submitted["state"]["value"] == "requested"
        assert submitted["next_due"]["rule"] == "ASSIST-04"
        assert submitted["next_due"]["organisation"] == c.dept
        inbox = (
            await assist.svc.client.get("/assistance-requests/inbox", headers=assist.dept)
        ).json()
        assert [x["id"] for x in inbox["items"]] == [rid]
        attachment = submitted["materials"][0]
        got = await assist.svc.client.get(
            f"/assistance-requests/{rid}/materials/{attachment['id']}/content", headers=assist.dept
        )
        assert got.status_code == 200

        accepted = await assist.post(
            rid,
            "accept",
            assist.dept,
            officers=[assist.own_officer(1), assist.own_officer(2)],
            agreed_completion_date="2024-03-08",
            note="3月4日到现场取样",
        )
        assert accepted.status_code == 200, accepted.text
        body = accepted.json()
        assert body["state"]["value"] == "accepted"
        assert [o["name"] for o in body["officers"]] == ["王1", "王2"]
        assert body["next_due"]["due_at"] == "2024-03-08T16:00:00Z"  # 8 Mar 24:00 CST

        report = pdf_bytes("detection report: PM2.5 ...")
        up = await assist.upload(rid, assist.dept, content=report, name="检测报告.pdf")
        assert up.status_code == 201
        assert up.json()["kind"] == "result"
        delivered = await assist.post(
            rid, "deliver", assist.dept, result_kind="testing", summary="取样3份，检测报告见附件"
        )
        assert delivered.status_code == 200, delivered.text
        assert delivered.json()["state"]["value"] == "delivered"
        assert delivered.json()["next_due"] is None  # the department owes nothing more

        # The town downloads the result.
        result = next(m for m in delivered.json()["materials"] if m["kind"] == "result")
        got = await assist.svc.client.get(
            f"/assistance-requests/{rid}/materials/{result['id']}/content", headers=assist.town
        )
        assert got.status_code == 200
        assert got.content == report
        assert (
            "检测报告.pdf" in got.headers["content-disposition"]
            or "filename*" in got.headers["content-disposition"]
        )

        confirmed = await assist.post(rid, "confirm", assist.town, note="已收到检测报告")
        assert confirmed.status_code == 200, confirmed.text
        done = confirmed.json()
        assert done["state"] == {
            "value": "completed",
            "label_zh": "协助已完成",
            "label_en": "completed: the town confirmed the result",
        }
        assert done["result"]["kind"] == "testing"
        assert done["result"]["confirmed_at"] is not None

        events = await reader.collect(
            lambda evs: (
                {e["type"] for e in evs if e["subject"] == rid}
                >= {f"xietong.{t}.v1" for t in topics}
            )
        )
    mine = {e["type"]: e["data"] for e in events if e["subject"] == rid}
    assert mine["xietong.assistance.requested.v1"]["attachments"] == 1
    assert mine["xietong.assistance.requested.v1"]["case"] == {
        "kind": "inspection",
        "id": "insp-2024-031",
    }
    assert mine["xietong.assistance.accepted.v1"]["late"] is False
    assert mine["xietong.assistance.delivered.v1"]["results"] == 1
    assert mine["xietong.assistance.completed.v1"]["late"] is False

    timeline = (
        await assist.svc.client.get(f"/assistance-requests/{rid}/timeline", headers=assist.town)
    ).json()
    rules = {e["action"]: e["rule"] for e in timeline if e["kind"] == "action"}
    assert rules["assistance.submit"] == "ASSIST-01"
    assert rules["assistance.accept"] == "ASSIST-02"
    assert rules["assistance.deliver"] == "ASSIST-02"
    assert rules["assistance.confirm"] == "ASSIST-02"
    assert {e["kind"] for e in timeline} >= {"deadline-started", "deadline-met"}


async def test_assist_02_a_result_that_does_not_answer_is_returned_and_delivered_again(
    assist: Assist,
) -> None:
    request = await assist.accepted()
    rid = request["id"]
    assert (await assist.upload(rid, assist.dept, content=PDF + b"1")).status_code == 201
    r = await assist.post(
        rid, "deliver", assist.dept, result_kind="testing", summary="检测报告见附件"
    )
    assert r.status_code == 200
    r = await assist.post(rid, "return", assist.town, reason="报告未包含二噁英指标，与请求不符")
    assert r.status_code == 200, r.text
    back = r.json()
    assert back["state"]["value"] == "accepted"
    assert back["returns"] == 1
    assert back["result"] is None
    # Delivered again within the redelivery period (5 working days from Fri 1 Mar → 8 Mar).
    assert back["next_due"]["due_at"] == "2024-03-08T16:00:00Z"
    r = await assist.post(
        rid, "deliver", assist.dept, result_kind="testing", summary="补充二噁英指标"
    )
    assert r.status_code == 200
    r = await assist.post(rid, "confirm", assist.town)
    assert r.json()["state"]["value"] == "completed"
