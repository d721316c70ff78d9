"""`vuurtoren demo` never deletes a database that is not its own idle one: a second demo
beside a running one, or a --data-dir that holds the service's database, fail first."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.cli.common import CommandError
from callcenter.cli.demo_guard import (
    DB_NAME,
    MARKER,
    claim_demo_dir,
    installation_clock,
    release,
)
from schedules.clock import CLOCK_FILE, SpedClock


def test_a_busy_dashboard_address_fails_before_anything_is_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_dir = tmp_path / "demo"
    demo_dir.mkdir()
    (demo_dir / MARKER).write_text("")
    db = demo_dir / DB_NAME
    db.write_bytes(b"a running demo's calls")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["demo", "--listen", f"127.0.0.1:{port}", "--data-dir", str(demo_dir)])
    assert code == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err
    assert db.read_bytes() == b"a running demo's calls"


def test_a_second_demo_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    first = claim_demo_dir(tmp_path, "127.0.0.1", 0)
    try:
        (tmp_path / DB_NAME).write_bytes(b"calls of the running demo")
        with pytest.raises(CommandError, match="another demo is running"):
            claim_demo_dir(tmp_path, "127.0.0.1", 0)
        assert (tmp_path / DB_NAME).read_bytes() == b"calls of the running demo"
    finally:
        release(first)
    again = claim_demo_dir(tmp_path, "127.0.0.1", 0)  # once stopped, it starts afresh
    release(again)
    assert not (tmp_path / DB_NAME).exists()


def test_the_services_database_is_never_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).write_bytes(b"serve's calls")  # `vuurtoren serve`'s default place
    code = main(["demo", "--listen", "127.0.0.1:0", "--data-dir", str(data)])
    assert code == 2
    assert "is not a demo database" in capsys.readouterr().err
    assert (data / DB_NAME).read_bytes() == b"serve's calls"


def test_commands_keep_a_running_demos_clock_and_only_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VUURTOREN_DATABASE_URL", raising=False)
    monkeypatch.delenv("VUURTOREN_DATA_DIR", raising=False)
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    lock = claim_demo_dir(tmp_path, "127.0.0.1", 0)
    try:
        SpedClock(monday.timestamp(), time.time(), 10.0).write(tmp_path / CLOCK_FILE)
        now = installation_clock(str(tmp_path)).now()
        assert monday <= now < monday + timedelta(minutes=1)
        (tmp_path / CLOCK_FILE).write_text("{}")
        with pytest.raises(CommandError, match="not a demo's clock"):
            installation_clock(str(tmp_path))
        SpedClock(monday.timestamp(), time.time(), 10.0).write(tmp_path / CLOCK_FILE)
    finally:
        release(lock)
    # a demo killed before it could remove its clock: its folder is back on the wall clock
    assert abs(installation_clock(str(tmp_path)).now() - datetime.now(UTC)) < timedelta(minutes=1)
    # and a new demo there starts without the old one's clock
    release(claim_demo_dir(tmp_path, "127.0.0.1", 0))
    assert not (tmp_path / CLOCK_FILE).exists()
