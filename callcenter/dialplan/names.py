"""Names the callback feature and the queue reminders share between the generated dialplan,
the simulated Asterisk, the tracker and the dialer (``callcenter/contacts/dialer.py``), and
the other names the generated dialplan and Vuurtoren agree on (AstDB keys, the fail-safe's
records, the desk phone's results, the hold loop). Imports only the site model.
"""

from __future__ import annotations

from routing.site import Site

QUEUE_EXIT_CONTEXT = "vuurtoren-queue-exit"
"""queues.conf ``context``: a waiting caller's key press that leads here leaves the queue."""
OWN_WORKER_CONTEXT = "vuurtoren-own-worker"
"""Neighbourhood teams: ``<team queue>,1`` rings ``VT_WORKER`` (the caller's own social
worker's phone) ``VT_RING`` seconds, then goes on to that queue."""
OWN_WORKER_ANSWERED = "vuurtoren-own-worker-answered"
"""Run on the worker's channel when it answers (``Dial`` option ``U``): it sends
``UserEvent(OwnWorker)``, which the tracker records as the call answered."""
OWN_WORKER_EVENT = "OwnWorker"
"""The ``UserEvent`` the worker's answering channel sends."""
POSTCODE_CONTEXT = "vuurtoren-postcode"
"""Neighbourhood teams: an unknown caller keys in their postcode (``Read``, 4 keys), then a
second ``RouteRequest`` with ``Postcode``."""
WAIT_CONTEXT = "vuurtoren-callback-queue"
"""Where a callback waits in line in the caller's place: ``Local/<queue>@<this>/n``."""
DIAL_CONTEXT = "vuurtoren-callback"
"""The citizen's side of a callback (exten ``citizen``); its ``h`` reports the result."""
WHISPER_CONTEXT = "vuurtoren-whisper"
"""Where a waiting caller's reminder is played: ``Local/s@<this>/n``, whose other side runs
``ChanSpy(<caller>,qEW)`` (``callcenter/calls/queue_voice.py``)."""
CALLBACK_PREFIX = "vtcb-"
"""Uniqueids (``ChannelId``) of the channels Vuurtoren originates for callbacks: calls whose
Linkedid starts with it are callbacks, not calls to the central number."""
COUNTER_QUEUE_TIMEOUT = 180
"""Seconds a caller waits in a counter's queue (``Queue()``'s timeout) before the dialplan
takes them on to the lighthouse."""
LIGHTHOUSE_QUEUE_TIMEOUT = 600
"""Seconds a caller waits in the lighthouse's queue before the last resort."""
RESULT_TREE = "cbresult"
"""AstDB ``vuurtoren/cbresult/<channel id>`` = ``epoch,request,status,call,talk``: a
callback's result, kept by the dialplan before it sends ``CallbackResult`` (the dialer
deletes it once stored, and reads what is left after a reconnect)."""

RESULT_CONTEXT = "vuurtoren-feature-result"

RESULTS = {
    "loggedin": "aangemeld",
    "loggedout": "afgemeld",
    "closed": "loket gesloten",
    "opened": "loket weer open",
    "wrongpin": "verkeerde PIN",
    "blocked": "te veel verkeerde PINs: even geblokkeerd",
    "unknown": "dit toestel hoort bij geen gebruiker",
    "refused": "niet toegestaan",
    "failed": "niet gelukt",
}
"""The result words (the prompts ``feature-<word>``) and what they say."""

FAILSAFE_TREE = "failsafe"

CALLBACK_TREE = "callback"

VISIT_TREE = "visit"

RECORD_VERSION = "v2"
"""The first field of a fail-safe record that carries the counter's reason."""
RECORD_VERSION_SITE = "v3"
"""A region's fail-safe record: ``v2``'s fields and the municipality (``VT_SITE``) before
the caller."""

LAST_RESORT_TARGET = "@last-resort"
"""A fail-safe record's target when the call went to the last resort (no queue is named so:
queue names have no '@')."""

HANGUP_TARGET = "@hangup"
"""The target of a call that hung up before it was routed while Vuurtoren was away."""

ASTDB_FAMILY = "vuurtoren"
"""AstDB family the dialplan's fail-safe reads: key ``counter/<id>`` (and
``counter/lighthouse``) is ``open``, ``closed`` or ``unstaffed`` (open, but nobody who can
answer: no member logged in, or every one paused beyond the grace or unavailable);
``announce/<id>/<language>`` is what a caller hears of a closed counter in the fail-safe's
last resort or lighthouse (``VT_ANNOUNCE``: its reason and next opening, rendered files);
``announce/at/<location>/<language>`` the next session at one address of a mobile counter,
which a last-resort caller asks for with that address's key (:data:`PLACES_CONTEXT`)."""

PLACES_CONTEXT = "last-resort-places"
"""Dialplan context with an extension per mobile counter: in the last resort the caller
presses their address's key and hears the counter's next session there."""

HEARTBEAT_KEY = "heartbeat"
"""AstDB ``vuurtoren/heartbeat``: the epoch second the service last said it is routing. The
dialplan takes Vuurtoren as away when it is older than :data:`HEARTBEAT_FRESH_SECONDS` (a
call hung up before routing, a callback request: it leaves a record in AstDB then)."""

HEARTBEAT_FRESH_SECONDS = 15
"""A heartbeat younger than this means the service is there (three beats)."""


def menu_prefixes(site: Site) -> list[str]:
    """Key sequences after which the menu waits for one more key: every proper prefix of a
    topic's keys (``9`` for topics ``91`` and ``92``) and of the languages' keys (``*`` for
    ``*1``). A complete choice that is no prefix of another is acted on at once."""
    keys = [t.digit for t in site.topics] + list(site.prompts.keys.values())
    return sorted({k[:n] for k in keys for n in range(1, len(k))})


HOLD_MUSIC_APP = "StartMusicOnHold"

HOLD_STEP_APP = "Wait"
"""The hold loop while Vuurtoren decides: music started in the background, then ``Wait(1)``
steps, so the wait lasts ``failsafe_seconds`` of real time whether or not the music can play
(``MusicOnHold(class,1)`` returns at once when the class cannot play). The simulated Asterisk
reads these to hold callers the same way."""

FEATURE_WAIT = 10
"""Seconds a desk phone waits for Vuurtoren's answer to a feature code (checking a PIN takes
a hash) before it says "failed"."""
