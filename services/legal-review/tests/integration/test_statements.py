"""Statements per create (issue 22): a submission writes its review with the record kit's one
INSERT (`REVIEW.insert`), not through the ORM's flush; a regression shows as a count."""

from __future__ import annotations

import pytest

from legal_review.models import Review
from xietong_devtools.testing import RunningService, flushed_inserts, outbox_settled, statements

from .conftest import Flow

pytestmark = pytest.mark.integration


async def test_rev_01_a_submitted_review_is_inserted_by_its_kind(
    svc: RunningService, flow: Flow
) -> None:
    """Submitting a proposed decision (REV-01) inserts the review once, with its kind's INSERT
    and no flush of it; its first round is flushed after it: 6 statements, as with the flush."""
    await outbox_settled(svc)
    with flushed_inserts(Review) as flushed, statements(svc) as seen:
        review = await flow.submit()
    assert review["state"]["value"] == "submitted", review
    assert not flushed, flushed
    inserts = [s for s, _ in seen if s.lstrip().startswith("INSERT INTO reviews ")]
    assert len(inserts) == 1, seen
    assert len(seen) <= 6, seen
