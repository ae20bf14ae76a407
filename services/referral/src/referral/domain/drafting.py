"""The sender's rules of 案件移送: routing (REF-01/02), its deadlines (REF-03/04), facts and
materials (REF-04/05). No I/O."""

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
    StopMeasureMissing,
)
from xietong_common.calendar import DeadlineRule
from xietong_common.labels import LabelledEnum
from xietong_common.reference import is_department, is_town

MAX_CLOCK_SKEW = timedelta(minutes=10)


def check_times(*, found_at: datetime, now: datetime) -> None:
    """REF-03 runs from the finding; a finding in the future would move the deadline."""
    if found_at > now + MAX_CLOCK_SKEW:
        raise ImplausibleTime(
            "found_at lies in the future",
            zh="发现违法行为的时间(found_at)晚于当前时间",
            found_at=found_at.isoformat(),
            rule="REF-03",
        )


def check_finding_moved(*, found_at: datetime, drafted_at: datetime) -> None:
    """REF-03 on an edited draft: a finding cannot come after the draft that records it.
    Moving it later than that would restart the 5 working days at will, every time the
    deadline drew near (each move cancels the running clock without a breach); a correction
    to any moment up to the draft stays possible, and earlier is always allowed."""
    if found_at > drafted_at + MAX_CLOCK_SKEW:
        raise ImplausibleTime(
            "found_at lies after the draft recording the finding was made",
            zh="发现违法行为的时间(found_at)晚于本移送草稿的创建时间",
            found_at=found_at.isoformat(),
            drafted_at=drafted_at.isoformat(),
            rule="REF-03",
        )


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
        zh=f"从 {sender} 移送至 {receiver} 不属于通知规定的移送情形；移送限于乡镇(街道)之间、"
        "乡镇(街道)移送区级部门、区级部门移送乡镇(街道)",
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
            zh=f"{sender} 对 {place_town} 的事项 {matter.code} 自身具有管辖权，无需移送",
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
            zh=f"{chosen} 对 {place_town} 的事项 {matter.code} 无管辖权，有管辖权的是 {proposed}。"
            "请选择有管辖权的一方，或书面说明另行指定的理由(jurisdiction_override_reason)",
            receiver=chosen,
            proposed_receiver=proposed,
            rule="REF-02",
        )
    return Routing(receiver=chosen, proposed=proposed, overridden=True)


# ---- deadlines of the sender (REF-03, REF-04) ----------------------------------------------

SEND_WORKING_DAYS = 5
URGENT_HOURS = 24


def send_deadline(*, urgent: bool) -> DeadlineRule:
    """REF-03: refer within 5 working days of finding the violation; 24 hours when urgent."""
    if urgent:
        return DeadlineRule.hours(URGENT_HOURS, rule_id="REF-03")
    return DeadlineRule.working_days(SEND_WORKING_DAYS, rule_id="REF-03")


def inform_deadline(hours: int) -> DeadlineRule:
    """REF-04: an ongoing violation is stopped at once and the party with jurisdiction is
    informed 'promptly' (及时): a setting, in clock hours from the finding."""
    return DeadlineRule.hours(hours, rule_id="REF-04")


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
    *,
    ongoing: bool,
    stop_measure: str | None,
    stop_measure_at: datetime | None,
    found_at: datetime,
    now: datetime,
) -> None:
    """REF-04: an ongoing violation is stopped at once; the referral records the measure, taken
    between the finding and now (a measure dated tomorrow is a promise, not a measure)."""
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
            zh="违法行为正在进行：请记录已责令停止或采取的制止措施及其时间",
            missing=missing,
            rule="REF-04",
        )
    assert stop_measure_at is not None
    if stop_measure_at < found_at:
        raise StopMeasureMissing(
            "the stop measure cannot predate the finding of the violation",
            zh="制止措施的时间不能早于发现违法行为的时间",
            missing=["stop_measure_at"],
            rule="REF-04",
        )
    if stop_measure_at > now + MAX_CLOCK_SKEW:
        raise StopMeasureMissing(
            "the stop measure cannot be dated in the future: record the one already taken",
            zh="制止措施的时间不能晚于当前时间，请记录已经采取的措施",
            missing=["stop_measure_at"],
            rule="REF-04",
        )


def missing_materials(
    kinds: Iterable[MaterialKind], items: Sequence[Item], *, letter_issued: bool = False
) -> list[str]:
    """REF-05: the letter and the item list are required — uploaded, or (`letter_issued`) the
    案件移送函 the platform issues at sending, whose attachment is the item list as recorded;
    items disposed of in advance need the evidence kept and their proceeds."""
    have = set(kinds)
    if letter_issued:
        have |= {MaterialKind.LETTER, MaterialKind.ITEM_LIST}
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


_MISSING_ZH = {
    "matter_code": "事项编码",
    "receiver": "受移送单位",
    MaterialKind.LETTER.value: MaterialKind.LETTER.label_zh,
    MaterialKind.ITEM_LIST.value: MaterialKind.ITEM_LIST.label_zh,
    MaterialKind.DISPOSAL_EVIDENCE.value: MaterialKind.DISPOSAL_EVIDENCE.label_zh,
}


def _missing_zh(name: str) -> str:
    if name.startswith("proceeds of "):
        return f"“{name.removeprefix('proceeds of ')}”的先行处置所得款项"
    return _MISSING_ZH.get(name, name)


def check_sendable(
    *,
    matter_code: str | None,
    receiver: str | None,
    kinds: Iterable[MaterialKind],
    items: Sequence[Item],
    letter_issued: bool = False,
) -> None:
    """REF-05: refuse to send an incomplete referral, naming everything missing at once."""
    missing = []
    if not matter_code:
        missing.append("matter_code")
    if not receiver:
        missing.append("receiver")
    missing += missing_materials(kinds, items, letter_issued=letter_issued)
    if missing:
        raise MaterialsMissing(
            "the referral cannot be sent yet; missing: " + ", ".join(missing),
            zh="移送材料不齐全，暂不能移送；缺少：" + "、".join(_missing_zh(m) for m in missing),
            missing=missing,
            rule="REF-05",
        )


def proceeds_total(items: Sequence[Item]) -> Decimal:
    """REF-05: proceeds of items disposed of in advance, transferred with the case."""
    return sum((i.proceeds or Decimal("0") for i in items if i.disposed_in_advance), Decimal("0"))
