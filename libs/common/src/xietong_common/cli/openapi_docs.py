"""docs/openapi/<service>.json: each service's OpenAPI document, generated from its routes and
checked current like the event docs, so integrators can read (and generate clients from)
the APIs without running the services; and docs/openapi/3.0/<service>.json, its OpenAPI 3.0
rendering for the tools that import 3.0 best (`xietong_common.cli.openapi30`)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from xietong_common.cli.openapi30 import document_30
from xietong_common.services import SERVICES
from xietong_common.web.app import create_app


def rendered(out_dir: Path) -> dict[Path, str]:
    files = {}
    for name, package in SERVICES.items():
        spec = importlib.import_module(f"{package}.main").SPEC
        document = create_app(spec).openapi()
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        files[out_dir / "openapi" / f"{name}.json"] = text
        older = json.dumps(document_30(document), ensure_ascii=False, indent=2, sort_keys=True)
        files[out_dir / "openapi" / "3.0" / f"{name}.json"] = older + "\n"
    return files
