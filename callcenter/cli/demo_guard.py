"""What ``vuurtoren demo`` checks before it starts a fresh database.

Every demo run replays the same virtual morning, so it starts from an empty SQLite file of
its own. Before deleting anything it makes sure that it may:

- the dashboard's address is free (a second demo fails here, touching nothing);
- no other demo holds the directory (an advisory lock on ``demo.lock``, held while it runs);
- the database there is a demo's own (a marker file the demo writes): it never deletes the
  database of ``vuurtoren serve`` or any file it did not make.
"""

from __future__ import annotations

import contextlib
import fcntl
import socket
from pathlib import Path
from typing import IO

from callcenter.cli.common import CommandError

__all__ = ["DB_NAME", "MARKER", "claim_demo_dir", "release"]

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
    for f in files:
        f.unlink(missing_ok=True)
    (directory / MARKER).write_text(
        "This directory belongs to `vuurtoren demo`: it empties it at every start.\n",
        encoding="utf-8",
    )
    return lock


def release(lock: IO[str]) -> None:
    with contextlib.suppress(OSError):
        lock.close()
