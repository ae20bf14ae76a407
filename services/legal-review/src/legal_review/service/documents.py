"""The review's written acts as official documents: the written opinion (REV-07) and the
one-time notice of missing materials (REV-05), issued by the town, addressed to its brigade,
rendered from the review and its round as recorded."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from legal_review.domain import MaterialKind, ReviewPoint
from legal_review.models import Review, ReviewRound
from legal_review.service.common import REVIEW
from xietong_common import documents
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.documents.content import (
    NOTICE,
    amount_text,
    china_day_of,
    china_time,
    deadline_text,
    party_text,
)
from xietong_common.tables import deadlines
from xietong_common.uow import UnitOfWork

OPINION = documents.DocumentKind.REVIEW_OPINION
MATERIALS_NOTICE = documents.DocumentKind.MATERIALS_NOTICE
KINDS = (OPINION, MATERIALS_NOTICE)


def brigade(ctx: ServiceContext, town: str) -> str:
    """The town's case-handling brigade (承办机构, 二(四): 综合执法大队作为案件承办机构)."""
    org = ctx.directory.get(town)
    return f"{org.name_zh if org else town}综合行政执法大队"


def _case(ctx: ServiceContext, review: Review, rnd: ReviewRound) -> str:
    matter = ctx.catalogue.get(review.matter_code)
    what = matter.name_zh if matter else review.matter_code
    number = f"（案件编号：{review.case_number}）" if review.case_number else ""
    return f"{brigade(ctx, review.town)}于{china_time(rnd.submitted_at)}送审（第{rnd.number}次）的{party_text(review.party)}{what}一案{number}"


def _basics(ctx: ServiceContext, review: Review, rnd: ReviewRound) -> documents.Fields:
    matter = ctx.catalogue.get(review.matter_code)
    rows: list[tuple[str, str]] = [
        ("案件编号", review.case_number or "（未编号）"),
        ("当事人", party_text(review.party)),
        ("执法事项", f"{matter.name_zh}（{review.matter_code}）" if matter else review.matter_code),
        ("违法行为发生地", documents.name_of(ctx.directory, review.place_town)),
        ("发现时间", china_time(review.found_at)),
        ("送审时间", f"{china_time(rnd.submitted_at)}（第{rnd.number}次送审）"),
        ("拟作出的决定", rnd.proposal),
    ]
    amounts = [
        ("罚款", rnd.fine),
        ("没收违法所得", rnd.confiscated_gains),
        ("没收非法财物价值", rnd.confiscated_property_value),
    ]
    rows += [(label, amount_text(value)) for label, value in amounts if value]
    triggers = "；".join(t["reason"] for t in rnd.triggers) or "不属于应当审核的情形，自愿送审"
    rows.append(("应当审核的情形", triggers))
    return documents.Fields(rows=tuple(rows))


def opinion_draft(ctx: ServiceContext, review: Review, rnd: ReviewRound) -> documents.DocumentDraft:
    """REV-07: the written opinion of one round, with the nine points it rests on (REV-06)."""
    assert rnd.opinion is not None
    assert rnd.opinion_at is not None
    opinion = ReviewOpinionKind(rnd.opinion)
    findings = rnd.findings
    points = documents.Table(
        columns=(
            documents.Column(label="序号", width=8, align="center"),
            documents.Column(label="审核内容", width=42),
            documents.Column(label="结论", width=12, align="center"),
            documents.Column(label="说明", width=38),
        ),
        rows=tuple(
            (
                str(point.number),
                point.label_zh,
                ("通过" if findings[point.value]["passed"] else "未通过")
                if point.value in findings
                else "未审核",
                str(findings.get(point.value, {}).get("note", "")),
            )
            for point in ReviewPoint
        ),
    )
    said = [documents.Paragraph(text=f"经审核，提出{opinion.label_zh}的意见。")]
    if rnd.opinion_reasons:
        said.append(documents.Paragraph(text=f"理由：{rnd.opinion_reasons}"))
    if rnd.flaws:
        listed = "；".join(f"{i}.{flaw}" for i, flaw in enumerate(rnd.flaws, 1))
        said.append(documents.Paragraph(text=f"需纠正完善的问题：{listed}。"))
    if rnd.transfer_to:
        said.append(
            documents.Paragraph(
                text=f"建议移送{documents.name_of(ctx.directory, rnd.transfer_to)}处理。"
            )
        )
    if rnd.judicial_organ:
        said.append(documents.Paragraph(text=f"建议移送{rnd.judicial_organ}处理。"))
    return documents.DocumentDraft(
        kind=OPINION,
        subject=REVIEW.subject_of(review.id),
        instance=f"round-{rnd.number}",
        issuer=documents.issuer(ctx.directory, review.town),
        title=OPINION.label_zh,
        addressees=(brigade(ctx, review.town),),
        body=(
            documents.Paragraph(
                text=f"{_case(ctx, review, rnd)}，经本机关法制审核机构审核，现出具书面审核意见如下。"
            ),
            documents.Heading(level=1, text="一、基本情况"),
            _basics(ctx, review, rnd),
            documents.Heading(level=1, text="二、违法事实"),
            documents.Paragraph(text=review.facts),
            documents.Heading(level=1, text="三、审核情况"),
            points,
            documents.Heading(level=1, text="四、审核意见"),
            *said,
            documents.Paragraph(
                text=f"本意见依据{NOTICE}第二部分第（四）项出具。承办机构对送审材料的真实性、准确性、"
                "完整性，以及执法的事实、证据、法律适用、程序的合法性负责；法制审核机构对本审核意见负责。"
            ),
            documents.Paragraph(text=f"审核人员：{rnd.opinion_by}"),
        ),
        signed_on=china_day_of(rnd.opinion_at),
    )


async def _supply_due(uow: UnitOfWork, review: Review, rnd: ReviewRound) -> str:
    row = (
        (
            await uow.session.execute(
                sa.select(deadlines.c.due_at, deadlines.c.provisional)
                .where(
                    deadlines.c.subject == REVIEW.subject_of(review.id),
                    deadlines.c.action == f"supply-materials:round-{rnd.number}",
                )
                .order_by(deadlines.c.started_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return "规定期限内"
    return deadline_text(row["due_at"], provisional=row["provisional"])


async def materials_notice_draft(
    uow: UnitOfWork, ctx: ServiceContext, review: Review, rnd: ReviewRound
) -> documents.DocumentDraft:
    """REV-05: the one notice listing everything missing, with its deadline."""
    assert rnd.notice_at is not None
    missing = [MaterialKind(k).label_zh for k in rnd.notice_missing or []]
    items = [*missing, *(rnd.notice_items or [])]
    due = await _supply_due(uow, review, rnd)
    return documents.DocumentDraft(
        kind=MATERIALS_NOTICE,
        subject=REVIEW.subject_of(review.id),
        instance=f"round-{rnd.number}",
        issuer=documents.issuer(ctx.directory, review.town),
        title=MATERIALS_NOTICE.label_zh,
        addressees=(brigade(ctx, review.town),),
        body=(
            documents.Paragraph(
                text=f"{_case(ctx, review, rnd)}，经审查，送审材料不齐全。根据{NOTICE}第二部分第（四）项"
                "“法制审核机构认为提交材料不齐全的，应当一次性告知承办机构补正材料，并规定期限提交”"
                "的规定，现一次性告知如下。"
            ),
            documents.Heading(level=1, text="一、需补正的材料"),
            documents.Table(
                columns=(
                    documents.Column(label="序号", width=10, align="center"),
                    documents.Column(label="材料", width=90),
                ),
                rows=tuple((str(i), item) for i, item in enumerate(items, 1)),
            ),
            documents.Heading(level=1, text="二、补正期限"),
            documents.Paragraph(text=f"请于{due}将上述材料全部提交法制审核机构。"),
            documents.Paragraph(text=f"审核人员：{rnd.notice_by}"),
        ),
        signed_on=china_day_of(rnd.notice_at),
    )


async def _round(
    uow: UnitOfWork, review: Review, number: int | None, kind: documents.DocumentKind
) -> ReviewRound:
    """The round whose document is asked for: the one named, or the latest that has it."""
    has = ReviewRound.opinion_at if kind is OPINION else ReviewRound.notice_at
    query = sa.select(ReviewRound).where(ReviewRound.review_id == review.id, has.is_not(None))
    if number is not None:
        query = query.where(ReviewRound.number == number)
    rnd = (
        (await uow.session.execute(query.order_by(ReviewRound.number.desc()).limit(1)))
        .scalars()
        .one_or_none()
    )
    if rnd is None:
        act = (
            "written opinion (REV-07)"
            if kind is OPINION
            else "notice of missing materials (REV-05)"
        )
        act_zh = "书面审核意见" if kind is OPINION else "补正材料通知"
        which = f" in round {number}" if number is not None else ""
        raise documents.DocumentNotAvailable(
            f"the review has no {act}{which} yet",
            zh=f"该审核{'第' + str(number) + '次送审' if number else ''}尚未出具{act_zh}",
            kind=kind.value,
            rule=kind.spec.rule,
        )
    return rnd


async def _draft(
    uow: UnitOfWork,
    ctx: ServiceContext,
    review_id: uuid.UUID,
    kind: documents.DocumentKind,
    number: int | None,
    actor: Principal,
) -> documents.DocumentDraft:
    review = await REVIEW.load_for(uow, review_id, actor, lock=False)
    rnd = await _round(uow, review, number, kind)
    if kind is OPINION:
        return opinion_draft(ctx, review, rnd)
    return await materials_notice_draft(uow, ctx, review, rnd)


def review_drafts(review_id: uuid.UUID, round_number: int | None) -> documents.DraftOf:
    """REV-05/07: how a review's documents are drawn, those of a round (the latest that has
    one unless named), for the routes that issue, serve and correct them; the town's first
    download issues one."""

    async def draft(
        uow: UnitOfWork, ctx: ServiceContext, kind: documents.DocumentKind, actor: Principal
    ) -> documents.DocumentDraft:
        return await _draft(uow, ctx, review_id, kind, round_number, actor)

    return draft
