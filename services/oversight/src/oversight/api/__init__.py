"""The oversight API: reads only (the ledger is fed by events alone)."""

from oversight.api.reads import router as router
