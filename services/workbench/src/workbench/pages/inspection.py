"""综合查一次 (INSP-01..09): plans, the seeded draw with its ranked list, work orders, and the
on-site record — a form made for a phone (375 px), photos uploaded as the order's materials."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from workbench.api import ApiProblem
from workbench.pages.common import (
    DocumentSlot,
    act,
    document_pdf,
    document_rows,
    download,
    record_or_404,
)
from workbench.web import (
    Form,
    FormErrors,
    PageNotFound,
    Staff,
    Visit,
    china_datetime,
    redirect,
    render,
    text,
    upload_of,
)

router = APIRouter(prefix="/inspection")
SERVICE = "joint-inspection"


@router.get("")
async def inspection_home(current: Staff, page: int = 1) -> Response:
    plans = await current.api.get(SERVICE, "/plans", page_size=20)
    orders = await current.api.get(
        SERVICE, "/orders", page=max(page, 1), page_size=20, sort="due_at"
    )
    return render(current, "inspection/home.html", plans=plans, orders=orders, page=max(page, 1))


async def _plan_page(
    current: Visit, plan_id: uuid.UUID, *, errors: FormErrors | None = None, failed: str = ""
) -> Response:
    plan = await record_or_404(current, SERVICE, f"/plans/{plan_id}")
    selections = await current.api.get(SERVICE, f"/plans/{plan_id}/selections", page_size=50)
    # INSP-01: a plan is adopted only for a catalogue scenario; a draft made without one
    # (through the API) names it here, beside the adopt button.
    scenarios = (
        [(s["code"], s["name_zh"]) for s in await current.api.get(SERVICE, "/scenarios")]
        if plan["state"]["value"] == "draft" and not plan.get("scenario_code")
        else []
    )
    return render(
        current,
        "inspection/plan.html",
        status=422 if errors else 200,
        plan=plan,
        selections=selections,
        scenarios=scenarios,
        errors=errors,
        failed=failed,
        next_round=int(selections.get("total", 0)) + 1,
    )


@router.get("/plans/{plan_id}")
async def plan_page(current: Staff, plan_id: uuid.UUID) -> Response:
    return await _plan_page(current, plan_id)


@router.post("/plans/{plan_id}/adopt")
async def adopt(current: Staff, plan_id: uuid.UUID, form: Form) -> Response:
    async def again(step: str, errors: FormErrors, values: dict[str, Any]) -> Response:
        return await _plan_page(current, plan_id, errors=errors, failed=step)

    if code := text(form, "scenario_code"):
        # The draft names its catalogue scenario first (INSP-01); a refusal is drawn beside
        # the form and nothing is adopted.
        try:
            await current.api.patch(SERVICE, f"/plans/{plan_id}", {"scenario_code": code})
        except ApiProblem as problem:
            if problem.status not in (400, 403, 409, 422):
                raise
            return await again("adopt", FormErrors.from_problem(problem), {})
    return await act(
        current,
        SERVICE,
        f"/plans/{plan_id}/adopt",
        None,
        step="adopt",
        form=form,
        done=("计划已印发实施。", "Plan adopted."),
        back=f"/inspection/plans/{plan_id}",
        rerender=again,
    )


@router.post("/plans/{plan_id}/draw")
async def draw(current: Staff, plan_id: uuid.UUID, form: Form) -> Response:
    """INSP-02: draw a round (seeded, risk-weighted; the API records seed and ranked list)."""
    try:
        selection = await current.api.post(
            SERVICE, f"/plans/{plan_id}/selections", {"round": text(form, "round")}
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        return await _plan_page(
            current, plan_id, errors=FormErrors.from_problem(problem), failed="draw"
        )
    return redirect(f"/inspection/selections/{selection['id']}")


@router.get("/selections/{selection_id}")
async def selection_page(current: Staff, selection_id: uuid.UUID, page: int = 1) -> Response:
    selection = await record_or_404(current, SERVICE, f"/selections/{selection_id}")
    entries = await current.api.get(
        SERVICE, f"/selections/{selection_id}/entries", page=max(page, 1), page_size=100
    )
    return render(current, "inspection/selection.html", selection=selection, entries=entries)


async def _order_page(
    current: Visit,
    order_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    failed: str = "",
    values: dict[str, Any] | None = None,
) -> Response:
    order = await record_or_404(current, SERVICE, f"/orders/{order_id}")
    return render(
        current,
        "inspection/order.html",
        status=422 if errors else 200,
        order=order,
        documents=document_rows(
            current,
            order.get("documents", []),
            _document_slots(order),
            f"/inspection/orders/{order_id}",
        ),
        errors=errors,
        failed=failed,
        values=values or {},
    )


TARGET_DOCUMENTS = {
    "advance-notice": ("行政执法检查事先告知书", "Advance notice (INSP-06)"),
    "serious-report": ("严重问题报告", "Report of a serious finding (INSP-08)"),
}


def _document_slots(order: dict[str, Any]) -> list[DocumentSlot]:
    """The initiating unit issues the work order once issued (INSP-03), and per target the
    advance notice once recorded (INSP-06) and the report of a serious finding once reported
    (INSP-08); the service answers 409 before each."""
    issuer = order["initiating_org"]
    slots = [
        DocumentSlot(
            "work-order",
            "检查任务工单",
            "Work order (INSP-03)",
            issuer if order.get("issued_at") else None,
        )
    ]
    for visit in order.get("visits", []):
        target = str(visit["target_id"])
        for kind, done in (
            ("advance-notice", visit.get("notified_at")),
            ("serious-report", visit.get("serious_reported_at")),
        ):
            zh, en = TARGET_DOCUMENTS[kind]
            slots.append(
                DocumentSlot(
                    kind,
                    f"{zh}（{visit['target_name']}）",
                    f"{en}: {visit['target_name']}",
                    issuer if done else None,
                    instance=target,
                    under=f"targets/{target}/",
                )
            )
    return slots


@router.get("/orders/{order_id}/documents/work-order.pdf")
async def work_order_document(
    current: Staff, order_id: uuid.UUID, version: str | None = None
) -> Response:
    """INSP-03: the work order, through the joint-inspection service's own route."""
    return await document_pdf(
        current,
        SERVICE,
        f"/orders/{order_id}/documents/work-order.pdf",
        back=f"/inspection/orders/{order_id}#documents",
        version=version,
    )


@router.get("/orders/{order_id}/targets/{target_id}/documents/{kind}.pdf")
async def target_document(
    current: Staff,
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    kind: str,
    version: str | None = None,
) -> Response:
    """INSP-06/08: a target's document, through the joint-inspection service's own route."""
    if kind not in TARGET_DOCUMENTS:
        raise PageNotFound()
    return await document_pdf(
        current,
        SERVICE,
        f"/orders/{order_id}/targets/{target_id}/documents/{kind}.pdf",
        back=f"/inspection/orders/{order_id}#documents",
        version=version,
    )


@router.get("/orders/{order_id}")
async def order_page(current: Staff, order_id: uuid.UUID) -> Response:
    return await _order_page(current, order_id)


async def _onsite_form(
    current: Visit,
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    order = await record_or_404(current, SERVICE, f"/orders/{order_id}")
    visit = next((v for v in order.get("visits", []) if v.get("target_id") == str(target_id)), None)
    if visit is None:
        from workbench.web import PageNotFound

        raise PageNotFound()
    return render(
        current,
        "inspection/onsite.html",
        status=422 if errors else 200,
        order=order,
        visit=visit,
        values=values or {},
        errors=errors,
        material_kinds=await current.options(SERVICE, "MaterialKind"),
    )


@router.get("/orders/{order_id}/targets/{target_id}/on-site")
async def onsite_page(current: Staff, order_id: uuid.UUID, target_id: uuid.UUID) -> Response:
    return await _onsite_form(current, order_id, target_id)


@router.post("/orders/{order_id}/targets/{target_id}/on-site")
async def record_onsite(
    current: Staff, order_id: uuid.UUID, target_id: uuid.UUID, form: Form
) -> Response:
    """INSP-07: the on-site record; photos taken go up first as the order's materials of this
    target (audio-visual), then the record."""
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["inspector_ids"] = form.getlist("inspector_ids")
    known = {"inspected_at", "inspector_ids", "record", "matters_checked", "file"}
    photo = await upload_of(form, "file")
    try:
        if photo is not None:
            await current.api.upload(
                SERVICE,
                f"/orders/{order_id}/materials",
                file=photo,
                fields={
                    "kind": "audio-visual",
                    "target_id": str(target_id),
                    "title": text(form, "photo_title") or "",
                },
                idempotency_key=text(form, "idempotency_key"),
            )
        await current.api.post(
            SERVICE,
            f"/orders/{order_id}/targets/{target_id}/on-site",
            {
                "inspected_at": china_datetime(text(form, "inspected_at")),
                "inspector_ids": [i for i in form.getlist("inspector_ids") if isinstance(i, str)],
                "record": text(form, "record"),
            },
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 413, 415, 422):
            raise
        return await _onsite_form(
            current,
            order_id,
            target_id,
            values=values,
            errors=FormErrors.from_problem(problem, known=known),
        )
    current.flash(current.t("现场检查记录已保存。", "On-site record saved."))
    return redirect(f"/inspection/orders/{order_id}")


@router.get("/orders/{order_id}/materials/{material_id}")
async def order_material(current: Staff, order_id: uuid.UUID, material_id: uuid.UUID) -> Response:
    return await download(current, SERVICE, f"/orders/{order_id}/materials/{material_id}/content")
