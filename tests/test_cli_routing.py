"""The routing commands as an admin uses them: exit codes, JSON, readable hours."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.cli import main
from tests.conftest import EXAMPLE, SMALL_SITE


@pytest.fixture(autouse=True)
def no_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``route`` and ``hours`` read an installation's stored overrides: none here, whatever
    the machine has in ./data."""
    monkeypatch.setenv("VUURTOREN_DATA_DIR", str(tmp_path / "none"))
    monkeypatch.delenv("VUURTOREN_DATABASE_URL", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def route(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, err = run(capsys, "route", "--config", str(EXAMPLE), *argv)
    assert code == 0, err
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def test_check_config_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check-config", str(EXAMPLE))
    assert code == 0
    assert "valid" in out and "11 counters" in out


def test_check_config_lists_every_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        SMALL_SITE.replace('"BE"', '"B"').replace('counter = "onthaal"', 'counter = "x"')
    )
    code, out, err = run(capsys, "check-config", str(bad))
    assert code == 2 and out == ""
    assert "2 problem(s)" in err
    assert "[site].country" in err and "topics[1] (id 'algemeen').counter" in err


def test_other_commands_refuse_an_invalid_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL_SITE.replace('default_topic = "algemeen"', 'default_topic = "x"'))
    for command in ("route", "hours"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--config", str(bad), "--at", "2026-11-23T10:00:00+01:00"])
        assert exit_.value.code == 2
        assert "[routing].default_topic: unknown topic 'x'" in capsys.readouterr().err


def test_route_open_counter(capsys: pytest.CaptureFixture[str]) -> None:
    d = route(capsys, "--at", "2026-11-23T10:15:00+01:00", "--topic", "1", "--caller", "0470")
    assert d["target"] == "counter" and d["queue"] == "sociale-dienst"
    assert d["reason"] == "open" and d["next_open"] is None and d["caller"] == "0470"


def test_route_accepts_z_and_any_offset(capsys: pytest.CaptureFixture[str]) -> None:
    a = route(capsys, "--at", "2026-11-23T16:15:00Z", "--topic", "financiele-hulp")
    b = route(capsys, "--at", "2026-11-23T11:15:00-05:00", "--topic", "1")
    assert a == b
    assert a["target"] == "lighthouse" and a["reason"] == "closed"
    assert a["next_open"] == "2026-11-24T09:00:00+01:00"


def test_route_overflow_and_no_agents(capsys: pytest.CaptureFixture[str]) -> None:
    at = "2026-11-23T10:15:00+01:00"
    assert (
        route(capsys, "--at", at, "--topic", "1", "--waiting", "4", "--agents", "2")["reason"]
        == "overflow"
    )
    assert route(capsys, "--at", at, "--topic", "1", "--agents", "0")["reason"] == "no_agents"
    assert (
        route(capsys, "--at", at, "--topic", "1", "--waiting", "0", "--agents", "2")["reason"]
        == "open"
    )


def test_route_last_resort_on_christmas(capsys: pytest.CaptureFixture[str]) -> None:
    d = route(capsys, "--at", "2026-12-25T10:00:00+01:00", "--topic", "21")
    assert d["target"] == "last_resort" and d["queue"] is None and d["reason"] == "holiday"
    assert d["next_open"] == "2026-12-28T09:00:00+01:00"


def test_route_unknown_topic_goes_to_default_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    d = route(capsys, "--at", "2026-11-23T10:15:00+01:00", "--topic", "99")
    assert d["topic"] == "algemeen" and d["topic_unknown"] == "99"


def test_route_without_at_uses_now(capsys: pytest.CaptureFixture[str]) -> None:
    d = route(capsys, "--topic", "1")
    assert d["target"] in {"counter", "lighthouse", "last_resort"}


@pytest.mark.parametrize("argv", [["--at", "tomorrow"], ["--waiting", "-1"], ["--agents", "x"]])
def test_route_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    try:
        code = main(["route", "--config", str(EXAMPLE), *argv])
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    assert code == 2
    assert capsys.readouterr().err


def test_hours_text_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "hours",
        "--config",
        str(EXAMPLE),
        "--at",
        "2026-12-24T17:00:00+01:00",
        "--days",
        "3",
    )
    assert code == 0
    assert "Sociale dienst" in out
    assert "CLOSED now, opens Mon 28/12 09:00" in out
    assert "Fri 25/12  closed  (holiday)" in out
    assert "OPEN now, closes today 19:00" in out  # the lighthouse on Christmas Eve


def test_hours_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "hours",
        "--config",
        str(EXAMPLE),
        "--at",
        "2026-11-23T10:00:00+01:00",
        "--days",
        "2",
        "--json",
    )
    assert code == 0
    report = json.loads(out)
    places = {p["id"]: p for p in report["places"]}
    assert places["lighthouse"]["open_now"] is True
    sd = places["sociale-dienst"]
    assert sd["open_now"] is True and sd["next_change"] == "2026-11-23T12:00:00+01:00"
    assert sd["days"][0] == {
        "date": "2026-11-23",
        "holiday": False,
        "closure": None,
        "open": [["09:00", "12:00"]],
    }
    assert sd["days"][1]["open"] == [["09:00", "12:00"]]


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("vuurtoren")
    assert script.exists(), "the console script 'vuurtoren' is not installed"
    out = subprocess.run(
        [
            str(script),
            "route",
            "--config",
            str(EXAMPLE),
            "--at",
            "2026-11-23T10:15:00+01:00",
            "--topic",
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["queue"] == "sociale-dienst"


@pytest.mark.parametrize(
    ("at", "says"),
    [
        ("2026-03-29T02:30:00", "does not exist in Europe/Brussels"),  # spring-forward gap
        ("0001-01-01T10:00:00", "between 1971 and 2199"),
        ("9999-12-31T10:00:00+01:00", "between 1971 and 2199"),
    ],
)
@pytest.mark.parametrize("command", ["route", "hours"])
def test_times_the_rules_cannot_judge_get_a_clear_error(
    capsys: pytest.CaptureFixture[str], command: str, at: str, says: str
) -> None:
    code, out, err = run(capsys, command, "--config", str(EXAMPLE), "--at", at)
    assert code == 2 and out == ""
    assert says in err and "Traceback" not in err


def test_the_hour_that_happens_twice_is_still_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    result = route(capsys, "--at", "2026-10-25T02:30:00")
    assert result["at"] == "2026-10-25T02:30:00+02:00"  # the first of the two


def test_hours_days_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["hours", "--config", str(EXAMPLE), "--days", "100000"])
    assert stop.value.code == 2
    assert "at most 366" in capsys.readouterr().err
    code, out, _ = run(capsys, "hours", "--config", str(EXAMPLE), "--days", "366", "--json")
    assert code == 0 and len(json.loads(out)["places"][0]["days"]) == 366


def test_route_and_hours_give_the_services_answer_with_what_is_stored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 26, point 1: a manager's override and a planned closure change where calls go
    and what the hours say; ``route`` and ``hours`` read them, and say what they used."""
    d, c = str(tmp_path / "inst"), str(EXAMPLE)
    at = "2026-11-23T10:00:00+01:00"  # a Monday morning: the woonloket is open by its hours
    code, out, _ = run(capsys, "route", "--config", c, "--at", at, "--topic", "21", "--data-dir", d)
    assert code == 0 and json.loads(out)["reason"] == "open"
    assert "no database" in json.loads(out)["overrides"]
    assert not (tmp_path / "inst").exists()  # nothing is created by a question
    assert run(capsys, "db", "upgrade", "--data-dir", d)[0] == 0
    code, _, err = run(
        capsys, "override", "close", "woonloket", "--emergency", "--config", c, "--data-dir", d
    )
    assert code == 0, err
    code, out, _ = run(capsys, "route", "--config", c, "--topic", "21", "--data-dir", d)
    routed = json.loads(out)
    assert routed["reason"] == "override" and routed["target"] in ("lighthouse", "last_resort")
    assert routed["overrides"].startswith("1 stored override(s)")
    code, out, _ = run(
        capsys, "route", "--config", c, "--topic", "21", "--data-dir", d, "--hours-only"
    )
    assert json.loads(out)["reason"] in ("open", "closed", "holiday")  # by the hours alone
    # a planned closure on a day to come: the hours say so
    code, _, err = run(
        capsys, "closure", "add", "2027-01-05", "--counter", "sociale-dienst", "--config", c,
        "--data-dir", d,
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = run(
        capsys, "hours", "--config", c, "--at", "2027-01-05T10:00:00+01:00", "--days", "1",
        "--json", "--data-dir", d,
    )  # fmt: skip
    report = json.loads(out)
    social = next(p for p in report["places"] if p["id"] == "sociale-dienst")
    assert social["open_now"] is False and report["overrides"].startswith("2 stored")
