"""Use cases of 综合查一次: each runs in the caller's unit of work and never commits.

Import as `from joint_inspection import service as joint_inspection_service`.
"""

from __future__ import annotations

MECHANISM = "joint-inspection"
