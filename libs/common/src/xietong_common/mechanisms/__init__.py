"""Pieces of one mechanism's domain that other services keep too, beside the contracts they
serve: `roster` (secondment's roster as joint inspection and assistance keep it, SEC-04) and
`review_triggers` (REV-01, read by legal review and joint inspection)."""
