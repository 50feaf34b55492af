"""``tempyral.compat``: ``import temporalio...`` resolves to tempyral, only when asked for.

Each case runs in a fresh interpreter: the alias is process-wide, and the test process itself has
the real ``temporalio`` installed (and often imported) for interop tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PTH_DIR = Path(__file__).parents[1] / "src"


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "TEMPYRAL_COMPAT"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_enabled_alias_gives_the_very_same_tempyral_modules() -> None:
    result = run(
        """
        import sys
        import tempyral.compat
        tempyral.compat.enable()
        import temporalio
        from temporalio import workflow
        from temporalio.client import Client
        from temporalio.api.common.v1 import Payload
        from temporalio.api.enums.v1.event_type_pb2 import EventType
        import tempyral.workflow, tempyral.client, tempyral.api.common.v1
        assert workflow is tempyral.workflow
        assert Client is tempyral.client.Client
        assert Payload is tempyral.api.common.v1.Payload
        assert temporalio.exceptions.ApplicationError.__module__.startswith("tempyral.")
        # The aliased modules keep their own identity (spec, name), so tools that read them agree.
        assert workflow.__spec__.name == "tempyral.workflow"
        assert not hasattr(sys.modules["tempyral.api.enums.v1.event_type_pb2"], "__path__")
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_module_tempyral_lacks_is_named_with_the_module_looked_for() -> None:
    result = run(
        """
        import tempyral.compat
        tempyral.compat.enable()
        import temporalio.no_such_module
        """
    )
    assert result.returncode != 0
    assert "temporalio.no_such_module is not provided by tempyral" in result.stderr
    assert "there is no module tempyral.no_such_module" in result.stderr


def test_a_missing_name_names_the_tempyral_module() -> None:
    result = run(
        """
        import tempyral.compat
        tempyral.compat.enable()
        from temporalio.workflow import no_such_name
        """
    )
    assert result.returncode != 0
    assert "cannot import name 'no_such_name' from 'tempyral.workflow'" in result.stderr


def test_refuses_when_the_real_temporalio_is_already_imported() -> None:
    result = run(
        """
        import temporalio.common
        import tempyral.compat
        tempyral.compat.enable()
        """
    )
    assert result.returncode != 0
    assert "the real temporalio is already imported in this process" in result.stderr
    assert "TEMPYRAL_COMPAT=1" in result.stderr


def test_the_environment_switch_enables_it_at_interpreter_start() -> None:
    code = f"""
        import site
        site.addsitedir({str(PTH_DIR)!r})
        import temporalio.workflow
        print(temporalio.workflow.__name__)
        """
    switched = run(code, TEMPYRAL_COMPAT="1")
    assert switched.returncode == 0, switched.stderr
    assert switched.stdout.strip() == "tempyral.workflow"
    # Without the switch, the start-up file does nothing: the official SDK is imported as usual.
    plain = run(code)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip() == "temporalio.workflow"


def test_disable_forgets_the_alias() -> None:
    result = run(
        """
        import tempyral.compat
        tempyral.compat.enable()
        import temporalio.workflow
        tempyral.compat.disable()
        assert not tempyral.compat.is_enabled()
        import temporalio.workflow as real
        print(real.__name__)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "temporalio.workflow"
