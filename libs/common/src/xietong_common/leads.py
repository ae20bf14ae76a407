"""Lead times of due-soon reminders (催办, issue 24): "2 working days", "4 hours".

A lead time says how long before a deadline its reminder comes. Clock hours are counted back
from the due moment. Working days are counted back on the holiday calendar with 调休: the
reminder "2 working days" of a deadline due at 24:00 on a Friday comes at 24:00 on the
Wednesday before (two working days, Thursday and Friday, are left), and one due at 24:00 on
the Monday after the Spring Festival holiday comes at 24:00 on the last working day before
the holiday, however long the holiday. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

# The settings read lead times, so this module stands below the calendar (which reads the
# settings): it names the one thing it needs of a calendar instead of importing it.
CHINA_TZ = ZoneInfo("Asia/Shanghai")


class Calendar(Protocol):
    def working_days_before(self, day: date, n: int) -> date: ...


_LEAD = re.compile(r"^\s*(\d{1,3})\s*(working\s+days?|hours?)\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class LeadTime:
    """How long before the due moment a reminder comes."""

    amount: int
    unit: Literal["working_days", "hours"]

    def __post_init__(self) -> None:
        if self.amount < 1:
            raise ValueError("a lead time is at least 1 hour or 1 working day")

    @classmethod
    def parse(cls, text: str) -> LeadTime:
        """`2 working days`, `1 working day`, `4 hours`, `1 hour` (any case)."""
        match = _LEAD.match(text)
        if match is None:
            raise ValueError(
                f"not a lead time: {text!r} (write e.g. '2 working days' or '4 hours')"
            )
        unit: Literal["working_days", "hours"] = (
            "working_days" if match[2].lower().startswith("working") else "hours"
        )
        return cls(amount=int(match[1]), unit=unit)

    @property
    def text(self) -> str:
        """The canonical name (what a reminder records and publishes)."""
        if self.unit == "hours":
            return f"{self.amount} hour" + ("s" if self.amount > 1 else "")
        return f"{self.amount} working day" + ("s" if self.amount > 1 else "")

    @property
    def label_zh(self) -> str:
        return f"{self.amount}小时" if self.unit == "hours" else f"{self.amount}个工作日"

    def moment(self, due_at: datetime, calendar: Calendar) -> datetime:
        """When the reminder for a deadline due at `due_at` comes (aware UTC)."""
        if self.unit == "hours":
            return due_at - timedelta(hours=self.amount)
        local = due_at.astimezone(CHINA_TZ)
        # 24:00 ends the day before: a deadline due at 00:00 of the 9th is one of the 8th.
        day = local.date() - timedelta(days=1) if local.time() == time(0) else local.date()
        back = calendar.working_days_before(day, self.amount)
        return due_at - timedelta(days=(day - back).days)


def parse_leads(values: object) -> tuple[LeadTime, ...]:
    """A list of lead times as a setting gives them, longest first, without repeats."""
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    if not isinstance(values, list | tuple):
        raise ValueError("lead times are a list such as ['2 working days', '4 hours']")
    leads = {v if isinstance(v, LeadTime) else LeadTime.parse(str(v)) for v in values}
    # Longest first: working days before hours, then by amount.
    return tuple(sorted(leads, key=lambda lead: (lead.unit != "working_days", -lead.amount)))
