"""REST API of 信息互享 (information sharing): thin routes over the use cases."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/items", tags=["information"])
