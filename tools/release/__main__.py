"""``python tools/release <command>``: see ``release.cli``."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a folder (python tools/release): make `release` importable as a package.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from release.cli import main

if __name__ == "__main__":
    sys.exit(main())
