"""Import jobs: a large import answers `202 Accepted` at once with a job a clerk can follow —
rows read, rows validated, errors so far — and the import's own answer when it is done.

- The upload is spooled to a file (its size limit counted while it streams in, its SHA-256
  taken) and read in a worker process (`FileWorkers`), never on the event loop; the import's
  use case then runs in its own unit of work, with the audit rows it always writes.
- A job belongs to the organisation that started it (others get 404); an Idempotency-Key
  returns the job the first request started.
- A job lives in the process that runs it: it reports its progress (and that it is alive)
  every second. A job whose process stopped reporting — killed, restarted — is marked failed
  by the sweep every replica runs at start and then periodically (`import_job_sweep`): a job
  may be lost with its process, it is never left "running" for ever.

Each service that imports keeps an `import_jobs` table (`ImportJobColumns` on its models,
`create_import_jobs_table` in its migration).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.blobs import Upload
from xietong_common.context import ServiceContext
from xietong_common.errors import AppError, NotFound, PayloadTooLarge, problem_type
from xietong_common.jobs import Job, PeriodicJob
from xietong_common.labels import LabelledEnum
from xietong_common.settings import ServiceSettings
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)
CHUNK = 1 << 16
HEARTBEAT_S = 1.0
TZ = sa.DateTime(timezone=True)


class JobState(LabelledEnum):
    """导入任务状态."""

    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"


_OPEN = (JobState.QUEUED.value, JobState.RUNNING.value)


class ImportJobColumns:
    """The columns of a service's `import_jobs` table (a mixin for its declarative base)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    org: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text)
    filename: Mapped[str | None] = mapped_column(sa.Text)
    file_sha256: Mapped[str] = mapped_column(sa.Text)
    file_size: Mapped[int] = mapped_column(sa.BigInteger)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB)
    progress: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(TZ)
    started_at: Mapped[datetime | None] = mapped_column(TZ)
    heartbeat_at: Mapped[datetime] = mapped_column(TZ)
    finished_at: Mapped[datetime | None] = mapped_column(TZ)


def create_import_jobs_table(op: Any) -> None:
    """For a service's migration: the `import_jobs` table as `ImportJobColumns` describes it."""
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("org", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("file_sha256", sa.Text(), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("options", JSONB(), nullable=False),
        sa.Column("progress", JSONB(), nullable=False),
        sa.Column("result", JSONB(), nullable=True),
        sa.Column("problem", JSONB(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("heartbeat_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_jobs"),
    )


# ---- the upload, spooled --------------------------------------------------------------------


@dataclass
class Spooled:
    """An uploaded file in a spool file, until its import has read it."""

    path: Path
    sha256: str
    size: int
    filename: str | None

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def spool_dir(settings: ServiceSettings) -> Path:
    return settings.blob_dir / ".imports"


async def spool(
    upload: Upload, *, directory: Path, max_bytes: int, filename: str | None
) -> Spooled:
    """The upload in a spool file, refused as soon as it passes `max_bytes` (never read whole
    into memory first)."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix="import-")
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(
                        f"the file is larger than {max_bytes} bytes",
                        zh=f"文件超过 {max_bytes} 字节的上限",
                        max_bytes=max_bytes,
                    )
                digest.update(chunk)
                await asyncio.to_thread(out.write, chunk)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return Spooled(Path(name), digest.hexdigest(), size, filename)


@contextlib.asynccontextmanager
async def spooled(
    upload: Upload, *, directory: Path, max_bytes: int, filename: str | None
) -> AsyncIterator[Spooled]:
    found = await spool(upload, directory=directory, max_bytes=max_bytes, filename=filename)
    try:
        yield found
    finally:
        found.discard()


def wants_job(settings: ServiceSettings, size: int, prefer: str | None) -> bool:
    """A large file, or a client that asks (`Prefer: respond-async`, RFC 7240), gets a job."""
    asks = "respond-async" in [p.strip().split("=")[0].lower() for p in (prefer or "").split(",")]
    return asks or size > settings.import_sync_max_bytes


# ---- what a client reads ------------------------------------------------------------------


class JobProgress(BaseModel):
    rows_read: int = Field(default=0, description="rows read from the file so far (empty ones too)")
    rows_validated: int = Field(default=0, description="rows checked so far")
    errors: int = Field(default=0, description="rows or cells found wrong so far")


R = TypeVar("R", bound=BaseModel)


class ImportJobOut(BaseModel, Generic[R]):
    """An import job: its state, its progress, and when done the import's answer (`result`,
    what the request would have answered) or its refusal (`problem`, problem+json)."""

    id: uuid.UUID
    kind: str
    state: JobState
    state_zh: str
    filename: str | None
    file_sha256: str
    file_size: int
    progress: JobProgress
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: R | None = None
    problem: dict[str, Any] | None = Field(
        default=None, description="the refusal, as the request would have answered it (RFC 9457)"
    )


def job_out(row: ImportJobColumns, result_model: type[R]) -> ImportJobOut[R]:
    state = JobState(row.state)
    return ImportJobOut[result_model](  # type: ignore[valid-type]
        id=row.id,
        kind=row.kind,
        state=state,
        state_zh=state.label_zh,
        filename=row.filename,
        file_sha256=row.file_sha256,
        file_size=row.file_size,
        progress=JobProgress.model_validate(row.progress or {}),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        result=result_model.model_validate(row.result) if row.result is not None else None,
        problem=row.problem,
    )


# ---- running ------------------------------------------------------------------------------

J = TypeVar("J", bound=ImportJobColumns)
Progress = Callable[[dict[str, int]], None]
Work = Callable[[Progress], Awaitable[BaseModel]]


async def create_job(
    uow: UnitOfWork,
    model: type[J],
    *,
    actor: Principal,
    kind: str,
    file: Spooled,
    options: dict[str, Any],
    idempotency_key: str | None,
) -> tuple[J, bool]:
    """A queued job for `file`; with an Idempotency-Key already used for the same file and
    options, the job the first request started (and True)."""
    scope = f"{kind}.import-job"
    request = {"sha256": file.sha256, "filename": file.filename, "options": options}
    replay = await idempotency.claim(
        uow, scope=scope, org=actor.org, key=idempotency_key, request=request
    )
    if replay is not None:
        found = await uow.session.get(model, uuid.UUID(replay))
        if found is None:
            raise NotFound("no such import job", zh="未找到该导入任务")
        return found, True
    now = (await uow.session.execute(sa.select(sa.func.now()))).scalar_one()
    job = model()
    job.id = uuid.uuid4()
    job.kind, job.org, job.created_by = kind, actor.org, actor.user
    job.state = JobState.QUEUED.value
    job.filename, job.file_sha256, job.file_size = file.filename, file.sha256, file.size
    job.options, job.progress = options, {}
    job.result = job.problem = None
    job.created_at = job.heartbeat_at = now
    job.started_at = job.finished_at = None
    uow.session.add(job)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=scope, org=actor.org, key=idempotency_key, resource_id=str(job.id)
    )
    return job, False


async def load_job(
    session: AsyncSession, model: type[J], job_id: uuid.UUID, principal: Principal
) -> J:
    """The caller's own job; another organisation's is 404, as one that does not exist."""
    job = await session.get(model, job_id)
    if job is None or job.org != principal.org:
        raise NotFound("no such import job", zh="未找到该导入任务")
    return job


def _tasks(ctx: ServiceContext) -> set[asyncio.Task[None]]:
    found: set[asyncio.Task[None]] = ctx.extras.setdefault("background_tasks", set())
    return found


def start_job(
    ctx: ServiceContext, model: type[J], job_id: uuid.UUID, file: Spooled, work: Work
) -> None:
    """Run `work` for the job in the background of this process (the spool file is deleted
    when it ends); the service's shutdown cancels it, and it is then marked failed."""
    task = asyncio.create_task(_run(ctx, model, job_id, file, work), name=f"import-job-{job_id}")
    tasks = _tasks(ctx)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _update(ctx: ServiceContext, model: type[J], job_id: uuid.UUID, **values: Any) -> None:
    async with ctx.db.session() as session, session.begin():
        await session.execute(
            sa.update(model).where(model.id == job_id).values(heartbeat_at=sa.func.now(), **values)
        )


async def _run(
    ctx: ServiceContext, model: type[J], job_id: uuid.UUID, file: Spooled, work: Work
) -> None:
    counts: dict[str, int] = {}
    changed = asyncio.Event()

    def progress(update: dict[str, int]) -> None:
        counts.update(update)
        changed.set()

    async def report() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            await _update(ctx, model, job_id, progress=dict(counts))

    reporter: asyncio.Task[None] | None = None
    try:
        await _update(ctx, model, job_id, state=JobState.RUNNING.value, started_at=sa.func.now())
        reporter = asyncio.create_task(report())
        result = await work(progress)
        reporter.cancel()
        await _update(
            ctx,
            model,
            job_id,
            state=JobState.SUCCEEDED.value,
            progress=dict(counts),
            result=result.model_dump(mode="json"),
            finished_at=sa.func.now(),
        )
    except asyncio.CancelledError:
        if reporter is not None:
            reporter.cancel()
        await asyncio.shield(_fail(ctx, model, job_id, counts, _interrupted()))
        raise
    except AppError as refused:
        if reporter is not None:
            reporter.cancel()
        await _fail(ctx, model, job_id, counts, refused.to_problem(f"/import-jobs/{job_id}"))
    except Exception:
        if reporter is not None:
            reporter.cancel()
        log.exception("import job %s failed", job_id)
        await _fail(ctx, model, job_id, counts, _internal())
    finally:
        file.discard()


async def _fail(
    ctx: ServiceContext,
    model: type[J],
    job_id: uuid.UUID,
    counts: dict[str, int],
    problem: dict[str, Any],
) -> None:
    try:
        await _update(
            ctx,
            model,
            job_id,
            state=JobState.FAILED.value,
            progress=dict(counts),
            problem=problem,
            finished_at=sa.func.now(),
        )
    except Exception:  # the sweep marks it failed when it sees no heartbeat
        log.exception("import job %s could not be marked failed", job_id)


def _interrupted() -> dict[str, Any]:
    return {
        "type": problem_type("import-job-interrupted"),
        "title": "The import job was interrupted",
        "status": 503,
        "detail": "导入任务因服务停止或重启而中断，未导入任何数据，请重新导入。"
        " The service stopped while the job ran; nothing was imported: import the file again.",
    }


def _internal() -> dict[str, Any]:
    return {
        "type": problem_type("internal-error"),
        "title": "Internal error",
        "status": 500,
        "detail": "服务未能完成此导入，未导入任何数据。 The service failed to finish this import; "
        "nothing was imported.",
    }


def import_job_sweep(model: type[J]) -> PeriodicJob:
    """Every replica, at start and then every half minute: jobs whose process stopped
    reporting (`import_job_stale_s`) are marked failed — never left running for ever."""

    def make(ctx: ServiceContext) -> Job:
        async def run(uow: UnitOfWork) -> None:
            stale = sa.func.now() - sa.func.make_interval(
                0, 0, 0, 0, 0, 0, ctx.settings.import_job_stale_s
            )
            await uow.session.execute(
                sa.update(model)
                .where(model.state.in_(_OPEN), model.heartbeat_at < stale)
                .values(
                    state=JobState.FAILED.value, problem=_interrupted(), finished_at=sa.func.now()
                )
            )

        return run

    return PeriodicJob(name="import-job-sweep", interval=lambda s: 30.0, job=make)


async def stop_background(ctx: ServiceContext) -> None:
    """Cancel the jobs this process runs (each then marks itself failed)."""
    tasks = list(_tasks(ctx))
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=10)
