"""执法协助 (ASSIST-01..04): the town's request with the department proposed from the
catalogue, acceptance naming officers, refusal with a legal ground, the result delivered,
confirmed or returned, and flags of 推诿、刁难; a refusal the town contests (提出异议) and the
justice bureau's queue of refusals to rule on (ASSIST-03)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from workbench.api import ApiProblem
from workbench.oversight import etag_field, etag_of
from workbench.pages.common import (
    DocumentSlot,
    act,
    again,
    document_pdf,
    document_rows,
    record_and_timeline,
)
from workbench.web import (
    Form,
    FormErrors,
    PageNotFound,
    Staff,
    Visit,
    flag,
    redirect,
    render,
    text,
)

router = APIRouter(prefix="/assistance")
SERVICE = "assistance"
BOXES = {"inbox": ("收件箱", "Inbox"), "outbox": ("发件箱", "Outbox")}
# ASSIST-03: the justice bureau's queue, by what became of each refusal.
RULINGS = {
    "pending": ("待裁定", "To rule on"),
    "upheld": ("拒绝理由成立", "Upheld"),
    "not-upheld": ("拒绝理由不成立", "Not upheld"),
}
CREATE_FIELDS = {
    "matter_code",
    "ground",
    "ground_description",
    "needed",
    "needed_by",
    "department",
    "urgent",
}


@router.get("")
async def listing(current: Staff, box: str = "outbox", page: int = 1) -> Response:
    box = box if box in BOXES else "outbox"
    found = await current.api.get(
        SERVICE, f"/assistance-requests/{box}", page=max(page, 1), page_size=20, sort="-created_at"
    )
    return render(
        current, "assistance/list.html", box=box, boxes=BOXES, listing=found, page=max(page, 1)
    )


async def _new_form(
    current: Visit,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    proposal: dict[str, Any] | None = None,
) -> Response:
    values = values or {}
    return render(
        current,
        "assistance/new.html",
        status=422 if errors else 200,
        values=values,
        errors=errors,
        proposal=proposal,
        matters=current.ref.matter_options(current.lang),
        grounds=await current.options(SERVICE, "AssistanceGround"),
        departments=[
            (o.code, o.name_en if current.lang == "en" else o.name_zh)
            for o in current.ref.directory.departments()
        ],
        idempotency_key=values.get("idempotency_key") or str(uuid.uuid4()),
    )


@router.get("/new")
async def new_request(current: Staff) -> Response:
    return await _new_form(current)


@router.post("/new")
async def create(current: Staff, form: Form) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if "propose" in form:
        proposal = None
        if matter := text(form, "matter_code"):
            try:
                proposal = await current.api.get(
                    SERVICE, "/assistance-requests/proposal", matter_code=matter
                )
            except ApiProblem as problem:
                if problem.status >= 500:
                    raise
                proposal = {"error": problem.detail}
        return await _new_form(current, values=values, proposal=proposal)
    body: dict[str, Any] = {
        "matter_code": text(form, "matter_code"),
        "ground": text(form, "ground"),
        "needed": text(form, "needed"),
        "urgent": flag(form, "urgent"),
    }
    for name in ("ground_description", "needed_by", "department"):
        if value := text(form, name):
            body[name] = value
    try:
        created = await current.api.post(
            SERVICE,
            "/assistance-requests",
            {k: v for k, v in body.items() if v is not None},
            idempotency_key=text(form, "idempotency_key"),
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        return await _new_form(
            current, values=values, errors=FormErrors.from_problem(problem, known=CREATE_FIELDS)
        )
    current.flash(
        current.t(
            "协助请求草稿已保存，提交后部门须及时答复。",
            "Draft saved; submit it to the department.",
        )
    )
    return redirect(f"/assistance/{created['id']}")


DOCUMENTS = {
    "request-letter": ("执法协助函", "Letter requesting assistance (ASSIST-01)"),
    "refusal-notice": ("不予协助告知书", "Refusal notice (ASSIST-03)"),
}


def _document_slots(r: dict[str, Any]) -> list[DocumentSlot]:
    """The town issues its letter once it submitted the request; the department its refusal
    notice once it refused (the service answers 409 before either)."""
    issuers = {
        "request-letter": r["town"] if r.get("submitted_at") else None,
        "refusal-notice": r["department"] if r.get("refusal") else None,
    }
    return [DocumentSlot(kind, zh, en, issuers[kind]) for kind, (zh, en) in DOCUMENTS.items()]


async def _detail(
    current: Visit,
    request_id: uuid.UUID,
    *,
    failed: str = "",
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    found, timeline = await record_and_timeline(
        current, SERVICE, f"/assistance-requests/{request_id}"
    )
    me = current.me
    state = found["state"]["value"]
    writer = me.has("handler", "leader")
    town, dept = me.org == found["town"], me.org == found.get("department")
    return render(
        current,
        "assistance/detail.html",
        status=422 if errors else 200,
        r=found,
        timeline=timeline,
        documents=document_rows(
            current,
            found.get("documents", []),
            _document_slots(found),
            f"/assistance/{request_id}",
        ),
        failed=failed,
        errors=errors,
        values=values or {},
        can={
            "submit": town and writer and state == "draft",
            "answer": dept and writer and state == "submitted",
            "deliver": dept and writer and state == "accepted",
            "confirm": town and writer and state == "delivered",
            "flag": town and writer and state not in ("draft", "withdrawn"),
            "contest": town
            and writer
            and bool(refusal := found.get("refusal"))
            and not refusal.get("contest")
            and not refusal.get("ruling"),
        },
        refusal_grounds=await current.options(SERVICE, "RefusalGround"),
        result_kinds=await current.options(SERVICE, "ResultKind"),
        obstruction_kinds=await current.options(SERVICE, "ObstructionKind"),
    )


@router.get("/refusals")
async def refusals(current: Staff, ruling: str = "pending", page: int = 1) -> Response:
    """ASSIST-03: refusals of matters the catalogue assigns to the refusing department, and
    refusals a town contested, for the justice bureau to rule on (the district government
    reads them); others are shown the API's refusal as a page that is not theirs."""
    ruling = ruling if ruling in RULINGS else "pending"
    return await _refusals(current, ruling, max(page, 1))


async def _refusals(
    current: Visit,
    ruling: str,
    page: int,
    *,
    failed: str = "",
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    try:
        found = await current.api.get(
            SERVICE, "/assistance-requests/owned-refusals", ruling=ruling, page=page, page_size=20
        )
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise PageNotFound() from problem
        raise
    return render(
        current,
        "assistance/refusals.html",
        status=status,
        listing=found,
        ruling=ruling,
        rulings=RULINGS,
        page=page,
        etag_of=etag_of,
        failed=failed,
        errors=errors,
        values=values or {},
        can_rule=current.me.is_bureau and current.me.has("handler", "leader"),
        decisions=await current.options(SERVICE, "RulingDecision"),
    )


@router.post("/refusals/{request_id}/ruling")
async def rule(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    """ASSIST-03: the justice bureau's ruling, naming the version of the request it read
    (If-Match): a contest or a ruling made meanwhile is refused (412) and shown again, never
    overwritten."""
    body = {"decision": text(form, "decision"), "reason": text(form, "reason")}
    etag = etag_field(text(form, "etag"))
    try:
        await current.api.request(
            SERVICE,
            "POST",
            f"/assistance-requests/{request_id}/ruling",
            json=body,
            headers={"If-Match": etag} if etag else None,
        )
    except ApiProblem as problem:
        if problem.status == 404:
            raise PageNotFound() from problem
        if problem.status not in (400, 403, 409, 412, 422, 428):
            raise
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return await _refusals(
            current,
            "pending",
            1,
            failed=str(request_id),
            errors=FormErrors.from_problem(problem),
            values=values,
            status=problem.status if problem.status in (403, 409, 412, 428) else 422,
        )
    current.flash(current.t("裁定已记录，并告知双方。", "Ruling recorded; both parties see it."))
    return redirect(f"/assistance/{request_id}")


@router.get("/{request_id}")
async def request_page(current: Staff, request_id: uuid.UUID) -> Response:
    return await _detail(current, request_id)


@router.get("/{request_id}/documents/{kind}.pdf")
async def request_document(
    current: Staff, request_id: uuid.UUID, kind: str, version: str | None = None
) -> Response:
    """ASSIST-01/03: the request's document, through the assistance service's own route."""
    if kind not in DOCUMENTS:
        raise PageNotFound()
    return await document_pdf(
        current,
        SERVICE,
        f"/assistance-requests/{request_id}/documents/{kind}.pdf",
        version=version,
        back=f"/assistance/{request_id}#documents",
    )


async def _step(
    current: Visit, request_id: uuid.UUID, step: str, body: Any, form: Any, done: tuple[str, str]
) -> Response:
    return await act(
        current,
        SERVICE,
        f"/assistance-requests/{request_id}/{step}",
        body,
        step=step,
        form=form,
        done=done,
        back=f"/assistance/{request_id}",
        rerender=again(_detail, current, request_id),
    )


@router.post("/{request_id}/submit")
async def submit(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    return await _step(
        current, request_id, "submit", None, form, ("已提出协助请求。", "Request submitted.")
    )


@router.post("/{request_id}/accept")
async def accept(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    officers = []
    for n in range(3):
        name, number = (
            text(form, f"officers.{n}.name"),
            text(form, f"officers.{n}.certificate_number"),
        )
        if name or number:
            officers.append({"name": name, "certificate_number": number})
    body: dict[str, Any] = {
        "officers": officers,
        "agreed_completion_date": text(form, "agreed_completion_date"),
    }
    if note := text(form, "note"):
        body["note"] = note
    return await _step(current, request_id, "accept", body, form, ("已接受协助。", "Accepted."))


@router.post("/{request_id}/refuse")
async def refuse(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    body: dict[str, Any] = {"ground": text(form, "ground"), "reason": text(form, "reason")}
    for name in ("law", "article"):
        if value := text(form, name):
            body[name] = value
    return await _step(
        current,
        request_id,
        "refuse",
        body,
        form,
        ("已书面告知不予协助及理由。", "Refused with reasons."),
    )


@router.post("/{request_id}/deliver")
async def deliver(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    body = {"result_kind": text(form, "result_kind"), "summary": text(form, "summary")}
    return await _step(
        current, request_id, "deliver", body, form, ("协助结果已交付。", "Result delivered.")
    )


@router.post("/{request_id}/confirm")
async def confirm(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    body = {k: v for k, v in {"note": text(form, "note")}.items() if v}
    return await _step(
        current, request_id, "confirm", body, form, ("已确认协助结果。", "Result confirmed.")
    )


@router.post("/{request_id}/obstruction-flags")
async def obstruction(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    body = {"kind": text(form, "kind"), "reason": text(form, "reason")}
    return await _step(
        current,
        request_id,
        "obstruction-flags",
        body,
        form,
        ("已反映，督察可见。", "Flagged for oversight."),
    )


@router.post("/{request_id}/contest")
async def contest(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    """ASSIST-03: the town contests the refusal (提出异议), once, before the ruling: the refusal
    joins the justice bureau's queue."""
    return await _step(
        current,
        request_id,
        "contest",
        {"reason": text(form, "reason")},
        form,
        ("已提出异议，区司法局将作出裁定。", "Contested; the justice bureau will rule on it."),
    )
