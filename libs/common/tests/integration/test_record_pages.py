"""The record kit's reads on PostgreSQL (issue 22): collections filled only where asked and
only queried when non-empty; list pages by cursor that match the pages by number in every
sort (NULLs and ties included); a count exact up to a bound that says so."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from xietong_common.auth import Principal
from xietong_common.backbone import create_backbone_schema
from xietong_common.clock import FakeClock
from xietong_common.db import Database
from xietong_common.errors import InvalidInput
from xietong_common.listing import ListFilters
from xietong_common.pagination import PageParams, decode_cursor, encode_cursor, fetch_page
from xietong_common.records import RecordKind
from xietong_devtools.testing import Servers, create_database, every_statement

pytestmark = pytest.mark.integration

NOW = datetime(2024, 3, 4, 2, tzinfo=UTC)
TOWN = Principal("town:lizhi", "town:lizhi/handler", frozenset({"handler"}))


class Base(DeclarativeBase):
    pass


class Letter(Base):
    __tablename__ = "letters"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sender: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    lines: Mapped[list[Line]] = relationship(order_by="Line.position", lazy="raise")
    stamps: Mapped[list[Stamp]] = relationship(lazy="raise")


class Line(Base):
    __tablename__ = "letter_lines"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    letter_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("letters.id"), index=True)
    position: Mapped[int]


class Stamp(Base):
    __tablename__ = "letter_stamps"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    letter_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("letters.id"), index=True)


LETTER: RecordKind[Letter, Any, Any] = RecordKind(
    model=Letter,
    subject="letter",
    mechanism="test",
    name="letter",
    name_zh="函件",
    parties=lambda n: (n.sender,),
    sort={"created_at": Letter.created_at, "sent_at": Letter.sent_at},
    changed=Letter.created_at,
    collections=(Letter.lines, Letter.stamps),
)


@pytest.fixture
async def db(servers: Servers) -> AsyncIterator[Database]:
    url = await create_database(servers, "record_pages")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(create_backbone_schema)
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()
    database = Database(url, clock=FakeClock(NOW), service_name="record-pages-test")
    try:
        yield database
    finally:
        await database.dispose()


def reading(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if re.match(rf"\s*SELECT {table}\.", s)]


async def test_collections_are_filled_where_asked_and_queried_only_when_not_empty(
    db: Database,
) -> None:
    async with db.uow(actor=TOWN) as uow:
        empty = Letter(sender=TOWN.org, created_at=NOW)
        full = Letter(sender=TOWN.org, created_at=NOW)
        full.lines = [Line(position=2), Line(position=1)]
        uow.session.add_all([empty, full])
    async with db.session() as session:
        with every_statement(db) as seen:
            letter = await LETTER.load_for(session, empty.id, TOWN, lock=False)
        assert (letter.lines, letter.stamps) == ([], [])
        assert len(seen) == 1  # the EXISTS of each collection is in the record's statement
    async with db.uow(actor=TOWN) as uow:
        with every_statement(db) as seen:
            letter = await LETTER.get(uow, full.id)  # locked, as a use case loads it
        assert [line.position for line in letter.lines] == [1, 2]  # the relationship's order
        assert letter.stamps == []
        assert len(seen) == 2
        assert len(reading(seen, "letter_lines")) == 1
        letter.lines.append(Line(position=3))  # loaded: a use case changes it
    async with db.session() as session:
        only = await LETTER.get(session, full.id, lock=False, collections=[Letter.stamps])
        assert only.stamps == []
        with pytest.raises(InvalidRequestError):
            _ = only.lines  # not asked for: never loaded behind the caller's back
    async with db.session() as session:
        bare = await LETTER.get(session, full.id, lock=False, collections=False)
        with pytest.raises(InvalidRequestError):
            _ = bare.lines
    async with db.session() as session:
        with every_statement(db) as seen:
            listed, total = await LETTER.page(
                session, filters=ListFilters(), paging=PageParams(), now=NOW
            )
        assert total == 2
        assert len(listed) == 2
        assert not reading(seen, "letter_lines")  # a list loads no collection
        assert not reading(seen, "letter_stamps")
        with pytest.raises(InvalidRequestError):
            _ = listed[0].record.lines


SORTS = ["created_at", "-created_at", "sent_at", "-sent_at", "due_at", "-due_at"]


@pytest.mark.parametrize("sort", SORTS)
async def test_pages_by_cursor_are_the_pages_by_number(db: Database, sort: str) -> None:
    """Ties in the sort key and NULLs (a letter never sent) included: walking by cursor reads
    every row once, in the order the pages by number show them."""
    async with db.uow(actor=TOWN) as uow:
        for n in range(9):
            at = NOW + timedelta(minutes=n // 3)  # three letters at each moment
            sent = None if n % 4 == 0 else NOW - timedelta(minutes=n % 3)
            uow.session.add(Letter(sender=TOWN.org, created_at=at, sent_at=sent))
    filters = ListFilters(sort=sort)
    async with db.session() as session:
        everything, total = await LETTER.page(
            session, filters=filters, paging=PageParams(page_size=100), now=NOW
        )
        assert total == 9
        by_number = []
        for page in (1, 2, 3, 4, 5):
            listed, _ = await LETTER.page(
                session, filters=filters, paging=PageParams(page=page, page_size=2), now=NOW
            )
            by_number += [x.record.id for x in listed]
        by_cursor: list[uuid.UUID] = []
        cursor = None
        for _ in range(6):
            listed, counted = await LETTER.page(
                session, filters=filters, paging=PageParams(page_size=2, cursor=cursor), now=NOW
            )
            assert counted == 9  # every page counts what the filters match
            by_cursor += [x.record.id for x in listed]
            cursor = getattr(counted, "next_cursor", None)
            if cursor is None:
                break
    assert by_cursor == by_number == [x.record.id for x in everything]


async def test_the_count_is_exact_up_to_its_bound_and_says_so(db: Database) -> None:
    async with db.uow(actor=TOWN) as uow:
        for _ in range(5):
            uow.session.add(Letter(sender=TOWN.org, created_at=NOW))
    query = sa.select(Letter).order_by(Letter.created_at, Letter.id)
    async with db.session() as session:
        rows, total = await fetch_page(
            session, query, PageParams(page_size=2), changed=Letter.created_at, count_limit=3
        )
        assert (total, total.exact, len(rows)) == (3, False, 2)
        assert total.next_cursor is not None
        rows, total = await fetch_page(
            session, query, PageParams(page_size=10), changed=Letter.created_at, count_limit=5
        )
        assert (total, total.exact, len(rows), total.next_cursor) == (5, True, 5, None)


async def test_a_forged_cursor_is_refused_before_any_sql(db: Database) -> None:
    """A cursor of the right shape but not of the sort's types (a text for a time, a time
    without its offset) is the caller's mistake (422), never a database error."""
    query = sa.select(Letter).order_by(Letter.created_at, Letter.id)
    forged = [
        encode_cursor(["yesterday", str(uuid.uuid4())]),
        encode_cursor([NOW.replace(tzinfo=None), uuid.uuid4()]),
        encode_cursor([NOW, 12]),
        encode_cursor([{"a": 1}, uuid.uuid4()]),
    ]
    async with db.session() as session:
        for cursor in forged:
            with pytest.raises(InvalidInput):
                await fetch_page(
                    session, query, PageParams(cursor=cursor), changed=Letter.created_at
                )
        rows, _ = await fetch_page(
            session,
            query,
            PageParams(cursor=encode_cursor([NOW, uuid.uuid4()])),
            changed=Letter.created_at,
        )
        assert rows == []


def test_a_list_that_pages_itself_by_offset_refuses_a_cursor() -> None:
    """A list built without `fetch_page` (an inbox joining two tables) cannot follow a
    cursor: asking it for one is 422, never its first page again."""
    assert PageParams(page=3, page_size=10).offset == 20
    with pytest.raises(InvalidInput):
        _ = PageParams(cursor=encode_cursor([NOW])).offset


def test_a_cursor_not_given_by_a_list_is_refused() -> None:
    values = [NOW, None, uuid.uuid4()]
    assert decode_cursor(encode_cursor(values), 3) == values
    bad_number = base64.urlsafe_b64encode(b'[["n","twelve"],null,null]').decode()
    for bad in ("", "not base64!", encode_cursor(values)[:-3], encode_cursor(["x"]), bad_number):
        with pytest.raises(InvalidInput):
            decode_cursor(bad, 3)
