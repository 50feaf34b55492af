"""Verify a downloaded artifact against its sigstore bundle and the identity that signed it.

Every tempyral wheel and sdist is signed in the release workflow with sigstore's keyless flow:
the certificate names the workflow that ran (``https://github.com/<repo>/.github/workflows/
release.yml@refs/heads/main``) and GitHub's OIDC issuer. Verification checks the signature over
the file's SHA-256, the certificate chain up to Fulcio, the transparency-log inclusion, and that
identity; by default it does so offline, with the trust root that ships inside sigstore-python.

This wraps exactly the sigstore command SECURITY.md gives users, so both stay one command::

    python -m sigstore verify identity --offline \
        --bundle FILE.sigstore.json --cert-identity IDENTITY --cert-oidc-issuer ISSUER FILE
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from release.workspace import GITHUB_REPOSITORY, RELEASE_WORKFLOW, ReleaseError

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
BUNDLE_SUFFIX = ".sigstore.json"


def workflow_identity(repository: str = GITHUB_REPOSITORY, ref: str = "refs/heads/main") -> str:
    return f"https://github.com/{repository}/{RELEASE_WORKFLOW}@{ref}"


def command(
    artifact: Path, bundle: Path, identity: str, issuer: str, offline: bool, staging: bool = False
) -> list[str]:
    return [
        sys.executable, "-m", "sigstore", *(["--staging"] if staging else []), "verify", "identity",
        *(["--offline"] if offline else []),
        "--bundle", str(bundle),
        "--cert-identity", identity,
        "--cert-oidc-issuer", issuer,
        str(artifact),
    ]  # fmt: skip


def verify(
    artifact: Path,
    bundle: Path | None = None,
    identity: str | None = None,
    issuer: str = GITHUB_ISSUER,
    offline: bool = True,
    staging: bool = False,
) -> str:
    """Raise ReleaseError unless ``artifact`` was signed by ``identity``; return sigstore's word."""
    bundle = bundle or artifact.with_name(artifact.name + BUNDLE_SUFFIX)
    identity = identity or workflow_identity()
    for path in (artifact, bundle):
        if not path.is_file():
            raise ReleaseError(f"{path} does not exist: download it from the GitHub release")
    done = subprocess.run(
        command(artifact, bundle, identity, issuer, offline, staging),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        detail = "\n".join(
            line for line in done.stderr.splitlines() if "offline mode" not in line
        ).strip()
        raise ReleaseError(
            f"{artifact.name} is NOT verified against {bundle.name} for {identity} "
            f"({issuer}): do not install it.\n{detail}"
        )
    return f"OK: {artifact.name} was signed by {identity}"
