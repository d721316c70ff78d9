"""A joint reception of two organisations (issue 28, point 4), outside the live call path:
the site file's ``partners`` and their checks, the organisations a user may work for, the
command line's ``users add --organisation``, the demo's agents and its history."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.cli.service_commands import joint_agents
from callcenter.simulator.history import past_calls
from callcenter.store.records import VisitOutcome
from routing.config import ConfigError, load_site, parse_site
from routing.site import Site
from tests.conftest import SMALL_SITE

ROOT = Path(__file__).resolve().parents[1]
JOINT = ROOT / "examples" / "gezamenlijk-onthaal.toml"
PASSWORD = "een-goed-wachtwoord-voor-de-test"
OCMW, CAW = "OCMW Voorbeeld", "CAW Midden"


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(JOINT)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_site(text, "t.toml")
    return [str(p) for p in err.value.problems]


def test_the_example_reception_is_staffed_by_two_organisations(site: Site) -> None:
    reception = site.counter("onthaal")
    assert reception.partners == (OCMW, CAW)
    assert reception.organisations == (OCMW, CAW)
    assert site.counter("caw-hulp").organisations == (CAW,)
    # the reception's face, and each partner: the organisations a user may work for
    assert site.organisations == (CAW, OCMW, "Welzijnshuis Voorbeeld")


@pytest.mark.parametrize(
    ("partners", "expected"),
    [
        ('"OCMW"', "must be a list of organisation names, got 'OCMW'"),
        ('["OCMW", ""]', "must be a list of organisation names"),
        ('["OCMW", 3]', "must be a list of organisation names"),
        ('["OCMW"]', "a joint counter has two partner organisations or more"),
        ('["CAW", "OCMW", "CAW"]', "names an organisation twice: CAW"),
    ],
)
def test_partners_that_make_no_joint_counter_are_refused_with_their_place(
    partners: str, expected: str
) -> None:
    text = SMALL_SITE.replace('queue = "onthaal"', f'queue = "onthaal"\npartners = {partners}', 1)
    assert "partners = " in text
    found = problems(text)
    assert any(
        p.startswith("counters[1] (id 'onthaal').partners: ") and expected in p for p in found
    ), found


def test_check_config_lists_a_bad_partner_list_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "onthaal.toml"
    bad.write_text(
        JOINT.read_text(encoding="utf-8").replace(
            f'partners = ["{OCMW}", "{CAW}"]', f'partners = ["{CAW}"]'
        ),
        encoding="utf-8",
    )
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "counters[0] (id 'onthaal').partners: a joint counter has two partner" in err


def test_users_add_takes_an_organisation_the_site_knows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = str(tmp_path)
    assert main(["db", "upgrade", "--data-dir", d]) == 0

    def add(login: str, *extra: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD))
        code = main(
            ["users", "add", login, "--name", login.title(), "--role", "agent",
             "--password-stdin", "--data-dir", d, *extra]
        )  # fmt: skip
        out, err = capsys.readouterr()
        return code, out, err

    code, _, err = add("fien", "--organisation", CAW)
    assert code == 2 and "--organisation needs --config" in err
    code, _, err = add("fien", "--organisation", "CAW Elders", "--config", str(JOINT))
    assert code == 2 and "unknown organisation 'CAW Elders'" in err and OCMW in err
    code, _, _ = add("fien", "--organisation", CAW, "--config", str(JOINT))
    assert code == 0
    assert main(["users", "list", "--json", "--data-dir", d]) == 0
    (fien,) = json.loads(capsys.readouterr().out)
    assert fien["organisation"] == CAW
    assert main(["users", "list", "--data-dir", d]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"active {CAW}")


def test_the_demo_makes_the_receptions_agents_users_of_both_partners(site: Site) -> None:
    agents = joint_agents(site)
    assert [(a[0], a[3], a[4]) for a in agents] == [
        ("onthaal-01", "PJSIP/onthaal-01", OCMW),
        ("onthaal-02", "PJSIP/onthaal-02", CAW),
        ("onthaal-03", "PJSIP/onthaal-03", OCMW),
        ("onthaal-04", "PJSIP/onthaal-04", CAW),
    ]
    assert len({a[1] for a in agents}) == 4  # four people, four names
    start = datetime(2026, 11, 23, 9, tzinfo=site.zone)
    history = list(past_calls(site, start, 5, 20, 7))
    orgs = {
        v.organisation
        for c in history
        for v in c.visits
        if v.queue == "onthaal" and v.outcome is VisitOutcome.ANSWERED
    }
    assert orgs == {OCMW, CAW}
    assert all(v.organisation is None for c in history for v in c.visits if v.queue != "onthaal")
    assert all(c.started < start and c.started >= start - timedelta(days=6) for c in history)
