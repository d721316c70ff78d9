"""A welfare region in one site file (issue 28, point 1), outside the live call path: the
municipalities' own numbers, menus and welcomes beside shared services and one lighthouse;
each municipality checked as a whole site file, every problem placed in the region's file;
`route --site` by id or number dialled, with the path the call took; one dialplan for all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.asterisk.config import generate
from callcenter.cli import main
from callcenter.dialplan.prompts import prompts
from routing.config import ConfigError, load_site, parse_site
from routing.decide import decide
from routing.site import Site, dialled_digits
from tests.service.conftest import at

ROOT = Path(__file__).resolve().parents[1]
REGION = ROOT / "examples" / "regio.toml"
TEXT = REGION.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def region() -> Site:
    return load_site(REGION)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_site(text, "regio.toml")
    return [str(p) for p in err.value.problems]


def test_the_example_region_has_three_municipalities_with_shared_services(region: Site) -> None:
    assert region.is_region and [s.site_id for s in region.sites] == [
        "hamont-achel",
        "pelt",
        "peer",
    ]
    pelt = region.local("pelt")
    assert (pelt.name, pelt.number) == ("Sociaal Huis Pelt", "011 80 80 80")
    assert pelt.own_counters == {"onthaal-pelt", "sd-pelt"}
    assert {c.id for c in pelt.counters} == {
        "onthaal-pelt",
        "sd-pelt",
        "schuldbemiddeling",
        "gezinszorg",
        "juridisch",
        "jobcoaching",
        "svk",
    }
    assert pelt.topic("1").counter == "sd-pelt" and pelt.topic(None).id == "algemeen-pelt"
    assert pelt.topic("2").counter == "schuldbemiddeling"
    assert pelt.prompts.texts["nl"]["welkom"] == "Welkom bij het Sociaal Huis van Pelt."
    # the region: every counter once, one lighthouse, no number of its own
    assert len(region.counters) == 11 and region.number is None
    assert region.site_of_counter("sd-peer") == "peer"
    assert region.site_of_counter("schuldbemiddeling") is None
    assert region.warnings == ()


@pytest.mark.parametrize(
    ("number", "site_id"),
    [
        ("011 80 80 80", "pelt"),
        ("011808080", "pelt"),
        ("+32 11 80 80 80", "pelt"),
        ("0032 11 61 61 61", "peer"),
        ("pelt", "pelt"),
        ("011 00 00 00", None),
    ],
)
def test_a_municipality_is_found_by_its_number_as_dialled(
    region: Site, number: str, site_id: str | None
) -> None:
    found = region.find_site(number)
    assert (found.site_id if found else None) == site_id


def test_an_unknown_or_missing_municipality_routes_as_the_first(region: Site) -> None:
    assert region.local(None).site_id == "hamont-achel"
    assert region.local("nowhere").site_id == "hamont-achel"
    monday = at("2026-11-23 10:00")
    d = decide(region.local("peer"), "1", None, monday)
    assert (d.counter, d.queue) == ("sd-peer", "sd-peer")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (  # a municipality's counter named for another that does not exist
            ('site = "peer"\nname = "Onthaal Sociaal Huis Peer"', 'site = "perr"\nname = "x"'),
            "counters[4] (id 'onthaal-peer').site: unknown site 'perr'",
        ),
        (  # two municipalities with one number
            ('number = "011 61 61 61"', 'number = "011/80.80.80"'),
            "sites[2] (id 'peer').number: duplicate site number '011808080'",
        ),
        (  # a topic id used by two municipalities: calls keep topic ids
            ('id = "algemeen-peer"', 'id = "algemeen-pelt"'),
            "duplicate topic id 'algemeen-pelt'",
        ),
        (  # a municipality's menu points at another's counter
            ('counter = "sd-peer"', 'counter = "sd-pelt"'),
            "sites[2] (id 'peer').topics[0] (id 'financiele-hulp-peer').counter: unknown "
            "counter 'sd-pelt'",
        ),
        (  # a municipality's key clashes with a shared topic's
            (
                '  digit = "1"\n  label = "financiële hulp en leefloon"\n  counter = "sd-pelt"',
                '  digit = "2"\n  label = "financiële hulp en leefloon"\n  counter = "sd-pelt"',
            ),
            "sites[1] (id 'pelt').topics[0] (id 'financiele-hulp-pelt'): duplicate topic "
            "digit '2' (also at topics[0] (id 'schulden'))",
        ),
        (  # a shared counter's mistake: said once, at its place in the file
            ('hours = "Mo-Fr 08:30-16:30; PH off"', 'hours = "Mo-Fr 8u-16u"'),
            "counters[7] (id 'gezinszorg').hours:",
        ),
        (  # a municipality's own counter: at its place in the file
            ('hours = "Mo,Tu,Th 09:00-12:00; PH off"', 'hours = "Mo,Tu,Th 9u-12u"'),
            "counters[5] (id 'sd-peer').hours:",
        ),
        (
            ('id = "pelt"\nname = "Sociaal Huis Pelt"', 'id = "Pelt!"\nname = "Sociaal Huis Pelt"'),
            "sites[1] (id 'Pelt!').id: ",
        ),
        (
            ('default_topic = "algemeen-peer"', 'default_topic = "algemeen-pelt"'),
            "sites[2] (id 'peer').default_topic: unknown topic 'algemeen-pelt'",
        ),
    ],
)
def test_each_mistake_in_a_region_is_reported_with_its_place_in_the_file(
    change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in TEXT, old
    found = problems(TEXT.replace(old, new, 1))
    assert any(expected in p for p in found), found
    assert len(found) == len(set(found)), "a problem is said once"


def test_the_shared_parts_problem_is_said_once_not_once_per_municipality() -> None:
    found = problems(TEXT.replace('hours = "Mo-Fr 08:30-16:30; PH off"', 'hours = "8u"', 1))
    assert len([p for p in found if p.startswith("counters[7] (id 'gezinszorg')")]) == 1


def test_a_region_of_one_municipality_is_refused() -> None:
    start = TEXT.index('[[sites]]\nid = "pelt"')
    end = TEXT.index("# --- each municipality's own counters")
    found = problems(TEXT[:start] + TEXT[end:])
    assert any(p.startswith("sites: a region has two municipalities or more") for p in found)


def test_one_dialplan_for_all_the_number_dialled_sets_the_municipality(region: Site) -> None:
    files = generate(region, "een-lang-genoeg-geheim-voor-de-test")
    conf = files.extensions
    for local in region.sites:
        digits = dialled_digits(local.number or "")
        assert f"exten => {digits},1,Set(VT_SITE={local.site_id})" in conf
        assert f"[topics-{local.site_id}]" in conf and f"[menu-prefixes-{local.site_id}]" in conf
    assert "exten => 1,1,Set(COUNTER=sd-peer)" in conf.split("[topics-peer]")[1].split("[")[0]
    assert "Site: ${VT_SITE}" in conf
    assert "Gosub(vuurtoren-sound,s,1(${VT_SITE}/welkom))" in conf
    assert "Gosub(topics-${VT_SITE},${T},1)" in conf
    # one queue per counter, the shared ones once
    assert files.queues.count("[schuldbemiddeling]") == 1
    # a call the dialplan routes (or that hangs up) while Vuurtoren is away keeps its
    # municipality in the record it leaves
    assert "=v3,${VT_START},${UNIQUEID},${TOPIC},${COUNTER},${TARGET},${REASON},${VT_SITE}," in conf


def test_each_municipality_has_its_own_welcome_and_menu_prompts(region: Site) -> None:
    names = {p.name: p.text for p in prompts(region, "nl")}
    assert names["peer/welkom"] == "Welkom bij het Sociaal Huis van Peer."
    assert (
        "sociale dienst van Peer" in names["peer/menu"] or "financiële hulp" in names["peer/menu"]
    )
    assert "peer/menu-4" in names and "welkom" not in names and "menu" not in names
    assert "gesloten" in names  # the region's shared prompts once


def test_route_takes_the_site_by_id_or_number_and_explains_the_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["route", "--config", str(REGION), "--at", "2026-12-07T14:00", "--topic", "2"]
    assert main([*args, "--site", "+32 11 61 61 61"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["site"] == {"id": "peer", "name": "Sociaal Huis Peer", "number": "011 61 61 61"}
    assert (out["target"], out["counter"], out["reason"]) == (
        "lighthouse",
        "schuldbemiddeling",
        "closed",
    )
    assert out["path"] == [
        "came in at Sociaal Huis Peer (011 61 61 61)",
        "key 2 → topic 'schulden' (schulden en budget)",
        "its counter 'schuldbemiddeling' (shared by the region): closed (its hours)",
        "→ the lighthouse's queue 'lighthouse' (Regionale vuurtoren)",
    ]
    assert main([*args]) == 2
    assert "--site" in capsys.readouterr().err
    assert main([*args, "--site", "011 00 00 00"]) == 2
    err = capsys.readouterr().err
    assert "no municipality with that id or number" in err and "pelt (011 80 80 80)" in err
    lone = ["route", "--config", str(ROOT / "examples" / "sociaal-huis.toml"), "--topic", "1"]
    assert main([*lone, "--site", "pelt"]) == 2
    assert "is one site, not a region" in capsys.readouterr().err
