"""What the pages call things: roles, audit kinds and times in the words and forms a Flemish
reader expects (Babel, ``nl_BE``), instead of the ids the code uses."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

__all__ = [
    "AUDIT_KINDS",
    "ROLE_NAMES",
    "audit_detail",
    "audit_kind",
    "day_cell",
    "moment",
    "role_name",
]

ROLE_NAMES = {
    "agent": "medewerker",
    "counter": "loketmedewerker",
    "manager": "leidinggevende",
    "admin": "beheerder",
}
AUDIT_KINDS = {
    "login": "aangemeld",
    "login-failed": "aanmelden mislukt",
    "logout": "afgemeld",
    "user-created": "gebruiker gemaakt",
    "user-changed": "gebruiker gewijzigd",
    "user-disabled": "gebruiker uitgeschakeld",
    "user-enabled": "gebruiker ingeschakeld",
    "user-unlocked": "wachttijd opgeheven",
    "password-changed": "wachtwoord gewijzigd",
    "token-created": "token gemaakt",
    "token-revoked": "token ingetrokken",
    "history-read": "geschiedenis van een burger gelezen",
    "contact-read": "registratie gelezen",
    "callbacks-read": "terugbellijst gelezen",
    "registration": "vraag geregistreerd",
    "referral": "doorverwijzing",
    "override": "uitzondering",
    "closure": "sluiting",
    "catalog": "catalogus",
    "callback": "terugbellen",
    "callback-dial": "teruggebeld",
    "rota": "wachtrol",
    "duty-shift": "wacht",
    "duty-takeover": "wacht overgenomen",
    "duty-handback": "wacht teruggegeven",
    "agent-login": "aangemeld op een wachtrij",
    "agent-logout": "afgemeld van een wachtrij",
    "agent-pause": "pauze",
    "agent-unpause": "pauze beëindigd",
    "pin-changed": "PIN gewijzigd",
    "deskphone-refused": "toestelcode geweigerd",
    "export": "export",
    "privacy-export": "inzage (privacy)",
    "privacy-erase": "wissen (privacy)",
    "retention": "bewaartermijnen toegepast",
}


def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)


def audit_kind(kind: str) -> str:
    return AUDIT_KINDS.get(kind, kind)


def audit_detail(detail: dict[str, Any]) -> str:
    """An entry's details as ``key: value`` pairs (lists joined), not raw JSON."""
    parts = []
    for key, value in detail.items():
        if isinstance(value, bool):
            shown = "ja" if value else "nee"
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value) or "–"
        elif isinstance(value, dict):
            shown = json.dumps(value, ensure_ascii=False)
        else:
            shown = "–" if value is None else str(value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


def moment(value: datetime | str | None, zone: Any = None) -> str:
    """A time (or its ISO text) as ``23/11/2026 10:05`` in ``zone`` (the site's, or its
    name)."""
    if value is None or value == "":
        return "–"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    local = when.astimezone(zone) if zone is not None else when
    return str(format_datetime(local, "dd/MM/yyyy HH:mm", locale="nl_BE"))


def day_cell(value: object) -> object:
    """A table's first cell: a day as ``ma 23/11/2026``; anything else as it is."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return str(format_date(value, "EEE dd/MM/yyyy", locale="nl_BE"))
    return value
