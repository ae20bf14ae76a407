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
        "due to it by the notice: the norms, benchmarks and workflows of the empowered "
        "matters and a department's licensing, supervision, inspection and dynamic "
        "information reach the towns exercising them",
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


# INFO-03: what the notice makes due to the towns, whether or not they subscribe (a town that
# subscribes to nothing cannot escape being counted unread), by category (二(一)) and by who
# issues it:
# (2)(3) the licensing, supervision and inspection information of the departments "与赋权事项
#   有关" and (7) the dynamic information they collect in their duties ("区级行政执法部门…在
#   履职过程中收集、掌握、制作的各类动态信息"): from a department;
# (1) the laws, rules, norms and normative documents of the empowered matters ("涉及赋权事项…
#   与下放事项有关") and (6) the discretion benchmarks and workflows of the towns' penalty
#   matters ("涉及乡镇(街道)行政处罚事项"): from anyone who issues or passes them on but a town
#   (a department, the justice bureau, the district government) — they are the towns' rules.
# (4) a town's penalty decision is due to the departments that asked for the feedback: they
#   are its audience (`audience_of`), delivered as addressed. (5) statistics, (8) complaint
#   handling and (9) other information name nobody they are due to: subscriptions and the
#   publisher's audience only.
_ISSUERS_OF_TOWN_RULES = frozenset(
    {OrgKind.DEPARTMENT, OrgKind.JUSTICE_BUREAU, OrgKind.DISTRICT_GOV}
)
DUTY_TO_TOWNS: dict[Category, frozenset[OrgKind]] = {
    Category.LAWS_NORMS: _ISSUERS_OF_TOWN_RULES,
    Category.LICENSING_SUPERVISION: frozenset({OrgKind.DEPARTMENT}),
    Category.INSPECTION_RECORDS: frozenset({OrgKind.DEPARTMENT}),
    Category.DISCRETION_WORKFLOWS: _ISSUERS_OF_TOWN_RULES,
    Category.DYNAMIC: frozenset({OrgKind.DEPARTMENT}),
}
DUTY_CATEGORIES = frozenset(DUTY_TO_TOWNS)


def duty_recipients(
    category: Category,
    *,
    publisher: str,
    item_towns: Iterable[str],
    all_towns: Iterable[str],
    restricted_to: Iterable[str] | None = None,
) -> set[str]:
    """INFO-03: the organisations an item is due to by the notice (`DUTY_TO_TOWNS`): the towns
    it names, or every town when it names none (within a restricted item's audience)."""
    issuers = DUTY_TO_TOWNS.get(category)
    if issuers is None or org_kind(publisher) not in issuers:
        return set()
    towns = set(item_towns) or set(all_towns)
    if restricted_to is not None:
        towns &= set(restricted_to)
    return towns - {publisher}
