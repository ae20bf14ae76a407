"""Statements per create (issue 22): a new team is written with the record kit's one INSERT
(`TEAM.insert`), not through the ORM's flush; a regression shows as a count."""

from __future__ import annotations

import pytest

from secondment.models import Team
from xietong_devtools.testing import flushed_inserts, outbox_settled, statements

from .conftest import Svc

pytestmark = pytest.mark.integration


async def test_sec_02_a_new_team_is_inserted_by_its_kind(svc: Svc) -> None:
    """Creating a team (SEC-02) inserts it once, with its kind's INSERT and no flush of it;
    its roster version is flushed after it, and the response reads the team back after the
    commit: 16 statements, as with the flush."""
    await outbox_settled(svc.run)
    with flushed_inserts(Team) as flushed, statements(svc.run) as seen:
        team = await svc.team()
    assert team["version"] == 1, team
    assert not flushed, flushed
    inserts = [s for s, _ in seen if s.lstrip().startswith("INSERT INTO teams ")]
    assert len(inserts) == 1, seen
    assert len(seen) <= 16, seen
