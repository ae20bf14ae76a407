"""Shared pieces of the legal-review routes."""

from __future__ import annotations

from xietong_common.web.problems import problem_responses

WRITE_ERRORS = problem_responses(401, 403, 404, 409, 422)
UPLOAD_ERRORS = problem_responses(401, 403, 404, 409, 413, 415, 422)
READ_ERRORS = problem_responses(401, 404, 422)
