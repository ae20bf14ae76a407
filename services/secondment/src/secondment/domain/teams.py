"""Teams (指导队伍) and their roster versions: SEC-01/SEC-02 modes and towns, the order in which
versions take effect (SEC-04), who sees what. Pure: no I/O."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from secondment.errors import (
    EffectiveDateRefused,
    TeamInvalidTransition,
    TownsDoNotFitMode,
    WrongMode,
)
from xietong_common.errors import AppError, InvalidInput
from xietong_common.labels import LabelledEnum
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG, SecondmentMode
from xietong_common.states import Transitions

OVERSIGHT = frozenset({OVERSIGHT_ORG, DISTRICT_GOV})
"""区司法局 and 区政府 see every team, officer and activity (SEC-01: "see all")."""


class TeamStatus(LabelledEnum):
    """指导队伍的状态."""

    ACTIVE = "active", "在册", "in force"
    DISSOLVED = "dissolved", "已撤销"


class TeamStep(LabelledEnum):
    """What a department does to one of its teams."""

    EDIT = "edit", "修改队伍信息", "edit the team"
    IMPORT = "import", "导入名单", "import its roster"
    DISSOLVE = "dissolve", "撤销队伍", "dissolve the team"


def _refuse(status: TeamStatus, step: TeamStep, allowed: frozenset[TeamStatus]) -> AppError:
    return TeamInvalidTransition(
        f"a team that is {status.value} cannot {step.label_en}",
        zh=f"处于“{status.label_zh}”状态的队伍不能“{step.label_zh}”",
        state=status.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
    )


TRANSITIONS: Transitions[TeamStatus, TeamStep] = Transitions(
    {
        TeamStep.EDIT: ({TeamStatus.ACTIVE}, None),
        TeamStep.IMPORT: ({TeamStatus.ACTIVE}, None),
        TeamStep.DISSOLVE: ({TeamStatus.ACTIVE}, TeamStatus.DISSOLVED),
    },
    refuse=_refuse,
)


class VersionKind(LabelledEnum):
    """How a version of a department's roster (名单版本) came about."""

    TEAM_CREATED = "team-created", "新建队伍", "team created"
    IMPORTED = "imported", "导入名单", "roster imported"
    TEAM_EDITED = "team-edited", "修改队伍信息", "team edited"
    TEAM_DISSOLVED = "team-dissolved", "撤销队伍", "team dissolved"


@dataclass(frozen=True, order=True)
class Member:
    """下沉人员: one officer as one version of his team's roster lists him."""

    officer_id: str
    name: str
    certificate_number: str
    certificate_valid_from: date | None
    certificate_valid_until: date
    towns: tuple[str, ...]
    all_team_towns: bool
    position: str | None = None
    staff_number: str | None = None


@dataclass(frozen=True)
class TeamSnapshot:
    """One version of a team (指导队伍) with its whole roster."""

    team_id: str
    version: int
    department: str
    mode: SecondmentMode
    name: str
    zone_name: str | None
    towns: tuple[str, ...]
    valid_from: date
    valid_until: date | None
    leader: str | None
    contact: str | None
    effective_from: date
    dissolved: bool
    members: tuple[Member, ...]
    changed_at: datetime | None = None

    @property
    def status(self) -> TeamStatus:
        return TeamStatus.DISSOLVED if self.dissolved else TeamStatus.ACTIVE

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def next_version(self, *, effective_from: date, **changes: Any) -> TeamSnapshot:
        """The next version of this team from `effective_from`, with `changes`."""
        return replace(self, version=self.version + 1, effective_from=effective_from, **changes)


# ---- SEC-02: the mode is the department's, and fixes how many towns a team serves -------------


def check_mode(
    *, department: str, department_mode: SecondmentMode, asked: SecondmentMode | None
) -> None:
    """SEC-02: the attachments' titles fix each department's mode; a team of the other is refused."""
    if asked is not None and asked is not department_mode:
        raise WrongMode(
            f"{department} sends {department_mode.label_en} teams ({department_mode.label_zh}) "
            f"under the notice's attachments; a {asked.label_en} team is refused",
            zh=f"按通知附件，{department} 的下沉方式为“{department_mode.label_zh}”，"
            f"不能设立“{asked.label_zh}”队伍",
            department=department,
            department_mode=department_mode.value,
            asked_mode=asked.value,
            rule="SEC-02",
        )


def check_towns(mode: SecondmentMode, towns: Sequence[str], *, zone_min_towns: int) -> None:
    """SEC-02: a stationed team (派驻) serves exactly one town; a zone team (划片) a zone of
    at least `zone_min_towns` towns (a setting: a zone of one town is stationing by another name)."""
    if mode is SecondmentMode.STATIONED and len(towns) != 1:
        raise TownsDoNotFitMode(
            f"a stationed team serves exactly one town, not {len(towns)}",
            zh=f"派驻队伍只服务一个乡镇（街道），不能是 {len(towns)} 个",
            mode=mode.value,
            towns=list(towns),
            rule="SEC-02",
        )
    if mode is SecondmentMode.ZONE and len(towns) < zone_min_towns:
        raise TownsDoNotFitMode(
            f"a zone team covers a zone of at least {zone_min_towns} towns, not {len(towns)}",
            zh=f"划片队伍至少覆盖 {zone_min_towns} 个乡镇（街道），不能是 {len(towns)} 个",
            mode=mode.value,
            towns=list(towns),
            minimum=zone_min_towns,
            rule="SEC-02",
        )


def check_validity(valid_from: date, valid_until: date | None) -> None:
    """A team's period of validity ends on or after the day it begins."""
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput(
            f"the team's period of validity would end ({valid_until}) before it begins "
            f"({valid_from})",
            zh=f"队伍有效期截止日（{valid_until}）早于起始日（{valid_from}）",
        )


def team_key(name: str) -> str:
    """A team's name as sheets are matched to it: full-width and half-width forms alike
    (（样例） = (样例)), no spaces — what a clerk's retyping changes without meaning to."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


# ---- SEC-04: versions take effect in order, never back-dated past the setting ----------------


def check_effective(
    effective_from: date,
    *,
    today: date,
    max_backdate_days: int,
    not_before: date | None,
    what_en: str,
    what_zh: str,
) -> None:
    """A version takes effect no earlier than `today - max_backdate_days` (so a list is not
    rewritten after the fact to cover an act), and no earlier than `not_before` (the latest
    version it follows: the version in effect on a day is the newest that has begun)."""
    earliest = today - timedelta(days=max_backdate_days)
    if effective_from < earliest:
        raise EffectiveDateRefused(
            f"{what_en} cannot take effect on {effective_from}, before {earliest}: rosters are "
            "not back-dated",
            zh=f"{what_zh}不能自 {effective_from} 起生效（早于 {earliest}）：名单不得倒签",
            effective_from=effective_from.isoformat(),
            earliest=earliest.isoformat(),
            rule="SEC-04",
        )
    if not_before is not None and effective_from < not_before:
        raise EffectiveDateRefused(
            f"{what_en} cannot take effect on {effective_from}: the version it follows takes "
            f"effect on {not_before}; versions take effect in order",
            zh=f"{what_zh}不能自 {effective_from} 起生效：其前一版本自 {not_before} 起生效，"
            "各版本须按顺序生效",
            effective_from=effective_from.isoformat(),
            earliest=not_before.isoformat(),
            rule="SEC-04",
        )


def in_effect(versions: Iterable[TeamSnapshot], day: date) -> TeamSnapshot | None:
    """The version in effect on `day`: the newest whose effective date has come."""
    begun = [v for v in versions if v.effective_from <= day]
    return max(begun, key=lambda v: v.version) if begun else None


# ---- who sees what (SEC-01: 共用共管) -----------------------------------------------------------


def sees_all(org: str) -> bool:
    """The justice bureau and the district government see every team, officer and activity."""
    return org in OVERSIGHT
