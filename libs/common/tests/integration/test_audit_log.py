"""The audit log is append-only and hash-chained; `xietong audit verify` finds any edit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from backbone_support import Harness, harness, increment
from xietong_common.audit import row_hash, verify_chain
from xietong_common.auth import Principal
from xietong_common.cli.main import main as xietong
from xietong_common.tables import audit_log, outbox
from xietong_devtools.testing import Servers, create_database, every_statement

pytestmark = pytest.mark.integration

CLERK = Principal(org="town:lizhi", user="zhang.san", roles=frozenset({"clerk"}))


@pytest.fixture
async def h(servers: Servers) -> AsyncIterator[Harness]:
    url = await create_database(servers, "audit")
    async for value in harness(url):
        yield value


async def write_three(h: Harness) -> None:
    for n, rule in enumerate(["REF-03", "REF-06", "REF-07"], start=1):
        async with h.db.uow(actor=CLERK) as uow:
            uow.audit(
                action=f"step-{n}", subject="referral:1", rule=rule, detail={"n": n, "名": "案件"}
            )


async def test_audit_rows_chain_and_verify(h: Harness) -> None:
    await write_three(h)
    async with h.db.session() as s:
        report = await verify_chain(s)
        rows = (await s.execute(sa.select(audit_log).order_by(audit_log.c.seq))).mappings().all()
    assert report.ok
    assert report.rows == 3
    assert [r["rule"] for r in rows] == ["REF-03", "REF-06", "REF-07"]
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[2]["prev_hash"] == rows[1]["hash"]
    assert rows[0]["actor"] == "zhang.san"
    assert rows[0]["org"] == "town:lizhi"


async def test_audit_log_refuses_update_and_delete(h: Harness) -> None:
    await write_three(h)
    async with h.db.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(sa.update(audit_log).values(actor="someone-else"))
        await conn.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(sa.delete(audit_log))


async def test_edited_audit_row_is_detected_by_audit_verify(
    h: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await write_three(h)
    monkeypatch.setenv("XIETONG_DATABASE_URL", h.url)
    assert await _run_cli("secondment") == 0
    assert "intact (3 rows)" in capsys.readouterr().out

    # An operator with superuser rights switches the trigger off and edits history.
    async with h.db.engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await conn.execute(
            sa.update(audit_log).where(audit_log.c.action == "step-2").values(rule="REF-99")
        )
    assert await _run_cli("secondment") == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out
    assert "edited" in out


async def test_deleted_audit_row_is_detected(h: Harness) -> None:
    await write_three(h)
    async with h.db.engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await conn.execute(sa.delete(audit_log).where(audit_log.c.action == "step-2"))
    async with h.db.session() as s:
        report = await verify_chain(s)
    assert not report.ok
    assert any("does not link" in p for p in report.problems)


async def _run_cli(service: str) -> int:
    import asyncio

    # The CLI runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(xietong, ["audit", "verify", service])


async def test_newest_rows_removed_are_detected_by_the_chain_head(h: Harness) -> None:
    await write_three(h)
    async with h.db.engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await conn.execute(sa.delete(audit_log).where(audit_log.c.action == "step-3"))
    async with h.db.session() as s:
        report = await verify_chain(s)
    assert not report.ok
    assert any("rows removed from the end" in p for p in report.problems)


async def test_concurrent_units_of_work_chain_in_commit_order(h: Harness) -> None:
    """Rows are chained at commit: many writers at once still give one unbroken chain."""
    import asyncio

    async def write(n: int) -> None:
        async with h.db.uow(actor=CLERK) as uow:
            uow.audit(action="first", subject=f"case:{n}", rule="REF-03")
            await asyncio.sleep(0.01 * (n % 3))  # the rest of the request, lock not yet held
            uow.audit(action="second", subject=f"case:{n}", rule="REF-06")

    await asyncio.gather(*(write(n) for n in range(12)))
    async with h.db.session() as s:
        report = await verify_chain(s)
        subjects = (
            (await s.execute(sa.select(audit_log.c.subject).order_by(audit_log.c.seq)))
            .scalars()
            .all()
        )
    assert report.ok, report.problems
    assert report.rows == 24
    # a unit of work's rows stay together
    assert all(subjects[i] == subjects[i + 1] for i in range(0, 24, 2))


async def test_rows_chained_in_postgresql_hash_exactly_what_python_hashes(h: Harness) -> None:
    """SHA-256 rows are chained inside the statement that locks the head (PostgreSQL's
    sha256() over the canonical text); each stored hash is `row_hash` of the row — for text
    that quoting, escaping or Unicode could trip — and the chain verifies."""
    tricky = [
        {"quote": 'a"b', "backslash": "c\\d", "newline": "e\nf", "nul-ish": "\u0001\u001f"},
        {"prev": '","prev":"' + "f" * 64, "rule": None, "数字": [1, 2.5, True, None]},
        {"emoji": "🚓", "zh": "涪陵府办〔2024〕1号", "nested": {"z": 1, "a": {"b": []}}},
    ]
    async with h.db.uow(actor=CLERK) as uow:
        for n, detail in enumerate(tricky):
            uow.audit(action=f'act"{n}', subject=f"case:\\{n}", rule=None, detail=detail)
    async with h.db.uow(actor=CLERK) as uow:
        uow.audit(action="single", subject="case:x", rule="REF-03", detail={})
    async with h.db.session() as s:
        rows = (await s.execute(sa.select(audit_log).order_by(audit_log.c.seq))).mappings().all()
        report = await verify_chain(s)
    assert report.ok, report.problems
    assert [r["action"] for r in rows] == ['act"0', 'act"1', 'act"2', "single"]
    for row in rows:
        assert row["hash_alg"] == "sha256"
        assert row["hash"] == row_hash(
            prev_hash=row["prev_hash"],
            at=row["at"],
            actor=row["actor"],
            org=row["org"],
            action=row["action"],
            subject=row["subject"],
            rule=row["rule"],
            detail=row["detail"],
        )
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[3]["prev_hash"] == rows[2]["hash"]


async def test_the_chain_head_is_locked_by_the_last_statement_before_commit(h: Harness) -> None:
    """Issue 22: concurrent units of work queue on the chain head's row lock, so it is taken
    by the last statement of the transaction, whatever the use case did after its audit
    call: it is held for COMMIT alone, not for the use case's other statements."""
    with every_statement(h.db) as seen:
        async with h.db.uow(actor=CLERK) as uow:
            uow.audit(action="first", subject="referral:1", rule="REF-03")
            await uow.session.execute(sa.text("SELECT 1"))  # the use case goes on
            uow.audit(action="second", subject="referral:1", rule="REF-06")
            await uow.session.execute(sa.text("SELECT 2"))
    locking = [n for n, s in enumerate(seen) if "audit_head" in s]
    assert locking == [len(seen) - 1], seen


async def test_events_and_audit_rows_are_written_by_one_last_statement(h: Harness) -> None:
    """Issue 22: a unit of work with events and audit rows writes both in one statement, its
    last — the outbox rows in the order published, then the audit rows chained, the chain head
    locked there and held for COMMIT alone — and the chain verifies as before."""
    with every_statement(h.db) as seen:
        async with h.db.uow(actor=CLERK) as uow:
            await increment(uow, "c-one-statement", 1)
            uow.audit(action="first", subject="counter:1", rule="REF-03", detail={"名": "案件"})
            await increment(uow, "c-one-statement", 2)
            uow.audit(action="second", subject="counter:1", rule="REF-06")
    writing = [n for n, s in enumerate(seen) if "INSERT INTO outbox" in s]
    locking = [n for n, s in enumerate(seen) if "audit_head" in s]
    assert writing == locking == [len(seen) - 1], seen
    async with h.db.session() as s:
        report = await verify_chain(s)
        rows = (await s.execute(sa.select(audit_log).order_by(audit_log.c.seq))).mappings().all()
        events = (await s.execute(sa.select(outbox.c.envelope).order_by(outbox.c.id))).scalars()
        published = [e["data"]["seq"] for e in events]
    assert report.ok, report.problems
    assert [r["action"] for r in rows] == ["first", "second"]
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert published == [1, 2]


class _CommitAfterTheLog:
    """A connection verification reads through, on which a unit of work commits an audited
    change right after the first read of the log: what a service writing while its chain is
    verified does."""

    def __init__(self, conn: Any, h: Harness) -> None:
        self._conn = conn
        self._h = h
        self.committed = False

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        result = await self._conn.execute(statement, *args, **kwargs)
        if not self.committed and "FROM audit_log" in str(statement):
            self.committed = True
            async with self._h.db.uow(actor=CLERK) as uow:
                uow.audit(action="step-4", subject="referral:1", rule="REF-07")
        return result


async def test_a_chain_verified_while_the_service_writes_is_not_reported_cut_short(
    h: Harness,
) -> None:
    """A unit of work committing between verification's read of the log and its read of the
    head made a chain in good order look cut short ("rows removed from the end") on
    separate reads — a false alarm of the periodic job (`audit_verify_job`) and of `xietong
    audit verify` on a live service. Both read one snapshot (`Database.snapshot`)."""
    await write_three(h)
    async with h.db.session() as session:
        separate = _CommitAfterTheLog(session, h)
        report = await verify_chain(separate)  # type: ignore[arg-type]
    assert separate.committed
    assert any("rows removed from the end" in p for p in report.problems), report.problems
    async with h.db.snapshot() as conn:
        together = _CommitAfterTheLog(conn, h)
        report = await verify_chain(together)  # type: ignore[arg-type]
    assert together.committed
    assert report.ok, report.problems
    assert report.rows == 4  # the first three and the separate read's; not the snapshot's
    async with h.db.snapshot() as conn:
        assert (await verify_chain(conn)).rows == 5
        with pytest.raises(DBAPIError, match="read-only transaction"):
            await conn.exec_driver_sql("DELETE FROM audit_checkpoints")
