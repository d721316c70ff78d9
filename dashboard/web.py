"""Small shared pieces of the web layer: settings, client address, errors, input."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from aiohttp import web
from yarl import URL

from callcenter.staff.errors import StaffError
from dashboard.keys import WEB

__all__ = [
    "client_address",
    "is_api",
    "json_body",
    "parse_day",
    "problem",
    "safe_next",
    "see_other",
]

MAX_BODY = 64 * 1024
"""Largest request body accepted (forms and JSON); larger is refused with 413."""


class HTTPLocked(web.HTTPClientError):
    status_code = 423


def _trusted(request: web.Request) -> bool:
    settings = request.app.get(WEB)
    return settings is not None and (request.remote or "") in settings.trusted_proxies


def client_address(request: web.Request) -> str:
    """The client's address; ``X-Forwarded-For``'s last hop only from a trusted proxy."""
    if _trusted(request):
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1][:64]
    return (request.remote or "")[:64]


def is_secure(request: web.Request) -> bool:
    if request.secure:
        return True
    return _trusted(request) and request.headers.get("X-Forwarded-Proto", "") == "https"


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def problem(
    request: web.Request, status: int, id: str, message: str, field: str | None = None
) -> web.HTTPException:
    """An HTTP error: JSON with a stable id for the API, Dutch text for pages."""
    kinds: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
        413: web.HTTPRequestEntityTooLarge,
        423: HTTPLocked,
        429: web.HTTPTooManyRequests,
        502: web.HTTPBadGateway,
        503: web.HTTPServiceUnavailable,
    }
    cls = kinds.get(status, web.HTTPBadRequest)
    if is_api(request):
        error = {"id": id, "message": message, **({"field": field} if field else {})}
        body = json.dumps({"error": error}, ensure_ascii=False)
        if cls is web.HTTPRequestEntityTooLarge:
            return web.HTTPRequestEntityTooLarge(
                MAX_BODY, 0, text=body, content_type="application/json"
            )
        return cls(text=body, content_type="application/json")
    if cls is web.HTTPRequestEntityTooLarge:
        return web.HTTPRequestEntityTooLarge(MAX_BODY, 0, text=message, content_type="text/plain")
    return cls(text=message, content_type="text/plain")


def see_other(location: str) -> web.Response:
    """A 303 redirect as a response (so cookies can be set on it)."""
    return web.Response(status=303, headers={"Location": location})


def safe_next(value: str | None, default: str = "/") -> str:
    """A ``next=`` target only ever inside the app: a path, never a scheme or host."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    try:
        url = URL(value)
    except ValueError:
        return default
    if url.is_absolute() or url.scheme or "\\" in value or any(ord(c) < 32 for c in value):
        return default
    return value


async def json_body(
    request: web.Request,
    fields: dict[str, type | tuple[type, ...]],
    required: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A JSON object with only ``fields`` (of those types) and all ``required``;
    :class:`StaffError` (400, stable id, the field) otherwise."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise StaffError("invalid-json", "The body is not valid JSON.") from None
    except RecursionError:  # [[[[…]]]] tens of thousands deep
        raise StaffError("invalid-json", "The body is nested too deeply.") from None
    if not isinstance(data, dict):
        raise StaffError("invalid-json", "The body must be a JSON object.")
    for key, value in data.items():
        if key not in fields:
            raise StaffError(
                "unknown-field",
                f"Unknown field {key!r} (allowed: {', '.join(sorted(fields))}).",
                field=key,
            )
        kind = fields[key]
        if (
            isinstance(value, bool)
            and kind is not bool
            and bool not in (kind if isinstance(kind, tuple) else (kind,))
        ):
            raise StaffError("invalid-field", f"{key!r} has the wrong type.", field=key)
        if not isinstance(value, kind):
            raise StaffError("invalid-field", f"{key!r} has the wrong type.", field=key)
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise StaffError("invalid-field", f"{key!r} must be a list of strings.", field=key)
        if _has_unstorable_text(value):
            raise StaffError(
                "invalid-field",
                f"{key!r} holds a NUL character or text that is not Unicode (a lone surrogate).",
                field=key,
            )
    missing = sorted(required - data.keys())
    if missing:
        raise StaffError("missing-field", f"Missing field {missing[0]!r}.", field=missing[0])
    return data


def _has_unstorable_text(value: object, depth: int = 0) -> bool:
    """NUL (PostgreSQL refuses it in text) or a lone surrogate (``"\\ud800"`` in JSON: no
    database driver encodes it), anywhere in a value."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    if depth > 4:
        return False
    if isinstance(value, dict):
        return any(_has_unstorable_text(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_has_unstorable_text(v, depth + 1) for v in value)
    return False


FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)
"""The days a form or query may name: a day outside cannot be turned into an instant in
every zone (``9999-12-31`` + 1 day, ``0001-01-01`` in UTC overflow) and names nothing
stored."""


def parse_day(text: str | None, field: str) -> date:
    """A day ``jjjj-mm-dd`` between :data:`FIRST_DAY` and :data:`LAST_DAY`; a
    :class:`StaffError` naming ``field`` otherwise."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        raise StaffError(
            "invalid-field",
            f"{field}: {text!r} is geen datum met jaartal (jjjj-mm-dd).",
            field=field,
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise StaffError(
            "invalid-field",
            f"{field}: een datum tussen {FIRST_DAY.year} en {LAST_DAY.year}.",
            field=field,
        )
    return day


MAX_ID = 2**31 - 1
"""Record ids are 32-bit integers in PostgreSQL; a larger number names no record."""


def record_id(text: str) -> int:
    """A record's id from a URL: ASCII digits only (``int`` would take ``१``, ``+1``, ``1_0``
    and spaces); :class:`ValueError` when it cannot name one."""
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise ValueError(f"no record id: {text!r}")
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"no record id: {text!r}")
    return value
