"""Events the oversight service (督察, SUP-01/SUP-02) publishes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from xietong_common.contracts.base import IntegrationEvent, event


@event(
    "oversight.export-issued",
    producers=("oversight",),
    summary="SUP-02: an assessment table was issued as an .xlsx file, with its SHA-256",
    retained=True,
)
class OversightExportIssued(IntegrationEvent):
    """SUP-02: oversight issued the assessment table as an `.xlsx` download. The file's
    SHA-256 (`sha256`), the period, the filters and the totals are on the record, so a
    file (or a table printed from it, which names `export_id`) can be checked later against
    what was issued, by whom and when. Key = `export_id`. The topic never deletes (evidence,
    like the audit checkpoints); the same digest is in oversight's audit log."""

    export_id: str = Field(description="the export's id, printed on its summary sheet")
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the file (hex)")
    size: int = Field(ge=0, description="the file's length in bytes")
    period: str = Field(description="the period's label", examples=["2026-Q4"])
    first: date = Field(description="first China day of the period")
    last: date = Field(description="last China day of the period (included)")
    filters: dict[str, str] = Field(
        default_factory=dict,
        description="the filters asked for (organisation, organisation_kind, rule, mechanism)",
    )
    organisations: int = Field(ge=0, description="how many organisations' rows the file holds")
    totals: dict[str, int] = Field(
        default_factory=dict, description="the deadline figures of every row together"
    )
    issued_by: str = Field(description="the person who downloaded it")
    issued_by_org: str = Field(description="their organisation", examples=["justice-bureau"])
    issued_at: datetime = Field(description="when (UTC)")
