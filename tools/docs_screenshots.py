"""Screenshots of the built documentation site, taken with headless Chromium.

    hatch run docs:build
    python tools/docs_screenshots.py [--site site] [--out DIR]

Serves the built site (``site/``) on a free loopback port and saves a PNG of the home page, a
guide, an API reference page, a runbook and the performance page, for a person to look at. The
PNGs are committed under ``docs/assets/screenshots/`` (the default ``--out``), so the last look
at the rendered site stays with the repository: rerun this after changing the theme or those
pages, look at the images, and commit them. Needs Debian's ``chromium`` package (``apt-get
install chromium``), or ``--chromium PATH``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "home": "",
    "guide-workflows": "guides/workflows/",
    "api-workflow": "api/workflow/",
    "runbook-stuck-workflows": "operations/stuck-workflows/",
    "performance": "performance/",
}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _find_chromium(given: str | None) -> str:
    for candidate in (given, "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    sys.exit("no Chromium found: apt-get install chromium, or pass --chromium PATH")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site")
    default_out = ROOT / "docs" / "assets" / "screenshots"
    parser.add_argument("--out", type=Path, default=default_out, help="where the PNGs go")
    parser.add_argument("--chromium", help="the Chromium binary (default: found on PATH)")
    parser.add_argument("--size", default="1280,1600", help="window size, WIDTH,HEIGHT")
    args = parser.parse_args(argv)

    if not (args.site / "index.html").is_file():
        sys.exit(f"{args.site}/index.html is missing: build the site first (hatch run docs:build)")
    chromium = _find_chromium(args.chromium)
    args.out.mkdir(parents=True, exist_ok=True)

    handler = functools.partial(_QuietHandler, directory=str(args.site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            for name, path in PAGES.items():
                png = args.out / f"{name}.png"
                subprocess.run(
                    [
                        chromium,
                        "--headless",
                        "--no-sandbox",  # CI and this workplace run as root
                        "--disable-gpu",
                        "--hide-scrollbars",
                        f"--window-size={args.size}",
                        f"--screenshot={png}",
                        base + path,
                    ],
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
                if not png.is_file() or png.stat().st_size == 0:
                    sys.exit(f"Chromium wrote no screenshot of {base + path}")
                print(png)
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
