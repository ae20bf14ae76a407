"""The events information sharing publishes and consumes, as registered."""

from __future__ import annotations

from xietong_common.contracts.info import InfoCategory, InfoPublished, InfoRead, InfoUnreadOverdue
from xietong_common.contracts.inspection import (
    InspectionClosed,
    InspectionFindingRecorded,
    InspectionSelectionDrawn,
)
from xietong_common.contracts.review import ReviewDecided
from xietong_common.contracts.secondment import GuidanceRecorded
from xietong_common.events.registry import registry


def test_info_contracts_are_registered_for_the_service() -> None:
    for model in (InfoPublished, InfoRead, InfoUnreadOverdue):
        spec = registry.spec_for(model)
        assert spec.producers == ("info-sharing",)
        assert spec.topic.startswith("info.")
    assert len(InfoCategory) == 9


def test_info_sharing_is_a_registered_consumer_of_what_it_handles() -> None:
    from info_sharing.main import SPEC

    for model in SPEC.handlers:
        assert "info-sharing" in registry.spec_for(model).consumers
    assert set(SPEC.handlers) == {
        ReviewDecided,
        InspectionFindingRecorded,
        InspectionClosed,
        InspectionSelectionDrawn,
        GuidanceRecorded,
    }
