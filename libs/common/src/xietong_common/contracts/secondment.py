"""Events of the secondment and guidance mechanism 下沉指导 (二(六), SEC-01..SEC-05)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from xietong_common.contracts.base import ContractModel, IntegrationEvent, event
from xietong_common.reference import SecondmentMode


class RosterOfficer(ContractModel):
    """下沉人员: one seconded officer as his team's roster lists him (SEC-02)."""

    officer_id: str = Field(description="stable id of the officer in the secondment service")
    name: str = Field(examples=["张三"])
    certificate_number: str = Field(description="执法证号", examples=["50010220240001"])
    certificate_valid_from: date | None = Field(default=None)
    certificate_valid_until: date = Field(
        description="the last day the enforcement certificate is valid (to 24:00 China time)"
    )
    towns: list[str] = Field(
        description="the towns he serves (within his team's towns)", examples=[["town:lizhi"]]
    )


@event(
    "secondment.roster-changed",
    producers=("secondment",),
    consumers=("joint-inspection", "assistance"),
    compacted=True,
)
class RosterChanged(IntegrationEvent):
    """SEC-02/SEC-04: a team's roster as it stands from `effective_from` — the whole team, not
    a change list (key = team id; the topic is compacted, so it holds every team's present).
    Consumers keep it with `xietong_common.roster` and check officers against it (SEC-04)."""

    team_id: str
    version: int = Field(ge=1, description="increases with every roster version of the team")
    department: str = Field(description="the team's department", examples=["dept:water"])
    mode: SecondmentMode = Field(description="SEC-02: 派驻 stationed or 划片 zone")
    name: str = Field(examples=["区水利局第一片区指导队"])
    towns: list[str] = Field(description="the towns the team serves", examples=[["town:lizhi"]])
    valid_from: date = Field(description="the team's period of validity starts")
    valid_until: date | None = Field(default=None, description="…and ends (inclusive)")
    effective_from: date = Field(description="this roster version applies from this day")
    dissolved: bool = Field(default=False, description="the team no longer exists")
    officers: list[RosterOfficer]
    changed_at: datetime
