"""The six services of xietong: name → Python package (and their default ports)."""

from __future__ import annotations

SERVICES = {
    "info-sharing": "info_sharing",
    "assistance": "assistance",
    "referral": "referral",
    "legal-review": "legal_review",
    "joint-inspection": "joint_inspection",
    "secondment": "secondment",
}
