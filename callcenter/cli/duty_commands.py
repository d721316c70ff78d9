"""``rota``, ``closure`` and ``jobs``: the duty rota, planned closures, and the service's
scheduled jobs, from the command line.

Changes go into the service's database and are audited (actor ``cli:<user>``); a running
``serve`` reads them back within 15 seconds (``callcenter/services/operations.py``) and moves the
lighthouse queue and the counters' states accordingly.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from datetime import date, time
from pathlib import Path
from typing import Any, TypeVar

from callcenter.ami import AMIClient, ClientSettings
from callcenter.calls.service import CallService
from callcenter.cli.common import EXIT_OK, CommandError, record_id, site_or_exit
from callcenter.cli.staff_commands import actor, with_staff
from callcenter.services.operations import Operations, open_operations
from callcenter.staff.services import StaffServices
from routing.site import Site
from schedules.rota import WEEKDAYS, WEEKDAYS_EN

__all__ = ["register"]

T = TypeVar("T")
_DAYS = {name[:2]: i for i, name in enumerate(("mo", "tu", "we", "th", "fr", "sa", "su"))}
_DAYS.update({name: i for i, name in enumerate(("ma", "di", "wo", "do", "vr", "za", "zo"))})
_DAYS.update({name: i for i, name in enumerate(WEEKDAYS)})
_DAYS.update({name.lower(): i for i, name in enumerate(WEEKDAYS_EN)})


def _common(p: Any, config: bool = True) -> None:
    if config:
        p.add_argument("--config", required=True)
    p.add_argument("--data-dir", help="SQLite directory (default ./data)")


def register(sub: Any) -> None:
    p = sub.add_parser("rota", help="the lighthouse duty rota: list, shift, absent, extra, delete")
    rota = p.add_subparsers(dest="rota_command", required=True, metavar="ACTION")
    ls = rota.add_parser("list", help="the weekly pattern, the exceptions, who is on duty now")
    ls.add_argument("--json", action="store_true")
    _common(ls)
    ls.set_defaults(handler=rota_list)
    shift = rota.add_parser("shift", help="add a weekly shift: DAY FROM TO LOGIN")
    shift.add_argument("day", help="mo..su or monday..sunday (ma..zo, maandag..zondag too)")
    shift.add_argument("starts", help="HH:MM")
    shift.add_argument("ends", help="HH:MM (24:00: midnight)")
    shift.add_argument("login")
    _common(shift)
    shift.set_defaults(handler=rota_shift)
    for kind, helptext in (
        ("absent", "an agent is away on a date (whole day, or --from/--to)"),
        ("extra", "an extra shift on a date (--from and --to)"),
    ):
        q = rota.add_parser(kind, help=helptext)
        q.add_argument("date", help="YYYY-MM-DD (always with its year)")
        q.add_argument("login")
        q.add_argument("--from", dest="starts", default="")
        q.add_argument("--to", dest="ends", default="")
        q.add_argument("--note", default="")
        _common(q)
        q.set_defaults(handler=rota_exception, kind=kind)
    rm = rota.add_parser("delete", help="delete a shift or exception by its id")
    rm.add_argument("what", choices=("shift", "exception"))
    rm.add_argument("id", type=record_id)
    _common(rm)
    rm.set_defaults(handler=rota_delete)

    p = sub.add_parser("closure", help="planned closures: list, add, import (.ics), delete")
    cl = p.add_subparsers(dest="closure_command", required=True, metavar="ACTION")
    ls = cl.add_parser("list", help="the planned closures to come")
    ls.add_argument("--json", action="store_true")
    _common(ls)
    ls.set_defaults(handler=closure_list)
    add = cl.add_parser("add", help="close counters from FIRST to LAST day (inclusive)")
    add.add_argument("first_day", help="YYYY-MM-DD")
    add.add_argument("last_day", nargs="?", help="YYYY-MM-DD (default: the first day)")
    add.add_argument("--counter", action="append", default=[], help="repeatable; '*': all")
    add.add_argument("--from", dest="starts", help="HH:MM (default: the whole day)")
    add.add_argument("--to", dest="ends", help="HH:MM")
    add.add_argument("--reason", default="", help="public (at most 200 characters)")
    _common(add)
    add.set_defaults(handler=closure_add)
    imp = cl.add_parser("import", help="import an iCalendar file (recurring events too)")
    imp.add_argument("file")
    imp.add_argument("--counter", action="append", default=[], help="repeatable; default all")
    _common(imp)
    imp.set_defaults(handler=closure_import)
    rm = cl.add_parser("delete", help="delete a planned closure by its id")
    rm.add_argument("id", type=record_id)
    _common(rm)
    rm.set_defaults(handler=closure_delete)

    p = sub.add_parser("jobs", help="the service's scheduled jobs and their next run")
    p.add_argument("--json", action="store_true")
    _common(p)
    p.set_defaults(handler=jobs_list)


def with_ops(args: argparse.Namespace, work: Callable[[Operations], Awaitable[T]]) -> T:
    site = site_or_exit(args.config)

    async def run(staff: StaffServices) -> T:
        service = CallService(site, AMIClient(ClientSettings(port=1)), clock=staff.clock)
        ops = await open_operations(staff.audit.engine, service, staff, live=False)
        try:
            return await work(ops)
        finally:
            await ops.stop()

    return with_staff(args, run, site)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date with its year (YYYY-MM-DD)") from None


def _time(text: str | None) -> time | None:
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a time (HH:MM)") from None


# -- rota ------------------------------------------------------------------------------------
def _rota_text(table: dict[str, Any], status: dict[str, Any], site: Site) -> str:
    lines = ["weekly pattern:"]
    lines += [
        f"  #{s['id']:<4} {WEEKDAYS_EN[s['weekday']]:10} {s['starts']}-{s['ends']}  "
        f"{s['name']} ({s['user']})"
        for s in table["weekly"]
    ] or ["  (none)"]
    lines.append("exceptions:")
    lines += [
        f"  #{e['id']:<4} {e['day']} {e['kind']:6} "
        f"{(e['starts'] or 'all day') + ('-' + e['ends'] if e['ends'] else ''):13} "
        f"{e['name']}{' — ' + e['note'] if e['note'] else ''}"
        for e in table["exceptions"]
    ] or ["  (none)"]
    holders = ", ".join(h["name"] for h in status["on_duty"]) or "nobody"
    lines.append(f"on duty now: {holders}")
    if status["next_change"] is not None:
        lines.append(f"next change: {status['next_change'].astimezone(site.zone):%Y-%m-%d %H:%M}")
    return "\n".join(lines)


def rota_list(args: argparse.Namespace) -> int:
    async def work(ops: Operations) -> tuple[dict[str, Any], dict[str, Any]]:
        return ops.duty.table(), ops.duty.status()

    table, status = with_ops(args, work)
    site = site_or_exit(args.config)
    if args.json:
        status["next_change"] = status["next_change"] and status["next_change"].isoformat()
        for h in status["on_duty"]:
            h["until"] = h["until"] and h["until"].isoformat()
        print(json.dumps({**table, "duty": status}, ensure_ascii=False))
    else:
        print(_rota_text(table, status, site))
    return EXIT_OK


def rota_shift(args: argparse.Namespace) -> int:
    day = _DAYS.get(args.day.lower())
    if day is None:
        raise CommandError(f"day: {args.day!r} is not a weekday (mo..su, ma..zo, maandag..zondag)")

    async def work(ops: Operations) -> str:
        shift = await ops.duty.add_shift(day, args.starts, args.ends, args.login, actor=actor())
        return f"#{shift.id} {shift.describe(english=True)} {args.login}"

    print(with_ops(args, work))
    return EXIT_OK


def rota_exception(args: argparse.Namespace) -> int:
    on = _day(args.date)

    async def work(ops: Operations) -> str:
        exc = await ops.duty.add_exception(
            on, args.kind, args.login, args.starts, args.ends, args.note, actor=actor()
        )
        return f"#{exc.id} {on} {args.kind} {args.login}"

    print(with_ops(args, work))
    return EXIT_OK


def rota_delete(args: argparse.Namespace) -> int:
    async def work(ops: Operations) -> str:
        await ops.duty.delete(args.what, args.id, actor=actor())
        return f"{args.what} #{args.id} deleted"

    print(with_ops(args, work))
    return EXIT_OK


# -- closures --------------------------------------------------------------------------------
def closure_list(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config)

    async def work(ops: Operations) -> list[dict[str, Any]]:
        return [c.as_json(site.zone) for c in ops.closures.upcoming()]

    closures = with_ops(args, work)
    if args.json:
        print(json.dumps(closures, ensure_ascii=False))
        return EXIT_OK
    for c in closures:
        when = c["first_day"] if c["all_day"] else c["starts"][:16]
        until = c["last_day"] if c["all_day"] else c["ends"][:16]
        print(f"#{c['id']:<4} {when} .. {until}  {','.join(c['scopes'])}  {c['reason']}")
    if not closures:
        print("no planned closures")
    return EXIT_OK


def closure_add(args: argparse.Namespace) -> int:
    first = _day(args.first_day)
    last = _day(args.last_day) if args.last_day else None

    async def work(ops: Operations) -> str:
        c = await ops.closures.add(
            args.counter or ["*"],
            first,
            last,
            starts=_time(args.starts),
            ends=_time(args.ends),
            reason=args.reason,
            actor=actor(),
        )
        lo, hi = (t.astimezone(ops.service.site.zone) for t in (c.starts, c.ends))
        return f"#{c.id} closed: {','.join(c.scopes)} {lo:%Y-%m-%d %H:%M} .. {hi:%Y-%m-%d %H:%M}"

    print(with_ops(args, work))
    return EXIT_OK


def closure_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"file: {path}: {exc.strerror or exc}") from None

    async def work(ops: Operations) -> str:
        report = await ops.closures.import_ics(
            data, args.counter or ["*"], name=path.name, actor=actor()
        )
        return f"{path.name}: {report.added} closure(s) added, {report.already_there} already there"

    print(with_ops(args, work))
    return EXIT_OK


def closure_delete(args: argparse.Namespace) -> int:
    async def work(ops: Operations) -> str:
        await ops.closures.delete(args.id, actor=actor())
        return f"closure #{args.id} deleted"

    print(with_ops(args, work))
    return EXIT_OK


# -- jobs ------------------------------------------------------------------------------------
def jobs_list(args: argparse.Namespace) -> int:
    """The jobs as ``serve`` plans them now, from the site file and the database."""
    site = site_or_exit(args.config)

    async def work(ops: Operations) -> list[dict[str, Any]]:
        ops.plan_jobs()
        return [
            {
                "id": j.id,
                "name": j.name,
                "next_run": j.next_run.astimezone(site.zone).isoformat() if j.next_run else None,
            }
            for j in ops.jobs.jobs()
        ]

    jobs = with_ops(args, work)
    if args.json:
        print(json.dumps(jobs, ensure_ascii=False))
        return EXIT_OK
    for j in jobs:
        print(f"{(j['next_run'] or 'not planned')[:19]:20} {j['id']:18} {j['name']}")
    return EXIT_OK
