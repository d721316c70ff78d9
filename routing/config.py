"""Reading and validating a site file (TOML).

``parse_site(text, source)`` checks everything and reports every problem at once, each with
where it is (table, id, field) and what is wrong; it returns a :class:`~routing.site.Site`
only when the whole file is valid. ``load_site(path)`` reads the file first.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import opening_hours

from routing.site import (
    AgentSettings,
    AsteriskSettings,
    CallbackSettings,
    Counter,
    Helpline,
    Lighthouse,
    Location,
    PrivacySettings,
    PromptSettings,
    Site,
    Teams,
    Topic,
    WallboardSettings,
    dialled_digits,
    sub_menu_keys,
)
from schedules.hours import (
    AnyHours,
    Hours,
    HoursSyntaxError,
    UnknownCountryError,
    overridden_rules,
)

__all__ = ["POSTCODE", "ConfigError", "Problem", "load_site", "parse_site"]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_QUEUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")
_DIGIT = re.compile(r"^[0-9*]{1,3}$")
_DIGIT_HINT = "1 to 3 keys of 0-9 or * (# cannot be chosen: it ends the input in Asterisk's Read)"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PHONE = re.compile(r"^\+?[0-9 ./-]{2,20}$")


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ConfigError(Exception):
    """The site file is invalid; ``problems`` lists every finding."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


# --- small typed readers that record problems instead of raising -----------------------


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def table(self, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            self.add(where, f"missing table [{key}]")
            return None
        if not isinstance(value, dict):
            self.add(where, f"[{key}] must be a table")
            return None
        return value

    def optional_table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
        """An optional ``[key]`` section: None when absent, or when not a table (a problem)."""
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add("file", f"[{key}] must be a table")
            return None
        return value

    def keys(self, data: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(data) - allowed):
            self.add(where, f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        where: str,
        *,
        pattern: re.Pattern[str] | None = None,
        hint: str = "",
        default: str | None = None,
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if default is None:
                self.add(f"{where}.{key}", "missing (required)")
            return default
        if not isinstance(value, str) or not value.strip():
            self.add(f"{where}.{key}", f"must be a non-empty string, got {value!r}")
            return None
        if pattern is not None and not pattern.match(value):
            self.add(f"{where}.{key}", f"{value!r} is not valid{': ' + hint if hint else ''}")
            return None
        return value

    def integer(
        self, data: Mapping[str, Any], key: str, where: str, *, low: int, high: int
    ) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(f"{where}.{key}", f"must be a whole number, got {value!r}")
            return None
        if not low <= value <= high:
            self.add(f"{where}.{key}", f"must be between {low} and {high}, got {value}")
            return None
        return value

    def hours(
        self, data: Mapping[str, Any], where: str, zone: ZoneInfo | None, country: str | None
    ) -> Hours | None:
        expression = self.text(data, "hours", where)
        if expression is None:
            return None
        try:
            # With a bad zone or country the syntax is still checked (in UTC, for Belgium),
            # so that one run reports every problem.
            hours = Hours(expression, zone or ZoneInfo("UTC"), country or "BE")
        except HoursSyntaxError as exc:
            self.add(f"{where}.hours", f"{expression!r} {exc}")
            return None
        for finding in overridden_rules(expression, hours.zone, hours.country):
            self.warnings.append(Problem(f"{where}.hours", finding))
        return hours if zone is not None and country is not None else None

    def array_of_tables(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.add(key, f"must be an array of tables ([[{key}]])")
            return []
        return value


def _located(kind: str, index: int, item: Mapping[str, Any]) -> str:
    ident = item.get("id")
    return f"{kind}[{index}] (id {ident!r})" if isinstance(ident, str) else f"{kind}[{index}]"


# --- the schema ------------------------------------------------------------------------

_SITE_KEYS = {"name", "timezone", "country", "number"}
_PHONE = re.compile(r"^\+?[0-9][0-9 ./-]{2,30}$")
_LIGHTHOUSE_KEYS = {
    "service_level_percent",
    "queue",
    "hours",
    "name",
    "service_level_seconds",
    "short_abandon_seconds",
    "agents",
    "after_call_seconds",
    "wrapup_codes",
}
_ROUTING_KEYS = {"default_topic"}
_COUNTER_KEYS = {
    "id",
    "name",
    "organisation",
    "address",
    "queue",
    "hours",
    "max_waiting",
    "max_wait_seconds",
    "average_handle_seconds",
    "service_level_seconds",
    "short_abandon_seconds",
    "phone",
    "agents",
    "after_call_seconds",
    "wrapup_codes",
    "locations",
    "partners",
    "postcodes",
}
_LOCATION_KEYS = {"id", "name", "address", "hours", "postcodes"}
POSTCODE = re.compile(r"[0-9]{4}")
"""A Belgian postcode (match it whole)."""
_TOPIC_KEYS = {"id", "digit", "label", "counter"}
_HELPLINE_KEYS = {"label", "number"}
_ASTERISK_KEYS = {
    "host",
    "port",
    "username",
    "secret_env",
    "secret_file",
    "failsafe_seconds",
    "capture_secret_env",
    "capture_secret_file",
}
_PRIVACY_KEYS = {"pseudonymise_after_days", "delete_text_after_days", "key_env", "key_file"}
_CALLBACK_KEYS = {
    "dial",
    "queued",
    "key",
    "attempts",
    "retry_minutes",
    "agent_ring_seconds",
    "citizen_ring_seconds",
    "wait_minutes",
}
_DIAL = re.compile(r"^[A-Za-z0-9_]+/[^,;|\s]*\{number\}[^,;|\s]*$")
_AGENT_KEYS = {
    "wrapup_seconds",
    "after_call_seconds",
    "after_call_extend_seconds",
    "wrapup_codes",
    "pause_reasons",
    "auto_pause",
    "login_code",
    "override_code",
}
_FEATURE_CODE = re.compile(r"^\*[0-9]{1,4}$")
_TEAMS_KEYS = {
    "topic",
    "counters",
    "own_worker",
    "ask_postcode",
    "worker_ring_seconds",
    "register_days",
}
_TOP_KEYS = {
    "sites",
    "teams",
    "menu",
    "prompts",
    "agents",
    "callbacks",
    "wallboard",
    "site",
    "lighthouse",
    "routing",
    "counters",
    "topics",
    "helplines",
    "asterisk",
    "privacy",
}


def parse_site(text: str, source: str = "<site>") -> Site:
    """Validate a site file's text; raise :class:`ConfigError` listing every problem. A file
    with ``[[sites]]`` is a region: several municipalities in one installation."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [Problem("TOML", str(exc))]) from None
    if "sites" in data:
        return _parse_region(data, source)
    return _parse_one(data, source)


def _parse_one(data: Mapping[str, Any], source: str) -> Site:
    r = _Reader()
    r.keys(data, _TOP_KEYS - {"sites"}, "file")

    zone, country, site_name, central_number = _read_site(r, data)

    lh_data = r.table(data, "lighthouse", "file")
    lighthouse: Lighthouse | None = None
    if lh_data is not None:
        r.keys(lh_data, _LIGHTHOUSE_KEYS, "[lighthouse]")
        lh_queue = r.text(
            lh_data, "queue", "[lighthouse]", pattern=_QUEUE, hint="letters, digits, - and _"
        )
        lh_hours = r.hours(lh_data, "[lighthouse]", zone, country)
        lh_name = r.text(lh_data, "name", "[lighthouse]", default="Vuurtoren")
        sl = r.integer(lh_data, "service_level_seconds", "[lighthouse]", low=1, high=3600)
        short = r.integer(lh_data, "short_abandon_seconds", "[lighthouse]", low=0, high=600)
        agents = r.integer(lh_data, "agents", "[lighthouse]", low=0, high=500)
        target = r.integer(lh_data, "service_level_percent", "[lighthouse]", low=1, high=99)
        lh_after = r.integer(lh_data, "after_call_seconds", "[lighthouse]", low=0, high=1800)
        lh_codes = _read_labels(r, lh_data, "wrapup_codes", "[lighthouse]")
        if lh_queue and lh_hours and lh_name:
            lighthouse = Lighthouse(
                lh_queue,
                lh_hours,
                lh_name,
                sl or 20,
                5 if short is None else short,
                3 if agents is None else agents,
                target or 80,
                lh_after,
                lh_codes,
            )

    counters = _read_counters(r, data, zone, country)
    topics = _read_topics(r, data)
    helplines = _read_helplines(r, data)
    asterisk = _read_asterisk(r, data)
    privacy = _read_privacy(r, data)
    agent_settings = _read_agents(r, data)
    callback_settings = _read_callbacks(r, data)
    wallboard_settings = _read_wallboard(r, data)
    prompt_settings = _read_prompts(r, data)
    for lang, key in prompt_settings.keys.items():
        for _, t in topics:
            if key.startswith(t.digit) or t.digit.startswith(key):
                r.add(
                    f"[prompts].keys.{lang}",
                    f"{key!r} clashes with topic {t.id!r} (keys {t.digit!r}): a caller "
                    "pressing it would get the other",
                )

    menu_groups = _read_menu(r, data, [t for _, t in topics])
    teams = _read_teams(r, data, [c for _, c in counters], [t for _, t in topics])

    default_topic: str | None = None
    routing = r.table(data, "routing", "file")
    if routing is not None:
        r.keys(routing, _ROUTING_KEYS, "[routing]")
        default_topic = r.text(routing, "default_topic", "[routing]")

    _cross_check(r, data, default_topic)

    if r.problems:
        raise ConfigError(source, r.problems)
    assert zone and country and site_name and lighthouse and default_topic
    return Site(
        name=site_name,
        zone=zone,
        country=country,
        number=central_number,
        lighthouse=lighthouse,
        default_topic=default_topic,
        counters=tuple(c for _, c in counters),
        topics=tuple(t for _, t in topics),
        helplines=tuple(helplines),
        asterisk=asterisk,
        privacy=privacy,
        agents=agent_settings,
        callbacks=callback_settings,
        wallboard=wallboard_settings,
        prompts=prompt_settings,
        menu_groups=menu_groups,
        teams=teams,
        warnings=tuple(str(w) for w in r.warnings),
    )


_LOCAL_SITE_KEYS = {
    "id",
    "name",
    "number",
    "default_topic",
    "topics",
    "prompts",
    "menu",
    "teams",
}
MAX_SITES = 50


def _parse_region(data: Mapping[str, Any], source: str) -> Site:
    """A region: the file's ``[[sites]]`` are its municipalities, each with its own
    ``number``, ``name``, menu (``[[sites.topics]]``), ``default_topic`` and prompt texts
    (``[sites.prompts.<language>]``); a ``[[counters]]`` entry with ``site`` is that
    municipality's own, one without is shared by all (one queue, in every menu through the
    file's own ``[[topics]]``). Everything else (lighthouse, Asterisk, agents, privacy…) is
    the region's. Each municipality is checked as a whole site file of its own would be,
    its problems placed under ``sites[i]``; then what must hold across them."""
    r = _Reader()
    items = data.get("sites")
    if not isinstance(items, list) or not all(isinstance(v, dict) for v in items):
        raise ConfigError(source, [Problem("sites", "must be an array of tables ([[sites]])")])
    if len(items) < 2:
        r.add("sites", "a region has two municipalities or more (one: leave out [[sites]])")
    if len(items) > MAX_SITES:
        r.add("sites", f"at most {MAX_SITES} municipalities, got {len(items)}")
    if "teams" in data:
        r.add(
            "[teams]",
            "a region's neighbourhood teams are a municipality's: give them in its [[sites]] "
            "entry ([sites.teams])",
        )
    ids: list[str] = []
    for i, item in enumerate(items):
        where = _located("sites", i, item)
        r.keys(item, _LOCAL_SITE_KEYS, where)
        sid = r.text(item, "id", where, pattern=_ID, hint="lower-case letters, digits, - and _")
        r.text(item, "name", where)
        r.text(item, "number", where, pattern=_PHONE, hint="a phone number such as '011 64 12 00'")
        ids.append(sid or "")
    _duplicates(
        r,
        [
            (f"{_located('sites', i, v)}.id", x)
            for i, (v, x) in enumerate(zip(items, ids, strict=True))
            if x
        ],
        "site id",
    )
    numbers = [
        (f"{_located('sites', i, v)}.number", dialled_digits(v["number"]))
        for i, v in enumerate(items)
        if isinstance(v.get("number"), str)
    ]
    _duplicates(r, numbers, "site number")

    counters = _tables(data.get("counters"))
    for ci, c in enumerate(counters):
        owner = c.get("site")
        if owner is not None and owner not in ids:
            r.add(
                f"{_located('counters', ci, c)}.site",
                f"unknown site {owner!r} (the file's [[sites]]: {', '.join(x for x in ids if x)})",
            )
    # what must be unique across the region (each municipality alone sees only its part)
    _duplicates(r, _raw(counters, "counters", "id"), "counter id")
    _duplicates(r, _raw(counters, "counters", "queue"), "queue")
    local_topics = [
        (f"{_located('sites', i, v)}.{where}", tid)
        for i, v in enumerate(items)
        for where, tid in _raw(_tables(v.get("topics")), "topics", "id")
    ]
    _duplicates(r, _raw(_tables(data.get("topics")), "topics", "id") + local_topics, "topic id")

    locals_: list[Site] = []
    counts: dict[str, int] = {}
    found: list[Problem] = []
    warnings: dict[str, None] = {}
    for i, item in enumerate(items):
        local_data, places = _local_data(data, item, ids[i], i)
        try:
            local = _parse_one(local_data, source)
        except ConfigError as exc:
            for problem in exc.problems:
                placed = Problem(_placed(problem.where, places), _placed(problem.message, places))
                counts[str(placed)] = counts.get(str(placed), 0) + 1
                found.append(placed)
            continue
        for w in local.warnings:
            warnings.setdefault(_placed(w, places))
        own = frozenset(
            c["id"] for c in counters if c.get("site") == ids[i] and isinstance(c.get("id"), str)
        )
        locals_.append(replace(local, site_id=ids[i], own_counters=own, warnings=()))
    # the shared part is checked with every municipality: each problem is said once
    said = {str(p) for p in r.problems}
    for problem in found:
        if str(problem) not in said:
            said.add(str(problem))
            r.problems.append(problem)
    if r.problems:
        raise ConfigError(source, r.problems)

    region = _table_or_empty(data, "site")
    first = locals_[0]
    every_counter: dict[str, Counter] = {}
    every_topic: dict[str, Topic] = {}
    for local in locals_:
        for counter in local.counters:
            every_counter.setdefault(counter.id, counter)
        for topic in local.topics:
            every_topic.setdefault(topic.id, topic)
    order = [item.get("id") for item in counters]
    return replace(
        first,
        name=str(region.get("name", first.name)),
        number=None,
        counters=tuple(sorted(every_counter.values(), key=lambda c: order.index(c.id))),
        topics=tuple(every_topic.values()),
        menu_groups={},
        prompts=_read_prompts(_Reader(), data),  # the region's own texts (checked above)
        warnings=tuple(warnings),
        site_id="",
        sites=tuple(locals_),
    )


_PLACE = re.compile(r"\b(counters|topics)\[(\d+)\]")


def _placed(text: str, places: dict[str, str]) -> str:
    """A municipality's finding with the places of the region's file."""
    for table, place in places.items():
        if table.startswith("["):  # a field the municipality gives: [routing].default_topic
            text = text.replace(table, place)
    return _PLACE.sub(lambda m: places.get(m.group(0), m.group(0)), text)


def _local_data(
    data: Mapping[str, Any], item: Mapping[str, Any], sid: str, index: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """One municipality of a region as a lone site file: the region's tables, its own name,
    number, menu, default topic and prompt texts, its own counters and the shared ones; and
    where each of its counters and topics is in the region's file."""
    places: dict[str, str] = {}
    counters = []
    for k, (ci, c) in enumerate(
        (ci, c)
        for ci, c in enumerate(_tables(data.get("counters")))
        if c.get("site") in (None, sid)
    ):
        places[f"counters[{k}]"] = f"counters[{ci}]"
        counters.append({key: v for key, v in c.items() if key != "site"})
    shared = _tables(data.get("topics"))
    own = _tables(item.get("topics"))
    for k in range(len(shared)):
        places[f"topics[{k}]"] = f"topics[{k}]"
    for m in range(len(own)):
        places[f"topics[{len(shared) + m}]"] = f"{_located('sites', index, item)}.topics[{m}]"
    here = _located("sites", index, item)
    for table, key in (("[site]", "name"), ("[site]", "number"), ("[routing]", "default_topic")):
        if key in item:
            places[f"{table}.{key}"] = f"{here}.{key}"
    places["[teams]"] = f"{here}.teams"
    out = {k: v for k, v in data.items() if k not in ("sites", "teams")}
    if "teams" in item:
        out["teams"] = item["teams"]
    out["site"] = {
        **_table_or_empty(data, "site"),
        **{k: item[k] for k in ("name", "number") if k in item},
    }
    out["counters"] = counters
    out["topics"] = [*shared, *own]
    if "default_topic" in item:
        out["routing"] = {
            **_table_or_empty(data, "routing"),
            "default_topic": item["default_topic"],
        }
    if "menu" in item:
        out["menu"] = item["menu"]
    texts_of = item.get("prompts")
    if isinstance(texts_of, dict):
        prompts = dict(_table_or_empty(data, "prompts"))
        for lang, texts in texts_of.items():
            base = prompts.get(lang)
            prompts[lang] = (
                {**(base if isinstance(base, dict) else {}), **texts}
                if isinstance(texts, dict)
                else texts
            )
        out["prompts"] = prompts
    return out, places


def _table_or_empty(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _read_site(
    r: _Reader, data: Mapping[str, Any]
) -> tuple[ZoneInfo | None, str | None, str | None, str | None]:
    site = r.table(data, "site", "file")
    if site is None:
        return None, None, None, None
    r.keys(site, _SITE_KEYS, "[site]")
    name = r.text(site, "name", "[site]")
    zone: ZoneInfo | None = None
    tz_name = r.text(site, "timezone", "[site]")
    if tz_name is not None:
        try:
            zone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            r.add(
                "[site].timezone",
                f"unknown time zone {tz_name!r} (use an IANA name such as 'Europe/Brussels')",
            )
    country = r.text(
        site, "country", "[site]", pattern=_COUNTRY, hint="a two-letter ISO code such as 'BE'"
    )
    if country is not None:
        try:
            opening_hours.OpeningHours("PH", country=country, auto_country=False)
        except UnknownCountryError:
            r.add("[site].country", f"no public-holiday calendar for country {country!r}")
            country = None
    number = None
    if "number" in site:  # the central number as citizens dial it (the public hours page)
        number = r.text(
            site, "number", "[site]", pattern=_PHONE, hint="a phone number such as '078 15 15 15'"
        )
    return zone, country, name, number


def _read_counters(
    r: _Reader, data: Mapping[str, Any], zone: ZoneInfo | None, country: str | None
) -> list[tuple[str, Counter]]:
    out: list[tuple[str, Counter]] = []
    items = r.array_of_tables(data, "counters")
    if not items and "counters" not in data:
        r.add("file", "no [[counters]]: a site needs at least one counter")
    for i, item in enumerate(items):
        where = _located("counters", i, item)
        r.keys(item, _COUNTER_KEYS, where)
        cid = r.text(item, "id", where, pattern=_ID, hint="lower-case letters, digits, - and _")
        name = r.text(item, "name", where)
        org = r.text(item, "organisation", where)
        queue = r.text(item, "queue", where, pattern=_QUEUE, hint="letters, digits, - and _")
        locations: tuple[Location, ...] = ()
        hours: Hours | None
        if "locations" in item:  # a mobile counter: its hours are its addresses' together
            locations = _read_locations(r, item, where, zone, country)
            for key in ("hours", "address"):
                if key in item:
                    r.add(
                        f"{where}.{key}",
                        f"a counter with [[counters.locations]] takes its {key} from them",
                    )
            address: str | None = ""
            hours = AnyHours([loc.hours for loc in locations]) if locations else None
        else:
            address = r.text(item, "address", where)
            hours = r.hours(item, where, zone, country)
        max_waiting = r.integer(item, "max_waiting", where, low=1, high=1000)
        max_wait = r.integer(item, "max_wait_seconds", where, low=1, high=86400)
        aht = r.integer(item, "average_handle_seconds", where, low=1, high=86400)
        sl = r.integer(item, "service_level_seconds", where, low=1, high=3600)
        short = r.integer(item, "short_abandon_seconds", where, low=0, high=600)
        agents = r.integer(item, "agents", where, low=0, high=500)
        phone = r.text(item, "phone", where, pattern=_PHONE, hint="a phone number", default="")
        after_call = r.integer(item, "after_call_seconds", where, low=0, high=1800)
        codes = _read_labels(r, item, "wrapup_codes", where)
        partners = _read_partners(r, item, where)
        postcodes = _read_postcodes(r, item, where)
        if cid and name and org and (address or locations) and queue and hours:
            out.append(
                (
                    where,
                    Counter(
                        id=cid,
                        name=name,
                        organisation=org,
                        address=address or "",
                        queue=queue,
                        hours=hours,
                        max_waiting=max_waiting,
                        max_wait_seconds=max_wait,
                        average_handle_seconds=aht or 240,
                        service_level_seconds=sl or 20,
                        short_abandon_seconds=5 if short is None else short,
                        phone=phone or None,
                        agents=2 if agents is None else agents,
                        after_call_seconds=after_call,
                        wrapup_codes=codes,
                        locations=locations,
                        partners=partners,
                        postcodes=postcodes,
                    ),
                )
            )
    return out


def _read_partners(r: _Reader, counter: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """A joint counter's ``partners``: the organisations whose agents staff its one queue
    (two or more, each named once); the counter's ``organisation`` is the face it shows."""
    if "partners" not in counter:
        return ()
    items = counter["partners"]
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        r.add(f"{where}.partners", f"must be a list of organisation names, got {items!r}")
        return ()
    names = [v.strip() for v in items]
    if len(names) < 2:
        r.add(f"{where}.partners", "a joint counter has two partner organisations or more")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        r.add(f"{where}.partners", f"names an organisation twice: {', '.join(repeated)}")
    return tuple(dict.fromkeys(names))


def _read_locations(
    r: _Reader,
    counter: Mapping[str, Any],
    where: str,
    zone: ZoneInfo | None,
    country: str | None,
) -> tuple[Location, ...]:
    """A mobile counter's ``[[counters.locations]]``: at least two addresses, each with its
    hours and the postcodes it serves."""
    items = counter.get("locations")
    if not isinstance(items, list) or not all(isinstance(v, dict) for v in items):
        r.add(f"{where}.locations", "must be an array of tables ([[counters.locations]])")
        return ()
    if len(items) < 2:
        r.add(
            f"{where}.locations",
            "a mobile counter has two addresses or more (one address: give the counter's "
            "own address and hours)",
        )
    if len(items) > 9:
        r.add(
            f"{where}.locations",
            f"at most 9 addresses (a caller picks theirs with one key), got {len(items)}",
        )
    out = []
    for i, item in enumerate(items):
        at = f"{where}.{_located('locations', i, item)}"
        r.keys(item, _LOCATION_KEYS, at)
        lid = r.text(item, "id", at, pattern=_ID, hint="lower-case letters, digits, - and _")
        name = r.text(item, "name", at)
        address = r.text(item, "address", at)
        hours = r.hours(item, at, zone, country)
        postcodes = _read_postcodes(r, item, at)
        if lid and name and address and hours:
            out.append(Location(lid, name, address, hours, postcodes))
    return tuple(out)


def _read_postcodes(r: _Reader, item: Mapping[str, Any], where: str) -> tuple[str, ...]:
    postcodes = item.get("postcodes", [])
    if not isinstance(postcodes, list) or not all(
        isinstance(c, str) and POSTCODE.fullmatch(c) for c in postcodes
    ):
        r.add(f"{where}.postcodes", f"must be a list of 4-digit postcodes, got {postcodes!r}")
        return ()
    return tuple(postcodes)


def _read_teams(
    r: _Reader, data: Mapping[str, Any], counters: list[Counter], topics: list[Topic]
) -> Teams | None:
    """``[teams]``: neighbourhood teams, off when absent. The teams are counters (each with
    the ``postcodes`` it serves, none twice); the topic is one of the menu's, whose own
    counter takes the callers no team is found for."""
    section = r.optional_table(data, "teams")
    if section is None:
        return None
    where = "[teams]"
    r.keys(section, _TEAMS_KEYS, where)
    topic = r.text(section, "topic", where)
    known_topics = {t.id: t for t in topics}
    if topic is not None and topic not in known_topics and topics:
        r.add(f"{where}.topic", f"unknown topic {topic!r} (the menu's: {', '.join(known_topics)})")
        topic = None
    ids = section.get("counters")
    by_id = {c.id: c for c in counters}
    if not isinstance(ids, list) or not ids or not all(isinstance(v, str) for v in ids):
        r.add(f"{where}.counters", f"must be a list of the teams' counter ids, got {ids!r}")
        ids = []
    for cid in ids:
        if cid not in by_id and counters:
            r.add(f"{where}.counters", f"unknown counter {cid!r}")
    repeated = sorted({c for c in ids if ids.count(c) > 1})
    if repeated:
        r.add(f"{where}.counters", f"names a team twice: {', '.join(repeated)}")
    served: list[tuple[str, str]] = []
    for cid in dict.fromkeys(ids):
        team = by_id.get(cid)
        if team is None:
            continue
        if team.locations:
            r.add(f"{where}.counters", f"{cid!r} is a mobile counter: a team has one address")
        served += [(f"counters (id {cid!r}).postcodes", pc) for pc in team.postcodes]
    _duplicates(r, served, "team postcode")
    if topic is not None and ids and known_topics[topic].counter in ids:
        r.warnings.append(
            Problem(
                f"{where}.topic",
                f"the topic's own counter {known_topics[topic].counter!r} is a team: callers "
                "no team is found for all go to it (give the topic an intake counter)",
            )
        )
    flags = {}
    for key in ("own_worker", "ask_postcode"):
        value = section.get(key, True)
        if not isinstance(value, bool):
            r.add(f"{where}.{key}", f"must be true or false, got {value!r}")
            value = True
        flags[key] = value
    ring = r.integer(section, "worker_ring_seconds", where, low=5, high=120)
    days = r.integer(section, "register_days", where, low=1, high=3650)
    if topic is None or not ids:
        return None
    return Teams(
        topic,
        tuple(dict.fromkeys(ids)),
        flags["own_worker"],
        flags["ask_postcode"],
        ring or 20,
        days or 730,
    )


def _read_topics(r: _Reader, data: Mapping[str, Any]) -> list[tuple[str, Topic]]:
    out: list[tuple[str, Topic]] = []
    items = r.array_of_tables(data, "topics")
    if not items and "topics" not in data:
        r.add("file", "no [[topics]]: a site needs at least one topic (the default topic)")
    for i, item in enumerate(items):
        where = _located("topics", i, item)
        r.keys(item, _TOPIC_KEYS, where)
        tid = r.text(item, "id", where, pattern=_ID, hint="lower-case letters, digits, - and _")
        digit = r.text(item, "digit", where, pattern=_DIGIT, hint=_DIGIT_HINT)
        label = r.text(item, "label", where)
        counter = r.text(item, "counter", where)
        if tid and digit and label and counter:
            out.append((where, Topic(tid, digit, label, counter)))
    return out


def _read_helplines(r: _Reader, data: Mapping[str, Any]) -> list[Helpline]:
    out: list[Helpline] = []
    for i, item in enumerate(r.array_of_tables(data, "helplines")):
        where = f"helplines[{i}]"
        r.keys(item, _HELPLINE_KEYS, where)
        label = r.text(item, "label", where)
        number = r.text(item, "number", where, pattern=_PHONE, hint="a phone number")
        if label and number:
            out.append(Helpline(label, number))
    return out


def _read_asterisk(r: _Reader, data: Mapping[str, Any]) -> AsteriskSettings:
    section = r.optional_table(data, "asterisk")
    if section is None:
        return AsteriskSettings()
    where = "[asterisk]"
    r.keys(section, _ASTERISK_KEYS | {"secret"}, where)
    if "secret" in section:
        r.add(f"{where}.secret", "secrets never go in the site file: use secret_env or secret_file")
    d = AsteriskSettings()
    port = r.integer(section, "port", where, low=1, high=65535)
    failsafe = r.integer(section, "failsafe_seconds", where, low=1, high=60)
    return AsteriskSettings(
        host=r.text(section, "host", where, default=d.host) or d.host,
        port=port or d.port,
        username=r.text(section, "username", where, default=d.username) or d.username,
        secret_env=r.text(section, "secret_env", where, default=d.secret_env) or d.secret_env,
        secret_file=r.text(section, "secret_file", where, default="") or None,
        failsafe_seconds=failsafe or d.failsafe_seconds,
        capture_secret_env=r.text(
            section, "capture_secret_env", where, default=d.capture_secret_env
        )
        or d.capture_secret_env,
        capture_secret_file=r.text(section, "capture_secret_file", where, default="") or None,
    )


def _read_privacy(r: _Reader, data: Mapping[str, Any]) -> PrivacySettings:
    d = PrivacySettings()
    section = r.optional_table(data, "privacy")
    if section is None:
        return d
    where = "[privacy]"
    r.keys(section, _PRIVACY_KEYS | {"key"}, where)
    if "key" in section:
        r.add(
            f"{where}.key",
            "the pseudonymisation key never goes in the site file: use key_env or key_file",
        )
    pseudo = r.integer(section, "pseudonymise_after_days", where, low=1, high=3650)
    text = r.integer(section, "delete_text_after_days", where, low=1, high=3650)
    return PrivacySettings(
        pseudonymise_after_days=pseudo or d.pseudonymise_after_days,
        delete_text_after_days=text or d.delete_text_after_days,
        key_env=r.text(section, "key_env", where, default=d.key_env) or d.key_env,
        key_file=r.text(section, "key_file", where, default="") or None,
    )


def _read_menu(r: _Reader, data: Mapping[str, Any], topics: list[Topic]) -> dict[str, str]:
    """``[menu] groups``: the key that opens a sub-menu → how the menu names it ("Wonen en
    huren": "Voor wonen en huren, druk 2")."""
    section = r.optional_table(data, "menu")
    if section is None:
        return {}
    where = "[menu]"
    r.keys(section, {"groups"}, where)
    raw = section.get("groups", {})
    if not isinstance(raw, dict):
        r.add(f"{where}.groups", 'must be a table of keys = label, such as { "2" = "Wonen" }')
        return {}
    prefixes = set(sub_menu_keys(topics))
    groups = {}
    for keys, label in raw.items():
        at = f"{where}.groups.{keys}"
        if keys not in prefixes:
            known = ", ".join(sorted(prefixes)) or "none: no topic has more than one key"
            r.add(at, f"no sub-menu opens with {keys!r} (the topics' sub-menu keys: {known})")
        elif not isinstance(label, str) or not label.strip() or len(label) > 80:
            r.add(at, "label: text of 1 to 80 characters")
        else:
            groups[keys] = label.strip()
    return groups


def _read_labels(
    r: _Reader, section: Mapping[str, Any], key: str, where: str
) -> tuple[tuple[str, str], ...] | None:
    """A table of id = Dutch label (pause reasons, wrap-up codes); None when absent."""
    raw = section.get(key)
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        r.add(f"{where}.{key}", "must be a table of id = label, not empty")
        return None
    found = []
    for rid, label in raw.items():
        if not _ID.match(rid):
            r.add(f"{where}.{key}.{rid}", "id: lower-case letters, digits, - and _")
        elif not isinstance(label, str) or not label.strip() or len(label) > 40:
            r.add(f"{where}.{key}.{rid}", "label: text of 1 to 40 characters")
        else:
            found.append((rid, label.strip()))
    return tuple(found) or None


def _read_agents(r: _Reader, data: Mapping[str, Any]) -> AgentSettings:
    d = AgentSettings()
    section = r.optional_table(data, "agents")
    if section is None:
        return d
    where = "[agents]"
    r.keys(section, _AGENT_KEYS, where)
    wrapup = r.integer(section, "wrapup_seconds", where, low=0, high=600)
    hint = "'*' and 1 to 4 digits, such as '*45'"
    login = r.text(section, "login_code", where, pattern=_FEATURE_CODE, hint=hint, default="")
    override = r.text(section, "override_code", where, pattern=_FEATURE_CODE, hint=hint, default="")
    if login and override and (login.startswith(override) or override.startswith(login)):
        r.add(f"{where}.override_code", f"{override!r} and login_code {login!r} overlap")
    auto = section.get("auto_pause", d.auto_pause)
    if not isinstance(auto, bool):
        r.add(f"{where}.auto_pause", f"must be true or false, got {auto!r}")
        auto = d.auto_pause
    reasons = _read_labels(r, section, "pause_reasons", where) or d.pause_reasons
    codes = _read_labels(r, section, "wrapup_codes", where) or d.wrapup_codes
    after = r.integer(section, "after_call_seconds", where, low=0, high=1800)
    extend = r.integer(section, "after_call_extend_seconds", where, low=0, high=1800)
    return AgentSettings(
        wrapup_seconds=d.wrapup_seconds if wrapup is None else wrapup,
        after_call_seconds=d.after_call_seconds if after is None else after,
        after_call_extend_seconds=d.after_call_extend_seconds if extend is None else extend,
        wrapup_codes=codes,
        pause_reasons=reasons,
        auto_pause=auto,
        login_code=login or d.login_code,
        override_code=override or d.override_code,
    )


def _read_callbacks(r: _Reader, data: Mapping[str, Any]) -> CallbackSettings:
    d = CallbackSettings()
    section = r.optional_table(data, "callbacks")
    if section is None:
        return d
    where = "[callbacks]"
    r.keys(section, _CALLBACK_KEYS, where)
    dial = r.text(
        section,
        "dial",
        where,
        pattern=_DIAL,
        hint="an Asterisk dial string with {number}, such as 'PJSIP/{number}@trunk'",
        default="",
    )
    key = r.text(
        section, "key", where, pattern=re.compile(r"^[0-9*#]$"), hint="one key", default=""
    )
    queued = section.get("queued", d.queued)
    if not isinstance(queued, bool):
        r.add(f"{where}.queued", f"must be true or false, got {queued!r}")
        queued = d.queued
    numbers = {
        name: r.integer(section, name, where, low=low, high=high)
        for name, low, high in (
            ("attempts", 1, 10),
            ("retry_minutes", 1, 24 * 60),
            ("agent_ring_seconds", 5, 120),
            ("citizen_ring_seconds", 5, 120),
            ("wait_minutes", 1, 24 * 60),
        )
    }
    return CallbackSettings(
        dial=dial or d.dial,
        queued=queued,
        key=key or d.key,
        **{name: getattr(d, name) if v is None else v for name, v in numbers.items()},
    )


def _read_wallboard(r: _Reader, data: Mapping[str, Any]) -> WallboardSettings:
    d = WallboardSettings()
    section = r.optional_table(data, "wallboard")
    if section is None:
        return d
    where = "[wallboard]"
    r.keys(section, {"wait_amber_seconds", "wait_red_seconds", "service_level_percent"}, where)
    amber = r.integer(section, "wait_amber_seconds", where, low=0, high=3600)
    red = r.integer(section, "wait_red_seconds", where, low=0, high=7200)
    target = r.integer(section, "service_level_percent", where, low=1, high=100)
    amber = d.wait_amber_seconds if amber is None else amber
    red = d.wait_red_seconds if red is None else red
    if red < amber:
        r.add(f"{where}.wait_red_seconds", f"{red} is below wait_amber_seconds ({amber})")
    return WallboardSettings(amber, red, d.service_level_percent if target is None else target)


PROMPT_LANGUAGES = ("nl", "fr", "en")
_PROMPT_KEYS = {
    "dir",
    "languages",
    "keys",
    "voices",
    "queue_announce_seconds",
    "menu_max_seconds",
    *PROMPT_LANGUAGES,
}
_PROMPT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_LANGUAGE_KEY = re.compile(r"^[*#]?[0-9]$")


def _read_prompts(r: _Reader, data: Mapping[str, Any]) -> PromptSettings:
    """``[prompts]``: the structure and the values' kinds. Which text names exist and what
    their placeholders may be is checked by ``callcenter/dialplan/prompts.problems``."""
    d = PromptSettings()
    section = r.optional_table(data, "prompts")
    if section is None:
        return d
    where = "[prompts]"
    r.keys(section, _PROMPT_KEYS, where)
    folder = r.text(section, "dir", where, default=d.dir) or d.dir
    if not folder.startswith("/"):
        r.add(f"{where}.dir", f"{folder!r} must be an absolute path (as Asterisk sees it)")
    languages = section.get("languages", list(d.languages))
    if (
        not isinstance(languages, list)
        or not languages
        or any(lang not in PROMPT_LANGUAGES for lang in languages)
        or len(set(languages)) != len(languages)
    ):
        r.add(
            f"{where}.languages",
            f"must be a list of distinct languages from {', '.join(PROMPT_LANGUAGES)}, "
            f"the default first; got {languages!r}",
        )
        languages = list(d.languages)
    keys = _string_table(r, section, "keys", where)
    for lang in languages[1:]:
        key = keys.get(lang)
        if key is None:
            r.add(f"{where}.keys", f'no menu key for {lang!r} (e.g. {lang} = "*1")')
        elif not _LANGUAGE_KEY.match(key):
            r.add(f"{where}.keys.{lang}", f"{key!r} is not a key: a digit, or * or # and a digit")
    for lang in sorted(set(keys) - set(languages[1:])):
        r.add(f"{where}.keys.{lang}", "only the languages after the first have a menu key")
    voices = _string_table(r, section, "voices", where)
    for lang in sorted(set(voices) - set(PROMPT_LANGUAGES)):
        r.add(f"{where}.voices.{lang}", f"unknown language (known: {', '.join(PROMPT_LANGUAGES)})")
    texts: dict[str, dict[str, str]] = {}
    recorded: dict[str, dict[str, str]] = {}
    for lang in PROMPT_LANGUAGES:
        table = section.get(lang)
        if table is None:
            continue
        at = f"{where}.{lang}"
        if not isinstance(table, dict):
            r.add(at, "must be a table of texts")
            continue
        if lang not in languages:
            r.add(at, f"texts for {lang!r}, which is not in [prompts].languages")
        own = {k: v for k, v in table.items() if k != "recorded"}
        texts[lang] = _prompt_strings(r, own, at, "text")
        files = table.get("recorded", {})
        if not isinstance(files, dict):
            r.add(f"{at}.recorded", "must be a table: prompt name = file")
        else:
            recorded[lang] = _prompt_strings(r, files, f"{at}.recorded", "file")
    every = r.integer(section, "queue_announce_seconds", where, low=0, high=3600)
    longest = r.integer(section, "menu_max_seconds", where, low=5, high=300)
    return PromptSettings(
        dir=folder,
        languages=tuple(languages),
        keys=keys,
        voices=voices,
        texts=texts,
        recorded=recorded,
        queue_announce_seconds=d.queue_announce_seconds if every is None else every,
        menu_max_seconds=d.menu_max_seconds if longest is None else longest,
    )


def _string_table(r: _Reader, section: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    table = section.get(key, {})
    if not isinstance(table, dict):
        r.add(f"{where}.{key}", "must be a table")
        return {}
    out = {}
    for k, v in table.items():
        if not isinstance(v, str) or not v.strip():
            r.add(f"{where}.{key}.{k}", f"must be a non-empty string, got {v!r}")
        else:
            out[k] = v
    return out


def _prompt_strings(r: _Reader, table: Mapping[str, Any], where: str, what: str) -> dict[str, str]:
    out = {}
    for name, value in table.items():
        if not _PROMPT_NAME.match(name):
            r.add(f"{where}.{name}", "not a prompt name (lower-case letters, digits, - and _)")
        elif not isinstance(value, str) or not value.strip():
            r.add(f"{where}.{name}", f"the {what} of prompt {name!r} is empty")
        else:
            out[name] = value.strip()
    return out


def _raw(items: list[Mapping[str, Any]], kind: str, key: str) -> list[tuple[str, str]]:
    """(where, value) of one string field of every item, valid or not, for cross-checks."""
    return [
        (_located(kind, i, item), item[key])
        for i, item in enumerate(items)
        if isinstance(item.get(key), str)
    ]


def _tables(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _duplicates(r: _Reader, pairs: list[tuple[str, str]], what: str) -> None:
    seen: dict[str, str] = {}
    for where, value in pairs:
        if value in seen:
            r.add(where, f"duplicate {what} {value!r} (also at {seen[value]})")
        else:
            seen[value] = where


def _cross_check(r: _Reader, data: Mapping[str, Any], default_topic: str | None) -> None:
    counters = _tables(data.get("counters"))
    topics = _tables(data.get("topics"))
    _duplicates(r, _raw(counters, "counters", "id"), "counter id")
    _duplicates(r, _raw(topics, "topics", "id"), "topic id")
    _duplicates(r, _raw(topics, "topics", "digit"), "topic digit")
    queues = _raw(counters, "counters", "queue")
    lighthouse = data.get("lighthouse")
    if isinstance(lighthouse, dict) and isinstance(lighthouse.get("queue"), str):
        queues.insert(0, ("[lighthouse]", lighthouse["queue"]))
    _duplicates(r, queues, "queue")

    counter_ids = {value for _, value in _raw(counters, "counters", "id")}
    places = list(_raw(counters, "counters", "id"))
    for ci, item in enumerate(counters):
        served: list[tuple[str, str]] = []
        for li, loc in enumerate(_tables(item.get("locations"))):
            at = f"{_located('counters', ci, item)}.{_located('locations', li, loc)}"
            if isinstance(loc.get("id"), str):  # named in the prompts: adres-<id>
                places.append((f"{at}.id", loc["id"]))
            codes = loc.get("postcodes")
            if isinstance(codes, list):
                served += [(f"{at}.postcodes", c) for c in codes if isinstance(c, str)]
        _duplicates(r, served, "postcode")
    _duplicates(r, places, "counter or location id")
    digits = {value: where for where, value in reversed(_raw(topics, "topics", "digit"))}
    for where, counter in _raw(topics, "topics", "counter"):
        if counter not in counter_ids:
            r.add(f"{where}.counter", f"unknown counter {counter!r}")
    for where, tid in _raw(topics, "topics", "id"):
        if tid in digits and digits[tid] != where:
            r.add(f"{where}.id", f"{tid!r} is also the digit of {digits[tid]}: ambiguous")
    keyed = [(w, d) for w, d in _raw(topics, "topics", "digit") if _DIGIT.match(d)]
    for where, keys in keyed:
        for other_where, other in keyed:
            if other != keys and other.startswith(keys):
                r.warnings.append(
                    Problem(
                        f"{where}.digit",
                        f"{keys!r} is the start of {other!r} ({other_where}): a caller who "
                        f"chooses {keys!r} waits 3 s for another key. Give no topic keys that "
                        "begin another's (e.g. a sub-menu: 91, 92 under a 9 that is no topic)",
                    )
                )
                break
    topic_ids = {value for _, value in _raw(topics, "topics", "id")}
    if default_topic is not None and topics and default_topic not in topic_ids:
        r.add("[routing].default_topic", f"unknown topic {default_topic!r}")


def load_site(path: str | Path) -> Site:
    """Read and validate a site file; :class:`ConfigError` when missing or invalid."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(p), [Problem("file", "not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(p), [Problem("file", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from None
    except OSError as exc:
        raise ConfigError(str(p), [Problem("file", exc.strerror or str(exc))]) from None
    return parse_site(text, str(p))
