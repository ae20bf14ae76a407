"""Search in Chinese: words, not characters; ranked; highlighted; filtered; only what the
caller may see."""

from __future__ import annotations

from typing import Any

import pytest

from xietong_devtools.files_corpus import pdf_bytes

from .conftest import PROBLEM, Info

pytestmark = pytest.mark.integration


async def search(info: Info, org: str, q: str, **params: Any) -> dict[str, Any]:
    r = await info.svc.client.get("/items/search", params={"q": q, **params}, headers=info.h(org))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_two_character_word_finds_the_item_with_it_not_one_sharing_a_character(
    info: Info,
) -> None:
    c = info.codes
    wanted = await info.publish(
        c.dept, title="夜间巡查情况", body="巡查发现某餐饮店油烟直排，已责令整改。"
    )
    shares_a_character = await info.publish(
        c.dept, title="食堂检查情况", body="某单位餐厅卫生良好，饮水机定期消毒。"
    )
    across_two_words = await info.publish(
        c.dept, title="新店开业", body="某快餐饮料店今日开业，证照齐全。"
    )
    found = await search(info, c.town_a, "餐饮")
    assert [h["id"] for h in found["items"]] == [wanted["id"]]
    assert found["total"] == 1
    hit = found["items"][0]
    assert "<mark>餐饮</mark>" in hit["snippet"]
    assert hit["title_highlighted"] == "夜间巡查情况"
    assert hit["rank"] > 0
    # each of the others is found by its own words
    assert [h["id"] for h in (await search(info, c.town_a, "餐厅"))["items"]] == [
        shares_a_character["id"]
    ]
    assert [h["id"] for h in (await search(info, c.town_a, "快餐"))["items"]] == [
        across_two_words["id"]
    ]


async def test_ranked_title_first_filters_and_visibility(info: Info) -> None:
    c = info.codes
    in_body = await info.publish(
        c.dept, title="月度工作通报", body="本月开展建筑垃圾专项整治，查处3起。", towns=[c.town_a]
    )
    in_title = await info.publish(
        c.other_dept,
        title="建筑垃圾专项整治方案",
        body="为加强管理，制定本方案。",
        matter_codes=[c.town_matter],
        towns=[c.town_b],
    )
    hidden = await info.publish(
        c.town_b, title="建筑垃圾处罚决定反馈", body="仅送规划局", audience=[c.dept]
    )
    found = await search(info, c.town_a, "建筑垃圾 整治")
    assert [h["id"] for h in found["items"]] == [in_title["id"], in_body["id"]]  # title first
    assert found["items"][0]["title_highlighted"].startswith("<mark>建筑垃圾</mark>")
    assert hidden["id"] not in {
        h["id"] for h in (await search(info, c.town_a, "建筑垃圾"))["items"]
    }
    assert hidden["id"] in {h["id"] for h in (await search(info, c.dept, "建筑垃圾"))["items"]}

    def ids(result: dict[str, Any]) -> list[str]:
        return [h["id"] for h in result["items"]]

    assert ids(await search(info, c.town_a, "建筑垃圾", town=c.town_b)) == [in_title["id"]]
    assert ids(await search(info, c.town_a, "建筑垃圾", matter_code=c.town_matter)) == [
        in_title["id"]
    ]
    assert ids(await search(info, c.town_a, "建筑垃圾", publisher=c.dept)) == [in_body["id"]]
    assert ids(await search(info, c.town_a, "建筑垃圾", category="laws-norms")) == []
    assert (
        ids(await search(info, c.town_a, "建筑垃圾", published_from="2024-03-02T00:00:00+08:00"))
        == []
    )
    assert len(ids(await search(info, c.town_a, "建筑垃圾", sort="-published_at"))) == 2
    r = await info.svc.client.get("/items/search", params={"q": "，。！"}, headers=info.h(c.town_a))
    assert r.status_code == 422
    assert r.json()["type"] == PROBLEM + "info-invalid-input"
    r = await info.svc.client.get(
        "/items/search", params={"q": "x" * 201}, headers=info.h(c.town_a)
    )
    assert r.status_code == 422


async def test_attachment_names_and_category_fields_are_searched(info: Info) -> None:
    c = info.codes
    draft = (
        await info.post(
            c.dept,
            {
                "category": "laws-norms",
                "title": "关于印发管理办法的通知",
                "body": "现印发，请遵照执行。",
                "details": {
                    "level": "normative-document",
                    "issuing_body": "重庆市涪陵区规划和自然资源局",
                    "document_number": "涪规资发〔2024〕8号",
                    "effective_from": "2024-04-01",
                },
            },
        )
    ).json()
    r = await info.svc.client.post(
        f"/items/{draft['id']}/attachments",
        files={"file": ("临时用地审批流程图.pdf", pdf_bytes("x"), "application/pdf")},
        headers=info.clerk(c.dept),
    )
    assert r.status_code == 201
    await info.svc.client.post(f"/items/{draft['id']}/publish", headers=info.clerk(c.dept))
    by_file = await search(info, c.town_a, "临时用地")
    assert [h["id"] for h in by_file["items"]] == [draft["id"]]
    assert by_file["items"][0]["snippet"] == "<mark>临时用地</mark>审批流程图.pdf"
    assert [h["id"] for h in (await search(info, c.town_a, "涪规资发"))["items"]] == [draft["id"]]
    # full-width digits find half-width ones
    assert [h["id"] for h in (await search(info, c.town_a, "２０２４"))["items"]] == [draft["id"]]


async def test_a_very_common_word_is_counted_and_ranked_within_bounds(info: Info) -> None:
    c = info.codes
    for n in range(3):
        await info.publish(c.dept, title=f"执法检查通报{n}", body="执法检查")
    settings: Any = info.svc.ctx.settings
    settings.info_search_count_limit, settings.info_search_rank_window = 2, 2
    bounded = await search(info, c.town_a, "执法")
    assert bounded["total"] == 2
    assert bounded["total_exact"] is False
    assert len(bounded["items"]) == 2  # the newest two, ranked
    newest = await search(info, c.town_a, "执法", sort="-published_at", page_size=5)
    assert len(newest["items"]) == 3  # by date every match is reached
    settings.info_search_count_limit, settings.info_search_rank_window = 10_000, 2000
    assert (await search(info, c.town_a, "执法"))["total_exact"] is True
