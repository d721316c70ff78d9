"""Running the whole service in one process: store, AMI client, call service, dashboard.

Used by ``vuurtoren serve`` (a real Asterisk) and ``vuurtoren demo`` (the simulated one). One
cleanup step per resource, in reverse order of starting; the store writer flushes last.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from callcenter.ami import AMIClient, ClientSettings
from callcenter.calls.service import CallService
from callcenter.infra.bus import Bus
from callcenter.services.operations import Operations, open_operations
from callcenter.staff.audit import KEY_ENV as AUDIT_KEY_ENV
from callcenter.staff.audit import KEY_FILE_ENV as AUDIT_KEY_FILE_ENV
from callcenter.staff.audit import checkpoint_path
from callcenter.staff.audit import load_key as load_audit_key
from callcenter.staff.errors import StaffError
from callcenter.staff.privacy import load_key
from callcenter.staff.services import StaffServices, open_staff
from callcenter.store import CallStore, StoreWriter, open_engine, upgrade
from dashboard.app import create_app
from routing.site import Site
from schedules.clock import Clock

__all__ = ["Running", "StartupError", "running", "settle_heap"]

SHUTDOWN_SECONDS = 5.0
"""How long a stop waits for the dashboard's requests in progress before it ends them."""


class StartupError(Exception):
    """The service cannot start: the message says what and where (no secrets)."""


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


log = logging.getLogger(__name__)


@dataclass
class Running:
    service: CallService
    store: CallStore
    writer: StoreWriter
    ami: AMIClient
    staff: StaffServices
    ops: Operations
    url: str
    app: web.Application | None = None
    """The dashboard's app (tests reach its live streams through it)."""


@contextlib.asynccontextmanager
async def running(
    site: Site,
    ami_settings: ClientSettings,
    database_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    clock: Clock | None = None,
    privacy_key: bytes | None = None,
    audit_key: bytes | None = None,
    prepare: Callable[[StaffServices, Operations], Awaitable[None]] | None = None,
    prompts_dir: Path | None = None,
) -> AsyncIterator[Running]:
    """Everything ``serve`` runs. ``privacy_key``: the pseudonymisation key (default: from
    the site's ``[privacy]`` key_env or key_file; missing is a :class:`StartupError`).
    ``prepare``: runs before Asterisk is first connected (the demo's users and rota).
    ``prompts_dir``: where the announcements that change are rendered, the folder Asterisk
    reads as ``[prompts] dir`` (None: they are named, not rendered)."""
    if privacy_key is None:
        try:
            privacy_key = load_key(site.privacy)
        except StaffError as exc:
            raise StartupError(exc.message) from None
    if audit_key is None:
        try:
            audit_key = load_audit_key()
        except ValueError as exc:
            raise StartupError(str(exc)) from None
    if audit_key is None:
        log.warning(
            "the audit log is not keyed: whoever can write the database can rewrite it "
            "unseen. Set %s (or %s) to a secret of at least 32 characters",
            AUDIT_KEY_ENV,
            AUDIT_KEY_FILE_ENV,
        )
    engine = open_engine(database_url)
    runner: web.AppRunner | None = None
    ami = AMIClient(ami_settings)
    writer: StoreWriter | None = None
    service: CallService | None = None
    staff: StaffServices | None = None
    ops: Operations | None = None
    try:
        try:
            await upgrade(engine)
        except (OSError, SQLAlchemyError) as exc:
            reason = getattr(exc, "orig", None) or exc
            raise StartupError(f"database {_safe(database_url)}: {reason}") from None
        store = CallStore(engine)
        writer = StoreWriter(store)
        writer.start()
        service = CallService(
            site, ami, writer=writer, bus=Bus(), clock=clock, prompts_dir=prompts_dir
        )
        staff = open_staff(
            engine,
            site,
            privacy_key,
            audit_key=audit_key,
            checkpoints=checkpoint_path(database_url),
            clock=service.clock,  # one clock: a demo's audit falls on the demo's day
        )
        await service.start(await store.open_calls())
        # overrides, closures and the rota before the first connect: the first states
        # written and the first duty count them
        ops = await open_operations(engine, service, staff)
        await ops.load_today()
        if prepare is not None:
            await prepare(staff, ops)
        await ami.start()
        ops.start()
        app = create_app(service, staff, ops)
        # a stop waits this long for requests in progress (event streams end at once)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        # SO_REUSEADDR: a restart right after a stop binds at once, whatever is left in
        # TIME_WAIT (never two listeners: SO_REUSEPORT stays off)
        site_ = web.TCPSite(runner, host, port, reuse_address=True)
        try:
            await site_.start()
        except OSError as exc:
            raise StartupError(
                f"dashboard cannot listen on {host}:{port}: {exc.strerror or exc}"
            ) from None
        bound = runner.addresses[0][1] if runner.addresses else port
        shown = f"[{host}]" if ":" in host else host
        yield Running(service, store, writer, ami, staff, ops, f"http://{shown}:{bound}/", app)
    finally:
        if runner is not None:
            await runner.cleanup()
        if ops is not None:
            await ops.stop()
        if service is not None:
            await service.leave()
        await ami.close()
        if service is not None:
            await service.stop()
        if writer is not None:
            await writer.close()
        if staff is not None:
            staff.close()
        await engine.dispose()


def settle_heap() -> None:
    """Once started: collect, then move everything startup built (modules, the site, the
    schema, the app) out of the collector's sight. A full collection then scans only what
    calls create: 0.6–1.5 ms instead of 66–73 ms, a stall every call in flight would feel
    (docs/benchmarks.md). For the long-running commands only, not for tests' many runs."""
    gc.collect()
    gc.freeze()
