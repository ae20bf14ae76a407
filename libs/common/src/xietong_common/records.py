"""The notice's idea of a record, declared once per kind: a referral, a review, an
assistance request, a work order, an item, a team.

Every mechanism keeps records the same way: loaded with a row lock, hidden from those who
are not its parties (404, never 403), moved through the domain's `Transitions` table,
audited under a subject (`referral:<id>`), given deadlines under that subject, listed by
deadline. A service declares each kind of record once, in `service/common.py`:

    REFERRAL: RecordKind[Referral, ReferralState, Step] = RecordKind(
        model=Referral, subject="referral", mechanism="referral",
        name="referral", name_zh="移送案件",
        parties=lambda r: parties(r).visible_to(),    # the domain says who sees it
        transitions=domain.TRANSITIONS,
        sort={"created_at": Referral.created_at, "sent_at": Referral.sent_at},
    )

and its use cases speak the same verbs in every service:

    referral = await REFERRAL.load_for(uow, referral_id, actor)      # locked; 404 to others
    REFERRAL.transition(referral, Step.SEND, uow.now)                  # or the domain's refusal
    REFERRAL.audit(uow, referral, "sent", rule="REF-03", receiver=...)
    await REFERRAL.start_deadline(uow, referral, "receive", calendar=..., rule=..., ...)

Reads use the same verbs on a read session, without the lock (`lock=False`), and
`REFERRAL.page(...)` for a list with the filters, sort keys and deadline columns every
list has. docs/architecture.md ("The record kit") walks through it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ONETOMANY, Session, make_transient_to_detached, with_parent
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import UnmappedColumnError
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.util import immutabledict

from xietong_common import deadlines, driver
from xietong_common.auth import Actor
from xietong_common.calendar import DeadlineRule, WorkingDayCalendar
from xietong_common.closing import closed
from xietong_common.db import READ_ONLY
from xietong_common.errors import AppError, NotFound
from xietong_common.listing import (
    Box,
    DeadlineQueries,
    Listed,
    ListFilters,
    is_overdue,
    next_due,
    sort_clause,
    sort_keys,
)
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.states import Transitions
from xietong_common.timeline import (
    DeadlineOut,
    TimelineEntry,
    deadlines_by_subject,
    deadlines_column,
    deadlines_from,
    subject_timeline,
)
from xietong_common.uow import RowInsert, UnitOfWork, execute_plainly

if TYPE_CHECKING:
    from xietong_common.documents.issuing import IssuedDocument

M = TypeVar("M")
StateT = TypeVar("StateT", bound=Enum)
StepT = TypeVar("StepT", bound=Enum)
R = TypeVar("R")

Db = AsyncSession | UnitOfWork
"""Where a record is read: a use case's unit of work, or a read session."""
Where = Callable[[str], sa.ColumnElement[bool]]
"""A filter of the records an organisation (by code) sent, or was sent."""


_HAS_DOCUMENTS = "_xietong_has_documents"
"""Set on a record read by id on a read session: whether any document was issued for it."""
_DEADLINES_READ = "xietong.deadlines_read"
"""`session.info` of a read session: the deadlines of the records it read by id, by subject."""


def _session(db: Db) -> AsyncSession:
    return db.session if isinstance(db, UnitOfWork) else db


def _state_in_audit(record: Any) -> dict[str, Any]:
    state = getattr(record, "state", None)
    return {} if state is None else {"state": state}


def _with_parent(collection: Any) -> sa.ColumnElement[bool]:
    """The rows of `collection` (`Referral.items`) that belong to the parent in the query."""
    prop = collection.property
    return sa.and_(*(remote == local for local, remote in prop.local_remote_pairs))


async def _fill(
    session: AsyncSession, record: Any, found: Mapping[Any, bool], *, afresh: bool
) -> None:
    """Set each collection of `record` as loaded: empty where its EXISTS found nothing, else
    its rows in the relationship's order, one statement per non-empty collection. One the
    session already holds is kept unless `afresh` (a locked read, which reads all afresh)."""
    for collection, nonempty in found.items():
        if not afresh and collection.key in record.__dict__:
            continue
        rows: list[Any] = []
        if nonempty:
            prop = collection.property
            query = sa.select(prop.mapper.class_).where(with_parent(record, collection))
            if prop.order_by:
                query = query.order_by(*prop.order_by)
            rows = list((await session.execute(query)).scalars())
        set_committed_value(record, collection.key, rows)


_NO_OPTIONS: Mapping[str, Any] = immutabledict()

_NOT_BY_DRIVER: Any = object()


async def _driver_row(session: AsyncSession, query: Any, params: Mapping[str, Any] | None) -> Any:
    """The one row of a read by id, run by the driver on a connection of the session's engine
    — or `_NOT_BY_DRIVER` where the session holds a connection already (its statements stay
    on it) or the driver failed (the session runs it again, and raises SQLAlchemy's error).

    What SQLAlchemy's execution would add to the read is left out: the AUTOCOMMIT option set
    on the connection as it is taken and reset as it goes back (the driver sends no BEGIN of
    its own), and Core's execution and result (issue 22: ~135 µs of a GET's ~1 ms). Kept
    (`driver`): the columns' conversions, the statement's span, and the engine's
    `before_cursor_execute` for whoever listens (tests count statements)."""
    if session.in_transaction():
        return _NOT_BY_DRIVER
    engine = cast("Any", session.bind)
    form = driver.form_of(query, engine.dialect)
    conn = await engine.connect()
    try:
        try:
            return await driver.fetch_row(conn, form, params)
        except Exception:
            await conn.invalidate()
            return _NOT_BY_DRIVER
        except BaseException:
            # Cut off mid-statement (a cancelled request): the connection's state is the
            # driver's to know, so it does not go back to the pool — as SQLAlchemy
            # invalidates a connection whose statement an exit exception interrupted.
            await conn.invalidate()
            raise
    finally:
        # Closed as `async with` would, without a task of its own: it waits for nothing.
        await closed(conn)


class OwnCompiled:
    """The compiled forms of one statement built once and executed again and again (a kind's
    load by id), given as its `compiled_cache` when it is executed: each found by the
    identity of the statement's cache key.

    The engine's cache finds a compiled statement by the statement's cache key, a tuple that
    SQLAlchemy hashes on every execution — for a read by id with its EXISTS and deadlines
    columns, some 1,300 nested elements and 6 µs a GET (issue 22). A statement built once
    keeps its cache key (SQLAlchemy works it out once per statement object), so its compiled
    form is found here by that key's identity, and the key is held with it, so that the
    identity stays its own. Any other statement executed with it has a key of its own and is
    compiled and kept beside it; past a handful of forms, they are forgotten and compiled
    again. Per engine (the dialect is part of what it is found by), like the engine's."""

    __slots__ = ("_forms",)

    _MOST = 8

    def __init__(self) -> None:
        self._forms: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        # key: (dialect, the statement's cache key, column keys, schema map?, executemany?)
        found = self._forms.get((key[0], id(key[1]), key[2:]))
        if found is not None and found[0] is key[1]:
            return found[1]
        return default

    def __setitem__(self, key: tuple[Any, ...], compiled: Any) -> None:
        _remember(self._forms, (key[0], id(key[1]), key[2:]), (key[1], compiled), limit=self._MOST)


class _Fallback(Exception):
    """A new record `RecordKind.insert` leaves to the ORM's flush."""


@dataclass(frozen=True)
class _InsertPlan:
    """How a kind's new record is written without the ORM's flush (`RecordKind.insert`): its
    table's INSERT with every column a parameter (one statement text, prepared once), and
    what the flush would have done for each column and relationship."""

    statement: Any
    columns: tuple[tuple[str, str, Any, bool, bool], ...]
    """(attribute, column, default, has a server default, None is a value of its type)."""
    collections: tuple[tuple[str, Any, tuple[tuple[str, str], ...]], ...]
    """(attribute, the model of its rows or None where the plan does not follow it, and the
    (record's attribute, row's attribute) pairs of the foreign key the flush copies to each
    row)."""
    serial: str | None
    """The attribute of the table's autoincrement column, which the database numbers."""
    version: tuple[str, str, Callable[[Any], Any]] | None
    """The mapper's version counter (attribute, column, its generator): the flush writes the
    generator's first value, whatever the record holds."""
    usable: bool
    """False for a mapping the plan does not follow (inheritance, a version counter the
    database keeps, a relationship to a single object): every record of the kind is
    flushed."""
    later: RowInsert
    """The same INSERT as a part of the unit of work's commit statement."""

    @classmethod
    def of(cls, model: Any) -> _InsertPlan:
        mapper = sa.inspect(model)
        table = mapper.local_table
        columns = []
        usable = len(mapper.tables) == 1
        serial = None
        version = None
        if mapper.version_id_col is not None:
            if mapper.version_id_generator is False:  # the database's to count
                usable = False
            else:
                version = (
                    mapper.get_property_by_column(mapper.version_id_col).key,
                    mapper.version_id_col.key,
                    mapper.version_id_generator,
                )
        for prop in mapper.column_attrs:
            if len(prop.columns) == 1 and not isinstance(prop.columns[0], sa.Column):
                continue  # an SQL expression read with the row, never written: unloaded after
            if len(prop.columns) != 1 or prop.columns[0].table is not table:
                usable = False
                continue
            column = prop.columns[0]
            default = column.default
            if default is not None and not (default.is_scalar or default.is_callable):
                usable = False  # a sequence or an SQL expression: the database's to work out
            if column is table.autoincrement_column:
                serial = prop.key
            columns.append(
                (
                    prop.key,
                    column.key,
                    default,
                    column.server_default is not None,
                    bool(column.type.should_evaluate_none),
                )
            )
        collections = []
        for relationship in mapper.relationships:
            if relationship.uselist:
                collections.append((relationship.key, *_rows_of(mapper, relationship)))
            else:
                usable = False
        if {c[1] for c in columns} != set(table.c.keys()):
            usable = False
        quote = _POSTGRESQL.identifier_preparer
        later = RowInsert(
            quote.format_table(table),
            tuple((c.key, quote.quote(c.name), c.type) for c in table.columns),
        )
        return cls(
            sa.insert(table), tuple(columns), tuple(collections), serial, version, usable, later
        )

    def values(self, record: Any) -> tuple[dict[str, Any], list[_Rows]]:
        """The row as the flush would write it, each default applied and set on `record` too,
        and the rows of its collections likewise (each with the record's key); raises
        `_Fallback` for what only the flush (or the database) can do."""
        if not self.usable:
            raise _Fallback
        given = record.__dict__
        for key, model, _ in self.collections:
            if given.get(key) and model is None:
                raise _Fallback  # rows of a kind the plan does not follow
        row: dict[str, Any] = {}
        unset: dict[str, Any] = {}
        counter = self.version[0] if self.version else None
        for key, column, default, server_default, none_is_value in self.columns:
            if key == counter:
                continue
            value = given.get(key)
            if value is None and not (none_is_value and key in given):
                # What the flush omits from its INSERT: the column's default applies (its
                # Python default, else the database's, which the flush would read back).
                if default is not None:
                    value = default.arg if default.is_scalar else default.arg(None)
                    unset[key] = value
                elif server_default or key == self.serial:
                    raise _Fallback
                elif key not in given:
                    unset[key] = None
            row[column] = value
        if self.version is not None:
            key, column, generator = self.version
            row[column] = unset[key] = generator(None)
        children = [
            (key, model, pairs, list(given[key]))
            for key, model, pairs in self.collections
            if given.get(key)
        ]
        written: list[_Rows] = []
        for _, model, pairs, members in children:
            plan = _plan_of(model)
            rows = []
            for member in members:
                if sa.inspect(member).has_identity or sa.inspect(member).session_id:
                    raise _Fallback  # a row already written, or the flush's to write
                for ours, theirs in pairs:
                    member.__dict__[theirs] = unset[ours] if ours in unset else given[ours]
                member_row, grandchildren = plan.values(member)
                if grandchildren:
                    raise _Fallback  # rows of rows: the flush's order
                rows.append(member_row)
            written.append((plan, rows, members))
        # Straight into the instance's dict, not through the attribute's events (a referral
        # leaves some 40 columns unset: ~3% of a create's samples); `insert` then makes every
        # value in the dict the committed one (`make_transient_to_detached`).
        given.update(unset)
        for key, _, _ in self.collections:
            if key not in given:
                set_committed_value(record, key, [])
        return row, written


_Rows = tuple[_InsertPlan, list[dict[str, Any]], list[Any]]
"""A collection's new rows: their plan, the rows to write, the records they are."""


def _rows_of(mapper: Any, relationship: Any) -> tuple[Any, tuple[tuple[str, str], ...]]:
    """The model of a collection's rows, where `insert` may write them itself (a one-to-many
    relationship the flush writes through, whose foreign key columns are mapped on both
    sides), and the foreign key's (record's attribute, row's attribute) pairs; (None, ())
    otherwise: a record with rows in it is flushed."""
    if (
        relationship.secondary is not None
        or relationship.direction is not ONETOMANY
        or relationship.viewonly
        or relationship.post_update
        or "save-update" not in relationship.cascade
    ):
        return None, ()
    try:
        pairs = tuple(
            (
                mapper.get_property_by_column(local).key,
                relationship.mapper.get_property_by_column(remote).key,
            )
            for local, remote in relationship.synchronize_pairs
        )
    except UnmappedColumnError:
        return None, ()
    return relationship.mapper.class_, pairs


_MEMO_LIMIT = 4096
"""The most entries a kind's memo of list clauses keeps (it starts afresh past it): one per
sort key, one per (box, organisation) that listed; far more than the directory has."""


def _remember(memo: dict[Any, Any], key: Any, value: Any, *, limit: int = _MEMO_LIMIT) -> None:
    """Keep `value` under `key` in `memo`, which starts afresh once it holds `limit`."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value


_POSTGRESQL: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
"""Quotes the names in a plan's INSERT as a part of the commit statement."""
_PLANS: dict[Any, _InsertPlan] = {}


def _plan_of(model: Any) -> _InsertPlan:
    """The insert plan of a model, made once."""
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = _InsertPlan.of(model)
    return plan


_ATTRIBUTES: dict[Any, tuple[frozenset[str], frozenset[str], bool]] = {}


def new_record(model: type[R], /, **values: Any) -> R:
    """A new record of `model` holding `values`, as `model(**values)` makes it, for
    `insert` to write: its columns' values go straight into the instance's dict rather than
    through each attribute's events (the constructor's ~10 calls a value, and ~25 an empty
    collection, were a tenth of a create's SQLAlchemy calls; issue 22), which nothing needs
    for a record in no session yet — the INSERT, the plan's or the flush's, reads that dict —
    and an empty collection is set as loaded (there is nothing in it to write). A collection
    with rows in it, and any other attribute, is set through the attribute as the
    constructor sets it (the rows' foreign keys and the flush's cascade follow it); a name
    that is no attribute of the model is refused as the constructor refuses it. A model with
    an `__init__` of its own is made by it."""
    attributes = _ATTRIBUTES.get(model)
    if attributes is None:
        mapper = cast("Any", sa.inspect(model))
        attributes = _ATTRIBUTES[model] = (
            frozenset(prop.key for prop in mapper.column_attrs),
            frozenset(r.key for r in mapper.relationships if r.uselist),
            # A model with a constructor of its own is made by it: what it does is its own.
            mapper.class_manager.original_init is not mapper.registry.constructor,
        )
    columns, collections, constructed = attributes
    if constructed:
        return model(**values)
    record = cast("Any", model).__mapper__.class_manager.new_instance()
    given = record.__dict__
    for key, value in values.items():
        if key in columns:
            given[key] = value
        elif key in collections and isinstance(value, list) and not value:
            set_committed_value(record, key, [])
        elif hasattr(model, key):
            setattr(record, key, value)
        else:
            raise TypeError(f"{key!r} is an invalid keyword argument for {model.__name__}")
    return cast("R", record)


async def insert_new(uow: UnitOfWork, record: R) -> R:
    """`RecordKind.insert` for a new row of no kind (a review's round): queued to be written
    by the unit of work with its model's one INSERT (`UnitOfWork.insert_later`) and held in
    the session as read back once written; written at once where rows of its collections
    come with it, flushed where the plan does not follow it."""
    plan = _plan_of(type(record))
    try:
        row, collections = plan.values(record)
    except _Fallback:
        uow.session.add(record)
        await uow.session.flush()
        return record
    if collections:
        await uow.session.run_sync(_write, plan, record, row, collections)
    else:
        uow.insert_later(_Later(plan, record))
    return record


def _write(session: Session, plan: _InsertPlan, record: Any, row: Any, collections: Any) -> None:
    """Write a new record and its collections' rows at once (one INSERT each), and hold them
    in the session as read back."""
    execute_plainly(session, plan.statement, row)
    for rows_plan, rows, members in collections:
        session.execute(rows_plan.statement, rows)  # one statement for all of them
        for member in members:
            make_transient_to_detached(member)
    make_transient_to_detached(record)  # every attribute set: its committed state
    session.add(record)
    for _, _, members in collections:
        session.add_all(members)  # the relationship's cascade may not add them


class _Later:
    """A new record queued by `insert_new`: what it holds when the unit of work writes it is
    what is written (`uow.LaterRecord`)."""

    __slots__ = ("plan", "record")

    def __init__(self, plan: _InsertPlan, record: Any) -> None:
        self.plan = plan
        self.record = record

    def commit_row(self) -> tuple[RowInsert, dict[str, Any]] | None:
        try:
            row, collections = self.plan.values(self.record)
        except _Fallback:
            return None
        return None if collections else (self.plan.later, row)

    def write(self, session: Session, *, flushing: bool) -> None:
        record = self.record
        state = sa.inspect(record)
        if state.pending:  # a cascade took it into the session meanwhile: written here instead
            session.expunge(record)
        try:
            row, collections = self.plan.values(record)
        except _Fallback:  # rows of a kind the plan does not follow came with it
            session.add(record)
            if not flushing:  # (a flush under way writes it)
                session.flush()
            return
        _write(session, self.plan, record, row, collections)

    def written(self) -> None:
        make_transient_to_detached(self.record)  # as a record read back, then its session closed


@dataclass(frozen=True, kw_only=True, eq=False)
class RecordKind(Generic[M, StateT, StepT]):
    """One kind of record of a mechanism, and the verbs every use case applies to it."""

    model: type[M]
    """The table (its primary key is `id`)."""
    subject: str
    """Prefix of the record's subject, `<subject>:<id>`: its audit rows and its deadlines."""
    mechanism: str
    """The service's mechanism (a deadline's breach is counted under it)."""
    name: str
    """What a 404 calls it, in English (`no such referral`)…"""
    name_zh: str
    """…and in Chinese (`未找到该移送案件`)."""
    parties: Callable[[M], Iterable[str | None]]
    """The organisations that may see the record; everyone else gets 404."""
    readers: Collection[str] | Callable[[str], bool] = (OVERSIGHT_ORG,)
    """Organisations that read every record of the kind (oversight, SUP-01): their codes, or a
    test of a code where a whole kind of organisation reads them (every department reads the
    register of inspection targets)."""
    transitions: Transitions[StateT, StepT] | None = None
    """The domain's state machine, applied to the record's `state` column."""
    actions: str = ""
    """Prefix of the audit actions (`<actions>.<action>`); the subject's when left empty."""
    audit_detail: Callable[[M], Mapping[str, Any]] = _state_in_audit
    """What every audit row of the record carries besides its own detail (the state)."""
    not_found: type[AppError] = NotFound
    """The 404 of the kind (a service's own `NotFound` subclass, if it has one)."""
    sort: Mapping[str, Any] = field(default_factory=dict)
    """Sort keys of its lists → columns (`due_at`, the next deadline, is always there)."""
    tiebreak: Sequence[Any] = ()
    """What orders rows that sort alike (the id when left empty): pages stay stable."""
    changed: Any = None
    """The column (or SQL expression) of the record's last change, which a list's
    `updated_since` filters on: the model's `updated_at` when left empty (a kind whose table
    has none names it: a merge proposal's decision, else its proposal)."""
    collections: Sequence[Any] = ()
    """The record's collections (relationship attributes, `Referral.items`), declared
    `lazy="raise"` on the model: `get`, `find` and `load_for` fill them (all, by default, or
    those named), querying only the non-empty ones; a list loads none (issue 22)."""
    sent_by: Where | None = None
    """The records an organisation sent (its outbox), for `in_box`."""
    received_by: Where | None = None
    """The records sent to an organisation (its inbox), for `in_box`."""
    documents: bool = False
    """Its records are the subjects of issued documents (`documents_of`): a read by id tells
    in its own statement whether the record has any, and `documents_of` queries them only then."""
    _statements: dict[
        tuple[tuple[Any, ...], bool, bool, bool, bool], tuple[Any, Mapping[str, Any]]
    ] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Loads by id, built once (`get`), each with its execution options: its compiled forms
    (`OwnCompiled`)."""

    # ---- subjects and loading ------------------------------------------------------------

    @property
    def id_column(self) -> Any:
        return cast("Any", self.model).id

    def subject_of(self, record_id: uuid.UUID | str) -> str:
        """`referral:<id>`: what the record's audit rows and deadlines are filed under."""
        return f"{self.subject}:{record_id}"

    def missing(self) -> AppError:
        """The one answer to a record that does not exist and to one the caller may not see."""
        return self.not_found(f"no such {self.name}", zh=f"未找到该{self.name_zh}")

    async def get(
        self,
        db: Db,
        record_id: uuid.UUID,
        *,
        lock: bool = True,
        collections: bool | Collection[Any] = True,
        options: Sequence[ORMOption] = (),
    ) -> M:
        """The record by id, whoever asks (a consumed event, a job), or 404.

        `lock` (the default): `SELECT … FOR UPDATE`, held to the end of the unit of work, so
        two changes to one record never interleave and its events leave in the order they
        were made; the row is read afresh under the lock. A read passes `lock=False` (a lock
        is a unit of work's: asked of a read session, it is a programming error).
        `collections`: the kind's collections to fill (all by default; False for none, or
        those named); `options`: other loader options for what this call returns."""
        if options:
            return await self.find(
                db, self.id_column == record_id, lock=lock, collections=collections, options=options
            )
        if lock and not isinstance(db, UnitOfWork):
            raise TypeError("a row lock is held by a unit of work: pass it, or lock=False to read")
        wanted = self._collections(collections)
        # On a read session (which issues nothing, so neither answer can go stale before the
        # response is made) the record's statement also tells whether it has documents, and
        # carries its deadlines (`deadlines_of` then reads none: a GET is one statement).
        read = not lock and bool(_session(db).info.get(READ_ONLY, False))
        documents = self.documents and read
        # The statement of a load by id is built once per kind, lock and collections, its id a
        # parameter: SQLAlchemy then neither builds it nor works out its cache key again (a
        # tenth of a GET's CPU, issue 22).
        light = read and self._plain_columns is not None
        query, execution = self._by_id(tuple(wanted), lock, documents, read, light=light)
        return await self._load(
            db,
            query,
            wanted,
            lock=lock,
            execution=execution,
            params={"record_id": record_id},
            documents=documents,
            deadlines=read,
            light=light,
        )

    def _by_id(
        self,
        wanted: tuple[Any, ...],
        lock: bool,
        documents: bool,
        deadlines: bool,
        *,
        light: bool = False,
    ) -> tuple[Any, Mapping[str, Any]]:
        """The statement of a load by id and its execution options."""
        key = (wanted, lock, documents, deadlines, light)
        built = self._statements.get(key)
        if built is None:
            # The light read's statement names the table's columns only (no ORM attribute):
            # the session runs it as a Core statement (`_read_light`).
            columns = self._plain_columns if light else None
            id_column = self.id_column if columns is None else columns["id"]
            query = self._statement(
                (id_column == sa.bindparam("record_id"),),
                wanted,
                lock=lock,
                options=(),
                columns=columns,
            )
            subject = sa.literal(f"{self.subject}:") + sa.cast(id_column, sa.Text)
            if documents:
                from xietong_common.tables import documents as issued

                query = query.add_columns(sa.exists().where(issued.c.subject == subject))
            if deadlines:
                query = query.add_columns(deadlines_column(subject))
            built = self._statements[key] = (
                query,
                immutabledict({"compiled_cache": OwnCompiled()}),
            )
        return built

    def _statement(
        self,
        where: Sequence[sa.ColumnElement[bool]],
        wanted: Sequence[Any],
        *,
        lock: bool,
        options: Sequence[ORMOption],
        columns: Mapping[str, Any] | None = None,
    ) -> Any:
        # One EXISTS per collection in the record's own statement: an empty collection (most
        # of them, most of the time) costs no statement of its own.
        query = (
            (sa.select(self.model) if columns is None else sa.select(*columns.values()))
            .add_columns(*(sa.exists().where(_with_parent(c)) for c in wanted))
            .where(*where)
            .options(*options)
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return query

    async def _load(
        self,
        db: Db,
        query: Any,
        wanted: Sequence[Any],
        *,
        lock: bool,
        params: Mapping[str, Any] | None = None,
        documents: bool = False,
        deadlines: bool = False,
        light: bool = False,
        execution: Mapping[str, Any] = _NO_OPTIONS,
    ) -> M:
        session = _session(db)
        if light:
            record, exists = await self._read_light(session, query, params, execution)
        else:
            row = (await session.execute(query, params, execution_options=execution)).one_or_none()
            if row is None:
                raise self.missing()
            record, exists = row[0], tuple(row[1:])
        if deadlines:
            read = session.info.setdefault(_DEADLINES_READ, {})
            read[self.subject_of(cast("Any", record).id)] = deadlines_from(exists[-1] or ())
            exists = exists[:-1]
        if documents:
            setattr(record, _HAS_DOCUMENTS, bool(exists[-1]))
            exists = exists[:-1]
        found = {c: bool(e) for c, e in zip(wanted, exists, strict=True)}
        await _fill(session, record, found, afresh=lock)
        if light:
            # Detached once its collections are set: with every attribute loaded, there is
            # none left for it to work out and expire (issue 22).
            make_transient_to_detached(record)
        return record

    @cached_property
    def _plain_columns(self) -> dict[str, Any] | None:
        """The model's attributes → its table's columns, where a read by id on a read session
        may make the record of its columns' values itself (`_read_light`): a plain class of
        plain columns, all loaded with it, whose only relationships are the kind's
        collections (filled by `_fill`) and which no ORM load event watches. None otherwise."""
        mapper = cast("Any", sa.inspect(self.model))
        if mapper.inherits is not None or mapper.polymorphic_on is not None:
            return None
        if {r.key for r in mapper.relationships} - {c.key for c in self.collections}:
            return None
        manager = mapper.class_manager
        if manager.dispatch.load or manager.dispatch.refresh:
            return None
        columns: dict[str, Any] = {}
        for prop in mapper.column_attrs:
            column = prop.columns[0] if len(prop.columns) == 1 else None
            if prop.deferred or not isinstance(column, sa.Column):
                return None
            if column.table is not mapper.local_table:
                return None
            columns[prop.key] = column
        return columns

    async def _read_light(
        self,
        session: AsyncSession,
        query: Any,
        params: Mapping[str, Any] | None,
        execution: Mapping[str, Any],
    ) -> tuple[M, tuple[Any, ...]]:
        """The record of a read by id on a read session, and the statement's other columns.

        The statement names the table's columns, not the model: the driver runs it
        (`_driver_row`; else the session, as a Core statement), and the record is made of its
        columns' values — what the ORM's load of the one row gives a read, without its loading
        machinery and identity map (issue 22). Either way the engine's statement event hears
        it and a sampled request traces it. Its collections are then filled as before and it
        is made detached (`_load`); its columns are all loaded, so it never needs the session
        to load anything more."""
        columns = cast("dict[str, Any]", self._plain_columns)
        row = await _driver_row(session, query, params)
        if row is _NOT_BY_DRIVER:
            row = (await session.execute(query, params, execution_options=execution)).one_or_none()
        if row is None:
            raise self.missing()
        record = cast("Any", self.model).__mapper__.class_manager.new_instance()
        record.__dict__.update(zip(columns, row, strict=False))
        # Transient until `_load` has set its collections, then made detached there.
        return cast("M", record), tuple(row[len(columns) :])

    async def find(
        self,
        db: Db,
        *where: sa.ColumnElement[bool],
        lock: bool = True,
        collections: bool | Collection[Any] = True,
        options: Sequence[ORMOption] = (),
    ) -> M:
        """The one record matching `where` — a record known by another key than its id (a
        work order's visit to a target) — locked like `get`, or the kind's 404."""
        if lock and not isinstance(db, UnitOfWork):
            raise TypeError("a row lock is held by a unit of work: pass it, or lock=False to read")
        wanted = self._collections(collections)
        query = self._statement(where, wanted, lock=lock, options=options)
        return await self._load(db, query, wanted, lock=lock)

    def _collections(self, asked: bool | Collection[Any]) -> Sequence[Any]:
        if asked is True:
            return self.collections
        if asked is False:
            return ()
        unknown = [c for c in asked if c not in set(self.collections)]
        if unknown:
            raise TypeError(f"records of kind {self.subject!r} have no collections {unknown}")
        return [c for c in self.collections if c in set(asked)]

    async def load_for(
        self,
        db: Db,
        record_id: uuid.UUID,
        actor: Actor,
        *,
        lock: bool = True,
        collections: bool | Collection[Any] = True,
        options: Sequence[ORMOption] = (),
    ) -> M:
        """The record for a caller: 404 — the same as for no record at all — unless the caller
        is one of its parties or readers, so nobody learns that another's record exists.
        Whether the party may take the step (403) is the use case's next check."""
        record = await self.get(db, record_id, lock=lock, collections=collections, options=options)
        self.ensure_visible(record, actor)
        return record

    def reads_all(self, org: str) -> bool:
        """`org` reads every record of the kind (one of its `readers`)."""
        return self.readers(org) if callable(self.readers) else org in self.readers

    def visible_to(self, record: M, org: str) -> bool:
        return self.reads_all(org) or org in {p for p in self.parties(record) if p}

    def ensure_visible(self, record: M, actor: Actor) -> None:
        if not self.visible_to(record, actor.org):
            raise self.missing()

    # ---- a new record ----------------------------------------------------------------------

    async def insert(self, uow: UnitOfWork, record: M) -> M:
        """Write a new record (made by the use case, not yet in the session) as `session.add`
        and `flush` would — the same row, its columns' defaults applied and set on the record
        — with one INSERT built once per kind, not the ORM's unit of work for one row (a
        tenth of a create's CPU; issue 22). The INSERT is queued (`UnitOfWork.insert_later`):
        it goes with the commit's statement, or before the unit of work's next statement or
        flush, so whatever the use case reads through the session finds the record, held as
        read back (a change after that is flushed as an UPDATE); what the record holds when
        written is what is written. A record with rows in its collections is written at once,
        one INSERT per collection after the record's, each with the record's key (as the
        flush copies it), and held as read back likewise. A record with a column left to its
        server default or to the database's numbering, or rows of rows, or of a relationship
        the plan does not follow, is flushed instead."""
        return await insert_new(uow, record)

    def new(self, **values: Any) -> M:
        """A new record of the kind holding `values`, for `insert` (`new_record`)."""
        return new_record(self.model, **values)

    # ---- states -------------------------------------------------------------------------

    def _machine(self) -> Transitions[StateT, StepT]:
        if self.transitions is None:
            raise TypeError(f"records of kind {self.subject!r} have no state machine")
        return self.transitions

    def state_of(self, record: M) -> StateT:
        return self._machine().state_of(cast("Any", record).state)

    def check(self, record: M, step: StepT) -> StateT:
        """The state `step` would lead to, or the domain's refusal; nothing changes."""
        return self._machine().next(self.state_of(record), step)

    def transition(self, record: M, step: StepT, now: datetime) -> StateT:
        """Apply the domain's table (or raise its refusal, naming the states the step needs);
        `updated_at`, where the record has one, becomes `now`. Returns the state before."""
        before = self.state_of(record)
        row = cast("Any", record)
        row.state = self._machine().next(before, step).value
        if hasattr(row, "updated_at"):
            row.updated_at = now
        return before

    # ---- audit ----------------------------------------------------------------------------

    def audit(
        self, uow: UnitOfWork, record: M, action: str, /, *, rule: str | None, **detail: Any
    ) -> None:
        """A hash-chained audit row under the record's subject (`<actions>.<action>`), with
        its rule, the record's state and `detail`; written at commit with the change."""
        uow.audit(
            action=f"{self.actions or self.subject}.{action}",
            subject=self.subject_of(cast("Any", record).id),
            rule=rule,
            detail={**self.audit_detail(record), **detail},
        )

    # ---- deadlines under the record's subject --------------------------------------------

    async def start_deadline(
        self,
        uow: UnitOfWork,
        record: M,
        action: str,
        *,
        calendar: WorkingDayCalendar,
        rule: DeadlineRule,
        organisation: str,
        counterparty: str | None,
        started_at: datetime | None = None,
        reference: str | None = None,
        assignee: str | None = None,
    ) -> deadlines.TrackedDeadline:
        """`organisation` owes `action` to `counterparty` (the record's other party, the one
        kept waiting; None only where the record has none) by the rule's deadline, counted
        from `started_at` (now unless given) on the working-day calendar; `reference`: the
        record's human reference, `assignee`: the person it names as owing it. Publishes the
        `started` fact (SUP-02)."""
        return await deadlines.start(
            uow,
            calendar=calendar,
            subject=self.subject_of(cast("Any", record).id),
            action=action,
            rule=rule,
            organisation=organisation,
            counterparty=counterparty,
            started_at=started_at or uow.now,
            mechanism=self.mechanism,
            reference=reference,
            assignee=assignee,
        )

    async def satisfy_deadline(
        self, uow: UnitOfWork, record: M, action: str, *, at: datetime | None = None
    ) -> deadlines.TrackedDeadline | None:
        """`action` was done (now unless `at`): the `met` fact; a late one that no one had
        found missed yet is the deadline's one breach."""
        return await deadlines.satisfy(
            uow,
            subject=self.subject_of(cast("Any", record).id),
            action=action,
            at=at or uow.now,
            mechanism=self.mechanism,
        )

    async def cancel_deadline(
        self, uow: UnitOfWork, record: M, action: str, *, reason: str
    ) -> deadlines.TrackedDeadline | None:
        """`action` is no longer owed under this deadline because it is replaced or restarted
        (`reason`, a stable code: `finding-date-changed`): the `cancelled` fact. One that had
        already passed unmet is recorded as missed first."""
        return await deadlines.cancel(
            uow,
            subject=self.subject_of(cast("Any", record).id),
            action=action,
            reason=reason,
            mechanism=self.mechanism,
        )

    async def close_deadline(
        self, uow: UnitOfWork, record: M, action: str, *, reason: str
    ) -> deadlines.TrackedDeadline | None:
        """`action` is no longer owed because the case ended another way (`reason`:
        `draft-withdrawn`): the `closed` fact. One that had already passed unmet is recorded
        as missed first: ending a case never erases a miss."""
        return await deadlines.close(
            uow,
            subject=self.subject_of(cast("Any", record).id),
            action=action,
            reason=reason,
            mechanism=self.mechanism,
        )

    async def deadlines_of(self, db: Db, record_id: uuid.UUID) -> list[DeadlineOut]:
        """Every deadline of the record (met, open or missed; not the cancelled ones): those
        its read by id on this read session carried, if it was read so. Given a unit of work,
        its session is asked for only here, where it reads (one whose statements all ran by
        the driver has none; issue 22)."""
        session = _session(db)
        subject = self.subject_of(record_id)
        read = session.info.get(_DEADLINES_READ)
        if read is not None and subject in read:
            return list(read[subject])
        return (await deadlines_by_subject(session, [subject])).get(subject, [])

    async def documents_of(self, db: Db, record: M) -> list[IssuedDocument]:
        """Every document issued for the record, in the order issued: none without a query
        when its read by id found none (a kind declared with `documents=True`)."""
        if getattr(record, _HAS_DOCUMENTS, None) is False:
            return []
        from xietong_common.documents.issuing import of_subjects

        subject = self.subject_of(cast("Any", record).id)
        return (await of_subjects(_session(db), [subject])).get(subject, [])

    async def timeline(self, session: AsyncSession, record_id: uuid.UUID) -> list[TimelineEntry]:
        """Every audited action on the record, and every deadline it started, met or missed."""
        return await subject_timeline(session, self.subject_of(record_id))

    # ---- lists ----------------------------------------------------------------------------

    @cached_property
    def due(self) -> DeadlineQueries:
        """The deadline columns of a list: next due, overdue, due before."""
        return DeadlineQueries(self.subject, self.id_column)

    def sort_keys(self) -> list[str]:
        """Every key `order_by` takes (for the service's `SortKey` to match)."""
        return sort_keys(self.sort)

    @property
    def changed_column(self) -> Any:
        """What `updated_since` filters on: `changed`, or the model's `updated_at`."""
        if self.changed is not None:
            return self.changed
        column = getattr(self.model, "updated_at", None)
        if column is None:
            raise TypeError(
                f"records of kind {self.subject!r} have no updated_at: name the column of their "
                "last change (`changed=`) for updated_since"
            )
        return column

    def order_by(self, key: str) -> list[Any]:
        """The ORDER BY of a sort key; ties broken by `tiebreak` (the id). Built once per key
        (a list's sort keys are few; its clauses are immutable, so every page shares them)."""
        found = self._orders.get(key)
        if found is None:
            found = sort_clause(
                key, self.sort, self.due, tiebreak=self.tiebreak or (self.id_column,)
            )
            _remember(self._orders, key, found)
        return list(found)

    @cached_property
    def _orders(self) -> dict[str, list[Any]]:
        return {}

    @cached_property
    def _boxes(self) -> dict[tuple[Box, str], sa.ColumnElement[bool]]:
        return {}

    def filtered(self, filters: ListFilters[Any], now: datetime) -> list[sa.ColumnElement[bool]]:
        """The filters every list has: states, an open deadline before, overdue."""
        where = []
        if filters.states:
            state = cast("Any", self.model).state
            where.append(state.in_([s.value for s in filters.states]))
        where += self.due.filters(now=now, due_before=filters.due_before, overdue=filters.overdue)
        return where

    def in_box(self, box: Box, org: str) -> sa.ColumnElement[bool]:
        """What `org` sees in its inbox, its outbox, or all of them (oversight: everything):
        built once per (box, organisation) — `sent_by` and `received_by` are functions of the
        organisation alone, and an SQL expression is immutable, so every page shares it
        (issue 22: an inbox's condition was some 150 SQLAlchemy calls per list page)."""
        found = self._boxes.get((box, org))
        if found is None:
            found = self._in_box(box, org)
            _remember(self._boxes, (box, org), found)
        return found

    def _in_box(self, box: Box, org: str) -> sa.ColumnElement[bool]:
        if self.sent_by is None or self.received_by is None:
            raise TypeError(f"records of kind {self.subject!r} have no inbox and outbox")
        if box is Box.INBOX:
            return self.received_by(org)
        if box is Box.OUTBOX:
            return self.sent_by(org)
        if self.reads_all(org):
            return sa.true()
        return sa.or_(self.sent_by(org), self.received_by(org))

    async def page(
        self,
        session: AsyncSession,
        *where: sa.ColumnElement[bool],
        filters: ListFilters[Any],
        paging: PageParams,
        now: datetime,
        options: Sequence[ORMOption] = (),
    ) -> tuple[list[Listed[M]], int]:
        """One page of the records matching `where` and the common `filters` (and, with
        `paging.updated_since`, changed since), in the order of `filters.sort`, each with its
        deadlines (the next, and all); and how many match."""
        query = (
            sa.select(self.model)
            .where(*where, *self.filtered(filters, now))
            .order_by(*self.order_by(filters.sort))
            .options(*options)
        )
        rows, total = await fetch_page(session, query, paging, changed=self.changed_column)
        due = await deadlines_by_subject(session, [self.subject_of(r.id) for r in rows])
        listed = []
        for row in rows:
            mine = due.get(self.subject_of(row.id), [])
            listed.append(
                Listed(row, next_due=next_due(mine), overdue=is_overdue(mine, now), deadlines=mine)
            )
        return listed, total
