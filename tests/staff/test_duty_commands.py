"""`vuurtoren rota`, `closure`, `jobs` and `users pin` as a manager or admin uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.cli import main
from tests.conftest import EXAMPLE
from tests.staff.test_closures import RECURRING
from tests.staff.test_staff_commands import PASSWORD, run


def test_the_rota_closure_and_jobs_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d, c = str(tmp_path), str(EXAMPLE)
    assert main(["db", "upgrade", "--data-dir", d]) == 0  # a new installation
    capsys.readouterr()
    code, _, _ = run(
        capsys, monkeypatch, "users", "add", "an", "--name", "An Peeters", "--role", "agent",
        "--password-stdin", "--data-dir", d, stdin=PASSWORD,
    )  # fmt: skip
    assert code == 0
    code, out, _ = run(
        capsys, monkeypatch, "rota", "shift", "ma", "08:00", "13:00", "an", "--config", c,
        "--data-dir", d,
    )  # fmt: skip
    assert code == 0 and "Monday 08:00-13:00 an" in out
    code, _, err = run(
        capsys, monkeypatch, "rota", "shift", "maandag", "12:00", "14:00", "an", "--config", c,
        "--data-dir", d,
    )  # fmt: skip
    assert code == 2 and err.startswith("error: starts:") and "Monday 08:00-13:00" in err
    code, _, err = run(
        capsys, monkeypatch, "rota", "extra", "2026-12-01", "an", "--config", c, "--data-dir", d
    )
    assert code == 2 and "starts" in err  # an extra shift needs its times
    code, out, _ = run(
        capsys, monkeypatch, "rota", "list", "--json", "--config", c, "--data-dir", d
    )
    listed = json.loads(out)
    assert [(s["weekday"], s["user"]) for s in listed["weekly"]] == [(0, "an")]

    ics = tmp_path / "personeel.ics"
    ics.write_bytes(RECURRING)
    code, out, _ = run(
        capsys, monkeypatch, "closure", "import", str(ics), "--counter", "woonloket",
        "--config", c, "--data-dir", d,
    )  # fmt: skip
    assert code == 0 and "added" in out
    code, _, err = run(
        capsys, monkeypatch, "closure", "add", "2026-12-05", "2026-12-01", "--config", c,
        "--data-dir", d,
    )  # fmt: skip
    assert code == 2 and err.startswith("error: last_day:")
    code, _, err = run(
        capsys, monkeypatch, "closure", "add", "12-05", "--config", c, "--data-dir", d
    )
    assert code == 2 and "with its year" in err
    code, out, _ = run(
        capsys, monkeypatch, "closure", "list", "--json", "--config", c, "--data-dir", d
    )
    assert all(x["scopes"] == ["woonloket"] for x in json.loads(out))

    code, out, _ = run(capsys, monkeypatch, "jobs", "--json", "--config", c, "--data-dir", d)
    jobs = {j["id"]: j for j in json.loads(out)}
    assert {"states", "duty", "snapshots", "privacy-nightly"} <= set(jobs)
    assert jobs["duty"]["next_run"] is not None

    code, out, _ = run(
        capsys, monkeypatch, "users", "pin", "an", "--pin-stdin", "--data-dir", d, stdin="4711\n"
    )
    assert code == 0 and "PIN set" in out
    code, _, err = run(
        capsys, monkeypatch, "users", "pin", "an", "--pin-stdin", "--data-dir", d, stdin="1111\n"
    )
    assert code == 2 and err.startswith("error: pin:")
