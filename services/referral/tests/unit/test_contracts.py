"""The events the referral service publishes are registered, documented and versioned."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from xietong_common.contracts.referral import AnswerDecision, CaseProcedure, CaseReferred
from xietong_common.events.registry import registry

TOPICS = {
    "case.referred",
    "case.received",
    "case.answered",
    "case.escalated",
    "case.assigned",
    "case.filed",
    "case.concluded",
    "case.cooperation-requested",
}


def test_every_referral_topic_is_registered_with_the_referral_service_as_producer() -> None:
    specs = {s.topic: s for s in registry.all() if "referral" in s.producers}
    assert set(specs) >= TOPICS
    for topic in TOPICS:
        spec = specs[topic]
        assert spec.type == f"xietong.{topic}.v1"
        assert spec.summary
        assert spec.model.__doc__


def test_ref_05_proceeds_in_the_event_are_non_negative_decimals() -> None:
    fields = CaseReferred.model_fields
    assert fields["proceeds_transferred"].annotation is Decimal
    with pytest.raises(ValidationError):
        CaseReferred.model_validate({"proceeds_transferred": "-1"})


def test_enums_carry_chinese_names() -> None:
    assert AnswerDecision.REPORT_TO_DISTRICT_GOV.label_zh == "报请区政府决定"
    assert CaseProcedure.ORDINARY.label_zh == "普通程序"
