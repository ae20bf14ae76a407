"""The oversight API: the ledger's reads (fed by events alone), the assessment as `.xlsx`,
and the justice bureau's rulings with the organisations' replies (SUP-01), the only writes."""

from fastapi import APIRouter

from oversight.api.alarms import router as alarms
from oversight.api.export import router as export
from oversight.api.reads import router as reads
from oversight.api.rulings import router as rulings

router = APIRouter()
router.include_router(reads)
router.include_router(export)
router.include_router(rulings)
router.include_router(alarms)
