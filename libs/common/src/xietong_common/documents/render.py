"""Laying out an official document as PDF, away from the event loop.

`render_document` is a pure function of the document and the fonts (HTML from a Jinja2
template, laid out by WeasyPrint); it runs in worker processes (`RenderPool`), because
layout is CPU-bound Python and a thread would still hold the interpreter lock the event
loop needs. Fonts and the QR code are local files and data: the URL fetcher refuses
everything else, so a render never touches the network (政务外网).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import concurrent.futures
import logging
import multiprocessing
import os
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from xietong_common.calendar import CHINA_TZ
from xietong_common.documents.content import (
    DocumentDraft,
    Heading,
    Issuer,
    OfficialDocument,
    Paragraph,
    china_date,
)
from xietong_common.documents.kinds import DocumentKind
from xietong_common.documents.settings import DocumentSettings
from xietong_common.errors import AppError
from xietong_common.lifeline import follow_parent

log = logging.getLogger(__name__)

PDF = "application/pdf"
VERSION_WIDTH_MM = 156.0  # 版心 width
MARK_MAX_MM = 15.0  # largest 发文机关标志 (about 43 pt)


class DocumentRenderError(AppError):
    """The document could not be laid out (fonts missing, too long, timed out, busy)."""

    status = 503
    slug = "document-render-failed"
    title = "The document could not be produced"
    title_zh = "公文未能生成"


class DocumentRenderBusy(DocumentRenderError):
    slug = "document-render-busy"
    title = "Too many documents are being produced; try again shortly"
    title_zh = "正在生成的公文过多，请稍后再试"


class DocumentTooLong(DocumentRenderError):
    status = 422
    slug = "document-too-long"
    title = "The document would be longer than the page limit"
    title_zh = "公文页数超过上限"


@dataclass(frozen=True)
class Fonts:
    """The font files of the four families GB/T 9704 names (paths, or .ttc collections)."""

    title: str
    body: str
    heading: str
    kai: str | None = None  # unset: level-2 headings in the body font (the stylesheet falls back)

    @classmethod
    def of(cls, settings: DocumentSettings) -> Fonts:
        kai = settings.document_font_kai
        return cls(
            title=str(settings.document_font_title),
            body=str(settings.document_font_body),
            heading=str(settings.document_font_heading),
            kai=str(kai) if kai else None,
        )

    def families(self) -> dict[str, str]:
        """The font families the stylesheet names, each with its file (each embedded once)."""
        families = {"xt-title": self.title, "xt-body": self.body, "xt-heading": self.heading}
        if self.kai:
            families["xt-kai"] = self.kai
        return families

    def missing(self) -> list[str]:
        return sorted({path for path in self.families().values() if not Path(path).is_file()})


@dataclass(frozen=True)
class RenderJob:
    """What a worker needs: the document (as JSON data, cheap to send to a process), the
    fonts, the verification block and the PDF options."""

    document: Mapping[str, Any]
    fonts: Fonts
    issued_at: datetime
    verification_url: str | None = None
    pdf_variant: str | None = "pdf/a-2u"
    max_pages: int = 60


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int


def mark_size_mm(name: str) -> float:
    """The 发文机关标志's type size: as large as 15 mm, never wider than 95% of the 版心."""
    return round(min(MARK_MAX_MM, VERSION_WIDTH_MM * 0.95 / max(len(name), 1)), 2)


def qr_data_uri(url: str) -> str:
    """The QR code of `url` as an SVG data URI (vector, no file, no network)."""
    import segno

    svg = segno.make(url, error="m").svg_inline(scale=4, border=0)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@cache
def _template() -> Any:
    from jinja2 import Environment, StrictUndefined, select_autoescape

    env = Environment(
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.from_string(_resource("official.html.j2"))


@cache
def _resource(name: str) -> str:
    return (files("xietong_common.documents") / "templates" / name).read_text(encoding="utf-8")


def document_html(job: RenderJob) -> str:
    """The document as HTML: every text escaped (a record's text is text, never markup)."""
    doc = OfficialDocument.model_validate(job.document)
    faces = "\n".join(
        f"@font-face {{ font-family: {family}; src: url({Path(path).as_uri()}); }}"
        for family, path in job.fonts.families().items()
    )
    verification = None
    if job.verification_url is not None:
        verification = {
            "url": job.verification_url,
            "qr": qr_data_uri(job.verification_url),
            "digest": doc.content_digest(),
        }
    html: str = _template().render(
        doc=doc,
        layout=doc.kind.spec.layout,
        font_faces=faces,
        stylesheet=_resource("official.css"),
        mark_size_mm=mark_size_mm(doc.issuer.name),
        signed_on=china_date(doc.signed_on),
        printed_on=china_date(job.issued_at.astimezone(CHINA_TZ).date()),
        issued_at_iso=job.issued_at.astimezone(CHINA_TZ).isoformat(),
        verification=verification,
    )
    return html


_font_configs: dict[Fonts, Any] = {}  # one per worker process and font set: fonts load once


def _remove_font_copies() -> None:
    """A process that lays documents out itself (a test, the bench) removes its
    configurations' copies of the fonts (~70 MB each) as it exits: their `__del__` would, but
    they are held in cycles the interpreter's end need not collect (an xdist worker left one
    per run of the document tests). A pool's workers end without exit hooks and keep theirs
    in the pool's scratch directory (`_start_worker`)."""
    for config in _font_configs.values():
        folder = getattr(config, "_folder", None)  # WeasyPrint's, made at the first font
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    _font_configs.clear()


atexit.register(_remove_font_copies)


def render_document(job: RenderJob) -> Rendered:
    """Lay the document out and write the PDF (runs in a worker process)."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    missing = job.fonts.missing()
    if missing:
        raise DocumentRenderError(
            f"font files not found: {', '.join(missing)} (XIETONG_DOCUMENT_FONT_*)",
            zh=f"找不到字体文件：{'、'.join(missing)}（请检查 XIETONG_DOCUMENT_FONT_* 设置）",
            fonts=missing,
        )
    allowed = {Path(p).as_uri() for p in job.fonts.families().values()}

    class LocalOnly(weasyprint.URLFetcher):  # type: ignore[misc]
        """Fonts named in the settings and data: URIs; nothing else, never the network."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:") or url in allowed:
                return super().fetch(url, headers)
            raise ValueError(f"{url!r} is not a local resource of this document")

    config = _font_configs.get(job.fonts)
    if config is None:
        config = _font_configs[job.fonts] = FontConfiguration()
    document = weasyprint.HTML(
        string=document_html(job), url_fetcher=LocalOnly(allowed_protocols=("file", "data"))
    ).render(font_config=config)
    pages = len(document.pages)
    if pages > job.max_pages:
        raise DocumentTooLong(
            f"the document would have {pages} pages, more than the limit of {job.max_pages}",
            zh=f"公文将有 {pages} 页，超过 {job.max_pages} 页的上限",
            pages=pages,
            max_pages=job.max_pages,
        )
    options: dict[str, Any] = {"custom_metadata": False}
    if job.pdf_variant:
        options["pdf_variant"] = job.pdf_variant
    pdf = document.write_pdf(**options)
    return Rendered(pdf=pdf, pages=pages)


@dataclass(frozen=True)
class _Refusal:
    """A DocumentRenderError raised in a worker, carried back whole (an exception pickles
    only its arguments: the Chinese detail and the extensions would be lost)."""

    error: type[DocumentRenderError]
    detail: str
    zh: str | None
    extensions: dict[str, Any]


def _render_in_worker(job: RenderJob) -> Rendered | _Refusal:
    try:
        return render_document(job)
    except DocumentRenderError as exc:
        return _Refusal(type(exc), exc.detail, exc.detail_zh, exc.extensions)


def _start_worker(parent_pid: int, scratch: str) -> None:
    """A render worker's start: its temporary files go to its pool's scratch directory, and
    it ends with its service (removing that directory if the service could not)."""
    # WeasyPrint copies every @font-face font of a FontConfiguration into a `weasyprint-*`
    # temporary directory (~70 MB with the CJK fonts) that only the object's `__del__`
    # removes, which a worker's exit never calls (Kozea/WeasyPrint#2090): one machine held
    # 860 of them, 59 GB, after two days of test runs; a service would leave one per worker
    # at every restart. Inside the pool's own directory, the pool removes them.
    tempfile.tempdir = scratch
    follow_parent(parent_pid, orphaned=lambda: shutil.rmtree(scratch, ignore_errors=True))


class RenderPool:
    """Worker processes laying documents out, with a bound on waiting work and a timeout.

    At most `queue` documents are laid out or waiting at once (more: 503 busy, nothing
    issued); a render past `timeout_s` gets its pool replaced (the stuck process is
    killed) and a 503. Workers are started on first use with `spawn` (never fork a process
    that runs an event loop and threads). Their temporary files live in a scratch
    directory of the pool's, removed with the pool (closed, replaced, or at the service's
    exit) or by the workers when their service was killed."""

    def __init__(self, *, workers: int, queue: int, timeout_s: float) -> None:
        self.workers = workers
        self.timeout_s = timeout_s
        self._queue = max(queue, workers)
        self._in_flight = 0  # counted on the event loop's thread: no lock needed
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._scratch: weakref.finalize[..., Any] | None = None
        self.scratch_dir: Path | None = None  # the current workers' temporary files
        self._warmed = False

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            scratch = tempfile.mkdtemp(prefix="xietong-render-")
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                # A worker ends with its service, even one killed without a shutdown.
                initializer=_start_worker,
                initargs=(os.getpid(), scratch),
            )
            # Removed when the pool is closed or replaced, else at the service's exit
            # (after the executors' own exit hook has stopped the workers).
            self._scratch = weakref.finalize(self._executor, shutil.rmtree, scratch, True)
            self.scratch_dir = Path(scratch)
        return self._executor

    def _remove_scratch(self) -> None:
        scratch, self._scratch, self.scratch_dir = self._scratch, None, None
        if scratch is not None:
            scratch()

    async def render(self, job: RenderJob) -> Rendered:
        if self._in_flight >= self._queue:
            raise DocumentRenderBusy(
                f"{self._queue} documents are being produced already",
                zh=f"已有 {self._queue} 份公文正在生成",
                retry_after_s=5,
            )
        self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._pool(), _render_in_worker, job)
            try:
                result = await asyncio.wait_for(future, timeout=self.timeout_s)
            except TimeoutError as exc:
                self._replace()
                raise DocumentRenderError(
                    f"laying the document out took longer than {self.timeout_s:g} s",
                    zh=f"公文排版超过 {self.timeout_s:g} 秒",
                    timeout_s=self.timeout_s,
                ) from exc
            except concurrent.futures.process.BrokenProcessPool as exc:
                self._replace()
                raise DocumentRenderError(
                    "the process laying the document out stopped",
                    zh="公文排版进程意外退出",
                ) from exc
        finally:
            self._in_flight -= 1
        if isinstance(result, _Refusal):
            raise result.error(result.detail, zh=result.zh, **result.extensions)
        return result

    async def warm(self, fonts: Fonts) -> None:
        """Lay a small document out in each worker now (a service calls it in the background
        as it starts), so the first real document does not wait for the worker to start,
        import WeasyPrint and load the fonts — tens of seconds on a busy machine, more than a
        page will wait. Once per pool; a failure is logged only (the first document that
        needs the worker says what is wrong)."""
        if self._warmed:
            return
        self._warmed = True
        try:
            await asyncio.gather(*(self.render(warming_job(fonts)) for _ in range(self.workers)))
            log.info("document workers warmed", extra={"workers": self.workers})
        except Exception as exc:  # a warm-up that fails costs only the first document's wait
            log.warning("document workers not warmed: %s", exc)

    def _replace(self) -> None:
        """Drop the pool and kill its processes (a stuck layout cannot be cancelled)."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        for process in list(executor._processes.values()):
            process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
        self._remove_scratch()

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        self._remove_scratch()


def warming_job(fonts: Fonts) -> RenderJob:
    """A one-page document in every font family the template uses, with a QR code: what a
    worker lays out to warm up (never stored)."""
    issuer = Issuer(code="warm-up", name="公文排版预热", signature="公文排版预热", prefix="预")
    draft = DocumentDraft(
        kind=DocumentKind.REFERRAL_LETTER,
        subject="warm-up",
        issuer=issuer,
        title="公文排版预热",
        addressees=("预热",),
        body=(Heading(level=1, text="一、预热"), Paragraph(text="预热。")),
        signed_on=datetime(2026, 1, 1).date(),
    )
    return RenderJob(
        document=draft.numbered("预移〔2026〕1号", year=2026, serial=1).model_dump(mode="json"),
        fonts=fonts,
        issued_at=datetime(2026, 1, 1, tzinfo=CHINA_TZ),
        verification_url="https://warm-up.invalid/documents/0",
        pdf_variant=None,
    )


_pools: dict[tuple[int, int, float], RenderPool] = {}


def pool_for(settings: DocumentSettings) -> RenderPool:
    """The process's render pool for these limits: like a thread pool, a resource of the
    process rather than of one request, so workers (and the fonts they loaded) are reused."""
    key = (
        settings.document_render_workers,
        settings.document_render_queue,
        settings.document_render_timeout_s,
    )
    pool = _pools.get(key)
    if pool is None:
        pool = _pools[key] = RenderPool(workers=key[0], queue=key[1], timeout_s=key[2])
    return pool
