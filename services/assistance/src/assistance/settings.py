"""Settings of the enforcement assistance service (env prefix `XIETONG_`), beside the shared ones.

Where the notice says 'promptly' (及时) without a number, the number is a setting here with a
documented default; it is never presented as law. The defaults and why they were chosen are
in services/assistance/README.md.
"""

from __future__ import annotations

from pydantic import Field

from xietong_common.context import ServiceContext, settings_of
from xietong_common.documents import DocumentSettings


class AssistanceSettings(DocumentSettings):
    """The enforcement assistance service's own settings, beside those of the documents it
    issues (ASSIST-01/03)."""

    assistance_response_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="ASSIST-04: working days a department has to accept or refuse a request "
        "('promptly', 及时; not a number of the notice)",
    )
    assistance_urgent_response_hours: int = Field(
        default=24,
        ge=1,
        le=720,
        description="ASSIST-04: clock hours to answer a request the town marks urgent",
    )
    assistance_max_completion_working_days: int = Field(
        default=20,
        ge=1,
        le=250,
        description="ASSIST-02/04: the latest completion date a department may agree, in "
        "working days from its acceptance (or from an extension request)",
    )
    assistance_max_extensions: int = Field(
        default=2,
        ge=0,
        le=10,
        description="ASSIST-04: how many times a completion date may be moved by agreement",
    )
    assistance_redelivery_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="ASSIST-02: working days to deliver again after the town returns a result "
        "that does not answer its request",
    )
    assistance_min_reason_chars: int = Field(
        default=8,
        ge=1,
        le=200,
        description="ASSIST-03: a written reason has at least this many letters, digits or "
        "Chinese characters (spaces and punctuation not counted)",
    )


def assistance_settings(ctx: ServiceContext) -> AssistanceSettings:
    """The assistance service's settings (SPEC.settings_class)."""
    return settings_of(ctx, AssistanceSettings)
