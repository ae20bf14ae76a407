"""REST API of 综合查一次 (joint inspection): thin routes over the use cases."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/inspections", tags=["inspections"])
