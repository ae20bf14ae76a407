"""督察: the justice bureau's view of how each unit cooperates (SUP-01/SUP-02).

The assessment table, rulings and the Excel export belong to the oversight service (issue
19, port 8007). The dashboard talks to it through this small client; until the service is
deployed (its OpenAPI document answers and lists `/assessment`), the page says so and shows
what the six services already give the justice bureau: overdue referrals, assistance figures
per organisation and period, and shared items left unread past the setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from workbench.api import Api, Download
from workbench.reference import Vocabulary

SERVICE = "oversight"


class OversightClient(Protocol):
    async def deployed(self) -> bool: ...

    async def assessment(self, period: str, **filters: str) -> dict[str, Any]: ...

    async def export(self, period: str, **filters: str) -> Download: ...

    async def organisation(self, organisation: str, period: str) -> dict[str, Any]: ...

    async def breaches(self, organisation: str, period: str, page: int) -> dict[str, Any]: ...

    async def item(self, fact_id: str) -> tuple[dict[str, Any], str]: ...

    async def rule(
        self, fact_id: str, body: dict[str, Any], etag: str | None
    ) -> dict[str, Any]: ...

    async def reply(self, fact_id: str, text: str | None) -> dict[str, Any]: ...


@dataclass
class HttpOversight:
    """The oversight service's REST API (issue 19), with the person's token."""

    api: Api
    vocab: Vocabulary

    async def paths(self) -> frozenset[str]:
        return await self.vocab.paths(SERVICE)

    async def deployed(self) -> bool:
        return "/assessment" in await self.paths()

    async def assessment(self, period: str, **filters: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.api.get(SERVICE, "/assessment", period=period, **filters)
        return found

    async def export(self, period: str, **filters: str) -> Download:
        paths = await self.paths()
        chosen = next(
            (
                p
                for p in sorted(paths)
                if p.startswith("/assessment") and ("xlsx" in p or "export" in p)
            ),
            "/assessment.xlsx",
        )
        return await self.api.download(SERVICE, chosen, period=period, **filters)

    async def organisation(self, organisation: str, period: str) -> dict[str, Any]:
        """SUP-01: one unit in the period — its figures and its refusals, flags and unread
        items (another unit's: 404)."""
        found: dict[str, Any] = await self.api.get(
            SERVICE, f"/assessment/organisations/{organisation}", period=period
        )
        return found

    async def breaches(self, organisation: str, period: str, page: int = 1) -> dict[str, Any]:
        """SUP-02: the unit's deadlines missed in the period, latest due first."""
        found: dict[str, Any] = await self.api.get(
            SERVICE,
            "/breaches",
            organisation=organisation,
            period=period,
            page=page,
            page_size=BREACH_PAGE,
        )
        return found

    async def item(self, fact_id: str) -> tuple[dict[str, Any], str]:
        """SUP-01: the fact under review with its reply and rulings, and its ETag (the version
        a ruling names in If-Match)."""
        response = await self.api.request(SERVICE, "GET", f"/items/{fact_id}")
        found: dict[str, Any] = response.json()
        return found, response.headers.get("etag") or etag_of(found.get("version", 0))

    async def rule(self, fact_id: str, body: dict[str, Any], etag: str | None) -> dict[str, Any]:
        """SUP-01: the justice bureau's ruling, naming the version it was given on (the form
        carries the ETag read with the page), so a ruling never overwrites one its author has
        not seen (the API's 412; without an ETag, a fact already ruled on is 428)."""
        response = await self.api.request(
            SERVICE,
            "POST",
            f"/items/{fact_id}/rulings",
            json=body,
            headers={"If-Match": etag} if etag else None,
        )
        found: dict[str, Any] = response.json()
        return found

    async def reply(self, fact_id: str, text: str | None) -> dict[str, Any]:
        """SUP-01: the unit concerned states its case (陈述申辩), once, before the ruling."""
        found: dict[str, Any] = await self.api.post(
            SERVICE, f"/items/{fact_id}/reply", {"text": text}
        )
        return found


def current_quarter(today: date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


BREACH_PAGE = 50
TREND_PERIODS = 4
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_ETAG = re.compile(r'^"(\d{1,9})"$')


def etag_of(version: object) -> str:
    """The ETag of an item's version, as the oversight API writes it (`"<version>"`)."""
    return f'"{int(version) if isinstance(version, int) else 0}"'


def etag_field(value: str | None) -> str | None:
    """The ETag a ruling form carried back (hidden), if it is one the API could have sent."""
    return value if value and _ETAG.fullmatch(value) else None


def periods_before(period: str, count: int = TREND_PERIODS) -> list[str]:
    """The `count` periods of the same kind ending with `period`, oldest first: the trend of a
    quarter is the last four quarters, of a month the last four months, of a year the last four
    years. A period this cannot read has no trend (an empty list)."""
    if found := _QUARTER.fullmatch(period):
        index = int(found.group(1)) * 4 + int(found.group(2)) - 1
        return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count + 1, index + 1)]
    if (found := _MONTH.fullmatch(period)) and 1 <= int(found.group(2)) <= 12:
        index = int(found.group(1)) * 12 + int(found.group(2)) - 1
        return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]
    if found := _YEAR.fullmatch(period):
        year = int(found.group(1))
        return [str(y) for y in range(year - count + 1, year + 1)]
    return []


def percent(rate: object) -> float | None:
    """An API rate (0..1, null when nothing was due) as a percentage, one decimal."""
    if isinstance(rate, int | float) and not isinstance(rate, bool):
        return round(float(rate) * 100, 1)
    return None


def rate_rows(
    rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]
) -> list[tuple[str, float]]:
    """The on-time rate (按期率) per organisation, as a chart draws it: the rows with nothing
    due have no rate and are left out (the table shows them as —), lowest rate first."""
    found = [
        (names.get(str(row.get("organisation")), str(row.get("organisation"))), value)
        for row in rows
        if (value := percent(row.get("on_time_rate"))) is not None
    ]
    return sorted(found, key=lambda r: (r[1], r[0]))


def trend(
    assessments: Mapping[str, Mapping[str, Any] | None], organisation: str | None = None
) -> list[tuple[str, float | None]]:
    """One rate per period, oldest first: the organisation's row (or, without one, the district
    totals); None where the period had nothing due or the table could not be read."""
    points: list[tuple[str, float | None]] = []
    for period, table in assessments.items():
        value: float | None = None
        if table is not None:
            if organisation is None:
                value = percent((table.get("totals") or {}).get("on_time_rate"))
            else:
                row = next(
                    (r for r in table.get("items") or [] if r.get("organisation") == organisation),
                    None,
                )
                value = percent(row.get("on_time_rate")) if row else None
        points.append((period, value))
    return points


OUTCOMES: dict[str, tuple[str, str]] = {
    "confirmed": ("认定属实", "Confirmed"),
    "excused": ("予以免责", "Excused"),
    "referred-for-accountability": ("移送追责", "Referred for accountability"),
}
"""SUP-01: the justice bureau's rulings (督察认定), in the order the form offers them."""

FACT_KINDS: dict[str, tuple[str, str]] = {
    "deadline.breached": ("超期未履行", "Deadline missed"),
    "assistance.refused": ("不予协助", "Assistance refused"),
    "assistance.obstruction-flagged": ("被反映推诿刁难", "Flagged for obstruction"),
    "info.unread-overdue": ("共享信息逾期未读", "Shared item unread past the setting"),
    "assistance.refusal-contested": ("拒绝协助被乡镇提出异议", "Refusal contested by the town"),
    "assistance.refusal-ruled": ("司法局对拒绝协助作出裁定", "Refusal ruled on"),
    "inspection.support-refused": ("拒绝配合检查", "Inspection support refused"),
    "inspection.serious-reported": ("严重违法行为、重大隐患报告区政府", "Serious finding reported"),
    "referral.cooperation-not-given": ("未予配合", "Cooperation not given"),
    "referral.onward-referral-suspected": ("涉嫌再行移送", "Suspected onward referral"),
    "referral.onward-referral-decided": ("区政府对再行移送作出决定", "Onward referral decided"),
    "referral.escalated": ("管辖异议报请区政府", "Jurisdiction disputed"),
    "referral.assigned": ("区政府指定管辖", "Jurisdiction assigned"),
    "referral.conclusion-period-changed": ("办案期限中止、恢复或延长", "Conclusion period changed"),
    "secondment.guidance-recorded": ("业务指导", "Guidance given"),
}

_RECORDS = {
    "referral": "/referrals/{}",
    "assistance": "/assistance/{}",
    "info": "/info/items/{}",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def record_link(subject: str | None) -> str | None:
    """The workbench page of a fact's record (`<kind>:<id>`), where the workbench has one; the
    record's own page still decides whether the person may see it."""
    if not subject or ":" not in subject:
        return None
    kind, _, ident = subject.partition(":")
    template = _RECORDS.get(kind)
    return template.format(ident) if template and _UUID.fullmatch(ident) else None


DETAIL_LABELS: dict[str, tuple[str, str]] = {
    "matter_code": ("事项编码", "Matter"),
    "ground": ("理由类别", "Ground"),
    "reason": ("理由", "Reason"),
    "law": ("法律依据", "Law"),
    "article": ("条款", "Article"),
    "kind": ("情形", "Kind"),
    "after_acceptance": ("接受后不予协助", "Refused after acceptance"),
    "owned_matter": ("属本部门职责事项", "A matter it owns"),
    "late": ("逾期", "Late"),
    "title": ("标题", "Title"),
    "category": ("类别", "Category"),
}


def fact_details(detail: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """What a fact's service reported with it, as (label, value) rows: the known keys named in
    the page's language, yes/no for flags; nested values are left to the API's JSON."""
    rows: list[tuple[str, str]] = []
    for key, value in detail.items():
        zh, en = DETAIL_LABELS.get(key, (key, key))
        if isinstance(value, bool):
            shown = ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
        elif isinstance(value, str | int | float) and str(value).strip():
            shown = str(value)
        else:
            continue
        rows.append((en if lang == "en" else zh, shown))
    return rows
