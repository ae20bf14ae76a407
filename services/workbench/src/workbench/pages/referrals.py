"""案件移送 (REF-01..10): the lists, the draft with its routing proposal, materials and item
list, sending, the 送达回证, the answer, the district government's assignment, filing,
conclusion, cooperation, and the case's timeline — each a form over the referral API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from workbench.api import ApiProblem
from workbench.pages.common import (
    DocumentSlot,
    document_pdf,
    document_rows,
    download,
    items_from_form,
    timeline_entries,
)
from workbench.web import (
    Form,
    FormErrors,
    Staff,
    Visit,
    china_datetime,
    flag,
    redirect,
    render,
    text,
    upload_of,
)
from xietong_common.reference import OrgKind

router = APIRouter(prefix="/referrals")
SERVICE = "referral"

BOXES = {
    "inbox": ("收件箱（移送给本单位的）", "Inbox (referred to us)"),
    "outbox": ("发件箱（本单位移送的）", "Outbox (referred by us)"),
    "all": ("全部可见", "All I may see"),
}
DRAFT_FIELDS = {
    "matter_code",
    "place_town",
    "found_at",
    "facts",
    "party.name",
    "party.kind",
    "party.id_number",
    "receiver",
    "jurisdiction_override_reason",
    "urgent",
    "ongoing",
    "stop_measure",
    "stop_measure_at",
    "distinct_case_reason",
}


@router.get("")
async def referral_list(
    current: Staff, box: str = "inbox", state: str | None = None, page: int = 1
) -> Response:
    box = box if box in BOXES else "inbox"
    path = "/referrals" if box == "all" else f"/referrals/{box}"
    listing = await current.api.get(
        SERVICE, path, state=state, page=max(page, 1), page_size=20, sort="-created_at"
    )
    return render(
        current,
        "referrals/list.html",
        box=box,
        boxes=BOXES,
        state=state or "",
        states=await current.options(SERVICE, "ReferralState"),
        listing=listing,
        page=max(page, 1),
    )


# ---- drafting -------------------------------------------------------------------------------


async def _draft_form(
    current: Visit,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    proposal: dict[str, Any] | None = None,
    rows: int = 3,
) -> Response:
    values = values or {}
    return render(
        current,
        "referrals/new.html",
        status=422 if errors else 200,
        values=values,
        errors=errors,
        proposal=proposal,
        rows=max(rows, len(values.get("items", [])), 1),
        matters=current.ref.matter_options(current.lang),
        towns=current.ref.org_options(OrgKind.TOWN, lang=current.lang),
        receivers=current.ref.org_groups(current.lang),
        party_kinds=await current.options(SERVICE, "PartyKind"),
        idempotency_key=values.get("idempotency_key") or str(uuid.uuid4()),
    )


@router.get("/new")
async def new_referral(current: Staff) -> Response:
    place = current.me.org if current.me.is_town else ""
    return await _draft_form(current, values={"place_town": place})


async def _proposal(current: Visit, matter: str | None, place: str | None) -> dict[str, Any] | None:
    """REF-02: the receiver the API proposes for the matter and place (None until both are
    chosen, or when the API refuses them: the draft will say why)."""
    if not matter or not place:
        return None
    try:
        found: dict[str, Any] = await current.api.get(
            SERVICE, "/referrals/routing", matter_code=matter, place_town=place
        )
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        return {"error": problem.detail}
    return found


@router.get("/routing")
async def routing_hint(
    current: Staff, matter_code: str | None = None, place_town: str | None = None
) -> Response:
    """The proposal as a fragment, for htmx to swap in while the draft is filled in."""
    proposal = await _proposal(current, matter_code, place_town)
    return render(current, "referrals/_routing.html", proposal=proposal)


def _draft_body(form: FormData) -> dict[str, Any]:
    body: dict[str, Any] = {
        "matter_code": text(form, "matter_code"),
        "place_town": text(form, "place_town"),
        "found_at": china_datetime(text(form, "found_at")),
        "facts": text(form, "facts"),
        "urgent": flag(form, "urgent"),
        "ongoing": flag(form, "ongoing"),
        "items": items_from_form(form),
    }
    party_name, party_kind = text(form, "party.name"), text(form, "party.kind")
    if party_name or party_kind or text(form, "party.id_number"):
        body["party"] = {
            "name": party_name,
            "kind": party_kind,
            **({"id_number": v} if (v := text(form, "party.id_number")) else {}),
        }
    for name in (
        "receiver",
        "jurisdiction_override_reason",
        "stop_measure",
        "distinct_case_reason",
    ):
        if value := text(form, name):
            body[name] = value
    if stop_at := china_datetime(text(form, "stop_measure_at")):
        body["stop_measure_at"] = stop_at
    return {k: v for k, v in body.items() if v is not None}


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["items"] = items_from_form(form)
    return values


@router.post("/new")
async def create_referral(current: Staff, form: Form) -> Response:
    values = _values(form)
    rows = int(text(form, "rows") or 3)
    if "add_row" in form:
        return await _draft_form(current, values=values, rows=rows + 1)
    if "propose" in form:
        proposal = await _proposal(current, text(form, "matter_code"), text(form, "place_town"))
        return await _draft_form(current, values=values, proposal=proposal, rows=rows)
    try:
        created = await current.api.post(
            SERVICE, "/referrals", _draft_body(form), idempotency_key=text(form, "idempotency_key")
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        known = DRAFT_FIELDS | {
            f"items.{i}.{f}" for i in range(rows + 10) for f in ("name", "quantity", "unit")
        }
        proposal = await _proposal(current, text(form, "matter_code"), text(form, "place_town"))
        return await _draft_form(
            current,
            values=values,
            errors=FormErrors.from_problem(problem, known=known),
            proposal=proposal,
            rows=rows,
        )
    current.flash(
        current.t(
            "移送草稿已保存。请上传案件移送函和涉案物品清单后移送。",
            "Draft saved. Upload the referral letter and the item list, then send.",
        )
    )
    return redirect(f"/referrals/{created['id']}")


# ---- one referral ---------------------------------------------------------------------------

DOCUMENTS = {
    "referral-letter": ("案件移送函", "Referral letter (REF-05)"),
    "service-receipt": ("行政案件移送书送达回证", "Service receipt (REF-06)"),
    "acceptance-answer": ("案件受理情况告知书", "Written answer (REF-07)"),
    "jurisdiction-report": ("关于案件管辖的请示", "Report to the district government (REF-08)"),
}


def _document_slots(r: dict[str, Any]) -> list[DocumentSlot]:
    """Who issues each of the referral's documents once its act is done (the service says the
    same with a 409 before it): the letter the sender (at sending, unless it uploaded a letter
    of its own), the rest the receiver."""
    own_letter = any(m.get("kind") == "letter" for m in r.get("materials", []))
    issuers = {
        "referral-letter": r["sender"] if r.get("sent_at") and not own_letter else None,
        "service-receipt": r.get("receiver") if r.get("received_at") else None,
        "acceptance-answer": r.get("receiver") if r.get("answered_at") else None,
        "jurisdiction-report": r.get("receiver")
        if r.get("answered_at") and r.get("answer_decision") == "report-to-district-gov"
        else None,
    }
    return [DocumentSlot(kind, zh, en, issuers[kind]) for kind, (zh, en) in DOCUMENTS.items()]


async def _detail(
    current: Visit,
    referral_id: uuid.UUID,
    *,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    try:
        referral = await current.api.get(SERVICE, f"/referrals/{referral_id}")
        timeline = await current.api.get(SERVICE, f"/referrals/{referral_id}/timeline")
    except ApiProblem as problem:
        if problem.status in (403, 404, 422):
            from workbench.web import PageNotFound

            raise PageNotFound() from problem
        raise
    me = current.me
    state = referral["state"]["value"]
    mine_sent = me.org == referral["sender"]
    handling = me.org in (referral.get("receiver"), referral.get("assignee")) and state not in (
        "draft",
        "withdrawn",
    )
    can_write = me.has("handler", "leader")
    suspended = referral.get("suspended_at") is not None
    return render(
        current,
        "referrals/detail.html",
        status=422 if errors else 200,
        r=referral,
        state=state,
        timeline=timeline_entries(timeline),
        documents=document_rows(
            current,
            referral.get("documents", []),
            _document_slots(referral),
            f"/referrals/{referral_id}",
        ),
        failed=failed,
        errors=errors,
        values=values or {},
        suspended=suspended,
        can={
            "upload": mine_sent and state == "draft" and can_write,
            "send": mine_sent and state == "draft" and can_write,
            "approve": mine_sent and state == "draft" and me.has("leader"),
            "withdraw": mine_sent and state == "draft" and can_write,
            "receive": handling and state == "sent" and me.has("clerk"),
            "answer": handling and state == "received" and can_write,
            "file": handling and state in ("accepted", "assigned") and can_write,
            "conclude": handling and state == "filed" and can_write,
            # REF-09: the conclusion period suspended (中止), resumed, or extended (延长).
            "suspend": handling and state == "filed" and can_write and not suspended,
            "resume": handling and state == "filed" and can_write and suspended,
            "extend": handling and state == "filed" and can_write and not suspended,
            "cooperate": handling and state in ("accepted", "assigned", "filed") and can_write,
            "assign": me.org == "district-gov" and state == "reported" and can_write,
        },
        material_kinds=await current.options(SERVICE, "MaterialKind"),
        decisions=await current.options(SERVICE, "AnswerDecision"),
        procedures=await current.options(SERVICE, "CaseProcedure"),
        outcomes=await current.options(SERVICE, "ConclusionOutcome"),
        state_labels=dict(await current.options(SERVICE, "ReferralState")),
        assignees=current.ref.org_groups(current.lang),
    )


@router.get("/{referral_id}")
async def referral_detail(current: Staff, referral_id: uuid.UUID) -> Response:
    return await _detail(current, referral_id)


async def _step(
    current: Visit,
    referral_id: uuid.UUID,
    step: str,
    body: dict[str, Any] | None,
    done: tuple[str, str],
    form: FormData,
) -> Response:
    """POST one step; a refusal is shown on the referral's page beside the step's form."""
    try:
        await current.api.post(SERVICE, f"/referrals/{referral_id}/{step}", body)
    except ApiProblem as problem:
        if problem.status not in (400, 403, 409, 422):
            raise
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return await _detail(
            current,
            referral_id,
            failed=step,
            errors=FormErrors.from_problem(problem),
            values=values,
        )
    current.flash(current.t(*done))
    return redirect(f"/referrals/{referral_id}")


@router.post("/{referral_id}/materials")
async def upload_material(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    upload = await upload_of(form)
    errors = FormErrors()
    if upload is None:
        errors.add("file", current.t("请选择要上传的文件", "Choose a file to upload"))
        return await _detail(current, referral_id, failed="materials", errors=errors)
    try:
        await current.api.upload(
            SERVICE,
            f"/referrals/{referral_id}/materials",
            file=upload,
            fields={"kind": text(form, "kind") or "", "title": text(form, "title") or ""},
            idempotency_key=text(form, "idempotency_key"),
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 413, 415, 422):
            raise
        return await _detail(
            current,
            referral_id,
            failed="materials",
            errors=FormErrors.from_problem(problem, known={"kind", "title", "file"}),
        )
    current.flash(current.t("材料已上传。", "Material uploaded."))
    return redirect(f"/referrals/{referral_id}#materials")


@router.get("/{referral_id}/materials/{material_id}")
async def material_content(
    current: Staff, referral_id: uuid.UUID, material_id: uuid.UUID
) -> Response:
    return await download(
        current, SERVICE, f"/referrals/{referral_id}/materials/{material_id}/content"
    )


@router.get("/{referral_id}/documents/{kind}.pdf")
async def referral_document(
    current: Staff, referral_id: uuid.UUID, kind: str, version: str | None = None
) -> Response:
    """REF-05..08: the referral's document, through the referral service's own route."""
    if kind not in DOCUMENTS:
        from workbench.web import PageNotFound

        raise PageNotFound()
    return await document_pdf(
        current,
        SERVICE,
        f"/referrals/{referral_id}/documents/{kind}.pdf",
        version=version,
        back=f"/referrals/{referral_id}#documents",
    )


@router.post("/{referral_id}/send")
async def send(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    return await _step(
        current,
        referral_id,
        "send",
        None,
        ("已移送，等待接收方签收。", "Sent; awaiting receipt."),
        form,
    )


@router.post("/{referral_id}/approve")
async def approve(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    return await _step(current, referral_id, "approve", None, ("已审批。", "Approved."), form)


@router.post("/{referral_id}/withdraw")
async def withdraw(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    body = {"reason": text(form, "reason")}
    return await _step(
        current, referral_id, "withdraw", body, ("草稿已撤回。", "Draft withdrawn."), form
    )


@router.post("/{referral_id}/receive")
async def receive(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    body = {k: v for k, v in {"signer_name": text(form, "signer_name")}.items() if v}
    return await _step(
        current,
        referral_id,
        "receive",
        body,
        ("已签收，送达回证已出具。", "Received; the service receipt is issued."),
        form,
    )


@router.post("/{referral_id}/answer")
async def answer(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    body = {"decision": text(form, "decision"), "reasons": text(form, "reasons")}
    return await _step(
        current, referral_id, "answer", body, ("已书面答复。", "Answered in writing."), form
    )


@router.post("/{referral_id}/assign")
async def assign(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    body = {"assignee": text(form, "assignee"), "reasons": text(form, "reasons")}
    return await _step(
        current, referral_id, "assign", body, ("已指定管辖。", "Jurisdiction assigned."), form
    )


@router.post("/{referral_id}/file")
async def file_case(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    body: dict[str, Any] = {
        "case_number": text(form, "case_number"),
        "procedure": text(form, "procedure") or "ordinary",
    }
    if limit := text(form, "time_limit_days"):
        body["time_limit_days"] = limit
    if reason := text(form, "no_time_limit_reason"):
        body["no_time_limit_reason"] = reason
    return await _step(current, referral_id, "file", body, ("已立案。", "Case filed."), form)


@router.post("/{referral_id}/conclude")
async def conclude(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    body = {"outcome_kind": text(form, "outcome_kind"), "outcome": text(form, "outcome")}
    if number := text(form, "decision_number"):
        body["decision_number"] = number
    return await _step(current, referral_id, "conclude", body, ("已办结。", "Concluded."), form)


def _basis(form: Any) -> dict[str, Any]:
    """REF-09: the reason, and the law (by its title) and article that allow the change."""
    return {k: text(form, k) for k in ("reason", "law", "article")}


@router.post("/{referral_id}/suspend")
async def suspend(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    """REF-09: suspend (中止) the conclusion period, lawfully: the clock stands still."""
    return await _step(
        current,
        referral_id,
        "suspend",
        _basis(form),
        ("办案期限已中止。", "Conclusion period suspended."),
        form,
    )


@router.post("/{referral_id}/resume")
async def resume(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    """REF-09: resume the suspended period with the days that were left."""
    body = {k: v for k, v in {"reason": text(form, "reason")}.items() if v}
    return await _step(
        current,
        referral_id,
        "resume",
        body,
        ("办案期限已恢复计算。", "Conclusion period resumed."),
        form,
    )


@router.post("/{referral_id}/extend")
async def extend(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    """REF-09: extend (延长) the conclusion period by some calendar days, lawfully."""
    body = {"days": text(form, "days"), **_basis(form)}
    return await _step(
        current,
        referral_id,
        "extend",
        body,
        ("办案期限已延长。", "Conclusion period extended."),
        form,
    )


@router.post("/{referral_id}/cooperation-requests/{request_id}/not-given")
async def cooperation_not_given(
    current: Staff, referral_id: uuid.UUID, request_id: uuid.UUID, form: Form
) -> Response:
    """REF-10: the handling party records, once and with its reason, that the sender did not
    give the cooperation asked for (oversight counts it against the sender)."""
    return await _step(
        current,
        referral_id,
        f"cooperation-requests/{request_id}/not-given",
        {"reason": text(form, "reason")},
        ("已记录移送方未予配合，督察可见。", "Recorded as not given; oversight sees it."),
        form,
    )


@router.post("/{referral_id}/cooperation-requests")
async def cooperation(current: Staff, referral_id: uuid.UUID, form: Form) -> Response:
    body = {"request": text(form, "request")}
    return await _step(
        current,
        referral_id,
        "cooperation-requests",
        body,
        ("已请求移送方配合。", "Cooperation requested."),
        form,
    )
