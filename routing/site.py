"""The site: one central number, its counters, topics and lighthouse, as frozen values.

Built (and validated) by :mod:`routing.config`; read by the decision, the simulator, the
Asterisk configuration generator and the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from schedules.hours import HolidayCalendar, Hours

__all__ = [
    "AgentSettings",
    "AsteriskSettings",
    "CallbackSettings",
    "Counter",
    "Helpline",
    "Lighthouse",
    "Location",
    "PrivacySettings",
    "Site",
    "Teams",
    "Topic",
    "WallboardSettings",
    "dialled_digits",
    "sub_menu_keys",
]


@dataclass(frozen=True, slots=True)
class Location:
    """One address of a mobile counter (a weekly session in a village, an antenna point),
    with its own hours."""

    id: str
    name: str
    address: str
    hours: Hours
    postcodes: tuple[str, ...] = ()
    """The postcodes this address serves (a caller's own village)."""


@dataclass(frozen=True, slots=True)
class Counter:
    """A loket: one partner's service point with its own hours and Asterisk queue. A mobile
    counter has ``locations``: one queue, several addresses each with its own hours; its
    ``hours`` are then theirs together (:class:`schedules.hours.AnyHours`)."""

    id: str
    name: str
    organisation: str
    address: str
    queue: str
    hours: Hours
    max_waiting: int | None = None
    max_wait_seconds: int | None = None
    average_handle_seconds: int = 240
    service_level_seconds: int = 20
    short_abandon_seconds: int = 5
    phone: str | None = None
    agents: int = 2
    """How many agents the simulator staffs this counter's queue with."""
    after_call_seconds: int | None = None
    """After-call work in this counter's queue (None: ``[agents] after_call_seconds``)."""
    wrapup_codes: tuple[tuple[str, str], ...] | None = None
    """Wrap-up codes of this counter's queue (None: ``[agents] wrapup_codes``)."""
    locations: tuple[Location, ...] = ()
    """A mobile counter's addresses (none: the counter has one, ``address``)."""
    partners: tuple[str, ...] = ()
    """A joint counter's partner organisations: their agents staff its one queue, and its
    figures are also split per organisation of the agent who answered (none: the counter is
    ``organisation``'s alone)."""
    postcodes: tuple[str, ...] = ()
    """A neighbourhood team's postcodes: the callers who live there are its own (``[teams]``)."""

    @property
    def organisations(self) -> tuple[str, ...]:
        """The organisations whose agents answer this counter's queue."""
        return self.partners or (self.organisation,)

    def location_at(self, at: datetime | None) -> Location | None:
        """The address where the counter is open at ``at`` (the first listed when two are),
        None for a counter with one address, or when closed or ``at`` is None."""
        if at is None:
            return None
        return next((loc for loc in self.locations if loc.hours.is_open(at)), None)

    def location(self, location_id: str) -> Location:
        return next(loc for loc in self.locations if loc.id == location_id)

    def location_for_postcode(self, postcode: str) -> Location | None:
        """The address that serves callers from ``postcode`` (the site file lists a postcode
        at most once a counter), None when none of them does."""
        return next((loc for loc in self.locations if postcode in loc.postcodes), None)


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    digit: str
    label: str
    counter: str


def dialled_digits(number: str) -> str:
    """A Belgian number as Asterisk sees it dialled: digits only, ``+32`` as ``0``."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.strip().startswith("+32"):
        digits = "0" + digits[2:]
    elif number.strip().startswith("0032"):
        digits = "0" + digits[4:]
    return digits


def sub_menu_keys(topics: Iterable[Topic]) -> list[str]:
    """The keys that open a sub-menu: every proper start of a topic's keys (``2`` for ``21``
    and ``22``), in order."""
    return sorted({t.digit[:n] for t in topics for n in range(1, len(t.digit))})


@dataclass(frozen=True, slots=True)
class Lighthouse:
    queue: str
    hours: Hours
    name: str = "Vuurtoren"
    service_level_seconds: int = 20
    short_abandon_seconds: int = 5
    agents: int = 3
    """How many agents the simulator staffs the lighthouse queue with (none: the rota does)."""
    service_level_percent: int = 80
    """The target: this share of callers answered within ``service_level_seconds`` (the
    staffing advice plans the duty for it)."""
    after_call_seconds: int | None = None
    """After-call work in the lighthouse queue (None: ``[agents] after_call_seconds``)."""
    wrapup_codes: tuple[tuple[str, str], ...] | None = None
    """Wrap-up codes of the lighthouse queue (None: ``[agents] wrapup_codes``)."""


@dataclass(frozen=True, slots=True)
class Teams:
    """Neighbourhood teams (``[teams]``; none: off). A caller who chooses ``topic`` goes to
    their own team: the one the consent register names for their number, else the one whose
    ``postcodes`` hold the postcode they key in (``ask_postcode``), else the topic's own
    counter (the intake). With ``own_worker`` a registered caller whose entry names a social
    worker is first offered to that worker's phone (``worker_ring_seconds``), while the team
    is open and the worker is logged in and free; then to the team's queue, then the chain.
    The register keeps an entry ``register_days`` after the consent it was given with."""

    topic: str
    counters: tuple[str, ...]
    own_worker: bool = True
    ask_postcode: bool = True
    worker_ring_seconds: int = 20
    register_days: int = 730

    def serves(self, topic: str) -> bool:
        return topic == self.topic


@dataclass(frozen=True, slots=True)
class Helpline:
    """A line that is always open (e.g. Tele-Onthaal 106), mentioned in the last resort."""

    label: str
    number: str


@dataclass(frozen=True, slots=True)
class AsteriskSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "vuurtoren"
    secret_env: str = "VUURTOREN_AMI_SECRET"
    secret_file: str | None = None
    failsafe_seconds: int = 6
    """How long the dialplan holds a caller for Vuurtoren's Redirect before it routes alone."""
    capture_secret_env: str = "VUURTOREN_AMI_CAPTURE_SECRET"
    """``vuurtoren capture`` logs in with an account of its own (``<username>-capture``,
    read-only), whose secret comes from this environment variable or ``capture_secret_file``:
    a capture never looks like the routing service to Asterisk or to the dialplan."""
    capture_secret_file: str | None = None

    @property
    def capture_username(self) -> str:
        return f"{self.username}-capture"


DEFAULT_WRAPUP_CODES: tuple[tuple[str, str], ...] = (
    ("info", "Informatie gegeven"),
    ("doorverwezen", "Doorverwezen"),
    ("afspraak", "Afspraak gemaakt"),
    ("terugbellen", "Terugbellen"),
    ("andere", "Andere"),
)

DEFAULT_PAUSE_REASONS: tuple[tuple[str, str], ...] = (
    ("lunch", "Middagpauze"),
    ("admin", "Administratie"),
    ("training", "Opleiding"),
    ("meeting", "Overleg"),
)


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """How agents work the queues (``[agents]``): the reasons they may pause with (id and the
    Dutch label they see), the after-call work and wrap-up codes of every queue (a counter
    or the lighthouse may have its own), Asterisk's own wrap-up, whether a call left ringing
    pauses the agent ("gemiste oproep"), and the desk-phone feature codes."""

    wrapup_seconds: int = 10
    """Asterisk's ``wrapuptime``: the guard before the after-call pause takes hold, and all
    the after-call time there is while Vuurtoren is down (docs/duty.md)."""
    after_call_seconds: int = 60
    """After-call work: the agent is paused ("Nawerk") this long after each queue call to
    register the question; "Klaar" ends it early. 0: none."""
    after_call_extend_seconds: int = 60
    """What "Langer" adds to after-call work (once a call); 0: no extension."""
    wrapup_codes: tuple[tuple[str, str], ...] = DEFAULT_WRAPUP_CODES
    pause_reasons: tuple[tuple[str, str], ...] = DEFAULT_PAUSE_REASONS
    auto_pause: bool = True
    login_code: str = "*45"
    """Toggles the agent's login on their queues (and the lighthouse duty: see the rota)."""
    override_code: str = "*46"
    """Followed by a counter's menu key and the user's PIN: closes or reopens that counter."""

    def pause_label(self, reason: str) -> str:
        return dict(self.pause_reasons).get(reason, reason)


@dataclass(frozen=True, slots=True)
class CallbackSettings:
    """How Vuurtoren calls citizens back (``[callbacks]``).

    ``dial`` is the Asterisk dial string of the outside line, with ``{number}`` where the
    citizen's number goes (``PJSIP/{number}@trunk``). ``queued``: a caller waiting in a queue
    may press ``key`` to be called back instead of waiting; the request keeps the caller's
    place in line. Each callback rings the agent's phone first (``agent_ring_seconds``),
    then the citizen (``citizen_ring_seconds``); a citizen not reached is tried again after
    ``retry_minutes``, at most ``attempts`` times. A request waits at most ``wait_minutes``
    in line before it is tried again later."""

    dial: str = "PJSIP/{number}@trunk"
    queued: bool = True
    key: str = "5"
    attempts: int = 3
    retry_minutes: int = 10
    agent_ring_seconds: int = 20
    citizen_ring_seconds: int = 30
    wait_minutes: int = 60


@dataclass(frozen=True, slots=True)
class WallboardSettings:
    """When a wallboard tile asks for attention (``[wallboard]``): the longest wait now at
    ``wait_amber_seconds`` (amber) or ``wait_red_seconds`` (red), today's service level under
    ``service_level_percent`` (amber) or more than 10 points under it (red)."""

    wait_amber_seconds: int = 120
    wait_red_seconds: int = 300
    service_level_percent: int = 80


@dataclass(frozen=True, slots=True)
class PromptSettings:
    """What the citizen hears (``[prompts]``, ``callcenter/prompts/``).

    ``dir``: the folder of built prompts as Asterisk sees it (``vuurtoren prompts --out``
    fills it; the generated dialplan plays from it). ``languages``: the first is the
    default; each other is offered in the welcome by its menu key in ``keys``. ``texts``
    and ``recorded``: per language, texts that replace the built-in ones and recordings that
    replace the synthesised speech (paths relative to the site file). ``voices``: the
    espeak-ng voice per language. ``queue_announce_seconds``: how often a waiting caller
    hears their place and the expected wait (0: never). ``menu_max_seconds``: the longest a
    menu level may take to say (the first with the welcome and the language offers);
    ``check-config`` warns beyond it."""

    dir: str = "/var/lib/vuurtoren/prompts"
    languages: tuple[str, ...] = ("nl",)
    keys: dict[str, str] = field(default_factory=dict, hash=False)
    voices: dict[str, str] = field(default_factory=dict, hash=False)
    texts: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)
    recorded: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)
    queue_announce_seconds: int = 60
    menu_max_seconds: int = 20

    def voice(self, lang: str) -> str:
        return self.voices.get(lang) or {"nl": "nl", "fr": "fr-be", "en": "en-gb"}[lang]


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """How long welfare data is kept (``[privacy]``). After ``pseudonymise_after_days`` a
    caller's number is replaced by a keyed hash (the same number, the same pseudonym: repeat
    callers still count); after ``delete_text_after_days`` question summaries and free text
    are deleted; statistics are kept. The key comes from ``key_env`` or ``key_file``."""

    pseudonymise_after_days: int = 90
    delete_text_after_days: int = 365
    key_env: str = "VUURTOREN_PRIVACY_KEY"
    key_file: str | None = None


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    zone: ZoneInfo
    country: str
    lighthouse: Lighthouse
    default_topic: str
    counters: tuple[Counter, ...]
    topics: tuple[Topic, ...]
    helplines: tuple[Helpline, ...] = ()
    asterisk: AsteriskSettings = field(default_factory=AsteriskSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    wallboard: WallboardSettings = field(default_factory=WallboardSettings)
    prompts: PromptSettings = field(default_factory=PromptSettings)
    number: str | None = None
    """The central number as citizens dial it (``[site] number``): on the public page."""
    menu_groups: dict[str, str] = field(default_factory=dict, hash=False)
    """The keys that open a sub-menu → its label in the menu (``[menu] groups``); a group
    without one is offered as "more choices"."""
    warnings: tuple[str, ...] = ()
    """Findings that do not make the file invalid but are probably mistakes."""
    teams: Teams | None = None
    """Neighbourhood teams and one's own social worker (``[teams]``); None: off."""
    site_id: str = ""
    """A region's municipality: its id (``[[sites]] id``); "" for a lone site or a region."""
    own_counters: frozenset[str] = frozenset()
    """A region's municipality: the ids of its own counters (the others it sees are shared)."""
    sites: tuple[Site, ...] = field(default=(), compare=False, repr=False)
    """A region's municipalities (``[[sites]]``), each the whole site as its callers meet it:
    its own number, name, menu, default topic and prompts; its own counters and the shared
    ones; the one lighthouse. None for a lone site. The region itself holds every counter and
    every topic."""
    holidays: HolidayCalendar = field(init=False, repr=False, compare=False)
    _counters: dict[str, Counter] = field(init=False, repr=False, compare=False)
    _topics: dict[str, Topic] = field(init=False, repr=False, compare=False)
    _sites: dict[str, Site] = field(init=False, repr=False, compare=False)
    """A region's municipalities by id and by number as dialled (one lookup a call)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", HolidayCalendar(self.zone, self.country))
        object.__setattr__(self, "_counters", {c.id: c for c in self.counters})
        lookup: dict[str, Topic] = {}
        for t in self.topics:  # digits first, so an id never shadows a key press
            lookup.setdefault(t.digit, t)
        for t in self.topics:
            lookup.setdefault(t.id, t)
        object.__setattr__(self, "_topics", lookup)
        found: dict[str, Site] = {}
        for s in self.sites:
            found.setdefault(s.site_id, s)
            if s.number:
                found.setdefault(dialled_digits(s.number), s)
        object.__setattr__(self, "_sites", found)

    def counter(self, counter_id: str) -> Counter:
        return self._counters[counter_id]

    def team_for_postcode(self, postcode: str | None) -> Counter | None:
        """The neighbourhood team whose postcodes hold ``postcode``; None when teams are
        off, the postcode is empty, or no team serves it."""
        if self.teams is None or not postcode:
            return None
        for cid in self.teams.counters:
            counter = self._counters.get(cid)
            if counter is not None and postcode in counter.postcodes:
                return counter
        return None

    @property
    def is_region(self) -> bool:
        return bool(self.sites)

    def local(self, site_id: str | None) -> Site:
        """The municipality ``site_id`` of a region as its callers meet it; a lone site is
        its own; an empty or unknown id in a region gives its first municipality (a call
        from a dialplan that does not say where it came in)."""
        if not self.sites:
            return self
        return self._sites.get(site_id or "", self.sites[0])

    def municipality(self, site_id: str) -> Site | None:
        """A region's municipality by its id alone (a page's ``gemeente``); None when the
        region has none of that id, or this is a lone site."""
        found = self._sites.get(site_id)
        return found if found is not None and found.site_id == site_id else None

    def find_site(self, key: str) -> Site | None:
        """A region's municipality by id or by its number as dialled (spaces, dots, dashes
        and slashes ignored; ``+32 11`` and ``011`` alike); None when none matches."""
        if not self.sites:
            return None
        return self._sites.get(key) or self._sites.get(dialled_digits(key) or "-")

    def site_of_counter(self, counter_id: str) -> str | None:
        """The municipality whose own counter this is; None for a shared one (or a lone
        site)."""
        return next((s.site_id for s in self.sites if counter_id in s.own_counters), None)

    def find_topic(self, key: str | None) -> Topic | None:
        """A topic by IVR digit or by id; None when ``key`` is empty or unknown."""
        if not key:
            return None
        return self._topics.get(key.strip())

    def topic(self, key: str | None) -> Topic:
        """A topic by digit or id, falling back to the default topic."""
        found = self.find_topic(key)
        return found if found is not None else self._topics[self.default_topic]

    @property
    def queues(self) -> tuple[str, ...]:
        return (*(c.queue for c in self.counters), self.lighthouse.queue)

    @property
    def organisations(self) -> tuple[str, ...]:
        """Every organisation that runs a counter or staffs a joint one, sorted: the ones a
        user (an agent) may belong to."""
        return tuple(sorted({o for c in self.counters for o in (c.organisation, *c.partners)}))

    def _queue_owner(self, queue: str) -> Counter | Lighthouse | None:
        if queue == self.lighthouse.queue:
            return self.lighthouse
        return next((c for c in self.counters if c.queue == queue), None)

    def queue_name(self, queue: str) -> str:
        owner = self._queue_owner(queue)
        return queue if owner is None else owner.name

    def after_call_seconds(self, queue: str) -> int:
        """After-call work after a call from ``queue`` (the site's default for a queue the
        site file does not know)."""
        owner = self._queue_owner(queue)
        own = None if owner is None else owner.after_call_seconds
        return self.agents.after_call_seconds if own is None else own

    def wrapup_codes(self, queue: str) -> tuple[tuple[str, str], ...]:
        owner = self._queue_owner(queue)
        own = None if owner is None else owner.wrapup_codes
        return self.agents.wrapup_codes if own is None else own
