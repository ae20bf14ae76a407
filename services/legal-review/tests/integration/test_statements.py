"""Statements per create (issue 22): a submission writes its review and its first round with
the record kit's INSERTs (`REVIEW.insert`, `insert_new`), not through the ORM's flush; a
regression shows as a count."""

from __future__ import annotations

import pytest

from legal_review.models import Review, ReviewRound
from xietong_devtools.testing import RunningService, flushed_inserts, outbox_settled, statements

from .conftest import Flow

pytestmark = pytest.mark.integration


async def test_rev_01_a_submitted_review_is_inserted_by_its_kind(
    svc: RunningService, flow: Flow
) -> None:
    """Submitting a proposed decision (REV-01) inserts the review, then its first round, with
    the kit's INSERTs and no flush of either: 6 statements, as with the flush."""
    await outbox_settled(svc)
    with flushed_inserts(Review, ReviewRound) as flushed, statements(svc) as seen:
        review = await flow.submit()
    assert review["state"]["value"] == "submitted", review
    assert not flushed, flushed
    writes = [s.split("(")[0].strip() for s, _ in seen if s.lstrip().startswith("INSERT INTO r")]
    assert writes == ["INSERT INTO reviews", "INSERT INTO review_rounds"], seen
    assert len(seen) <= 6, seen
