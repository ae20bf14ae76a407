"""Pieces several screens use: item lists, timelines, file downloads, paging."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi.responses import Response
from starlette.datastructures import FormData

from workbench.api import ApiProblem
from workbench.web import FormErrors, PageNotFound, Visit, redirect, text

MAX_ITEM_ROWS = 500  # the referral API's own bound on an item list


def items_from_form(form: FormData, *, keep_blank: bool = False) -> list[dict[str, Any]]:
    """REF-05 items from `items.<n>.name|quantity|unit` rows; blank rows are dropped (unless
    kept to redraw the form), the rest go to the API as typed, for it to judge."""
    rows: list[dict[str, Any]] = []
    for n in range(MAX_ITEM_ROWS):
        name = text(form, f"items.{n}.name")
        quantity = text(form, f"items.{n}.quantity")
        unit = text(form, f"items.{n}.unit")
        present = any(f"items.{n}.{f}" in form for f in ("name", "quantity", "unit"))
        if not present:
            break
        if not (name or quantity or unit):
            if keep_blank:
                rows.append({"name": "", "quantity": "", "unit": ""})
            continue
        row: dict[str, Any] = {"name": name, "quantity": quantity}
        if unit:
            row["unit"] = unit
        rows.append(row)
    return rows


def timeline_entries(entries: Any) -> list[dict[str, Any]]:
    items = entries if isinstance(entries, list) else (entries or {}).get("items", [])
    return [e for e in items if isinstance(e, dict)]


async def download(current: Visit, service: str, path: str) -> Response:
    """A material streamed from its service, under the service's own headers for its name
    and type (the service set them safely); never shown inline as HTML."""
    try:
        found = await current.api.download(service, path)
    except ApiProblem as problem:
        if problem.status in (403, 404, 422):
            raise PageNotFound() from problem
        raise
    headers = {"Content-Disposition": found.disposition or "attachment"}
    if "html" in found.content_type or "svg" in found.content_type:
        headers["Content-Disposition"] = "attachment"
    return Response(found.content, media_type=found.content_type, headers=headers)


async def document_pdf(
    current: Visit, service: str, path: str, *, back: str, **params: Any
) -> Response:
    """An official document (公文) as its service serves it — the issuer's first download
    issues it there, the workbench only passes it on. A document not to be had yet (409:
    before its act, or not yet issued by its issuer) or a busy renderer (503) is said on the
    record's page, not as an error page."""
    try:
        found = await current.api.download(service, path, **params)
    except ApiProblem as problem:
        if problem.status in (403, 404, 422):
            raise PageNotFound() from problem
        if problem.status in (409, 503):
            current.flash(f"{problem.title}：{problem.detail}" if problem.detail else problem.title)
            return redirect(back)
        raise
    return Response(
        found.content,
        media_type="application/pdf",
        headers={"Content-Disposition": found.disposition or "attachment"},
    )


@dataclass(frozen=True)
class DocumentSlot:
    """One document a record has or will have: its kind (the route's file name), titles, the
    organisation that issues it now (None before its act), and which of the record's
    documents of the kind it is (`instance`, as the service names it, with the query that
    asks for it: a review's round)."""

    kind: str
    zh: str
    en: str
    issuer: str | None
    instance: str = ""
    query: str = ""
    under: str = ""  # the path below the record's that holds the document: `targets/{id}/`


def document_rows(
    current: Visit, issued: list[dict[str, Any]], slots: list[DocumentSlot], base: str
) -> list[dict[str, Any]]:
    """The 打印文书 panel: per slot the document in force with its number, or the issuer's
    offer to issue it; then the superseded ones (kept, each downloadable by its digest)."""
    me = current.me.org
    rows: list[dict[str, Any]] = []
    titles: dict[tuple[str, str], tuple[str, str]] = {}
    for slot in slots:
        title = current.t(slot.zh, slot.en)
        href = f"{base}/{slot.under}documents/{slot.kind}.pdf"
        href += f"?{slot.query}" if slot.query else ""
        titles[(slot.kind, slot.instance)] = (title, href)
        found = [
            d
            for d in issued
            if d.get("kind") == slot.kind
            and d.get("instance", "") == slot.instance
            and d.get("current")
        ]
        if found:
            rows += [{"title": title, "doc": doc, "href": href} for doc in found]
        elif slot.issuer is not None:
            offer = href if slot.issuer == me else None
            rows.append({"title": title, "doc": None, "href": offer, "issuer": slot.issuer})
    for doc in issued:
        known = titles.get((str(doc.get("kind")), str(doc.get("instance", ""))))
        if known and not doc.get("current"):
            title, href = known
            joiner = "&" if "?" in href else "?"
            rows.append(
                {"title": title, "doc": doc, "href": f"{href}{joiner}version={doc['sha256']}"}
            )
    return rows


Rerender = Callable[[str, FormErrors, dict[str, Any]], Awaitable[Response]]


class RecordPage(Protocol):
    """A record's page, drawn again with a step's refusal beside that step's form."""

    def __call__(
        self,
        current: Visit,
        record_id: uuid.UUID,
        /,
        *,
        failed: str = ...,
        errors: FormErrors | None = ...,
        values: dict[str, Any] | None = ...,
    ) -> Awaitable[Response]: ...


def again(page: RecordPage, current: Visit, record_id: uuid.UUID) -> Rerender:
    """`act`'s `rerender` for a record drawn by `page`."""

    async def rerender(step: str, errors: FormErrors, values: dict[str, Any]) -> Response:
        return await page(current, record_id, failed=step, errors=errors, values=values)

    return rerender


async def act(
    current: Visit,
    service: str,
    path: str,
    body: Any,
    *,
    step: str,
    form: FormData,
    done: tuple[str, str],
    back: str,
    rerender: Rerender,
    known: set[str] | None = None,
    idempotency_key: str | None = None,
) -> Response:
    """POST one step of a record; its refusal is drawn again on the record's page beside the
    step's form (`step`), in the API's words (`known`: the form's fields, where a problem's
    `missing` ones are placed); done, back to the record (PRG)."""
    try:
        await current.api.post(service, path, body, idempotency_key=idempotency_key)
    except ApiProblem as problem:
        if problem.status not in (400, 403, 409, 422):
            raise
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return await rerender(step, FormErrors.from_problem(problem, known=known), values)
    current.flash(current.t(*done))
    return redirect(back)


async def record_or_404(current: Visit, service: str, path: str) -> Any:
    """A record the API shows this person, else our 404 page (never another's record)."""
    try:
        return await current.api.get(service, path)
    except ApiProblem as problem:
        if problem.status in (403, 404, 422):
            raise PageNotFound() from problem
        raise


async def record_and_timeline(
    current: Visit, service: str, path: str
) -> tuple[Any, list[dict[str, Any]]]:
    """A record the API shows this person (else our 404 page) and its timeline."""
    record = await record_or_404(current, service, path)
    return record, timeline_entries(await current.api.get(service, f"{path}/timeline"))
