"""docs/events.md and docs/asyncapi.yaml say what the contracts say."""

from __future__ import annotations

import subprocess
import sys


def test_event_docs_are_generated_from_the_current_contracts() -> None:
    # A fresh process, so only the real contracts are registered (tests register test events).
    result = subprocess.run(
        [sys.executable, "-m", "xietong_common.cli.main", "docs", "--check"],
        capture_output=True,
        text=True,
        # no timeout of its own: building eight apps takes 10 s quiet and 90 s on a busy box;
        # the suite's per-test bound (pyproject, pytest-timeout) still ends a hang
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_asyncapi_document_is_valid_asyncapi_3() -> None:
    """Validated offline against the official AsyncAPI 3.0.0 schema (docs/schemas)."""
    import json
    from pathlib import Path

    import jsonschema
    import yaml

    docs = Path(__file__).resolve().parents[1] / "docs"
    schema = json.loads((docs / "schemas" / "asyncapi-3.0.0.json").read_text())
    document = yaml.safe_load((docs / "asyncapi.yaml").read_text())
    jsonschema.validate(document, schema)
    channels = document["channels"]
    assert all(f"{c}_dlq" in channels for c in channels if not c.endswith("_dlq"))
    assert document["servers"]["integrators"]["protocol"] == "kafka-secure"
