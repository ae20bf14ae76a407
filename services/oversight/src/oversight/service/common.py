"""What every oversight use case shares: the ledger's record kind and who sees what."""

from __future__ import annotations

from typing import Any

from oversight.models import LedgerDeadline
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


def sees_everyone(principal: Principal) -> bool:
    return principal.org in OVERSEERS
