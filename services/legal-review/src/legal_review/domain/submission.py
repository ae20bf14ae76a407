"""REV-01 and REV-04 of 法制审核 (涪陵府办〔2024〕1号 二(四)): when review is needed, what to submit.

No I/O. REV-01's triggers live in `xietong_common.mechanisms.review_triggers`, because joint
inspection evaluates them too (INSP-08: a violation found on site says whether its penalty
will need legal review); they are handed on here.
"""

from __future__ import annotations

from collections.abc import Iterable

from xietong_common.labels import LabelledEnum
from xietong_common.mechanisms.review_triggers import (
    CITIZEN_THRESHOLD as CITIZEN_THRESHOLD,
)
from xietong_common.mechanisms.review_triggers import (
    JUDGEMENT_TRIGGERS as JUDGEMENT_TRIGGERS,
)
from xietong_common.mechanisms.review_triggers import (
    ORGANISATION_THRESHOLD as ORGANISATION_THRESHOLD,
)
from xietong_common.mechanisms.review_triggers import PenaltyAdjustment as PenaltyAdjustment
from xietong_common.mechanisms.review_triggers import ProposedDecision as ProposedDecision
from xietong_common.mechanisms.review_triggers import Trigger as Trigger
from xietong_common.mechanisms.review_triggers import TriggerHit as TriggerHit
from xietong_common.mechanisms.review_triggers import amount_threshold as amount_threshold
from xietong_common.mechanisms.review_triggers import evaluate_triggers as evaluate_triggers


class RequestState(LabelledEnum):
    """INSP-08/REV-01: where a joint inspection's review request stands."""

    PENDING = "pending", "待送审", "waiting for the town's submission"
    SUBMITTED = "submitted", "已送审", "submitted for review"
    DECIDED = "decided", "已审核决定", "decided after the review"
    WITHDRAWN = "withdrawn", "已撤回", "withdrawn by the town, with its reason"


class MaterialKind(LabelledEnum):
    """REV-04: what the brigade submits."""

    INVESTIGATION_REPORT = "investigation-report", "调查终结报告"
    PROPOSED_DECISION = "proposed-decision", "重大行政执法决定建议及情况说明"
    EVIDENCE = "evidence", "相关证据资料"
    HEARING_RECORD = "hearing-record", "听证笔录"
    ASSESSMENT_REPORT = "assessment-report", "评估报告"
    OTHER = "other", "其他材料"


def required_materials(*, hearing: bool, assessed: bool) -> list[MaterialKind]:
    """REV-04: (1)(2)(3) always; (4) the hearing record or assessment report where there was one."""
    kinds = [
        MaterialKind.INVESTIGATION_REPORT,
        MaterialKind.PROPOSED_DECISION,
        MaterialKind.EVIDENCE,
    ]
    if hearing:
        kinds.append(MaterialKind.HEARING_RECORD)
    if assessed:
        kinds.append(MaterialKind.ASSESSMENT_REPORT)
    return kinds


def missing_materials(
    present: Iterable[MaterialKind], *, hearing: bool, assessed: bool
) -> list[MaterialKind]:
    have = set(present)
    return [k for k in required_materials(hearing=hearing, assessed=assessed) if k not in have]


def placeholder_kinds(
    materials: Iterable[tuple[MaterialKind, str]], *, hearing: bool, assessed: bool
) -> list[MaterialKind]:
    """REV-04: required kinds left without a document of their own. Each required kind needs a
    distinct file (by SHA-256): one placeholder uploaded as the investigation report, the
    proposed decision and the evidence is one material, not three. Files are matched to kinds
    so that as many kinds as possible get one (a bipartite matching, by augmenting paths); the
    kinds that have files yet cannot get one of their own are returned."""
    required = required_materials(hearing=hearing, assessed=assessed)
    digests: dict[MaterialKind, list[str]] = {k: [] for k in required}
    for kind, sha256 in materials:
        if kind in digests and sha256 not in digests[kind]:
            digests[kind].append(sha256)
    owner: dict[str, MaterialKind] = {}

    def assign(kind: MaterialKind, seen: set[str]) -> bool:
        for sha256 in digests[kind]:
            if sha256 in seen:
                continue
            seen.add(sha256)
            if sha256 not in owner or assign(owner[sha256], seen):
                owner[sha256] = kind
                return True
        return False

    return [k for k in required if digests[k] and not assign(k, set())]
