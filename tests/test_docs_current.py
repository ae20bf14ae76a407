"""docs/events.md and docs/asyncapi.yaml say what the contracts say."""

from __future__ import annotations

import subprocess
import sys


def test_event_docs_are_generated_from_the_current_contracts() -> None:
    # A fresh process, so only the real contracts are registered (tests register test events).
    result = subprocess.run(
        [sys.executable, "-m", "xietong_common.cli", "docs", "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
