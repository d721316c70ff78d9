"""The public opening hours: no login, no personal data, what the routing uses (overrides
included), embeddable JSON, Dutch page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from callcenter.calls.service import CallService
from callcenter.planning.overrides import OverrideStore
from dashboard.keys import OPS
from tests.dashboard.conftest import Session
from tests.service.conftest import at

Browse = Callable[[], Awaitable[Session]]


class Fixed:
    def __init__(self, now: datetime) -> None:
        self.value = now

    def now(self) -> datetime:
        return self.value

    async def sleep(self, virtual_seconds: float) -> None:  # pragma: no cover - unused
        raise AssertionError


@pytest.fixture
def monday(service: CallService) -> Fixed:
    clock = Fixed(at("2026-11-23 10:00"))
    service.clock = clock
    return clock


async def test_the_json_says_who_is_open_now_and_next(
    browse: Browse, monday: Fixed, app: Any
) -> None:
    anyone = await browse()
    resp = await anyone.client.get("/api/public/hours")
    assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"
    data = await resp.json()
    places = {p["id"]: p for p in data["places"]}
    assert len(places) == 12 and data["at"] == "2026-11-23T10:00:00+01:00"
    assert places["sociale-dienst"]["open_now"] is True
    assert places["sociale-dienst"]["next_change"] == "2026-11-23T12:00:00+01:00"
    assert places["schuldbemiddeling"]["open_now"] is False  # Tu, Th only
    assert places["schuldbemiddeling"]["next_open"] == "2026-11-24T09:00:00+01:00"
    assert places["woonloket"]["address"] == "Stationsstraat 12"
    assert places["woonloket"]["days"][1]["open"] == [["09:00", "12:00"], ["14:00", "18:00"]]
    assert "queue" not in places["woonloket"]  # nothing internal, nothing personal
    text = await resp.text()
    assert "+32" not in text and "caller" not in text


async def test_an_override_shows_on_the_public_page_at_once(
    browse: Browse, monday: Fixed, app: Any
) -> None:
    store: OverrideStore = app[OPS].overrides
    store.now = monday.now
    await store.set(
        "woonloket", "closed", kind="emergency", reason="Gesloten wegens verhuis.", actor="mia"
    )
    anyone = await browse()
    data = await (await anyone.client.get("/api/public/hours")).json()
    woonloket = next(p for p in data["places"] if p["id"] == "woonloket")
    assert woonloket["open_now"] is False and woonloket["next_open"] is None
    assert woonloket["override"] == {
        "mode": "closed",
        "kind": "override",
        "until": None,
        "reason": "Gesloten wegens verhuis.",
    }
    page = await (await anyone.client.get("/openingsuren")).text()
    assert "Gesloten wegens verhuis." in page and "Nu gesloten" in page
    assert '<html lang="nl-BE">' in page and "Stationsstraat 12" in page


async def test_browsers_ask_again_each_time_and_see_a_closure_at_once(
    browse: Browse, monday: Fixed, app: Any
) -> None:
    """Issue 25, point 14: the page was kept 60 s by browsers (max-age): "Nu open" stood for a
    minute after an emergency closure. Now every look revalidates (a 304 while nothing
    changed) and the closure shows at the next one. The page gives the central number."""
    anyone = await browse()
    first = await anyone.client.get("/api/public/hours")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache" and "max-age" not in str(
        first.headers
    )
    same = await anyone.client.get("/api/public/hours", headers={"If-None-Match": etag})
    assert same.status == 304
    store: OverrideStore = app[OPS].overrides
    store.now = monday.now
    await store.set("woonloket", "closed", kind="emergency", reason="Lek.", actor="mia")
    after = await anyone.client.get("/api/public/hours", headers={"If-None-Match": etag})
    assert after.status == 200 and after.headers["ETag"] != etag
    woonloket = next(p for p in (await after.json())["places"] if p["id"] == "woonloket")
    assert woonloket["open_now"] is False
    page = await anyone.client.get("/openingsuren")
    assert page.headers["Cache-Control"] == "public, no-cache"
    text = await page.text()
    assert '<a class="phone" href="tel:078151515"><strong>078 15 15 15</strong></a>' in text
    again = await anyone.client.get(
        "/openingsuren", headers={"If-None-Match": page.headers["ETag"]}
    )
    assert again.status == 304
