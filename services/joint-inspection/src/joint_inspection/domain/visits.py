"""One visit instead of many (进一次门、查多项事): merging inspections of the same target planned
by different agencies within a window, and flagging re-inspections. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from xietong_common.labels import LabelledEnum
from xietong_common.reference import is_town


class MergeState(LabelledEnum):
    """A proposal to merge two work orders into one joint visit."""

    PROPOSED = "proposed", "建议合并", "merge proposed"
    MERGED = "merged", "已合并"
    DECLINED = "declined", "不予合并", "declined"
    LAPSED = "lapsed", "已失效", "lapsed (an order moved on)"


class MergeChoice(LabelledEnum):
    ACCEPT = "accept", "同意合并"
    DECLINE = "decline", "不同意合并"


def within_window(a: datetime, b: datetime, *, days: int) -> bool:
    """Two planned visits are 'the same time' when they start within `days` of each other."""
    return abs(a - b) <= timedelta(days=days)


@dataclass(frozen=True)
class OrderRef:
    id: str
    initiating_org: str
    created_at: datetime


def survivor(a: OrderRef, b: OrderRef) -> tuple[OrderRef, OrderRef]:
    """(kept, absorbed): the town's order leads (属地统一指挥), else the earlier one."""
    if is_town(a.initiating_org) != is_town(b.initiating_org):
        return (a, b) if is_town(a.initiating_org) else (b, a)
    return (a, b) if (a.created_at, a.id) <= (b.created_at, b.id) else (b, a)


def decided(accepts: set[str], declines: set[str], initiators: set[str]) -> MergeState:
    """Both initiators accept → merged; either declines → declined; else still proposed."""
    if declines:
        return MergeState.DECLINED
    if initiators <= accepts:
        return MergeState.MERGED
    return MergeState.PROPOSED
