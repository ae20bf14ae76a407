"""The YAML files of the reference data (the directory, the catalogue, calendars, scenarios),
parsed by libyaml's C parser where PyYAML was built with it, else by its Python one — both
the safe loader (plain data, no Python objects)."""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


def safe_yaml(text: str) -> Any:
    """`yaml.safe_load(text)`, faster: the organisation directory (16 KB) took 70–120 ms in
    the Python parser and 12–19 ms in libyaml's, at every service's start and so in every
    test that starts one."""
    return yaml.load(text, Loader=_SafeLoader)
