"""信息互享 (INFO-01..04): the inbox with unread counts, Chinese search, publishing, and the
read receipts (marking read, and the publisher's view of who has read)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from workbench.api import ApiProblem
from workbench.pages.common import record_or_404
from workbench.web import Form, FormErrors, Staff, Visit, redirect, render, text

router = APIRouter(prefix="/info")
SERVICE = "info-sharing"
TABS = {
    "inbox": ("收件箱", "Inbox"),
    "search": ("检索", "Search"),
    "mine": ("本单位发布", "Published by us"),
}


@router.get("")
async def info_home(
    current: Staff,
    tab: str = "inbox",
    q: str | None = None,
    unread: bool = False,
    page: int = 1,
) -> Response:
    tab = tab if tab in TABS else "inbox"
    page = max(page, 1)
    summary = await current.api.get(SERVICE, "/inbox/summary")
    listing: dict[str, Any] = {"items": [], "total": 0, "page": 1, "page_size": 20}
    if tab == "inbox":
        listing = await current.api.get(
            SERVICE, "/inbox", unread="true" if unread else None, page=page, page_size=20
        )
    elif tab == "search" and q:
        listing = await current.api.get(SERVICE, "/items/search", q=q, page=page, page_size=20)
    elif tab == "mine":
        listing = await current.api.get(
            SERVICE, "/items", publisher=current.me.org, page=page, page_size=20
        )
    categories = dict(await current.options(SERVICE, "InfoCategory"))
    return render(
        current,
        "info/home.html",
        tab=tab,
        tabs=TABS,
        q=q or "",
        unread=unread,
        summary=summary,
        listing=listing,
        page=page,
        categories=categories,
    )


@router.get("/items/{item_id}")
async def item_page(current: Staff, item_id: uuid.UUID) -> Response:
    item = await record_or_404(current, SERVICE, f"/items/{item_id}")
    receipts = None
    if item.get("publisher") == current.me.org:
        receipts = await current.api.get(SERVICE, f"/items/{item_id}/receipts", page_size=100)
    inbox = await current.api.get(SERVICE, "/inbox", unread="true", page_size=100)
    unread_here = any(e.get("item", {}).get("id") == str(item_id) for e in inbox.get("items", []))
    return render(current, "info/item.html", item=item, receipts=receipts, unread_here=unread_here)


@router.post("/items/{item_id}/read")
async def mark_read(current: Staff, item_id: uuid.UUID, form: Form) -> Response:
    await current.api.post(SERVICE, f"/items/{item_id}/read")
    current.flash(
        current.t(
            "已标记为已读，发布单位可看到回执。", "Marked read; the publisher sees the receipt."
        )
    )
    return redirect(f"/info/items/{item_id}")


NEW_FIELDS = {
    "category",
    "title",
    "body",
    "matter_codes",
    "audience",
    "details.kind",
    "details.occurred_on",
    "details.document_number",
    "details.effective_from",
}


async def _new_form(
    current: Visit, *, values: dict[str, Any] | None = None, errors: FormErrors | None = None
) -> Response:
    return render(
        current,
        "info/new.html",
        status=422 if errors else 200,
        values=values or {},
        errors=errors,
        categories=await current.options(SERVICE, "InfoCategory"),
        discretion_kinds=await current.options(SERVICE, "DiscretionKind"),
        matters=current.ref.matter_options(current.lang),
        audiences=current.ref.org_groups(current.lang),
        idempotency_key=(values or {}).get("idempotency_key") or str(uuid.uuid4()),
    )


@router.get("/new")
async def new_item(current: Staff) -> Response:
    return await _new_form(current)


def _item_body(form: FormData) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": text(form, "category"),
        "title": text(form, "title"),
        "body": text(form, "body"),
        "publish": True,
    }
    matters = [m for m in form.getlist("matter_codes") if isinstance(m, str) and m]
    if matters:
        body["matter_codes"] = matters
    audience = [a for a in form.getlist("audience") if isinstance(a, str) and a]
    if audience:
        body["audience"] = audience
    details = {
        name.split(".", 1)[1]: value
        for name in (
            "details.kind",
            "details.occurred_on",
            "details.document_number",
            "details.effective_from",
        )
        if (value := text(form, name))
    }
    body["details"] = details
    return {k: v for k, v in body.items() if v is not None}


@router.post("/new")
async def publish(current: Staff, form: Form) -> Response:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["matter_codes"] = form.getlist("matter_codes")
    values["audience"] = form.getlist("audience")
    try:
        created = await current.api.post(
            SERVICE, "/items", _item_body(form), idempotency_key=text(form, "idempotency_key")
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        return await _new_form(
            current, values=values, errors=FormErrors.from_problem(problem, known=NEW_FIELDS)
        )
    current.flash(current.t("已发布，订阅单位将收到通知。", "Published; subscribers are notified."))
    return redirect(f"/info/items/{created['id']}")
