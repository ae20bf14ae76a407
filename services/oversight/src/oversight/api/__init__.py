"""The oversight API: reads (the ledger is fed by events alone) and the export."""

from fastapi import APIRouter

from oversight.api import export, reads

router = APIRouter()
router.include_router(reads.router)
router.include_router(export.router)
