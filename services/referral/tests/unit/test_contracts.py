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


def test_issue_25_a_citizens_id_number_is_masked_in_case_referred() -> None:
    """Integrators read case.referred: a citizen's resident ID number leaves masked (the
    first 6 and the last 4 characters); an organisation's credit code is no personal data and
    stays whole; a consumer validating the payload again changes nothing."""
    from datetime import UTC, datetime

    from xietong_common.contracts.review import CaseParty

    def party(kind: str, number: str) -> dict[str, str]:
        event = CaseReferred.model_validate(
            {
                "referral_id": "00000000-0000-0000-0000-000000000001",
                "sender": "town:lizhi",
                "receiver": "dept:ecology-environment",
                "matter_code": "ENV-001",
                "place_town": "town:lizhi",
                "found_at": datetime(2024, 3, 1, 2, tzinfo=UTC),
                "sent_at": datetime(2024, 3, 1, 3, tzinfo=UTC),
                "send_due_at": datetime(2024, 3, 6, 16, tzinfo=UTC),
                "urgent": False,
                "ongoing": False,
                "late": False,
                "materials": 1,
                "source": {"kind": "manual"},
                "facts": "河道旁违规倾倒建筑垃圾",
                "party": {"name": "张三", "kind": kind, "id_number": number},
                "proceeds_transferred": "0",
            }
        )
        data = event.model_dump(mode="json")
        assert CaseReferred.model_validate(data).model_dump(mode="json") == data
        return dict(data["party"])

    assert party("citizen", "11010519491231002X")["id_number"] == "110105********002X"
    assert party("legal-person", "91500102MA5U7YBX2G")["id_number"] == "91500102MA5U7YBX2G"
    assert party("other-organisation", "91500102MA5U7YBX2G")["id_number"] == ("91500102MA5U7YBX2G")
    assert "masked" in (CaseParty.model_fields["id_number"].description or "")
