"""Use cases of 下沉指导: each runs in the caller's unit of work and never commits.

Import as `from secondment import service as secondment_service`.
"""

from __future__ import annotations

MECHANISM = "secondment"
