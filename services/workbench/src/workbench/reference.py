"""What the workbench knows besides the APIs: the reference data every service reads (names of
organisations, the matter catalogue, the working-day calendar) and the vocabulary of the APIs
themselves (the Chinese and English names of their enumerations, read from each service's
OpenAPI document, `x-enum-labels`), so the pages use the notice's words without retyping them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from xietong_common.calendar import CHINA_TZ, WorkingDayCalendar
from xietong_common.reference import (
    MatterCatalogue,
    Organisation,
    OrganisationDirectory,
    OrgKind,
    load_catalogue,
    load_directory,
)

Option = tuple[str, str]


@dataclass(frozen=True)
class Reference:
    directory: OrganisationDirectory
    catalogue: MatterCatalogue
    calendar: WorkingDayCalendar

    @classmethod
    def load(cls, data_dir: Path) -> Reference:
        directory = load_directory(data_dir / "organisations.yaml")
        catalogue = load_catalogue(data_dir / "matters.yaml", directory)
        calendar = WorkingDayCalendar.load(data_dir / "calendar")  # as the services load it
        return cls(directory=directory, catalogue=catalogue, calendar=calendar)

    def org_name(self, code: str | None, lang: str = "zh") -> str:
        if not code:
            return ""
        org = self.directory.get(code)
        if org is None:
            return code
        return org.name_en if lang == "en" else org.name_zh

    def org_options(self, *kinds: OrgKind, lang: str = "zh") -> list[Option]:
        chosen = [o for o in self.directory.all() if not kinds or o.kind in kinds]
        return [(o.code, _org_label(o, lang)) for o in chosen]

    def org_groups(self, lang: str = "zh") -> list[tuple[str, list[Option]]]:
        """Every organisation, grouped by kind (乡镇(街道), 区级行政执法部门, …)."""
        groups = []
        for kind in OrgKind:
            options = self.org_options(kind, lang=lang)
            if options:
                groups.append((kind.label_en if lang == "en" else kind.label_zh, options))
        return groups

    def matter_options(self, lang: str = "zh") -> list[Option]:
        return [
            (m.code, f"{m.code} {m.name_en or m.name_zh if lang == 'en' else m.name_zh}")
            for m in self.catalogue.all()
        ]

    def matter_name(self, code: str | None, lang: str = "zh") -> str:
        if not code:
            return ""
        matter = self.catalogue.get(code)
        if matter is None:
            return code
        return (matter.name_en or matter.name_zh) if lang == "en" else matter.name_zh

    def working_days_left(self, due_at: datetime, now: datetime) -> int | None:
        """Working days from today (China time) to the due day; negative when past; None for
        a clock-hour deadline due today or a day the calendar cannot count."""
        today = now.astimezone(CHINA_TZ).date()
        due_day = due_at.astimezone(CHINA_TZ).date()
        try:
            if due_day >= today:
                return self.calendar.working_days_between(today, due_day).days
            return -self.calendar.working_days_between(due_day, today).days
        except ValueError:
            return None


def _org_label(org: Organisation, lang: str) -> str:
    return org.name_en if lang == "en" else org.name_zh


def today_china() -> date:
    return datetime.now(CHINA_TZ).date()


@dataclass
class Vocabulary:
    """Enumeration labels by service and schema name, from the services' own OpenAPI
    documents (read once each, again after a failure at most every `retry_s`)."""

    client: httpx.AsyncClient
    urls: dict[str, str]
    retry_s: float = 30.0
    _labels: dict[str, dict[str, dict[str, dict[str, str]]]] = field(default_factory=dict)
    _paths: dict[str, frozenset[str]] = field(default_factory=dict)
    _tried: dict[str, float] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def of(self, service: str) -> dict[str, dict[str, dict[str, str]]]:
        if service in self._labels:
            return self._labels[service]
        async with self._lock:
            if service in self._labels:
                return self._labels[service]
            if time.monotonic() - self._tried.get(service, float("-inf")) < self.retry_s:
                return {}
            self._tried[service] = time.monotonic()
            base = self.urls.get(service)
            if base is None:
                return {}
            try:
                # The client's own timeout (XIETONG_WORKBENCH_API_TIMEOUT_S), not a shorter
                # one: a service builds its document on the first request, which takes
                # seconds on a busy machine, and a timeout here shows codes for `retry_s`.
                response = await self.client.get(f"{base}/openapi.json")
                response.raise_for_status()
                document: dict[str, Any] = response.json()
            except (httpx.HTTPError, ValueError):
                return {}
            schemas = document.get("components", {}).get("schemas", {})
            found: dict[str, dict[str, dict[str, str]]] = {}
            for name, schema in schemas.items():
                labels = schema.get("x-enum-labels") if isinstance(schema, dict) else None
                if isinstance(labels, dict):
                    found[name] = {str(k): dict(v) for k, v in labels.items()}
            self._labels[service] = found
            self._paths[service] = frozenset(document.get("paths", {}))
            return found

    async def paths(self, service: str) -> frozenset[str]:
        """The operations' paths the service's document lists (a feature check)."""
        await self.of(service)
        return self._paths.get(service, frozenset())

    async def options(self, service: str, enum: str, lang: str = "zh") -> list[Option]:
        labels = (await self.of(service)).get(enum, {})
        return [
            (value, names.get(lang) or names.get("zh") or value) for value, names in labels.items()
        ]

    async def label(self, service: str, enum: str, value: str | None, lang: str = "zh") -> str:
        if value is None:
            return ""
        names = (await self.of(service)).get(enum, {}).get(value)
        return (names.get(lang) or names.get("zh") or value) if names else value
