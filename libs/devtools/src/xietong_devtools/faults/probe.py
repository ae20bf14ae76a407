"""The probe the harness installs in the services it starts (`xietong_common.faultpoints`).

The harness arms one point of one process by writing `<control>/<instance>.arm` (JSON: the
point and what its detail must match). The first time the process reaches that point with a
matching detail, the probe removes the file (one shot), writes `<instance>.hit` (the point,
its detail and the time) and stops its own process with SIGSTOP, synchronously, right at
that line: no other task of the process runs after it. The harness sees the stopped process
and kills it with SIGKILL, which is then a crash at that exact moment.

The harness and the probe speak only through these files, so arming needs no port, no
signal handler and nothing in the service's settings.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Arming:
    """Stop at `point` when every key of `where` in its detail has one of the values given."""

    point: str
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def matches(self, point: str, detail: Mapping[str, str]) -> bool:
        if point != self.point:
            return False
        return all(detail.get(key) in allowed for key, allowed in self.where.items())

    def to_json(self) -> str:
        return json.dumps(
            {"point": self.point, "where": {k: list(v) for k, v in self.where.items()}}
        )

    @classmethod
    def from_json(cls, text: str) -> Arming:
        data: dict[str, Any] = json.loads(text)
        return cls(
            point=str(data["point"]),
            where={str(k): tuple(str(v) for v in vs) for k, vs in data.get("where", {}).items()},
        )


def arm_file(control: Path, instance: str) -> Path:
    return control / f"{instance}.arm"


def hit_file(control: Path, instance: str) -> Path:
    return control / f"{instance}.hit"


class FileProbe:
    """`xietong_common.faultpoints.Probe` reading its arming from the control directory."""

    def __init__(self, control: Path, instance: str) -> None:
        self.arm = arm_file(control, instance)
        self.hit = hit_file(control, instance)

    def __call__(self, point: str, detail: Mapping[str, str]) -> None:
        try:
            arming = Arming.from_json(self.arm.read_text())
        except (FileNotFoundError, ValueError, KeyError):
            return  # not armed (or the harness is half-way through writing the file)
        if not arming.matches(point, detail):
            return
        try:
            self.arm.unlink()
        except FileNotFoundError:
            return  # another task of this process took the shot first
        staging = self.hit.with_suffix(".hit-tmp")
        staging.write_text(json.dumps({"point": point, "detail": dict(detail), "at": time.time()}))
        staging.replace(self.hit)
        os.kill(os.getpid(), signal.SIGSTOP)
