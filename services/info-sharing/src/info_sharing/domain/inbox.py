"""INFO-03: subscriptions, who is notified of an item, and when an unread item is late. Pure.

A subscription names any of four dimensions — categories, matters, towns, publishing
organisations. Within a dimension any value matches; across dimensions all must match; an
empty dimension matches everything. An organisation is notified once per item however many
of its subscriptions match (the inbox holds one entry per organisation and item).

"Promptly" (及时) has no number in the notice: an item is to be read within a number of
working days (XIETONG_INFO_READ_WORKING_DAYS, default 3) after it reached the inbox, on the
working-day calendar with 调休; an item still unread after that is listed for oversight.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from info_sharing.domain.categories import Category
from xietong_common.calendar import (
    CHINA_TZ,
    Deadline,
    DeadlineRule,
    WorkingDayCalendar,
    end_of_china_day,
)
from xietong_common.labels import LabelledEnum
from xietong_common.reference import OrgKind, org_kind

READ_RULE = "INFO-03"
MAX_SUBSCRIPTIONS_PER_ORG = 50
_LOOK_BACK_DAYS = 120


class DeliveryReason(LabelledEnum):
    """Why an item is in an organisation's inbox."""

    SUBSCRIPTION = "subscription", "订阅"
    ADDRESSED = "addressed", "指定发送", "addressed to it"
    DUTY = (
        "duty",
        "职责送达",
        "due to it by the notice: a department's licensing, supervision or inspection "
        "information reaches the towns exercising the empowered matters",
    )
    OPENED = "opened", "主动查阅", "opened without a notification"


@dataclass(frozen=True)
class ItemFacts:
    """What subscriptions are matched against."""

    category: Category
    publisher: str
    matter_codes: frozenset[str]
    towns: frozenset[str]


@dataclass(frozen=True)
class Interest:
    """One subscription's filters (empty = any)."""

    categories: frozenset[Category] = frozenset()
    matter_codes: frozenset[str] = frozenset()
    towns: frozenset[str] = frozenset()
    publishers: frozenset[str] = frozenset()

    def matches(self, item: ItemFacts) -> bool:
        return (
            (not self.categories or item.category in self.categories)
            and (not self.matter_codes or bool(self.matter_codes & item.matter_codes))
            and (not self.towns or bool(self.towns & item.towns))
            and (not self.publishers or item.publisher in self.publishers)
        )


def recipients(
    item: ItemFacts,
    subscriptions: Iterable[tuple[str, Interest]],
    *,
    audience: Iterable[str] = (),
    can_see: Iterable[str] | None = None,
) -> set[str]:
    """The organisations whose inbox an item reaches: those addressed (a restricted item's
    audience) and every subscriber who may see it, never the publisher itself. The service
    does the same in one SQL statement; this is the rule it follows."""
    allowed = None if can_see is None else set(can_see)
    orgs = {org for org, interest in subscriptions if interest.matches(item)}
    if allowed is not None:
        orgs &= allowed
    return (orgs | set(audience)) - {item.publisher}


def read_rule(working_days: int) -> DeadlineRule:
    return DeadlineRule.working_days(working_days, rule_id=READ_RULE)


def read_due(calendar: WorkingDayCalendar, delivered_at: datetime, working_days: int) -> Deadline:
    """When an item delivered at `delivered_at` is to have been read (24:00 CST)."""
    return calendar.deadline_for(delivered_at, read_rule(working_days))


def overdue_before(
    calendar: WorkingDayCalendar, now: datetime, working_days: int
) -> datetime | None:
    """The moment before which a delivery is overdue if still unread at `now`: deliveries of
    China date d are late once the Nth working day after d has ended. Only final dates count
    (a provisional one — its year's holidays unknown — is counted in no breach). None when
    nothing can be overdue yet."""
    today = now.astimezone(CHINA_TZ).date()
    day: date = today - timedelta(days=1)
    for _ in range(_LOOK_BACK_DAYS):
        try:
            due = calendar.add_working_days(day, working_days)
        except ValueError:
            return None
        if due.day < today and not due.provisional:
            return end_of_china_day(day)
        day -= timedelta(days=1)
    return None


# INFO-01 (2)(3): what a district department licenses, supervises and inspects about the
# empowered matters (赋权事项) is what the towns exercising those matters must know. These reach
# the towns whether or not they subscribed: a town that subscribes to nothing cannot escape
# being counted unread (INFO-03).
DUTY_CATEGORIES = frozenset({Category.LICENSING_SUPERVISION, Category.INSPECTION_RECORDS})


def duty_recipients(
    category: Category,
    *,
    publisher: str,
    item_towns: Iterable[str],
    all_towns: Iterable[str],
    restricted_to: Iterable[str] | None = None,
) -> set[str]:
    """INFO-03: the organisations an item is due to by the notice: a department's category 2
    and 3 items go to the towns they name, or every town when they name none (within a
    restricted item's audience)."""
    if category not in DUTY_CATEGORIES or org_kind(publisher) is not OrgKind.DEPARTMENT:
        return set()
    towns = set(item_towns) or set(all_towns)
    if restricted_to is not None:
        towns &= set(restricted_to)
    return towns - {publisher}
