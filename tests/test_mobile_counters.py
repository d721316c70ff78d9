"""A mobile counter (issue 28, point 3): one counter, one queue, several addresses each with
its own hours. The union of the hours against its parts (a property test over two years),
the site file's rules with their places, and what a caller hears, the commands print and
the public page shows: when *and where* it opens next."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.asterisk.config import generate
from callcenter.cli import main
from callcenter.dialplan.prompts import next_open_text, prompts
from routing.config import ConfigError, load_site, parse_site
from routing.decide import decide, next_session
from routing.openings import hours_report
from routing.site import Site
from routing.types import Reason, Target
from schedules.hours import AnyHours, Hours
from schedules.overrides import CLOSURE, Override, OverrideMode
from tests.service.conftest import at

ROOT = Path(__file__).resolve().parents[1]
ZITDAGEN = ROOT / "examples" / "zitdagen.toml"
BRUSSELS = ZoneInfo("Europe/Brussels")
SECRET = "a test secret of the AMI account, long enough"
PARTS = [
    "Mo 13:30-16:30; PH off",
    "Tu 09:00-12:00; PH off",
    "Tu 11:00-14:00",  # overlaps the one before: one stretch 09:00-14:00 on Tuesdays
    "Th 09:00-11:00; Dec 24-Dec 31 off",
    "Fr 13:30-15:30; PH off",
]


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(ZITDAGEN)


@pytest.fixture(autouse=True)
def no_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VUURTOREN_DATA_DIR", str(tmp_path / "none"))
    monkeypatch.delenv("VUURTOREN_DATABASE_URL", raising=False)


# -- the hours of all addresses together ---------------------------------------------------
UNION = AnyHours([Hours(p, BRUSSELS, "BE") for p in PARTS])
INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(INSTANTS)
def test_the_union_is_open_when_any_address_is_and_opens_at_the_first(t: datetime) -> None:
    assert UNION.is_open(t) == any(p.is_open(t) for p in UNION.parts)
    opening = UNION.next_open(t)
    firsts = [o for p in UNION.parts if (o := p.next_open(t)) is not None]
    assert opening == min(firsts)
    assert UNION.is_open(opening)
    change = UNION.next_change(t)
    assert change is not None and change > t
    assert UNION.is_open(change) != UNION.is_open(t)
    # nothing changes before it: every part's own changes in between leave the whole as is
    for part in UNION.parts:
        inner = part.next_change(t)
        if inner is not None and inner < change:
            assert UNION.is_open(inner) == UNION.is_open(t)


@settings(max_examples=100, deadline=None)
@given(INSTANTS)
def test_the_unions_intervals_cover_the_window_and_agree_with_is_open(t: datetime) -> None:
    end = t + timedelta(days=9)
    stretches = UNION.intervals(t, end)
    assert stretches[0].start == t and stretches[-1].end == end
    for a, b in itertools.pairwise(stretches):
        assert a.end == b.start and a.open != b.open  # merged: no two alike side by side
    for s in stretches:
        assert UNION.is_open(s.start) == s.open


def test_overlapping_sessions_are_one_stretch() -> None:
    day = at("2026-11-24 00:00").date()  # a Tuesday
    periods = UNION.open_periods_on(day)
    assert [(lo.strftime("%H:%M"), hi.strftime("%H:%M")) for lo, hi in periods] == [
        ("09:00", "14:00")
    ]


# -- the site file --------------------------------------------------------------------------
def test_the_example_reads_and_its_hours_are_its_addresses(site: Site) -> None:
    zitdag = site.counter("zitdag")
    assert [loc.id for loc in zitdag.locations] == ["anzegem", "vichte", "ingooigem", "tiegem"]
    assert zitdag.address == "" and isinstance(zitdag.hours, AnyHours)
    assert zitdag.location_at(at("2026-11-24 10:00")).id == "vichte"  # type: ignore[union-attr]
    assert zitdag.location_at(at("2026-11-24 13:00")) is None
    assert site.counter("onthaal").location_at(at("2026-11-24 10:00")) is None  # one address


COUNTER = """
[[counters]]
id = "zitdag"
name = "Zitdag"
organisation = "OCMW"
queue = "zitdag"
{extra}
  [[counters.locations]]
  id = "{first}"
  name = "Dorpshuis"
  address = "Dorpsstraat 1"
  hours = "Tu 09:00-12:00"
  postcodes = ["8570"]
{second}
"""
SECOND = """
  [[counters.locations]]
  id = "kerk"
  name = "Parochiezaal"
  address = "Kerkplein 2"
  hours = "Th 09:00-12:00"
  postcodes = {codes}
"""


def problems_of(text: str) -> list[str]:
    base = ZITDAGEN.read_text(encoding="utf-8")
    head = base[: base.index("[[counters]]")]
    tail = base[base.index("[[topics]]") :].replace('counter = "onthaal"', 'counter = "zitdag"')
    with pytest.raises(ConfigError) as err:
        parse_site(head + text + tail, "zitdagen")
    return [str(p) for p in err.value.problems]


def test_a_bad_mobile_counter_is_refused_with_every_place_named() -> None:
    found = problems_of(
        COUNTER.format(
            extra='hours = "Mo-Fr 09:00-12:00"\naddress = "Markt 1"',
            first="zitdag",  # the counter's own id
            second=SECOND.format(codes='["8570", "85"]'),
        )
    )
    where = "counters[0] (id 'zitdag')"
    for key in ("hours", "address"):
        takes = f"a counter with [[counters.locations]] takes its {key} from them"
        assert f"{where}.{key}: {takes}" in found
    assert any("duplicate counter or location id 'zitdag'" in p for p in found)
    assert any(
        p.startswith(f"{where}.locations[1] (id 'kerk').postcodes: must be a list of 4-digit")
        for p in found
    )
    alone = problems_of(COUNTER.format(extra="", first="dorp", second=""))
    assert any("a mobile counter has two addresses or more" in p for p in alone)
    twice = problems_of(
        COUNTER.format(extra="", first="dorp", second=SECOND.format(codes='["8570"]'))
    )
    assert any("duplicate postcode '8570'" in p for p in twice)
    many = "".join(
        SECOND.replace('id = "kerk"', f'id = "kerk{i}"').format(codes="[]") for i in range(9)
    )
    ten = problems_of(COUNTER.format(extra="", first="dorp", second=many))
    assert (
        f"{where}.locations: at most 9 addresses (a caller picks theirs with one key), got 10"
        in ten
    )


def test_the_last_resort_offers_the_addresses_by_key(site: Site) -> None:
    offer = {p.name: p.text for p in prompts(site, "nl")}["plaatsen-zitdag"]
    assert offer == (
        "Wilt u weten wanneer we in uw eigen dorp zijn? Toets 1 voor Sociaal Huis Anzegem. "
        "Toets 2 voor Dorpshuis Vichte. Toets 3 voor Parochiezaal Ingooigem. "
        "Toets 4 voor Bibliotheek Tiegem."
    )
    assert "plaatsen-onthaal" not in {p.name for p in prompts(site, "nl")}  # one address
    dialplan = generate(site, SECRET).extensions
    places = dialplan[dialplan.index("[last-resort-places]") :].split("\n\n")[0]
    assert 'ExecIf($["${KEY}" = "4"]?Set(PLACE=tiegem))' in places
    assert "Set(VT_ANNOUNCE=${DB(vuurtoren/announce/at/${PLACE}/${CHANNEL(language)})})" in places
    # a site without a mobile counter has no such step (its configuration stays as it was)
    plain = generate(load_site(ROOT / "examples" / "sociaal-huis.toml"), SECRET).extensions
    assert "last-resort-places" not in plain


# -- what the caller hears, what the commands and the page say ----------------------------
def test_a_closed_mobile_counter_says_when_and_where_it_opens(site: Site) -> None:
    now = at("2026-11-24 13:00")  # Tuesday: Vichte's morning is over
    d = decide(site, "1", None, now)
    assert (d.target, d.reason, d.next_open) == (
        Target.LIGHTHOUSE,
        Reason.CLOSED,
        at("2026-11-26 09:00"),
    )
    counter = site.counter("zitdag")
    said = next_open_text(site, counter, d.next_open, now, "nl")
    assert said == (
        "De zitdag van de sociale dienst is opnieuw open overmorgen om 9 uur, "
        "in de parochiezaal van Ingooigem."
    )
    friday = next_open_text(site, counter, at("2026-11-27 13:30"), at("2026-11-26 12:00"), "nl")
    assert friday.endswith("morgen om 13 uur 30, in de bibliotheek van Tiegem.")
    # open: the call goes to the queue, whichever village the session is in
    assert decide(site, "1", None, at("2026-11-24 10:00")).target is Target.COUNTER


def test_the_public_hours_name_the_address_of_each_session(site: Site) -> None:
    report = hours_report(site, at("2026-11-24 13:00"), 7)
    zitdag = next(p for p in report["places"] if p["id"] == "zitdag")
    assert zitdag["location"] == "ingooigem" and zitdag["open_now"] is False
    days = {loc["id"]: [d["open"] for d in loc["days"]] for loc in zitdag["locations"]}
    assert days["vichte"][0] == [["09:00", "12:00"]]  # Tuesday 24/11
    assert days["ingooigem"][2] == [["09:00", "11:00"]]  # Thursday
    assert [d["open"] for d in zitdag["days"]][3] == [["13:30", "15:30"]]  # all together
    assert zitdag["locations"][3]["postcodes"] == ["8573"]


def test_route_and_hours_say_where(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--config", str(ZITDAGEN), "--topic", "1", "--hours-only"]
    assert main(["route", *args, "--at", "2026-11-24T13:00"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["location"] == {
        "id": "ingooigem",
        "name": "Parochiezaal Ingooigem",
        "address": "Ingooigemplaats 2, 8570 Ingooigem",
    }
    assert main(["route", *args, "--at", "2026-11-24T10:00"]) == 0
    assert json.loads(capsys.readouterr().out)["location"]["id"] == "vichte"
    hours = ["hours", "--config", str(ZITDAGEN), "--at", "2026-11-24T13:00", "--hours-only"]
    assert main(hours) == 0
    text = capsys.readouterr().out
    assert "CLOSED now, opens Thu 26/11 09:00 at Parochiezaal Ingooigem" in text
    assert "Fri 27/11  13:30–15:30 at Bibliotheek Tiegem" in text


def test_a_caller_hears_of_the_session_in_their_own_village_past_a_closure(site: Site) -> None:
    zitdag = site.counter("zitdag")
    tiegem = zitdag.location_for_postcode("8573")
    assert tiegem is not None and tiegem.id == "tiegem"
    assert zitdag.location_for_postcode("9000") is None
    tuesday = at("2026-11-24 13:00")
    # the soonest session anywhere is Thursday in Ingooigem; Tiegem's own is Friday
    assert next_session(zitdag, tiegem, tuesday) == at("2026-11-27 13:30")
    # that Friday closed (a planned closure of the counter): the Friday after
    friday_off = Override(
        "zitdag",
        OverrideMode.CLOSED,
        at("2026-11-27 00:00"),
        at("2026-11-28 00:00"),
        kind=CLOSURE,
    )
    assert next_session(zitdag, tiegem, tuesday, [friday_off]) == at("2026-12-04 13:30")
    # a manager's "open" override opens the counter, it is no session in Tiegem
    opened = Override("zitdag", OverrideMode.OPEN, tuesday, at("2026-11-24 17:00"))
    assert next_session(zitdag, tiegem, tuesday, [opened]) == at("2026-11-27 13:30")


def test_route_gives_the_next_session_at_the_callers_postcode(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["route", "--config", str(ZITDAGEN), "--at", "2026-11-24T13:00", "--hours-only"]
    assert main([*args, "--topic", "1", "--postcode", "8573"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["next_open"] == "2026-11-26T09:00:00+01:00"  # the soonest, anywhere
    assert out["own_location"] == {
        "id": "tiegem",
        "name": "Bibliotheek Tiegem",
        "address": "Tiegemstraat 7, 8573 Tiegem",
        "postcode": "8573",
        "next_session": "2026-11-27T13:30:00+01:00",
    }
    assert main([*args, "--topic", "1", "--postcode", "9000"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --postcode 9000: no address of 'zitdag' serves it; "
        "served: 8570 (Sociaal Huis Anzegem), 8573 (Bibliotheek Tiegem)"
    )
    assert main([*args, "--topic", "1", "--postcode", "85 70"]) == 2
    assert "4 digits" in capsys.readouterr().err
    # a counter with one address: its address is everyone's
    assert main([*args, "--topic", "9", "--postcode", "8570"]) == 0
    assert json.loads(capsys.readouterr().out)["own_location"] is None
