"""Layout runs in worker processes with limits: more documents than the queue holds are
refused at once (503 busy), a layout past the timeout gets its worker killed and replaced
(503), and the next document is laid out by a fresh worker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from xietong_common.documents.content import DocumentDraft, Issuer, Paragraph
from xietong_common.documents.kinds import DocumentKind
from xietong_common.documents.render import (
    DocumentRenderBusy,
    DocumentRenderError,
    Fonts,
    RenderJob,
    RenderPool,
)
from xietong_common.documents.settings import DocumentSettings
from xietong_devtools import pdf_check


def job() -> RenderJob:
    draft = DocumentDraft(
        kind=DocumentKind.REFERRAL_LETTER,
        subject="referral:test",
        issuer=Issuer(
            code="dept:water",
            name="重庆市涪陵区水利局",
            signature="重庆市涪陵区水利局",
            prefix="涪水",
        ),
        title="案件移送函",
        addressees=("重庆市涪陵区荔枝街道办事处",),
        body=(Paragraph(text="现将该案件移送你单位处理。"),),
        signed_on=datetime(2026, 1, 8).date(),
    )
    return RenderJob(
        document=draft.numbered("涪水移〔2026〕12号", year=2026, serial=12).model_dump(mode="json"),
        fonts=Fonts.of(DocumentSettings()),
        issued_at=datetime(2026, 1, 8, 2, 0, tzinfo=UTC),
    )


async def test_a_full_queue_refuses_at_once_and_a_stuck_layout_is_replaced() -> None:
    pool = RenderPool(workers=1, queue=1, timeout_s=0.2)
    try:
        # The first layout in a fresh worker (fonts to load) takes far longer than 0.2 s.
        slow = asyncio.ensure_future(pool.render(job()))
        await asyncio.sleep(0)  # let it take the only place
        with pytest.raises(DocumentRenderBusy) as busy:
            await pool.render(job())
        assert busy.value.status == 503
        with pytest.raises(DocumentRenderError) as late:
            await slow
        assert late.value.extensions["timeout_s"] == 0.2
        pool.timeout_s = 300  # a generous bound: a fresh worker lays the next one out
        result = await pool.render(job())
        assert result.pages >= 1
        assert "涪水移〔2026〕12号" in pdf_check.text(result.pdf)
    finally:
        pool.close()


async def test_a_warm_up_that_fails_is_logged_and_happens_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A service warms its worker as it starts; fonts that are missing must not stop the
    service (the first document says what is missing), and the pool warms once."""
    pool = RenderPool(workers=1, queue=2, timeout_s=300)
    missing = Fonts(title="/nonexistent/title.otf", body="/nonexistent/body.otf", heading="x")
    try:
        with caplog.at_level("WARNING", logger="xietong_common.documents.render"):
            await pool.warm(missing)
        assert "not warmed" in caplog.text
        assert "/nonexistent/body.otf" in caplog.text
        caplog.clear()
        await pool.warm(missing)
        assert caplog.text == ""  # once per pool
    finally:
        pool.close()


async def test_the_workers_temporary_files_are_removed_with_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeasyPrint copies the document's fonts into a `weasyprint-*` temporary directory that
    only its FontConfiguration's `__del__` removes — never called as a worker ends (two days
    of test runs left 860 of them, 59 GB): they are made in the pool's scratch directory,
    which goes when the pool is closed or replaced; nothing is left in the system's. (The
    workers' system temporary directory is the test's own, TMPDIR: another test worker laying
    documents out in-process meanwhile leaves its copies in the machine's while it runs.)"""
    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))  # read by the workers as they start
    pool = RenderPool(workers=1, queue=1, timeout_s=300)
    try:
        assert (await pool.render(job())).pages >= 1
        scratch = pool.scratch_dir
        assert scratch is not None
        assert list(scratch.glob("weasyprint-*")), "the fonts' copies are in the scratch dir"
        pool._replace()  # as after a stuck layout
        assert not scratch.exists()
        assert (await pool.render(job())).pages >= 1
        scratch = pool.scratch_dir
        assert scratch is not None
        assert scratch.is_dir()
    finally:
        pool.close()
    assert not scratch.exists()
    assert await asyncio.to_thread(lambda: list(system_tmp.glob("weasyprint-*"))) == []


def test_a_process_laying_documents_out_itself_leaves_no_copy_of_the_fonts(
    tmp_path: Path,
) -> None:
    """The same for a process that lays a document out without a pool (a test, the bench):
    its font configurations go at its exit, and their copies with them — also where the
    process ends after its exit hooks without the interpreter's clean-up of modules, as an
    xdist worker does (each left one copy behind per run of test_documents.py)."""
    script = (
        "import atexit, os, sys\n"
        "from xietong_common.documents.render import render_document\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from test_render_pool import job\n"
        "assert render_document(job()).pages >= 1\n"
        "atexit._run_exitfuncs()\n"
        "os._exit(0)\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)], env=env, check=True)
    assert list(tmp_path.glob("weasyprint-*")) == []
