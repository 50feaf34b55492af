"""The hand-written packages stay typed: their ``type: ignore`` comments stay at most half of the
50 they held when the structure issue was filed.

An ignore hides a real typing gap from everyone who reads or checks the code. The generated protos
(``tempyral-protos``) are left out: their text comes from the generator. Prefer typing the value
(the proto field's enum, a narrowed ``isinstance``, a ``cast`` with a comment saying why) over a
new ignore; raise the ceiling only with a reason in the commit.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HAND_WRITTEN = ("client", "replay", "worker", "testing", "cli")
CEILING = 25  # half of the 50 at the structure issue's filing (2f061b2~1)
IGNORE = re.compile(r"#\s*type:\s*ignore")


def ignores() -> list[str]:
    found = []
    for package in HAND_WRITTEN:
        for path in sorted((ROOT / "packages" / package / "src").rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if IGNORE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    return found


def test_type_ignores_in_hand_written_code_stay_under_the_ceiling() -> None:
    found = ignores()
    assert len(found) <= CEILING, (
        f"{len(found)} `type: ignore` comments in packages/{{{','.join(HAND_WRITTEN)}}}/src"
        f" (ceiling {CEILING}); type the values instead:\n" + "\n".join(found)
    )


def test_the_count_sees_every_ignore() -> None:
    # The companion: the scan finds ignores where they are (so the ceiling test can fail).
    found = ignores()
    assert any("_loop.py" in place for place in found), found
