"""The wallboard's figures against values worked out by hand: today's tallies per queue (the
definitions of docs/service.md), the site summary, each tile's state and why, its next change,
the colours; the JSON, the page and the stream."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from callcenter.calls.service import CallService
from callcenter.figures.today import Today, attention, change_label
from callcenter.services.operations import Operations
from callcenter.staff.users import User
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from dashboard.wallboard import BOARD
from routing.site import Site
from routing.types import Decision, Reason, Target
from schedules.overrides import Override, OverrideMode
from tests.dashboard.conftest import Session
from tests.dashboard.test_public_hours import Fixed
from tests.service.conftest import at

Browse = Callable[[], Awaitable[Session]]
V = VisitOutcome


def visit(queue: str, joined: datetime, outcome: V | None, wait: int) -> Visit:
    return Visit(queue, joined, 1, "u", joined + timedelta(seconds=wait), outcome, wait)


def call(
    cid: str,
    started: datetime,
    target: Target,
    reason: Reason,
    visits: list[Visit],
    outcome: Outcome | None = Outcome.ANSWERED,
    counter: str = "sociale-dienst",
) -> CallRecord:
    queue = {Target.COUNTER: counter, Target.LIGHTHOUSE: "lighthouse"}.get(target)
    c = CallRecord(cid, started, caller="+32470000001")
    c.decision = Decision(target, queue, counter, "financiele-hulp", reason, None, None)
    c.visits = visits
    c.outcome = outcome
    return c


def test_todays_tallies_and_summary_by_hand(example_site: Site) -> None:
    now = at("2026-11-23 15:00")
    today = Today(example_site, lambda: now)
    t = at("2026-11-23 10:00")
    sd, lh = "sociale-dienst", "lighthouse"
    today.load(
        [
            # answered at once in the counter's queue (10 s: within the 20 s threshold)
            call("1", t, Target.COUNTER, Reason.OPEN, [visit(sd, t, V.ANSWERED, 10)]),
            # answered after 40 s
            call("2", t, Target.COUNTER, Reason.OPEN, [visit(sd, t, V.ANSWERED, 40)]),
            # gave up after 60 s
            call(
                "3",
                t,
                Target.COUNTER,
                Reason.OPEN,
                [visit(sd, t, V.ABANDONED, 60)],
                Outcome.ABANDONED,
            ),
            # gave up within the short-abandon threshold: in no rate
            call(
                "4",
                t,
                Target.COUNTER,
                Reason.OPEN,
                [visit(sd, t, V.ABANDONED_SHORT, 3)],
                Outcome.ABANDONED,
            ),
            # timed out of the counter, answered by the lighthouse
            call(
                "5",
                t,
                Target.COUNTER,
                Reason.OPEN,
                [visit(sd, t, V.TIMEOUT, 180), visit(lh, t, V.ANSWERED, 5)],
            ),
            # closed counter: the lighthouse answered (covered)
            call("6", t, Target.LIGHTHOUSE, Reason.CLOSED, [visit(lh, t, V.ANSWERED, 8)]),
            # holiday: the lighthouse lost it (not covered)
            call(
                "7",
                t,
                Target.LIGHTHOUSE,
                Reason.HOLIDAY,
                [visit(lh, t, V.ABANDONED, 30)],
                Outcome.ABANDONED,
            ),
            # overflow to the lighthouse: the callback key
            call(
                "8",
                t,
                Target.LIGHTHOUSE,
                Reason.OVERFLOW,
                [visit(lh, t, V.CALLBACK, 12)],
                Outcome.CALLBACK,
            ),
            # closed, lighthouse closed too: the last resort
            call("9", t, Target.LAST_RESORT, Reason.CLOSED, [], Outcome.LAST_RESORT),
            # yesterday: not today
            call(
                "0",
                at("2026-11-22 23:50"),
                Target.COUNTER,
                Reason.OPEN,
                [visit(sd, at("2026-11-22 23:50"), V.ANSWERED, 5)],
            ),
        ]
    )
    day = today.figures()
    s = day.queues[sd].as_json()
    assert (s["queued"], s["answered"], s["abandoned"], s["abandoned_short"], s["timeout"]) == (
        5,
        2,
        1,
        1,
        1,
    )
    # SL = answered within 20 s / (An + Ab + TO) = 1 / 4; ASA = (10 + 40) / 2
    assert (s["service_level"], s["asa_seconds"]) == (0.25, 25.0)
    lhs = day.queues[lh].as_json()
    assert (lhs["queued"], lhs["answered"], lhs["abandoned"], lhs["callback"]) == (4, 2, 1, 1)
    # SL lighthouse: 5 s and 8 s within 20 / (2 + 1 + 0); CB left out
    assert lhs["service_level"] == pytest.approx(2 / 3, abs=1e-4)
    assert day.calls == 9 and day.routed == 9
    assert dict(day.lighthouse) == {"closed": 1, "holiday": 1, "overflow": 1}
    # closed contacts: 6 (covered), 7 (not), 9 (last resort) -> 1 of 3
    assert (day.closed, day.closed_covered, day.last_resort) == (3, 1, 1)
    # answered in the first queue: 1, 2, 6 of the 8 calls that reached a queue
    assert (day.queued_calls, day.first_queue_answered) == (8, 3)


def test_a_call_still_up_counts_what_has_ended_and_the_day_rolls_over(example_site: Site) -> None:
    clock = Fixed(at("2026-11-23 10:05"))
    today = Today(example_site, clock.now)
    t = at("2026-11-23 10:00")
    talking = call("up", t, Target.COUNTER, Reason.OPEN, [visit("onthaal", t, V.ANSWERED, 15)])
    talking.outcome = None
    waiting = call("w", t, Target.COUNTER, Reason.OPEN, [visit("onthaal", t, None, 0)])
    waiting.outcome = None
    day = today.figures([talking, waiting])
    assert (day.queues["onthaal"].answered, day.queues["onthaal"].queued, day.calls) == (1, 1, 2)
    assert today.figures().queues["onthaal"].queued == 0  # nothing stored by looking
    today.add(call("done", t, Target.COUNTER, Reason.OPEN, [visit("onthaal", t, V.ANSWERED, 5)]))
    assert today.figures().queues["onthaal"].answered == 1
    clock.value = at("2026-11-24 00:00:01")  # midnight in Brussels: a new day
    assert today.figures().queues["onthaal"].answered == 0 and today.day.isoformat() == "2026-11-24"


@pytest.mark.parametrize(
    ("longest", "sl", "level"),
    [
        (None, None, "ok"),
        (119, 0.95, "ok"),
        (120, 0.95, "amber"),
        (299, None, "amber"),
        (300, None, "red"),
        (10, 0.79, "amber"),
        (10, 0.69, "red"),
        (10, 0.70, "amber"),
    ],
)
def test_colours_follow_the_thresholds(
    example_site: Site, longest: int | None, sl: float | None, level: str
) -> None:
    assert attention(longest, sl, example_site)[0] == level


def test_next_change_in_words(example_site: Site) -> None:
    now = at("2026-11-23 10:00")
    assert change_label(at("2026-11-23 12:00"), now, True, example_site) == "sluit om 12:00"
    assert change_label(at("2026-11-24 08:30"), now, False, example_site) == (
        "opent morgen om 08:30"
    )
    assert change_label(at("2026-11-27 09:00"), now, False, example_site) == (
        "opent vr 27/11 om 09:00"
    )
    assert change_label(None, now, False, example_site) == "geen opening gepland"


@pytest.fixture
def monday(service: CallService) -> Fixed:
    clock = Fixed(at("2026-11-23 10:00"))
    service.clock = clock
    return clock


async def test_the_board_says_why_a_counter_is_closed_and_when_it_changes(
    browse: Browse, people: dict[str, User], ops: Operations, service: CallService, monday: Fixed
) -> None:
    service.overrides = lambda: [
        Override(
            "woonloket",
            OverrideMode.CLOSED,
            at("2026-11-23 09:00"),
            at("2026-11-23 11:00"),
            note="Personeelsvergadering",
            kind="temporary",
            created_by="mia",
        )
    ]
    ops.overrides.current = service.overrides  # type: ignore[method-assign]
    manager = await browse()
    assert (await manager.login("manager1")).status == 303
    board = await (await manager.api("GET", "/api/wallboard")).json()
    tiles = {t["id"]: t for t in board["tiles"]}
    woon = tiles["woonloket"]
    assert (woon["open"], woon["reason"]) == (False, "override")
    assert woon["override_label"] == "uitzondering door mia: Personeelsvergadering"
    assert woon["next_change_label"] == "opent om 11:00"  # the override ends, the hours hold
    sd = tiles["sociale-dienst"]
    assert (sd["open"], sd["reason"], sd["next_change_label"]) == (True, "open", "sluit om 12:00")
    assert tiles["lighthouse"]["kind"] == "lighthouse" and "on_duty" in tiles["lighthouse"]
    assert board["at"] == "2026-11-23T10:00:00+01:00" and board["speed"] == 1.0
    page = await (await manager.client.get("/")).text()
    assert "uitzondering door mia: Personeelsvergadering" in page and "sluit om 12:00" in page
    assert 'id="board-data"' in page
    monday.value = at("2026-12-25 10:00")  # Christmas: a holiday
    manager.client.server.app[BOARD]._built = None  # a board is shared for 0.2 s
    board = await (await manager.api("GET", "/api/wallboard")).json()
    tiles = {t["id"]: t for t in board["tiles"]}
    assert (tiles["sociale-dienst"]["open"], tiles["sociale-dienst"]["reason"]) == (
        False,
        "holiday",
    )


async def test_the_stream_sends_the_board_first(
    browse: Browse, people: dict[str, User], monday: Fixed
) -> None:
    agent = await browse()
    assert (await agent.login("agent1")).status == 303
    resp = await agent.client.get("/api/wallboard/stream")
    try:
        assert resp.headers["Content-Type"] == "text/event-stream"
        assert await resp.content.readline() == b"event: board\n"
        data = json.loads((await resp.content.readline()).split(b":", 1)[1])
        assert len(data["tiles"]) == 1 + len(data["tiles"][1:]) and data["tiles"][0]["id"] == (
            "lighthouse"
        )
    finally:
        resp.close()
    counter = await browse()
    assert (await counter.login("counter1")).status == 303
    assert (await counter.api("GET", "/api/wallboard")).status == 403


def test_the_board_in_the_page_cannot_end_its_script_block() -> None:
    from dashboard.app import _script_json

    text = str(_script_json({"note": "</script><b>x</b> & co"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"note": "</script><b>x</b> & co"}


async def test_a_change_reaches_the_screens_at_once(
    browse: Browse, people: dict[str, User], service: CallService, monday: Fixed
) -> None:
    """After a burst of queue changes every watching screen gets a fresh board (within the
    half second the burst is gathered), not at the next keepalive."""
    import asyncio

    agent = await browse()
    assert (await agent.login("agent1")).status == 303
    streams = [await agent.client.get("/api/wallboard/stream") for _ in range(3)]
    try:
        for resp in streams:
            assert await resp.content.readline() == b"event: board\n"
            await resp.content.readline()
            await resp.content.readline()
        service.bus.publish("queue", {"queue": "onthaal"})
        async with asyncio.timeout(3):
            for resp in streams:
                assert await resp.content.readline() == b"event: board\n"
    finally:
        for resp in streams:
            resp.close()


async def test_an_alert_says_since_when(
    browse: Browse, people: dict[str, User], service: CallService, monday: Fixed
) -> None:
    """Issue 25, point 10: the alert list says since when each alert stands; the time stays
    while it stands, and starts again when it comes back. The screen offers a sound."""
    service.written["lighthouse"] = "unstaffed"
    [first] = service.alerts()
    assert first["id"] == "lighthouse-unstaffed" and first["since"].startswith("2026-11-23T10:00")
    monday.value += timedelta(minutes=7)
    assert service.alerts()[0]["since"] == first["since"]  # still standing: the same time
    service.written["lighthouse"] = "open"
    assert service.alerts() == []
    service.written["lighthouse"] = "unstaffed"
    assert service.alerts()[0]["since"].startswith("2026-11-23T10:07")
    manager = await browse()
    assert (await manager.login("manager1")).status == 303
    page = await (await manager.client.get("/")).text()
    assert "(sinds 10:07)" in page
    assert 'id="geluid"' in page and "Geluid bij een melding of een rode tegel" in page
