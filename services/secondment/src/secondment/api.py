"""REST API of 下沉指导 (secondment and guidance): thin routes over the use cases."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/secondment", tags=["secondment"])
