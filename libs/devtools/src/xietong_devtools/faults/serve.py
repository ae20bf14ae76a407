"""`python -m xietong_devtools.faults.serve PACKAGE --port N --control DIR --instance ID`:
one service under uvicorn, as `xietong run` starts it, with the harness's probe installed
(`xietong_common.faultpoints`). Only the fault harness starts services this way; nothing
else installs a probe, and this module is not in the production image."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from xietong_common import faultpoints
from xietong_common.logs import uvicorn_log_config
from xietong_devtools.faults.probe import FileProbe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xietong_devtools.faults.serve")
    parser.add_argument("package", help="the service's package, e.g. referral")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control", type=Path, required=True, help="the harness's control dir")
    parser.add_argument("--instance", required=True, help="this process's name in the control dir")
    parser.add_argument("--service", required=True, help="the service's name in the logs")
    args = parser.parse_args(argv)
    faultpoints.install_probe(FileProbe(args.control, args.instance))
    uvicorn.run(
        f"{args.package}.main:app",
        host=args.host,
        port=args.port,
        log_config=uvicorn_log_config(args.service),
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
