"""`vuurtoren users`, `audit verify` and `privacy` as an admin uses them."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from callcenter.cli import main
from tests.conftest import EXAMPLE

PASSWORD = "een-lang-wachtwoord-1"


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_first_admin_and_the_user_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = str(tmp_path)
    # a mistyped folder is refused, not answered from a new empty database (issue 26, pt 2)
    code, _, err = run(capsys, monkeypatch, "users", "list", "--data-dir", d + "-typo")
    assert code == 2 and "no database at" in err and "db upgrade" in err
    assert not Path(d + "-typo").exists()
    assert main(["db", "upgrade", "--data-dir", d]) == 0  # a new installation
    capsys.readouterr()
    code, out, _ = run(capsys, monkeypatch, "users", "list", "--data-dir", d)
    assert code == 0 and "no users yet" in out and "vuurtoren users add" in out  # point 9
    code, out, _ = run(
        capsys, monkeypatch, "users", "add", "anna", "--name", "Anna Peeters", "--admin",
        "--password-stdin", "--data-dir", d, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0 and "anna" in out and "admin" in out
    code, _, err = run(
        capsys, monkeypatch, "users", "add", "bob", "--name", "Bob", "--role", "agent",
        "--password-stdin", "--data-dir", d, stdin="kort\n",
    )  # fmt: skip
    assert code == 2 and "at least 12 characters" in err
    code, _, err = run(
        capsys, monkeypatch, "users", "add", "bob", "--name", "Bob", "--role", "counter",
        "--counter", "woonloket", "--password-stdin", "--data-dir", d, stdin=PASSWORD,
    )  # fmt: skip
    assert code == 2 and "--counter needs --config" in err
    code, _, _ = run(
        capsys, monkeypatch, "users", "add", "bob", "--name", "Bob", "--role", "counter",
        "--counter", "woonloket", "--config", str(EXAMPLE), "--password-stdin", "--data-dir", d,
        stdin=PASSWORD,
    )  # fmt: skip
    assert code == 0
    code, out, _ = run(capsys, monkeypatch, "users", "list", "--json", "--data-dir", d)
    users = {u["login"]: u for u in json.loads(out)}
    assert users["bob"]["counters"] == ["woonloket"] and users["anna"]["roles"] == ["admin"]
    code, _, err = run(capsys, monkeypatch, "users", "disable", "anna", "--data-dir", d)
    assert code == 2 and "the last active administrator" in err
    code, out, _ = run(capsys, monkeypatch, "users", "disable", "bob", "--data-dir", d)
    assert code == 0 and "every session ended" in out
    code, _, err = run(capsys, monkeypatch, "users", "unlock", "nobody", "--data-dir", d)
    assert code == 2 and "there is no user 'nobody'" in err
    code, _, err = run(capsys, monkeypatch, "users", "passwd", "bob", "--data-dir", d)
    assert code == 2 and "--password-stdin" in err  # no terminal to ask on


def test_audit_verify_finds_an_edited_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = str(tmp_path)
    assert main(["db", "upgrade", "--data-dir", d]) == 0  # a new installation
    capsys.readouterr()
    for login in ("anna", "bert"):
        run(
            capsys, monkeypatch, "users", "add", login, "--name", login, "--admin",
            "--password-stdin", "--data-dir", d, stdin=PASSWORD,
        )  # fmt: skip
    code, out, _ = run(capsys, monkeypatch, "audit", "verify", "--data-dir", d)
    assert code == 0 and "2 entries, the chain is whole" in out
    db = sqlite3.connect(tmp_path / "vuurtoren.sqlite3")
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET target = 'mallory' WHERE id = 1")
    db.commit()
    db.close()
    code, _, err = run(capsys, monkeypatch, "audit", "verify", "--data-dir", d)
    assert code == 2 and "entry 1 does not fit: its content was changed" in err


def test_privacy_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = str(tmp_path)
    assert main(["db", "upgrade", "--data-dir", d]) == 0  # a new installation
    capsys.readouterr()
    monkeypatch.delenv("VUURTOREN_PRIVACY_KEY", raising=False)
    code, _, err = run(
        capsys, monkeypatch, "privacy", "retention", "--config", str(EXAMPLE), "--data-dir", d
    )
    assert code == 2 and "VUURTOREN_PRIVACY_KEY" in err  # no key, no pseudonyms
    monkeypatch.setenv("VUURTOREN_PRIVACY_KEY", "k" * 40)
    code, out, _ = run(
        capsys, monkeypatch, "privacy", "retention", "--dry-run", "--config", str(EXAMPLE),
        "--data-dir", d,
    )  # fmt: skip
    assert code == 0 and "would pseudonymise the numbers of 0 call(s) older than 90 days" in out
    code, out, _ = run(
        capsys, monkeypatch, "privacy", "export", "--caller", "+32470000001", "--config",
        str(EXAMPLE), "--data-dir", d,
    )  # fmt: skip
    assert code == 0 and json.loads(out)["calls"] == []
    code, _, err = run(
        capsys, monkeypatch, "privacy", "erase", "--caller", "not a number", "--config",
        str(EXAMPLE), "--data-dir", d,
    )  # fmt: skip
    assert code == 2 and "give a phone number" in err


def test_override_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d, c = str(tmp_path), str(EXAMPLE)
    assert main(["db", "upgrade", "--data-dir", d]) == 0  # a new installation
    capsys.readouterr()
    code, out, _ = run(
        capsys, monkeypatch, "override", "close", "woonloket", "--emergency", "--reason",
        "verhuis", "--config", c, "--data-dir", d,
    )  # fmt: skip
    assert code == 0 and "#1 woonloket: closed (emergency)" in out and "verhuis" in out
    code, out, _ = run(capsys, monkeypatch, "override", "list", "--config", c, "--data-dir", d)
    assert "#1 woonloket" in out and "until lifted" in out
    code, out, _ = run(
        capsys, monkeypatch, "override", "list", "--json", "--config", c, "--data-dir", d
    )
    [listed] = json.loads(out)  # objects with the API's field names (issue 26, point 4)
    assert (listed["id"], listed["scope"], listed["mode"], listed["kind"]) == (
        1,
        "woonloket",
        "closed",
        "emergency",
    )
    assert listed["ends"] is None and listed["reason"] == "verhuis"
    code, _, err = run(
        capsys, monkeypatch, "override", "close", "atlantis", "--config", c, "--data-dir", d
    )
    assert code == 2 and "unknown counter 'atlantis'" in err
    code, _, err = run(
        capsys, monkeypatch, "override", "open", "woonloket", "--until", "2020-01-01T10:00",
        "--config", c, "--data-dir", d,
    )  # fmt: skip
    assert code == 2 and "the end is in the past" in err
    code, _, err = run(
        capsys, monkeypatch, "override", "close", "woonloket", "--until", "gisteren",
        "--config", c, "--data-dir", d,
    )  # fmt: skip
    assert code == 2 and "--until 'gisteren'" in err and "--at" not in err  # issue 26, point 5
    code, out, _ = run(capsys, monkeypatch, "override", "lift", "1", "--config", c, "--data-dir", d)
    assert code == 0 and out.startswith("lifted: #1")
    code, out, _ = run(capsys, monkeypatch, "override", "list", "--config", c, "--data-dir", d)
    assert "no overrides" in out
    code, out, _ = run(capsys, monkeypatch, "audit", "verify", "--data-dir", d)
    assert "2 entries, the chain is whole" in out  # set and lift, audited
