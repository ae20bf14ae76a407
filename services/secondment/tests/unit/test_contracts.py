"""The roster event: the whole team, the versions a compacted topic must keep, and events
published before this service added `preceding` still read the same (backward compatible)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from secondment import events
from secondment.domain.teams import Member, TeamSnapshot
from xietong_common.contracts.secondment import RosterChanged
from xietong_common.reference import SecondmentMode

AT = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


def snapshot(version: int, effective: date, towns: tuple[str, ...]) -> TeamSnapshot:
    return TeamSnapshot(
        team_id="t1",
        version=version,
        department="dept:water",
        mode=SecondmentMode.ZONE,
        name="第一片区指导队",
        zone_name=None,
        towns=("town:baitao", "town:lizhi"),
        valid_from=date(2024, 1, 5),
        valid_until=None,
        leader=None,
        contact=None,
        effective_from=effective,
        dissolved=False,
        members=(
            Member("o1", "张三", "C1", None, date(2026, 12, 31), towns, all_team_towns=False),
        ),
        changed_at=AT,
    )


def test_sec_04_a_future_version_carries_the_one_in_effect() -> None:
    now = snapshot(2, date(2024, 3, 1), ("town:lizhi",))
    later = snapshot(3, date(2024, 6, 1), ("town:baitao",))
    event = events.roster_changed(later, [now])
    assert (event.version, event.effective_from) == (3, date(2024, 6, 1))
    assert [(p.version, p.officers[0].towns) for p in event.preceding] == [(2, ["town:lizhi"])]
    assert event.officers[0].officer_id == "o1"


def test_an_event_without_preceding_reads_as_before() -> None:
    raw = events.roster_changed(snapshot(1, date(2024, 3, 1), ("town:lizhi",)), []).model_dump(
        mode="json"
    )
    del raw["preceding"]  # as a producer before this field would have sent it
    assert RosterChanged.model_validate(raw).preceding == []
    raw["added_by_a_later_version"] = True  # and consumers ignore what they do not know
    assert RosterChanged.model_validate(raw).version == 1
