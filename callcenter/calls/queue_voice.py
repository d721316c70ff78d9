"""What a caller hears while waiting in a queue: their place in line and an honest expected
wait, with the key for a callback when queued callbacks are on; only when there is a wait,
and again every ``[prompts] queue_announce_seconds``.

Time to a person comes first: a caller joins the queue at once and nothing is said before an
idle agent rings. The first words come :data:`FIRST_WHEN_BUSY` seconds after joining when no
agent has been rung for the caller (a real wait), else after :data:`FIRST_WHEN_RINGING` (an
agent was rung and has not answered: a wait after all). A lighthouse caller whose counter is closed
hears, in that first whisper, when the counter opens again (and the manager's reason).
The place is the caller's place in Asterisk's line as the tracker follows it
(``QueueCallerJoin`` positions, kept places of callback stand-ins included).

Honest: the expected wait comes from how fast this queue answered its callers in the last
half hour (the place times the time between answers, counted up to now, so a line that has
stalled says so), not from Asterisk's rolling average of hold times. With fewer than
:data:`MIN_ANSWERS` recent answers it falls back to the work ahead shared over the agents
logged in (the counter's average handle time), and says nothing of the wait when nobody is
logged in.

Every such word is whispered over the music: Vuurtoren originates
``Local/s@vuurtoren-whisper/n`` running ``ChanSpy(<the caller's channel>,qEW)``; its other
side plays the files, which ChanSpy whispers to the caller only. Nothing is synthesised:
every place (up to 20) and every wait (to half an hour) is a prompt built ahead.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from callcenter.ami import AMIClient, AMIError, Message
from callcenter.dialplan.names import COUNTER_QUEUE_TIMEOUT, WHISPER_CONTEXT
from callcenter.dialplan.prompts import position_name, wait_name
from routing.site import Site
from routing.types import Decision, Target

if TYPE_CHECKING:
    from callcenter.calls.tracker import CallTracker

__all__ = ["FIRST_WHEN_BUSY", "FIRST_WHEN_RINGING", "MIN_ANSWERS", "RECENT", "QueueVoice"]

log = logging.getLogger(__name__)

RECENT = timedelta(minutes=30)
"""How far back the answers that make an expected wait go."""
MIN_ANSWERS = 3
"""Recent answers needed before the queue's own pace is trusted."""
LIGHTHOUSE_HANDLE_SECONDS = 180
"""The lighthouse's handle time when it has no pace of its own yet."""
FIRST_WHEN_BUSY = timedelta(seconds=2)
"""A caller for whom no agent rings hears their place this soon after joining."""
FIRST_WHEN_RINGING = timedelta(seconds=15)
"""A caller for whom an agent was rung hears their place only if still waiting after this
(a member's ring time): mostly they are talking to the agent by then."""
TICK = 1.0
"""Virtual seconds between looks at who is due an announcement."""
PER_TICK = 50
"""Whispers asked of Asterisk per tick at most (10 a second at real speed)."""


class QueueVoice:
    def __init__(
        self,
        site: Site,
        ami: AMIClient,
        tracker: CallTracker,
        now: Callable[[], datetime],
        closed_words: Callable[[Decision, datetime, str], list[str]] = lambda d, t, lang: [],
    ) -> None:
        """``closed_words``: the ready files that say a closed counter's reason and next
        opening (the announcer's), for a lighthouse caller's first whisper."""
        self.site = site
        self.closed_words = closed_words
        self.ami = ami
        self.tracker = tracker
        self.now = now
        self.every = timedelta(seconds=site.prompts.queue_announce_seconds)
        self._answers: dict[str, deque[datetime]] = {}
        self._said: dict[str, datetime] = {}
        """Waiting callers (queue Uniqueid) → when they last heard their place (absent: not
        yet)."""
        self._handle = {c.queue: c.average_handle_seconds for c in site.counters}
        self._handle[site.lighthouse.queue] = LIGHTHOUSE_HANDLE_SECONDS
        self.whispers = 0

    @property
    def on(self) -> bool:
        return self.every > timedelta(0)

    # -- figures ---------------------------------------------------------------------------------
    def answered(self, queue: str, at: datetime) -> None:
        """A caller of ``queue`` was put through (AgentConnect)."""
        answers = self._answers.setdefault(queue, deque(maxlen=200))
        answers.append(at)

    def per_caller(self, queue: str, now: datetime) -> float | None:
        """Seconds between two answers in ``queue`` now: its own pace when it answered
        enough callers lately, else its handle time shared over those who can answer; None
        when nobody can say (nobody to answer)."""
        recent = [t for t in self._answers.get(queue, ()) if now - t <= RECENT]
        if len(recent) >= MIN_ANSWERS:
            span = max(60.0, (now - recent[0]).total_seconds())
            return span / len(recent)
        live = self.tracker.queues.get(queue)
        agents = live.staffing(now) if live is not None else 0
        if not agents:
            return None
        return self._handle.get(queue, LIGHTHOUSE_HANDLE_SECONDS) / agents

    def expected_wait(self, queue: str, position: int, now: datetime) -> float | None:
        """Seconds until a caller at ``position`` is answered; None when nobody can say.
        The caller at the head waits, on average, half the time between two answers (the
        agents are mid-call, not starting one); each place behind adds a whole one."""
        per = self.per_caller(queue, now)
        return None if per is None else (position - 0.5) * per

    def _until_person(
        self, queue: str, wait: float | None, joined: datetime, now: datetime
    ) -> float | None:
        """A counter's caller waits there at most until its queue's timeout, then goes to
        the lighthouse (when someone there can answer): the wait until a person is the
        shorter of the two ways."""
        lighthouse = self.site.lighthouse.queue
        lh = self.tracker.queues.get(lighthouse)
        if queue == lighthouse or lh is None or not lh.staffing(now):
            return wait
        left = max(0.0, COUNTER_QUEUE_TIMEOUT - (now - joined).total_seconds())
        per = self.per_caller(lighthouse, now)
        there = 0.0 if per is None or not lh.waiting else (len(lh.waiting) + 0.5) * per
        return left + there if wait is None else min(wait, left + there)

    def words(
        self,
        queue: str,
        position: int,
        lang: str,
        now: datetime,
        joined: datetime | None = None,
    ) -> list[str]:
        """The prompts that say a place and the expected wait (and the callback key) to a
        caller at ``position`` who joined ``queue`` at ``joined``."""
        wait = self.expected_wait(queue, position, now)
        if joined is not None:
            wait = self._until_person(queue, wait, joined, now)
        return self._say(position, wait, lang)

    def _say(self, position: int, wait: float | None, lang: str) -> list[str]:
        names = [position_name(position)]
        if wait is not None:
            names.append(wait_name(wait))
        if self.site.callbacks.queued:
            names.append("terugbellen-in-rij")
        base = self.site.prompts.dir.rstrip("/")
        return [f"{base}/{lang}/{n}" for n in names]

    # -- the repeats -----------------------------------------------------------------------------
    def due(self, now: datetime) -> list[tuple[str, str, list[str]]]:
        """(queue Uniqueid, channel, files) of the waiting callers due words now, the
        longest untold first, at most :data:`PER_TICK` (the rest follow a tick later:
        Asterisk is never asked for a flood of whispers when the lines are very long)."""
        candidates = []
        said_of = self._said
        again = now - self.every
        busy_first, ringing_first = now - FIRST_WHEN_BUSY, now - FIRST_WHEN_RINGING
        waiting = 0
        for queue in self.tracker.queues.values():
            if not queue.waiting:
                continue
            waiting += len(queue.waiting)
            # the queue's callers in Asterisk's order (a dict keeps it): their places
            for position, (uid, joined) in enumerate(queue.waiting.items(), 1):
                said = said_of.get(uid)
                if said is None:
                    if joined <= busy_first and (
                        joined <= ringing_first or not self._rung(uid, queue.name)
                    ):
                        candidates.append((joined, uid, queue.name, position, True, joined))
                elif said <= again:
                    candidates.append((said, uid, queue.name, position, False, joined))
        if len(said_of) > 2 * waiting + 100:  # now and then, forget those who left
            here = {uid for q in self.tracker.queues.values() for uid in q.waiting}
            self._said = said_of = {u: t for u, t in said_of.items() if u in here}
        out = []
        for _, uid, queue_name, position, first_time, joined in sorted(candidates)[:PER_TICK]:
            said_of[uid] = now
            call = self.tracker.call_by_uniqueid(uid)
            if call is None or call.channel is None:
                continue  # a callback waiting in someone's place: nobody to tell
            lang = call.language or self.site.prompts.languages[0]
            files = self.words(queue_name, position, lang, now, joined)
            d = call.decision
            if first_time and d is not None and d.target is Target.LIGHTHOUSE:
                files = self.closed_words(d, now, lang) + files
            out.append((uid, call.channel, files))
        return out

    def _rung(self, uid: str, queue: str) -> bool:
        """Whether an agent was rung for this caller's visit (AgentCalled): they are about
        to be answered, most likely."""
        call = self.tracker.call_by_uniqueid(uid)
        if call is None:
            return False
        return any(v.queue == queue and v.open and v.agents_rung for v in call.visits)

    def whisper(self, channel: str, files: list[str]) -> None:
        """Have ``files`` whispered to the caller on ``channel`` (fire and forget)."""
        action = Message.action(
            "Originate",
            ("Variable", f"VT_ANNOUNCE={'&'.join(files)}"),
            Channel=f"Local/s@{WHISPER_CONTEXT}/n",
            Application="ChanSpy",
            Data=f"{channel},qEW",
            CallerID="Vuurtoren",
            Timeout="5000",
            Async="true",
        )
        try:
            self.ami.send_nowait(action)
        except AMIError as exc:
            log.debug("whisper to %s not sent: %s", channel, exc)
            return
        self.whispers += 1

    async def run(self, sleep: Callable[[float], object]) -> None:
        """Every :data:`TICK` virtual seconds, whisper to whoever is due."""
        while True:
            batch = []
            if self.on and self.ami.state.value == "connected":
                try:
                    batch = self.due(self.now())
                except Exception:  # never let the reminders stop for good
                    log.exception("queue announcements failed")
            if not batch:
                await sleep(TICK)  # type: ignore[misc]
                continue
            # spread over the tick, not in a burst: Asterisk and the routing see a trickle
            gap = TICK / len(batch)
            for _, channel, files in batch:
                self.whisper(channel, files)
                await sleep(gap)  # type: ignore[misc]
