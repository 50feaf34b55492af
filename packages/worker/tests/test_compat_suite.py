"""An unmodified suite written for ``temporalio`` passes on tempyral through ``tempyral.compat``.

The suite (``temporalio_suite/``) is run twice in fresh interpreters against the session's dev
server: on the real official SDK, which proves it is an ordinary ``temporalio`` suite, and with
``TEMPYRAL_COMPAT=1``, where every ``temporalio`` import resolves to tempyral. The switch is read
by the ``tempyral_compat.pth`` start-up file that tempyral-client installs; the workspace installs
packages in editable mode, so the run adds that file's folder as a site directory, as an install
would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SUITE = Path(__file__).parent / "temporalio_suite"
PTH_DIR = Path(__file__).parents[2] / "client" / "src"
PASSED = re.compile(r"(\d+) passed")

_RUN = """
import site, sys
if {compat!r}:
    site.addsitedir({pth_dir!r})
    import tempyral.compat
    assert tempyral.compat.is_enabled(), "TEMPYRAL_COMPAT=1 did not enable the alias"
import pytest
# The suite brings its own fixtures: tempyral-testing's plugin (its `client` fixture) stays out.
args = ["-p", "suite_plugin", "-p", "no:tempyral", "--confcutdir", ".", "-p", "no:cacheprovider"]
code = pytest.main([*args, "-q"])
import temporalio.workflow
print("SDK:", temporalio.workflow.__name__)
sys.exit(code)
"""


def _run_suite(target: str, *, compat: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUITE_TARGET": target, "PYTHONPATH": str(SUITE)}
    env.pop("TEMPYRAL_COMPAT", None)
    if compat:
        env["TEMPYRAL_COMPAT"] = "1"
    script = _RUN.format(compat=compat, pth_dir=str(PTH_DIR))
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=SUITE,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )


def test_the_temporalio_suite_passes_on_the_official_sdk_and_on_tempyral(
    tempyral_target: str,
) -> None:
    official = _run_suite(tempyral_target, compat=False)
    assert official.returncode == 0, official.stdout + official.stderr
    assert "SDK: temporalio.workflow" in official.stdout

    aliased = _run_suite(tempyral_target, compat=True)
    assert aliased.returncode == 0, aliased.stdout + aliased.stderr
    assert "SDK: tempyral.workflow" in aliased.stdout

    official_count = PASSED.search(official.stdout)
    aliased_count = PASSED.search(aliased.stdout)
    assert official_count is not None
    assert aliased_count is not None
    assert int(official_count.group(1)) == int(aliased_count.group(1)) >= 4
