"""Typed application and request keys: the resources the web app shares."""

from __future__ import annotations

import asyncio
import ipaddress
import os
from dataclasses import dataclass, field

from aiohttp import web
from jinja2 import Environment

from callcenter.calls.service import CallService
from callcenter.infra.bus import Bus
from callcenter.services.operations import Operations
from callcenter.staff.services import StaffServices
from callcenter.staff.users import User


@dataclass(frozen=True, slots=True)
class WebSettings:
    trusted_proxies: frozenset[str] = field(default_factory=frozenset)
    """Addresses whose ``X-Forwarded-For``/``X-Forwarded-Proto`` are believed
    (``VUURTOREN_TRUSTED_PROXIES``, comma-separated)."""

    @classmethod
    def from_env(cls) -> WebSettings:
        raw = os.environ.get("VUURTOREN_TRUSTED_PROXIES", "")
        proxies = set()
        for part in raw.split(","):
            part = part.strip()
            if part:
                proxies.add(str(ipaddress.ip_address(part)))
        return cls(frozenset(proxies))


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
"""Overrides, closures, agents, the duty, the jobs (``callcenter/services/operations.py``)."""

USER = web.RequestKey("user", User)
"""The logged-in user (set by the access middleware on every non-public route)."""
CSRF = web.RequestKey("csrf", str)
"""The session's CSRF token for forms ("" for token logins)."""
ADDRESS = web.RequestKey("address", str)
"""The client's address (behind a trusted proxy: the forwarded one)."""
