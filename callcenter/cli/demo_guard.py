"""What ``vuurtoren demo`` checks before it starts a fresh database.

Every demo run replays the same virtual morning, so it starts from an empty SQLite file of
its own. Before deleting anything it makes sure that it may:

- the dashboard's address is free (a second demo fails here, touching nothing);
- no other demo holds the directory (an advisory lock on ``demo.lock``, held while it runs);
- the database there is a demo's own (a marker file the demo writes): it never deletes the
  database of ``vuurtoren serve`` or any file it did not make.

While it runs, the demo's virtual clock is in its folder (``clock.json``):
:func:`installation_clock` gives a command pointed at that folder the same clock.
"""

from __future__ import annotations

import contextlib
import fcntl
import socket
from pathlib import Path
from typing import IO

from callcenter.cli.common import CommandError, data_folder
from schedules.clock import CLOCK_FILE, Clock, SpedClock, WallClock

__all__ = ["DB_NAME", "MARKER", "claim_demo_dir", "installation_clock", "release"]

DB_NAME = "vuurtoren.sqlite3"
MARKER = ".vuurtoren-demo"
LOCK = "demo.lock"


def _address_free(host: str, port: int) -> str | None:
    """None when ``host:port`` can be listened on now; else why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def claim_demo_dir(directory: Path, host: str, port: int) -> IO[str]:
    """Check, lock and empty the demo's directory; returns the lock, to keep open while the
    demo runs. :class:`CommandError` (nothing touched) when any check fails."""
    if port and (why := _address_free(host, port)) is not None:
        raise CommandError(
            f"the dashboard cannot listen on {host}:{port} ({why}); is another demo or "
            "service running there? Nothing was changed."
        )
    directory.mkdir(parents=True, exist_ok=True)
    lock = (directory / LOCK).open("a", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise CommandError(
            f"another demo is running with --data-dir {directory}; nothing was changed"
        ) from None
    db = directory / DB_NAME
    files = [db, db.with_name(DB_NAME + "-wal"), db.with_name(DB_NAME + "-shm")]
    if any(f.exists() for f in files) and not (directory / MARKER).exists():
        lock.close()
        raise CommandError(
            f"{db} is not a demo database (no {MARKER} beside it): the demo starts afresh "
            "and would delete it. Give the demo a --data-dir of its own; nothing was changed."
        )
    for f in [*files, directory / CLOCK_FILE]:
        f.unlink(missing_ok=True)
    (directory / MARKER).write_text(
        "This directory belongs to `vuurtoren demo`: it empties it at every start.\n",
        encoding="utf-8",
    )
    return lock


def release(lock: IO[str]) -> None:
    with contextlib.suppress(OSError):
        lock.close()


def _held(lock_file: Path) -> bool:
    """Whether a demo holds ``lock_file`` now (it is not stale: that demo runs)."""
    if not lock_file.is_file():
        return False
    with lock_file.open("a", encoding="utf-8") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
    return False


def installation_clock(data_dir: str | None) -> Clock:
    """The clock a command keeps for the installation it reads or changes: the virtual clock
    of a demo running in that folder (``--data-dir`` / ``VUURTOREN_DATA_DIR``), so that an
    override set from the command line, and its audit entry, fall on the demo's day; else
    the wall clock (also with ``VUURTOREN_DATABASE_URL``, which no demo uses)."""
    folder = data_folder(data_dir)
    if folder is None or not (folder / CLOCK_FILE).is_file() or not _held(folder / LOCK):
        return WallClock()  # no demo there, or one that was killed and left its clock
    try:
        return SpedClock.read(folder / CLOCK_FILE)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
