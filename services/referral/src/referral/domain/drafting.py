"""The sender's rules of 案件移送: routing (REF-01/02), its deadlines (REF-03/04), facts and
materials (REF-04/05) and recognising an onward referral in disguise (REF-08). No I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from rapidfuzz import fuzz

from referral.domain.common import is_department, is_town
from referral.errors import (
    DirectionNotCovered,
    ImplausibleTime,
    MaterialsMissing,
    NoJurisdiction,
    OnwardReferralForbidden,
    OwnJurisdiction,
    StopMeasureMissing,
)
from xietong_common.calendar import DeadlineRule
from xietong_common.labels import LabelledEnum

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
            zh="移送材料不齐全，暂不能移送；缺少：" + "、".join(_missing_zh(m) for m in missing),
            missing=missing,
            rule="REF-05",
        )


def proceeds_total(items: Sequence[Item]) -> Decimal:
    """REF-05: proceeds of items disposed of in advance, transferred with the case."""
    return sum((i.proceeds or Decimal("0") for i in items if i.disposed_in_advance), Decimal("0"))


# ---- REF-08: an onward referral in disguise --------------------------------------------------


class Ground(LabelledEnum):
    """Why a new referral looks like a case its sender received (REF-08)."""

    SAME_PARTY = "same-party", "当事人相同(统一社会信用代码/身份证件号码)", "the same party"
    SIMILAR_FACTS = "similar-facts", "案件事实相同或基本相同", "the same or nearly the same facts"
    SAME_PLACE_AND_MATTER = (
        "same-place-and-matter",
        "同一地点、同一事项且发现时间相近",
        "the same place and matter, found within the window",
    )


@dataclass(frozen=True)
class CaseKey:
    """What tells one case from another: the party, the facts, the place, the matter, when."""

    facts: str
    found_at: datetime
    party_id: str | None = None
    party_name: str | None = None
    party_is_organisation: bool = False
    matter_code: str | None = None
    place_town: str | None = None


@dataclass(frozen=True)
class Resemblance:
    """A received, unfinished case that a new referral resembles, and why."""

    referral_id: str
    grounds: tuple[Ground, ...]
    facts_similarity: float


_NOT_WORD = re.compile(r"[\W_]+")


def normalise_text(text: str) -> str:
    """Facts as compared: full-width folded to half-width (NFKC), case, spacing and
    punctuation dropped, so re-punctuating or re-spacing the facts changes nothing."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text)).casefold()


def normalise_identity(number: str | None) -> str | None:
    """A credit code or ID number as compared: letters and digits only, upper case."""
    if not number:
        return None
    value = _NOT_WORD.sub("", unicodedata.normalize("NFKC", number)).upper()
    return value or None


def normalise_name(name: str | None) -> str | None:
    value = normalise_text(name or "")
    return value or None


# Below this many characters a passage found inside longer facts proves little ("排污").
MIN_PASSAGE = 12


def facts_similarity(a: str, b: str) -> float:
    """How alike two statements of facts are, 0..1, on characters (Chinese has no spaces):
    the normalised Indel similarity of the whole texts, or — so that padding the facts with
    more text does not hide them — of the shorter text against its best-matching passage of
    the longer, once the shorter is long enough to mean something (rapidfuzz)."""
    x, y = normalise_text(a), normalise_text(b)
    if not x or not y:
        return 0.0
    whole = fuzz.ratio(x, y) / 100
    if min(len(x), len(y)) < MIN_PASSAGE:
        return whole
    return max(whole, fuzz.partial_ratio(x, y) / 100)


# A name this short ("某厂") could be part of many others' names or facts.
MIN_NAME = 4


def _same_party(a: CaseKey, b: CaseKey) -> bool:
    """`a`'s party is `b`'s: the same credit code or ID; an organisation's same name
    (a citizen's name, "张三", is many people's); or `b` leaves the party out but names `a`'s
    organisation, or its number, in its facts."""
    if a.party_id and (a.party_id == b.party_id or a.party_id.casefold() in _facts(b)):
        return True
    if not (a.party_name and a.party_is_organisation):
        return False
    return a.party_name == b.party_name or (
        len(a.party_name) >= MIN_NAME and a.party_name in _facts(b)
    )


def _facts(key: CaseKey) -> str:
    return normalise_text(key.facts)


def resemblance(
    new: CaseKey, held: CaseKey, *, held_id: str, facts_threshold: float, window: timedelta
) -> Resemblance | None:
    """REF-08: does a new referral look like the held case? Any one ground is enough: the
    same party (by credit code or ID, an organisation's name, or named in the other's facts),
    the same or nearly the same facts, or the same place and matter found within `window` of
    each other."""
    grounds: list[Ground] = []
    if _same_party(new, held) or _same_party(held, new):
        grounds.append(Ground.SAME_PARTY)
    score = facts_similarity(new.facts, held.facts)
    if score >= facts_threshold:
        grounds.append(Ground.SIMILAR_FACTS)
    if (
        new.matter_code
        and new.place_town
        and (new.matter_code, new.place_town) == (held.matter_code, held.place_town)
        and abs(new.found_at - held.found_at) <= window
    ):
        grounds.append(Ground.SAME_PLACE_AND_MATTER)
    if not grounds:
        return None
    return Resemblance(referral_id=held_id, grounds=tuple(grounds), facts_similarity=score)


def check_not_onward(resembling: Sequence[Resemblance], *, distinct_reason: str | None) -> None:
    """REF-08: a new referral resembling a case its sender received and has not finished is
    refused as a likely onward referral, unless the sender states why it is a different case
    (that statement is recorded and shown to oversight)."""
    if not resembling or (distinct_reason and distinct_reason.strip()):
        return
    ids = [r.referral_id for r in resembling]
    raise OnwardReferralForbidden(
        "this referral resembles a case referred to you that you have not finished "
        f"({', '.join(ids)}); a received case may not be referred on (不得再行移送). If it is "
        "not within your jurisdiction, report it to the district government "
        "(POST /referrals/{id}/answer, decision report-to-district-gov); if this is a "
        "different case, say why in distinct_case_reason",
        zh="该移送与本单位受移送且尚未办结的案件相似，受移送的案件不得再行移送。如认为不属于本单位"
        "管辖，应书面报请区政府决定；如确属另一案件，请在 distinct_case_reason 中说明理由",
        similar_to=[
            {
                "referral_id": r.referral_id,
                "grounds": [g.value for g in r.grounds],
                "facts_similarity": round(r.facts_similarity, 2),
            }
            for r in resembling
        ],
        state_reason_in="distinct_case_reason",
        rule="REF-08",
    )
