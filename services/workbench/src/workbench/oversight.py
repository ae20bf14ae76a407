"""督察: the justice bureau's view of how each unit cooperates (SUP-01/SUP-02).

The assessment table, rulings and the Excel export belong to the oversight service (issue
19, port 8007). The dashboard talks to it through this small client; until the service is
deployed (its OpenAPI document answers and lists `/assessment`), the page says so and shows
what the six services already give the justice bureau: overdue referrals, assistance figures
per organisation and period, and shared items left unread past the setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from workbench.api import Api, Download
from workbench.reference import Vocabulary

SERVICE = "oversight"


class OversightClient(Protocol):
    async def deployed(self) -> bool: ...

    async def assessment(self, period: str, **filters: str) -> dict[str, Any]: ...

    async def export(self, period: str) -> Download: ...


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

    async def export(self, period: str) -> Download:
        paths = await self.paths()
        chosen = next(
            (
                p
                for p in sorted(paths)
                if p.startswith("/assessment") and ("xlsx" in p or "export" in p)
            ),
            "/assessment.xlsx",
        )
        return await self.api.download(SERVICE, f"{chosen}?period={period}")


def current_quarter(today: date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
