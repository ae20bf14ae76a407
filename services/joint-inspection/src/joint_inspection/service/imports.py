"""INSP-02: importing a table of targets (.xlsx or CSV) — every row registered, or none, with
each bad row's errors in Chinese and English."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from joint_inspection.models import Target, TargetVersion
from joint_inspection.schemas import (
    IMPORT_COLUMNS,
    TargetRow,
)
from joint_inspection.service.common import (
    WRITE_ROLES,
    audit,
    lock_register,
)
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
from xietong_common.reference import is_department, is_town
from xietong_common.spreadsheets import CellError, TableInvalid, parse_rows, read_table
from xietong_common.uow import UnitOfWork


def _town_code(ctx: ServiceContext, text: str) -> str | None:
    if ctx.directory.is_town(text):
        return text
    return next((t.code for t in ctx.directory.towns() if t.name_zh == text), None)


async def import_targets(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    content: bytes,
    filename: str | None,
    idempotency_key: str | None = None,
) -> list[uuid.UUID]:
    """INSP-02: register a whole table (.xlsx or CSV): every row, or none with each row's
    errors in Chinese and English."""
    actor.require_role(*WRITE_ROLES)
    settings = inspection_settings(ctx)
    fingerprint: dict[str, Any] = {"sha256": _sha256(content), "filename": filename}
    replay = await idempotency.claim(
        uow, scope=IMPORT_SCOPE, org=actor.org, key=idempotency_key, request=fingerprint
    )
    if replay is not None:
        batch = uuid.UUID(replay)
        rows = await uow.session.execute(
            sa.select(Target.id).where(Target.import_batch == batch).order_by(Target.import_row)
        )
        return list(rows.scalars())
    table = read_table(content, filename=filename, max_rows=settings.inspection_max_import_rows)
    parsed = parse_rows(table, TargetRow, IMPORT_COLUMNS)
    column_of = {field: name for name, field in IMPORT_COLUMNS.items() if name in table.header}
    errors: list[CellError] = []
    batch = uuid.uuid4()
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for number, row in parsed:
        town = _town_code(ctx, row.town)
        if (
            town is None
            or (is_town(actor.org) and town != actor.org)
            or not (is_town(actor.org) or is_department(actor.org))
        ):
            errors.append(
                CellError(
                    number,
                    column_of.get("town"),
                    None,
                    f"“{row.town}”不是可登记的乡镇（街道）",
                    f"{row.town!r} is not a town this organisation registers targets in",
                )
            )
            continue
        target = new_target(ctx, actor, row, town, uow.now, batch)
        target.import_row = number
        key = target.credit_code or target.identity_digest or ""
        if key in seen:
            errors.append(
                CellError(
                    number,
                    column_of.get("id_number"),
                    None,
                    f"与第 {seen[key]} 行重复",
                    f"the same code or number as row {seen[key]}",
                )
            )
            continue
        seen[key] = number
        targets.append(target)
    now = uow.now
    for town in sorted({t.town for t in targets}):
        now = await lock_register(uow, ctx, town)
    for t in targets:
        t.created_at = t.updated_at = now
    found = await existing_identities(
        uow.session,
        [t.credit_code for t in targets if t.credit_code],
        [t.identity_digest for t in targets if t.identity_digest],
    )
    for key in found:
        errors.append(
            CellError(
                seen[key], column_of.get("id_number"), None, "已登记", "already in the register"
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
    if targets:
        inserted = (
            await uow.session.execute(
                insert(Target).on_conflict_do_nothing().returning(Target.id),
                [row_of(t) for t in targets],
            )
        ).all()
        if len(inserted) != len(targets):
            raise TableInvalid(
                "some targets were registered by someone else meanwhile; nothing was imported, "
                "import the table again to see which",
                zh="导入期间部分监管对象已被他人登记，未导入任何数据；请重新导入以查看具体行",
                errors=[],
            )
        await uow.session.execute(
            sa.insert(TargetVersion), [row_of(first_version(t)) for t in targets]
        )
    await idempotency.remember(
        uow, scope=IMPORT_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(batch)
    )
    audit(
        uow,
        f"inspection-import:{batch}",
        "targets.imported",
        "INSP-02",
        count=len(targets),
        filename=filename,
        sha256=fingerprint["sha256"],
    )
    return [t.id for t in targets]


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
