"""The command line speaks English (issue 26, point 5): every refusal a command can meet has
its English text, and an error names the option the user gave. The web pages and the API
keep the Dutch texts of the same refusals."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import tempfile
from pathlib import Path

import pytest

from callcenter.cli import main
from tests.conftest import EXAMPLE

ROOT = Path(__file__).parents[1]
CONFIG = str(EXAMPLE)
# the modules behind the commands (users, override, rota, closure, catalog, privacy, jobs):
# every refusal they raise says itself in English too
REACHED_BY_COMMANDS = [
    "callcenter/staff/users.py",
    "callcenter/staff/sessions.py",
    "callcenter/staff/privacy.py",
    "callcenter/contacts/catalog.py",
    "callcenter/services/operations.py",
    "callcenter/agents/duty.py",
    "callcenter/planning/overrides.py",
    "schedules/closures.py",
    "callcenter/planning/closures.py",
    "schedules/rota.py",
]
DUTCH = re.compile(
    r"\b(de|het|een|niet|geen|ligt|bestaat|Geef|Kies|verleden|tekens|loket|wachtrol|wacht)\b"
)


def refusals_without_english(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id == "StaffError" and not any(k.arg == "en" for k in node.keywords):
            lines.append(node.lineno)
        rule = node.func.id in ("RotaError", "ClosureError", "RuleError")
        passed_on = any(isinstance(a, ast.Starred) for a in node.args)  # (message, field, en)
        if rule and not passed_on and len(node.args) + len(node.keywords) < 3:
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("module", REACHED_BY_COMMANDS)
def test_every_refusal_a_command_can_meet_has_its_english_text(module: str) -> None:
    assert refusals_without_english(ROOT / module) == []


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def data() -> str:
    folder = tempfile.mkdtemp(prefix="vuurtoren-lang-")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["db", "upgrade", "--data-dir", folder]) == 0
    return folder


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        # the issue's own cases: the option the user gave, in English
        (
            ["override", "close", "woonloket", "--until", "2020-01-01T10:00"],
            "error: --until: the end is in the past",
        ),
        (["override", "close", "woonloket", "--until", "gisteren"], "error: --until 'gisteren'"),
        (["rota", "shift", "mo", "08:00", "12:00", "an"], "error: user: 'an' is not an agent"),
        (["override", "close", "bibliotheek"], "error: scope: unknown counter 'bibliotheek'"),
        (["override", "lift", "7"], "error: there is no override 7, or it was lifted already"),
        (
            ["closure", "add", "2027-03-28", "--from", "02:30", "--to", "04:00"],
            "error: --from: 02:30 does not exist on 28/03/2027",
        ),
        (
            ["closure", "add", "2027-01-10", "2027-01-04"],
            "error: last_day: the last day comes before the first",
        ),
        (["closure", "delete", "3"], "error: there is no closure 3"),
    ],
)
def test_refusals_are_english_and_name_the_option_given(
    data: str, argv: list[str], said: str
) -> None:
    code, _, err = run([*argv, "--config", CONFIG, "--data-dir", data])
    assert code == 2
    assert err.startswith(said), err
    assert not DUTCH.search(err), err


def test_a_refusal_of_the_rules_the_web_applies_too_is_english(
    data: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_mia = ["users", "add", "mia", "--name", "Mia", "--role", "manager", "--password-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO("azertyuiop123\n"))
    code, _, err = run([*add_mia, "--data-dir", data])
    assert code == 2 and err.startswith("error: password: this password is too easy"), err
    monkeypatch.setattr("sys.stdin", io.StringIO("paars-kompas-regen-fiets-77\n"))
    code, _, err = run([*add_mia, "--data-dir", data])
    assert code == 0, err
    # the "'an' is geen agent.": a manager is given a lighthouse shift
    code, _, err = run(
        ["rota", "shift", "mo", "08:00", "12:00", "mia", "--config", CONFIG, "--data-dir", data]
    )
    assert (code, err) == (2, "error: user: 'mia' is not an agent\n")


def test_listings_are_english(data: str) -> None:
    code, out, _ = run(
        ["hours", "--config", CONFIG, "--at", "2026-12-24T10:00:00+01:00", "--days", "2"]
    )
    assert code == 0
    assert "Thu 24/12/2026 10:00" in out and "CLOSED now" in out and "(holiday)" in out
    code, out, _ = run(["catalog", "search", "huurpremie", "--config", CONFIG, "--data-dir", data])
    assert code == 0 and not DUTCH.search(out.replace("Huis van het Kind", "")), out
