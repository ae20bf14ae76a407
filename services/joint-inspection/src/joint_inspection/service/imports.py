"""INSP-02: importing a table of targets (.xlsx or CSV) — every row registered, or none, with
each bad row's errors in Chinese and English.

The table is read and its rows validated in a worker process (`read_targets`: never on the
event loop, within the limits of `xietong_common.files`); the rows are then checked against
the register and registered in one unit of work (`import_targets`). A large file is an import
job (`xietong_common.import_jobs`) running the same two steps."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from joint_inspection.models import Target, TargetVersion
from joint_inspection.schemas import (
    IMPORT_COLUMNS,
    TargetRow,
)
from joint_inspection.service.common import WRITE_ROLES, lock_register
from joint_inspection.service.targets import (
    IMPORT_SCOPE,
    existing_identities,
    first_version,
    new_target,
    row_of,
)
from joint_inspection.settings import inspection_settings
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.files.limits import MiB, WorkerBudget
from xietong_common.reference import is_department, is_town
from xietong_common.spreadsheets import CellError, TableInvalid, TableRead, load_table, refuse
from xietong_common.uow import UnitOfWork


def _town_code(ctx: ServiceContext, text: str) -> str | None:
    if ctx.directory.is_town(text):
        return text
    return next((t.code for t in ctx.directory.towns() if t.name_zh == text), None)


async def read_targets(
    ctx: ServiceContext,
    source: Path | bytes,
    *,
    filename: str | None,
    progress: Callable[[dict[str, int]], None] | None = None,
) -> TableRead[TargetRow]:
    """INSP-02: the table read and each row validated, in a worker process."""
    return await load_table(
        ctx.files,
        source,
        filename=filename,
        max_rows=inspection_settings(ctx).inspection_max_import_rows,
        model=TargetRow,
        columns=IMPORT_COLUMNS,
        header_names=IMPORT_COLUMNS.keys(),
        budget=WorkerBudget(
            seconds=ctx.settings.import_worker_seconds,
            memory_bytes=ctx.settings.file_worker_memory_mb * MiB,
        ),
        progress=progress,
    )


async def import_targets(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    read: TableRead[TargetRow],
    sha256: str,
    filename: str | None,
    idempotency_key: str | None = None,
) -> list[uuid.UUID]:
    """INSP-02: register a whole table (.xlsx or CSV) read by `read_targets`: every row, or
    none with each row's errors in Chinese and English."""
    actor.require_role(*WRITE_ROLES)
    fingerprint: dict[str, Any] = {"sha256": sha256, "filename": filename}
    replay = await idempotency.claim(
        uow, scope=IMPORT_SCOPE, org=actor.org, key=idempotency_key, request=fingerprint
    )
    if replay is not None:
        batch = uuid.UUID(replay)
        rows = await uow.session.execute(
            sa.select(Target.id).where(Target.import_batch == batch).order_by(Target.import_row)
        )
        return list(rows.scalars())
    table = read.table
    if read.errors:
        raise refuse(read.errors, len(table.rows))
    column_of = {field: name for name, field in IMPORT_COLUMNS.items() if name in table.header}
    batch = uuid.uuid4()
    # Thousands of rows: planned in a thread, so the event loop keeps serving meanwhile.
    plan = await asyncio.to_thread(_plan, ctx, actor, read.parsed, column_of, batch, uow.now)
    errors = plan.errors
    now = uow.now
    for town in sorted({t.town for t in plan.targets}):
        now = await lock_register(uow, ctx, town)
    found = await existing_identities(
        uow.session,
        [t.credit_code for t in plan.targets if t.credit_code],
        [t.identity_digest for t in plan.targets if t.identity_digest],
    )
    for key in found:
        errors.append(
            CellError(
                plan.seen[key],
                column_of.get("id_number"),
                None,
                "已登记",
                "already in the register",
            )
        )
    if errors:
        errors.sort(key=lambda e: e.row)
        first = errors[0]
        raise TableInvalid(
            f"{len(errors)} problem(s); first at row {first.row}: {first.message_en}. "
            "Nothing was imported.",
            zh=f"共有 {len(errors)} 处错误；首个在第 {first.row} 行：{first.message_zh}。未导入任何数据。",
            errors=[e.as_dict() for e in errors[:200]],
            error_count=len(errors),
        )
    targets = plan.targets
    if targets:
        target_rows, versions = await asyncio.to_thread(_rows, targets, now)
        # Core inserts, one statement per page, each executed on its own: SQLAlchemy builds
        # the parameters of every row of an `execute` before its first page goes out, which
        # for 20,000 rows held the loop for seconds; a page at a time, the loop runs between
        # them. No ORM bookkeeping of thousands of rows runs on it either.
        inserted = 0
        for page in _pages(target_rows):
            inserted += len(
                (
                    await uow.session.execute(
                        insert(_TARGETS).on_conflict_do_nothing().returning(_TARGETS.c.id), page
                    )
                ).all()
            )
        if inserted != len(targets):
            raise TableInvalid(
                "some targets were registered by someone else meanwhile; nothing was imported, "
                "import the table again to see which",
                zh="导入期间部分监管对象已被他人登记，未导入任何数据；请重新导入以查看具体行",
                errors=[],
            )
        for page in _pages(versions):
            await uow.session.execute(sa.insert(_VERSIONS), page)
    await idempotency.remember(
        uow, scope=IMPORT_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(batch)
    )
    uow.audit(
        action="inspection.targets.imported",
        subject=f"inspection-import:{batch}",
        rule="INSP-02",
        detail={"count": len(targets), "filename": filename, "sha256": sha256},
    )
    return [t.id for t in targets]


_PAGE = 250
_TARGETS = cast(sa.Table, Target.__table__)
_VERSIONS = cast(sa.Table, TargetVersion.__table__)


def _pages(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """`rows` a page at a time (one INSERT statement each)."""
    for start in range(0, len(rows), _PAGE):
        yield rows[start : start + _PAGE]


@dataclass
class _Plan:
    targets: list[Target] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)  # code or digest -> its row


def _plan(
    ctx: ServiceContext,
    actor: Principal,
    parsed: list[tuple[int, TargetRow]],
    column_of: dict[str, str],
    batch: uuid.UUID,
    now: datetime,
) -> _Plan:
    """Each valid row as a target of this town or department, or its error (pure: run in a
    thread)."""
    plan = _Plan()
    for number, row in parsed:
        town = _town_code(ctx, row.town)
        if (
            town is None
            or (is_town(actor.org) and town != actor.org)
            or not (is_town(actor.org) or is_department(actor.org))
        ):
            plan.errors.append(
                CellError(
                    number,
                    column_of.get("town"),
                    None,
                    f"“{row.town}”不是可登记的乡镇（街道）",
                    f"{row.town!r} is not a town this organisation registers targets in",
                )
            )
            continue
        target = new_target(ctx, actor, row, town, now, batch)
        target.import_row = number
        key = target.credit_code or target.identity_digest or ""
        if key in plan.seen:
            plan.errors.append(
                CellError(
                    number,
                    column_of.get("id_number"),
                    None,
                    f"与第 {plan.seen[key]} 行重复",
                    f"the same code or number as row {plan.seen[key]}",
                )
            )
            continue
        plan.seen[key] = number
        plan.targets.append(target)
    return plan


def _rows(
    targets: list[Target], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows to insert, stamped with the time the register was locked (run in a thread)."""
    for t in targets:
        t.created_at = t.updated_at = now
    return [row_of(t) for t in targets], [row_of(first_version(t)) for t in targets]
