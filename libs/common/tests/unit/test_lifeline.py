"""A service's worker processes end with it, even when it is killed with SIGKILL and
shuts nothing down: the documents' render workers (`spawn`) and the file workers (forked
from the fork server). Before, each killed service left its render workers waiting for
work for ever (87 of them, 17 GB, on one machine after a day of test runs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_SERVICE = """
import asyncio, os, sys
from pathlib import Path
from xietong_common.documents.render import RenderPool
from xietong_common.files import FileWorkers, WorkerBudget
from xietong_devtools import files_corpus

async def main() -> None:
    pool = RenderPool(workers=1, queue=1, timeout_s=600)
    loop = asyncio.get_running_loop()
    render_worker = await loop.run_in_executor(pool._pool(), os.getpid)
    Path(sys.argv[3]).write_text(str(pool.scratch_dir))
    Path(sys.argv[1]).write_text(str(render_worker))
    await FileWorkers(processes=1, budget=WorkerBudget(seconds=3600)).run(
        files_corpus.writes_its_pid_and_waits, sys.argv[2]
    )

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that does not reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_for(path: Path, service: subprocess.Popen[bytes]) -> list[int]:
    while not path.exists() or not path.read_text():
        assert service.poll() is None, "the service stopped before its workers started"
        time.sleep(0.1)
    return [int(pid) for pid in path.read_text().split()]


def test_workers_end_when_their_service_is_killed(tmp_path: Path) -> None:
    """…and the render workers' scratch directory (WeasyPrint's copies of the fonts, ~70 MB
    a worker) goes with them."""
    render_pid, file_pid = tmp_path / "render.pid", tmp_path / "file.pid"
    scratch_path = tmp_path / "scratch"
    service = subprocess.Popen(
        [sys.executable, "-c", _SERVICE, str(render_pid), str(file_pid), str(scratch_path)]
    )
    try:
        # The render worker; the file worker and the fork server it was forked from.
        workers = _wait_for(render_pid, service) + _wait_for(file_pid, service)
        assert all(_alive(pid) for pid in workers)
        scratch = Path(scratch_path.read_text())
        assert scratch.is_dir()
    finally:
        service.send_signal(signal.SIGKILL)
        service.wait()
    # Each worker looks for its parent once a second; a busy machine may take longer to
    # schedule it, so wait for the outcome rather than a fixed time, up to a generous bound.
    deadline = time.monotonic() + 120
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers outlived their killed service: {left}"
    assert not scratch.exists(), "the render workers' scratch directory outlived them"
