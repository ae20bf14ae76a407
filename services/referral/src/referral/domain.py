"""The rules of 案件移送 (涪陵府办〔2024〕1号 二(三)): states, routing, deadlines, materials. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from referral.errors import (
    DirectionNotCovered,
    ImplausibleTime,
    MaterialsMissing,
    NoJurisdiction,
    OwnJurisdiction,
    ReferralInvalidTransition,
    StopMeasureMissing,
)
from xietong_common.auth import DISTRICT_GOV, OVERSIGHT_ORG
from xietong_common.calendar import DeadlineRule
from xietong_common.contracts.referral import AnswerDecision, CaseProcedure
from xietong_common.errors import AppError
from xietong_common.labels import LabelledEnum
from xietong_common.states import Transitions


class ReferralState(LabelledEnum):
    """Where a referral stands. Chinese names as the notice uses them."""

    DRAFT = "draft", "草稿"
    SENT = "sent", "已移送"
    RECEIVED = "received", "已签收"
    ACCEPTED = "accepted", "已受理"
    REPORTED = "reported", "报请区政府", "reported to the district government"
    ASSIGNED = "assigned", "指定管辖", "assigned by the district government"
    FILED = "filed", "已立案"
    CONCLUDED = "concluded", "已办结"


class Step(LabelledEnum):
    """What can happen to a referral; each step follows one rule."""

    SEND = "send", "移送"
    RECEIVE = "receive", "签收"
    ACCEPT = "accept", "受理"
    REPORT = "report", "报请区政府决定", "report to the district government"
    ASSIGN = "assign", "指定管辖", "assign jurisdiction"
    FILE = "file", "立案"
    CONCLUDE = "conclude", "办结"
    REQUEST_COOPERATION = "request-cooperation", "请求移送方配合", "ask the sender to cooperate"

    @property
    def rule(self) -> str:
        return _STEP_RULE[self]


_STEP_RULE = {
    Step.SEND: "REF-03",
    Step.RECEIVE: "REF-06",
    Step.ACCEPT: "REF-07",
    Step.REPORT: "REF-08",
    Step.ASSIGN: "REF-08",
    Step.FILE: "REF-09",
    Step.CONCLUDE: "REF-09",
    Step.REQUEST_COOPERATION: "REF-10",
}

S = ReferralState


def _refuse(state: ReferralState, step: Step, allowed: frozenset[ReferralState]) -> AppError:
    return ReferralInvalidTransition(
        f"a referral in state {state.value} ({state.label_zh}) cannot {step.value}",
        zh=f"处于“{state.label_zh}”状态的移送案件不能执行“{step.label_zh}”",
        state=state.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
        rule=step.rule,
    )


TRANSITIONS: Transitions[ReferralState, Step] = Transitions(
    {
        Step.SEND: ({S.DRAFT}, S.SENT),
        Step.RECEIVE: ({S.SENT}, S.RECEIVED),
        Step.ACCEPT: ({S.RECEIVED}, S.ACCEPTED),
        Step.REPORT: ({S.RECEIVED}, S.REPORTED),
        Step.ASSIGN: ({S.REPORTED}, S.ASSIGNED),
        Step.FILE: ({S.ACCEPTED, S.ASSIGNED}, S.FILED),
        Step.CONCLUDE: ({S.FILED}, S.CONCLUDED),
        Step.REQUEST_COOPERATION: ({S.ACCEPTED, S.ASSIGNED, S.FILED}, None),
    },
    refuse=_refuse,
)


def next_state(state: ReferralState, step: Step) -> ReferralState:
    """The state after `step`, or a refusal naming the states the step needs."""
    return TRANSITIONS.next(state, step)


def ensure_draft(state: ReferralState, what: str) -> None:
    """Only a draft is edited, given materials or approved; a sent referral is on record."""
    if state is not ReferralState.DRAFT:
        raise ReferralInvalidTransition(
            f"only a draft can be {what}; this referral is {state.value} ({state.label_zh})",
            state=state.value,
            allowed_states=[ReferralState.DRAFT.value],
        )


MAX_CLOCK_SKEW = timedelta(minutes=10)


def check_times(*, found_at: datetime, now: datetime) -> None:
    """REF-03 runs from the finding; a finding in the future would move the deadline."""
    if found_at > now + MAX_CLOCK_SKEW:
        raise ImplausibleTime(
            "found_at lies in the future", found_at=found_at.isoformat(), rule="REF-03"
        )


def answer_step(decision: AnswerDecision) -> Step:
    """REF-07/REF-08: accepting, or reporting a jurisdiction dispute to the district government."""
    return Step.ACCEPT if decision is AnswerDecision.ACCEPT else Step.REPORT


# ---- parties ---------------------------------------------------------------------------------


def is_town(org: str | None) -> bool:
    return bool(org) and str(org).startswith("town:")


def is_department(org: str | None) -> bool:
    return bool(org) and str(org).startswith("dept:")


@dataclass(frozen=True)
class Parties:
    """Who takes part in one referral."""

    sender: str
    receiver: str | None
    assignee: str | None
    state: ReferralState

    @property
    def handler(self) -> str | None:
        """The organisation handling the case: the assignee once the district government decided."""
        return self.assignee or self.receiver

    def visible_to(self) -> set[str]:
        """Sender, receiver (once sent), the district government (once reported), the assignee."""
        seen = {self.sender, OVERSIGHT_ORG}
        if self.state is not ReferralState.DRAFT and self.receiver:
            seen.add(self.receiver)
        if self.state in (ReferralState.REPORTED, ReferralState.ASSIGNED) or self.assignee:
            seen.add(DISTRICT_GOV)
        if self.assignee:
            seen.add(self.assignee)
        return seen


# ---- routing (REF-01, REF-02) ---------------------------------------------------------------


@dataclass(frozen=True)
class MatterJurisdiction:
    """From the catalogue: is the matter delegated to towns (赋权事项), which department owns it."""

    code: str
    town_level: bool
    owner: str


def has_jurisdiction(org: str, *, matter: MatterJurisdiction, place_town: str) -> bool:
    """REF-02: a town-level matter belongs to the town where it happened; else to its department."""
    if matter.town_level:
        return org == place_town
    return org == matter.owner


def propose_receiver(*, matter: MatterJurisdiction, place_town: str) -> str:
    """REF-02: the party with jurisdiction over this matter at this place."""
    return place_town if matter.town_level else matter.owner


def check_direction(sender: str, receiver: str) -> None:
    """REF-01: town→town, town→department, department→town."""
    if is_town(sender) and (is_town(receiver) or is_department(receiver)):
        return
    if is_department(sender) and is_town(receiver):
        return
    raise DirectionNotCovered(
        f"a referral from {sender} to {receiver} is not one the notice provides for; "
        "referrals run town→town, town→department and department→town",
        sender=sender,
        receiver=receiver,
        rule="REF-01",
    )


@dataclass(frozen=True)
class Routing:
    receiver: str
    proposed: str
    overridden: bool


def route(
    *,
    sender: str,
    matter: MatterJurisdiction,
    place_town: str,
    receiver: str | None,
    override_reason: str | None,
) -> Routing:
    """REF-01/REF-02: check (or propose) the receiver; a receiver without jurisdiction needs
    a written override reason from the sender, which is recorded."""
    proposed = propose_receiver(matter=matter, place_town=place_town)
    if has_jurisdiction(sender, matter=matter, place_town=place_town):
        raise OwnJurisdiction(
            f"{sender} has jurisdiction over {matter.code} in {place_town} itself",
            matter_code=matter.code,
            rule="REF-01",
        )
    chosen = receiver or proposed
    check_direction(sender, chosen)
    if chosen == proposed:
        return Routing(receiver=chosen, proposed=proposed, overridden=False)
    if not (override_reason and override_reason.strip()):
        raise NoJurisdiction(
            f"{chosen} has no jurisdiction over {matter.code} in {place_town}; the party with "
            f"jurisdiction is {proposed}. Choose it, or give a written reason to override.",
            receiver=chosen,
            proposed_receiver=proposed,
            rule="REF-02",
        )
    return Routing(receiver=chosen, proposed=proposed, overridden=True)


# ---- deadlines (REF-03, REF-06, REF-07, REF-09) ----------------------------------------------

SEND_WORKING_DAYS = 5
URGENT_HOURS = 24
ANSWER_WORKING_DAYS = 5


def send_deadline(*, urgent: bool) -> DeadlineRule:
    """REF-03: refer within 5 working days of finding the violation; 24 hours when urgent."""
    if urgent:
        return DeadlineRule.hours(URGENT_HOURS, rule_id="REF-03")
    return DeadlineRule.working_days(SEND_WORKING_DAYS, rule_id="REF-03")


def answer_deadline() -> DeadlineRule:
    """REF-07: the receiver answers in writing within 5 working days of receipt."""
    return DeadlineRule.working_days(ANSWER_WORKING_DAYS, rule_id="REF-07")


def receipt_deadline(working_days: int) -> DeadlineRule:
    """REF-06: the receiver signs the service receipt on receiving the materials ('promptly')."""
    return DeadlineRule.working_days(working_days, rule_id="REF-06")


def filing_deadline(working_days: int) -> DeadlineRule:
    """REF-09: once accepted or assigned, the case is filed 'promptly' (a setting)."""
    return DeadlineRule.working_days(working_days, rule_id="REF-09")


def conclusion_deadline(procedure: CaseProcedure, *, days: int | None) -> DeadlineRule | None:
    """REF-09: concluded within the statutory limit of its procedure (calendar days, as hours)."""
    if procedure is CaseProcedure.SUMMARY or not days:
        return None
    return DeadlineRule.hours(days * 24, rule_id="REF-09")


# ---- facts and materials (REF-04, REF-05) ------------------------------------------------------


class MaterialKind(LabelledEnum):
    """REF-05: what a referral carries."""

    LETTER = "letter", "案件移送函", "referral letter"
    ITEM_LIST = "item-list", "涉案物品清单", "list of the items involved"
    DISPOSAL_EVIDENCE = (
        "disposal-evidence",
        "先行处置留取的证据",
        "evidence kept of items disposed of in advance",
    )
    OTHER = "other", "其他与案件有关的材料", "other materials of the case"


@dataclass(frozen=True)
class Item:
    """REF-05: an item involved, listed truthfully; disposed-of items carry their proceeds."""

    name: str
    quantity: Decimal
    disposed_in_advance: bool = False
    proceeds: Decimal | None = None


def check_stop_measure(
    *, ongoing: bool, stop_measure: str | None, stop_measure_at: datetime | None, found_at: datetime
) -> None:
    """REF-04: an ongoing violation is stopped at once; the referral records the measure."""
    if not ongoing:
        return
    missing = [
        name
        for name, value in (
            ("stop_measure", (stop_measure or "").strip()),
            ("stop_measure_at", stop_measure_at),
        )
        if not value
    ]
    if missing:
        raise StopMeasureMissing(
            "the violation is ongoing: record the stop order or measure taken and its time",
            missing=missing,
            rule="REF-04",
        )
    assert stop_measure_at is not None
    if stop_measure_at < found_at:
        raise StopMeasureMissing(
            "the stop measure cannot predate the finding of the violation",
            missing=["stop_measure_at"],
            rule="REF-04",
        )


def missing_materials(kinds: Iterable[MaterialKind], items: Sequence[Item]) -> list[str]:
    """REF-05: the letter and the item list are required; items disposed of in advance need the
    evidence kept and their proceeds."""
    have = set(kinds)
    missing: list[str] = []
    if MaterialKind.LETTER not in have:
        missing.append(MaterialKind.LETTER.value)
    if MaterialKind.ITEM_LIST not in have:
        missing.append(MaterialKind.ITEM_LIST.value)
    disposed = [i for i in items if i.disposed_in_advance]
    if disposed and MaterialKind.DISPOSAL_EVIDENCE not in have:
        missing.append(MaterialKind.DISPOSAL_EVIDENCE.value)
    missing += [f"proceeds of {i.name}" for i in disposed if i.proceeds is None]
    return missing


def check_sendable(
    *,
    matter_code: str | None,
    receiver: str | None,
    kinds: Iterable[MaterialKind],
    items: Sequence[Item],
) -> None:
    """REF-05: refuse to send an incomplete referral, naming everything missing at once."""
    missing = []
    if not matter_code:
        missing.append("matter_code")
    if not receiver:
        missing.append("receiver")
    missing += missing_materials(kinds, items)
    if missing:
        raise MaterialsMissing(
            "the referral cannot be sent yet; missing: " + ", ".join(missing),
            missing=missing,
            rule="REF-05",
        )


def proceeds_total(items: Sequence[Item]) -> Decimal:
    """REF-05: proceeds of items disposed of in advance, transferred with the case."""
    return sum((i.proceeds or Decimal("0") for i in items if i.disposed_in_advance), Decimal("0"))


def receipt_number(receiver: str, year: int, seq: int) -> str:
    """REF-06: the 送达回证 number, one series per receiver and year."""
    return f"{receiver}-{year}-{seq:05d}"
