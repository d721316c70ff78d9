"""Every command line of the README's console examples, run as it stands against a scratch
installation (``VUURTOREN_DATA_DIR``), in order: it succeeds, and its output begins as the
README shows (``...`` stands for anything). The README cannot drift from the commands
(issue 26): its route example named a menu key the site no longer has, and nobody saw."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def examples() -> list[tuple[str, list[str]]]:
    """(command line, the output lines shown under it), in the README's order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found and line.strip():
                found[-1][1].append(line)
    return found


def pattern(shown: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in shown.split("...")))


def test_the_readme_has_examples_to_run() -> None:
    commands = [c for c, _ in examples()]
    assert len(commands) >= 8 and all(c.startswith("vuurtoren ") for c in commands)


def test_every_readme_command_line_runs_as_shown(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VUURTOREN_DATA_DIR": str(tmp_path / "data"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("VUURTOREN_DATABASE_URL", None)
    for command, shown in examples():
        done = subprocess.run(
            shlex.split(command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        out = done.stdout.splitlines()
        assert len(out) >= len(shown), f"{command}\n{done.stdout}"
        for want, got in zip(shown, out, strict=False):
            assert pattern(want).fullmatch(got), f"{command}\nREADME: {want}\nprints: {got}"
