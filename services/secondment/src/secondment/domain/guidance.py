"""SEC-05: departments guide the towns' comprehensive enforcement by guidance documents,
seminars, bulletins of typical practice, joint drills and training, and may engage a third
party. A record says what was done, when, for which towns, with how many people. Pure."""

from __future__ import annotations

from datetime import date

from secondment.errors import GuidanceIncomplete
from xietong_common.contracts.secondment import GuidanceKind
from xietong_common.labels import LabelledEnum

NEEDS_ATTENDANCE = frozenset(
    {GuidanceKind.SEMINAR, GuidanceKind.JOINT_DRILL, GuidanceKind.TRAINING}
)
"""Activities people attend: their record says how many took part."""


class CountBy(LabelledEnum):
    """How guidance activities are counted for oversight."""

    DEPARTMENT = "department", "部门"
    TOWN = "town", "乡镇（街道）", "town reached"
    KIND = "kind", "指导方式", "kind of guidance"
    MONTH = "month", "月份"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"


def check_activity(
    *,
    kind: GuidanceKind,
    held_on: date,
    ended_on: date | None,
    attendance: int | None,
    third_party: str | None,
    today: date,
) -> None:
    """SEC-05: a record of guidance given (not planned): on a day that has come, ending after
    it began; attended activities with their attendance; a third-party engagement names it."""
    zh: list[str] = []
    en: list[str] = []
    if held_on > today or (ended_on is not None and ended_on > today):
        zh.append("只记录已开展的业务指导，日期不得晚于今日")
        en.append("only guidance already given is recorded: no day after today")
    if ended_on is not None and ended_on < held_on:
        zh.append("结束日期早于开始日期")
        en.append("ended_on is before held_on")
    if kind in NEEDS_ATTENDANCE and not attendance:
        zh.append(f"“{kind.label_zh}”须填写参加人数")
        en.append(f"a {kind.label_en} records how many people took part (attendance >= 1)")
    if kind is GuidanceKind.THIRD_PARTY and not (third_party and third_party.strip()):
        zh.append("聘请第三方协助指导须写明第三方名称")
        en.append("a third-party engagement names the third party")
    if zh:
        raise GuidanceIncomplete(
            "; ".join(en), zh="；".join(zh), problems=en, problems_zh=zh, rule="SEC-05"
        )
