"""Reading files in a worker process, never on the event loop.

A spreadsheet, a PDF or a document is parsed in a child process of its own with a memory
limit (its address space, `RLIMIT_AS`: past it an allocation fails) and a time budget (the
parent kills it past the budget; `RLIMIT_CPU` stops it even if the parent died). The
service's event loop only waits on a pipe, so `/healthz`, other users, the outbox relay and
the Kafka consumer's heartbeats go on while a file is read; a file that makes the parser
loop, recurse or allocate without end costs one child process, not the service.

Children are forked from a `forkserver` (a small process started once, with the parsing
libraries imported), so a child costs a fork, not an interpreter start; a fresh child per
file means nothing one file did can touch the next. At most `processes` children run at
once per service; further files wait their turn without blocking the loop.

A function run here takes its arguments by value (paths, bytes, limits: nothing bound to
the loop or the database), a keyword `progress` it may call to report counts, and returns
a picklable value or raises an `AppError` (sent back whole as the request's answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from xietong_common.errors import AppError
from xietong_common.files.errors import FileOverLimits, FileUnreadable, pack, unpack
from xietong_common.files.limits import WorkerBudget
from xietong_common.lifeline import follow_reader

log = logging.getLogger(__name__)

R = TypeVar("R")
# The parsers too, though the inspection imports pypdf only when it reads a PDF: a child is
# forked per file, so what the server has not imported each child imports again (pypdf with
# cryptography and fontTools: 400–660 ms of every PDF upload).
PRELOAD = ["xietong_common.files.inspection", "xietong_common.spreadsheets", "pypdf"]
_preload: list[str] = list(PRELOAD)
_PROGRESS_EVERY_S = 0.2


class Progress(Protocol):
    def __call__(self, **counts: int) -> None: ...


class _ChildProgress:
    """Counts sent to the parent at most every 0.2 s (the last ones always)."""

    def __init__(self, conn: multiprocessing.connection.Connection) -> None:
        self.conn = conn
        self.sent_at = 0.0
        self.counts: dict[str, int] = {}

    def __call__(self, **counts: int) -> None:
        self.counts.update(counts)
        now = time.monotonic()
        if now - self.sent_at >= _PROGRESS_EVERY_S:
            self.sent_at = now
            self.conn.send(("progress", dict(self.counts)))

    def flush(self) -> None:
        if self.counts:
            self.conn.send(("progress", dict(self.counts)))


def _child(
    conn: multiprocessing.connection.Connection,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    memory_bytes: int,
    cpu_seconds: int,
) -> None:
    # A child still reading when its service is killed ends with it (its parent is the
    # fork server, which lives on while it has children).
    follow_reader(conn.fileno())
    # What a hostile file makes a parser say (pypdf's warnings quote the file) must reach no
    # log: the child logs nothing at all.
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    for limit, value in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, cpu_seconds)):
        try:
            _, hard = resource.getrlimit(limit)
            soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (soft, hard))
        except (ValueError, OSError):  # pragma: no cover - a platform without the limit
            pass
    progress = _ChildProgress(conn)
    try:
        result = fn(*args, progress=progress, **kwargs)
        progress.flush()
        conn.send(("ok", result))
    except AppError as error:
        conn.send(("refused", pack(error)))
    except MemoryError:
        conn.send(("memory", None))
    except RecursionError:
        conn.send(("error", "RecursionError"))
    except Exception as error:  # a parser's failure on a file it cannot read
        conn.send(("error", type(error).__name__))
    finally:
        conn.close()


def _over_time(budget: WorkerBudget, what_en: str, what_zh: str) -> FileOverLimits:
    return FileOverLimits(
        f"reading {what_en} took longer than {budget.seconds:g} s; nothing was kept",
        zh=f"读取{what_zh}超过 {budget.seconds:g} 秒的时限，未作任何保存",
        limit="time",
        seconds=budget.seconds,
    )


def _over_memory(budget: WorkerBudget, what_en: str, what_zh: str) -> FileOverLimits:
    mib = budget.memory_bytes // (1024 * 1024)
    return FileOverLimits(
        f"reading {what_en} needs more than {mib} MiB of memory; nothing was kept",
        zh=f"读取{what_zh}所需内存超过 {mib} MiB，未作任何保存",
        limit="memory",
        memory_mib=mib,
    )


class FileWorkers:
    """The worker processes of one service: at most `processes` at once."""

    def __init__(self, *, processes: int = 2, budget: WorkerBudget | None = None) -> None:
        self.processes = max(1, processes)
        self.budget = budget or WorkerBudget()
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:  # a semaphore belongs to its loop
            self._slots, self._loop = asyncio.Semaphore(self.processes), loop
        return self._slots

    async def run(
        self,
        fn: Callable[..., R],
        /,
        *args: Any,
        budget: WorkerBudget | None = None,
        progress: Callable[[dict[str, int]], None] | None = None,
        what: tuple[str, str] = ("the file", "文件"),
        **kwargs: Any,
    ) -> R:
        """`fn(*args, progress=…, **kwargs)` in a child process; its result, or its refusal
        raised here. Past the budget the child is killed and the file refused (422)."""
        async with self._semaphore():
            try:
                return await _run_child(fn, args, kwargs, budget or self.budget, progress, what)  # type: ignore[no-any-return]
            except _AnswerLost:
                # A child that ended well has answered; its answer went missing on the way
                # (seen only on a heavily loaded box, cause not yet found). Read it once more
                # rather than refuse a good file for a limit it never reached.
                log.warning("a file worker's answer was lost; reading the file again")
            try:
                return await _run_child(fn, args, kwargs, budget or self.budget, progress, what)  # type: ignore[no-any-return]
            except _AnswerLost as lost:
                raise lost.refusal from None


def preload(modules: Sequence[str]) -> None:
    """Modules the fork server imports once, so a child does not import them for each file:
    the row models and screens a service hands its workers (`ServiceSpec.worker_modules`).
    Only before the fork server starts (the first file read in this process)."""
    for module in modules:
        if module not in _preload:
            _preload.append(module)


def warm() -> None:
    """Start the fork server now (blocking: call it in a thread), so the first file read
    does not wait for it."""
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_preload))
    return context


async def _run_child(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    budget: WorkerBudget,
    progress: Callable[[dict[str, int]], None] | None,
    what: tuple[str, str],
) -> Any:
    loop = asyncio.get_running_loop()
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    cpu = math.ceil(budget.seconds) + 5
    process = context.Process(
        target=_child,
        args=(sender, fn, args, dict(kwargs), budget.memory_bytes, cpu),
        daemon=True,
        name="xietong-file-worker",
    )
    started = loop.time()
    # The first start launches the fork server (an interpreter): not on the loop.
    await asyncio.to_thread(process.start)
    sender.close()
    messages: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()
    threading.Thread(
        target=_read_answers, args=(receiver, loop, messages), daemon=True, name="file-answers"
    ).start()
    try:
        while True:
            remaining = budget.seconds - (loop.time() - started)
            if remaining <= 0:
                raise _over_time(budget, *what)
            try:
                message = await asyncio.wait_for(messages.get(), remaining)
            except TimeoutError:
                raise _over_time(budget, *what) from None
            if message is None:
                raise await _died(process, budget, what)
            kind, payload = message
            if kind == "progress":
                if progress is not None:
                    progress(payload)
                continue
            if kind == "ok":
                return payload
            if kind == "refused":
                raise unpack(payload)
            if kind == "memory":
                raise _over_memory(budget, *what)
            log.warning("a file could not be read: %s", payload, extra={"error": payload})
            raise FileUnreadable(
                f"{what[0]} is damaged or not a file of its kind ({payload}); nothing was kept",
                zh=f"{what[1]}已损坏或不是其所声称类型的有效文件，未作任何保存",
                reason="malformed",
            )
    finally:
        if process.is_alive():
            process.kill()  # its reader thread then meets the end of the pipe and stops
        await asyncio.to_thread(process.join, 10)


def _read_answers(
    connection: multiprocessing.connection.Connection,
    loop: asyncio.AbstractEventLoop,
    messages: asyncio.Queue[tuple[str, Any] | None],
) -> None:
    """One thread per child reads its pipe to the end and hands each message to the loop
    (None: the pipe ended without an answer). The thread alone reads and then closes the
    pipe: no read is left waiting on a descriptor the loop has closed and the next pipe
    reuses, whatever happens to the request (a message may be large: not on the loop)."""
    try:
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                message = None
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(messages.put_nowait, message)
            if message is None or message[0] != "progress":
                return
    finally:
        connection.close()


class _AnswerLost(Exception):
    """The child ended well (exit code 0) but its answer was not read: the file is read
    once more; lost twice, `refusal` (what it was before) is the answer."""

    def __init__(self, refusal: AppError) -> None:
        super().__init__("a file worker's answer was lost")
        self.refusal = refusal


async def _died(process: Any, budget: WorkerBudget, what: tuple[str, str]) -> AppError:
    """The child ended without an answer: killed for its CPU time or its memory."""
    await asyncio.to_thread(process.join, 10)
    code = process.exitcode
    if code == -signal.SIGXCPU:
        return _over_time(budget, *what)
    if code == 0:
        raise _AnswerLost(_over_memory(budget, *what))
    log.warning("a file worker ended without an answer (exit code %s)", code)
    return _over_memory(budget, *what)


def default_processes() -> int:
    """Half the machine's cores, at least one: the other half keeps serving."""
    return max(1, (os.cpu_count() or 2) // 2)
