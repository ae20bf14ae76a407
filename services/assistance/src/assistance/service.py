"""Use cases of 执法协助: each runs in the caller's unit of work and never commits.

Import as `from assistance import service as assistance_service`.
"""

from __future__ import annotations

MECHANISM = "assistance"
