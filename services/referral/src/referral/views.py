"""Responses read from the rows (`View.of`: every field the row has, by name; the rest given)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from referral.domain import MaterialKind, ReferralState
from referral.models import CooperationRequest, Referral, ReferralMaterial
from referral.schemas import (
    CooperationOut,
    DeadlineOut,
    ItemOut,
    MaterialOut,
    ReferralOut,
    ReferralSummary,
    StateOut,
)
from xietong_common.documents import IssuedDocument
from xietong_common.documents.schemas import document_out
from xietong_common.listing import is_overdue, next_due


def _labels(r: Referral) -> dict[str, Any]:
    return {
        "state": StateOut.of(ReferralState(r.state)),
        "possible_onward": bool(r.possible_onward_of),
        "onward_suspicions": r.onward_suspicions or [],
    }


def _period(r: Referral) -> dict[str, Any]:
    return {"conclusion_period_changes": r.conclusion_period_changes or []}


def summary_of(r: Referral, *, next_due: DeadlineOut | None, overdue: bool) -> ReferralSummary:
    return ReferralSummary.of(r, **_labels(r), next_due=next_due, overdue=overdue)


def detail_of(
    r: Referral,
    *,
    deadlines: list[DeadlineOut],
    documents: list[IssuedDocument],
    now: datetime,
) -> ReferralOut:
    return ReferralOut.of(
        r,
        **_labels(r),
        **_period(r),
        next_due=next_due(deadlines),
        overdue=is_overdue(deadlines, now),
        items=[ItemOut.of(i) for i in r.items],
        materials=[material_out(m) for m in r.materials],
        cooperation_requests=[cooperation_out(c) for c in r.cooperation_requests],
        deadlines=deadlines,
        documents=[document_out(d) for d in documents],
    )


def material_out(m: ReferralMaterial) -> MaterialOut:
    return MaterialOut.of(m, kind_zh=MaterialKind(m.kind).label_zh)


def cooperation_out(c: CooperationRequest) -> CooperationOut:
    return CooperationOut.of(c)
