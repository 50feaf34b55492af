"""Command line of the release tooling: ``python tools/release {config,plan,version,check,verify}``.

config   check (or with --write, render) each package's release block from the one template
plan     which packages would be released, their next versions, and why (changes nothing)
version  carry the plan out locally: range commits, then semantic-release per package (no push)
check    build every wheel and sdist, check them, smoke-test the wheels in clean venvs
verify   check a downloaded wheel or sdist against its sigstore bundle and signer identity

Exit status 0 on success, 1 when a check fails (the message says what and what to do).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from release import config, dist, plan, verify, versioning
from release.workspace import REPO, ReleaseError, load


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python tools/release",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", type=Path, default=REPO, help="the repository (default: this)")
    commands = parser.add_subparsers(dest="command", required=True)

    configure = commands.add_parser(
        "config", help=f"check the packages' release blocks against {config.TEMPLATE}"
    )
    configure.add_argument(
        "--write", action="store_true", help="rewrite every drifted block from the template"
    )

    show = commands.add_parser("plan", help="show the release plan")
    show.add_argument("--json", action="store_true", help="print the plan as JSON")

    version = commands.add_parser("version", help="version, commit and tag the planned releases")
    version.add_argument("--json", action="store_true", help="print the plan carried out as JSON")

    build = commands.add_parser("check", help="build, check and smoke-test every package")
    build.add_argument("--out", type=Path, default=None, help="dist folder (default: ROOT/dist)")
    build.add_argument("--no-build", action="store_true", help="check the files already in --out")
    build.add_argument("--no-smoke", action="store_true", help="skip the venv smoke test")
    build.add_argument(
        "--pip-arg",
        action="append",
        default=[],
        help="extra pip install argument for the smoke test (repeatable)",
    )
    build.add_argument("--report", type=Path, help="also write the results as JSON here")

    check = commands.add_parser("verify", help="verify an artifact's sigstore bundle")
    check.add_argument("artifacts", nargs="+", type=Path, help="wheel or sdist files")
    check.add_argument(
        "--bundle",
        type=Path,
        help=f"bundle file (default: ARTIFACT{verify.BUNDLE_SUFFIX}); one artifact",
    )
    check.add_argument(
        "--identity",
        help=f"signer identity (default: the release workflow, {verify.workflow_identity()})",
    )
    check.add_argument("--issuer", default=verify.GITHUB_ISSUER, help="OIDC issuer of the signer")
    check.add_argument(
        "--online",
        action="store_true",
        help="refresh sigstore's trust root first (default: the embedded one)",
    )
    check.add_argument(
        "--staging",
        action="store_true",
        help="trust sigstore's staging instance instead of production (rehearsals)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root: Path = args.root.resolve()
    try:
        if args.command == "config":
            if args.write:
                changed = config.write(root, load(root))
                print("rewrote: " + (" ".join(str(p.relative_to(root)) for p in changed) or "-"))
            config.check(root, load(root))
            print(f"every package's release block is {config.TEMPLATE}, rendered")
        elif args.command == "plan":
            computed = plan.compute(root)
            print(plan.dump(computed) if args.json else plan.render(computed))
        elif args.command == "version":
            versioning.ensure_clean(root)  # fail fast, before six PSR runs
            computed = plan.compute(root)
            if not args.json:
                print(plan.render(computed), flush=True)
            tags = versioning.carry_out(computed)
            print(plan.dump(computed) if args.json else f"tagged: {' '.join(tags) or 'nothing'}")
        elif args.command == "check":
            out = (args.out or root / "dist").resolve()
            report = dist.check(
                load(root),
                out,
                build_first=not args.no_build,
                run_smoke=not args.no_smoke,
                pip_args=args.pip_arg,
            )
            print(dist.render(report))
            if args.report:
                args.report.write_text(dist.dump(report) + "\n", encoding="utf-8")
        elif args.command == "verify":
            if args.bundle and len(args.artifacts) > 1:
                raise ReleaseError("--bundle names one bundle: give one artifact with it")
            for artifact in args.artifacts:
                print(
                    verify.verify(
                        artifact,
                        args.bundle,
                        args.identity,
                        args.issuer,
                        offline=not args.online,
                        staging=args.staging,
                    )
                )
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
