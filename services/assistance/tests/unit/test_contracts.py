"""The events the assistance service publishes are registered, documented and versioned."""

from __future__ import annotations

from xietong_common.contracts.assistance import (
    AssistanceGround,
    ObstructionKind,
    RefusalGround,
    ResultKind,
)
from xietong_common.events.registry import registry

TOPICS = {
    "assistance.requested",
    "assistance.accepted",
    "assistance.refused",
    "assistance.delivered",
    "assistance.completed",
    "assistance.extended",
    "assistance.withdrawn",
    "assistance.obstruction-flagged",
}


def test_every_assistance_topic_is_registered_with_the_assistance_service_as_producer() -> None:
    specs = {s.topic: s for s in registry.all() if "assistance" in s.producers}
    assert set(specs) >= TOPICS
    for topic in TOPICS:
        spec = specs[topic]
        assert spec.type == f"xietong.{topic}.v1"
        assert spec.summary.startswith("ASSIST-")
        assert spec.model.__doc__


def test_the_service_consumes_the_secondment_roster() -> None:
    (spec,) = [s for s in registry.all() if s.topic == "secondment.roster-changed"]
    assert "assistance" in spec.consumers


def test_enums_carry_chinese_names() -> None:
    assert RefusalGround.FORBIDDEN_BY_LAW.label_zh == "法律、法规、规章等明确禁止"
    assert RefusalGround.OUTSIDE_POWERS.label_zh == "不属于本机关职权范围"
    assert ObstructionKind.SHIRKING.label_zh == "推诿"
    assert ObstructionKind.OBSTRUCTION.label_zh == "刁难"
    assert ResultKind.APPRAISAL.label_zh == "鉴定意见"
    assert AssistanceGround.OTHER.label_zh == "其他需要行政执法协助的情形"
