"""The record kit on PostgreSQL: the row lock it takes by default, the 404 to non-parties,
deadlines under the record's subject, a list page by deadline, a material recorded once
per Idempotency-Key."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from xietong_common.audit import verify_chain
from xietong_common.auth import Principal
from xietong_common.backbone import create_backbone_schema
from xietong_common.calendar import DeadlineRule, WorkingDayCalendar
from xietong_common.clock import FakeClock
from xietong_common.db import Database, database_unavailable, plain_url
from xietong_common.errors import NotFound
from xietong_common.idempotency import IdempotencyKeyReused
from xietong_common.listing import Box, ListFilters
from xietong_common.materials import Claim, MaterialColumns, StoredFile, add_material
from xietong_common.pagination import PageParams
from xietong_common.records import OwnCompiled, RecordKind, new_record
from xietong_common.reference import default_data_dir
from xietong_devtools.testing import (
    Servers,
    create_database,
    every_round_trip,
    every_statement,
    flushed_inserts,
    statement_word,
)

pytestmark = pytest.mark.integration

NOW = datetime(2024, 3, 4, 2, tzinfo=UTC)  # a Monday
TOWN = Principal("town:lizhi", "town:lizhi/handler", frozenset({"handler"}))
DEPT = Principal("dept:water", "dept:water/handler", frozenset({"handler"}))
STRANGER = Principal("town:baitao", "town:baitao/handler", frozenset({"handler"}))


class Base(DeclarativeBase):
    pass


class Note(Base):
    """A record with a sender and a receiver, nothing else."""

    __tablename__ = "notes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sender: Mapped[str]
    receiver: Mapped[str]
    body: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class NoteMaterial(MaterialColumns, Base):
    __tablename__ = "note_materials"

    note_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("notes.id"))
    title: Mapped[str]


class Memo(Base):
    """A record with Python defaults, JSON that stores None as JSON null and as SQL NULL,
    and a collection: what `RecordKind.insert` must write as the ORM's flush would."""

    __tablename__ = "memos"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sender: Mapped[str]
    body: Mapped[str] = mapped_column(default="")
    count: Mapped[int] = mapped_column(default=0)
    remark: Mapped[str | None]
    party: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    flags: Mapped[list[str] | None] = mapped_column(JSONB(none_as_null=True))
    lines: Mapped[list[MemoLine]] = relationship(lazy="raise", order_by="MemoLine.n")
    parts: Mapped[list[MemoPart]] = relationship(lazy="raise", order_by="MemoPart.n")


class MemoLine(Base):
    """A collection's row the database numbers (a serial key): the flush's to write."""

    __tablename__ = "memo_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    memo_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("memos.id"))
    n: Mapped[int]


class MemoPart(Base):
    """A collection's row with a key of its own and a Python default: `insert` writes it."""

    __tablename__ = "memo_parts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    memo_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("memos.id"))
    n: Mapped[int]
    label: Mapped[str] = mapped_column(default="part")


class Greeting(Base):
    """A model with a constructor of its own (it fills a column the caller leaves out)."""

    __tablename__ = "greetings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    text: Mapped[str]
    shout: Mapped[str]

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self.shout = self.text.upper()


class Counted(Base):
    """A record with a version counter, and a column with a Python and a server default."""

    __tablename__ = "counted"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sender: Mapped[str]
    version: Mapped[int] = mapped_column(server_default="1")
    flag: Mapped[bool] = mapped_column(default=False, server_default=sa.true())
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own form)


COUNTED: RecordKind[Counted, Any, Any] = RecordKind(
    model=Counted,
    subject="counted",
    mechanism="test",
    name="counted",
    name_zh="计数",
    parties=lambda c: (c.sender,),
)


MEMO: RecordKind[Memo, Any, Any] = RecordKind(
    model=Memo,
    subject="memo",
    mechanism="test",
    name="memo",
    name_zh="备忘",
    parties=lambda m: (m.sender,),
    collections=(Memo.lines, Memo.parts),
)


NOTE: RecordKind[Note, Any, Any] = RecordKind(  # a record without states
    model=Note,
    subject="note",
    mechanism="test",
    name="note",
    name_zh="便笺",
    parties=lambda n: (n.sender, n.receiver),
    sort={"created_at": Note.created_at},
    sent_by=lambda org: Note.sender == org,
    received_by=lambda org: Note.receiver == org,
    changed=Note.created_at,  # a note is never changed once written (updated_since, issue 25)
)


async def _database(servers: Servers, name: str, *, pool_size: int = 10) -> Database:
    url = await create_database(servers, name)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(create_backbone_schema)
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()
    return Database(url, clock=FakeClock(NOW), service_name="records-test", pool_size=pool_size)


def _invalidations(db: Database) -> list[object]:
    """The connections the pool is told to drop from here on (their errors)."""
    invalidated: list[object] = []
    pool = db.engine.sync_engine.pool
    sa.event.listen(pool, "invalidate", lambda conn, record, error: invalidated.append(error))
    return invalidated


async def _cancelled_once_started(work: Coroutine[Any, Any, Any], started: asyncio.Event) -> None:
    task = asyncio.create_task(work)
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.fixture
async def db(servers: Servers) -> AsyncIterator[Database]:
    database = await _database(servers, "records")
    try:
        yield database
    finally:
        await database.dispose()


async def new_note(db: Database, *, created_at: datetime = NOW, body: str = "x") -> uuid.UUID:
    async with db.uow(actor=TOWN) as uow:
        note = Note(sender=TOWN.org, receiver=DEPT.org, body=body, created_at=created_at)
        uow.session.add(note)
        await uow.session.flush()
        NOTE.audit(uow, note, "written", rule=None)
        return note.id


async def test_load_for_locks_the_row_until_the_unit_of_work_ends(db: Database) -> None:
    """The default: a use case holds its record, so a second change waits for the first."""
    note_id = await new_note(db)
    async with db.uow(actor=TOWN) as uow:
        await NOTE.load_for(uow, note_id, TOWN)
        async with db.engine.connect() as other:
            with pytest.raises(DBAPIError, match="could not obtain lock"):
                await other.execute(
                    sa.select(Note.id).where(Note.id == note_id).with_for_update(nowait=True)
                )
    async with db.session() as session:
        with pytest.raises(TypeError, match="lock=False to read"):
            await NOTE.load_for(session, note_id, TOWN)  # a read forgot to say so
        await NOTE.load_for(session, note_id, TOWN, lock=False)
        async with db.engine.connect() as other:  # a read holds nothing
            await other.execute(
                sa.select(Note.id).where(Note.id == note_id).with_for_update(nowait=True)
            )


async def test_a_locked_load_reads_the_row_afresh(db: Database) -> None:
    note_id = await new_note(db, body="before")
    async with db.uow(actor=TOWN) as uow:
        seen = await NOTE.get(uow, note_id, lock=False)
        async with db.engine.begin() as other:
            await other.execute(sa.update(Note).where(Note.id == note_id).values(body="after"))
        assert seen.body == "before"
        locked = await NOTE.get(uow, note_id)
        assert locked is seen
        assert locked.body == "after"


async def test_non_parties_and_missing_records_get_the_same_404(db: Database) -> None:
    note_id = await new_note(db)
    async with db.session() as session:
        assert (await NOTE.load_for(session, note_id, DEPT, lock=False)).id == note_id
        with pytest.raises(NotFound) as hidden:
            await NOTE.load_for(session, note_id, STRANGER, lock=False)
        with pytest.raises(NotFound) as missing:
            await NOTE.load_for(session, uuid.uuid4(), TOWN, lock=False)
    assert hidden.value.to_problem() == missing.value.to_problem()


async def test_a_load_by_id_is_compiled_once_and_found_by_its_own_key(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: a kind's load by id keeps its compiled forms itself (`OwnCompiled`, one per
    statement and engine), whoever reads which record, and reads as before."""
    first, second = await new_note(db, body="first"), await new_note(db, body="second")
    engine_cache = db.engine.sync_engine._compiled_cache
    assert engine_cache is not None

    async def read() -> None:
        async with db.session() as session:
            assert (await NOTE.load_for(session, first, DEPT, lock=False)).body == "first"
            assert (await NOTE.load_for(session, second, TOWN, lock=False)).body == "second"
        async with db.uow(actor=TOWN) as uow:
            assert (await NOTE.load_for(uow, second, TOWN)).body == "second"

    await read()  # compiled here, once
    forms = [options["compiled_cache"] for _, options in NOTE._statements.values()]
    assert all(isinstance(f, OwnCompiled) for f in forms)
    cached = len(engine_cache)
    compiled: list[object] = []
    keep = OwnCompiled.__setitem__
    monkeypatch.setattr(
        OwnCompiled, "__setitem__", lambda self, k, v: (compiled.append(v), keep(self, k, v))
    )
    for _ in range(3):
        await read()
    assert compiled == []  # found again, not compiled again
    assert len(engine_cache) == cached  # nor kept in the engine's cache


async def test_deadlines_and_the_timeline_live_under_the_subject(
    db: Database, tmp_path: Path
) -> None:
    note_id = await new_note(db)
    calendar = WorkingDayCalendar.load(tmp_path)
    async with db.uow(actor=TOWN) as uow:
        note = await NOTE.load_for(uow, note_id, TOWN)
        tracked = await NOTE.start_deadline(
            uow,
            note,
            "answer",
            calendar=calendar,
            rule=DeadlineRule.working_days(5, rule_id="REF-07"),
            organisation=DEPT.org,
            counterparty=TOWN.org,
        )
        assert tracked.subject == NOTE.subject_of(note_id)
    async with db.uow(actor=DEPT) as uow:
        note = await NOTE.load_for(uow, note_id, DEPT)
        met = await NOTE.satisfy_deadline(uow, note, "answer")
        assert met is not None
        assert met.satisfied_at == NOW
    async with db.session() as session:
        (deadline,) = await NOTE.deadlines_of(session, note_id)
        assert (deadline.rule, deadline.satisfied_at) == ("REF-07", NOW)
        kinds = [e.kind for e in await NOTE.timeline(session, note_id)]
    assert kinds == ["action", "deadline-started", "deadline-met"]


async def test_a_page_by_deadline_with_boxes_and_filters(db: Database) -> None:
    calendar = WorkingDayCalendar.load(default_data_dir() / "calendar")  # 2024 is known
    ids = [await new_note(db, created_at=NOW + timedelta(minutes=n)) for n in range(3)]
    async with db.uow(actor=TOWN) as uow:
        for n, note_id in enumerate(ids[:2]):  # the first is due later than the second
            await NOTE.start_deadline(
                uow,
                await NOTE.get(uow, note_id),
                "answer",
                calendar=calendar,
                rule=DeadlineRule.hours(48 - 24 * n, rule_id="REF-07"),
                organisation=DEPT.org,
                counterparty=TOWN.org,
            )
    paging = PageParams(page=1, page_size=2)
    async with db.session() as session:
        listed, total = await NOTE.page(
            session,
            NOTE.in_box(Box.INBOX, DEPT.org),
            filters=ListFilters(sort="due_at"),
            paging=paging,
            now=NOW,
        )
        assert total == 3
        assert [x.record.id for x in listed] == [ids[1], ids[0]]
        assert listed[0].next_due is not None
        assert not listed[0].overdue
        late, total = await NOTE.page(
            session, filters=ListFilters(overdue=True), paging=paging, now=NOW + timedelta(hours=30)
        )
        assert [x.record.id for x in late] == [ids[1]]
        assert late[0].overdue
        newest, _ = await NOTE.page(
            session,
            NOTE.in_box(Box.OUTBOX, STRANGER.org),
            filters=ListFilters(),
            paging=paging,
            now=NOW,
        )
        assert newest == []


async def test_a_material_is_recorded_once_per_idempotency_key(db: Database) -> None:
    note_id = await new_note(db)
    stored = StoredFile(sha256="a" * 64, size=3, content_type="application/pdf", filename="函.pdf")
    claim = Claim("note.material", "key-1", {"note_id": str(note_id)})
    async with db.uow(actor=TOWN) as uow:
        first, added = await add_material(
            uow, NoteMaterial(note_id=note_id, title="函"), stored, by=TOWN, claim=claim
        )
        assert added
        assert (first.uploaded_by, first.uploaded_at, first.filename) == (TOWN.user, NOW, "函.pdf")
    async with db.uow(actor=TOWN) as uow:
        again, added = await add_material(
            uow, NoteMaterial(note_id=note_id, title="函"), stored, by=TOWN, claim=claim
        )
        assert not added
        assert again.id == first.id
    other = StoredFile(sha256="b" * 64, size=3, content_type="application/pdf", filename="x.pdf")
    with pytest.raises(IdempotencyKeyReused):
        async with db.uow(actor=TOWN) as uow:
            await add_material(
                uow, NoteMaterial(note_id=note_id, title="x"), other, by=TOWN, claim=claim
            )
    async with db.session() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(NoteMaterial))
    assert count == 1


async def test_a_new_record_is_inserted_as_the_flush_would_and_held_as_read(db: Database) -> None:
    """Issue 22: `insert` writes the row the ORM's flush writes (defaults applied, None as JSON
    null or SQL NULL as the column says), in one INSERT; the record is then held as read
    back — its values readable, a change to it flushed as an UPDATE at commit. One with rows
    in a collection is flushed as before."""

    def memo() -> Memo:
        return Memo(sender=TOWN.org, remark=None, party=None, flags=None)

    async with db.uow(actor=TOWN) as uow:
        flushed = memo()
        uow.session.add(flushed)
        await uow.session.flush()
        inserted = await MEMO.insert(uow, memo())
        assert (inserted.body, inserted.count, inserted.lines) == ("", 0, [])
        # Read back through the session: written first, and the same record, as read.
        assert await uow.session.get(Memo, inserted.id) is inserted
        assert inserted in uow.session
        assert not uow.session.dirty
        changed = await MEMO.insert(uow, memo())
        changed.count = 5
        with_lines = memo()
        with_lines.lines = [MemoLine(n=1), MemoLine(n=2)]
        await MEMO.insert(uow, with_lines)
    raw = sa.text(
        "SELECT body, count, remark, party IS NULL, party, flags IS NULL FROM memos WHERE id = :id"
    )
    async with db.session() as session:
        rows = {
            key: tuple((await session.execute(raw, {"id": key})).one())
            for key in (flushed.id, inserted.id, changed.id, with_lines.id)
        }
        lines = await session.execute(
            sa.select(MemoLine.n).where(MemoLine.memo_id == with_lines.id).order_by(MemoLine.n)
        )
        assert list(lines.scalars()) == [1, 2]
    assert rows[inserted.id] == rows[flushed.id] == ("", 0, None, False, None, True)
    assert rows[changed.id][1] == 5
    assert rows[with_lines.id] == rows[flushed.id]


async def test_a_record_made_by_its_kind_is_written_as_its_constructor_s(db: Database) -> None:
    """Issue 22: `RecordKind.new` (`new_record`) makes the record `Memo(...)` makes without
    the attributes' events, and what is written of it is the same — by `insert` (defaults
    applied, None as JSON null or SQL NULL as the column says, a collection's rows with the
    record's key) and by the flush alike; an empty collection reads as loaded, and a name
    that is no attribute of the model is refused as the constructor refuses it."""

    def values() -> dict[str, Any]:
        return {"sender": TOWN.org, "remark": "r", "party": None, "flags": None}

    async with db.uow(actor=TOWN) as uow:
        constructed = await MEMO.insert(uow, Memo(**values(), parts=[MemoPart(n=1)]))
        made = await MEMO.insert(uow, MEMO.new(**values(), parts=[MemoPart(n=1)], lines=[]))
        assert (made.body, made.count, made.lines, made.parts[0].memo_id) == ("", 0, [], made.id)
        flushed = MEMO.new(**values(), lines=[MemoLine(n=1)])
        uow.session.add(flushed)
        await uow.session.flush()
        assert not uow.session.dirty
    raw = sa.text(
        "SELECT body, count, remark, party IS NULL, party, flags IS NULL,"
        " (SELECT count(*) FROM memo_parts WHERE memo_id = memos.id),"
        " (SELECT count(*) FROM memo_lines WHERE memo_id = memos.id)"
        " FROM memos WHERE id = :id"
    )
    async with db.session() as session:
        rows = [
            tuple((await session.execute(raw, {"id": key})).one())
            for key in (constructed.id, made.id, flushed.id)
        ]
    assert rows[0] == rows[1] == ("", 0, "r", False, None, True, 1, 0)
    assert rows[2] == ("", 0, "r", False, None, True, 0, 1)
    with pytest.raises(TypeError, match="'colour' is an invalid keyword argument for Memo"):
        MEMO.new(sender=TOWN.org, colour="red")
    with pytest.raises(TypeError, match="'colour' is an invalid keyword argument for Memo"):
        Memo(sender=TOWN.org, colour="red")
    assert new_record(Greeting, text="ni hao").shout == "NI HAO"  # its own constructor runs


async def test_a_new_record_s_collection_rows_are_inserted_with_it(db: Database) -> None:
    """Issue 22: the rows of a new record's collections are written by `insert` too — one
    INSERT for the record, one per collection, not the flush — each with the record's key and
    its defaults, as the flush writes them, and held as read back (a change to one is an
    UPDATE at commit). A record with rows the database numbers is flushed as before."""
    seen: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = db.engine.sync_engine
    with flushed_inserts(Memo, MemoPart, MemoLine) as flushed:
        await _insert_memos(db, engine, keep, seen, flushed)
    async with db.session() as session:
        parts = await session.execute(sa.select(MemoPart.memo_id, MemoPart.n, MemoPart.label))
        assert sorted(tuple(r) for r in parts) == sorted(
            [(MEMO_1, 1, "first"), (MEMO_1, 2, "changed"), (MEMO_2, 1, "part")]
        )
        lines = await session.scalar(sa.select(sa.func.count()).where(MemoLine.memo_id == MEMO_2))
        assert lines == 1


MEMO_1, MEMO_2 = uuid.uuid4(), uuid.uuid4()


async def _insert_memos(
    db: Database, engine: Any, keep: Any, seen: list[str], flushed: list[Any]
) -> None:
    async with db.uow(actor=TOWN) as uow:
        memo = Memo(id=MEMO_1, sender=TOWN.org, parts=[MemoPart(n=2), MemoPart(n=1, label="first")])
        sa.event.listen(engine, "before_cursor_execute", keep)
        try:
            inserted = await MEMO.insert(uow, memo)
        finally:
            sa.event.remove(engine, "before_cursor_execute", keep)
        assert not flushed, flushed
        assert [s.split("(")[0].strip() for s in seen] == [
            "INSERT INTO memos",
            "INSERT INTO memo_parts",
        ], seen
        assert inserted.lines == []
        assert [p.n for p in inserted.parts] == [2, 1]
        assert all(p.memo_id == memo.id and p in uow.session for p in memo.parts)
        assert not uow.session.dirty
        assert not uow.session.new
        memo.parts[0].label = "changed"
        with_both = Memo(id=MEMO_2, sender=TOWN.org, lines=[MemoLine(n=1)], parts=[MemoPart(n=1)])
        await MEMO.insert(uow, with_both)
        assert len(flushed) == 3, "a record with a serial-keyed row is flushed, all of it"


async def test_a_versioned_record_is_inserted_with_its_counter_s_first_value(
    db: Database,
) -> None:
    """Issue 22: a version counter's first value is written as the flush writes it (1), a
    column's Python default before its server default; a change at commit is then the ORM's
    checked UPDATE (WHERE version = 1), which moves the counter to 2."""
    async with db.uow(actor=TOWN) as uow:
        flushed = Counted(sender=TOWN.org, version=7)
        uow.session.add(flushed)
        await uow.session.flush()
        with flushed_inserts(Counted) as seen:
            inserted = await COUNTED.insert(uow, Counted(sender=TOWN.org, version=7))
        assert not seen, seen
        assert (inserted.version, inserted.flag) == (flushed.version, flushed.flag) == (1, False)
    async with db.uow(actor=TOWN) as uow:
        again = await COUNTED.get(uow, inserted.id)
        again.sender = DEPT.org
    async with db.session() as session:
        rows = await session.execute(sa.select(Counted.id, Counted.version, Counted.flag))
        found = {r.id: (r.version, r.flag) for r in rows}
    assert found == {flushed.id: (1, False), inserted.id: (2, False)}


def _begins_or_commits(sent: list[str]) -> list[str]:
    return [q for q in sent if statement_word(q) in {"BEGIN", "COMMIT", "ROLLBACK"}]


async def test_a_create_that_only_read_first_is_one_statement_without_begin_or_commit(
    db: Database,
) -> None:
    """Issue 22: a unit of work that reads (`uow.read`, outside the transaction while none has
    begun) and queues a new record and its audit row sends two statements — the read, then
    the commit's statement writing the record as it stands at commit, its audit row and the
    chain head — and no BEGIN or COMMIT: that statement is its own transaction."""
    async with db.uow(actor=TOWN) as uow:  # a connection in the pool, its types loaded
        await uow.read(sa.select(sa.func.count()).select_from(Memo.__table__))
        await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[]))
        uow.audit(action="warm", subject="memo:-")
    async with every_round_trip(db) as sent, db.uow(actor=TOWN) as uow:
        held = await uow.read(sa.select(sa.func.count()).select_from(Memo.__table__))
        assert held.scalar_one() == 1
        memo = await MEMO.insert(uow, MEMO.new(sender=TOWN.org, remark="r", lines=[]))
        memo.count = 3  # what the record holds when written is what is written
        MEMO.audit(uow, memo, "written", rule=None)
    assert len(sent) == 2, sent
    assert not _begins_or_commits(sent), sent
    assert sent[1].lstrip().startswith("WITH RECURSIVE"), sent
    async with db.session() as session:
        row = (
            await session.execute(
                sa.select(Memo.count, Memo.body, Memo.remark).where(Memo.id == memo.id)
            )
        ).one()
        assert tuple(row) == (3, "", "r")
        report = await verify_chain(session)
        assert report.ok, report.problems
        assert report.rows == 2


async def test_a_unit_of_work_s_one_statement_fails_whole(db: Database) -> None:
    """Issue 22: where the commit's statement is the transaction, a failure in any part of it
    (here a record whose key is taken) leaves nothing of the others: no audit row, the chain
    head where it was, the error the same as a transaction's."""
    first = await new_note(db)
    async with db.session() as session:
        before = (await session.execute(sa.text("SELECT last_seq, hash FROM audit_head"))).one()

    async def the_same_key_twice() -> None:
        async with db.uow(actor=TOWN) as uow:
            memo = await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[]))
            taken = await MEMO.insert(uow, MEMO.new(id=memo.id, sender=TOWN.org, lines=[]))
            MEMO.audit(uow, taken, "written", rule=None)

    with pytest.raises(sa.exc.IntegrityError):
        await the_same_key_twice()
    async with db.session() as session:
        after = (await session.execute(sa.text("SELECT last_seq, hash FROM audit_head"))).one()
        memos = await session.scalar(sa.select(sa.func.count()).select_from(Memo.__table__))
        audit_rows = await session.scalar(sa.text("SELECT count(*) FROM audit_log"))
    assert tuple(after) == tuple(before)
    assert (memos, audit_rows) == (0, 1)
    assert first


async def test_a_queued_record_is_written_before_the_next_statement_or_flush(
    db: Database,
) -> None:
    """Issue 22: a new record queued by `insert` is in the table for whatever the unit of work
    does next through its session — a read, a load by id (the same record), a flush whose
    rows refer to it — and a record the use case added to the session itself is written
    once. The first write begins the transaction, as ever."""
    async with every_round_trip(db) as sent, db.uow(actor=TOWN) as uow:
        read = await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[]))
        seen = await uow.read(sa.select(sa.func.count()).where(Memo.id == read.id))
        assert seen.scalar_one() == 1
        loaded = await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[]))
        assert await uow.session.get(Memo, loaded.id) is loaded
        referred = await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[]))
        uow.session.add(MemoLine(memo_id=referred.id, n=1))
        await uow.session.flush()  # its foreign key finds the memo
        added = await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[]))
        uow.session.add(added)
        await uow.session.flush()
    assert statement_word(sent[0]) == "BEGIN", sent
    assert statement_word(sent[-1]) == "COMMIT", sent
    async with db.session() as session:
        ids = set((await session.execute(sa.select(Memo.id))).scalars())
    assert ids == {read.id, loaded.id, referred.id, added.id}


async def _held_locked(db: Database, note_id: uuid.UUID) -> None:
    """The note's row is locked: a connection not of the engine's cannot lock it."""
    other = await asyncpg.connect(plain_url(db.url))
    try:
        with pytest.raises(asyncpg.LockNotAvailableError):
            await other.execute("SELECT id FROM notes WHERE id = $1 FOR UPDATE NOWAIT", note_id)
    finally:
        await other.close()


async def test_a_read_before_a_lock_leaves_the_lock_in_the_transaction(db: Database) -> None:
    """Issue 22: `uow.read` runs outside the transaction only while none has begun; a locking
    load after it begins one (BEGIN before it), and the lock is held to the end."""
    note_id = await new_note(db)
    async with every_round_trip(db) as sent, db.uow(actor=TOWN) as uow:
        await uow.read(sa.select(Note.id).where(Note.id == note_id))
        await NOTE.load_for(uow, note_id, TOWN)
        await _held_locked(db, note_id)
        after_lock = await uow.read(sa.select(Note.body).where(Note.id == note_id))
        assert after_lock.scalar_one() == "x"
    words = [statement_word(q) for q in sent]
    assert words[:3] == ["SELECT", "BEGIN", "SELECT"], sent
    assert words[-1] == "COMMIT", sent


def _checkouts(db: Database) -> list[object]:
    taken: list[object] = []
    sa.event.listen(db.engine.sync_engine.pool, "checkout", lambda *a: taken.append(a[0]))
    return taken


async def test_a_unit_of_work_reads_and_commits_by_the_driver_on_one_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: a unit of work whose session has begun nothing reads (`uow.read`) and commits
    (its one statement) by the driver on one connection taken from the pool once; where the
    session needs a connection after the read (a lock), it is given that same one — a unit
    of work never holds two of the pool's connections — and the lock is held on it to the
    end. A unit of work whose statements all ran by the driver makes no session. Every
    connection is back in the pool after."""
    note_id = await new_note(db)
    pool = db.engine.sync_engine.pool
    taken = _checkouts(db)
    sessions, made = db.sessions, []

    def counted() -> Any:
        made.append(sessions())
        return made[-1]

    monkeypatch.setattr(db, "sessions", counted)
    async with db.uow(actor=TOWN) as uow:
        assert (await uow.read(sa.select(sa.func.count()).select_from(Note.__table__))).one() == (
            1,
        )
        memo = await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[]))
        MEMO.audit(uow, memo, "written", rule=None)
    assert len(taken) == 1
    assert made == []  # nothing needed a session: none was made (nor closed)
    assert pool.checkedout() == 0

    taken.clear()
    async with db.uow(actor=TOWN) as uow:
        read = await uow.read(sa.select(sa.func.pg_backend_pid().label("pid")))
        reader = read.one().pid
        await NOTE.load_for(uow, note_id, TOWN)  # FOR UPDATE: the session's transaction
        locker = (await uow.session.execute(sa.select(sa.func.pg_backend_pid()))).scalar_one()
        await _held_locked(db, note_id)
        NOTE.audit(uow, await NOTE.load_for(uow, note_id, TOWN), "locked", rule=None)
    assert reader == locker
    assert len(taken) == 1
    assert pool.checkedout() == 0
    async with db.session() as session:
        report = await verify_chain(session)
    assert report.ok, report.problems
    assert report.rows == 3


async def test_units_of_work_that_read_then_lock_never_starve_a_small_pool(
    servers: Servers,
) -> None:
    """Issue 22: units of work that each read by the driver and then lock through the session,
    more of them at once than the pool has connections, all finish: each holds one connection,
    never one while waiting for a second (which, with every connection so held, would wait
    for the pool's timeout and fail)."""
    small = await _database(servers, "records_small_pool", pool_size=1)
    try:
        ids = [await new_note(small) for _ in range(6)]
        both_read = asyncio.Barrier(2)

        async def read_then_lock(note_id: uuid.UUID) -> None:
            async with small.uow(actor=TOWN) as uow:
                notes = Note.__table__.c  # a Core statement: the driver's
                await uow.read(sa.select(notes.body).where(notes.id == note_id))
                assert not uow.session.in_transaction()
                if note_id in ids[:2]:
                    await both_read.wait()  # the pool's two connections held by reads at once
                note = await NOTE.load_for(uow, note_id, TOWN)
                NOTE.audit(uow, note, "locked", rule=None)

        await asyncio.gather(*(read_then_lock(i) for i in ids))
        assert small.engine.sync_engine.pool.checkedout() == 0
    finally:
        await small.dispose()


async def test_a_commit_by_the_driver_is_never_run_twice_and_a_refused_one_raises_as_before(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: the commit's statement run by the driver, outside a transaction, is all of
    the unit of work's writes. Refused by the server (a key taken), nothing of it was
    written: the session's path runs it again and raises SQLAlchemy's error, as before. Its
    connection lost after the server may have committed it, it is not run again (the record
    is written once, never twice), the error is raised and the connection dropped, not
    given back to the pool as if whole; cut off mid-statement (a cancelled request), the
    same."""
    first = await new_note(db)
    async with db.uow(actor=TOWN) as uow:
        memo = await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[]))

    async def create(new: Memo) -> None:
        async with db.uow(actor=TOWN) as uow:
            await uow.read(sa.select(sa.func.count()).select_from(Memo.__table__))
            MEMO.audit(uow, await MEMO.insert(uow, new), "written", rule=None)

    with pytest.raises(sa.exc.IntegrityError):
        await create(MEMO.new(id=memo.id, sender=TOWN.org, lines=[]))

    invalidated = _invalidations(db)
    pool = db.engine.sync_engine.pool
    execute = asyncpg.Connection.execute

    async def ran_then_lost(self: asyncpg.Connection, query: str, *args: Any) -> str:
        done: str = await execute(self, query, *args)
        if "INSERT INTO memos" in query:
            raise ConnectionResetError("the connection went away before the answer came")
        return done

    monkeypatch.setattr(asyncpg.Connection, "execute", ran_then_lost)
    lost = MEMO.new(sender=TOWN.org, lines=[])
    with pytest.raises(ConnectionResetError):
        await create(lost)
    assert len(invalidated) == 1
    assert pool.checkedout() == 0

    started = asyncio.Event()

    async def stuck(self: asyncpg.Connection, query: str, *args: Any) -> str:
        started.set()
        await asyncio.Event().wait()
        return ""

    monkeypatch.setattr(asyncpg.Connection, "execute", stuck)

    async def cut_off() -> None:
        async with db.uow(actor=TOWN) as uow:
            await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[]))

    await _cancelled_once_started(cut_off(), started)
    assert len(invalidated) == 2
    assert pool.checkedout() == 0
    monkeypatch.undo()

    async with db.session() as session:
        memos = set((await session.execute(sa.select(Memo.id))).scalars())
        report = await verify_chain(session)
    assert memos == {memo.id, lost.id}  # written once, by the one statement that ran
    assert report.ok, report.problems
    assert report.rows == 2  # the note's and the lost create's: the refused one wrote none
    assert first


async def test_a_commit_by_the_driver_on_a_closed_connection_is_a_database_away(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: a commit by the driver whose connection the server or the network closed
    fails as a database away (`database_unavailable`), as SQLAlchemy's path says it — asyncpg
    says "connection is closed" with an InterfaceError — so that the inbox retries the event
    rather than dead-lettering it; the connection is dropped, nothing is written."""
    execute = asyncpg.Connection.execute

    async def closed_first(self: asyncpg.Connection, query: str, *args: Any) -> str:
        if "INSERT INTO memos" in query:
            self.terminate()  # gone, as a server restart leaves it
        done: str = await execute(self, query, *args)
        return done

    monkeypatch.setattr(asyncpg.Connection, "execute", closed_first)
    invalidated = _invalidations(db)

    async def create() -> None:
        async with db.uow(actor=TOWN) as uow:
            MEMO.audit(
                uow, await MEMO.insert(uow, MEMO.new(sender=TOWN.org, lines=[])), "w", rule=None
            )

    with pytest.raises(ConnectionError) as raised:
        await create()
    assert database_unavailable(raised.value)
    assert len(invalidated) == 1
    assert db.engine.sync_engine.pool.checkedout() == 0
    monkeypatch.undo()
    async with db.session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Memo.__table__)) == 0


async def test_a_read_by_the_driver_that_fails_is_read_again_by_the_session(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: a unit of work's read whose driver fails is read again by the session, which
    answers as before (or raises SQLAlchemy's error); the driver's connection is dropped."""
    await new_note(db, body="kept")
    query = sa.select(Note.__table__.c.body)  # a Core statement (an ORM one is the session's)
    async with db.uow(actor=TOWN) as uow:  # its first run found its columns' conversions
        assert (await uow.read(query)).scalar_one() == "kept"
        assert not uow.session.in_transaction()  # the driver ran it
    invalidated = _invalidations(db)
    pool = db.engine.sync_engine.pool

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionResetError("the driver's connection went away")

    # The driver's own `fetch` (SQLAlchemy's adapter runs prepared statements instead).
    monkeypatch.setattr(asyncpg.Connection, "fetch", broken)
    async with db.uow(actor=TOWN) as uow:
        read = await uow.read(query)
        assert read.scalar_one() == "kept"
        assert uow.session.in_transaction()  # SQLAlchemy's execution ran it
    assert len(invalidated) == 1
    assert pool.checkedout() == 0


async def test_a_read_by_id_runs_on_the_driver_and_makes_what_sqlalchemy_makes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: a read session's load by id runs its one statement by the driver, on a
    connection of its own, without the AUTOCOMMIT option SQLAlchemy's execution sets as it
    takes the connection and resets as it gives it back (a tenth of a GET's CPU): the record
    is what SQLAlchemy's execution makes of the row (each column's conversion applied: JSON,
    integers, times), the engine's statement event still hears the statement, a session that
    holds a connection already keeps its statements on it, and a driver that fails leaves
    the read to SQLAlchemy."""
    async with db.uow(actor=TOWN) as uow:
        memo = Memo(sender=TOWN.org, body="b", count=7, party={"org": "town:lizhi"}, flags=None)
        uow.session.add(memo)
        await uow.session.flush()
        memo_id = memo.id
    columns = [c.key for c in sa.inspect(Memo).column_attrs]

    async with db.session() as session:
        expected = (await session.execute(sa.select(Memo).where(Memo.id == memo_id))).scalar_one()
        wanted = {k: getattr(expected, k) for k in columns}

    with every_statement(db) as seen:
        async with db.session() as session:
            read = await MEMO.get(session, memo_id, lock=False)
            assert not session.in_transaction()  # the session took no connection
    assert {k: getattr(read, k) for k in columns} == wanted
    assert (read.lines, read.parts) == ([], [])
    assert len(seen) == 1, seen
    assert seen[0].lstrip().startswith("SELECT"), seen

    async with db.session() as session:
        await session.execute(sa.select(1))  # the session holds a connection: the read uses it
        held = await MEMO.get(session, memo_id, lock=False)
    assert {k: getattr(held, k) for k in columns} == wanted

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionResetError("the driver's connection went away")

    monkeypatch.setattr(asyncpg.Connection, "fetchrow", broken)
    async with db.session() as session:
        again = await MEMO.get(session, memo_id, lock=False)
        assert session.in_transaction()  # SQLAlchemy's execution ran it
    assert {k: getattr(again, k) for k in columns} == wanted

    started = asyncio.Event()

    async def stuck(*args: Any, **kwargs: Any) -> Any:
        started.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(asyncpg.Connection, "fetchrow", stuck)
    invalidated = _invalidations(db)
    pool = db.engine.sync_engine.pool
    async with db.session() as session:
        await _cancelled_once_started(MEMO.get(session, memo_id, lock=False), started)
    # Cut off mid-statement, its connection was not given back to the pool as if whole.
    assert len(invalidated) == 1
    assert pool.checkedout() == 0
    monkeypatch.undo()
    async with db.session() as session:
        assert (await MEMO.get(session, memo_id, lock=False)).count == 7
        with pytest.raises(NotFound):
            await MEMO.get(session, uuid.uuid4(), lock=False)


async def test_a_read_by_id_gives_its_connection_back_without_a_task(
    db: Database, tasks_made: list[Any]
) -> None:
    """Issue 22: the read by id's connection goes back to the pool as `async with` would
    give it back — whole, even if the request is cancelled meanwhile — but without the task
    of its own SQLAlchemy's `async with engine.connect()` closes it in (its close waits for
    nothing: no transaction to roll back), some 120 of a GET's ~1,150 Python calls."""
    async with db.uow(actor=TOWN) as uow:
        memo = Memo(sender=TOWN.org, body="b", count=7, party={"org": "town:lizhi"}, flags=None)
        uow.session.add(memo)
        await uow.session.flush()
        memo_id = memo.id
    tasks_made.clear()
    async with db.session() as session:
        read = await MEMO.get(session, memo_id, lock=False)
        assert not session.in_transaction()  # the driver ran it
    assert read.count == 7
    assert tasks_made == []
    assert db.engine.sync_engine.pool.checkedout() == 0
