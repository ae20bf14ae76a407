"""The events the secondment and guidance service publishes: builders of its contracts (module
`xietong_common.contracts.secondment`), published through the outbox (`uow.publish`).

`secondment.roster-changed` is keyed by the team id: the topic is compacted, so the last event
of a team is its present. An event whose version is not in effect yet carries the versions
before it that a consumer still needs (`preceding`), so the present is never compacted away.
"""

from __future__ import annotations

from collections.abc import Sequence

from secondment.domain.teams import TeamSnapshot
from secondment.models import GuidanceActivity
from xietong_common.contracts.secondment import (
    GuidanceKind,
    GuidanceRecorded,
    GuidanceSharedAs,
    RosterChanged,
    RosterOfficer,
    RosterVersion,
)


def _officers(snapshot: TeamSnapshot) -> list[RosterOfficer]:
    return [
        RosterOfficer(
            officer_id=m.officer_id,
            name=m.name,
            certificate_number=m.certificate_number,
            certificate_valid_from=m.certificate_valid_from,
            certificate_valid_until=m.certificate_valid_until,
            towns=list(m.towns),
        )
        for m in snapshot.members
    ]


def _version(snapshot: TeamSnapshot) -> RosterVersion:
    assert snapshot.changed_at is not None
    return RosterVersion(
        version=snapshot.version,
        name=snapshot.name,
        towns=list(snapshot.towns),
        valid_from=snapshot.valid_from,
        valid_until=snapshot.valid_until,
        effective_from=snapshot.effective_from,
        dissolved=snapshot.dissolved,
        officers=_officers(snapshot),
        changed_at=snapshot.changed_at,
    )


def roster_changed(latest: TeamSnapshot, preceding: Sequence[TeamSnapshot]) -> RosterChanged:
    """SEC-02/SEC-04: the whole roster of one team as its latest version stands, with the
    earlier versions still in effect or to come before it (oldest first)."""
    assert latest.changed_at is not None
    return RosterChanged(
        team_id=latest.team_id,
        version=latest.version,
        department=latest.department,
        mode=latest.mode,
        name=latest.name,
        towns=list(latest.towns),
        valid_from=latest.valid_from,
        valid_until=latest.valid_until,
        effective_from=latest.effective_from,
        dissolved=latest.dissolved,
        officers=_officers(latest),
        changed_at=latest.changed_at,
        preceding=[_version(s) for s in preceding],
    )


def guidance_recorded(activity: GuidanceActivity) -> GuidanceRecorded:
    """SEC-05: a guidance activity the department gave the towns."""
    return GuidanceRecorded(
        activity_id=str(activity.id),
        department=activity.department,
        kind=GuidanceKind(activity.kind),
        title=activity.title,
        held_on=activity.held_on,
        ended_on=activity.ended_on,
        towns=list(activity.towns),
        attendance=activity.attendance,
        third_party=activity.third_party,
        document_number=activity.document_number,
        description=activity.description,
        shared_as=GuidanceSharedAs(activity.shared_as) if activity.shared_as else None,
        recorded_at=activity.recorded_at,
    )
