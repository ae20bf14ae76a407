"""The referral's written acts as official documents: the referral letter with the item list
(REF-05), the service receipt (REF-06), the written answer on acceptance (REF-07) and the
written report to the district government (REF-08), rendered from the referral as recorded."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from referral.domain import MaterialKind
from referral.models import Referral
from referral.service.common import REFERRAL
from xietong_common import documents
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.referral import AnswerDecision
from xietong_common.documents import issuing
from xietong_common.documents.content import (
    NOTICE,
    amount_text,
    china_day_of,
    china_time,
    deadline_text,
    party_text,
)
from xietong_common.reference import DISTRICT_GOV
from xietong_common.tables import deadlines
from xietong_common.uow import UnitOfWork

LETTER = documents.DocumentKind.REFERRAL_LETTER
RECEIPT = documents.DocumentKind.SERVICE_RECEIPT
ANSWER = documents.DocumentKind.ACCEPTANCE_ANSWER
REPORT = documents.DocumentKind.JURISDICTION_REPORT
KINDS = (LETTER, RECEIPT, ANSWER, REPORT)

# 二(三), as the notice words the duties the documents carry out.
DUTY_TO_REFER = (
    "乡镇（街道）之间、乡镇（街道）与区级行政执法部门之间，应当将不属于己方管辖的行政违法行为，"
    "移送给有权管辖的一方处理"
)
DUTY_TO_ANSWER = (
    "受移送单位应在5个工作日内书面告知移送单位受理情况；认为不属于本单位管辖的，应当书面报请"
    "区政府决定，不得再行移送"
)
DUTY_TO_RECEIPT = "受移送方收到有关材料后，应当受理并出具行政案件移送书送达回证"


def _name(ctx: ServiceContext, code: str | None) -> str:
    return documents.name_of(ctx.directory, code) if code else ""


def _matter(ctx: ServiceContext, r: Referral) -> str:
    if not r.matter_code:
        return "（未载明事项）"
    matter = ctx.catalogue.get(r.matter_code)
    return f"{matter.name_zh}（{r.matter_code}）" if matter else r.matter_code


def _case(ctx: ServiceContext, r: Referral) -> str:
    party = (r.party or {}).get("name") if r.party else None
    matter = ctx.catalogue.get(r.matter_code) if r.matter_code else None
    what = matter.name_zh if matter else (r.matter_code or "")
    return f"{party or ''}{what}一案"


def _basics(ctx: ServiceContext, r: Referral) -> list[tuple[str, str]]:
    rows = [
        ("当事人", party_text(r.party)),
        ("执法事项", _matter(ctx, r)),
        ("违法行为发生地", _name(ctx, r.place_town)),
        ("发现时间", china_time(r.found_at)),
    ]
    if r.urgent:
        rows.append(("情况紧急", "是（应在24小时内移送）"))
    if r.ongoing:
        measure = r.stop_measure or ""
        if r.stop_measure_at:
            measure += f"（{china_time(r.stop_measure_at)}）"
        rows.append(("违法行为正在进行，已采取的制止措施", measure))
    if r.jurisdiction_override_reason:
        rows.append(("移送说明", r.jurisdiction_override_reason))
    return rows


def _items(r: Referral) -> documents.Table:
    """REF-05: the items involved, listed truthfully; those disposed of in advance with how and
    the proceeds transferred with them."""
    return documents.Table(
        columns=(
            documents.Column(label="序号", width=8, align="center"),
            documents.Column(label="物品名称", width=24),
            documents.Column(label="数量", width=14, align="right"),
            documents.Column(label="说明", width=24),
            documents.Column(label="先行处置", width=30),
        ),
        rows=tuple(
            (
                str(i),
                item.name,
                f"{item.quantity.normalize():f}{item.unit or ''}",
                item.description or "",
                (
                    f"已先行处置：{item.disposal_method or ''}"
                    + (
                        f"，所得款项{amount_text(item.proceeds)}"
                        if item.proceeds is not None
                        else ""
                    )
                )
                if item.disposed_in_advance
                else "否",
            )
            for i, item in enumerate(r.items, 1)
        ),
    )


async def _letter_number(uow: UnitOfWork, r: Referral) -> str | None:
    letter = await issuing.current(uow.session, subject=REFERRAL.subject_of(r.id), kind=LETTER)
    return letter.number if letter else None


async def _due(uow: UnitOfWork, r: Referral, action: str) -> str | None:
    row = (
        (
            await uow.session.execute(
                sa.select(deadlines.c.due_at, deadlines.c.provisional)
                .where(
                    deadlines.c.subject == REFERRAL.subject_of(r.id), deadlines.c.action == action
                )
                .order_by(deadlines.c.started_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .one_or_none()
    )
    return deadline_text(row["due_at"], provisional=row["provisional"]) if row else None


def letter_draft(ctx: ServiceContext, r: Referral) -> documents.DocumentDraft:
    """REF-05 (1)(2): the referral letter, with the item list as its attachment."""
    assert r.sent_at is not None
    assert r.receiver is not None
    others = [
        m.title
        for m in r.materials
        if m.kind not in (MaterialKind.LETTER.value, MaterialKind.ITEM_LIST.value)
    ]
    basics = _basics(ctx, r)
    if r.proceeds_transferred:
        basics.append(("随案移送的先行处置所得款项", amount_text(r.proceeds_transferred)))
    return documents.DocumentDraft(
        kind=LETTER,
        subject=REFERRAL.subject_of(r.id),
        issuer=documents.issuer(ctx.directory, r.sender),
        title=LETTER.label_zh,
        addressees=(_name(ctx, r.receiver),),
        body=(
            documents.Paragraph(
                text=f"本单位在执法过程中发现下列违法行为，经审查不属于本单位管辖。根据{NOTICE}"
                f"第二部分第（三）项“{DUTY_TO_REFER}”的规定，现将该案件移送你单位处理。"
            ),
            documents.Heading(level=1, text="一、案件基本情况"),
            documents.Fields(rows=tuple(basics)),
            documents.Heading(level=1, text="二、违法事实"),
            documents.Paragraph(text=r.facts or "（记录未载明）"),
            documents.Heading(level=1, text="三、移送材料"),
            documents.Paragraph(
                text="1.案件移送函；2.涉案物品清单（见附件）"
                + (f"；3.其他与案件有关的材料：{'、'.join(others)}" if others else "")
                + "。"
            ),
            documents.Paragraph(
                text=f"请你单位收到本函及有关材料后出具行政案件移送书送达回证。{DUTY_TO_ANSWER}。"
            ),
        ),
        attachments=(documents.Attachment(title="涉案物品清单", blocks=(_items(r),)),),
        signed_on=china_day_of(r.sent_at),
    )


async def receipt_draft(
    uow: UnitOfWork, ctx: ServiceContext, r: Referral
) -> documents.DocumentDraft:
    """REF-06: the receiver's 送达回证 of the materials it received."""
    assert r.received_at is not None
    assert r.sent_at is not None
    assert r.receiver is not None
    number = await _letter_number(uow, r)
    materials = ["案件移送函" + (f"（{number}）" if number else ""), "涉案物品清单"]
    materials += [
        m.title
        for m in r.materials
        if m.kind not in (MaterialKind.LETTER.value, MaterialKind.ITEM_LIST.value)
    ]
    rows: list[tuple[str, str]] = [
        ("送达文书名称及文号", "、".join(materials)),
        ("案由", _case(ctx, r)),
        ("移送单位", _name(ctx, r.sender)),
        ("受送达人", _name(ctx, r.receiver)),
        ("送达方式", "通过协同平台电子送达"),
        ("送达时间", china_time(r.sent_at)),
        ("签收时间", china_time(r.received_at)),
        ("签收人", r.receipt_signed_by or ""),
        ("回证编号", r.receipt_number or ""),
    ]
    due = await _due(uow, r, "answer")
    if due:
        rows.append(("书面告知受理情况期限", due))
    return documents.DocumentDraft(
        kind=RECEIPT,
        subject=REFERRAL.subject_of(r.id),
        issuer=documents.issuer(ctx.directory, r.receiver),
        title=RECEIPT.label_zh,
        addressees=(_name(ctx, r.sender),),
        body=(
            documents.Paragraph(
                text=f"根据{NOTICE}第二部分第（三）项“{DUTY_TO_RECEIPT}”的规定，本单位已收到下列移送材料。"
            ),
            documents.Fields(rows=tuple(rows)),
        ),
        signed_on=china_day_of(r.received_at),
    )


async def answer_draft(
    uow: UnitOfWork, ctx: ServiceContext, r: Referral
) -> documents.DocumentDraft:
    """REF-07: the written answer to the sender: accepted, or reported to the district
    government (REF-08)."""
    assert r.answered_at is not None
    assert r.received_at is not None
    assert r.sent_at is not None
    assert r.receiver is not None
    number = await _letter_number(uow, r)
    letter = f"（案件移送函{number}）" if number else ""
    assert r.answer_decision is not None  # set with answered_at
    decision = AnswerDecision(r.answer_decision)
    if decision is AnswerDecision.ACCEPT:
        said = "经审查，本单位决定受理该案件，将按照相关法律法规规定的办案程序和时限办结。"
    else:
        said = (
            f"经审查，本单位认为该案件不属于本单位管辖，已于{china_time(r.answered_at)}书面报请区政府"
            "决定，不再行移送。"
        )
    body = [
        documents.Paragraph(
            text=f"你单位于{china_time(r.sent_at)}移送的{_case(ctx, r)}{letter}，本单位已于"
            f"{china_time(r.received_at)}签收（送达回证编号：{r.receipt_number or ''}）。根据{NOTICE}"
            f"第二部分第（三）项“{DUTY_TO_ANSWER}”的规定，现将受理情况书面告知如下。"
        ),
        documents.Paragraph(text=said),
    ]
    if r.answer_reasons:
        body.append(documents.Paragraph(text=f"理由：{r.answer_reasons}"))
    return documents.DocumentDraft(
        kind=ANSWER,
        subject=REFERRAL.subject_of(r.id),
        issuer=documents.issuer(ctx.directory, r.receiver),
        title=ANSWER.label_zh,
        addressees=(_name(ctx, r.sender),),
        body=tuple(body),
        signed_on=china_day_of(r.answered_at),
    )


async def report_draft(
    uow: UnitOfWork, ctx: ServiceContext, r: Referral
) -> documents.DocumentDraft:
    """REF-08: the written report to the district government for its decision."""
    assert r.answered_at is not None
    assert r.received_at is not None
    assert r.sent_at is not None
    assert r.receiver is not None
    number = await _letter_number(uow, r)
    letter = f"（案件移送函{number}）" if number else ""
    return documents.DocumentDraft(
        kind=REPORT,
        subject=REFERRAL.subject_of(r.id),
        issuer=documents.issuer(ctx.directory, r.receiver),
        title=REPORT.label_zh,
        addressees=(_name(ctx, DISTRICT_GOV),),
        body=(
            documents.Paragraph(
                text=f"{_name(ctx, r.sender)}于{china_time(r.sent_at)}向本单位移送{_case(ctx, r)}{letter}，"
                f"本单位已于{china_time(r.received_at)}签收。经审查，本单位认为该案件不属于本单位管辖。"
                f"根据{NOTICE}第二部分第（三）项“{DUTY_TO_ANSWER}”的规定，特报请区政府决定。"
            ),
            documents.Heading(level=1, text="一、案件基本情况"),
            documents.Fields(rows=(("移送单位", _name(ctx, r.sender)), *_basics(ctx, r))),
            documents.Heading(level=1, text="二、违法事实"),
            documents.Paragraph(text=r.facts or "（记录未载明）"),
            documents.Heading(level=1, text="三、不属于本单位管辖的理由"),
            documents.Paragraph(text=r.answer_reasons or "（记录未载明）"),
            documents.Paragraph(text="妥否，请批示。"),
        ),
        copies_to=(_name(ctx, r.sender),),
        signed_on=china_day_of(r.answered_at),
    )


def _not_yet(kind: documents.DocumentKind, en: str, zh: str) -> documents.DocumentNotAvailable:
    return documents.DocumentNotAvailable(en, zh=zh, kind=kind.value, rule=kind.spec.rule)


async def draft_of(
    uow: UnitOfWork, ctx: ServiceContext, r: Referral, kind: documents.DocumentKind
) -> documents.DocumentDraft:
    """The document of the kind as the referral now records it, or 409 before its act."""
    if kind is LETTER:
        if r.sent_at is None:
            raise _not_yet(kind, "the referral is not sent yet", "案件尚未移送，没有案件移送函")
        return letter_draft(ctx, r)
    if kind is RECEIPT:
        if r.received_at is None:
            raise _not_yet(
                kind, "the receiver has not signed for the referral yet", "受移送单位尚未签收"
            )
        return await receipt_draft(uow, ctx, r)
    if kind is ANSWER:
        if r.answered_at is None:
            raise _not_yet(
                kind,
                "the receiver has not answered in writing yet",
                "受移送单位尚未书面告知受理情况",
            )
        return await answer_draft(uow, ctx, r)
    if r.answer_decision != AnswerDecision.REPORT_TO_DISTRICT_GOV.value or r.answered_at is None:
        raise _not_yet(
            kind,
            "the receiver has not reported the case to the district government",
            "受移送单位未报请区政府决定",
        )
    return await report_draft(uow, ctx, r)


def referral_drafts(referral_id: uuid.UUID) -> documents.DraftOf:
    """REF-05..08: how the referral's documents are drawn, for the routes that issue, serve
    and correct them (a dependency taking the referral's id from the path); its issuer's
    first download issues one (the letter is issued at sending when the sender uploaded
    none)."""

    async def draft(
        uow: UnitOfWork, ctx: ServiceContext, kind: documents.DocumentKind, actor: Principal
    ) -> documents.DocumentDraft:
        r = await REFERRAL.load_for(uow, referral_id, actor, lock=False)
        return await draft_of(uow, ctx, r, kind)

    return draft
