"""`xietong faults`: the fault harness on its own servers (what `make faults` runs)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from xietong_devtools.faults.runner import Options, default_local_dir, run_private


def cmd_faults(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    # The harness waits for the brokers it restarts: their refusals meanwhile are expected.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    options = Options(
        duration_s=args.duration,
        workers=args.workers,
        grace_s=args.grace,
        pause_s=args.pause,
        keep=args.keep,
    )
    return asyncio.run(
        run_private(
            options, local_dir=args.local_dir, pg_port=args.pg_port, kafka_port=args.kafka_port
        )
    )


def add_faults_command(subparsers: Any) -> None:
    env = os.environ.get
    faults = subparsers.add_parser(
        "faults",
        help="drive a mixed load while killing services, restarting Kafka and PostgreSQL, "
        "and check nothing was lost or doubled (its own servers; docs/faults.md)",
    )
    faults.add_argument(
        "--duration",
        type=float,
        default=float(env("XIETONG_FAULTS_DURATION_S", "240")),
        help="seconds of load (default 240, or XIETONG_FAULTS_DURATION_S)",
    )
    faults.add_argument("--workers", type=int, default=4, help="concurrent flows (default 4)")
    faults.add_argument(
        "--grace",
        type=float,
        default=60.0,
        help="seconds after recovery past which a delivery counts as late (default 60)",
    )
    faults.add_argument(
        "--pause",
        type=float,
        default=25.0,
        help="seconds a service stays stopped (SIGSTOP); past the 10 s consumer session timeout",
    )
    faults.add_argument(
        "--local-dir",
        type=Path,
        default=Path(env("XIETONG_FAULTS_LOCAL_DIR") or default_local_dir()),
        help="where the harness keeps its own servers' data (default .local/faults)",
    )
    faults.add_argument(
        "--pg-port",
        type=int,
        default=int(env("XIETONG_FAULTS_PG_PORT", "54339")),
        help="the harness's own PostgreSQL (default 54339; never the shared stack's)",
    )
    faults.add_argument(
        "--kafka-port",
        type=int,
        default=int(env("XIETONG_FAULTS_KAFKA_PORT", "29192")),
        help="the harness's own Kafka (default 29192, controller +1)",
    )
    faults.add_argument(
        "--keep",
        action="store_true",
        help="keep the run's databases and topics, and the harness's servers running",
    )
    faults.set_defaults(func=cmd_faults)
