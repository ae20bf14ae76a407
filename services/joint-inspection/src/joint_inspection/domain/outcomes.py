"""INSP-07/08: what an inspection finds at a target, who handles it, and what is filed. No I/O."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from joint_inspection.errors import OutcomeIncomplete
from xietong_common.contracts.inspection import FindingOutcome, SeriousScope
from xietong_common.labels import LabelledEnum


class MaterialKind(LabelledEnum):
    """INSP-07: the records an inspection files (立卷归档)."""

    TEXT = "text", "文字记录", "written record"
    AUDIO_VISUAL = "audio-visual", "视听资料（照片、录音、录像）", "photos, audio and video"
    CLUE = "clue", "涉案线索", "clues of a case"
    EVIDENCE = "evidence", "证据材料", "evidence"
    E_DOCUMENT = "e-document", "电子执法文件", "electronic enforcement document"


@dataclass(frozen=True)
class Jurisdiction:
    """INSP-08: who has jurisdiction over a violation found at a target, and whether that
    party takes part in the inspection (then it starts its own penalty procedure)."""

    holder: str
    within: bool
    inspecting_org: str


def jurisdiction(
    *, town_level: bool, owner: str, town: str, participants: Collection[str]
) -> Jurisdiction:
    """REF-02's routing applied to a joint inspection: a matter delegated to towns belongs to
    the town where the target is; any other to the department that owns it. If that party is
    among the participants, the violation is within jurisdiction. If not, the town (属地, in
    every joint inspection) refers it: REF-01 provides no department→department referral."""
    holder = town if town_level else owner
    if holder in participants:
        return Jurisdiction(holder=holder, within=True, inspecting_org=holder)
    return Jurisdiction(holder=holder, within=False, inspecting_org=town)


@dataclass(frozen=True)
class OutcomeFacts:
    outcome: FindingOutcome
    description: str
    handling: str | None
    guidance: str | None
    matter_code: str | None
    proposed_decision_given: bool
    serious_scope: SeriousScope | None
    competent_authority: str | None


def check_outcome(facts: OutcomeFacts, *, within_jurisdiction: bool | None) -> None:
    """INSP-08: no problem → recorded; a problem that is no violation → the guidance given;
    a violation → its matter, and within jurisdiction the proposed decision (so REV-01 is
    checked); a serious one → its scope and the competent authority notified."""
    missing: list[str] = []
    o = facts.outcome
    if o is FindingOutcome.GUIDANCE and not (facts.guidance or "").strip():
        missing.append("guidance")
    if o is FindingOutcome.VIOLATION and not facts.matter_code:
        missing.append("matter_code")
    serious_or_violation = o in (FindingOutcome.VIOLATION, FindingOutcome.SERIOUS)
    if serious_or_violation and facts.matter_code and within_jurisdiction:
        if not facts.proposed_decision_given:
            missing.append("proposed_decision")
        if not (facts.handling or "").strip():
            missing.append("handling")
    if o is FindingOutcome.SERIOUS:
        if facts.serious_scope is None:
            missing.append("serious_scope")
        if not (facts.competent_authority or "").strip():
            missing.append("competent_authority")
    if missing:
        raise OutcomeIncomplete(
            f"the {o.value} outcome needs: " + ", ".join(missing),
            zh=f"“{o.label_zh}”的检查结果还需填写：" + "、".join(missing),
            outcome=o.value,
            missing=missing,
            rule="INSP-08",
        )


def signal_weight(outcome: FindingOutcome, *, violation: int, guidance: int) -> int | None:
    """INSP-02: a past finding is a signal on the target (None: no problem, no signal)."""
    if outcome is FindingOutcome.NO_PROBLEM:
        return None
    if outcome is FindingOutcome.GUIDANCE:
        return guidance
    return violation * (2 if outcome is FindingOutcome.SERIOUS else 1)


def needs_finding_event(outcome: FindingOutcome, matter_code: str | None) -> bool:
    """INSP-08: a violation (or a serious one with its matter) becomes `inspection.finding`."""
    return outcome in (FindingOutcome.VIOLATION, FindingOutcome.SERIOUS) and bool(matter_code)
