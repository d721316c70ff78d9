"""Every prompt the call flow plays, with what it says, made from the site file.

The same site file drives the routing and the words: the topic menu is built from the topics
(their labels and keys), each helpline is announced by its name and number, the lighthouse's
hand-over says why (closed, holiday, busy, nobody there, a closure or an override with the
reason the manager gave), and the next opening is spoken from the decision's ``next_open``
and the counter's address. A site overrides any text under ``[prompts.<language>]`` and
replaces any prompt by a recording under ``[prompts.<language>.recorded]``.

Static prompts are built ahead by ``vuurtoren prompts`` (``callcenter/prompts/build.py``);
the sentences that change with the hours and the overrides (:func:`next_open_text`,
:func:`reason_text`) are rendered by the service before a call needs them
(``callcenter/prompts/announcer.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from string import Formatter

from callcenter.dialplan.names import RESULTS
from callcenter.dialplan.speech import spoken_moment, spoken_number
from routing.site import Counter, Location, Site, sub_menu_keys
from routing.types import Reason

__all__ = [
    "HANDOVER_REASONS",
    "WAIT_MINUTES",
    "Prompt",
    "handover_name",
    "next_open_text",
    "place_choices",
    "position_name",
    "problems",
    "prompts",
    "reason_text",
    "wait_name",
    "warnings",
]

HANDOVER_REASONS = (
    Reason.CLOSED,
    Reason.HOLIDAY,
    Reason.CLOSURE,
    Reason.OVERRIDE,
    Reason.OVERFLOW,
    Reason.NO_AGENTS,
)
"""Why a call goes to the lighthouse instead of its counter: each has its own hand-over."""
POSITIONS = 20
"""Positions in line announced by number; further back: "more than 20 callers before you"."""
WAIT_MINUTES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30)
"""The expected waits announced (rounded up to the next of these); longer: "more than half an
hour"."""

_KEY_WORDS = {
    "nl": {"*": "sterretje", "#": "hekje"},
    "fr": {"*": "étoile", "#": "dièse"},
    "en": {"*": "star", "#": "hash"},
}

_DEFAULTS: dict[str, dict[str, str]] = {
    "nl": {
        "welkom": "Welkom bij {site}.",
        "taalkeuze": "Voor Nederlands, druk {key}.",
        "menu-keuze": "Voor {label}, druk {key}.",
        "menu-meer": "Voor meer keuzes, druk {key}.",
        "geen-keuze": "We hebben geen keuze gehoord. We verbinden u met het onthaal.",
        "postcode-vraag": "Geef de vier cijfers van uw postcode, dan verbinden we u met uw "
        "buurtteam.",
        "ongeldig": "Die keuze kennen we niet. We verbinden u met het onthaal.",
        "vuurtoren-closed": "Dat loket is nu gesloten. Ons onthaal helpt u verder.",
        "vuurtoren-holiday": "Vandaag is een feestdag: dat loket is gesloten. "
        "Ons onthaal helpt u verder.",
        "vuurtoren-closure": "Dat loket is vandaag gesloten. Ons onthaal helpt u verder.",
        "vuurtoren-override": "Dat loket is nu uitzonderlijk gesloten. Ons onthaal helpt u verder.",
        "vuurtoren-overflow": "Het is nu erg druk aan dat loket. Ons onthaal helpt u verder.",
        "vuurtoren-no_agents": "Aan dat loket is nu niemand bereikbaar. "
        "Ons onthaal helpt u verder.",
        "gesloten": "Er is nu helaas niemand bereikbaar.",
        "plaats-vraag": "Wilt u weten wanneer we in uw eigen dorp zijn?",
        "plaats-keuze": "Toets {key} voor {place}.",
        "hulplijn": "Voor {label} kunt u altijd bellen naar {number}.",
        "keuze-terugbellen": "Wilt u dat we u terugbellen? Druk dan 1.",
        "terugbellen-bevestigd": "Uw vraag is genoteerd. We bellen u terug op het nummer "
        "waarmee u nu belt.",
        "terugbellen-in-rij": "Wilt u niet langer wachten? Druk {key}: we bellen u terug "
        "en u houdt uw plaats.",
        "terugbellen-geen-nummer": "Uw nummer is niet zichtbaar, daarom kunnen we u niet "
        "terugbellen. U blijft op uw plaats in de wachtrij.",
        "tot-ziens": "Bedankt voor uw oproep. Tot ziens.",
        "positie-1": "U bent de volgende.",
        "positie": "U bent nummer {n} in de rij.",
        "positie-meer": "Er wachten meer dan {n} bellers voor u.",
        "wachttijd": "De verwachte wachttijd is ongeveer {n} minuten.",
        "wachttijd-1": "De verwachte wachttijd is ongeveer 1 minuut.",
        "wachttijd-meer": "De verwachte wachttijd is meer dan een half uur.",
        "opent": "{name} is opnieuw open {when}, {where}.",
        "opent-niet": "{name} heeft voorlopig geen openingsuren.",
        "reden": "De reden: {note}.",
        "adres": "in de {address}",
        "feature-loket": "Geef de menutoets van het loket.",
        "feature-pin": "Geef uw pincode.",
        **{f"feature-{word}": what.capitalize() + "." for word, what in RESULTS.items()},
    },
    "fr": {
        "welkom": "Bienvenue chez {site}.",
        "taalkeuze": "Pour le français, appuyez sur {key}.",
        "menu-keuze": "Pour {label}, tapez {key}.",
        "menu-meer": "Pour d'autres choix, tapez {key}.",
        "geen-keuze": "Nous n'avons pas entendu de choix. Nous vous passons l'accueil.",
        "ongeldig": "Ce choix n'existe pas. Nous vous passons l'accueil.",
        "postcode-vraag": "Tapez les quatre chiffres de votre code postal, et nous vous "
        "passons votre équipe de quartier.",
        "vuurtoren-closed": "Ce guichet est fermé. Notre accueil va vous aider.",
        "vuurtoren-holiday": "Aujourd'hui est un jour férié: ce guichet est fermé. "
        "Notre accueil va vous aider.",
        "vuurtoren-closure": "Ce guichet est fermé aujourd'hui. Notre accueil va vous aider.",
        "vuurtoren-override": "Ce guichet est exceptionnellement fermé. "
        "Notre accueil va vous aider.",
        "vuurtoren-overflow": "Ce guichet est très occupé. Notre accueil va vous aider.",
        "vuurtoren-no_agents": "Personne n'est disponible à ce guichet. "
        "Notre accueil va vous aider.",
        "gesloten": "Personne n'est disponible pour le moment.",
        "plaats-vraag": "Vous voulez savoir quand nous serons dans votre village?",
        "plaats-keuze": "Pour {place}, tapez {key}.",
        "hulplijn": "Pour {label}, vous pouvez toujours appeler le {number}.",
        "keuze-terugbellen": "Voulez-vous être rappelé? Appuyez sur 1.",
        "terugbellen-bevestigd": "Votre demande est notée. Nous vous rappellerons au numéro "
        "d'où vous appelez.",
        "terugbellen-in-rij": "Vous ne voulez plus attendre? Appuyez sur {key}: nous vous "
        "rappelons et vous gardez votre place.",
        "terugbellen-geen-nummer": "Votre numéro est masqué, nous ne pouvons pas vous "
        "rappeler. Vous gardez votre place.",
        "tot-ziens": "Merci de votre appel. Au revoir.",
        "positie-1": "Vous êtes le suivant.",
        "positie": "Vous êtes le numéro {n} dans la file.",
        "positie-meer": "Plus de {n} personnes attendent avant vous.",
        "wachttijd": "Le temps d'attente prévu est d'environ {n} minutes.",
        "wachttijd-1": "Le temps d'attente prévu est d'environ 1 minute.",
        "wachttijd-meer": "Le temps d'attente prévu dépasse une demi-heure.",
        "opent": "{name} sera de nouveau ouvert {when}, {where}.",
        "opent-niet": "{name} n'a pas d'heures d'ouverture pour le moment.",
        "reden": "La raison: {note}.",
        "adres": "{address}",
        "feature-loket": "Donnez la touche du guichet.",
        "feature-pin": "Donnez votre code.",
        "feature-loggedin": "Connecté.",
        "feature-loggedout": "Déconnecté.",
        "feature-closed": "Guichet fermé.",
        "feature-opened": "Guichet rouvert.",
        "feature-wrongpin": "Code erroné.",
        "feature-blocked": "Trop de codes erronés: bloqué un moment.",
        "feature-unknown": "Ce poste n'appartient à aucun utilisateur.",
        "feature-refused": "Non autorisé.",
        "feature-failed": "Échec.",
    },
    "en": {
        "welkom": "Welcome to {site}.",
        "taalkeuze": "For English, press {key}.",
        "menu-keuze": "For {label}, press {key}.",
        "menu-meer": "For more choices, press {key}.",
        "geen-keuze": "We did not hear a choice. We will put you through to reception.",
        "ongeldig": "That choice does not exist. We will put you through to reception.",
        "postcode-vraag": "Please key in the four digits of your postcode, and we will put "
        "you through to your neighbourhood team.",
        "vuurtoren-closed": "That desk is closed now. Our reception will help you.",
        "vuurtoren-holiday": "Today is a public holiday: that desk is closed. "
        "Our reception will help you.",
        "vuurtoren-closure": "That desk is closed today. Our reception will help you.",
        "vuurtoren-override": "That desk is closed for now. Our reception will help you.",
        "vuurtoren-overflow": "That desk is very busy. Our reception will help you.",
        "vuurtoren-no_agents": "Nobody is available at that desk. Our reception will help you.",
        "gesloten": "Nobody is available right now.",
        "plaats-vraag": "Would you like to know when we are in your own village?",
        "plaats-keuze": "For {place}, press {key}.",
        "hulplijn": "For {label}, you can always call {number}.",
        "keuze-terugbellen": "Would you like us to call you back? Press 1.",
        "terugbellen-bevestigd": "Your request is noted. We will call you back on the number "
        "you are calling from.",
        "terugbellen-in-rij": "Rather not wait? Press {key}: we call you back and you keep "
        "your place.",
        "terugbellen-geen-nummer": "Your number is hidden, so we cannot call you back. "
        "You keep your place in the queue.",
        "tot-ziens": "Thank you for calling. Goodbye.",
        "positie-1": "You are next.",
        "positie": "You are number {n} in the queue.",
        "positie-meer": "More than {n} callers are waiting before you.",
        "wachttijd": "The expected wait is about {n} minutes.",
        "wachttijd-1": "The expected wait is about 1 minute.",
        "wachttijd-meer": "The expected wait is more than half an hour.",
        "opent": "{name} opens again {when}, {where}.",
        "opent-niet": "{name} has no opening hours for now.",
        "reden": "The reason: {note}.",
        "adres": "at {address}",
        "feature-loket": "Enter the desk's menu key.",
        "feature-pin": "Enter your PIN.",
        "feature-loggedin": "Logged in.",
        "feature-loggedout": "Logged out.",
        "feature-closed": "Desk closed.",
        "feature-opened": "Desk open again.",
        "feature-wrongpin": "Wrong PIN.",
        "feature-blocked": "Too many wrong PINs: blocked for a while.",
        "feature-unknown": "This phone belongs to no user.",
        "feature-refused": "Not allowed.",
        "feature-failed": "That did not work.",
    },
}
TEXT_KEYS = frozenset(_DEFAULTS["nl"])
RETIRED = {"ogenblik": "a caller to an open counter joins its queue at once, nothing is said"}
"""Texts a site file may still hold that nothing plays any more: a warning, not an error."""
"""The texts a site can set under ``[prompts.<language>]`` (besides ``naam-<counter>`` and
``adres-<counter>``, how a counter and its address are said)."""


PLACEHOLDERS = {
    "welkom": {"site"},
    "taalkeuze": {"key"},
    "menu-keuze": {"label", "key"},
    "menu-meer": {"key"},
    "hulplijn": {"label", "number"},
    "terugbellen-in-rij": {"key"},
    "positie": {"n"},
    "positie-meer": {"n"},
    "wachttijd": {"n"},
    "opent": {"name", "when", "where"},
    "opent-niet": {"name"},
    "reden": {"note"},
    "adres": {"address"},
    "plaats-keuze": {"key", "place"},
}
"""The ``{placeholders}`` a text may hold; the other texts hold none."""


def problems(site: Site) -> list[str]:
    """What is wrong with the site's ``[prompts]`` texts and recordings' names: unknown
    names, placeholders a text may not hold, broken braces. Each names its place. A region:
    each municipality's (its texts are the region's and its own), each said once."""
    if site.sites:
        return list(dict.fromkeys(p for local in site.sites for p in problems(local)))
    out = []
    counters = {c.id for c in site.counters}
    own_of: dict[str, set[str]] = {  # the texts named after something of the site
        "naam": counters,
        "adres": counters | {loc.id for c in site.counters for loc in c.locations},
        "label": {t.id for t in site.topics},
        "groep": set(sub_menu_keys(site.topics)),
    }
    for lang, texts in site.prompts.texts.items():
        for name, text in texts.items():
            where = f"[prompts.{lang}].{name}"
            kind, _, ref = name.partition("-")
            own = own_of.get(kind, set())
            if name in RETIRED:
                continue  # a warning (warnings())
            if ref in own:
                allowed: set[str] = set()
            elif name in TEXT_KEYS:
                allowed = PLACEHOLDERS.get(name, set())
            else:
                out.append(
                    f"{where}: unknown text (known: {', '.join(sorted(TEXT_KEYS))}; and "
                    "naam-<counter>, adres-<counter or location>, label-<topic>, "
                    "groep-<sub-menu keys>)"
                )
                continue
            try:
                fields = {f for _, f, _, _ in Formatter().parse(text) if f is not None}
            except ValueError as exc:
                out.append(f"{where}: {exc} (write {{{{ and }}}} for a brace)")
                continue
            for f in sorted(fields - allowed):
                hint = ", ".join("{" + a + "}" for a in sorted(allowed)) or "none"
                out.append(f"{where}: unknown placeholder {{{f}}} (this text may hold: {hint})")
    for lang, files in site.prompts.recorded.items():
        names = {p.name for p in prompts(site, lang)}
        for name in sorted(set(files) - names):
            out.append(f"[prompts.{lang}.recorded].{name}: no such prompt")
    return out


SPOKEN_CHARS_PER_SECOND = 14.0
"""espeak-ng's default pace (175 words a minute) in characters a second: how long a text
takes to say before it is built (a recording, or the built file, is measured instead)."""
SPOKEN_LEAD_SECONDS = 0.3
"""The silence a synthesised prompt begins with."""
MENU_CHOICES = 6
"""Choices a menu level offers at most before callers lose track (``check-config`` warns):
about five, and "other questions"."""


def spoken_seconds(text: str) -> float:
    """How long ``text`` takes to say at espeak-ng's pace."""
    return SPOKEN_LEAD_SECONDS + len(text) / SPOKEN_CHARS_PER_SECOND


def menu_levels(site: Site, lang: str) -> list[tuple[str, list[tuple[str, str]], list[str]]]:
    """Every menu level as (prefix, its sentences, what is said before it): in the default
    language the first level after the welcome and the other languages' offers (one
    ``Read``); in another (after its key) the menu alone; each sub-menu alone."""
    intro = []
    if lang == site.prompts.languages[0]:
        intro.append(next(p.text for p in prompts(site, lang) if p.name == "welkom"))
        for other in site.prompts.languages[1:]:
            intro.append(next(p.text for p in prompts(site, other) if p.name == "taalkeuze"))
    prefixes = sub_menu_keys(site.topics)
    out = [("", menu_lines(site, lang), intro)]
    out += [(p, menu_lines(site, lang, p), []) for p in prefixes]
    return out


def warnings(site: Site) -> list[str]:
    """What a caller would struggle with: a menu level too long to say or with too many
    choices (time to a person), topics without a label in another language. A region: each
    municipality's menu, each finding said once."""
    if site.sites:
        return [f"{local.site_id}: {w}" for local in site.sites for w in warnings(local)]
    out = [
        f"[prompts.{lang}].{name}: no longer played ({why}); remove it"
        for lang, texts in site.prompts.texts.items()
        for name, why in RETIRED.items()
        if name in texts
    ]
    limit = site.prompts.menu_max_seconds
    for lang in site.prompts.languages:
        for prefix, lines, intro in menu_levels(site, lang):
            name = f"menu-{prefix}" if prefix else "menu"
            said = sum(spoken_seconds(t) for t in intro) + spoken_seconds(
                " ".join(t for _, t in lines)
            )
            where = f"[prompts.{lang}] {name}"
            if said > limit:
                before = ""
                if intro:
                    offers = len(intro) > 1
                    before = " with the welcome" + (" and the language offers" if offers else "")
                out.append(
                    f"{where}: takes about {said:.0f} s to say{before}, over "
                    f"[prompts].menu_max_seconds = {limit}: fewer choices a level, shorter "
                    "labels or a shorter welcome bring callers to a person sooner"
                )
            if len(lines) > MENU_CHOICES:
                out.append(
                    f"{where}: {len(lines)} choices; callers remember about five and 'other "
                    "questions': group the topics under sub-menu keys, the most asked first"
                )
    for lang in site.prompts.languages[1:]:
        texts = site.prompts.texts.get(lang, {})
        bare = [t.id for t in site.topics if f"label-{t.id}" not in texts]
        if bare:
            out.append(
                f"[prompts.{lang}]: no label-<topic> for {', '.join(bare)}: its menu says "
                "their labels as the site file gives them"
            )
        unnamed = [k for k in site.menu_groups if f"groep-{k}" not in texts]
        if unnamed:
            out.append(
                f"[prompts.{lang}]: no groep-<keys> for {', '.join(unnamed)}: its menu says "
                "those groups' names as [menu] groups gives them"
            )
    return out


@dataclass(frozen=True, slots=True)
class Prompt:
    name: str
    """The file's name without extension (``welkom``, ``menu``, ``hulplijn-2``)."""
    text: str
    """What it says (what is synthesised, or the script of the recording)."""
    what: str
    """When it is played, in a few words (for the generated dialplan's comments, reports)."""
    recorded: str | None = None
    """A recording supplied by the municipality (a path as the site file gives it)."""


def _text(site: Site, lang: str, key: str) -> str:
    own = site.prompts.texts.get(lang, {}).get(key)
    if own is not None:
        return own
    return _DEFAULTS[lang].get(key) or _DEFAULTS["nl"][key]


def spoken_key(key: str, lang: str) -> str:
    """Keys as said: ``9``, ``sterretje 1``."""
    words = _KEY_WORDS[lang]
    return " ".join(words.get(ch, ch) for ch in key)


def counter_name(site: Site, counter: Counter, lang: str) -> str:
    return site.prompts.texts.get(lang, {}).get(f"naam-{counter.id}") or counter.name


def counter_where(
    site: Site,
    counter: Counter,
    lang: str,
    at: datetime | None = None,
    location: Location | None = None,
) -> str:
    """Where the counter is (``location``, or at ``at`` a mobile counter's address then, as
    ``adres-<location>`` says it, else "in de <address>")."""
    place = location or counter.location_at(at)
    ident, address = (place.id, place.address) if place else (counter.id, counter.address)
    own = site.prompts.texts.get(lang, {}).get(f"adres-{ident}")
    return own or _text(site, lang, "adres").format(address=address)


def menu_text(site: Site, lang: str, prefix: str = "") -> str:
    """The menu of the keys after ``prefix``: each topic by its label, each group of longer
    choices by the key that opens it."""
    return " ".join(line for _, line in menu_lines(site, lang, prefix))


def menu_lines(site: Site, lang: str, prefix: str = "") -> list[tuple[str, str]]:
    """The menu after ``prefix`` sentence by sentence, in the order said: (key, sentence)."""
    lines: list[tuple[str, str]] = []
    groups: set[str] = set()
    for t in site.topics:
        if not t.digit.startswith(prefix) or t.digit == prefix:
            continue
        rest = t.digit[len(prefix) :]
        if len(rest) == 1:
            label = site.prompts.texts.get(lang, {}).get(f"label-{t.id}") or t.label.lower()
            text = _text(site, lang, "menu-keuze").format(label=label, key=spoken_key(rest, lang))
            lines.append((rest, text))
        elif rest[0] not in groups:
            groups.add(rest[0])
            key = spoken_key(rest[0], lang)
            own = site.prompts.texts.get(lang, {}).get(f"groep-{prefix}{rest[0]}")
            named = own or site.menu_groups.get(prefix + rest[0])
            if named:
                text = _text(site, lang, "menu-keuze").format(
                    label=named[:1].lower() + named[1:], key=key
                )
            else:
                text = _text(site, lang, "menu-meer").format(key=key)
            lines.append((rest[0], text))
    return lines


def position_name(position: int) -> str:
    """The prompt that says a place in line."""
    if position <= 1:
        return "positie-1"
    return f"positie-{position}" if position <= POSITIONS else "positie-meer"


def wait_name(seconds: float) -> str:
    """The prompt that says an expected wait ("ongeveer N minuten"): the nearest of
    :data:`WAIT_MINUTES` (at least one minute), "more than half an hour" beyond 35 min."""
    minutes = max(1.0, seconds / 60)
    if minutes > WAIT_MINUTES[-1] + 5:
        return "wachttijd-meer"
    return f"wachttijd-{min(WAIT_MINUTES, key=lambda m: (abs(m - minutes), m))}"


def handover_name(reason: Reason) -> str:
    return f"vuurtoren-{reason.value}"


def prompts(site: Site, lang: str) -> list[Prompt]:
    """Every static prompt of one language, in the order a caller meets them. A region: each
    municipality's own welcome and menus under its id (``pelt/welkom``, ``pelt/menu-4``),
    then the region's others."""
    if not site.sites:
        return _prompts(site, lang)
    own = [
        replace(p, name=f"{local.site_id}/{p.name}", what=f"{local.name}: {p.what}")
        for local in site.sites
        for p in _prompts(local, lang)
        if is_own_prompt(p.name)
    ]
    return own + [p for p in _prompts(site, lang) if not is_own_prompt(p.name)]


def is_own_prompt(name: str) -> bool:
    """Whether a region's municipality has its own ``name`` (the welcome and its menus)."""
    return name in ("welkom", "menu") or name.startswith("menu-")


def _prompts(site: Site, lang: str) -> list[Prompt]:
    p = site.prompts
    recorded = p.recorded.get(lang, {})

    def one(name: str, text: str, what: str) -> Prompt:
        return Prompt(name, text, what, recorded.get(name))

    out = [one("welkom", _text(site, lang, "welkom").format(site=site.name), "welcome")]
    key = p.keys.get(lang, "")
    if len(p.languages) > 1 and key:  # the default language has no key: nobody is offered it
        out.append(
            one(
                "taalkeuze",
                _text(site, lang, "taalkeuze").format(key=spoken_key(key, lang)),
                f"offers this language (key {key}) to callers of the others",
            )
        )
    out.append(one("menu", menu_text(site, lang), "the topic menu"))
    for prefix in sub_menu_keys(site.topics):
        out.append(
            one(f"menu-{prefix}", menu_text(site, lang, prefix), f"the menu after key {prefix}")
        )
    out += [
        one("geen-keuze", _text(site, lang, "geen-keuze"), "no key pressed: the default topic"),
        one("ongeldig", _text(site, lang, "ongeldig"), "an unknown key: the default topic"),
    ]
    if site.teams is not None and site.teams.ask_postcode:
        out.append(
            one(
                "postcode-vraag",
                _text(site, lang, "postcode-vraag"),
                "neighbourhood teams: an unknown caller keys in their postcode",
            )
        )
    for reason in HANDOVER_REASONS:
        name = handover_name(reason)
        out.append(one(name, _text(site, lang, name), f"to the lighthouse: {reason.value}"))
    out.append(one("gesloten", _text(site, lang, "gesloten"), "the last resort"))
    for counter in site.counters:
        if counter.locations:
            choose = _text(site, lang, "plaats-keuze")
            text = " ".join(
                [_text(site, lang, "plaats-vraag")]
                + [
                    choose.format(key=spoken_key(key, lang), place=loc.name)
                    for key, loc in place_choices(counter)
                ]
            )
            what = f"the last resort: {counter.name}'s next session at the caller's address"
            out.append(one(f"plaatsen-{counter.id}", text, what))
    for i, h in enumerate(site.helplines, 1):
        text = _text(site, lang, "hulplijn").format(label=h.label, number=spoken_number(h.number))
        out.append(one(f"hulplijn-{i}", text, f"the last resort: {h.label} ({h.number})"))
    cb = site.callbacks
    out += [
        one("keuze-terugbellen", _text(site, lang, "keuze-terugbellen"), "offers a callback"),
        one("terugbellen-bevestigd", _text(site, lang, "terugbellen-bevestigd"), "callback noted"),
    ]
    if cb.queued:
        out += [
            one(
                "terugbellen-in-rij",
                _text(site, lang, "terugbellen-in-rij").format(key=spoken_key(cb.key, lang)),
                f"while waiting: key {cb.key} for a callback in one's place",
            ),
            one(
                "terugbellen-geen-nummer",
                _text(site, lang, "terugbellen-geen-nummer"),
                "no callback without a number: back in line",
            ),
        ]
    out.append(one("tot-ziens", _text(site, lang, "tot-ziens"), "goodbye"))
    out.append(one("positie-1", _text(site, lang, "positie-1"), "in line: next"))
    for n in range(2, POSITIONS + 1):
        text = _text(site, lang, "positie").format(n=n)
        out.append(one(f"positie-{n}", text, f"in line: place {n}"))
    meer = _text(site, lang, "positie-meer").format(n=POSITIONS)
    out.append(one("positie-meer", meer, f"in line: further back than {POSITIONS}"))
    for m in WAIT_MINUTES:
        text = (
            _text(site, lang, "wachttijd-1")
            if m == 1
            else _text(site, lang, "wachttijd").format(n=m)
        )
        out.append(one(f"wachttijd-{m}", text, f"expected wait: {m} min"))
    out.append(one("wachttijd-meer", _text(site, lang, "wachttijd-meer"), "expected wait: long"))
    out += [
        one("feature-loket", _text(site, lang, "feature-loket"), "desk phone: the counter's key"),
        one("feature-pin", _text(site, lang, "feature-pin"), "desk phone: the PIN"),
    ]
    out += [
        one(f"feature-{word}", _text(site, lang, f"feature-{word}"), f"desk phone: {what}")
        for word, what in RESULTS.items()
    ]
    return out


def place_choices(counter: Counter) -> list[tuple[str, Location]]:
    """The keys a caller presses for a mobile counter's addresses, in the site file's order
    (``1`` for the first); none for a counter with one address."""
    return [(str(i), loc) for i, loc in enumerate(counter.locations, 1)]


def next_open_text(
    site: Site,
    counter: Counter,
    next_open: datetime | None,
    now: datetime,
    lang: str,
    relative: bool = True,
    location: Location | None = None,
) -> str:
    """ "Het woonloket is opnieuw open op dinsdag 24 november om 9 uur, in de Stationsstraat
    12." (``next_open`` and ``now`` in any zone: spoken in the site's; ``relative``: "morgen"
    for tomorrow, see :func:`spoken_day`)."""
    name = counter_name(site, counter, lang)
    if next_open is None:
        return _sentence(_text(site, lang, "opent-niet").format(name=name))
    when = spoken_moment(next_open.astimezone(site.zone), now.astimezone(site.zone), lang, relative)
    where = counter_where(site, counter, lang, next_open, location)
    return _sentence(_text(site, lang, "opent").format(name=name, when=when, where=where))


def _sentence(text: str) -> str:
    """A sentence begins with a capital ("het woonloket is…" → "Het woonloket is…")."""
    return text[:1].upper() + text[1:]


def reason_text(site: Site, note: str, lang: str) -> str:
    """The reason a manager gave for a closure or an override, as said to the caller."""
    return _text(site, lang, "reden").format(note=note.strip().rstrip("."))
