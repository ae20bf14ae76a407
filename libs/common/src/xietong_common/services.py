"""The services of xietong: the six mechanisms, oversight (督察) and the notifier (消息通知),
name → Python package."""

from __future__ import annotations

SERVICES = {
    "info-sharing": "info_sharing",
    "assistance": "assistance",
    "referral": "referral",
    "legal-review": "legal_review",
    "joint-inspection": "joint_inspection",
    "secondment": "secondment",
    "oversight": "oversight",
    "notifier": "notifier",
}

REBUILDING = ("oversight",)
"""Services whose state is rebuilt by replaying their topics (`xietong oversight rebuild`),
each in fresh consumer groups named `rebuild_group_prefix(service)…` (the Kafka ACLs let
them read in those)."""


def rebuild_group_prefix(service: str) -> str:
    """`oversight` → `oversight-rebuild-`: the start of a rebuild's consumer group."""
    return f"{service}-rebuild-"
