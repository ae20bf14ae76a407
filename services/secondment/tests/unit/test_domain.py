"""The rules of 下沉指导 without servers: modes and towns (SEC-02), versions in order
(SEC-04), a sheet placed on the teams and two versions compared (SEC-02), SEC-03 and SEC-05."""

from __future__ import annotations

from datetime import date

import pytest

from secondment.domain.guidance import check_activity
from secondment.domain.personnel import check_note_author, check_personnel_editor
from secondment.domain.roster import (
    ChangeKind,
    SheetRow,
    TeamChangeKind,
    certificate_warnings,
    counts,
    diff,
    place_rows,
    placements,
    plan_import,
    retown,
    team_diff,
)
from secondment.domain.teams import (
    TRANSITIONS,
    Member,
    TeamSnapshot,
    TeamStatus,
    TeamStep,
    check_effective,
    check_mode,
    check_towns,
    in_effect,
)
from secondment.errors import (
    EffectiveDateRefused,
    GuidanceIncomplete,
    NotTheTownsRecord,
    PersonnelIsTheDepartments,
    TeamInvalidTransition,
    TownsDoNotFitMode,
    WrongMode,
)
from xietong_common.contracts.secondment import GuidanceKind
from xietong_common.reference import SecondmentMode, load_directory

ZONE, STATIONED = SecondmentMode.ZONE, SecondmentMode.STATIONED
TODAY = date(2024, 3, 1)


def team(
    team_id: str = "t1",
    name: str = "第一片区指导队",
    towns: tuple[str, ...] = ("town:baitao", "town:lizhi"),
    members: tuple[Member, ...] = (),
    *,
    version: int = 1,
    dissolved: bool = False,
    effective_from: date = date(2024, 1, 5),
) -> TeamSnapshot:
    return TeamSnapshot(
        team_id=team_id,
        version=version,
        department="dept:water",
        mode=ZONE,
        name=name,
        zone_name=None,
        towns=towns,
        valid_from=date(2024, 1, 5),
        valid_until=None,
        leader=None,
        contact=None,
        effective_from=effective_from,
        dissolved=dissolved,
        members=members,
    )


def row(
    n: int,
    officer: str,
    cert: str,
    team_name: str = "第一片区指导队",
    *,
    towns: tuple[str, ...] | None = None,
    until: date = date(2026, 12, 31),
    staff: str | None = None,
) -> SheetRow:
    return SheetRow(
        row=n,
        officer_id=officer,
        team_name=team_name,
        name=f"人员{officer}",
        certificate_number=cert,
        certificate_valid_from=None,
        certificate_valid_until=until,
        towns=towns,
        staff_number=staff,
    )


def effective(day: date, *, backdate: int = 0, not_before: date | None = None) -> None:
    check_effective(
        day,
        today=TODAY,
        max_backdate_days=backdate,
        not_before=not_before,
        what_en="the version",
        what_zh="该版本",
    )


# ---- SEC-02 -------------------------------------------------------------------------------------


def test_sec_02_the_attachments_fix_each_departments_mode() -> None:
    directory = load_directory()
    modes = {d.code: d.secondment_mode for d in directory.departments()}
    stationed = {code for code, mode in modes.items() if mode is STATIONED}
    assert stationed == {"dept:planning-natural-resources", "dept:urban-management"}
    assert len(modes) == 11
    assert all(mode is ZONE for code, mode in modes.items() if code not in stationed)
    assert sorted(d.notice_attachment or 0 for d in directory.departments()) == list(range(1, 12))


def test_sec_02_a_team_of_the_other_mode_is_refused() -> None:
    check_mode(department="dept:water", department_mode=ZONE, asked=None)
    check_mode(department="dept:water", department_mode=ZONE, asked=ZONE)
    with pytest.raises(WrongMode) as refused:
        check_mode(department="dept:water", department_mode=ZONE, asked=STATIONED)
    assert refused.value.extensions["rule"] == "SEC-02"
    assert "划片" in (refused.value.detail_zh or "")


def test_sec_02_stationed_is_one_town_and_a_zone_several() -> None:
    check_towns(STATIONED, ["town:lizhi"], zone_min_towns=2)
    check_towns(ZONE, ["town:lizhi", "town:baitao"], zone_min_towns=2)
    for mode, towns in ((STATIONED, ["town:lizhi", "town:baitao"]), (ZONE, ["town:lizhi"])):
        with pytest.raises(TownsDoNotFitMode):
            check_towns(mode, towns, zone_min_towns=2)
    check_towns(ZONE, ["town:lizhi"], zone_min_towns=1)  # the setting relaxes the reading


def test_sec_02_a_dissolved_team_is_on_record_and_changes_no_more() -> None:
    assert TRANSITIONS.next(TeamStatus.ACTIVE, TeamStep.DISSOLVE) is TeamStatus.DISSOLVED
    for step in TeamStep:
        with pytest.raises(TeamInvalidTransition):
            TRANSITIONS.next(TeamStatus.DISSOLVED, step)


def test_sec_02_rows_are_placed_on_the_teams_they_name() -> None:
    t = team(name="第一片区指导队（样例）")
    placed, problems = place_rows(
        [t],
        [
            row(2, "a", "C1", "第一片区指导队（样例）"),
            row(3, "b", "C2", " 第一片区指导队(样例)", towns=("town:lizhi",)),  # half-width
        ],
    )
    assert problems == []
    a, b = placed["t1"]
    assert (a.towns, a.all_team_towns) == (t.towns, True)
    assert (b.towns, b.all_team_towns) == (("town:lizhi",), False)


def test_sec_02_every_bad_row_is_named_with_its_column() -> None:
    teams = [team(), team("t2", "旧队", dissolved=True)]
    rows = [
        row(2, "a", "C1"),
        row(3, "b", "C1"),  # the same certificate again
        row(4, "c", "C3", "没有的队"),
        row(5, "d", "C4", "旧队"),
        row(6, "e", "C5", towns=("town:dunren",)),
        row(7, "f", "C6", staff="S1"),
        row(8, "g", "C7", staff="S1"),
    ]
    _, problems = place_rows(teams, [*rows, row(9, "h", "C8", "第一片区 指导队")])
    assert [(p.row, p.field) for p in problems] == [
        (3, "certificate_number"),
        (4, "team"),
        (5, "team"),
        (6, "towns"),
        (8, "staff_number"),
    ]
    assert "第 2 行" in problems[0].zh
    assert "row 2" in problems[0].en
    assert "已撤销" in problems[2].zh


def test_sec_02_an_import_makes_versions_only_for_teams_it_changes() -> None:
    t1, t2 = team(), team("t2", "第二片区指导队")
    placed, _ = place_rows([t1, t2], [row(2, "a", "C1")])
    changed = plan_import([t1, t2], placed, effective_from=TODAY)
    assert [(c.team_id, c.version, c.effective_from) for c in changed] == [("t1", 2, TODAY)]
    assert plan_import([*changed, t2], placed, effective_from=TODAY) == []  # the same again


def test_sec_02_two_versions_compared() -> None:
    t1, t2 = team(), team("t2", "第二片区指导队")
    first, _ = place_rows([t1], [row(2, "a", "C1"), row(3, "b", "C2"), row(4, "c", "C3")])
    before = [team(members=first["t1"]), t2]
    placed, _ = place_rows(
        [t1, t2],
        [
            row(2, "a", "C1", "第二片区指导队"),  # moved team
            row(3, "b", "C2X"),  # new certificate
            row(4, "d", "C4", towns=("town:lizhi",)),  # joined; c left
        ],
    )
    after = [team(members=placed["t1"]), team("t2", "第二片区指导队", members=placed["t2"])]
    changes = diff(placements(before), placements(after))
    assert {c.officer_id: c.kinds for c in changes} == {
        "a": (ChangeKind.MOVED_TEAM,),
        "b": (ChangeKind.CERTIFICATE_CHANGED,),
        "c": (ChangeKind.LEFT,),
        "d": (ChangeKind.JOINED,),
    }
    assert counts(changes)["joined"] == 1
    assert counts(changes)["left"] == 1
    dissolved = {"t1": team(dissolved=True, towns=("town:lizhi", "town:jiangbei"))}
    assert team_diff({"t1": team()}, dissolved)[0].kinds == (
        TeamChangeKind.DISSOLVED,
        TeamChangeKind.TOWNS_CHANGED,
    )
    # a dissolved team's officers have left the roster
    assert placements([team(members=first["t1"], dissolved=True)]) == {}


def test_sec_02_officers_follow_their_teams_towns() -> None:
    placed, _ = place_rows([team()], [row(2, "a", "C1"), row(3, "b", "C2", towns=("town:baitao",))])
    members, stranded = retown(placed["t1"], ("town:jiangbei", "town:lizhi"))
    assert [m.towns for m in members] == [("town:jiangbei", "town:lizhi"), ()]
    assert [m.officer_id for m in stranded] == ["b"]


def test_certificates_expiring_are_warned_about_not_refused() -> None:
    rows = [row(2, "a", "C1", until=date(2024, 2, 1)), row(3, "b", "C2", until=date(2024, 3, 10))]
    warned = certificate_warnings(rows, effective_from=TODAY, warning_days=30)
    assert [(w.row, "过期" in w.zh) for w in warned] == [(2, True), (3, False)]


# ---- SEC-04: versions in order, never back-dated ------------------------------------------------


def test_sec_04_versions_take_effect_in_order_and_are_not_back_dated() -> None:
    effective(TODAY, not_before=TODAY)
    with pytest.raises(EffectiveDateRefused):
        effective(date(2024, 2, 29))
    effective(date(2024, 2, 29), backdate=1)
    with pytest.raises(EffectiveDateRefused) as refused:
        effective(date(2024, 4, 1), not_before=date(2024, 5, 1))
    assert refused.value.extensions["rule"] == "SEC-04"


def test_sec_04_the_version_in_effect_is_the_newest_that_has_begun() -> None:
    v1 = team(version=1, effective_from=date(2024, 1, 5))
    v2 = team(version=2, effective_from=date(2024, 6, 1))
    assert in_effect([v1, v2], date(2024, 5, 31)) is v1
    assert in_effect([v1, v2], date(2024, 6, 1)) is v2
    assert in_effect([v1, v2], date(2024, 1, 4)) is None


# ---- SEC-03, SEC-01, SEC-05 ---------------------------------------------------------------------


def test_sec_03_personnel_records_are_the_departments_alone() -> None:
    check_personnel_editor("dept:water", department="dept:water")
    for org in ("town:lizhi", "justice-bureau", "district-gov", "dept:forestry"):
        with pytest.raises(PersonnelIsTheDepartments) as refused:
            check_personnel_editor(org, department="dept:water")
        assert refused.value.status == 403
        assert refused.value.extensions["rule"] == "SEC-03"


def test_sec_01_daily_work_notes_are_the_towns_record() -> None:
    check_note_author("town:lizhi", department="dept:water")
    for org in ("dept:water", "justice-bureau", "district-gov"):
        with pytest.raises(NotTheTownsRecord):
            check_note_author(org, department="dept:water")


def activity(kind: GuidanceKind, **given: object) -> None:
    values: dict[str, object] = {
        "held_on": TODAY,
        "ended_on": None,
        "attendance": None,
        "third_party": None,
    }
    values.update(given)
    check_activity(kind=kind, today=TODAY, **values)  # type: ignore[arg-type]


def test_sec_05_a_guidance_record_says_what_when_and_for_how_many() -> None:
    activity(GuidanceKind.TRAINING, attendance=30)
    activity(GuidanceKind.GUIDANCE_DOCUMENT)
    activity(GuidanceKind.THIRD_PARTY, third_party="某律师事务所")
    with pytest.raises(GuidanceIncomplete) as refused:
        activity(
            GuidanceKind.THIRD_PARTY,
            held_on=date(2024, 3, 2),
            ended_on=date(2024, 2, 1),
            third_party=" ",
        )
    assert len(refused.value.extensions["problems"]) == 3
    assert refused.value.extensions["rule"] == "SEC-05"
    with pytest.raises(GuidanceIncomplete):
        activity(GuidanceKind.JOINT_DRILL, attendance=0)
    assert {k.value for k in GuidanceKind} == {
        "guidance-document",
        "seminar",
        "typical-practice",
        "joint-drill",
        "training",
        "third-party",
    }
