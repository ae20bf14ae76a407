"""ASSIST-02..04: the department's answer — refusal on a legal ground, the completion date and
its extensions, the result, the officers — and the deadlines. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from assistance.errors import (
    CompletionDateNotAllowed,
    ExtensionNotAllowed,
    OfficerIneligible,
    RefusalUnfounded,
    RefusalWithinPowers,
    ResultMissing,
)
from xietong_common.calendar import DeadlineRule
from xietong_common.contracts.assistance import AssistanceGround, RefusalGround
from xietong_common.reasons import is_article, is_law_title, meaningful_chars

# ---- refusal (ASSIST-03) ---------------------------------------------------------------------


def check_refusal(
    *,
    ground: RefusalGround,
    law: str | None,
    article: str | None,
    reason: str | None,
    within_powers: bool,
    after_acceptance: bool,
    min_chars: int,
) -> None:
    """ASSIST-03: a refusal is forbidden-by-law (the law, the article and a written reason) or
    outside the department's powers (a written reason), never 'outside powers' for a matter
    the catalogue puts within them (ASSIST-02: it must assist), nor after having accepted."""
    problems: list[tuple[str, str, str]] = []
    if meaningful_chars(reason) < min_chars:
        problems.append(
            (
                "reason",
                f"a written reason of at least {min_chars} letters or characters",
                f"书面理由（至少 {min_chars} 个字）",
            )
        )
    if ground is RefusalGround.FORBIDDEN_BY_LAW:
        # "有关规定" is a gesture at the law, not a citation: the instrument by its title.
        if not is_law_title(law):
            problems.append(
                (
                    "law",
                    "the law, regulation or rule that forbids it, by its title (《…法》, "
                    "《…条例》, 《…办法》), not 'the relevant rules'",
                    "禁止协助的法律、法规或规章的名称（如《…法》《…条例》《…办法》），"
                    "不得以“有关规定”代替",
                )
            )
        if not is_article(article):
            problems.append(("article", "its article (第…条)", "具体条款（第…条）"))
    if problems:
        raise RefusalUnfounded(
            "a refusal needs " + "; ".join(p[1] for p in problems),
            zh="不予协助须说明：" + "；".join(p[2] for p in problems),
            missing=[p[0] for p in problems],
            rule="ASSIST-03",
        )
    if ground is RefusalGround.OUTSIDE_POWERS and (within_powers or after_acceptance):
        why_en = (
            "the matter catalogue puts this matter within the department's powers"
            if within_powers
            else "having accepted the request, the department treated it as within its powers"
        )
        why_zh = (
            "事项目录载明该事项属于本机关职权范围"
            if within_powers
            else "本机关已接受协助，不能再以“不属于本机关职权范围”为由不予协助"
        )
        raise RefusalWithinPowers(
            f"{why_en}: it must assist (ASSIST-02); it may decline only where the law forbids it",
            zh=f"{why_zh}，应当依法予以协助，不得推诿；仅在法律、法规、规章明确禁止时可以不予协助",
            rule="ASSIST-03",
        )


# ---- deadlines (ASSIST-04) -------------------------------------------------------------------


def response_deadline(*, urgent: bool, working_days: int, urgent_hours: int) -> DeadlineRule:
    """ASSIST-04: 'promptly' (及时) is a setting: N working days, clock hours when urgent."""
    if urgent:
        return DeadlineRule.hours(urgent_hours, rule_id="ASSIST-04")
    return DeadlineRule.working_days(working_days, rule_id="ASSIST-04")


def longest_period(working_days: int) -> DeadlineRule:
    """ASSIST-04: the latest completion date a department may agree (a setting)."""
    return DeadlineRule.working_days(working_days, rule_id="ASSIST-04")


def check_completion_date(agreed: date, *, today: date, latest: date) -> None:
    """ASSIST-02/04: an agreed completion date from today up to the longest period."""
    if agreed < today:
        raise CompletionDateNotAllowed(
            f"the completion date {agreed} has already passed (today is {today})",
            zh=f"完成日期 {agreed} 早于今天（{today}）",
            earliest=today.isoformat(),
            rule="ASSIST-02",
        )
    if agreed > latest:
        raise CompletionDateNotAllowed(
            f"the completion date {agreed} is beyond the longest period allowed; the latest is "
            f"{latest}",
            zh=f"完成日期 {agreed} 超出允许的最长期限，最迟为 {latest}",
            latest=latest.isoformat(),
            rule="ASSIST-04",
        )


def check_extension(
    *,
    current: date,
    proposed: date,
    latest: date,
    agreed_so_far: int,
    max_extensions: int,
    pending: bool,
    now: datetime,
    due_at: datetime,
) -> None:
    """ASSIST-04: an extension is asked for before the agreed date passes, one at a time, a
    bounded number of times, each to a later date within the longest period."""
    if now >= due_at:
        raise ExtensionNotAllowed(
            "the agreed completion date has passed: deliver the result (the breach is on record)",
            zh="约定完成日期已过，应交付协助结果（逾期已记录）",
            rule="ASSIST-04",
        )
    if pending:
        raise ExtensionNotAllowed(
            "an extension request is already awaiting the town's answer",
            zh="已有延期申请等待乡镇(街道)答复",
            rule="ASSIST-04",
        )
    if agreed_so_far >= max_extensions:
        raise ExtensionNotAllowed(
            f"the completion date was already moved {agreed_so_far} times, the most allowed",
            zh=f"完成日期已延长 {agreed_so_far} 次，已达上限",
            max_extensions=max_extensions,
            rule="ASSIST-04",
        )
    if proposed <= current:
        raise ExtensionNotAllowed(
            f"an extension moves the date later than {current}",
            zh=f"延期后的日期应晚于 {current}",
            rule="ASSIST-04",
        )
    check_completion_date(proposed, today=current, latest=latest)


def check_result(ground: AssistanceGround, files: int) -> None:
    """ASSIST-02: materials and appraisal, inspection or test reports are delivered as files;
    only 'other' assistance may consist of what was done."""
    if files == 0 and ground is not AssistanceGround.OTHER:
        raise ResultMissing(
            "upload the materials or the report before delivering (POST …/materials)",
            zh="请先上传协助结果材料或报告，再交付",
            ground=ground.value,
            rule="ASSIST-02",
        )


# ---- officers (ASSIST-02, SEC-04) ------------------------------------------------------------


@dataclass(frozen=True)
class OfficerNamed:
    """An officer the department names: its own staff, or a seconded officer on a roster."""

    name: str
    certificate_number: str
    seconded: bool
    officer_id: str | None = None


def check_officers(officers: Sequence[OfficerNamed]) -> None:
    """ASSIST-02: at least one officer, each named once; a seconded one by his roster id."""
    problems: list[tuple[str, str]] = []
    if not officers:
        problems.append(("name at least one officer", "至少指派一名执法人员"))
    certificates = [o.certificate_number for o in officers]
    if len(set(certificates)) != len(certificates):
        problems.append(("an officer is named twice (certificate number)", "同一执法证号重复指派"))
    ids = [o.officer_id for o in officers if o.officer_id]
    if len(set(ids)) != len(ids):
        problems.append(("an officer is named twice (officer id)", "同一人员编号重复指派"))
    problems += [
        (
            f"{o.name}: a seconded officer is named by his roster officer_id",
            f"{o.name}：下沉人员须填写名单中的人员编号 officer_id",
        )
        for o in officers
        if o.seconded and not o.officer_id
    ]
    if problems:
        raise OfficerIneligible(
            "; ".join(en for en, _ in problems),
            zh="；".join(zh for _, zh in problems),
            problems=[en for en, _ in problems],
            rule="ASSIST-02",
        )
