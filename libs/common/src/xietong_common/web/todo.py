"""`GET /todo` (待办): the same to-do feed in every service (issue 24), wired by `create_app`
from the records its `ServiceSpec` names."""

# No `from __future__ import annotations`: FastAPI reads the route's parameters from their
# annotations, and the filters dependency is local to the factory (no module global to find).

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import StringConstraints

from xietong_common.schemas import OrgCode, Page, TimeBound
from xietong_common.todo import RecordLink, TodoFilters, TodoItem, owed
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Context, CurrentPrincipal, Paging
from xietong_common.web.problems import problem_responses

RULE_ID = r"^[A-Z]{2,8}-\d{2}$"
KIND = r"^[a-z][a-z-]{0,63}$"
RuleId = Annotated[str, StringConstraints(pattern=RULE_ID)]
TODO_TAG = {
    "name": "todo",
    "description": "待办: what the caller's organisation owes here, earliest due first (issue 24)",
}


def todo_router(records: Sequence[RecordLink]) -> APIRouter:
    """The `/todo` route of a service whose deadlines are about `records`."""
    by_prefix = {r.prefix: r for r in records}
    router = APIRouter(tags=["todo"])

    def filters(
        rule: Annotated[
            list[RuleId] | None,
            Query(description="one or more rule IDs", examples=[["REF-07"]], max_length=20),
        ] = None,
        counterparty: Annotated[
            OrgCode | None, Query(description="owed to this organisation")
        ] = None,
        kind: Annotated[
            str | None,
            Query(pattern=KIND, description="about this kind of record (`referral`, `review`…)"),
        ] = None,
        mine: Annotated[
            bool,
            Query(description="only what the record names the caller (the token's person) for"),
        ] = False,
        overdue: Annotated[bool | None, Query(description="its final date has passed")] = None,
        provisional: Annotated[
            bool | None, Query(description="its date waits for a holiday schedule")
        ] = None,
        due_before: Annotated[TimeBound | None, Query(description="due before")] = None,
        due_after: Annotated[TimeBound | None, Query(description="due at or after")] = None,
    ) -> TodoFilters:
        return TodoFilters(
            rules=tuple(dict.fromkeys(rule or ())),
            counterparty=counterparty,
            kind=kind,
            mine=mine,
            overdue=overdue,
            provisional=provisional,
            due_before=due_before,
            due_after=due_after,
            records=by_prefix,
        )

    @router.get(
        "/todo",
        response_model=Page[TodoItem],
        summary="待办: what the caller's organisation owes, earliest due first",
        responses=problem_responses(401, 403, 422),
        dependencies=[Allowed(roles=ANY)],
    )
    async def todo(
        ctx: Context,
        principal: CurrentPrincipal,
        paging: Paging,
        chosen: Annotated[TodoFilters, Depends(filters)],
    ) -> Page[TodoItem]:
        """Every open deadline the caller's organisation owes in this service (with `mine`,
        only those whose record names the caller), earliest due first: the action, the rule,
        the due time (UTC and China time), working days left with 调休, whether it is overdue
        or provisional, to whom it is owed, and the record with its path in this service. The
        same shape in every service, for platforms and the workbench (issue 24)."""
        now = ctx.clock.now()
        async with ctx.db.session() as session:
            items, total = await owed(
                session,
                principal=principal,
                filters=chosen,
                paging=paging,
                now=now,
                calendar=ctx.calendar,
            )
        return Page[TodoItem].of(items, total=total, paging=paging)

    return router
