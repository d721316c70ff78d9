"""A single simple site keeps working unchanged (issue 28, "What stays"): the example site's
generated Asterisk files, and its decisions over two weeks with Christmas in them, are those
of the code before the region work (``cfae73f``), byte for byte.

A change that means to alter them writes them again, and says why in its commit:
``.venv/bin/python -m tests.test_example_unchanged --write``."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

from callcenter.asterisk.config import generate
from routing.config import load_site
from routing.decide import decide
from routing.site import Site
from routing.types import QueueState

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "sociaal-huis"
SECRET = "a test secret of the AMI account, long enough"
FILES = ("extensions.conf", "queues.conf", "manager.conf")


def _site() -> Site:
    return load_site(ROOT / "examples" / "sociaal-huis.toml")


def _files(site: Site) -> dict[str, str]:
    made = generate(site, SECRET)
    return dict(zip(FILES, (made.extensions, made.queues, made.manager), strict=True))


def _decisions(site: Site) -> list[str]:
    """Every topic, hourly (at a moving minute) for two weeks from 21/12/2026, with the
    counter's queue unknown and overloaded: one JSON line each."""
    start = datetime(2026, 12, 21, tzinfo=site.zone)
    out = []
    for h in range(24 * 14):
        at = start + timedelta(hours=h, minutes=(h * 17) % 60)
        for topic in [t.digit for t in site.topics]:
            queue = site.counter(site.topic(topic).counter).queue
            for live in ({}, {queue: QueueState(waiting=9, agents=1)}):
                d = decide(site, topic, "+32470000001", at, live)
                line = [at.isoformat(), topic, bool(live), d.as_json()]
                out.append(json.dumps(line, ensure_ascii=False, sort_keys=True))
    return out


def _digest(lines: list[str]) -> str:
    return f"{len(lines)} {hashlib.sha256(chr(10).join(lines).encode()).hexdigest()}"


def test_the_example_sites_asterisk_files_are_as_they_were() -> None:
    for name, text in _files(_site()).items():
        assert text == (GOLDEN / name).read_text(encoding="utf-8"), name


def test_the_example_sites_decisions_are_as_they_were() -> None:
    lines = _decisions(_site())
    assert len(lines) > 5000  # 336 instants x 11 topics x 2
    assert _digest(lines) == (GOLDEN / "decisions.sha256").read_text(encoding="utf-8").strip()


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    site = _site()
    for name, text in _files(site).items():
        (GOLDEN / name).write_text(text, encoding="utf-8")
    (GOLDEN / "decisions.sha256").write_text(_digest(_decisions(site)) + "\n", encoding="utf-8")
    print(f"written: {GOLDEN}")
