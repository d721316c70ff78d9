"""What a routed call hears before its queue or the last resort, ready before the Redirect.

A decision's announcement is a list of prompt files (``VT_ANNOUNCE``, ``&``-separated, paths
without extension as Asterisk sees them): nothing for a counter that is open (the caller joins
its queue at once); for the lighthouse, why in one sentence (closed, holiday, a closure, an
override, busy, nobody there); for the last resort, the reason the manager gave and when the
counter opens again. A lighthouse caller who waits hears those in their first whisper
(``queue_voice.py``).

The sentences that change (the next opening, the manager's reason) are rendered ahead, not
on the call path: :meth:`Announcer.prepare` works out, for every counter and language, what
a caller would hear now and renders what is not there yet (a background task does it every
minute and whenever an override changes). A call takes a sentence only when its file is
ready; otherwise it hears the static prompt alone and the sentence is rendered for the next
caller. Files are named by a hash of their text (``dyn/<language>/<hash>.wav``): the same
words are rendered once. At most :data:`KEEP` are kept, the least recently used removed.

Without a folder to write in, or without espeak-ng and sox, the announcer renders nothing and
counts a sentence as ready at once (the simulated Asterisk only notes what a caller heard;
a real one skips a file that is not there).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from callcenter.dialplan.prompts import (
    HANDOVER_REASONS,
    handover_name,
    next_open_text,
    reason_text,
)
from callcenter.prompts.build import ConvertError, synthesise
from routing.decide import next_open, next_session, place_state
from routing.site import Counter, Location, Site
from routing.types import Decision, Reason, Target
from schedules.overrides import Override

__all__ = ["KEEP", "Announcer"]

log = logging.getLogger(__name__)

KEEP = 512
"""Rendered sentences kept (files and index); the least recently used go first."""
_WITH_NEXT_OPEN = frozenset({Reason.CLOSED, Reason.HOLIDAY, Reason.CLOSURE, Reason.OVERRIDE})
_WITH_NOTE = frozenset({Reason.CLOSURE, Reason.OVERRIDE})


class Announcer:
    def __init__(
        self,
        site: Site,
        folder: Path | None,
        now: Callable[[], datetime],
        overrides: Callable[[], Sequence[Override]] = tuple,
    ) -> None:
        """``folder``: where this process writes the rendered sentences, the same folder
        Asterisk reads as ``[prompts] dir`` (None: render nothing)."""
        self.site = site
        self.now = now
        self.overrides = overrides
        self.folder = folder
        self.audio = folder is not None and all(shutil.which(t) for t in ("espeak-ng", "sox"))
        self.ready: OrderedDict[tuple[str, str], str] = OrderedDict()
        """(language, text) → the file's name (``dyn/<language>/<hash>``), ready to play."""
        self.texts: dict[str, str] = {}
        """The file's name → its text (what a caller heard, for tests and logs)."""
        self._pending: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[int]] = set()
        self.rendered = 0
        self.failures = 0

    def language(self, lang: str | None) -> str:
        """The caller's language when the site speaks it, else the site's first."""
        return lang if lang in self.site.prompts.languages else self.site.prompts.languages[0]

    # -- the call path: no rendering here ---------------------------------------------------
    def announcement(self, decision: Decision, at: datetime, lang: str | None = None) -> list[str]:
        """The prompt files a call routed by ``decision`` hears before it goes on, as
        Asterisk finds them (``<dir>/<language>/<name>``): nothing before a counter's queue
        (the caller joins at once); before the lighthouse's, why in one sentence; before the
        last resort, the manager's reason and when the counter opens again (a sentence not
        rendered yet is left out, and rendered for the next caller)."""
        lang = self.language(lang)
        base = self.site.prompts.dir.rstrip("/")
        if decision.target in (Target.COUNTER, Target.OWN_WORKER):
            return []
        if decision.target is Target.LIGHTHOUSE:
            if decision.reason in HANDOVER_REASONS:
                return [f"{base}/{lang}/{handover_name(decision.reason)}"]
            return []
        return self.closed_words(decision, at, lang)

    def closed_words(self, decision: Decision, at: datetime, lang: str | None = None) -> list[str]:
        """The ready files of a closed counter's changing sentences (:meth:`sentences`):
        the last resort's words, and a waiting lighthouse caller's first whisper."""
        lang = self.language(lang)
        base = self.site.prompts.dir.rstrip("/")
        names = [self._take(lang, text) for text in self.sentences(decision, lang, at)]
        return [f"{base}/{n}" for n in names if n is not None]

    def sentences(self, decision: Decision, lang: str, at: datetime) -> list[str]:
        """The changing sentences of a decision: the manager's reason, the next opening."""
        if decision.counter is None:
            return []
        counter = self.site.counter(decision.counter)
        closed = decision.reason in _WITH_NEXT_OPEN and decision.target not in (
            Target.COUNTER,
            Target.OWN_WORKER,
        )
        if not closed:
            return []
        note = ""
        if decision.reason in _WITH_NOTE:
            state = place_state(self.site, counter.id, counter.hours, at, self.overrides())
            note = state.override.note if state.override is not None else ""
        return self._said(counter, decision.reason, note, decision.next_open, at, lang)

    def _said(
        self,
        counter: Counter,
        reason: Reason,
        note: str,
        opens: datetime | None,
        at: datetime,
        lang: str,
        relative: bool = True,
    ) -> list[str]:
        """A closed counter's sentences: the manager's reason (a closure's or override's
        note, when there is one), then when it opens again."""
        out = []
        if reason in _WITH_NOTE and note.strip():
            out.append(reason_text(self.site, note, lang))
        out.append(next_open_text(self.site, counter, opens, at, lang, relative))
        return out

    def _take(self, lang: str, text: str) -> str | None:
        key = (lang, text)
        name = self.ready.get(key)
        if name is not None:
            self.ready.move_to_end(key)
            return name
        self._render_soon(lang, text)
        return None

    # -- ahead of the calls ----------------------------------------------------------------------
    def _now_said(self, relative: bool = True) -> list[tuple[Counter, str, list[str]]]:
        """For each counter and language, the sentences a caller would hear now: a closed
        counter's reason and next opening, as a decision now would say them (none when
        it is open); not ``relative``: with the date, never "morgen"."""
        at = self.now()
        overrides = self.overrides()
        out: list[tuple[Counter, str, list[str]]] = []
        for counter in self.site.counters:
            state = place_state(self.site, counter.id, counter.hours, at, overrides)
            if state.open:  # rendered when it closes, for the callers after the first
                out += [(counter, lang, []) for lang in self.site.prompts.languages]
                continue
            nxt = next_open(counter.hours, counter.id, at, overrides)
            note = state.override.note if state.override is not None else ""
            for lang in self.site.prompts.languages:
                said = self._said(counter, state.reason, note, nxt, at, lang, relative)
                out.append((counter, lang, said))
        return out

    def _places_said(self) -> list[tuple[Location, str, str | None]]:
        """For each address of a mobile counter and language, its next session as a
        last-resort caller who presses that address's key hears it (with the date: it sits
        in AstDB); None while the counter is there now."""
        at = self.now()
        overrides = self.overrides()
        out: list[tuple[Location, str, str | None]] = []
        for counter in self.site.counters:
            for loc in counter.locations:
                there = loc.hours.is_open(at)
                session = None if there else next_session(counter, loc, at, overrides)
                for lang in self.site.prompts.languages:
                    text = None
                    if not there:
                        text = next_open_text(
                            self.site, counter, session, at, lang, relative=False, location=loc
                        )
                    out.append((loc, lang, text))
        return out

    def wanted(self) -> list[tuple[str, str]]:
        """Every sentence a caller could hear now, in every language: as the service says
        them, as the fail-safe does (:meth:`failsafe`), and a mobile counter's next session
        at each of its addresses."""
        both = [*self._now_said(), *self._now_said(relative=False)]
        said = [(lang, text) for _, lang, texts in both for text in texts]
        said += [(lang, text) for _, lang, text in self._places_said() if text]
        return list(dict.fromkeys(said))

    def failsafe(self) -> dict[str, str]:
        """What the dialplan's fail-safe plays when the service cannot route a call: for
        ``<counter>/<language>``, the ready sentences of :meth:`wanted` as ``VT_ANNOUNCE``
        (``&``-separated paths; empty for an open counter); for ``at/<address>/<language>``,
        a mobile counter's next session there (empty while it is there). Written to AstDB,
        and heard perhaps days later if the service stays away: with the date, never
        "morgen"."""
        base = self.site.prompts.dir.rstrip("/")
        out = {}
        for counter, lang, said in self._now_said(relative=False):
            names = [self._take(lang, text) for text in said]
            out[f"{counter.id}/{lang}"] = "&".join(f"{base}/{n}" for n in names if n)
        for loc, lang, text in self._places_said():
            name = self._take(lang, text) if text else None
            out[f"at/{loc.id}/{lang}"] = f"{base}/{name}" if name else ""
        return out

    async def prepare(self) -> int:
        """Render every sentence :meth:`wanted` that is not ready; returns how many."""
        made = 0
        for lang, text in self.wanted():
            if (lang, text) not in self.ready:
                made += await self._render(lang, text)
        return made

    def _render_soon(self, lang: str, text: str) -> None:
        if (lang, text) in self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._render(lang, text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _render(self, lang: str, text: str) -> int:
        key = (lang, text)
        if key in self.ready or key in self._pending:
            return 0
        self._pending.add(key)
        try:
            digest = hashlib.sha256(f"{self.site.prompts.voice(lang)}\0{text}".encode())
            name = f"dyn/{lang}/{digest.hexdigest()[:20]}"
            if self.audio:
                assert self.folder is not None
                target = self.folder / f"{name}.wav"
                if not target.exists():
                    try:
                        await synthesise(text, self.site.prompts.voice(lang), target, name)
                    except (ConvertError, OSError) as exc:
                        self.failures += 1
                        log.warning("announcement not rendered (%s): %r", exc, text)
                        return 0
                    self.rendered += 1
            self.ready[key] = name
            self.texts[name] = text
            while len(self.ready) > KEEP:
                _, old = self.ready.popitem(last=False)
                self.texts.pop(old, None)
                if self.audio and self.folder is not None:
                    with contextlib.suppress(FileNotFoundError):
                        (self.folder / f"{old}.wav").unlink()
            return 1
        finally:
            self._pending.discard(key)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
