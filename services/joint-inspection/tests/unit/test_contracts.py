"""The contracts joint inspection publishes: the ones others consume stay compatible."""

from __future__ import annotations

from datetime import UTC, datetime

from xietong_common.contracts.inspection import (
    InspectionClosed,
    InspectionFindingRecorded,
    InspectionOrderIssued,
    InspectionPlanned,
    InspectionSelectionDrawn,
    InspectionSeriousReported,
    InspectionShortcomingReported,
)
from xietong_common.events.registry import registry


def test_insp_08_finding_as_referral_first_read_it_still_parses() -> None:
    """The payload of version 1 as released (no optional fields): still valid."""
    old = {
        "inspection_id": "i1",
        "finding_id": "f1",
        "inspecting_org": "town:lizhi",
        "outcome": "violation",
        "matter_code": "ENV-001",
        "place_town": "town:lizhi",
        "found_at": datetime(2024, 3, 1, tzinfo=UTC).isoformat(),
        "description": "直排污水",
        "within_jurisdiction": False,
    }
    event = InspectionFindingRecorded.model_validate(old)
    assert event.review_triggers == []
    assert event.review_required is None
    required = {n for n, f in InspectionFindingRecorded.model_fields.items() if f.is_required()}
    assert required == set(old) - {"matter_code"}


def test_insp_07_closed_as_info_sharing_reads_it_still_parses() -> None:
    required = {n for n, f in InspectionClosed.model_fields.items() if f.is_required()}
    assert required == {
        "inspection_id",
        "order_number",
        "initiating_org",
        "participants",
        "targets",
        "closed_at",
    }


def test_every_inspection_event_is_registered_with_its_topic() -> None:
    topics = {
        InspectionPlanned: "inspection.planned",
        InspectionSelectionDrawn: "inspection.selection-drawn",
        InspectionOrderIssued: "inspection.order-issued",
        InspectionFindingRecorded: "inspection.finding",
        InspectionClosed: "inspection.closed",
        InspectionSeriousReported: "inspection.serious-reported",
        InspectionShortcomingReported: "inspection.shortcoming-reported",
    }
    for model, topic in topics.items():
        spec = registry.spec_for(model)
        assert spec.topic == topic
        assert spec.producers == ("joint-inspection",)
