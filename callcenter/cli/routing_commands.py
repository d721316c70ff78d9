"""``check-config``, ``route`` and ``hours``: ask the routing core from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    days_type,
    installed_database,
    load_checked,
    non_negative_int,
    parse_instant,
    site_or_exit,
)
from callcenter.cli.demo_guard import installation_clock
from callcenter.contacts.known import KnownCallers
from callcenter.dialplan.prompts import warnings as prompt_warnings
from callcenter.planning.closures import ClosureStore
from callcenter.planning.overrides import OverrideStore
from callcenter.prompts.build import check_recordings
from callcenter.staff.audit import AuditLog, checkpoint_path
from callcenter.staff.audit import load_key as load_audit_key
from callcenter.store import open_engine
from routing.config import POSTCODE, ConfigError, Problem
from routing.decide import decide, next_session
from routing.openings import hours_report
from routing.site import Counter, Site
from routing.types import Decision, QueueState, Reason, Target
from schedules.overrides import Override

T = TypeVar("T")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def register(sub: Any) -> None:
    p = sub.add_parser("check-config", help="validate a site file; list every problem")
    p.add_argument("file", help="the site file (TOML)")
    p.set_defaults(handler=check_config)

    p = sub.add_parser("route", help="where would a call go? prints the decision as JSON")
    p.add_argument("--config", required=True, help="the site file (TOML)")
    p.add_argument(
        "--at", help="ISO 8601 time, any offset or Z (default: now; no offset: site time)"
    )
    p.add_argument("--topic", help="IVR digit or topic id (default: the default topic)")
    p.add_argument(
        "--site",
        help="a region's municipality: its id or its number as dialled (the number picks it)",
    )
    p.add_argument(
        "--caller",
        help="the caller's number (neighbourhood teams: looked up in the installation's "
        "consent register, an audited read)",
    )
    p.add_argument(
        "--postcode",
        help="the caller's postcode: the neighbourhood team that serves it (as keyed in the "
        "menu); for a counter at several addresses, also the next session at the address "
        "that serves it",
    )
    p.add_argument(
        "--worker-away",
        action="store_true",
        help="neighbourhood teams: as if the caller's own social worker is not logged in or "
        "not free (default: as if free)",
    )
    p.add_argument(
        "--waiting", type=non_negative_int, help="callers waiting in the counter's queue now"
    )
    p.add_argument(
        "--agents", type=non_negative_int, help="agents logged in on the counter's queue now"
    )
    _stored_options(p)
    p.set_defaults(handler=route)

    p = sub.add_parser("hours", help="who is open now, the next change, and the coming days")
    p.add_argument("--config", required=True, help="the site file (TOML)")
    p.add_argument("--at", help="ISO 8601 time (default: now)")
    p.add_argument("--days", type=days_type, default=7, help="days to show, 0 to 366 (default 7)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    _stored_options(p)
    p.set_defaults(handler=hours)


def _stored_options(p: Any) -> None:
    p.add_argument(
        "--data-dir",
        help="the installation whose overrides and closures count (SQLite directory; default "
        "VUURTOREN_DATABASE_URL, VUURTOREN_DATA_DIR or ./data)",
    )
    p.add_argument(
        "--hours-only",
        action="store_true",
        help="the site file's opening hours alone, no stored overrides or closures",
    )


def stored_overrides(
    args: argparse.Namespace, site: Site, at: datetime
) -> tuple[list[Override], str]:
    """The managers' overrides and the planned closures stored in the installation (as the
    service routes with them), and a sentence that says where they came from. No database
    there: the opening hours alone, said so; nothing is created."""
    if args.hours_only:
        return [], "the opening hours alone (--hours-only)"
    url, db = installed_database(args.data_dir)
    if url is None:
        return [], f"the opening hours alone: no database at {db}"

    async def read(engine: AsyncEngine) -> list[Override]:
        audit = AuditLog(engine)  # read only: nothing is audited or written
        overrides = await OverrideStore(engine, audit, site, lambda: at).load(at)
        closures = ClosureStore(engine, audit, site, lambda: at)
        await closures.load(at)
        return [*overrides, *closures.current()]

    found = _read_installation(
        url,
        read,
        "the stored overrides cannot be read ({}); --hours-only routes by the opening hours alone",
    )
    where = url.split("@")[-1]
    return found, f"{len(found)} stored override(s) and closure(s) from {where}"


def _read_installation(url: str, work: Callable[[AsyncEngine], Awaitable[T]], failure: str) -> T:
    """``work`` on the installation's database, opened for it and closed after; a database
    error is a :class:`CommandError`, ``failure`` with the error's kind in ``{}``."""

    async def main() -> T:
        engine = open_engine(url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except SQLAlchemyError as exc:
        raise CommandError(failure.format(type(exc).__name__)) from None


def check_config(args: argparse.Namespace) -> int:
    try:
        site = load_checked(args.file)
        recordings = check_recordings(site, Path(args.file).resolve().parent)
        if recordings:
            raise ConfigError(args.file, [Problem(*p.split(": ", 1)) for p in recordings])
    except ConfigError as exc:
        print(f"{exc.source}: invalid, {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_INVALID
    for warning in [*site.warnings, *prompt_warnings(site)]:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"{args.file}: valid: site {site.name!r}, {len(site.counters)} counters, "
        f"{len(site.topics)} topics, lighthouse queue {site.lighthouse.queue!r}, "
        f"time zone {site.zone.key}"
    )
    return EXIT_OK


def _now(args: argparse.Namespace) -> datetime:
    """Now for the installation asked about: a running demo's virtual time in its folder."""
    return installation_clock(args.data_dir).now()


def route(args: argparse.Namespace) -> int:
    region = site_or_exit(args.config)
    site = _local_site(region, args.site)
    at = parse_instant(args.at, site, now=_now(args))
    counter = site.counter(site.topic(args.topic).counter)
    live = {}
    if args.waiting is not None or args.agents is not None:
        live[counter.queue] = QueueState(waiting=args.waiting, agents=args.agents)
    overrides, used = stored_overrides(args, region, at)
    own = _own_team(args, region, site)
    if own is not None and own.team is not None:
        counter = site.counter(own.team)
        if args.waiting is not None or args.agents is not None:
            live = {counter.queue: QueueState(waiting=args.waiting, agents=args.agents)}
    decision = decide(
        site,
        args.topic,
        args.caller,
        at,
        live,
        overrides,
        team=own.team if own else None,
        worker=own.worker_phone if own else None,
    )
    out = decision.as_json()
    out["at"] = at.astimezone(site.zone).isoformat()
    if region.is_region:
        out["site"] = {"id": site.site_id, "name": site.name, "number": site.number}
    out["path"] = explain(site, args.topic, decision, own)
    if own is not None:
        out["team"] = own.as_json()
    # a mobile counter: the address where it takes the call, or where it opens next
    place = counter.location_at(at if decision.next_open is None else decision.next_open)
    if place is not None:
        out["location"] = {"id": place.id, "name": place.name, "address": place.address}
    if args.postcode is not None and (own is None or own.how != "postcode"):
        out["own_location"] = _own_location(counter, args.postcode, at, overrides, site)
    out["overrides"] = used
    if args.topic and site.find_topic(args.topic) is None:
        out["topic_unknown"] = args.topic
    print(json.dumps(out, ensure_ascii=False))
    return EXIT_OK


def _local_site(region: Site, given: str | None) -> Site:
    """The municipality a region's call came in at (``--site``: id or number dialled)."""
    if not region.is_region:
        if given is not None:
            raise CommandError(f"--site {given!r}: {region.name!r} is one site, not a region")
        return region
    choices = ", ".join(f"{s.site_id} ({s.number})" for s in region.sites)
    if given is None:
        raise CommandError(
            f"{region.name!r} is a region of {len(region.sites)} municipalities: say where "
            f"the call came in with --site (id or number dialled): {choices}"
        )
    found = region.find_site(given)
    if found is None:
        raise CommandError(f"--site {given!r}: no municipality with that id or number; {choices}")
    return found


def explain(
    site: Site, key: str | None, decision: Decision, own: OwnTeam | None = None
) -> list[str]:
    """The way the call took, step by step, in words (``route``'s ``path``)."""
    steps = []
    if site.site_id:
        steps.append(f"came in at {site.name} ({site.number})")
    topic = site.topic(key)
    if key and site.find_topic(key) is None:
        steps.append(f"key {key!r} is no topic: the default topic {topic.id!r}")
    else:
        chose = f"key {topic.digit}" if key else "no key: the default topic"
        steps.append(f"{chose} → topic {topic.id!r} ({topic.label})")
    if own is not None:
        steps += own.steps
    counter = site.counter(decision.counter)
    shared = " (shared by the region)" if site.site_id and _shared(site, counter.id) else ""
    kind = "its team" if own is not None and own.team == counter.id else "its counter"
    steps.append(f"{kind} {counter.id!r}{shared}: {_WHY[decision.reason]}")
    if decision.target is Target.OWN_WORKER:
        ring = site.teams.worker_ring_seconds if site.teams else 20
        steps.append(
            f"→ the own social worker's phone {decision.worker} rings {ring} s, then the "
            f"team's queue {decision.queue!r}"
        )
    elif decision.target is Target.COUNTER:
        steps.append(
            f"→ the {'team' if kind == 'its team' else 'counter'}'s queue {decision.queue!r}"
        )
    elif decision.target is Target.LIGHTHOUSE:
        steps.append(f"→ the lighthouse's queue {decision.queue!r} ({site.lighthouse.name})")
    else:
        steps.append("the lighthouse is closed or cannot take it → the last resort")
    return steps


@dataclass
class OwnTeam:
    """How ``route`` found a caller's neighbourhood team: ``how`` is ``register``,
    ``postcode`` or ``intake`` (none found); the worker and their phone from the register."""

    how: str
    team: str | None
    worker: str | None = None
    worker_phone: str | None = None
    steps: list[str] = field(default_factory=list)
    register: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "found_by": self.how,
            "team": self.team,
            "worker": self.worker,
            "worker_phone": self.worker_phone,
            "register": self.register,
        }


def _own_team(args: argparse.Namespace, region: Site, site: Site) -> OwnTeam | None:
    """Neighbourhood teams: the caller's own team as the service finds it, by the consent
    register (``--caller``), else the postcode (``--postcode``), else the topic's intake.
    None when the site has no teams or the topic is another."""
    teams = site.teams
    if teams is None or not teams.serves(site.topic(args.topic).id):
        return None
    own = OwnTeam("intake", None)
    if args.caller:
        entry, own.register = _registered(args, region, args.caller)
        if entry is not None and entry.team not in teams.counters:
            own.steps.append(
                f"the caller is in the consent register with team {entry.team!r}, not one of "
                f"{site.name}'s: not used"
            )
            entry = None
        if entry is not None:
            own.how, own.team, own.worker = "register", entry.team, entry.worker
            own.steps.append(f"the caller is in the consent register: team {entry.team!r}")
            if entry.worker and teams.own_worker:
                phones = entry.worker_phones
                if args.worker_away or not phones:
                    why = "not logged in or not free (--worker-away)" if phones else "no phone"
                    own.steps.append(f"own social worker {entry.worker!r}: {why}, not rung")
                else:
                    own.worker_phone = phones[0]
                    own.steps.append(
                        f"own social worker {entry.worker!r} (as if logged in and free)"
                    )
            return own
        own.steps.append(f"the caller is not in the consent register ({own.register})")
    if args.postcode is not None:
        if not POSTCODE.fullmatch(args.postcode):
            raise CommandError(
                f"--postcode {args.postcode!r}: a Belgian postcode is 4 digits, e.g. 8500"
            )
        team = site.team_for_postcode(args.postcode)
        if team is not None:
            own.how, own.team = "postcode", team.id
            own.steps.append(f"postcode {args.postcode} → team {team.id!r} ({team.name})")
            return own
        own.how = "postcode"
        own.steps.append(f"postcode {args.postcode}: no team serves it → the intake")
    elif teams.ask_postcode:
        own.steps.append("asked for a postcode, none keyed in → the intake")
    return own


@dataclass
class _Entry:
    team: str
    worker: str | None
    worker_phones: list[str]


def _registered(args: argparse.Namespace, region: Site, number: str) -> tuple[_Entry | None, str]:
    """The caller's entry in the installation's consent register (an audited read), and
    where it was read; none when there is no database."""
    url, db = installed_database(args.data_dir)
    if url is None:
        return None, f"no database at {db}: no register to read"

    try:
        audit_key = load_audit_key()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    now = installation_clock(args.data_dir).now

    async def read(engine: AsyncEngine) -> _Entry | None:
        # the installation's own chain (its key, its checkpoints, its clock): this read is
        # one more entry in it, as every other command's
        audit = AuditLog(engine, audit_key, checkpoint_path(url), now=now)
        known = KnownCallers(engine, audit, region, now)
        found = await known.find(number)
        await known.audit_lookup(found, "vuurtoren route")
        if found is None:
            return None
        phones = await known.worker_phones(found.worker) if found.worker else []
        return _Entry(found.team, found.worker, phones)

    entry = _read_installation(
        url,
        read,
        "the consent register cannot be read ({}); leave out --caller to route by the "
        "postcode or the intake",
    )
    return entry, f"read from {url.split('@')[-1]}"


_WHY = {
    Reason.OPEN: "open",
    Reason.CLOSED: "closed (its hours)",
    Reason.HOLIDAY: "closed (a public holiday)",
    Reason.OVERRIDE: "closed by a manager's override",
    Reason.CLOSURE: "closed (a planned closure)",
    Reason.OVERFLOW: "open but too busy",
    Reason.NO_AGENTS: "open but nobody is logged in",
}


def _shared(site: Site, counter_id: str) -> bool:
    return site.site_id != "" and counter_id not in site.own_counters


def _own_location(
    counter: Counter, postcode: str, at: datetime, overrides: list[Override], site: Site
) -> dict[str, Any] | None:
    """The address of a mobile counter that serves ``postcode`` and its next session there;
    None for a counter with one address (its address is the caller's)."""
    if not POSTCODE.fullmatch(postcode):
        raise CommandError(f"--postcode {postcode!r}: a Belgian postcode is 4 digits, e.g. 8570")
    if not counter.locations:
        return None
    place = counter.location_for_postcode(postcode)
    if place is None:
        served = ", ".join(
            f"{code} ({loc.name})" for loc in counter.locations for code in loc.postcodes
        )
        raise CommandError(
            f"--postcode {postcode}: no address of {counter.id!r} serves it"
            + (f"; served: {served}" if served else "; none of its addresses lists postcodes")
        )
    session = next_session(counter, place, at, overrides)
    return {
        "id": place.id,
        "name": place.name,
        "address": place.address,
        "postcode": postcode,
        "next_session": session.astimezone(site.zone).isoformat() if session else None,
    }


def hours(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config)
    at = parse_instant(args.at, site, now=_now(args)).astimezone(site.zone)
    overrides, used = stored_overrides(args, site, at)
    report = hours_report(site, at, args.days, overrides)
    report["overrides"] = used
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(render_hours(report))
        print(f"\n({used})")
    return EXIT_OK


def _when(iso: str, now: datetime) -> str:
    value = datetime.fromisoformat(iso)
    if value.date() == now.date():
        return f"today {value:%H:%M}"
    if value.date() == now.date() + timedelta(days=1):
        return f"tomorrow {value:%H:%M}"
    return f"{_DAYS[value.weekday()]} {value:%d/%m %H:%M}"


def render_hours(report: dict[str, Any]) -> str:
    now = datetime.fromisoformat(report["at"])
    lines = [
        f"{report['site']} — {report['timezone']} — {_DAYS[now.weekday()]} {now:%d/%m/%Y %H:%M}"
    ]
    for place in report["places"]:
        where = "".join(f", {place[k]}" for k in ("organisation", "address") if place.get(k))
        sites = {loc["id"]: loc for loc in place.get("locations", [])}
        here = sites.get(place.get("location") or "")
        lines.append("")
        lines.append(f"{place['name']} [{place['id']}, queue {place['queue']}{where}]")
        if place["open_now"]:
            state = "OPEN now" + (f" at {here['name']}" if here else "")
            if place["next_change"]:
                state += f", closes {_when(place['next_change'], now)}"
        else:
            state = "CLOSED now"
            state += (
                f", opens {_when(place['next_open'], now)}"
                + (f" at {here['name']}" if here else "")
                if place["next_open"]
                else ", does not open within the year"
            )
        lines.append(f"  {state}")
        for loc in sites.values():
            lines.append(f"  at {loc['name']}, {loc['address']}")
        for i, day in enumerate(place["days"]):
            d = date.fromisoformat(day["date"])
            periods = ", ".join(f"{lo}–{hi}" for lo, hi in day["open"]) or "closed"
            if sites:  # each period with its address
                periods = (
                    ", ".join(
                        f"{lo}–{hi} at {loc['name']}"
                        for loc in sites.values()
                        for lo, hi in loc["days"][i]["open"]
                    )
                    or "closed"
                )
            mark = "  (holiday)" if day["holiday"] else ""
            lines.append(f"  {_DAYS[d.weekday()]} {d:%d/%m}  {periods}{mark}")
    return "\n".join(lines)
