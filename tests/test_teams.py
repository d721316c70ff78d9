"""Neighbourhood teams and one's own social worker (issue 28, point 2), outside the live
call path: the site file's ``[teams]`` and its checks, the pure decision with a team and a
worker, the generated dialplan and prompts, ``vuurtoren route`` explaining the path, and the
``known`` commands over the consent register."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.asterisk.config import generate
from callcenter.cli import main
from callcenter.dialplan.prompts import prompts
from routing.config import ConfigError, load_site, parse_site
from routing.decide import decide
from routing.site import Site
from routing.types import Reason, Target

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT / "examples" / "buurtteams.toml"
BXL = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=BXL)
SATURDAY_10 = datetime(2026, 12, 5, 10, 0, tzinfo=BXL)
PASSWORD = "een-goed-wachtwoord-voor-de-test"


@pytest.fixture(scope="module")
def city() -> Site:
    return load_site(CITY)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_site(text, "t.toml")
    return [str(p) for p in err.value.problems]


def with_teams(teams: str, *, counters_extra: str = "") -> str:
    text = CITY.read_text(encoding="utf-8")
    head, rest = text.split("[teams]", 1)
    rest = rest.split("\n[asterisk]", 1)[1]
    return head + teams + "\n[asterisk]" + rest + counters_extra


def test_the_example_city_has_three_teams_and_an_intake(city: Site) -> None:
    teams = city.teams
    assert teams is not None and teams.topic == "sociale-hulp"
    assert teams.counters == ("team-centrum", "team-heule", "team-marke")
    assert city.topic("1").counter == "onthaal-sociaal"  # the intake
    assert city.team_for_postcode("8511") == city.counter("team-marke")
    assert city.team_for_postcode("9000") is None
    assert city.team_for_postcode("") is None


def test_a_site_without_teams_has_none() -> None:
    site = load_site(ROOT / "examples" / "sociaal-huis.toml")
    assert site.teams is None and site.team_for_postcode("8500") is None


@pytest.mark.parametrize(
    ("teams", "expected"),
    [
        (
            '[teams]\ntopic = "nope"\ncounters = ["team-marke"]',
            "[teams].topic: unknown topic 'nope'",
        ),
        ('[teams]\ntopic = "sociale-hulp"\ncounters = []', "[teams].counters: must be a list"),
        (
            '[teams]\ntopic = "sociale-hulp"\ncounters = ["team-marke", "team-x"]',
            "[teams].counters: unknown counter 'team-x'",
        ),
        (
            '[teams]\ntopic = "sociale-hulp"\ncounters = ["team-marke", "team-marke"]',
            "[teams].counters: names a team twice: team-marke",
        ),
        (
            '[teams]\ntopic = "sociale-hulp"\ncounters = ["team-marke"]\nown_worker = "ja"',
            "[teams].own_worker: must be true or false",
        ),
        (
            '[teams]\ntopic = "sociale-hulp"\ncounters = ["team-marke"]\nworker_ring_seconds = 2',
            "[teams].worker_ring_seconds: must be between 5 and 120",
        ),
        (
            '[teams]\ntopic = "sociale-hulp"\ncounters = ["team-marke"]\ncolour = "red"',
            "[teams]: unknown field 'colour'",
        ),
    ],
)
def test_bad_teams_are_refused_with_their_place(teams: str, expected: str) -> None:
    found = problems(with_teams(teams))
    assert any(expected in p for p in found), found


def test_a_postcode_served_by_two_teams_is_refused() -> None:
    text = CITY.read_text(encoding="utf-8").replace(
        'postcodes = ["8501"]', 'postcodes = ["8501", "8510"]'
    )
    found = problems(text)
    assert any("duplicate team postcode '8510'" in p for p in found), found


def test_a_bad_team_postcode_is_refused_at_its_counter() -> None:
    text = CITY.read_text(encoding="utf-8").replace('postcodes = ["8501"]', 'postcodes = ["85"]')
    found = problems(text)
    assert any(
        p.startswith("counters[2] (id 'team-heule').postcodes: must be a list of 4-digit")
        for p in found
    ), found


def test_teams_in_a_region_go_in_a_municipality() -> None:
    text = (ROOT / "examples" / "regio.toml").read_text(encoding="utf-8")
    found = problems(text + '\n[teams]\ntopic = "x"\ncounters = ["y"]\n')
    assert any(p.startswith("[teams]: a region's neighbourhood teams") for p in found), found


# -- the decision ---------------------------------------------------------------------------


def test_the_own_worker_comes_first_while_the_team_is_open(city: Site) -> None:
    d = decide(city, "1", "+32470", MONDAY_10, team="team-marke", worker="PJSIP/anna")
    assert (d.target, d.queue, d.counter, d.worker) == (
        Target.OWN_WORKER,
        "team-marke",
        "team-marke",
        "PJSIP/anna",
    )
    # no worker free: the team's queue; the team closed: the lighthouse, even for the worker
    assert decide(city, "1", None, MONDAY_10, team="team-marke").target is Target.COUNTER
    closed = decide(city, "1", None, SATURDAY_10, team="team-marke", worker="PJSIP/anna")
    assert (closed.target, closed.counter, closed.reason) == (
        Target.LIGHTHOUSE,
        "team-marke",
        Reason.CLOSED,
    )


def test_a_team_only_counts_on_the_teams_topic(city: Site) -> None:
    d = decide(city, "9", None, MONDAY_10, team="team-marke", worker="PJSIP/anna")
    assert (d.target, d.counter) == (Target.COUNTER, "onthaal")
    # a team the site does not have is no team: the intake
    assert decide(city, "1", None, MONDAY_10, team="onthaal").counter == "onthaal-sociaal"


def test_without_own_worker_the_worker_is_never_rung(city: Site) -> None:
    from dataclasses import replace

    assert city.teams is not None
    off = replace(city, teams=replace(city.teams, own_worker=False))
    d = decide(off, "1", None, MONDAY_10, team="team-marke", worker="PJSIP/anna")
    assert d.target is Target.COUNTER and d.worker is None


@given(
    day=st.integers(0, 13),
    minute=st.integers(0, 24 * 60 - 1),
    team=st.sampled_from([None, "team-centrum", "team-heule", "team-marke"]),
    worker=st.sampled_from([None, "PJSIP/w"]),
)
def test_the_worker_is_rung_exactly_when_the_team_would_take_the_call(
    day: int, minute: int, team: str | None, worker: str | None
) -> None:
    """Over two weeks of times: the own worker is offered only while the caller's team is
    open, and otherwise the call goes where the team's call would go without a worker."""
    city = load_site(CITY)
    at = datetime(2026, 12, 7 + day, minute // 60, minute % 60, tzinfo=BXL)
    with_worker = decide(city, "1", None, at, team=team, worker=worker)
    without = decide(city, "1", None, at, team=team)
    if with_worker.target is Target.OWN_WORKER:
        assert worker and team and without.target is Target.COUNTER
        assert with_worker.queue == without.queue == city.counter(team).queue
    else:
        assert with_worker == without
        assert not (worker and team and without.target is Target.COUNTER)


# -- Asterisk and the prompts -----------------------------------------------------------------


def test_the_dialplan_rings_the_worker_then_the_team_and_asks_the_postcode(city: Site) -> None:
    ext = generate(city, "s3cret-for-tests").extensions
    own = ext.split("[vuurtoren-own-worker]", 1)[1].split("\n[", 1)[0]
    assert "exten => team-marke,1," in own
    assert " same => n,Dial(${VT_WORKER},${VT_RING},rU(vuurtoren-own-worker-answered))" in own
    assert " same => n,Goto(queues,team-marke,1)" in own
    assert "exten => s,1,UserEvent(OwnWorker,Status: ANSWER)" in ext
    postcode = ext.split("[vuurtoren-postcode]", 1)[1].split("\n[", 1)[0]
    assert "Read(POSTCODE,${SOUND},4,,1,8)" in postcode
    assert "Postcode: ${POSTCODE})" in postcode
    assert "Goto(central-number,failsafe,1)" in postcode
    assert "postcode-vraag" in {p.name for p in prompts(city, "nl")}


def test_a_site_without_teams_has_no_team_contexts() -> None:
    site = load_site(ROOT / "examples" / "sociaal-huis.toml")
    ext = generate(site, "s3cret-for-tests").extensions
    assert "vuurtoren-own-worker" not in ext and "vuurtoren-postcode" not in ext
    assert "postcode-vraag" not in {p.name for p in prompts(site, "nl")}


# -- the command line ---------------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def route(*extra: str, data: Path) -> dict[str, object]:
    code, out, err = run(
        "route", "--config", str(CITY), "--at", "2026-12-07T10:00", "--data-dir", str(data), *extra
    )
    assert code == 0, err
    return dict(json.loads(out))


def test_route_explains_the_path_by_postcode_and_to_the_intake(tmp_path: Path) -> None:
    by_postcode = route("--topic", "1", "--postcode", "8510", data=tmp_path)
    assert by_postcode["counter"] == "team-marke"
    assert by_postcode["path"][1:] == [
        "postcode 8510 → team 'team-marke' (Buurtteam Marke)",
        "its team 'team-marke': open",
        "→ the team's queue 'team-marke'",
    ]
    none = route("--topic", "1", "--postcode", "9000", data=tmp_path)
    assert none["counter"] == "onthaal-sociaal"
    assert "postcode 9000: no team serves it → the intake" in none["path"]
    code, _, err = run("route", "--config", str(CITY), "--topic", "1", "--postcode", "85")
    assert code == 2 and "a Belgian postcode is 4 digits" in err


def test_route_and_known_over_the_register(tmp_path: Path) -> None:
    data = str(tmp_path)
    assert run("db", "upgrade", "--data-dir", data)[0] == 0
    import sys

    stdin = sys.stdin
    sys.stdin = io.StringIO(PASSWORD + "\n")
    try:
        code, _, err = run(
            "users", "add", "anna", "--name", "Anna Maes", "--role", "counter",
            "--counter", "team-marke", "--interface", "PJSIP/team-marke-01",
            "--config", str(CITY), "--password-stdin", "--data-dir", data,
        )  # fmt: skip
    finally:
        sys.stdin = stdin
    assert code == 0, err
    base = ("--config", str(CITY), "--data-dir", data)
    code, out, err = run("known", "add", "0470 55 50 01", "--team", "team-marke",
                         "--worker", "anna", *base)  # fmt: skip
    assert code == 0, err
    assert "+32470****01" in out and "team team-marke" in out and "0470 55 50 01" not in out
    code, _, err = run("known", "add", "0470 55 50 02", "--team", "team-centrum",
                       "--worker", "anna", *base)  # fmt: skip
    assert code == 2 and "does not work in team 'team-centrum'" in err

    known = route("--topic", "1", "--caller", "+32 470 55 50 01", data=tmp_path)
    assert known["target"] == "own_worker" and known["worker"] == "PJSIP/team-marke-01"
    assert known["path"][1:3] == [
        "the caller is in the consent register: team 'team-marke'",
        "own social worker 'anna' (as if logged in and free)",
    ]
    away = route("--topic", "1", "--caller", "0470555001", "--worker-away", data=tmp_path)
    assert away["target"] == "counter" and away["queue"] == "team-marke"
    stranger = route("--topic", "1", "--caller", "0470999999", "--postcode", "8501",
                     data=tmp_path)  # fmt: skip
    assert stranger["counter"] == "team-heule"

    code, out, _ = run("known", "list", "--json", *base)
    (entry,) = json.loads(out)
    assert entry["caller"] == "+32470555001" and entry["worker"] == "anna"
    code, out, _ = run("known", "erase", str(entry["id"]), *base)
    assert code == 0 and "erased" in out
    gone = route("--topic", "1", "--caller", "0470555001", data=tmp_path)
    assert gone["counter"] == "onthaal-sociaal"
    code, out, _ = run("audit", "verify", "--data-dir", data)
    assert code == 0


def region_with_peer_teams(teams: str) -> str:
    """The example region with neighbourhood teams in Peer: two teams of its own."""
    text = (ROOT / "examples" / "regio.toml").read_text(encoding="utf-8")
    text = text.replace(
        '  naam-sd-peer = "de sociale dienst van Peer"\n',
        '  naam-sd-peer = "de sociale dienst van Peer"\n\n' + teams,
    )
    for team, code in (("team-peer-noord", "3990"), ("team-peer-zuid", "3991")):
        text += (
            f'\n[[counters]]\nid = "{team}"\nsite = "peer"\nname = "Buurtteam {team[10:]}"\n'
            f'organisation = "OCMW Peer"\naddress = "Markt 1, Peer"\nqueue = "{team}"\n'
            f'hours = "Mo-Fr 09:00-12:00; PH off"\npostcodes = ["{code}"]\n'
        )
    return text


def test_a_municipality_of_a_region_has_teams_of_its_own() -> None:
    region = parse_site(
        region_with_peer_teams(
            '  [sites.teams]\n  topic = "financiele-hulp-peer"\n'
            '  counters = ["team-peer-noord", "team-peer-zuid"]\n'
        ),
        "t.toml",
    )
    peer, pelt = region.municipality("peer"), region.municipality("pelt")
    assert peer is not None and pelt is not None and region.teams is None
    assert peer.teams is not None and pelt.teams is None
    assert peer.team_for_postcode("3991") == peer.counter("team-peer-zuid")
    d = decide(peer, "1", None, MONDAY_10, team="team-peer-zuid", worker="PJSIP/p")
    assert (d.target, d.queue) == (Target.OWN_WORKER, "team-peer-zuid")
    ext = generate(region, "s3cret-for-tests").extensions
    assert "exten => team-peer-zuid,1," in ext.split("[vuurtoren-own-worker]")[1]
    assert "Site: ${VT_SITE},Caller: ${CALLERID(num)},Postcode: ${POSTCODE})" in ext
    # a problem in a municipality's teams is placed in the region's file
    found = problems(
        region_with_peer_teams(
            '  [sites.teams]\n  topic = "financiele-hulp-peer"\n  counters = ["team-x"]\n'
        )
    )
    assert any(
        p.startswith("sites[2] (id 'peer').teams.counters: unknown counter 'team-x'") for p in found
    ), found


def test_the_counters_table_has_the_own_worker_column_only_where_teams_exist() -> None:
    from callcenter.figures.reports import TABLES

    row = {
        "id": "c",
        "name": "C",
        "arrived": 3,
        "open": 2,
        "closed": {},
        "refused": {},
        "to_lighthouse": 1,
        "last_resort": 0,
        "answered": 2,
    }
    plain, _ = TABLES["loketten"]({"counters": [row]})
    teams, rows = TABLES["loketten"]({"counters": [row | {"own_worker": 1}]})
    assert "naar eigen werker" not in plain
    assert teams == [*plain[:4], "naar eigen werker", *plain[4:]] and rows[0][4] == 1
