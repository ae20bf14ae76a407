"""The request's written acts as official documents: the town's letter asking for assistance
(ASSIST-01) and the department's notice of refusal with its legal ground and reasons
(ASSIST-03), rendered from the request as recorded."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from assistance.models import AssistanceRequest
from assistance.service.common import REQUEST, RESPOND
from xietong_common import documents
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.assistance import AssistanceGround, CaseKind, RefusalGround
from xietong_common.documents.content import (
    NOTICE,
    china_date,
    china_day_of,
    china_time,
    deadline_text,
)
from xietong_common.tables import deadlines
from xietong_common.uow import UnitOfWork

REQUEST_LETTER = documents.DocumentKind.ASSISTANCE_REQUEST
REFUSAL_NOTICE = documents.DocumentKind.ASSISTANCE_REFUSAL
KINDS = (REQUEST_LETTER, REFUSAL_NOTICE)

# 二(二), as the notice words the department's duty and its two grounds to decline.
DUTY_TO_ASSIST = "协助事项属于区级行政执法部门职权范围的，应当依法予以协助，不得推诿、刁难。"
DUTY_TO_TELL = (
    "协助事项属于法律、法规、规章等明确禁止或者协助事项不属于本机关职权范围的，应当及时告知提出"
    "协助要求的乡镇（街道），并说明理由"
)


def _matter(ctx: ServiceContext, r: AssistanceRequest) -> str:
    matter = ctx.catalogue.get(r.matter_code)
    return f"{matter.name_zh}（{r.matter_code}）" if matter else r.matter_code


async def _respond_due(uow: UnitOfWork, r: AssistanceRequest) -> str | None:
    row = (
        (
            await uow.session.execute(
                sa.select(deadlines.c.due_at, deadlines.c.provisional)
                .where(
                    deadlines.c.subject == REQUEST.subject_of(r.id), deadlines.c.action == RESPOND
                )
                .order_by(deadlines.c.started_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .one_or_none()
    )
    return deadline_text(row["due_at"], provisional=row["provisional"]) if row else None


async def request_letter_draft(
    uow: UnitOfWork, ctx: ServiceContext, r: AssistanceRequest
) -> documents.DocumentDraft:
    """ASSIST-01: the town asks the department, on a ground of the notice, for what it needs."""
    assert r.submitted_at is not None
    ground = AssistanceGround(r.ground)
    rows: list[tuple[str, str]] = [
        ("执法事项", _matter(ctx, r)),
        (
            "请求协助的情形",
            f"{ground.label_zh}" + (f"：{r.ground_description}" if r.ground_description else ""),
        ),
        ("需要协助的事项", r.needed),
    ]
    if r.case_kind and r.case_id:
        rows.append(("所涉案件", f"{CaseKind(r.case_kind).label_zh}案件（编号：{r.case_id}）"))
    rows.append(("是否紧急", "是" if r.urgent else "否"))
    if r.needed_by:
        rows.append(("希望完成日期", china_date(r.needed_by)))
    attached = [m.title for m in r.materials if m.uploaded_org == r.town]
    rows.append(("随函材料", "；".join(attached) if attached else "无"))
    due = await _respond_due(uow, r)
    ask = "请你单位在职权范围内予以协助" + (f"，并于{due}答复" if due else "") + "。"
    return documents.DocumentDraft(
        kind=REQUEST_LETTER,
        subject=REQUEST.subject_of(r.id),
        issuer=documents.issuer(ctx.directory, r.town),
        title=REQUEST_LETTER.label_zh,
        addressees=(documents.name_of(ctx.directory, r.department),),
        body=(
            documents.Paragraph(
                text=f"我单位在行政执法过程中，单独行使行政执法权不能实现行政管理目的。根据{NOTICE}"
                f"第二部分第（二）项规定，{ask}"
            ),
            documents.Fields(rows=tuple(rows)),
            documents.Paragraph(text=f"{DUTY_TO_ASSIST}{DUTY_TO_TELL}。"),
        ),
        signed_on=china_day_of(r.submitted_at),
    )


def refusal_notice_draft(ctx: ServiceContext, r: AssistanceRequest) -> documents.DocumentDraft:
    """ASSIST-03: the department tells the town it will not assist, on which legal ground and why."""
    assert r.refused_at is not None
    assert r.submitted_at is not None
    ground = RefusalGround(r.refusal_ground or RefusalGround.OUTSIDE_POWERS.value)
    rows: list[tuple[str, str]] = [
        ("执法事项", _matter(ctx, r)),
        ("请求协助的事项", r.needed),
        ("不予协助的依据", ground.label_zh),
    ]
    if ground is RefusalGround.FORBIDDEN_BY_LAW:
        rows.append(("禁止协助的规定", f"{r.refusal_law or ''}{r.refusal_article or ''}"))
    rows.append(("理由", r.refusal_reason or ""))
    if r.refused_after_acceptance:
        rows.append(
            (
                "说明",
                f"本机关曾于{china_time(r.accepted_at)}接受协助"
                if r.accepted_at
                else "本机关曾接受协助",
            )
        )
    return documents.DocumentDraft(
        kind=REFUSAL_NOTICE,
        subject=REQUEST.subject_of(r.id),
        issuer=documents.issuer(ctx.directory, r.department),
        title=REFUSAL_NOTICE.label_zh,
        addressees=(documents.name_of(ctx.directory, r.town),),
        body=(
            documents.Paragraph(
                text=f"你单位于{china_time(r.submitted_at)}提出的执法协助请求收悉。经审查，本机关不予协助。"
                f"根据{NOTICE}第二部分第（二）项“{DUTY_TO_TELL}”的规定，现将不予协助的依据和理由"
                "告知如下。"
            ),
            documents.Fields(rows=tuple(rows)),
        ),
        signed_on=china_day_of(r.refused_at),
    )


async def _draft(
    uow: UnitOfWork,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    kind: documents.DocumentKind,
    actor: Principal,
) -> documents.DocumentDraft:
    r = await REQUEST.load_for(uow, request_id, actor, lock=False)
    if kind is REQUEST_LETTER:
        if r.submitted_at is None:
            raise documents.DocumentNotAvailable(
                "the request is a draft: its letter exists once it is submitted (ASSIST-01)",
                zh="协助请求尚未提出，提出后方有执法协助函",
                kind=kind.value,
                rule=kind.spec.rule,
            )
        return await request_letter_draft(uow, ctx, r)
    if r.refused_at is None:
        raise documents.DocumentNotAvailable(
            "the department has not refused this request (ASSIST-03)",
            zh="区级部门未作出不予协助的决定，没有不予协助告知书",
            kind=kind.value,
            rule=kind.spec.rule,
        )
    return refusal_notice_draft(ctx, r)


def request_drafts(request_id: uuid.UUID) -> documents.DraftOf:
    """ASSIST-01/03: how a request's documents are drawn (the town's letter, the department's
    refusal notice), for the routes that issue, serve and correct them (a dependency taking
    the request's id from the path); the issuer's first download issues one."""

    async def draft(
        uow: UnitOfWork, ctx: ServiceContext, kind: documents.DocumentKind, actor: Principal
    ) -> documents.DocumentDraft:
        return await _draft(uow, ctx, request_id, kind, actor)

    return draft
