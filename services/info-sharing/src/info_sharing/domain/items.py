"""An item's life: states and their transitions, who sees it, versions. Pure.

A typed-in item starts as a draft its publisher completes (attachments, the statistics
table), then is published; an item made from another mechanism's record (INFO-04) is
published at once. A newer version replaces a published item: the older one stays
readable, marked superseded, and points at its successor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from info_sharing.domain.categories import NEEDS_TABLE, TABLE_TYPES, Category
from info_sharing.errors import (
    InfoInvalidTransition,
    ItemNotFound,
    SupersedeConflict,
    TableMissing,
)
from xietong_common.errors import AppError
from xietong_common.labels import LabelledEnum
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.states import Transitions


class ItemState(LabelledEnum):
    """Where an item stands."""

    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被新版本替代", "superseded by a newer version"


class Step(LabelledEnum):
    """What can happen to an item."""

    EDIT = "edit", "修改草稿", "edit the draft"
    ATTACH = "attach", "添加附件", "attach a file"
    DISCARD = "discard", "删除草稿", "discard the draft"
    PUBLISH = "publish", "发布"
    SUPERSEDE = "supersede", "被新版本替代", "be replaced by a newer version"
    UPDATE_FROM_SOURCE = "update-from-source", "按来源更新", "update from its source record"


S = ItemState


def _refuse(state: ItemState, step: Step, allowed: frozenset[ItemState]) -> AppError:
    return InfoInvalidTransition(
        f"an item in state {state.value} ({state.label_en}) cannot {step.label_en}",
        zh=f"处于“{state.label_zh}”状态的信息不能执行“{step.label_zh}”",
        state=state.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
        rule="INFO-01",
    )


TRANSITIONS: Transitions[ItemState, Step] = Transitions(
    {
        Step.EDIT: ({S.DRAFT}, None),
        Step.ATTACH: ({S.DRAFT}, None),
        Step.DISCARD: ({S.DRAFT}, None),
        Step.PUBLISH: ({S.DRAFT}, S.PUBLISHED),
        Step.SUPERSEDE: ({S.PUBLISHED}, S.SUPERSEDED),
        # a complaint's status or an inspection's findings change on the record as published
        Step.UPDATE_FROM_SOURCE: ({S.PUBLISHED, S.SUPERSEDED}, None),
    },
    refuse=_refuse,
)


def next_state(state: ItemState, step: Step) -> ItemState:
    return TRANSITIONS.next(state, step)


# ---- who sees an item ----------------------------------------------------------------------


@dataclass(frozen=True)
class Visibility:
    """Published items are shared among the coordinating parties; a restricted one only
    with its publisher, the organisations it names, and oversight (the justice bureau,
    which oversees how the sharing duty is performed, SUP-01). A draft is its publisher's."""

    publisher: str
    state: ItemState
    restricted: bool
    audience: frozenset[str]

    def sees(self, org: str) -> bool:
        if org == self.publisher:
            return True
        if self.state is ItemState.DRAFT:
            return False
        if not self.restricted:
            return not org.startswith("system:")
        return org in self.audience or org == OVERSIGHT_ORG


def ensure_visible(visibility: Visibility, org: str) -> None:
    """Others get 404, never a hint that the item exists."""
    if not visibility.sees(org):
        raise ItemNotFound("no such item", zh="未找到该信息")


def audience_of(
    given: Iterable[str] | None, *, publisher: str, required: Iterable[str] = ()
) -> tuple[bool, list[str]]:
    """(restricted, audience): `None` shares with every coordinating party; a list restricts
    the item to those organisations, to which `required` ones are always added (category 4:
    the departments that asked for the feedback)."""
    needed = set(required) - {publisher}
    if given is None and not needed:
        return False, []
    names = (set(given or ()) | needed) - {publisher}
    return True, sorted(names)


# ---- versions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Current:
    """What a new version needs to know about the version it replaces."""

    publisher: str
    category: Category
    state: ItemState
    superseded_by: str | None


def check_supersedable(current: Current, *, publisher: str, category: Category) -> None:
    """A publisher replaces its own current item, keeping the category."""
    if current.publisher != publisher:
        raise ItemNotFound("no such item to replace", zh="未找到要替代的信息")
    problems = []
    if current.state is not ItemState.PUBLISHED:
        problems.append(f"it is {current.state.value}, not published")
    if current.category is not category:
        problems.append(f"a new version keeps the category {current.category.value}")
    if problems:
        raise SupersedeConflict(
            "this item cannot be replaced: " + "; ".join(problems),
            zh="该信息不能被新版本替代：只能替代本机构已发布的现行版本，且类别不变",
            state=current.state.value,
            category=current.category.value,
            superseded_by=current.superseded_by,
            rule="INFO-01",
        )


def check_publishable(category: Category, attachment_types: Iterable[str]) -> None:
    """INFO-01 (5): statistics go out with their table."""
    if category in NEEDS_TABLE and not TABLE_TYPES.intersection(attachment_types):
        raise TableMissing(
            "statistics are published with their table: attach an xlsx, xls or csv file first",
            zh="统计分析数据须先上传数据表（xlsx、xls 或 csv）再发布",
            accepted_types=sorted(TABLE_TYPES),
            rule="INFO-01",
        )
