"""Worker processes end with the process that started them (工作进程随父进程结束).

A service that is killed (SIGKILL, the OOM killer, a test run stopped halfway) cannot shut
its pools down. A `spawn` worker of a `ProcessPoolExecutor` holds both ends of its call
queue's pipe, so it never sees the end of that pipe and waits for work forever: after a
day of test runs one machine held 87 such orphans, 17 GB in all, until the kernel killed
something else. A worker therefore watches its parent and ends itself once the parent is
gone (its parent id changes when the kernel re-parents it).

A thread that polls, rather than `PR_SET_PDEATHSIG`: that signal fires when the *thread*
that started the worker ends, and pools start workers from whichever thread submits work.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable

#: How often a worker looks for its parent. A second is cheap and soon enough: an orphan
#: only holds memory, it does no work.
POLL_S = 1.0


def follow_parent(
    parent_pid: int, *, poll_s: float = POLL_S, orphaned: Callable[[], None] | None = None
) -> None:
    """Start a daemon thread that ends this process (exit status 0, no clean-up but
    `orphaned`: the parent that would collect anything is gone) as soon as its parent is no
    longer `parent_pid`. `orphaned` removes what only the parent would have removed (the
    render pool's scratch directory); its errors are ignored, the process ends anyway.

    Call it first thing in a worker process, with the parent's pid taken in the parent; if
    the parent has already gone, the process ends at once."""

    def end() -> None:
        if orphaned is not None:
            try:
                orphaned()
            finally:
                os._exit(0)
        os._exit(0)

    if os.getppid() != parent_pid:
        end()

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent_pid:
                end()

    threading.Thread(target=watch, daemon=True, name="follow-parent").start()


def follow_reader(fd: int) -> None:
    """Start a daemon thread that ends this process once nobody can read what it writes to
    `fd`, the write end of a pipe: its reader (the service) has gone.

    For a process whose parent is not the service (a file worker is forked by the fork
    server, which itself outlives the service while it has children): a pipe's write end
    reports an error as soon as its last reader is closed, which needs no polling."""

    def watch() -> None:
        watcher = select.poll()
        watcher.register(fd, select.POLLERR)
        while True:
            for _, events in watcher.poll():
                if events & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                    os._exit(0)

    threading.Thread(target=watch, daemon=True, name="follow-reader").start()
