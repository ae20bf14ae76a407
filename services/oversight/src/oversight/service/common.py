"""What every oversight use case shares: the ledger's record kind and who sees what."""

from __future__ import annotations

from typing import Any

from oversight.errors import NotVisible
from oversight.models import LedgerDeadline, LedgerFact
from xietong_common.auth import Principal
from xietong_common.records import RecordKind
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG

MECHANISM = "oversight"
OVERSEERS = (OVERSIGHT_ORG, DISTRICT_GOV)
"""SUP-01: the justice bureau (督察) and the district government see every unit's figures."""

DEADLINE: RecordKind[LedgerDeadline, Any, Any] = RecordKind(
    model=LedgerDeadline,
    subject="ledger-deadline",
    mechanism=MECHANISM,
    name="ledger deadline",
    name_zh="督察台账期限",
    # A unit sees the deadlines it owed; the overseers see all (readers).
    parties=lambda d: (d.organisation,),
    readers=OVERSEERS,
    actions="ledger",
    audit_detail=lambda d: {
        "mechanism": d.mechanism,
        "deadline_id": d.deadline_id,
        "organisation": d.organisation,
    },
    sort={"due_at": LedgerDeadline.due_at, "breached_at": LedgerDeadline.breached_at},
)

FACT: RecordKind[LedgerFact, Any, Any] = RecordKind(
    model=LedgerFact,
    subject="ledger-fact",
    mechanism=MECHANISM,
    name="fact of the ledger",
    name_zh="督察台账事实",
    # SUP-01: a unit sees the facts it answers for (and the rulings on them); the overseers
    # see all. Its rulings and replies are audited under the fact (`ruling.<outcome>`).
    parties=lambda f: (f.organisation,),
    readers=OVERSEERS,
    actions="ruling",
    audit_detail=lambda f: {
        "organisation": f.organisation,
        "kind": f.kind,
        "fact_rule": f.rule,
        "fact_subject": f.subject,
    },
    not_found=NotVisible,
)


def sees_everyone(principal: Principal) -> bool:
    return principal.org in OVERSEERS
