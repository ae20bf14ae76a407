"""The rules of 执法协助 (enforcement assistance, 涪陵府办〔2024〕1号 二(二); ASSIST-xx). No I/O.

States are `LabelledEnum`s with their Chinese names; the transitions are one
`xietong_common.states.Transitions` table the service layer applies.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from assistance.errors import (
    AssistanceInvalidTransition,
    CompletionDateNotAllowed,
    ExtensionNotAllowed,
    GroundNotDescribed,
    OfficerIneligible,
    ReasonMissing,
    RefusalUnfounded,
    RefusalWithinPowers,
    ResultMissing,
)
from xietong_common.auth import OVERSIGHT_ORG
from xietong_common.calendar import DeadlineRule
from xietong_common.contracts.assistance import AssistanceGround, RefusalGround
from xietong_common.errors import AppError
from xietong_common.labels import LabelledEnum
from xietong_common.states import Transitions


class AssistanceState(LabelledEnum):
    """执法协助请求的状态: where a request stands."""

    DRAFT = "draft", "草稿"
    REQUESTED = "requested", "已提出协助请求", "requested, awaiting the department's answer"
    ACCEPTED = "accepted", "已接受协助", "accepted, assistance under way"
    REFUSED = "refused", "不予协助", "refused with a legal ground and reasons"
    DELIVERED = "delivered", "协助结果已交付", "result delivered, awaiting the town's confirmation"
    COMPLETED = "completed", "协助已完成", "completed: the town confirmed the result"
    WITHDRAWN = "withdrawn", "已撤回", "withdrawn by the town"


class Step(LabelledEnum):
    """What can happen to a request; each step follows one rule."""

    EDIT = "edit", "修改草稿", "edit the draft"
    ATTACH = "attach", "提交申请材料", "attach request materials"
    SUBMIT = "submit", "提出协助请求", "submit the request"
    ACCEPT = "accept", "接受协助", "accept"
    REFUSE = "refuse", "不予协助并说明理由", "refuse with a legal ground and reasons"
    REQUEST_EXTENSION = "request-extension", "申请延长完成日期", "ask to move the completion date"
    DECIDE_EXTENSION = "decide-extension", "答复延期申请", "agree or decline the extension"
    ADD_RESULT = "add-result", "上传协助结果材料", "upload result files"
    DELIVER = "deliver", "交付协助结果", "deliver the result"
    RETURN = "return", "退回协助结果", "return a result that does not answer the request"
    CONFIRM = "confirm", "确认协助结果", "confirm the result"
    FLAG = "flag-obstruction", "反映推诿、刁难", "flag shirking or obstruction"
    WITHDRAW = "withdraw", "撤回协助请求", "withdraw the request"

    @property
    def rule(self) -> str:
        return _STEP_RULE[self]


_STEP_RULE = {
    Step.EDIT: "ASSIST-01",
    Step.ATTACH: "ASSIST-01",
    Step.SUBMIT: "ASSIST-01",
    Step.ACCEPT: "ASSIST-02",
    Step.REFUSE: "ASSIST-03",
    Step.REQUEST_EXTENSION: "ASSIST-04",
    Step.DECIDE_EXTENSION: "ASSIST-04",
    Step.ADD_RESULT: "ASSIST-02",
    Step.DELIVER: "ASSIST-02",
    Step.RETURN: "ASSIST-02",
    Step.CONFIRM: "ASSIST-02",
    Step.FLAG: "ASSIST-02",
    Step.WITHDRAW: "ASSIST-01",
}

S = AssistanceState


def _refuse(state: AssistanceState, step: Step, allowed: frozenset[AssistanceState]) -> AppError:
    return AssistanceInvalidTransition(
        f"a request in state {state.value} ({state.label_en}) cannot {step.label_en}",
        zh=f"处于“{state.label_zh}”状态的协助请求不能执行“{step.label_zh}”",
        state=state.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
        rule=step.rule,
    )


TRANSITIONS: Transitions[AssistanceState, Step] = Transitions(
    {
        Step.EDIT: ({S.DRAFT}, None),
        Step.ATTACH: ({S.DRAFT, S.REQUESTED, S.ACCEPTED}, None),
        Step.SUBMIT: ({S.DRAFT}, S.REQUESTED),
        Step.ACCEPT: ({S.REQUESTED}, S.ACCEPTED),
        # After accepting, only a legal prohibition ends the duty (check_refusal).
        Step.REFUSE: ({S.REQUESTED, S.ACCEPTED}, S.REFUSED),
        Step.REQUEST_EXTENSION: ({S.ACCEPTED}, None),
        Step.DECIDE_EXTENSION: ({S.ACCEPTED}, None),
        Step.ADD_RESULT: ({S.ACCEPTED}, None),
        Step.DELIVER: ({S.ACCEPTED}, S.DELIVERED),
        Step.RETURN: ({S.DELIVERED}, S.ACCEPTED),
        Step.CONFIRM: ({S.DELIVERED}, S.COMPLETED),
        Step.FLAG: ({S.REQUESTED, S.ACCEPTED, S.REFUSED, S.DELIVERED, S.COMPLETED}, None),
        Step.WITHDRAW: ({S.DRAFT, S.REQUESTED, S.ACCEPTED}, S.WITHDRAWN),
    },
    refuse=_refuse,
)


def next_state(state: AssistanceState, step: Step) -> AssistanceState:
    """The state after `step`, or a refusal naming the states the step needs."""
    return TRANSITIONS.next(state, step)


class MaterialKind(LabelledEnum):
    """Files on a request: the town's attachments, the department's result."""

    REQUEST = "request", "协助请求材料", "material of the request"
    RESULT = "result", "协助结果材料", "result (materials, appraisal or test report)"


class ExtensionDecision(LabelledEnum):
    """ASSIST-04: the town's answer to a request to move the completion date."""

    AGREED = "agreed", "同意延期", "agreed"
    DECLINED = "declined", "不同意延期", "declined"
    LAPSED = "lapsed", "已失效", "lapsed: the request moved on before the town answered"


class PeriodUnit(LabelledEnum):
    """三(四)/SUP-02: the periods oversight counts by (China time)."""

    MONTH = "month", "月"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年"


# ---- parties ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parties:
    """Who takes part in one request: the town that asks, the department asked."""

    town: str
    department: str
    state: AssistanceState

    def visible_to(self) -> set[str]:
        """The town, the justice bureau (oversight) and, once asked, the department."""
        seen = {self.town, OVERSIGHT_ORG}
        if self.state is not AssistanceState.DRAFT:
            seen.add(self.department)
        return seen


# ---- the department asked (ASSIST-01) --------------------------------------------------------


@dataclass(frozen=True)
class MatterPowers:
    """From the catalogue: which department's powers cover the matter, delegated to towns or not."""

    code: str
    owner: str
    town_level: bool


@dataclass(frozen=True)
class Warning:
    """Something the town should know about its request; it is not refused for it."""

    code: str
    zh: str
    en: str
    rule: str = "ASSIST-01"


@dataclass(frozen=True)
class Addressing:
    department: str
    proposed: str
    within_powers: bool
    warnings: tuple[Warning, ...]


def address(*, matter: MatterPowers, chosen: str | None) -> Addressing:
    """ASSIST-01: propose the department whose powers cover the matter; warn when the chosen
    one's do not (it may still help, or refuse as outside its powers with its reasons)."""
    department = chosen or matter.owner
    warnings: list[Warning] = []
    if department != matter.owner:
        warnings.append(
            Warning(
                "department-not-competent",
                f"事项 {matter.code} 属于 {matter.owner} 的职权范围，不属于 {department}；"
                f"该部门可以“不属于本机关职权范围”为由不予协助",
                f"the matter {matter.code} is within the powers of {matter.owner}, not of "
                f"{department}, which may refuse it as outside its powers",
            )
        )
    if not matter.town_level:
        warnings.append(
            Warning(
                "matter-not-delegated",
                f"事项 {matter.code} 不是赋权乡镇(街道)的事项；如属部门管辖，应移送而非请求协助",
                f"the matter {matter.code} is not delegated to towns; if it is the "
                "department's case, refer it (REF-01) rather than ask for assistance",
                rule="REF-01",
            )
        )
    return Addressing(
        department=department,
        proposed=matter.owner,
        within_powers=department == matter.owner,
        warnings=tuple(warnings),
    )


def meaningful_chars(text: str | None) -> int:
    """Letters, digits and Chinese characters: what a reason says, without its punctuation."""
    return sum(1 for c in text or "" if unicodedata.category(c)[0] in ("L", "N"))


def check_ground(ground: AssistanceGround, description: str | None, *, min_chars: int) -> None:
    """ASSIST-01: one of the four grounds; 'other' says what the situation is."""
    if ground is AssistanceGround.OTHER and meaningful_chars(description) < min_chars:
        raise GroundNotDescribed(
            f"the ground 'other' needs a description of at least {min_chars} letters or "
            "characters (ground_description)",
            zh=f"“其他需要行政执法协助的情形”须在 ground_description 中说明具体情况（至少 {min_chars} 个字）",
            missing=["ground_description"],
            rule="ASSIST-01",
        )


def check_reason(text: str | None, *, field: str, min_chars: int, rule: str) -> None:
    """A reason says something: at least `min_chars` letters or characters (a setting)."""
    if meaningful_chars(text) < min_chars:
        raise ReasonMissing(
            f"{field}: give a written reason of at least {min_chars} letters or characters",
            zh=f"{field}：须书面说明理由（至少 {min_chars} 个字）",
            missing=[field],
            rule=rule,
        )


# ---- refusal (ASSIST-03) ---------------------------------------------------------------------

# Chinese statutes are cited by article: 第二十八条, 第28条 (with 款/项 after it as needed).
ARTICLE = re.compile(r"第\s*[0-9０-９一二三四五六七八九十百千零〇两]+\s*条")


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
        if meaningful_chars(law) < 2:
            problems.append(
                (
                    "law",
                    "the law, regulation or rule that forbids it",
                    "禁止协助的法律、法规或规章名称",
                )
            )
        if not ARTICLE.search(article or ""):
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


def redelivery_deadline(working_days: int) -> DeadlineRule:
    """ASSIST-02: a returned result is delivered again within N working days (a setting)."""
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
