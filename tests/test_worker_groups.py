"""`make test` runs tests that share a fixture wider than a test (a module's broker, the
workbench's stack) in one worker, so it is built once (docs/local-stack.md): proven here on
a throwaway suite run the way `make test` runs the real one."""

from __future__ import annotations

import re
from pathlib import Path

from xietong_devtools.testing import run_throwaway_suite

SHARED = """
import time
import pytest

@pytest.fixture(scope="module")
def broker():
    yield "built once"

@pytest.mark.parametrize("i", range(6))
def test_uses_the_module_fixture(broker, i):
    time.sleep(0.2)

@pytest.mark.xdist_group("named")
def test_named_group():
    pass
"""

OTHERS = """
import time
import pytest

@pytest.mark.parametrize("i", range(6))
def test_alone(i):
    time.sleep(0.2)
"""


def test_tests_sharing_a_module_fixture_run_in_one_worker(tmp_path: Path) -> None:
    """Under pytest 9 xdist 3.8's worker no longer named an item's group in its node id (it
    assigns `item._nodeid`, which pytest 9 does not read), so `--dist loadgroup` grouped
    nothing and each worker built the module's fixture again."""
    (tmp_path / "test_shared.py").write_text(SHARED)
    (tmp_path / "test_others.py").write_text(OTHERS)
    run = run_throwaway_suite(tmp_path, "-n", "2", "--dist", "loadgroup")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    workers = {
        worker
        for worker, test in re.findall(r"\[(gw\d)\] .*?PASSED \S*::(\S+)", run.stdout)
        if test.startswith("test_uses_the_module_fixture")
    }
    assert len(workers) == 1, run.stdout[-3000:]
    assert "test_named_group@named" in run.stdout
    ran = re.findall(r"PASSED", run.stdout)
    assert len(ran) == 13
