"""REST API of 执法协助 (enforcement assistance): thin routes over the use cases."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/assistance", tags=["assistance"])
