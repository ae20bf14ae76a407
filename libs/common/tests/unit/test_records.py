"""The record kit without a database: subjects, the 404 policy, transitions, audit rows, the
ORDER BY of sort keys, the boxes, the common filters, materials read into responses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xietong_common.auth import Principal
from xietong_common.clock import FakeClock
from xietong_common.errors import AppError, InvalidTransition, NotFound
from xietong_common.labels import LabelledEnum
from xietong_common.listing import Box, ListFilters, sort_keys
from xietong_common.materials import BytesUpload, MaterialColumns, MaterialOut
from xietong_common.records import OwnCompiled, RecordKind
from xietong_common.states import Transitions
from xietong_common.uow import UnitOfWork

NOW = datetime(2024, 3, 1, 2, tzinfo=UTC)


class State(LabelledEnum):
    DRAFT = "draft", "草稿"
    SENT = "sent", "已移送"
    DONE = "done", "已办结"


class Step(LabelledEnum):
    SEND = "send", "移送"
    FINISH = "finish", "办结"
    REMIND = "remind", "提醒"


class Refused(InvalidTransition):
    slug = "case-invalid-transition"


TRANSITIONS: Transitions[State, Step] = Transitions(
    {
        Step.SEND: ({State.DRAFT}, State.SENT),
        Step.FINISH: ({State.SENT}, State.DONE),
        Step.REMIND: ({State.SENT}, None),
    },
    refuse=lambda state, step, allowed: Refused(
        f"{state.value} cannot {step.value}", zh="不能", allowed=sorted(a.value for a in allowed)
    ),
)


class Base(DeclarativeBase):
    pass


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    state: Mapped[str]
    sender: Mapped[str]
    receiver: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseMaterial(MaterialColumns, Base):
    __tablename__ = "case_materials"

    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("cases.id"))
    title: Mapped[str]


class CaseNotFound(NotFound):
    slug = "case-not-found"


CASE: RecordKind[Case, State, Step] = RecordKind(
    model=Case,
    subject="case",
    mechanism="test",
    name="case",
    name_zh="案件",
    parties=lambda c: (c.sender, c.receiver if c.state != "draft" else None),
    transitions=TRANSITIONS,
    not_found=CaseNotFound,
    sort={"created_at": Case.created_at},
    sent_by=lambda org: Case.sender == org,
    received_by=lambda org: sa.and_(Case.receiver == org, Case.state != "draft"),
)


def case(state: State = State.DRAFT) -> Case:
    return Case(
        id=uuid.UUID(int=7),
        state=state.value,
        sender="town:lizhi",
        receiver="dept:water",
        created_at=NOW,
        updated_at=NOW,
    )


def sql(clause: object) -> str:
    compiled = clause.compile(dialect=postgresql.dialect())  # type: ignore[attr-defined]
    return " ".join(str(compiled).split())


def test_a_record_is_filed_under_its_subject() -> None:
    assert CASE.subject_of(uuid.UUID(int=7)) == "case:00000000-0000-0000-0000-000000000007"


def test_the_404_is_the_same_for_a_missing_record_and_a_hidden_one() -> None:
    """Nobody learns that another party's record exists: the same problem, word for word."""
    hidden = case(State.DRAFT)  # the receiver sees nothing of a draft
    with pytest.raises(CaseNotFound) as refused:
        CASE.ensure_visible(hidden, Principal("dept:water", "u"))
    missing = CASE.missing()
    assert refused.value.to_problem(lang="zh") == missing.to_problem(lang="zh")
    assert refused.value.to_problem(lang="en")["detail"] == "no such case"
    assert missing.detail_zh == "未找到该案件"
    CASE.ensure_visible(hidden, Principal("town:lizhi", "u"))
    CASE.ensure_visible(hidden, Principal("justice-bureau", "u"))  # oversight reads all
    CASE.ensure_visible(case(State.SENT), Principal("dept:water", "u"))


def test_transition_applies_the_table_and_stamps_the_change() -> None:
    record = case(State.DRAFT)
    later = datetime(2024, 3, 2, tzinfo=UTC)
    assert CASE.transition(record, Step.SEND, later) is State.DRAFT
    assert (record.state, record.updated_at) == ("sent", later)
    assert CASE.check(record, Step.REMIND) is State.SENT  # allowed, stays where it is
    assert record.state == "sent"
    with pytest.raises(Refused) as refused:
        CASE.transition(record, Step.SEND, later)
    assert refused.value.extensions["allowed"] == ["draft"]
    assert record.state == "sent"


def test_a_kind_without_a_state_machine_says_so() -> None:
    plain: RecordKind[Case, State, Step] = RecordKind(
        model=Case, subject="c", mechanism="t", name="c", name_zh="c", parties=lambda c: ()
    )
    with pytest.raises(TypeError, match="no state machine"):
        plain.transition(case(), Step.SEND, NOW)
    with pytest.raises(TypeError, match="no inbox"):
        plain.in_box(Box.INBOX, "town:lizhi")


def test_audit_rows_carry_the_subject_the_rule_and_the_state() -> None:
    uow = UnitOfWork(None, clock=FakeClock(NOW), source="/t", actor=Principal("town:lizhi", "u"))  # type: ignore[arg-type]
    record = case(State.SENT)
    CASE.audit(uow, record, "sent", rule="REF-03", receiver="dept:water", rule_cited="x")
    (entry,) = uow._pending_audit
    assert (entry.action, entry.subject, entry.rule) == (
        "case.sent",
        "case:00000000-0000-0000-0000-000000000007",
        "REF-03",
    )
    assert entry.detail == {"state": "sent", "receiver": "dept:water", "rule_cited": "x"}
    prefixed: RecordKind[Case, State, Step] = RecordKind(
        model=Case, subject="item", actions="info", mechanism="t", name="c", name_zh="c",
        parties=lambda c: (),
    )  # fmt: skip
    prefixed.audit(uow, record, "published", rule=None)
    assert uow._pending_audit[-1].action == "info.published"
    assert uow._pending_audit[-1].subject.startswith("item:")


def test_sort_keys_order_by_column_or_by_the_next_deadline_and_always_by_the_id() -> None:
    assert CASE.sort_keys() == ["created_at", "-created_at", "due_at", "-due_at"]
    assert sort_keys(["a"]) == ["a", "-a", "due_at", "-due_at"]
    ascending = [sql(c) for c in CASE.order_by("created_at")]
    assert ascending == ["cases.created_at ASC NULLS LAST", "cases.id"]
    assert sql(CASE.order_by("-created_at")[0]) == "cases.created_at DESC NULLS LAST"
    due = sql(CASE.order_by("due_at")[0])
    assert "min(deadlines.due_at)" in due
    assert due.endswith("ASC NULLS LAST")
    assert "concat(" in due
    with pytest.raises(ValueError, match="no sort key 'name'"):
        CASE.order_by("name")


def test_boxes_and_the_common_filters() -> None:
    assert sql(CASE.in_box(Box.OUTBOX, "town:lizhi")).startswith("cases.sender = ")
    assert "cases.receiver" in sql(CASE.in_box(Box.INBOX, "dept:water"))
    mine = sql(CASE.in_box(Box.ALL, "dept:water"))
    assert "cases.sender" in mine
    assert "cases.receiver" in mine
    assert sql(CASE.in_box(Box.ALL, "justice-bureau")) == "true"
    filters: ListFilters[State] = ListFilters(states=[State.SENT], overdue=True)
    where = [sql(w) for w in CASE.filtered(filters, NOW)]
    assert where[0] == "cases.state IN (__[POSTCOMPILE_state_1])"
    assert "EXISTS" in where[1]
    assert CASE.filtered(ListFilters(), NOW) == []


def test_a_list_s_box_and_order_are_built_once_and_shared() -> None:
    """Issue 22: an organisation's box and a sort key's ORDER BY are built once per kind and
    shared by every page (immutable expressions); another organisation's box is its own."""
    inbox = CASE.in_box(Box.INBOX, "dept:water")
    assert CASE.in_box(Box.INBOX, "dept:water") is inbox
    assert CASE.in_box(Box.INBOX, "dept:forestry") is not inbox
    assert "dept:forestry" in str(
        CASE.in_box(Box.INBOX, "dept:forestry").compile(compile_kwargs={"literal_binds": True})
    )
    order = CASE.order_by("-due_at")
    again = CASE.order_by("-due_at")
    assert again is not order  # a list of its own, the same clauses in it
    assert all(a is b for a, b in zip(again, order, strict=True))
    order.append("tampered")
    assert len(CASE.order_by("-due_at")) == 2


@dataclass(frozen=True)
class Row:
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str
    title: str


class TitledOut(MaterialOut):
    title: str
    label: str


def test_material_out_reads_a_row_and_takes_what_it_lacks() -> None:
    row = Row(uuid.UUID(int=1), "函.pdf", "application/pdf", 3, "a" * 64, NOW, "u", "移送函")
    out = TitledOut.of(row, label="letter")
    assert (out.filename, out.title, out.label) == ("函.pdf", "移送函", "letter")
    assert MaterialOut.of(row).model_dump().keys() == {
        "id",
        "filename",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "uploaded_by",
    }


async def test_bytes_upload_is_an_upload() -> None:
    upload = BytesUpload(b"abcdef", filename="a.txt", content_type="text/plain")
    assert (await upload.read(4), await upload.read(4), await upload.read(4)) == (
        b"abcd",
        b"ef",
        b"",
    )
    assert (upload.filename, upload.content_type) == ("a.txt", "text/plain")


def test_not_found_of_a_kind_is_an_app_error() -> None:
    assert isinstance(CASE.missing(), AppError)
    assert CASE.missing().to_problem()["type"] == "urn:xietong:problem:case-not-found"


def test_a_load_by_id_finds_its_compiled_form_by_its_cache_key_s_identity() -> None:
    """`OwnCompiled` (issue 22): the compiled form of a statement built once is found by its
    cache key's identity, never by an equal key of another statement object."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    statement = sa.select(sa.literal_column("1")).where(sa.bindparam("x") == 1)
    same = sa.select(sa.literal_column("1")).where(sa.bindparam("x") == 1)
    key = statement._generate_cache_key()
    equal = same._generate_cache_key()
    assert key is not None
    assert equal is not None
    assert key.key == equal.key
    assert key.key is not equal.key
    assert statement._generate_cache_key() is key  # worked out once per statement object
    forms = OwnCompiled()
    compiled = object()
    forms[(dialect, key.key, (), False, False)] = compiled
    assert forms.get((dialect, key.key, (), False, False)) is compiled
    assert forms.get((dialect, equal.key, (), False, False)) is None
    assert forms.get((dialect, key.key, ("x",), False, False)) is None
    assert forms.get((postgresql.dialect(), key.key, (), False, False)) is None  # type: ignore[no-untyped-call]
    # Past a handful of forms, all are forgotten (then compiled again).
    others = [sa.select(sa.literal_column(str(n)))._generate_cache_key() for n in range(8)]
    for other in others:
        assert other is not None
        forms[(dialect, other.key, (), False, False)] = object()
    assert forms.get((dialect, key.key, (), False, False)) is None
