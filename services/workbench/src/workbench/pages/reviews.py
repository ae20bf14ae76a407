"""法制审核 (REV-01..09): submit with the REV-01 triggers shown, the review queue, materials,
the reviewer taking the case, the written opinion, and the head's decision."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from workbench.api import ApiProblem
from workbench.pages.common import (
    DocumentSlot,
    act,
    again,
    document_pdf,
    document_rows,
    download,
    record_and_timeline,
    record_or_404,
)
from workbench.web import (
    Form,
    FormErrors,
    PageNotFound,
    Staff,
    Visit,
    china_datetime,
    flag,
    local_input,
    redirect,
    render,
    text,
    upload_of,
)
from xietong_common.reference import OrgKind

router = APIRouter(prefix="/reviews")
SERVICE = "legal-review"
SUBMIT_FIELDS = {
    "matter_code",
    "place_town",
    "found_at",
    "facts",
    "proposal",
    "case_number",
    "party.name",
    "party.kind",
    "party.id_number",
    "decision.fine",
    "decision.confiscated_gains",
    "decision.confiscated_property_value",
    "decision.adjustment",
    "party_kind",
}


@router.get("")
async def queue(current: Staff, state: str | None = None, page: int = 1) -> Response:
    listing = await current.api.get(
        SERVICE, "/reviews", state=state, page=max(page, 1), page_size=20, sort="due_at"
    )
    return render(
        current,
        "reviews/list.html",
        listing=listing,
        state=state or "",
        states=await current.options(SERVICE, "ReviewState"),
        page=max(page, 1),
    )


def _decision(form: FormData) -> dict[str, Any]:
    decision: dict[str, Any] = {
        "hearing": flag(form, "decision.hearing"),
        "assessed": flag(form, "decision.assessed"),
    }
    for name in ("fine", "confiscated_gains", "confiscated_property_value", "adjustment"):
        if value := text(form, f"decision.{name}"):
            decision[name] = value
    return decision


async def _new_form(
    current: Visit,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    triggers: dict[str, Any] | None = None,
) -> Response:
    values = values or {}
    return render(
        current,
        "reviews/new.html",
        status=422 if errors else 200,
        values=values,
        errors=errors,
        triggers=triggers,
        matters=current.ref.matter_options(current.lang),
        towns=current.ref.org_options(OrgKind.TOWN, lang=current.lang),
        party_kinds=await current.options(SERVICE, "PartyKind"),
        adjustments=await current.options(SERVICE, "PenaltyAdjustment"),
        idempotency_key=values.get("idempotency_key") or str(uuid.uuid4()),
    )


@router.get("/new")
async def new_review(current: Staff, request_id: uuid.UUID | None = None) -> Response:
    values: dict[str, Any] = {"place_town": current.me.org if current.me.is_town else ""}
    if request_id is not None:
        # INSP-08: the submission for a joint inspection's request starts from its finding;
        # the party's ID number is masked in the request, so the brigade enters it again.
        request = await record_or_404(current, SERVICE, f"/review-requests/{request_id}")
        values |= {
            "request_id": str(request_id),
            "matter_code": request["matter_code"],
            "place_town": request["place_town"],
            "found_at": local_input(request["found_at"]),
            "facts": request["facts"],
            "party.name": request["party"]["name"],
            "party.kind": request["party"]["kind"],
        }
    return await _new_form(current, values=values)


@router.post("/new")
async def submit(current: Staff, form: Form) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if "check" in form:
        # REV-01: ask the API which triggers hold; nothing is changed.
        try:
            triggers = await current.api.post(
                SERVICE,
                "/reviews/triggers",
                {"party_kind": text(form, "party.kind"), "decision": _decision(form)},
            )
        except ApiProblem as problem:
            if problem.status not in (400, 422):
                raise
            return await _new_form(
                current, values=values, errors=FormErrors.from_problem(problem, known=SUBMIT_FIELDS)
            )
        return await _new_form(current, values=values, triggers=triggers)
    body: dict[str, Any] = {
        "matter_code": text(form, "matter_code"),
        "place_town": text(form, "place_town"),
        "found_at": china_datetime(text(form, "found_at")),
        "facts": text(form, "facts"),
        "proposal": text(form, "proposal"),
        "party": {
            "name": text(form, "party.name"),
            "kind": text(form, "party.kind"),
            **({"id_number": v} if (v := text(form, "party.id_number")) else {}),
        },
        "decision": _decision(form),
    }
    if number := text(form, "case_number"):
        body["case_number"] = number
    if request_id := text(form, "request_id"):
        body["request_id"] = request_id
    try:
        created = await current.api.post(
            SERVICE,
            "/reviews",
            {k: v for k, v in body.items() if v is not None},
            idempotency_key=text(form, "idempotency_key"),
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        return await _new_form(
            current, values=values, errors=FormErrors.from_problem(problem, known=SUBMIT_FIELDS)
        )
    current.flash(
        current.t("已送审。请上传 REV-04 所列材料。", "Submitted. Upload the REV-04 materials.")
    )
    return redirect(f"/reviews/{created['id']}")


# ---- INSP-08 → REV-01: a joint inspection's finding that needs the town's review -------------


@router.get("/requests")
async def requests(current: Staff, state: str | None = None, page: int = 1) -> Response:
    listing = await current.api.get(
        SERVICE, "/review-requests", state=state, page=max(page, 1), page_size=20
    )
    return render(
        current,
        "reviews/requests.html",
        listing=listing,
        state=state or "",
        states=await current.options(SERVICE, "RequestState"),
        page=max(page, 1),
    )


async def _request_page(
    current: Visit,
    request_id: uuid.UUID,
    *,
    failed: str = "",
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    request, timeline = await record_and_timeline(
        current, SERVICE, f"/review-requests/{request_id}"
    )
    me = current.me
    pending = request["state"]["value"] == "pending"
    own_town = me.org == request["town"]
    open_reviews: list[tuple[str, str]] = []
    if pending and own_town and me.has("handler"):
        # A review the brigade submitted before the request arrived: of the same matter and
        # not yet decided (the service checks it again).
        listing = await current.api.get(SERVICE, "/reviews", page=1, page_size=100)
        open_reviews = [
            (r["id"], f"{r.get('case_number') or r['matter_code']}（{r['party']['name']}）")
            for r in listing["items"]
            if r["matter_code"] == request["matter_code"] and r["state"]["value"] != "decided"
        ]
    return render(
        current,
        "reviews/request.html",
        status=422 if errors else 200,
        q=request,
        timeline=timeline,
        failed=failed,
        errors=errors,
        values=values or {},
        open_reviews=open_reviews,
        can={
            "submit": pending and own_town and me.has("handler"),
            "link": pending and own_town and me.has("handler") and bool(open_reviews),
            "withdraw": pending and own_town and me.has("leader"),
        },
    )


@router.get("/requests/{request_id}")
async def request_page(current: Staff, request_id: uuid.UUID) -> Response:
    return await _request_page(current, request_id)


@router.post("/requests/{request_id}/review")
async def link_request(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    return await act(
        current,
        SERVICE,
        f"/review-requests/{request_id}/review",
        {"review_id": text(form, "review_id")},
        step="link",
        form=form,
        done=("已关联送审的法制审核。", "Linked to the submitted review."),
        back=f"/reviews/requests/{request_id}",
        rerender=again(_request_page, current, request_id),
    )


@router.post("/requests/{request_id}/withdraw")
async def withdraw_request(current: Staff, request_id: uuid.UUID, form: Form) -> Response:
    """REV-01: the town's leader withdraws the request, with a real reason (the service
    judges it; "同上" or a bare "不予处罚" are refused beside the field)."""
    return await act(
        current,
        SERVICE,
        f"/review-requests/{request_id}/withdraw",
        {"reason": text(form, "reason")},
        step="withdraw",
        form=form,
        done=("已撤回法制审核请求。", "Review request withdrawn."),
        back=f"/reviews/requests/{request_id}",
        rerender=again(_request_page, current, request_id),
        known={"reason"},
        idempotency_key=text(form, "idempotency_key"),
    )


DOCUMENTS = {
    "opinion": ("法制审核意见书", "Written review opinion (REV-07)"),
    "materials-notice": ("补正材料通知书", "Notice of missing materials (REV-05)"),
}


def _document_slots(review: dict[str, Any]) -> list[DocumentSlot]:
    """Per round, the town issues its notice of missing materials once given and its written
    opinion once given (the service answers 409 before either)."""
    slots: list[DocumentSlot] = []
    for rnd in review.get("rounds", []):
        n = rnd["number"]
        for kind, given in (
            ("materials-notice", rnd.get("materials_notice")),
            ("opinion", rnd.get("opinion_at")),
        ):
            zh, en = DOCUMENTS[kind]
            slots.append(
                DocumentSlot(
                    kind,
                    f"{zh}（第{n}轮）",
                    f"{en}, round {n}",
                    review["town"] if given else None,
                    instance=f"round-{n}",
                    query=f"round={n}",
                )
            )
    return slots


async def _detail(
    current: Visit,
    review_id: uuid.UUID,
    *,
    failed: str = "",
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    review, timeline = await record_and_timeline(current, SERVICE, f"/reviews/{review_id}")
    me = current.me
    state = review["state"]["value"]
    own_town = me.org == review["town"]
    return render(
        current,
        "reviews/detail.html",
        status=422 if errors else 200,
        r=review,
        timeline=timeline,
        documents=document_rows(
            current, review.get("documents", []), _document_slots(review), f"/reviews/{review_id}"
        ),
        failed=failed,
        errors=errors,
        values=values or {},
        can={
            "upload": own_town
            and me.has("handler")
            and state in ("submitted", "materials-requested"),
            "take": own_town and me.has("reviewer") and state == "submitted",
            "opinion": own_town and me.has("reviewer") and state == "under-review",
            "decide": own_town and me.has("head") and state == "opinion-given",
        },
        material_kinds=await current.options(SERVICE, "MaterialKind"),
        opinions=await current.options(SERVICE, "ReviewOpinionKind"),
        outcomes=await current.options(SERVICE, "DecisionOutcome"),
    )


@router.get("/{review_id}")
async def review_page(current: Staff, review_id: uuid.UUID) -> Response:
    return await _detail(current, review_id)


@router.post("/{review_id}/take")
async def take(current: Staff, review_id: uuid.UUID, form: Form) -> Response:
    return await act(
        current,
        SERVICE,
        f"/reviews/{review_id}/take",
        None,
        step="take",
        form=form,
        done=("已受理审核。", "Taken up."),
        back=f"/reviews/{review_id}",
        rerender=again(_detail, current, review_id),
    )


@router.post("/{review_id}/opinion")
async def opinion(current: Staff, review_id: uuid.UUID, form: Form) -> Response:
    body: dict[str, Any] = {"opinion": text(form, "opinion"), "reasons": text(form, "reasons")}
    if target := text(form, "transfer_to"):
        body["transfer_to"] = target
    if organ := text(form, "judicial_organ"):
        body["judicial_organ"] = organ
    if flaws := text(form, "flaws"):
        body["flaws"] = [line.strip() for line in flaws.splitlines() if line.strip()]
    return await act(
        current,
        SERVICE,
        f"/reviews/{review_id}/opinion",
        body,
        step="opinion",
        form=form,
        done=("已出具书面审核意见。", "Opinion given."),
        back=f"/reviews/{review_id}",
        rerender=again(_detail, current, review_id),
    )


@router.post("/{review_id}/decision")
async def decide(current: Staff, review_id: uuid.UUID, form: Form) -> Response:
    body: dict[str, Any] = {"outcome": text(form, "outcome")}
    for name in ("decision_number", "reason", "execution"):
        if value := text(form, name):
            body[name] = value
    return await act(
        current,
        SERVICE,
        f"/reviews/{review_id}/decision",
        body,
        step="decision",
        form=form,
        done=("已作出决定。", "Decided."),
        back=f"/reviews/{review_id}",
        rerender=again(_detail, current, review_id),
    )


@router.post("/{review_id}/materials")
async def upload(current: Staff, review_id: uuid.UUID, form: Form) -> Response:
    file = await upload_of(form)
    if file is None:
        errors = FormErrors()
        errors.add("file", current.t("请选择要上传的文件", "Choose a file to upload"))
        return await _detail(current, review_id, failed="materials", errors=errors)
    try:
        await current.api.upload(
            SERVICE,
            f"/reviews/{review_id}/materials",
            file=file,
            fields={"kind": text(form, "kind") or ""},
            idempotency_key=text(form, "idempotency_key"),
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 413, 415, 422):
            raise
        return await _detail(
            current,
            review_id,
            failed="materials",
            errors=FormErrors.from_problem(problem, known={"kind", "file"}),
        )
    current.flash(current.t("材料已上传。", "Material uploaded."))
    return redirect(f"/reviews/{review_id}")


@router.get("/{review_id}/documents/{kind}.pdf")
async def review_document(
    current: Staff,
    review_id: uuid.UUID,
    kind: str,
    round: int | None = None,
    version: str | None = None,
) -> Response:
    """REV-05/07: a round's document, through the legal-review service's own route."""
    if kind not in DOCUMENTS:
        raise PageNotFound()
    return await document_pdf(
        current,
        SERVICE,
        f"/reviews/{review_id}/documents/{kind}.pdf",
        back=f"/reviews/{review_id}#documents",
        round=round,
        version=version,
    )


@router.get("/{review_id}/materials/{material_id}")
async def material(current: Staff, review_id: uuid.UUID, material_id: uuid.UUID) -> Response:
    return await download(current, SERVICE, f"/reviews/{review_id}/materials/{material_id}/content")
