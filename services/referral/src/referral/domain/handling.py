"""The receiver's rules of 案件移送 (REF-06..REF-09): its answer and its deadlines. No I/O."""

from __future__ import annotations

from referral.domain.common import Step
from referral.errors import TimeLimitMissing
from xietong_common.calendar import DeadlineRule
from xietong_common.contracts.referral import AnswerDecision, CaseProcedure
from xietong_common.labels import LabelledEnum
from xietong_common.reasons import MIN_REASON, is_stated

ANSWER_WORKING_DAYS = 5


def answer_step(decision: AnswerDecision) -> Step:
    """REF-07/REF-08: accepting, or reporting a jurisdiction dispute to the district government."""
    return Step.ACCEPT if decision is AnswerDecision.ACCEPT else Step.REPORT


def answer_deadline() -> DeadlineRule:
    """REF-07: the receiver answers in writing within 5 working days of receipt."""
    return DeadlineRule.working_days(ANSWER_WORKING_DAYS, rule_id="REF-07")


def receipt_deadline(working_days: int) -> DeadlineRule:
    """REF-06: the receiver signs the service receipt on receiving the materials ('promptly')."""
    return DeadlineRule.working_days(working_days, rule_id="REF-06")


def filing_deadline(working_days: int) -> DeadlineRule:
    """REF-09: once accepted or assigned, the case is filed 'promptly' (a setting)."""
    return DeadlineRule.working_days(working_days, rule_id="REF-09")


def conclusion_deadline(
    procedure: CaseProcedure,
    *,
    days: int | None,
    ordinary_days: int,
    no_limit_reason: str | None = None,
) -> DeadlineRule | None:
    """REF-09: concluded within the statutory limit of its procedure. A limit in days (日) is
    counted in calendar days from the day after filing and ends at 24:00 China time on the
    last day. The ordinary procedure has its default (行政处罚法 第六十条: 90 days); the
    summary procedure is decided on the spot (当场) and tracks none; another procedure states
    its limit or why it has none."""
    if procedure is CaseProcedure.SUMMARY:
        return None
    if days is None and procedure is CaseProcedure.ORDINARY:
        days = ordinary_days
    if days is None:
        if not is_stated(no_limit_reason):
            raise TimeLimitMissing(
                "a case filed under another procedure states its statutory time limit "
                "(time_limit_days) or why it has none (no_time_limit_reason, at least "
                f"{MIN_REASON} characters: a reason oversight can rule on)",
                zh="按其他程序立案的，应载明法定办案期限(time_limit_days)，"
                f"或说明无法定期限的理由(no_time_limit_reason，不少于{MIN_REASON}个字)",
                rule="REF-09",
            )
        return None
    return DeadlineRule.calendar_days(days, rule_id="REF-09")


class ProcedureFlag(LabelledEnum):
    """REF-09: a filing that stops the conclusion clock, flagged for oversight to look at."""

    SUMMARY = (
        "summary-procedure",
        "移送案件按简易程序立案",
        "a referred case filed under the summary procedure (no conclusion clock)",
    )
    NO_TIME_LIMIT = (
        "no-time-limit",
        "其他程序且未载明期限",
        "filed under another procedure without a time limit",
    )


def procedure_flag(procedure: CaseProcedure, *, days: int | None) -> ProcedureFlag | None:
    """REF-09: the summary procedure is decided on the spot (当场), rarely how a case someone
    else found and referred ends; another procedure without a limit stops the clock. Both are
    lawful and both escape the conclusion deadline, so both are flagged."""
    if procedure is CaseProcedure.SUMMARY:
        return ProcedureFlag.SUMMARY
    if procedure is CaseProcedure.OTHER and days is None:
        return ProcedureFlag.NO_TIME_LIMIT
    return None


def receipt_number(receiver: str, year: int, seq: int) -> str:
    """REF-06: the 送达回证 number, one series per receiver and year."""
    return f"{receiver}-{year}-{seq:05d}"
