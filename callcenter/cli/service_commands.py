"""``serve``, ``demo`` and ``db upgrade``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from callcenter.ami import ClientSettings
from callcenter.asterisk.config import event_filters
from callcenter.cli.common import EXIT_INVALID, EXIT_OK, read_secret, site_or_exit
from callcenter.cli.demo_guard import DB_NAME, claim_demo_dir, release
from callcenter.cli.runner import StartupError, running, settle_heap
from callcenter.cli.simulator_commands import DEMO_SECRET
from callcenter.contacts.catalog import CatalogError, Product, parse_catalog
from callcenter.infra import logmask
from callcenter.infra.stopper import Stopper
from callcenter.services.operations import Operations
from callcenter.simulator import Account, SimSettings, Simulator
from callcenter.simulator.history import past_calls
from callcenter.staff.audit import KEY_FILE_ENV as AUDIT_KEY_FILE_ENV
from callcenter.staff.services import StaffServices
from callcenter.store import CallStore, database_url, open_engine, upgrade
from callcenter.store.db import current_revision, head_revision
from routing.site import Site
from schedules.clock import CLOCK_FILE, SpedClock

DEFAULT_EXAMPLE = "examples/sociaal-huis.toml"


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logmask.install()  # welfare data: no caller number in a log line at INFO or above
    # the scheduler says "Added job" each time a job is planned: our jobs log what they do
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the service against a real Asterisk (AMI)")
    p.add_argument("--config", required=True, help="the site file (TOML)")
    p.add_argument(
        "--listen",
        default="127.0.0.1:8080",
        help="dashboard address HOST:PORT (default 127.0.0.1:8080)",
    )
    p.add_argument(
        "--data-dir",
        help="where the SQLite file lives (default ./data); VUURTOREN_DATABASE_URL overrides it",
    )
    p.add_argument(
        "--prompts-dir",
        help="where this host writes the announcements that change (the next openings), the "
        "folder Asterisk reads as [prompts] dir (default: that dir when it exists here; "
        "VUURTOREN_PROMPTS_DIR)",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(handler=serve)

    p = sub.add_parser("demo", help="simulated Asterisk + service + dashboard, with traffic")
    p.add_argument(
        "--config", default=DEFAULT_EXAMPLE, help=f"site file (default {DEFAULT_EXAMPLE})"
    )
    p.add_argument(
        "--speed", type=float, default=10.0, help="virtual seconds per real second (default 10)"
    )
    p.add_argument(
        "--calls-per-hour",
        type=float,
        default=130.0,
        help="arrivals per hour at the morning peak (default 130)",
    )
    p.add_argument("--start", help="virtual start time, ISO 8601 (default: next weekday 09:00)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--listen", default="127.0.0.1:8080", help="dashboard HOST:PORT")
    p.add_argument(
        "--data-dir",
        default="data/demo",
        help="SQLite directory (default data/demo); the demo starts it afresh",
    )
    p.add_argument("--duration", type=float, help="stop after this many real seconds")
    p.add_argument(
        "--history-days",
        type=int,
        default=21,
        help="days of past calls put in the store at start, for the reports (default 21; 0: none)",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(handler=demo)

    p = sub.add_parser("db", help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = dbsub.add_parser("upgrade", help="create or migrate the schema to the newest version")
    up.add_argument("--data-dir", help="SQLite directory (default ./data)")
    up.set_defaults(handler=db_upgrade)


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"error: --listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    return host.strip("[]"), int(port)


def serve(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config)
    secret = read_secret(site)
    host, port = _listen(args.listen)
    _logging(args.verbose)
    a = site.asterisk
    settings = ClientSettings(host=a.host, port=a.port, username=a.username, secret=secret)

    prompts_dir = _prompts_dir(site, args.prompts_dir)

    async def main() -> None:
        stopper = Stopper()
        async with running(
            site,
            settings,
            database_url(args.data_dir),
            host=host,
            port=port,
            prompts_dir=prompts_dir,
        ) as r:
            settle_heap()
            print(
                f"Vuurtoren serves {site.name!r}: dashboard {r.url}, AMI "
                f"{a.host}:{a.port} as {a.username}",
                flush=True,
            )
            await stopper.wait()

    return _run(main)


def _prompts_dir(site: Site, given: str | None) -> Path | None:
    """Where the changing announcements are rendered: ``--prompts-dir``, else
    ``VUURTOREN_PROMPTS_DIR``, else ``[prompts] dir`` when this host has it; None (named
    but not rendered: Asterisk skips them) when there is none, which is logged."""
    chosen = given or os.environ.get("VUURTOREN_PROMPTS_DIR")
    if chosen:
        return Path(chosen)
    if Path(site.prompts.dir).is_dir():
        return Path(site.prompts.dir)
    logging.getLogger(__name__).warning(
        "no prompts folder here (%s): callers will not hear when a counter opens again; "
        "build the prompts (vuurtoren prompts) and share the folder with Asterisk",
        site.prompts.dir,
    )
    return None


def _run(main: Any) -> int:
    try:
        asyncio.run(main())
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except asyncio.CancelledError:  # Ctrl-C or SIGTERM before it was up (Stopper)
        print("stopped before the start was complete", flush=True)
    return EXIT_OK


def demo(args: argparse.Namespace) -> int:
    from datetime import datetime, time, timedelta

    from callcenter.cli.common import parse_instant

    site = site_or_exit(args.config)
    host, port = _listen(args.listen)
    _logging(args.verbose)
    if not args.verbose:  # a line per call would scroll the banner (and its password) away
        logging.getLogger("callcenter.calls.service.calls").setLevel(logging.WARNING)
        logging.getLogger("callcenter.contacts.dialer").setLevel(logging.WARNING)
    if args.start:
        start = parse_instant(args.start, site, "--start")
    else:  # the next weekday morning, when every counter has something to do
        day = datetime.now(site.zone).date() + timedelta(days=1)
        while day.weekday() >= 5 or site.holidays.is_holiday(day):
            day += timedelta(days=1)
        start = datetime.combine(day, time(9, 0), site.zone)

    # Every demo run replays the same virtual morning, so the simulated Asterisk hands out
    # the same call ids again: start from an empty database rather than mix two runs. And
    # always SQLite in its own directory: the demo never touches VUURTOREN_DATABASE_URL, and
    # deletes only its own idle database (demo_guard).
    directory = Path(args.data_dir)
    lock = claim_demo_dir(directory, host, port)
    demo_db = f"sqlite+aiosqlite:///{directory / DB_NAME}"
    password = secrets.token_urlsafe(12)
    catalog_file = Path(args.config).with_name("catalogus.toml")
    catalog = None
    if catalog_file.exists():
        try:
            catalog = parse_catalog(
                catalog_file.read_text(encoding="utf-8"), str(catalog_file), site
            )
        except CatalogError as exc:  # the first few problems: another site's catalog has many
            more = len(exc.problems) - 3
            print(
                f"warning: the catalog is not loaded: {exc.source}: "
                + "; ".join(exc.problems[:3])
                + (f" (and {more} more)" if more > 0 else ""),
                file=sys.stderr,
            )

    history: list[int] = []
    # the audit chain's key: a fresh one beside the fresh database (in production it lives
    # apart from the database: docs/staff.md)
    audit_key_file = directory / "audit.key"
    audit_key_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    audit_key_file.chmod(0o600)

    async def main() -> None:
        stopper = Stopper()
        sim = Simulator(
            site,
            accounts=[Account(site.asterisk.username, DEMO_SECRET, eventfilter=event_filters())],
            seed=args.seed,
            speed=args.speed,
            start=start,
            calls_per_hour=0,  # callers begin once the service routes (below)
            # the lighthouse queue is the duty rota's; agents who miss a call come back
            settings=SimSettings(lighthouse_agents=0, pause_return_seconds=120),
        )
        await sim.start()
        # the demo's clock for the commands pointed at its folder (removed at the stop)
        SpedClock.of(sim.clock, args.speed).write(directory / CLOCK_FILE)
        settings = ClientSettings(
            port=sim.port, username=site.asterisk.username, secret=DEMO_SECRET
        )
        try:
            async with running(
                site,
                settings,
                demo_db,
                host=host,
                port=port,
                clock=sim.clock,
                privacy_key=secrets.token_bytes(32),  # a fresh demo database: a fresh key
                audit_key=audit_key_file.read_text(encoding="utf-8").encode(),
                prepare=lambda staff, ops: demo_prepare(
                    staff, ops, password, catalog, start, args, history
                ),
                # the next openings spoken (when espeak-ng and sox are here), as for Asterisk
                prompts_dir=directory / "prompts",
            ) as r:
                settle_heap()
                # the first caller arrives once Vuurtoren is connected and routing: none of
                # them meets the dialplan's fail-safe because the demo was still starting
                await r.ami.wait_connected(30)
                for _ in range(200):  # the first resync wrote the counters' states
                    if r.service.states:
                        break
                    await asyncio.sleep(0.05)
                sim.traffic.calls_per_hour = args.calls_per_hour
                sim.ast.start_task(sim.traffic.run(), name="traffic")
                banner = (
                    f"Vuurtoren demo for {site.name!r}\n"
                    f"  dashboard:          {r.url}\n"
                    f"  simulated Asterisk: AMI on 127.0.0.1:{sim.port} (user "
                    f"{site.asterisk.username!r}, secret {DEMO_SECRET!r})\n"
                    f"  virtual time:       {start:%a %d/%m/%Y %H:%M} at x{args.speed:g}, "
                    f"{args.calls_per_hour:g} calls/h at the peak\n"
                    f"  database:           {demo_db} (new for this run, with "
                    f"{history[0] if history else 0} past calls of {args.history_days} days)\n"
                    f"  log in as:          {DEMO_USERS[0][0]!r} (beheerder) or "
                    f"{DEMO_USERS[1][0]!r} (medewerker en leidinggevende), "
                    f"password {password!r} (new for this run)\n"
                    f"  lighthouse duty:    {DEMO_ROTA_TEXT}\n"
                    f"  audit log:          {AUDIT_KEY_FILE_ENV}={audit_key_file} "
                    f"vuurtoren audit verify --data-dir {directory}\n"
                    f"  commands on it:     VUURTOREN_DATA_DIR={directory} "
                    f"{AUDIT_KEY_FILE_ENV}={audit_key_file} vuurtoren override list "
                    f"--config {args.config} (and every other command)\n"
                )
                print(banner + "Ctrl-C stops.", flush=True)
                await stopper.wait(args.duration)
                past = history[0] if history else 0
                await r.writer.flush()
                others = await r.store.run_counts(start)  # one snapshot: they add up
                n, routed = sum(others.values()), others.pop("routed", 0)
                said = "".join(f", {k} {v}" for k, v in sorted(others.items()))
                print(
                    banner  # once more: what the run was, whatever scrolled past since
                    + f"stopped: {n} calls recorded, {routed} routed{said} "
                    f"(and the {past} past calls)",
                    flush=True,
                )
        finally:
            (directory / CLOCK_FILE).unlink(missing_ok=True)
            await sim.stop()

    try:
        return _run(main)
    finally:
        release(lock)


DEMO_USERS = (
    ("beheerder", "Demo Beheerder", ("admin",), (), ()),
    ("demo", "Demo Medewerker", ("agent", "manager"), ("onthaal",), ("PJSIP/demo",)),
    ("an", "An Peeters", ("agent",), (), ("PJSIP/vuurtoren-an",)),
    ("bert", "Bert Janssens", ("agent",), (), ("PJSIP/vuurtoren-bert",)),
    ("chris", "Chris Maes", ("agent",), (), ("PJSIP/vuurtoren-chris",)),
    ("dirk", "Dirk Wouters", ("agent",), (), ("PJSIP/vuurtoren-dirk",)),
    ("els", "Els Claes", ("agent",), (), ("PJSIP/vuurtoren-els",)),
)
DEMO_ROTA = (
    *((day, "08:00", "13:00", "an") for day in range(5)),
    *((day, "08:00", "16:00", "chris") for day in range(5)),
    *((day, "12:00", "19:00", "bert") for day in range(5)),
    *((day, "13:00", "18:00", "els") for day in range(5)),
    *((day, "13:00", "17:00", "dirk") for day in range(5)),
    (5, "09:00", "12:00", "an"),
)
DEMO_ROTA_TEXT = (
    "weekdays An 08-13, Chris 08-16, Bert 12-19, Els 13-18, Dirk 13-17; Saturday An 09-12"
)


JOINT_NAMES = (
    "Fien Desmet",
    "Gert Vermeulen",
    "Hanne Wuyts",
    "Ilse Goossens",
    "Jonas Willems",
    "Karen Mertens",
    "Lotte Jacobs",
    "Maarten Dubois",
)
"""Names for the simulated agents of a joint counter (the demo makes them users)."""


def joint_agents(site: Site) -> list[tuple[str, str, str, str, str]]:
    """(login, name, counter, phone, organisation) of every simulated agent of a joint
    counter: the simulator's ``PJSIP/<counter>-NN``, working for its partners in turn (as
    the history of past calls shares the counter's answered calls among them)."""
    out: list[tuple[str, str, str, str, str]] = []
    for c in (c for c in site.counters if c.partners):
        for i in range(1, c.agents + 1):
            name = JOINT_NAMES[len(out) % len(JOINT_NAMES)]
            org = c.partners[(i - 1) % len(c.partners)]
            out.append((f"{c.id}-{i:02d}", name, c.id, f"PJSIP/{c.id}-{i:02d}", org))
    return out


TEAM_NAMES = (
    "Anna Maes",
    "Bram Declercq",
    "Charlotte Vandamme",
    "Daan Verhaeghe",
    "Elke Lambrecht",
    "Femke Coussens",
    "Gilles Vanhoutte",
    "Hilde Deprez",
)
"""Names for the simulated social workers of neighbourhood teams (the demo makes them users)."""


def team_workers(site: Site) -> list[tuple[str, str, str, str]]:
    """(login, name, team, phone) of every simulated agent of a neighbourhood team: the
    simulator's ``PJSIP/<team>-NN``, each a social worker of that team."""
    out: list[tuple[str, str, str, str]] = []
    for local in site.sites or (site,):
        for team in local.teams.counters if local.teams else ():
            for i in range(1, site.counter(team).agents + 1):
                name = TEAM_NAMES[len(out) % len(TEAM_NAMES)]
                out.append((f"{team}-{i:02d}", name, team, f"PJSIP/{team}-{i:02d}"))
    return out


def demo_register(
    site: Site, start: datetime, callers: int = 5000, every: int = 4
) -> list[tuple[str, str, str | None, datetime]]:
    """The demo's consent register: one in ``every`` numbers of the traffic's pool, each
    with a team, seven in ten with their own social worker, consents given over the last
    two years (no random draw: the same every run)."""
    workers = team_workers(site)
    teams = sorted({team for _, _, team, _ in workers})
    out: list[tuple[str, str, str | None, datetime]] = []
    for n in range(0, callers, every):
        team = teams[n // every % len(teams)]
        mine = [login for login, _, t, _ in workers if t == team]
        worker = mine[n // every % len(mine)] if n % 10 < 7 else None
        out.append((f"+3247{n:07d}", team, worker, start - timedelta(days=n % 700)))
    return out


async def demo_people(
    staff: StaffServices, ops: Operations, password: str, catalog: list[Product] | None = None
) -> None:
    """The demo's users, with the password made for this run (never a fixed one), and the
    lighthouse duty, whose shifts come and go as the virtual day passes. Made before
    Asterisk is connected: the first resync puts those on duty in the queue."""
    site = ops.service.site
    known = {c.id for c in site.counters}
    for login, name, roles, counters, phones in DEMO_USERS:
        # another site file than the example: the reception (the first municipality's)
        mine = [c if c in known else site.local(None).topic(None).counter for c in counters]
        await staff.users.add(
            login, name, roles, password, counters=mine, interfaces=phones, actor="demo"
        )
    for login, name, counter, phone, org in joint_agents(ops.service.site):
        await staff.users.add(
            login,
            name,
            ("agent",),
            password,
            counters=(counter,),
            interfaces=(phone,),
            organisation=org,
            actor="demo",
        )
    for login, name, team, phone in team_workers(site):
        await staff.users.add(
            login,
            name,
            ("agent", "counter"),
            password,
            counters=(team,),
            interfaces=(phone,),
            actor="demo",
        )
    register = demo_register(site, ops.service.clock.now()) if ops.known.teams else []
    if register:
        await ops.known.record_many(register, actor="demo", source="demo")
    for day, starts, ends, login in DEMO_ROTA:
        await ops.duty.add_shift(day, starts, ends, login, actor="demo")
    if catalog:  # the site's catalog, beside its file
        await ops.catalog.replace(catalog, source="catalogus.toml", actor="demo")


async def demo_prepare(
    staff: StaffServices,
    ops: Operations,
    password: str,
    catalog: list[Product] | None,
    start: datetime,
    args: argparse.Namespace,
    history: list[int],
) -> None:
    """The demo's people, rota and catalog, and weeks of past calls for the reports."""
    await demo_people(staff, ops, password, catalog)
    if args.history_days > 0:
        site = ops.service.site
        calls = list(past_calls(site, start, args.history_days, args.calls_per_hour, args.seed))
        store = CallStore(ops.intervals.engine)
        for i in range(0, len(calls), 5000):
            await store.save_many(calls[i : i + 5000])
        history.append(len(calls))


def db_upgrade(args: argparse.Namespace) -> int:
    url = database_url(args.data_dir)

    async def main() -> tuple[str | None, str | None]:
        engine = open_engine(url)
        try:
            before = await current_revision(engine)
            await upgrade(engine)
            return before, await current_revision(engine)
        finally:
            await engine.dispose()

    before, after = asyncio.run(main())
    safe = url.split("@")[-1] if "@" in url else url
    print(
        f"{safe}: schema {before or 'empty'} -> {after} (head {head_revision()})", file=sys.stdout
    )
    return EXIT_OK
