"""待办: the organisation's to-do list across the services."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response

from workbench.todo import MECHANISMS, collect
from workbench.web import Staff, render

router = APIRouter()


@router.get("/")
async def todo(current: Staff) -> Response:
    found = await collect(current)
    now = datetime.now(UTC)
    rows = [
        {
            "item": item,
            "mechanism": MECHANISMS.get(item.service, (item.service, item.service))[
                1 if current.lang == "en" else 0
            ],
            "days_left": current.ref.working_days_left(item.due_at, now) if item.due_at else None,
        }
        for item in found.items
    ]
    unavailable = [
        MECHANISMS.get(s, (s, s))[1 if current.lang == "en" else 0] for s in found.unavailable
    ]
    return render(current, "todo.html", rows=rows, unavailable=unavailable)
