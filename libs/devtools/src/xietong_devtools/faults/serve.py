"""`python -m xietong_devtools.faults.serve PACKAGE --control DIR --service NAME`: the
harness's launcher for one service, with the harness's probe installed in every process it
starts (`xietong_common.faultpoints`). Only the fault harness starts services this way;
nothing else installs a probe, and this module is not in the production image.

The launcher imports the service's app once, then for each line `PORT<TAB>INSTANCE<TAB>LOG`
on its stdin forks a process that runs that app under uvicorn on PORT, as `xietong run`
starts it (its lifespan — migrations, the relay, the consumer — runs in the new process),
with its output appended to LOG, and answers the process id on its stdout. It ends when its
stdin closes; the processes it started go on until they are stopped.

Why forked from an imported app (as `gunicorn --preload` starts its workers): importing a
service is seconds of CPU, and a killed service would otherwise spend most of its recovery
re-importing Python modules, which is not what a fault run is about and made every restart
take 15–25 s on a busy 2-core box. Each service is still a process of its own, killed with
SIGKILL, its connections and its consumer's membership lost with it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import uvicorn

from xietong_common import faultpoints
from xietong_common.logs import uvicorn_log_config
from xietong_devtools.faults.probe import FileProbe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xietong_devtools.faults.serve")
    parser.add_argument("package", help="the service's package, e.g. referral")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--control", type=Path, required=True, help="the harness's control dir")
    parser.add_argument("--service", required=True, help="the service's name in the logs")
    args = parser.parse_args(argv)
    app = importlib.import_module(f"{args.package}.main").app
    # The kernel reaps the processes started here: a killed one leaves no zombie behind.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        port, instance, log_file = line.rstrip("\n").split("\t")
        pid = os.fork()
        if pid == 0:
            _serve(app, args, int(port), instance, log_file)
        print(pid, flush=True)
    return 0


def _serve(app: Any, args: argparse.Namespace, port: int, instance: str, log_file: str) -> NoReturn:
    code = 1
    try:
        # The service's own children (its file workers) are waited for as usual.
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()  # a Ctrl-C to the harness is not the service's
        out = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)  # the launcher's stdin stays the launcher's
        os.close(nothing)
        faultpoints.install_probe(FileProbe(args.control, instance))
        uvicorn.run(
            app,
            host=args.host,
            port=port,
            log_config=uvicorn_log_config(args.service),
            timeout_graceful_shutdown=10,
        )
        code = 0
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
