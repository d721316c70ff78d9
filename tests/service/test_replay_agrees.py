"""`vuurtoren replay` on a capture off the wire agrees with Asterisk's queue_log and
QueueStatus counters for the same calls: with Local-channel callers (whose ;1 leg hangs up
before the ;2 leg's abandon), with and without ``Timestamp`` on the events (a stock Asterisk
sends none), and the service's own records agree too."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path

import pytest

from callcenter.calls.capture import capture
from callcenter.cli import main
from callcenter.dialplan.names import CALLBACK_PREFIX
from callcenter.figures.stats import queue_stats
from callcenter.simulator import SimSettings
from routing.site import Site
from tests.ami.test_client import until
from tests.conftest import EXAMPLE
from tests.service.conftest import SECRET, StackFactory, at


def queue_log_counts(lines: list[str], short: int = 5) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    holds: dict[str, list[int]] = defaultdict(list)
    answered_waits: dict[str, list[int]] = defaultdict(list)
    for line in lines:
        _, callid, queue, _, event, *data = line.split("|")
        q = out[queue]
        if callid.startswith(CALLBACK_PREFIX):  # a callback in line, no call of its own
            if event in ("COMPLETECALLER", "COMPLETEAGENT"):
                q["stand_in_completed"] += 1
            elif event in ("ABANDON", "EXITWITHTIMEOUT"):
                q["stand_in_abandoned"] += 1
            continue
        if event == "ENTERQUEUE":
            q["queued"] += 1
        elif event == "CONNECT":
            q["answered"] += 1
            answered_waits[queue].append(int(data[0]))
            holds[queue].append(int(data[0]))
        elif event == "ABANDON":
            wait = int(data[2])
            q["abandoned_short" if wait <= short else "abandoned"] += 1
            holds[queue].append(wait)
        elif event == "EXITWITHTIMEOUT":
            q["timeout"] += 1
            holds[queue].append(int(data[2]))
        elif event == "EXITWITHKEY":  # the callback key: key|position|original position|hold
            q["callback"] += 1
            holds[queue].append(int(data[3]))
    for queue, waits in answered_waits.items():
        out[queue]["asa_seconds"] = sum(waits) / len(waits)
    for queue, waits in holds.items():
        out[queue]["max_wait_seconds"] = max(waits)
    return out


@pytest.mark.parametrize("timestamps", [True, False], ids=["timestamps", "no-timestamps"])
async def test_replay_agrees_with_queue_log_and_queue_status(
    stack: StackFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    timestamps: bool,
    example_site: Site,
) -> None:
    recording = tmp_path / "capture.ami"
    settings = SimSettings(
        failsafe_seconds=6,
        counter_queue_timeout=90,
        lighthouse_queue_timeout=240,
        timestamps=timestamps,
    )
    async with stack(at("2026-11-23 09:45"), speed=150, settings=settings) as s:
        recorder = asyncio.create_task(
            capture("127.0.0.1", s.sim.port, "vuurtoren", SECRET, recording, seconds=120)
        )
        await until(lambda: len(s.sim.server.sessions) >= 2)
        await asyncio.sleep(0.2)  # the recorder is logged in
        s.sim.traffic.calls_per_hour = 1200
        s.sim.traffic.max_calls = 120
        s.sim.ast.start_task(s.sim.traffic.run(), name="traffic")
        await until(lambda: s.sim.traffic.started >= 120, 60)
        await until(lambda: all(t.ended is not None for t in s.sim.ast.truth.values()), 60)
        status = {q.queue: q.params for q in await s.run.ami.queue_status()}
        await asyncio.sleep(0.3)
        recorder.cancel()
        truth = list(s.sim.ast.truth.values())
        log_lines = list(s.sim.ast.queue_log_lines)
        await s.run.writer.flush()
        stored = await s.run.store.all_calls()

    assert recording.stat().st_size > 100_000
    assert main(["replay", str(recording), "--json", "--config", str(EXAMPLE)]) == 0
    report = json.loads(capsys.readouterr().out)
    expected = {q: c for q, c in queue_log_counts(log_lines).items() if c.get("queued")}

    assert report["calls"] == len(truth) == 120
    assert set(report["queues"]) == set(expected)
    kinds = ("queued", "answered", "abandoned", "abandoned_short", "timeout", "callback")
    for queue, counts in expected.items():
        got = report["queues"][queue]
        for kind in kinds:
            assert got[kind] == counts.get(kind, 0), (queue, kind)
        assert got["max_wait_seconds"] == counts["max_wait_seconds"], queue
        if counts.get("answered"):
            # seconds to one decimal in the report
            assert got["asa_seconds"] == pytest.approx(counts["asa_seconds"], abs=0.0501)
        # Asterisk's own counters for the same calls: Completed counts answered calls;
        # Abandoned also counts timeouts, which our statistics keep apart. Both count the
        # callbacks Vuurtoren put in line (last-resort requests while the counter was open).
        params = status[queue]
        assert int(params["Completed"]) == got["answered"] + counts["stand_in_completed"], queue
        assert (
            int(params["Abandoned"])
            == (got["abandoned"] + got["abandoned_short"] + got["timeout"])
            + counts["stand_in_abandoned"]
        ), queue
    # the service, live, recorded the same figures as the replay
    live = queue_stats(stored, example_site)
    for queue, counts in expected.items():
        for kind in kinds:
            assert getattr(live[queue], kind) == counts.get(kind, 0), ("live", queue, kind)
    if not timestamps:  # the case a stock Asterisk makes
        assert b"\r\nTimestamp: " not in recording.read_bytes()
    total_timeouts = sum(q["timeout"] for q in report["queues"].values())
    assert total_timeouts > 0  # the case where naive counting goes wrong was exercised
    assert sum(q["answered"] for q in report["queues"].values()) > 30


def test_replay_refuses_a_file_that_is_no_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_ami = tmp_path / "notes.txt"
    not_ami.write_text("Dit is geen opname.\n", encoding="utf-8")
    assert main(["replay", str(not_ami)]) == 2
    err = capsys.readouterr().err
    assert "not an AMI capture" in err and "Dit is geen" in err
    empty = tmp_path / "empty.ami"
    empty.write_bytes(b"")
    assert main(["replay", str(empty)]) == 2
    damaged = tmp_path / "damaged.ami"
    damaged.write_bytes(b"VUURTOREN-AMI-CAPTURE 1\n@oops 12\nAsterisk Cal")
    assert main(["replay", str(damaged)]) == 2
    assert "bad chunk header at byte 24" in capsys.readouterr().err
