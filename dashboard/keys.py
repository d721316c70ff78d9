"""Typed application and request keys: the resources the web app shares."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web
from jinja2 import Environment

from callcenter.bus import Bus
from callcenter.operations import Operations
from callcenter.service import CallService
from callcenter.staff.services import StaffServices
from callcenter.staff.users import User
from dashboard.web import WebSettings

SERVICE = web.AppKey("service", CallService)
BUS = web.AppKey("bus", Bus)
TEMPLATES = web.AppKey("templates", Environment)


@dataclass(frozen=True, slots=True)
class StreamOwner:
    """Whose an open event stream is: the user, and the session cookie or token it was
    opened with."""

    login: str
    credential: str


@dataclass
class Streams:
    """Open server-sent-event streams: ended on shutdown, so a stop never waits for them
    (and none opens once the stop has begun)."""

    open: dict[asyncio.Task[object], StreamOwner] = field(default_factory=dict)
    closing: bool = False


STREAMS = web.AppKey("streams", Streams)
STAFF = web.AppKey("staff", StaffServices)
WEB = web.AppKey("web", WebSettings)
OPS = web.AppKey("ops", Operations)
"""Overrides, closures, agents, the duty, the jobs (``callcenter/operations.py``)."""

USER = web.RequestKey("user", User)
"""The logged-in user (set by the access middleware on every non-public route)."""
CSRF = web.RequestKey("csrf", str)
"""The session's CSRF token for forms ("" for token logins)."""
ADDRESS = web.RequestKey("address", str)
"""The client's address (behind a trusted proxy: the forwarded one)."""
