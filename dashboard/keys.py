"""Typed application keys: the resources the web app shares."""

from __future__ import annotations

import asyncio

from aiohttp import web
from jinja2 import Environment

from callcenter.bus import Bus
from callcenter.service import CallService

SERVICE = web.AppKey("service", CallService)
BUS = web.AppKey("bus", Bus)
TEMPLATES = web.AppKey("templates", Environment)
STREAMS = web.AppKey("streams", set[asyncio.Task[object]])
"""Open server-sent-event streams: ended on shutdown, so a restart never waits for them."""
