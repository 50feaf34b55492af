"""``tempyral doctor``: check a connection profile end to end and say how to fix what fails.

The checks run in the order a connection needs them (profile, TLS material, TCP, TLS handshake,
gRPC answer and credentials, namespace, capabilities); once one fails, the checks that depend on
it are skipped. People get a pass/fail list with a fix under each failure; ``--json`` gives CI the
same list. Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import json

import click
from rich.console import Console

from tempyral.cli._connect import ConnectionFlags, connection_options, resolve
from tempyral.cli._doctor_checks import (
    CheckResult,
    Status,
    check_address,
    check_handshake,
    check_server,
    check_tls_material,
)
from tempyral.cli._errors import EXIT_FAILED, EXIT_OK
from tempyral.envconfig import ConfigError
from tempyral.service import TLSConfig

__all__ = ["doctor"]

PROFILE = "profile and TLS files load"


def _skipped(names: list[str], because: str) -> list[CheckResult]:
    return [CheckResult(n, Status.SKIP, f"skipped: {because}") for n in names]


def run_checks(flags: ConnectionFlags, timeout: float) -> list[CheckResult]:
    later = ["address reachable", "server answers", "namespace exists", "server capabilities"]
    try:
        connection = resolve(flags)
    except ConfigError as err:
        failed = CheckResult(
            PROFILE,
            Status.FAIL,
            str(err),
            "fix the file or variable the message names; profiles come from --config-file,"
            " $TEMPORAL_CONFIG_FILE or the user's temporal.toml, and TEMPORAL_* variables",
        )
        return [failed, *_skipped(later, "no profile")]
    config = connection.config
    tls = config.tls
    described = (
        f"address {config.target_host}, namespace {connection.namespace!r},"
        f" TLS {'on' if tls else 'off'}, API key {'set' if config.api_key else 'not set'}"
    )
    results = [CheckResult(PROFILE, Status.PASS, described)]
    if tls:
        later.insert(1, "TLS handshake and certificate chain")
    if isinstance(tls, TLSConfig):
        material = check_tls_material(tls)
        results.append(material)
        if material.status is Status.FAIL:
            return results + _skipped(later, "the TLS certificates do not load")
    address = check_address(config.target_host, timeout)
    results.append(address)
    if address.status is Status.FAIL:
        return results + _skipped(later[1:], "the server cannot be reached")
    if tls:
        settings = tls if isinstance(tls, TLSConfig) else TLSConfig()
        handshake = check_handshake(config.target_host, settings, timeout)
        results.append(handshake)
        if handshake.status is Status.FAIL:
            return results + _skipped(later[2:], "no TLS connection")
    return results + asyncio.run(check_server(connection, timeout))


def _render(results: list[CheckResult]) -> None:
    console = Console(soft_wrap=True, highlight=False)
    marks = {
        Status.PASS: "[green]PASS[/]",
        Status.FAIL: "[bold red]FAIL[/]",
        Status.SKIP: "[dim]SKIP[/]",
    }
    for result in results:
        console.print(f"{marks[result.status]}  {result.name}: ", end="")
        console.print(result.detail, markup=False)
        if result.fix:
            console.print("      [yellow]fix:[/] ", end="")
            console.print(result.fix, markup=False)
    failed = sum(r.status is Status.FAIL for r in results)
    passed = sum(r.status is Status.PASS for r in results)
    if failed:
        console.print(f"[bold red]{failed} check(s) failed[/], {passed} passed")
    else:
        console.print(f"[green]all {passed} checks passed[/]")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="print the results as JSON (for CI)")
@click.option(
    "--timeout", type=float, default=5.0, show_default=True, help="seconds to wait per check"
)
@connection_options
def doctor(as_json: bool, timeout: float, connection: ConnectionFlags) -> int:
    """Check a connection profile end to end, and say how to fix what fails.

    Checks that the profile loads, the TLS files are readable, the address is reachable, the
    certificate chain is valid, the server answers and accepts the API key, the namespace
    exists, and lists the server's version and what it can do, each asked of the server:
    updates, Worker Deployment versioning, legacy build-id versioning, Nexus (and its
    endpoints), and time skipping (test-server for the Java test server's global clock,
    per-workflow for a server with frontend.WorkflowTimeSkippingEnabled, or off).

    Exit status: 0 every check passed, 1 some check failed.
    """
    results = run_checks(connection, timeout)
    if as_json:
        document = {
            "ok": all(r.status is not Status.FAIL for r in results),
            "checks": [
                {
                    "name": r.name,
                    "status": r.status.value,
                    "detail": r.detail,
                    "fix": r.fix,
                    **({"facts": r.facts} if r.facts else {}),
                }
                for r in results
            ],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        _render(results)
    return EXIT_FAILED if any(r.status is Status.FAIL for r in results) else EXIT_OK
