"""``override``: close a counter now (or force it open), list and lift overrides.

They go into the service's database; a running ``serve`` picks them up within
``RELOAD_SECONDS`` (15 s) and writes the new states to Asterisk.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from callcenter.cli.common import EXIT_OK, parse_instant, record_id, site_or_exit
from callcenter.cli.staff_commands import actor, with_staff
from callcenter.planning.overrides import OverrideStore
from callcenter.staff.services import StaffServices
from schedules.overrides import Override

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("override", help="close a counter now or force it open; list; lift")
    actions = p.add_subparsers(dest="override_command", required=True, metavar="ACTION")
    for mode in ("close", "open"):
        q = actions.add_parser(mode, help=f"{mode} a counter ('*': every counter; lighthouse)")
        q.add_argument("scope", help="counter id, '*' or 'lighthouse'")
        q.add_argument("--config", required=True)
        q.add_argument("--until", help="ISO 8601 end (no offset: site time)")
        q.add_argument(
            "--emergency",
            action="store_true",
            help="stays until lifted (default: temporary, ends at the next scheduled change)",
        )
        q.add_argument("--reason", default="", help="what callers hear (at most 200 characters)")
        q.add_argument("--data-dir", help="SQLite directory (default ./data)")
        q.set_defaults(handler=override_set, mode=mode)
    ls = actions.add_parser("list", help="overrides in force or to come")
    ls.add_argument("--config", required=True)
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--data-dir", help="SQLite directory (default ./data)")
    ls.set_defaults(handler=override_list)
    lift = actions.add_parser("lift", help="lift an override by its id")
    lift.add_argument("id", type=record_id)
    lift.add_argument("--config", required=True)
    lift.add_argument("--data-dir", help="SQLite directory (default ./data)")
    lift.set_defaults(handler=override_lift)


def _store(s: StaffServices, args: argparse.Namespace) -> OverrideStore:
    return OverrideStore(s.audit.engine, s.audit, site_or_exit(args.config), s.clock.now)


def _line(ov: Override, zone: Any) -> str:
    def local(t: Any) -> str:
        return str(t.astimezone(zone).isoformat(timespec="minutes")) if t else "-"

    until = f"to {local(ov.ends)}" if ov.ends else "until lifted"
    return (
        f"#{ov.id} {ov.scope}: {ov.mode.value} ({ov.kind}) from {local(ov.starts)} {until}"
        f"{f' — {ov.note}' if ov.note else ''} [by {ov.created_by}]"
    )


def override_set(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config)
    until = parse_instant(args.until, site, "--until") if args.until else None

    async def work(s: StaffServices) -> Override:
        return await _store(s, args).set(
            args.scope,
            "closed" if args.mode == "close" else "open",
            kind="emergency" if args.emergency else "temporary",
            until=until,
            reason=args.reason,
            actor=actor(),
        )

    print(_line(with_staff(args, work, site), site.zone))
    return EXIT_OK


def override_list(args: argparse.Namespace) -> int:
    async def work(s: StaffServices) -> list[Override]:
        return await _store(s, args).load()

    zone = site_or_exit(args.config).zone
    found = with_staff(args, work)
    if args.json:
        print(json.dumps([o.as_json() for o in found], ensure_ascii=False))
    elif not found:
        print("no overrides: the opening hours apply")
    for ov in [] if args.json else found:
        print(_line(ov, zone))
    return EXIT_OK


def override_lift(args: argparse.Namespace) -> int:
    async def work(s: StaffServices) -> Override:
        return await _store(s, args).lift(args.id, actor=actor())

    print(f"lifted: {_line(with_staff(args, work), site_or_exit(args.config).zone)}")
    return EXIT_OK
