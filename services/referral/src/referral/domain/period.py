"""REF-09: the conclusion period's lawful suspension (中止) and extension (延长). No I/O.

The notice says a received case is concluded "within the time limit of its procedure"
(按照相关法律法规规定的办案程序和时限办结案件): only the law of that procedure can stop or
lengthen that limit, so a suspension and an extension each cite the law and article that
allow it, with a reason someone can rule on; resuming states why the cause is gone. The
numbers the notice does not give (how many suspensions, how long in all, how many days an
extension adds, how many extensions) are settings.

Times: the conclusion limit is counted in calendar days ending at 24:00 China time. A
suspension on day S of a deadline whose last day is L leaves L − S days; resuming on day R
puts the last day at R + (L − S). A suspension is bounded: while suspended the deadline is
the one the case would have if it resumed on the last working day the settings allow, so a
case left suspended falls due without anyone resuming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from referral.errors import ConclusionPeriodRefused, ConclusionPeriodUnfounded
from xietong_common.calendar import CHINA_TZ, WorkingDayCalendar, end_of_china_day
from xietong_common.reasons import MIN_REASON, is_article, is_law_title, is_stated

REASON_CODES = {
    "suspended": "conclusion-suspended",
    "resumed": "conclusion-resumed",
    "extended": "conclusion-extended",
}


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def last_day(due_at: datetime) -> date:
    """The last day a deadline ending at 24:00 China time leaves (its due_at is 00:00 next)."""
    return china_day(due_at - timedelta(microseconds=1))


def days_left(due_at: datetime, at: datetime) -> int:
    """Calendar days from `at`'s day to the deadline's last day (0 on the last day)."""
    return max((last_day(due_at) - china_day(at)).days, 0)


def check_grounds(*, reason: str | None, law: str | None, article: str | None, basis: bool) -> None:
    """A real reason (8+ characters); where `basis`, the law by its title and its article."""
    missing: list[tuple[str, str, str]] = []
    if not is_stated(reason):
        missing.append(
            (
                "reason",
                f"a reason of at least {MIN_REASON} letters or characters",
                f"理由（不少于{MIN_REASON}个字）",
            )
        )
    if basis and not is_law_title(law):
        missing.append(
            (
                "law",
                "the law, regulation or rule that allows it, by its title (《…》), not "
                "'the relevant rules'",
                "允许中止或延长的法律、法规或规章名称（《…》），不得以“有关规定”代替",
            )
        )
    if basis and not is_article(article):
        missing.append(("article", "its article (第…条)", "具体条款（第…条）"))
    if missing:
        raise ConclusionPeriodUnfounded(
            "the conclusion period changes only with " + "; ".join(m[1] for m in missing),
            zh="变更办案期限须载明：" + "；".join(m[2] for m in missing),
            missing=[m[0] for m in missing],
            rule="REF-09",
        )


def _refused(en: str, zh: str, **more: object) -> ConclusionPeriodRefused:
    return ConclusionPeriodRefused(en, zh=zh, rule="REF-09", **more)


def check_running(due_at: datetime | None, now: datetime, what: str, what_zh: str) -> datetime:
    """A clock to change, not run out: a limit cannot be stopped or lengthened once missed."""
    if due_at is None:
        raise _refused(
            f"the case has no conclusion clock to {what} (summary procedure, or none stated)",
            f"该案件未计算办案期限（简易程序或未载明期限），无从{what_zh}",
        )
    if now >= due_at:
        raise _refused(
            f"the conclusion period ran out at {due_at.isoformat()}: it can no longer be {what}ed",
            f"办案期限已于{due_at.isoformat()}届满，不能再{what_zh}",
            due_at=due_at.isoformat(),
        )
    return due_at


@dataclass(frozen=True)
class Suspension:
    """A suspension as it starts: the deadline it puts in force, and how long it may last."""

    days_left: int
    latest_resume: date
    due_at: datetime


def suspend(
    calendar: WorkingDayCalendar,
    *,
    due_at: datetime | None,
    now: datetime,
    suspended: bool,
    suspensions: int,
    max_count: int,
    used_working_days: int,
    max_working_days: int,
) -> Suspension:
    """REF-09: stop the clock, within the number and the working days the settings allow."""
    if suspended:
        raise _refused("the conclusion period is already suspended", "办案期限已中止")
    due = check_running(due_at, now, "suspend", "中止")
    if suspensions >= max_count:
        raise _refused(
            f"the conclusion period of one case is suspended at most {max_count} times",
            f"同一案件的办案期限最多中止{max_count}次",
            max_count=max_count,
        )
    budget = max_working_days - used_working_days
    if budget < 1:
        raise _refused(
            f"the case already stood suspended the {max_working_days} working days allowed",
            f"该案件中止期间已达{max_working_days}个工作日上限",
            max_working_days=max_working_days,
        )
    left = days_left(due, now)
    latest = calendar.add_working_days(china_day(now), budget).day
    return Suspension(
        days_left=left, latest_resume=latest, due_at=end_of_china_day(latest + timedelta(left))
    )


def resume(
    calendar: WorkingDayCalendar,
    *,
    suspended_at: datetime,
    latest_resume: date,
    days_left: int,
    now: datetime,
) -> tuple[datetime, int]:
    """REF-09: restart the clock with the days that were left; (the deadline, the working days
    the case stood suspended). Past the longest suspension allowed, the clock had restarted by
    itself on its last day."""
    day = min(china_day(now), latest_resume)
    stood = calendar.working_days_between(china_day(suspended_at), day).days
    return end_of_china_day(day + timedelta(days_left)), stood


def extend(
    *,
    due_at: datetime | None,
    now: datetime,
    suspended: bool,
    days: int,
    extensions: int,
    max_count: int,
    max_days: int,
) -> datetime:
    """REF-09: lengthen the period before it runs out, within the settings; the new deadline."""
    if days > max_days:
        raise ConclusionPeriodUnfounded(
            f"one extension adds at most {max_days} days",
            zh=f"每次延长不得超过{max_days}日",
            missing=["days"],
            max_days=max_days,
            rule="REF-09",
        )
    if suspended:
        raise _refused(
            "a suspended period is resumed before it is extended", "办案期限中止期间不能延长"
        )
    due = check_running(due_at, now, "extend", "延长")
    if extensions >= max_count:
        raise _refused(
            f"the conclusion period of one case is extended at most {max_count} times",
            f"同一案件的办案期限最多延长{max_count}次",
            max_count=max_count,
        )
    return end_of_china_day(last_day(due) + timedelta(days))
