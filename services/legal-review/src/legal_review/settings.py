"""Settings of the legal-review service (env prefix `XIETONG_`)."""

from __future__ import annotations

from pydantic import Field

from xietong_common.documents import DocumentSettings


class ReviewSettings(DocumentSettings):
    """The shared settings, those of the documents it issues (REV-05/07), and its own."""

    review_supply_working_days: int = Field(
        default=5,
        ge=1,
        description=(
            "REV-05: working days the brigade has to supply missing materials. The notice says "
            "the review body 规定期限 (sets a deadline) without a number; this is the default it sets."
        ),
    )
