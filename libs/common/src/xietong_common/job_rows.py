"""One bad row never stops a periodic job: each row runs in a savepoint of its own; a row that
fails is logged, counted (`xietong_job_row_failures_total`) and skipped, with a back-off, so
the job neither stops at it nor retries it in a tight loop; the other rows go on."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from xietong_common.metrics import JOB_ROW_FAILURES, JOB_ROWS_SKIPPED
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 15 * 60.0
MAX_BACKOFF_S = 24 * 3600.0


@dataclass
class _Failure:
    count: int
    retry_at: float


@dataclass
class RowQuarantine:
    """The rows of one job (in this process) that failed, and when each may be tried again:
    after 15 minutes, doubling to at most a day. Kept in memory: a restart tries them again,
    which is what an operator wants after fixing the cause."""

    service: str
    job: str
    clock: Callable[[], float] = time.monotonic
    _failed: dict[Hashable, _Failure] = field(default_factory=dict)

    def skipped(self) -> list[Hashable]:
        """Rows to leave out of this run."""
        now = self.clock()
        return [row for row, f in self._failed.items() if f.retry_at > now]

    def failed(self, row: Hashable) -> None:
        before = self._failed.get(row)
        count = before.count + 1 if before else 1
        backoff = min(FIRST_BACKOFF_S * 2 ** (count - 1), MAX_BACKOFF_S)
        self._failed[row] = _Failure(count=count, retry_at=self.clock() + backoff)
        JOB_ROW_FAILURES.labels(self.service, self.job).inc()
        JOB_ROWS_SKIPPED.labels(self.service, self.job).set(len(self._failed))

    def succeeded(self, row: Hashable) -> None:
        if self._failed.pop(row, None) is not None:
            JOB_ROWS_SKIPPED.labels(self.service, self.job).set(len(self._failed))

    async def run(
        self, uow: UnitOfWork, row: Hashable, work: Callable[[], Awaitable[None]]
    ) -> bool:
        """`work` for one row in a savepoint; False (logged, counted, skipped) if it failed."""
        try:
            async with uow.savepoint():
                await work()
        except Exception:
            self.skip(row)
            return False
        self.succeeded(row)
        return True

    def skip(self, row: Hashable) -> None:
        """In an `except` block: the row's failure (the exception being handled) logged and
        counted, and the row skipped with a back-off, as `run` does for work that raised —
        for a job that works out its rows first and writes them together."""
        log.exception(
            "%s: row %s could not be processed; skipped, the other rows go on",
            self.job,
            row,
            extra={"job": self.job, "row": str(row)},
        )
        self.failed(row)


_QUARANTINES: dict[tuple[str, str], RowQuarantine] = {}


def quarantine(service: str, job: str) -> RowQuarantine:
    """The process's quarantine of one service's job."""
    key = (service, job)
    if key not in _QUARANTINES:
        _QUARANTINES[key] = RowQuarantine(service=service, job=job)
    return _QUARANTINES[key]
