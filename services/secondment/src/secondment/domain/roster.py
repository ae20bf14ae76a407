"""A department's roster (SEC-02, attachments 1–11): placing the rows of an imported sheet on
its teams, the versions an import makes, and the difference between two versions. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from secondment.domain.teams import Member, TeamSnapshot, team_key
from xietong_common.labels import LabelledEnum


class ImportOutcome(LabelledEnum):
    """What an import did."""

    CREATED = "created", "已生成新版本", "a new roster version"
    UNCHANGED = "unchanged", "名单未变化", "the same content as the latest version: nothing new"
    PREVIEW = "preview", "预览（未保存）", "preview only: nothing stored"


@dataclass(frozen=True)
class SheetRow:
    """One row of a roster sheet, its officer already matched (or newly identified)."""

    row: int
    officer_id: str
    team_name: str
    name: str
    certificate_number: str
    certificate_valid_from: date | None
    certificate_valid_until: date
    towns: tuple[str, ...] | None  # None: every town of the team
    position: str | None = None
    staff_number: str | None = None


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one cell (`field` names the row model's field) of a sheet."""

    row: int
    field: str | None
    zh: str
    en: str


@dataclass(frozen=True)
class RowWarning:
    """Something an importing clerk should know that does not stop the import."""

    row: int
    name: str
    certificate_number: str
    zh: str
    en: str


def place_rows(
    teams: Sequence[TeamSnapshot], rows: Sequence[SheetRow]
) -> tuple[dict[str, tuple[Member, ...]], list[RowProblem]]:
    """Each row on the team it names (the department's teams in force, by name), every problem
    named by row and column: an unknown or dissolved team, towns outside the team's, an
    officer listed twice, a certificate that ends before it begins."""
    in_force = {team_key(t.name): t for t in teams if not t.dissolved}
    dissolved = {team_key(t.name) for t in teams if t.dissolved} - set(in_force)
    placed: dict[str, list[Member]] = {t.team_id: [] for t in in_force.values()}
    problems: list[RowProblem] = []
    first_row: dict[tuple[str, str], int] = {}

    def problem(row: int, field: str | None, zh: str, en: str) -> None:
        problems.append(RowProblem(row, field, zh, en))

    for r in rows:
        before = len(problems)
        for key, field, label_zh, label_en in (
            (r.certificate_number, "certificate_number", "执法证号", "certificate number"),
            (r.staff_number, "staff_number", "人员编号", "staff number"),
            (r.officer_id, "certificate_number", "人员", "officer"),
        ):
            if key is None:
                continue
            earlier = first_row.setdefault((field + label_en, key), r.row)
            if earlier != r.row:
                problem(
                    r.row,
                    field,
                    f"{label_zh}与第 {earlier} 行重复：同一人只能列一次",
                    f"the same {label_en} as row {earlier}: an officer is listed once",
                )
                break
        if r.certificate_valid_from and r.certificate_valid_from > r.certificate_valid_until:
            problem(
                r.row,
                "certificate_valid_from",
                "执法证有效期起始日晚于截止日",
                "the certificate's validity begins after it ends",
            )
        team = in_force.get(team_key(r.team_name))
        if team is None:
            if team_key(r.team_name) in dissolved:
                problem(
                    r.row,
                    "team",
                    f"队伍「{r.team_name}」已撤销",
                    f"the team {r.team_name!r} has been dissolved",
                )
            else:
                problem(
                    r.row,
                    "team",
                    f"本部门没有名为「{r.team_name}」的在册队伍（请先新建队伍）",
                    f"the department has no team in force named {r.team_name!r} "
                    "(create it first: POST /teams)",
                )
            continue
        outside = [t for t in r.towns or () if t not in team.towns]
        if outside:
            problem(
                r.row,
                "towns",
                f"{'、'.join(outside)} 不在队伍「{team.name}」的服务范围内",
                f"{', '.join(outside)} not among the towns of the team {team.name!r}",
            )
        if len(problems) > before:
            continue
        placed[team.team_id].append(
            Member(
                officer_id=r.officer_id,
                name=r.name,
                certificate_number=r.certificate_number,
                certificate_valid_from=r.certificate_valid_from,
                certificate_valid_until=r.certificate_valid_until,
                towns=tuple(sorted(set(r.towns))) if r.towns else team.towns,
                all_team_towns=not r.towns,
                position=r.position,
                staff_number=r.staff_number,
            )
        )
    return {team_id: tuple(sorted(ms)) for team_id, ms in placed.items()}, problems


def plan_import(
    teams: Sequence[TeamSnapshot], placed: Mapping[str, tuple[Member, ...]], *, effective_from: date
) -> list[TeamSnapshot]:
    """The new versions an import makes: one for each team in force whose roster it changes
    (a team the sheet does not mention is left with nobody). Empty: the sheet changes nothing."""
    return [
        team.next_version(effective_from=effective_from, members=placed.get(team.team_id, ()))
        for team in teams
        if not team.dissolved and placed.get(team.team_id, ()) != team.members
    ]


def retown(
    members: Iterable[Member], towns: tuple[str, ...]
) -> tuple[tuple[Member, ...], list[Member]]:
    """Members after their team's towns change: those serving all its towns serve the new ones,
    the others keep the towns that remain. Also returns who would be left serving none."""
    kept: list[Member] = []
    stranded: list[Member] = []
    for m in members:
        if m.all_team_towns:
            kept.append(replace(m, towns=towns))
            continue
        remaining = tuple(t for t in m.towns if t in towns)
        if not remaining:
            stranded.append(m)
        kept.append(replace(m, towns=remaining))
    return tuple(sorted(kept)), stranded


def certificate_warnings(
    rows: Sequence[SheetRow], *, effective_from: date, warning_days: int
) -> list[RowWarning]:
    """Certificates already expired on the effective date, or expiring within `warning_days`:
    such an officer stays on the list but may not act once it has expired (SEC-04)."""
    soon = effective_from + timedelta(days=warning_days)
    warnings = []
    for r in rows:
        until = r.certificate_valid_until
        if until < effective_from:
            zh, en = f"执法证已于 {until} 过期", f"the certificate expired on {until}"
        elif until < soon:
            zh, en = f"执法证将于 {until} 到期", f"the certificate expires on {until}"
        else:
            continue
        warnings.append(RowWarning(r.row, r.name, r.certificate_number, zh, en))
    return warnings


# ---- the difference between two versions of a department's roster ----------------------------


class ChangeKind(LabelledEnum):
    """How an officer's place differs between two roster versions."""

    JOINED = "joined", "新增人员", "joined"
    LEFT = "left", "减少人员", "left"
    MOVED_TEAM = "moved-team", "调整队伍", "moved to another team"
    TOWNS_CHANGED = "towns-changed", "调整服务乡镇（街道）", "serves other towns"
    CERTIFICATE_CHANGED = "certificate-changed", "执法证变更", "certificate or its validity changed"
    DETAILS_CHANGED = (
        "details-changed",
        "姓名、职务或人员编号变更",
        "name, position or staff number changed",
    )


class TeamChangeKind(LabelledEnum):
    """How a team differs between two roster versions."""

    ADDED = "added", "新建队伍", "team added"
    DISSOLVED = "dissolved", "撤销队伍", "team dissolved"
    RENAMED = "renamed", "队伍更名", "renamed"
    TOWNS_CHANGED = "towns-changed", "服务乡镇（街道）调整", "serves other towns"
    VALIDITY_CHANGED = "validity-changed", "有效期调整", "period of validity changed"
    LEADERSHIP_CHANGED = "leadership-changed", "队长或联系方式变更", "leader or contact changed"


@dataclass(frozen=True)
class Placement:
    """Where a roster version places an officer."""

    team_id: str
    team_name: str
    member: Member


@dataclass(frozen=True)
class OfficerChange:
    officer_id: str
    name: str
    kinds: tuple[ChangeKind, ...]
    before: Placement | None
    after: Placement | None


@dataclass(frozen=True)
class TeamChange:
    team_id: str
    name: str
    kinds: tuple[TeamChangeKind, ...]
    before: TeamSnapshot | None
    after: TeamSnapshot | None


def placements(teams: Iterable[TeamSnapshot]) -> dict[str, Placement]:
    """Every officer on the roster of a team in force (a dissolved team's officers have left)."""
    return {
        m.officer_id: Placement(t.team_id, t.name, m)
        for t in teams
        if not t.dissolved
        for m in t.members
    }


def diff(base: Mapping[str, Placement], target: Mapping[str, Placement]) -> list[OfficerChange]:
    """Who joined, left, moved team or towns, had the certificate or other details changed."""
    changes = []
    for officer_id in base.keys() | target.keys():
        b, a = base.get(officer_id), target.get(officer_id)
        kinds: list[ChangeKind] = []
        if b is None:
            kinds.append(ChangeKind.JOINED)
        elif a is None:
            kinds.append(ChangeKind.LEFT)
        else:
            bm, am = b.member, a.member
            if b.team_id != a.team_id:
                kinds.append(ChangeKind.MOVED_TEAM)
            if set(bm.towns) != set(am.towns):
                kinds.append(ChangeKind.TOWNS_CHANGED)
            if (bm.certificate_number, bm.certificate_valid_from, bm.certificate_valid_until) != (
                am.certificate_number,
                am.certificate_valid_from,
                am.certificate_valid_until,
            ):
                kinds.append(ChangeKind.CERTIFICATE_CHANGED)
            if (bm.name, bm.position, bm.staff_number) != (am.name, am.position, am.staff_number):
                kinds.append(ChangeKind.DETAILS_CHANGED)
        if kinds:
            shown = a or b
            assert shown is not None
            changes.append(OfficerChange(officer_id, shown.member.name, tuple(kinds), b, a))
    changes.sort(key=lambda c: (c.kinds[0].number, c.name, c.officer_id))
    return changes


def team_diff(
    base: Mapping[str, TeamSnapshot], target: Mapping[str, TeamSnapshot]
) -> list[TeamChange]:
    """Teams added, dissolved, renamed, given other towns, validity, leader or contact."""
    changes = []
    for team_id in base.keys() | target.keys():
        b, a = base.get(team_id), target.get(team_id)
        kinds: list[TeamChangeKind] = []
        if a is None:
            continue  # a team is never removed from a later version, only dissolved
        if b is None:
            kinds.append(TeamChangeKind.DISSOLVED if a.dissolved else TeamChangeKind.ADDED)
        else:
            if a.dissolved and not b.dissolved:
                kinds.append(TeamChangeKind.DISSOLVED)
            if a.name != b.name:
                kinds.append(TeamChangeKind.RENAMED)
            if set(a.towns) != set(b.towns):
                kinds.append(TeamChangeKind.TOWNS_CHANGED)
            if (a.valid_from, a.valid_until) != (b.valid_from, b.valid_until):
                kinds.append(TeamChangeKind.VALIDITY_CHANGED)
            if (a.leader, a.contact) != (b.leader, b.contact):
                kinds.append(TeamChangeKind.LEADERSHIP_CHANGED)
        if kinds:
            changes.append(TeamChange(team_id, a.name, tuple(kinds), b, a))
    changes.sort(key=lambda c: (c.kinds[0].number, c.name, c.team_id))
    return changes


def counts(changes: Iterable[OfficerChange]) -> dict[str, int]:
    """How many officers had each kind of change (one officer may count under several)."""
    out = {kind.value: 0 for kind in ChangeKind}
    for change in changes:
        for kind in change.kinds:
            out[kind.value] += 1
    return out


@dataclass(frozen=True)
class RosterDiff:
    """SEC-02: what changed between two versions of a department's roster (a page of it)."""

    department: str
    base: int
    target: int
    counts: dict[str, int]
    teams: list[TeamChange]
    officers: list[OfficerChange]
    total: int
