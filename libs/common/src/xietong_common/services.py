"""The services of xietong: name → Python package (the six mechanisms and the notifier)."""

from __future__ import annotations

SERVICES = {
    "info-sharing": "info_sharing",
    "assistance": "assistance",
    "referral": "referral",
    "legal-review": "legal_review",
    "joint-inspection": "joint_inspection",
    "secondment": "secondment",
    "notifier": "notifier",
}
