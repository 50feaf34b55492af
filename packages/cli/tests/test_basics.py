"""The command as a newcomer meets it: --version, help, typos, shell completion."""

from __future__ import annotations

from importlib import metadata

from .conftest import RunCli


def test_version_lists_the_installed_tempyral_packages(run_cli: RunCli) -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for name in ("tempyral-cli", "tempyral-client", "tempyral-replay", "tempyral-worker"):
        assert f"{name} {metadata.version(name)}" in lines
    assert lines[-1].startswith("Python 3.")


def test_help_lists_every_command(run_cli: RunCli) -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("completion", "dev", "doctor", "init", "replay", "server-info", "worker"):
        assert f"\n  {command} " in result.stdout


def test_a_mistyped_command_gets_a_suggestion(run_cli: RunCli) -> None:
    result = run_cli("repaly")
    assert result.returncode == 2
    assert "No such command 'repaly'. Did you mean 'replay'?" in result.stderr


def test_shell_completion_script_and_answers(run_cli: RunCli) -> None:
    script = run_cli("completion", "bash")
    assert script.returncode == 0
    assert "_TEMPYRAL_COMPLETE=bash_complete" in script.stdout
    env = {"_TEMPYRAL_COMPLETE": "bash_complete", "COMP_WORDS": "tempyral re", "COMP_CWORD": "1"}
    assert run_cli(env=env).stdout.split() == ["plain,replay"]
    env.update(COMP_WORDS="tempyral doctor --js", COMP_CWORD="2")
    assert run_cli(env=env).stdout.split() == ["plain,--json"]
