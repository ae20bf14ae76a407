"""待办: what the signed-in organisation owes, across the services, nearest deadline first.

Each service answers `GET /todo` in one shape (issue 24, `xietong_common.todo.TodoItem`),
read by `TodoFeed`. A service whose OpenAPI document has no `/todo` (a release from before
it) is read from its own lists (inbox, outbox, queue) through one small adapter per
service: the deadline each record carries (`next_due`, a `DeadlineOut` with its rule,
action, organisation and China-time label) says who owes what by when.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from workbench.api import ApiProblem
from workbench.web import Visit
from xietong_common.owed_actions import action_code, action_zh

log = logging.getLogger(__name__)

# The deadline actions the services track, in the notice's words.
ACTION_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("referral", "send"): ("移送（5个工作日内，紧急的24小时内）", "send the referral"),
    ("referral", "receive"): ("签收并出具送达回证", "sign the service receipt"),
    ("referral", "answer"): ("书面答复是否受理", "answer in writing whether you accept"),
    ("referral", "file"): ("立案", "file the case"),
    ("referral", "conclude"): ("在法定期限内办结", "conclude within the statutory limit"),
    ("referral", "inform"): ("及时告知有管辖权的单位", "inform the party with jurisdiction"),
    ("assistance", "respond"): (
        "答复协助请求（接受或说明理由不予协助）",
        "accept or refuse with reasons",
    ),
    ("assistance", "complete"): (
        "按约定日期完成协助",
        "complete the assistance by the agreed date",
    ),
    ("legal-review", "supply-materials"): ("补正材料", "supply the missing materials"),
    ("joint-inspection", "consult"): ("答复联合检查协商", "answer the consultation"),
    ("joint-inspection", "answer"): ("答复支持请求", "answer the request for support"),
    ("joint-inspection", "support"): ("答复支持请求", "answer the request for support"),
    ("joint-inspection", "inform"): ("及时报告严重问题", "report the serious finding"),
    ("joint-inspection", "serious-report"): (
        "向区政府报告严重违法行为或重大隐患",
        "report the serious finding to the district government",
    ),
    ("joint-inspection", "acknowledge"): ("确认服务短板", "acknowledge the shortcoming"),
    ("info-sharing", "read"): ("阅读共享信息", "read the shared item"),
}

MECHANISMS = {
    "referral": ("案件移送", "Referral"),
    "assistance": ("执法协助", "Assistance"),
    "legal-review": ("法制审核", "Legal review"),
    "info-sharing": ("信息互享", "Information sharing"),
    "joint-inspection": ("综合查一次", "Joint inspection"),
    "secondment": ("下沉指导", "Secondment"),
}


@dataclass(frozen=True)
class TodoItem:
    """One thing the organisation owes."""

    service: str
    title: str
    action: str
    link: str
    rule: str | None = None
    due_at: datetime | None = None
    due_label: str | None = None
    provisional: bool = False
    overdue: bool = False

    def sort_key(self) -> tuple[int, datetime]:
        far = datetime.max.replace(tzinfo=UTC)
        return (0 if self.due_at else 1, self.due_at or far)


class TodoSource(Protocol):
    @property
    def service(self) -> str: ...

    async def items(self, current: Visit) -> list[TodoItem]: ...


def _due(deadline: Any) -> datetime | None:
    if isinstance(deadline, dict) and deadline.get("due_at"):
        return datetime.fromisoformat(str(deadline["due_at"]))
    return None


def _action(service: str, action: str, lang: str) -> str:
    """The action in the notice's words: by its code when it carries a qualifier
    (`support:<request id>`), else from the table every service shares
    (`xietong_common.owed_actions`), else the code itself."""
    labels = ACTION_LABELS.get((service, action)) or ACTION_LABELS.get(
        (service, action_code(action))
    )
    zh, en = labels or (action_zh(service, action) or action, action)
    return en if lang == "en" else zh


def _from_deadline(
    current: Visit, service: str, record: dict[str, Any], title: str, link: str
) -> TodoItem | None:
    """An item for the record's next deadline, if it is this organisation's to meet."""
    due = record.get("next_due") or record.get("due")
    if not isinstance(due, dict) or due.get("organisation") != current.me.org:
        return None
    if due.get("satisfied_at"):
        return None
    return TodoItem(
        service=service,
        title=title,
        action=_action(service, str(due.get("action")), current.lang),
        link=link,
        rule=due.get("rule"),
        due_at=_due(due),
        due_label=due.get("due_label_en" if current.lang == "en" else "due_label_zh"),
        provisional=bool(due.get("provisional")),
        overdue=bool(record.get("overdue")) or bool(due.get("breached_at")),
    )


async def _pages(fetch: Callable[[int], Awaitable[Any]], *, limit: int = 3) -> list[dict[str, Any]]:
    """Up to `limit` pages of a list (100 each): a to-do list longer than that is a backlog
    the service's own filtered list shows better."""
    found: list[dict[str, Any]] = []
    for page in range(1, limit + 1):
        body = await fetch(page)
        items = body.get("items", []) if isinstance(body, dict) else []
        found += [i for i in items if isinstance(i, dict)]
        if len(found) >= int(body.get("total", 0)):
            break
    return found


@dataclass(frozen=True)
class ReferralTodo:
    service: str = "referral"

    async def items(self, current: Visit) -> list[TodoItem]:
        api, t = current.api, current.t
        found: dict[str, dict[str, Any]] = {}
        for box in ("inbox", "outbox"):
            records = await _pages(
                lambda page, box=box: api.get(  # type: ignore[misc]
                    "referral", f"/referrals/{box}", page=page, page_size=100, sort="due_at"
                )
            )
            found.update({r["id"]: r for r in records if r.get("next_due")})
        out = []
        for record in found.values():
            title = (
                t("案件移送", "Referral")
                + f" · {record.get('matter_code') or ''} · "
                + (
                    current.org_name(record.get("sender"))
                    + " → "
                    + current.org_name(record.get("assignee") or record.get("receiver"))
                )
            )
            item = _from_deadline(
                current, self.service, record, title, f"/referrals/{record['id']}"
            )
            if item:
                out.append(item)
        return out


@dataclass(frozen=True)
class AssistanceTodo:
    service: str = "assistance"

    async def items(self, current: Visit) -> list[TodoItem]:
        api, t = current.api, current.t
        found: dict[str, dict[str, Any]] = {}
        for box in ("inbox", "outbox"):
            records = await _pages(
                lambda page, box=box: api.get(  # type: ignore[misc]
                    "assistance", f"/assistance-requests/{box}", page=page, page_size=100
                )
            )
            found.update({r["id"]: r for r in records if r.get("next_due")})
        out = []
        for record in found.values():
            title = (
                t("执法协助", "Assistance")
                + f" · {record.get('matter_code') or ''} · "
                + (
                    current.org_name(record.get("town"))
                    + " → "
                    + current.org_name(record.get("department"))
                )
            )
            item = _from_deadline(
                current, self.service, record, title, f"/assistance/{record['id']}"
            )
            if item:
                out.append(item)
        return out


@dataclass(frozen=True)
class ReviewTodo:
    """The review queue: a reviewer's open cases, a handler's missing materials."""

    service: str = "legal-review"

    async def items(self, current: Visit) -> list[TodoItem]:
        if not current.me.is_town:
            return []
        api, t = current.api, current.t
        records = await _pages(
            lambda page: api.get(
                "legal-review", "/reviews", page=page, page_size=100, sort="due_at"
            )
        )
        out = []
        for record in records:
            for due in record.get("due") or []:
                if not isinstance(due, dict) or due.get("organisation") != current.me.org:
                    continue
                if due.get("satisfied_at"):
                    continue
                out.append(
                    TodoItem(
                        service=self.service,
                        title=t("法制审核", "Legal review")
                        + f" · {record.get('case_number') or record.get('matter_code') or ''}",
                        action=_action(self.service, str(due.get("action")), current.lang),
                        link=f"/reviews/{record['id']}",
                        rule=due.get("rule"),
                        due_at=_due(due),
                        due_label=due.get(
                            "due_label_en" if current.lang == "en" else "due_label_zh"
                        ),
                        provisional=bool(due.get("provisional")),
                        overdue=bool(due.get("breached_at")),
                    )
                )
        return out


@dataclass(frozen=True)
class InfoTodo:
    """INFO-03: shared items delivered and not yet read."""

    service: str = "info-sharing"

    async def items(self, current: Visit) -> list[TodoItem]:
        body = await current.api.get("info-sharing", "/inbox", unread="true", page_size=100)
        out = []
        for entry in body.get("items", []):
            item = entry.get("item") or {}
            due_at = entry.get("read_due")
            out.append(
                TodoItem(
                    service=self.service,
                    title=current.t("信息互享", "Information") + f" · {item.get('title', '')}",
                    action=_action(self.service, "read", current.lang),
                    link=f"/info/items/{item.get('id')}",
                    rule="INFO-03",
                    due_at=datetime.fromisoformat(due_at) if isinstance(due_at, str) else None,
                    overdue=bool(entry.get("overdue")),
                )
            )
        return out


@dataclass(frozen=True)
class OrderTodo:
    service: str = "joint-inspection"

    async def items(self, current: Visit) -> list[TodoItem]:
        api, t = current.api, current.t
        records = await _pages(
            lambda page: api.get("joint-inspection", "/orders", page=page, page_size=100)
        )
        out = []
        for record in records:
            title = t("综合查一次", "Joint inspection") + f" · {record.get('title') or ''}"
            item = _from_deadline(
                current, self.service, record, title, f"/inspection/orders/{record['id']}"
            )
            if item:
                out.append(item)
        return out


@dataclass(frozen=True)
class TodoFeed:
    """A service's own `GET /todo` (issue 24): one shape in every service."""

    service: str

    async def items(self, current: Visit) -> list[TodoItem]:
        body = await current.api.get(self.service, "/todo", page_size=100)
        entries = body.get("items", []) if isinstance(body, dict) else []
        return [
            from_feed(self.service, entry, current.lang)
            for entry in entries
            if isinstance(entry, dict)
        ]


def from_feed(service: str, entry: dict[str, Any], lang: str) -> TodoItem:
    """One item of a service's `GET /todo` (xietong_common.todo.TodoItem, as JSON): the
    deadline's fields at the top, the record it is about under `record`."""
    found = entry.get("record")
    record: dict[str, Any] = found if isinstance(found, dict) else {}
    action = str(entry.get("action") or "")
    mechanism = MECHANISMS.get(service, (service, service))
    title = (
        record.get("title")
        or record.get("reference")
        or (mechanism[1] if lang == "en" else mechanism[0])
    )
    return TodoItem(
        service=service,
        title=str(title),
        # `supply-materials:round-2`, `support:<id>`: the action, then which one
        action=_action(service, action.partition(":")[0], lang),
        link=_workbench_link(record),
        rule=entry.get("rule"),
        due_at=_due(entry),
        due_label=entry.get("due_label_en" if lang == "en" else "due_label_zh"),
        provisional=bool(entry.get("provisional")),
        overdue=bool(entry.get("overdue")),
    )


# The workbench's page of each kind of record a service's `/todo` names (`record.kind`).
_RECORD_PAGES = {
    "referral": "/referrals/{id}",
    "assistance": "/assistance/{id}",
    "review": "/reviews/{id}",
    "item": "/info/items/{id}",
    "inspection": "/inspection/orders/{id}",
}


def _workbench_link(record: dict[str, Any]) -> str:
    pattern = _RECORD_PAGES.get(str(record.get("kind")))
    return pattern.format(id=record["id"]) if pattern and record.get("id") else "/"


LIST_ADAPTERS: dict[str, TodoSource] = {
    "referral": ReferralTodo(),
    "assistance": AssistanceTodo(),
    "legal-review": ReviewTodo(),
    "info-sharing": InfoTodo(),
    "joint-inspection": OrderTodo(),
}


async def sources(current: Visit) -> list[TodoSource]:
    """Per service: its `/todo` where its OpenAPI document has one, else its lists."""
    chosen: list[TodoSource] = []
    for service, adapter in LIST_ADAPTERS.items():
        document_has_todo = "/todo" in await current.vocab.paths(service)
        chosen.append(TodoFeed(service) if document_has_todo else adapter)
    return chosen


@dataclass
class TodoList:
    items: list[TodoItem]
    unavailable: list[str]  # services that did not answer


async def collect(current: Visit, chosen: Iterable[TodoSource] | None = None) -> TodoList:
    """Every source at once; a service that fails leaves a note, not an empty page."""
    picked = list(chosen) if chosen is not None else await sources(current)
    results = await asyncio.gather(*(s.items(current) for s in picked), return_exceptions=True)
    items: list[TodoItem] = []
    unavailable: list[str] = []
    for source, result in zip(picked, results, strict=True):
        if isinstance(result, ApiProblem):
            log.warning("to-do from %s failed: %s", source.service, result)
            unavailable.append(source.service)
        elif isinstance(result, BaseException):
            raise result
        else:
            items += result
    items.sort(key=TodoItem.sort_key)
    return TodoList(items=items, unavailable=unavailable)
