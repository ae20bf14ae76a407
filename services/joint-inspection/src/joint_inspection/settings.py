"""Settings of the joint inspection service (env prefix `XIETONG_`), beside the shared ones.

Where the notice says 'promptly' (及时) or names no number, the number is a setting here with a
documented default; it is never presented as law.
"""

from __future__ import annotations

import hashlib

from pydantic import Field, SecretStr, model_validator

from xietong_common.auth import hs256_key
from xietong_common.context import ServiceContext, settings_of
from xietong_common.documents import DocumentSettings


class InspectionSettings(DocumentSettings):
    """The joint inspection service's own settings."""

    inspection_merge_window_days: int = Field(
        default=30,
        ge=1,
        le=366,
        description="one visit instead of many: inspections of the same target by different "
        "agencies starting within this many days are proposed for merging, and a second "
        "inspection within it by another party is flagged",
    )
    inspection_prior_inspection_days: int = Field(
        default=180,
        ge=1,
        le=3 * 366,
        description="one visit instead of many (一次检查、结果互认): a new order shows the "
        "inspections of its targets made within this many days, with their results",
    )
    inspection_entry_cap_per_year: int = Field(
        default=2,
        ge=1,
        le=50,
        description="入企检查次数: visits to one target in a calendar year (China time) beyond "
        "which the target is flagged over the cap",
    )
    inspection_clean_record_days: int = Field(
        default=365,
        ge=30,
        le=3 * 366,
        description="INSP-02 守法诚信: a target supervised this long with no signal is left alone "
        "(无事不扰) except for the plan's clean proportion",
    )
    inspection_risk_window_days: int = Field(
        default=365,
        ge=30,
        le=3 * 366,
        description="INSP-02: signals observed within this many days count towards a target's risk",
    )
    inspection_finding_signal_weight: int = Field(
        default=10,
        ge=1,
        le=50,
        description="INSP-02: weight of a violation found (doubled if serious)",
    )
    inspection_guidance_signal_weight: int = Field(
        default=3,
        ge=1,
        le=100,
        description="INSP-02: weight of a problem found that was no violation",
    )
    inspection_consultation_working_days: int = Field(
        default=3, ge=1, le=30, description="INSP-04: the town answers a department's proposal"
    )
    inspection_support_answer_working_days: int = Field(
        default=3, ge=1, le=30, description="INSP-03: a department answers a request for support"
    )
    inspection_serious_report_hours: int = Field(
        default=24,
        ge=1,
        le=240,
        description="INSP-08: 'promptly' report a serious violation or major hazard to the district "
        "government, in clock hours from the on-site inspection (a hazard does not wait for Monday)",
    )
    inspection_shortcoming_ack_working_days: int = Field(
        default=5, ge=1, le=60, description="INSP-09: a department acknowledges a shortcoming"
    )
    inspection_min_inspectors_on_site: int = Field(
        default=2,
        ge=1,
        le=10,
        description="officers named on an on-site record (行政处罚法 第四十二条: not fewer than two)",
    )
    inspection_max_import_rows: int = Field(
        default=20_000, ge=1, le=200_000, description="rows of one target import (.xlsx or CSV)"
    )
    inspection_identity_key: SecretStr | None = Field(
        default=None,
        description="key of the digest kept of a person's identity number (never stored itself); "
        "unset: derived from the JWT key. Set it in production and never change it, or the same "
        "person is no longer recognised",
    )

    @model_validator(mode="after")
    def _identity_key_in_deployments(self) -> InspectionSettings:
        # A deployment has no development key to derive it from (XIETONG_JWT_LOCAL_KEY=false),
        # and a key derived from a rotating JWT secret would forget people: stop at start.
        key = self.inspection_identity_key
        if not self.jwt_local_key and (key is None or not key.get_secret_value()):
            raise ValueError("set XIETONG_INSPECTION_IDENTITY_KEY (a deployment needs its own)")
        return self


def inspection_settings(ctx: ServiceContext) -> InspectionSettings:
    """The joint inspection service's settings (SPEC.settings_class)."""
    return settings_of(ctx, InspectionSettings)


def identity_key(settings: InspectionSettings) -> bytes:
    """The HMAC key of identity digests: the setting, else one derived from the JWT key."""
    key = settings.inspection_identity_key
    if key is not None and key.get_secret_value():
        return key.get_secret_value().encode()
    return hashlib.sha256(
        b"xietong/joint-inspection/identity:" + hs256_key(settings).encode()
    ).digest()
