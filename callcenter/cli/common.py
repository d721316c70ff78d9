"""Helpers shared by the subcommands: reading the site file, parsing times."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from routing.config import ConfigError, Problem, load_site
from routing.site import Site

EXIT_OK = 0
EXIT_INVALID = 2


class CommandError(Exception):
    """A bad argument or file: printed to stderr, exit code 2."""


def installed_database(data_dir: str | None) -> tuple[str | None, Path | None]:
    """The installation's database URL: ``VUURTOREN_DATABASE_URL``, or the SQLite file in
    ``data_dir`` / ``VUURTOREN_DATA_DIR`` / ``./data`` when it exists (None and that file's
    path when it does not: nothing is created here)."""
    url = os.environ.get("VUURTOREN_DATABASE_URL")
    folder = data_folder(data_dir)
    if url or folder is None:
        return url, None
    db = folder / "vuurtoren.sqlite3"
    return (f"sqlite+aiosqlite:///{db}", db) if db.is_file() else (None, db)


def data_folder(data_dir: str | None) -> Path | None:
    """The installation's folder: ``data_dir``, ``VUURTOREN_DATA_DIR`` or ``./data``; None
    when ``VUURTOREN_DATABASE_URL`` names the database instead."""
    if os.environ.get("VUURTOREN_DATABASE_URL"):
        return None
    return Path(data_dir or os.environ.get("VUURTOREN_DATA_DIR") or "data")


def out_folder(text: str, option: str = "--out") -> Path:
    """A folder to write into, made when missing; a plain file or a folder that cannot be
    made is a :class:`CommandError` that names the option."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise CommandError(f"{option} {text!r}: that is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"{option} {text!r}: cannot make that folder ({exc.strerror})") from None
    return path


def permit_network(text: str) -> str:
    """``--permit``: an address or a network (``10.0.0.0/8``, ``192.168.1.0/255.255.255.0``,
    ``::1``), as Asterisk's ``permit`` takes it; anything else is refused."""
    try:
        ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise CommandError(
            f"--permit {text!r}: not an address or network (such as 10.0.0.0/8 or "
            "192.168.1.0/255.255.255.0)"
        ) from None
    return text.strip()


def load_checked(path: str) -> Site:
    """The site file, read and validated, its prompts' texts included
    (:class:`ConfigError` lists every problem)."""
    from callcenter.dialplan.prompts import problems

    site = load_site(path)
    found = problems(site)
    if found:
        raise ConfigError(path, [Problem(*p.split(": ", 1)) for p in found])
    return site


def site_or_exit(path: str) -> Site:
    try:
        return load_checked(path)
    except ConfigError as exc:
        print(f"error: invalid site file {exc}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


def read_secret(site: Site, *, capture: bool = False) -> str:
    """The AMI secret: the file named by [asterisk].secret_file, else the environment
    variable named by [asterisk].secret_env. Never from the site file itself. ``capture``:
    the capture account's (``capture_secret_file``, ``capture_secret_env``)."""
    a = site.asterisk
    if capture:
        path, env, key, what = (
            a.capture_secret_file,
            a.capture_secret_env,
            "capture_secret_file",
            "the capture account's AMI secret",
        )
    else:
        path, env, key, what = a.secret_file, a.secret_env, "secret_file", "AMI secret"
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(f"[asterisk].{key} {path}: {exc.strerror}") from None
    secret = os.environ.get(env)
    if not secret:
        raise CommandError(
            f"no {what}: set the environment variable {env} (or [asterisk].{key} in the site file)"
        )
    return secret


def read_capture_secret(site: Site) -> str | None:
    """The capture account's secret when one is configured, else None (a configured file
    that cannot be read is an error, not "none")."""
    a = site.asterisk
    if not a.capture_secret_file and not os.environ.get(a.capture_secret_env):
        return None
    return read_secret(site, capture=True)


YEARS = (1971, 2199)
"""The years a time may fall in: opening hours and holidays are computed for these."""


def parse_instant(
    text: str | None, site: Site, option: str = "--at", now: datetime | None = None
) -> datetime:
    """An ISO 8601 instant (any offset, ``Z`` too); a time without offset is site-local;
    None means ``now`` (default: the wall clock's). A local time that does not exist (the
    hour the clocks skip in spring) or a year outside :data:`YEARS` is a
    :class:`CommandError` that says so, naming the ``option`` the user gave."""
    if text is None:
        return (now or datetime.now(UTC)).astimezone(site.zone)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"{option} {text!r} is not an ISO 8601 time (e.g. 2026-11-23T10:15:00+01:00)"
        ) from None
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise CommandError(f"{option} {text!r}: the year must be between {YEARS[0]} and {YEARS[1]}")
    if value.tzinfo is None:
        # fold=0: an ambiguous local time (the hour that happens twice) is read as its first
        local = value.replace(tzinfo=site.zone)
        if local.astimezone(UTC).astimezone(site.zone).replace(tzinfo=None) != value:
            raise CommandError(
                f"{option} {text!r} does not exist in {site.zone.key}: the clocks skip that hour "
                "(daylight saving time starts); give a time outside it or with an offset"
            )
        value = local
    return value


def days_type(text: str) -> int:
    """``--days``: 0 to 366 (a year ahead at most)."""
    value = non_negative_int(text)
    if value > 366:
        raise argparse.ArgumentTypeError(f"{value} days is too many (at most 366)")
    return value


def record_id(text: str) -> int:
    """An id of a stored row (an override, a shift): ASCII digits, within what a database
    column holds."""
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a number such as 12)")
    return int(text)


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value
