"""Shared pieces of the legal-review routes."""

from __future__ import annotations

from xietong_common.reference import OrgKind

# The kinds of organisation a step is for (Allowed(orgs=...)); whether the caller is THE town of
# the review is the use case's check.
TOWN = (OrgKind.TOWN,)  # the town's brigade, review body and head act on its reviews
JOINT_REVIEWERS = (OrgKind.TOWN, OrgKind.DEPARTMENT)  # REV-03: 联合会审 / 一案双审
JUSTICE_OFFICE = (OrgKind.JUSTICE_OFFICE,)  # REV-09: the town's 司法所
