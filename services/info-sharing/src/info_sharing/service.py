"""Use cases of 信息互享: each runs in the caller's unit of work and never commits.

Import as `from info_sharing import service as info_sharing_service`.
"""

from __future__ import annotations

MECHANISM = "info-sharing"
