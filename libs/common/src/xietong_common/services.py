"""The services of xietong: the six mechanisms and oversight (督察), name → Python package."""

from __future__ import annotations

SERVICES = {
    "info-sharing": "info_sharing",
    "assistance": "assistance",
    "referral": "referral",
    "legal-review": "legal_review",
    "joint-inspection": "joint_inspection",
    "secondment": "secondment",
    "oversight": "oversight",
}
