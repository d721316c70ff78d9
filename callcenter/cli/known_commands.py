"""``known``: the consent register of neighbourhood teams (``[teams]``): add, list, erase,
expire. Every change and every read is audited with the actor ``cli:<system user>``."""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from callcenter.cli.common import EXIT_OK, CommandError, site_or_exit
from callcenter.cli.staff_commands import actor, with_staff
from callcenter.contacts.known import KnownCaller, KnownCallers, consent_on
from callcenter.staff.privacy import mask_number
from callcenter.staff.services import StaffServices
from routing.site import Site


def register(sub: Any) -> None:
    p = sub.add_parser(
        "known", help="neighbourhood teams' consent register: add, import, list, erase, expire"
    )
    known = p.add_subparsers(dest="known_command", required=True, metavar="ACTION")

    add = known.add_parser("add", help="register a number with the citizen's consent (or renew)")
    add.add_argument("number", help="the citizen's phone number")
    add.add_argument("--team", required=True, help="the team's counter id ([teams] counters)")
    add.add_argument("--worker", help="the login of the citizen's own social worker")
    add.add_argument(
        "--consent-date", help="the day the consent was given, YYYY-MM-DD (default: today)"
    )
    imp = known.add_parser(
        "import",
        help="register many from a CSV file (number,team,worker,consent_date; a header "
        "row): all rows checked first, one bad row stores none",
    )
    imp.add_argument("file", help="the CSV file (UTF-8)")
    ls = known.add_parser("list", help="the register (an audited read)")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--show-numbers", action="store_true", help="whole numbers, not masked")
    erase = known.add_parser("erase", help="remove one entry (consent withdrawn)")
    erase.add_argument("id", type=int)
    expire = known.add_parser("expire", help="erase the entries whose consent ran out")
    for q, handler in (
        (add, known_add),
        (imp, known_import),
        (ls, known_list),
        (erase, known_erase),
        (expire, known_expire),
    ):
        q.add_argument("--config", required=True, help="the site file (its [teams])")
        q.add_argument("--data-dir", help="SQLite directory (default ./data)")
        q.set_defaults(handler=handler)


def _register(s: StaffServices, site: Site) -> KnownCallers:
    return KnownCallers(s.audit.engine, s.audit, site, s.clock.now)


def _site(args: argparse.Namespace) -> Site:
    site = site_or_exit(args.config)
    if site.teams is None and not any(local.teams for local in site.sites):
        raise CommandError(f"{args.config}: no [teams] (neighbourhood teams are off)")
    return site


def _consent(text: str | None, site: Site, where: str) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"{where} {text!r}: give a day as YYYY-MM-DD") from None
    return consent_on(day, site)


def known_add(args: argparse.Namespace) -> int:
    site = _site(args)
    consent = _consent(args.consent_date, site, "--consent-date")

    async def work(s: StaffServices) -> KnownCaller:
        return await _register(s, site).record(
            args.number, args.team, worker=args.worker, consent_at=consent, actor=actor()
        )

    entry = with_staff(args, work, site)
    who = f", own social worker {entry.worker}" if entry.worker else ""
    print(
        f"registered {mask_number(entry.caller)} (entry {entry.id}): team {entry.team}{who}; "
        f"kept until {entry.expires_at.astimezone(site.zone):%Y-%m-%d}"
    )
    return EXIT_OK


COLUMNS = ("number", "team", "worker", "consent_date")


def known_import(args: argparse.Namespace) -> int:
    site = _site(args)
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{args.file}: cannot be read ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("number", "team") if c not in (reader.fieldnames or [])]
    if missing:
        raise CommandError(
            f"{args.file}: the header row lacks {', '.join(missing)} (columns: {','.join(COLUMNS)})"
        )
    rows = []
    for line, item in enumerate(reader, start=2):
        consent = _consent(item.get("consent_date"), site, f"{args.file} line {line}:")
        rows.append(
            (item.get("number") or "", item.get("team") or "", item.get("worker") or None, consent)
        )
    source = Path(args.file).name
    stored = with_staff(
        args,
        lambda s: _register(s, site).record_many(rows, actor=actor(), source=source),
        site,
    )
    print(f"{stored} entr{'y' if stored == 1 else 'ies'} registered from {source}")
    return EXIT_OK


def known_list(args: argparse.Namespace) -> int:
    site = _site(args)
    entries = with_staff(args, lambda s: _register(s, site).entries(actor=actor()), site)
    if args.json:
        print(json.dumps([e.as_json() for e in entries], ensure_ascii=False))
        return EXIT_OK
    if not entries:
        print("the register is empty")
    for e in entries:
        number = e.caller if args.show_numbers else mask_number(e.caller)
        until = e.expires_at.astimezone(site.zone)
        print(f"{e.id:6} {number:16} {e.team:20} {e.worker or '-':16} until {until:%Y-%m-%d}")
    return EXIT_OK


def known_erase(args: argparse.Namespace) -> int:
    site = _site(args)
    entry = with_staff(args, lambda s: _register(s, site).erase(args.id, actor=actor()), site)
    print(f"entry {entry.id} erased (team {entry.team})")
    return EXIT_OK


def known_expire(args: argparse.Namespace) -> int:
    site = _site(args)
    gone = with_staff(args, lambda s: _register(s, site).expire(actor=actor()), site)
    print(f"{gone} entr{'y' if gone == 1 else 'ies'} whose consent ran out erased")
    return EXIT_OK
