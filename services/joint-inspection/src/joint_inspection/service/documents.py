"""The inspection's written acts as official documents: the work order (INSP-03), the advance
notice to a target (INSP-06) and the report of a serious finding to the district government
(INSP-08), issued by the initiating unit and rendered from the order and its visits as
recorded."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from joint_inspection.domain import InspectionMethod, InspectorKind, NoticePolicy, VisitState
from joint_inspection.domain import ParticipantRole as Role
from joint_inspection.models import Target, Visit, WorkOrder
from joint_inspection.service.common import ORDER
from xietong_common import documents
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import SeriousScope
from xietong_common.documents.content import NOTICE, china_day_of, china_time
from xietong_common.reference import DISTRICT_GOV
from xietong_common.uow import UnitOfWork

WORK_ORDER = documents.DocumentKind.WORK_ORDER
ADVANCE_NOTICE = documents.DocumentKind.ADVANCE_NOTICE
SERIOUS_REPORT = documents.DocumentKind.SERIOUS_REPORT

# 二(五), as the notice words them.
COMMAND = (
    "区级行政执法部门下沉执法力量要接受统一指挥调度，共同参与和配合。确需区级其他执法部门参加的，"
    "相关部门要予以支持。"
)
SERIOUS_DUTY = (
    "检查中发现的涉及行业性、区域性严重违法行为和重大隐患，发起单位要及时通报相关行政主管部门，"
    "并报告区政府"
)


def _matters(ctx: ServiceContext, codes: list[str]) -> str:
    names = []
    for code in codes:
        matter = ctx.catalogue.get(code)
        names.append(f"{matter.name_zh}（{code}）" if matter else code)
    return "；".join(names) or "无"


def _target_identity(target: Target) -> str:
    return target.credit_code or target.identity_masked or ""


async def _targets(uow: UnitOfWork, order: WorkOrder) -> list[tuple[Visit, Target]]:
    rows = (
        await uow.session.execute(
            sa.select(Visit, Target)
            .join(Target, Target.id == Visit.target_id)
            .where(Visit.order_id == order.id, Visit.state != VisitState.MERGED.value)
            .order_by(Visit.added_at, Visit.id)
        )
    ).all()
    return [(visit, target) for visit, target in rows]


async def work_order_draft(
    uow: UnitOfWork, ctx: ServiceContext, order: WorkOrder
) -> documents.DocumentDraft:
    """INSP-03: the targets, their number, the method and the inspectors the order fixed."""
    assert order.issued_at is not None

    def name(code: str) -> str:
        return documents.name_of(ctx.directory, code)

    targets = await _targets(uow, order)
    policy = NoticePolicy(order.notice_policy) if order.notice_policy else None
    fields: list[tuple[str, str]] = [
        ("工单编号", order.number or ""),
        ("检查任务", order.title),
        ("应用场景", order.scenario or "无"),
        ("发起单位", name(order.initiating_org)),
        ("属地乡镇（街道）", name(order.town)),
        ("检查方式", InspectionMethod(order.method).label_zh),
        ("检查事项", _matters(ctx, order.matter_codes)),
        ("检查数量", f"{len(targets)}个检查对象"),
        ("计划检查时间", f"{china_time(order.planned_start)}至{china_time(order.planned_end)}"),
        ("事先通报", policy.label_zh if policy else "未定"),
    ]
    if order.notice_exemption_reason:
        fields.append(("不事先通报的理由", order.notice_exemption_reason))
    if order.brigade_tasks:
        fields.append(("综合执法大队任务", order.brigade_tasks))
    return documents.DocumentDraft(
        kind=WORK_ORDER,
        subject=ORDER.subject_of(order.id),
        issuer=documents.issuer(ctx.directory, order.initiating_org),
        title=WORK_ORDER.label_zh,
        addressees=tuple(name(p.org) for p in order.participants if p.org != order.initiating_org),
        body=(
            documents.Fields(rows=tuple(fields)),
            documents.Heading(level=1, text="一、检查对象"),
            documents.Table(
                columns=(
                    documents.Column(label="序号", width=8, align="center"),
                    documents.Column(label="名称", width=34),
                    documents.Column(label="统一社会信用代码或证件号码", width=30),
                    documents.Column(label="地址", width=28),
                ),
                rows=tuple(
                    (str(i), t.name, _target_identity(t), t.address or "")
                    for i, (_, t) in enumerate(targets, 1)
                ),
            ),
            documents.Heading(level=1, text="二、检查人员"),
            documents.Table(
                columns=(
                    documents.Column(label="序号", width=8, align="center"),
                    documents.Column(label="姓名", width=14),
                    documents.Column(label="单位", width=30),
                    documents.Column(label="类别", width=20),
                    documents.Column(label="执法证号", width=28),
                ),
                rows=tuple(
                    (
                        str(i),
                        p.name,
                        name(p.org),
                        InspectorKind(p.kind).label_zh,
                        p.certificate_number or "",
                    )
                    for i, p in enumerate(order.inspectors, 1)
                ),
            ),
            documents.Heading(level=1, text="三、参加单位"),
            documents.Table(
                columns=(
                    documents.Column(label="单位", width=40),
                    documents.Column(label="参加方式", width=25),
                    documents.Column(label="任务", width=35),
                ),
                rows=tuple(
                    (name(p.org), Role(p.role).label_zh, p.instructions or "")
                    for p in order.participants
                ),
            ),
            documents.Paragraph(text=f"根据{NOTICE}第二部分第（五）项，{COMMAND}"),
        ),
        signed_on=china_day_of(order.issued_at),
    )


def advance_notice_draft(
    ctx: ServiceContext, order: WorkOrder, visit: Visit, target: Target
) -> documents.DocumentDraft:
    """INSP-06: the target is told the time, basis and method of the inspection."""
    assert visit.notified_at is not None
    assert visit.notice_time is not None
    return documents.DocumentDraft(
        kind=ADVANCE_NOTICE,
        subject=ORDER.subject_of(order.id),
        instance=str(target.id),
        issuer=documents.issuer(ctx.directory, order.initiating_org),
        title=ADVANCE_NOTICE.label_zh,
        addressees=(target.name,),
        body=(
            documents.Paragraph(
                text=f"根据{NOTICE}第二部分第（五）项，本单位将对你单位开展检查，现将检查的时间、依据、"
                "方式等内容事先通报如下。"
            ),
            documents.Fields(
                rows=(
                    ("检查时间", china_time(visit.notice_time)),
                    ("检查依据", visit.notice_basis or ""),
                    ("检查方式", visit.notice_method or ""),
                    ("检查事项", _matters(ctx, order.matter_codes)),
                    ("检查任务工单", order.number or ""),
                    ("通报方式", visit.notice_channel or ""),
                )
            ),
            documents.Paragraph(
                text="请你单位落实主体责任，对照上述事项自行整改纠正，并配合检查。"
            ),
        ),
        signed_on=china_day_of(visit.notified_at),
    )


def serious_report_draft(
    ctx: ServiceContext, order: WorkOrder, visit: Visit, target: Target
) -> documents.DocumentDraft:
    """INSP-08: the initiating unit reports a serious finding to the district government."""
    assert visit.serious_reported_at is not None
    scope = SeriousScope(visit.serious_scope) if visit.serious_scope else None
    found = scope.label_zh if scope else "严重违法行为或重大隐患"
    fields: list[tuple[str, str]] = [
        ("检查对象", f"{target.name}（{_target_identity(target)}）"),
        ("地址", target.address or ""),
        ("检查时间", china_time(visit.inspected_at) if visit.inspected_at else ""),
        ("检查任务工单", order.number or ""),
        ("发现的问题", visit.description or ""),
        ("处理情况", visit.handling or ""),
    ]
    if visit.competent_authority:
        when = (
            f"（{china_time(visit.authority_notified_at)}通报）"
            if visit.authority_notified_at
            else ""
        )
        authority = documents.name_of(ctx.directory, visit.competent_authority)
        fields.append(("已通报的行政主管部门", f"{authority}{when}"))
    return documents.DocumentDraft(
        kind=SERIOUS_REPORT,
        subject=ORDER.subject_of(order.id),
        instance=str(target.id),
        issuer=documents.issuer(ctx.directory, order.initiating_org),
        title=f"关于检查发现{found}的报告",  # one line at 2号 (GB/T 9704: 排列对称)
        addressees=(documents.name_of(ctx.directory, DISTRICT_GOV),),
        body=(
            documents.Paragraph(
                text=f"本单位发起的“{order.title}”检查中，发现{target.name}存在{found}。根据{NOTICE}"
                f"第二部分第（五）项“{SERIOUS_DUTY}”的规定，现将有关情况报告如下。"
            ),
            documents.Fields(rows=tuple(fields)),
            documents.Paragraph(text=visit.serious_report or ""),
            documents.Paragraph(text="特此报告。"),
        ),
        copies_to=(documents.name_of(ctx.directory, visit.competent_authority),)
        if visit.competent_authority
        else (),
        signed_on=china_day_of(visit.serious_reported_at),
    )


def _not_yet(kind: documents.DocumentKind, en: str, zh: str) -> documents.DocumentNotAvailable:
    return documents.DocumentNotAvailable(en, zh=zh, kind=kind.value, rule=kind.spec.rule)


async def _draft(
    uow: UnitOfWork,
    ctx: ServiceContext,
    order_id: uuid.UUID,
    target_id: uuid.UUID | None,
    kind: documents.DocumentKind,
    actor: Principal,
) -> documents.DocumentDraft:
    order = await ORDER.load_for(uow, order_id, actor, lock=False)
    if kind is WORK_ORDER:
        if order.issued_at is None:
            raise _not_yet(kind, "the work order is not issued yet", "检查任务工单尚未发起")
        return await work_order_draft(uow, ctx, order)
    assert target_id is not None
    visit = (
        await uow.session.execute(
            sa.select(Visit).where(Visit.order_id == order.id, Visit.target_id == target_id)
        )
    ).scalar_one_or_none()
    target = await uow.session.get(Target, target_id)
    if visit is None or target is None:
        raise documents.DocumentNotFound(
            "the target is not in this work order", zh="该监管对象不在本工单中"
        )
    if kind is ADVANCE_NOTICE:
        if visit.notified_at is None or visit.notice_time is None:
            raise _not_yet(
                kind, "no advance notice was recorded for this target", "未对该检查对象事先通报"
            )
        return advance_notice_draft(ctx, order, visit, target)
    if visit.serious_reported_at is None:
        raise _not_yet(
            kind,
            "no serious finding at this target was reported to the district government",
            "该检查对象未有报告区政府的严重违法行为或重大隐患",
        )
    return serious_report_draft(ctx, order, visit, target)


def order_drafts(order_id: uuid.UUID) -> documents.DraftOf:
    """INSP-03: how the order's work order is drawn, for the routes that issue, serve and
    correct it; the initiating unit's first download issues it."""

    async def draft(
        uow: UnitOfWork, ctx: ServiceContext, kind: documents.DocumentKind, actor: Principal
    ) -> documents.DocumentDraft:
        return await _draft(uow, ctx, order_id, None, kind, actor)

    return draft


def target_drafts(order_id: uuid.UUID, target_id: uuid.UUID) -> documents.DraftOf:
    """INSP-06/08: how the documents about one target of the order are drawn (the advance
    notice, the report of a serious finding); the initiating unit's first download issues
    one."""

    async def draft(
        uow: UnitOfWork, ctx: ServiceContext, kind: documents.DocumentKind, actor: Principal
    ) -> documents.DocumentDraft:
        return await _draft(uow, ctx, order_id, target_id, kind, actor)

    return draft
