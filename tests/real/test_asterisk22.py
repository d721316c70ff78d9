"""Opt-in: the service and its generated configuration against a real Asterisk 22.

Set ``VUURTOREN_TEST_ASTERISK`` to an ``asterisk`` binary (built from Asterisk's public
source; no SIP needed: callers and agents are Local channels over AMI on loopback) to run
these; without it they are skipped, as the PostgreSQL tests are without their server. The
binary's install prefix gives the modules (``<prefix>/lib/asterisk/modules``) and its data
(``<prefix>/var/lib/asterisk``). Each test module run starts one Asterisk of its own in a
temporary folder, on a free loopback port, with the files ``asterisk-config`` writes for the
example site (the sociale dienst open day and night), the prompts ``vuurtoren prompts``
builds (espeak-ng and sox), and two test contexts: a caller who presses a key two seconds
into the welcome, and agents that answer at once.

What a real Asterisk does here, and the simulator must match (``asterisk-behaviour.md``):
the welcome, the language offers and the menu are one ``Read`` (a key acts during the
welcome); an open counter's caller is in ``Queue()`` right after the Redirect, and an idle
agent rings at once; ``ModuleCheck`` says a channel technology is not loaded; the heartbeat
in AstDB, not any session of the account, tells the dialplan whether Vuurtoren is there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from callcenter.ami import AMIClient, ClientSettings, Message
from callcenter.ami.errors import ActionFailed
from callcenter.asterisk.config import generate, write
from callcenter.cli.runner import Running, running
from callcenter.dialplan.names import HEARTBEAT_FRESH_SECONDS
from callcenter.store.records import Outcome, VisitOutcome
from routing.config import parse_site
from routing.site import Site

BINARY = os.environ.get("VUURTOREN_TEST_ASTERISK")
pytestmark = pytest.mark.skipif(
    not BINARY or not shutil.which("espeak-ng") or not shutil.which("sox"),
    reason="no real Asterisk (VUURTOREN_TEST_ASTERISK), or no espeak-ng and sox for its prompts",
)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sociaal-huis.toml"
SECRET, ADMIN = "real-service-secret", "real-admin-secret"
TEST_CONTEXTS = """
[test-caller]
; the citizen: presses 1 two seconds into the welcome, then stays on the line
exten => s,1,Wait(2)
 same => n,SendDTMF(1)
 same => n,Wait(30)
 same => n,Hangup()

[test-hangup]
; the citizen: hangs up during the welcome
exten => s,1,Wait(1)
 same => n,Hangup()

[test-agents]
; an agent's phone: answers at once, talks four seconds ('_X.': lower-case letters in a
; pattern are wildcards)
exten => _X.,1,Answer()
 same => n,Wait(4)
 same => n,Hangup()
"""


@dataclass
class RealAsterisk:
    site: Site
    port: int
    folder: Path
    prompts: Path

    def cli(self, command: str) -> str:
        assert BINARY
        conf = self.folder / "etc" / "asterisk.conf"
        out = subprocess.run(
            [BINARY, "-C", str(conf), "-rx", command], capture_output=True, text=True, timeout=20
        )
        return out.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _site(port: int, prompts: Path) -> Site:
    text = EXAMPLE.read_text("utf-8")
    text = text.replace('dir = "/var/lib/vuurtoren/prompts"', f'dir = "{prompts}"')
    text = text.replace("port = 5038", f"port = {port}")
    text = text.replace(
        'hours = "Mo,Tu,Th,Fr 09:00-12:00; We 13:30-18:30; PH off"', 'hours = "24/7"'
    )
    return parse_site(text, "real.toml")


@contextlib.contextmanager
def launch(
    folder: Path, site: Site, prompts: Path, files_of: Path, contexts: str
) -> Iterator[RealAsterisk]:
    """A real Asterisk of its own in ``folder``: the files ``asterisk-config`` writes for
    ``site`` (whose AMI port and prompt folder are set), the prompts ``vuurtoren prompts``
    builds (recordings relative to ``files_of``), the test ``contexts``, and a test AMI
    account; stopped at the end."""
    from callcenter.prompts.build import build

    assert BINARY
    prefix = Path(BINARY).resolve().parents[1]
    build(site, prompts, files_of)
    etc = folder / "etc"
    for sub in ("etc", "run", "log", "spool", "lib"):
        (folder / sub).mkdir(exist_ok=True)
    write(generate(site, SECRET), etc)
    with (etc / "extensions.conf").open("a", encoding="utf-8") as f:
        f.write(contexts)
    with (etc / "manager.conf").open("a", encoding="utf-8") as f:
        f.write(
            f"\n[test]\nsecret = {ADMIN}\ndeny = 0.0.0.0/0.0.0.0\n"
            "permit = 127.0.0.1/255.255.255.255\nread = all\nwrite = all\n"
        )
    (etc / "asterisk.conf").write_text(
        "[directories]\n"
        f"astetcdir => {etc}\n"
        f"astmoddir => {prefix / 'lib' / 'asterisk' / 'modules'}\n"
        f"astvarlibdir => {prefix / 'var' / 'lib' / 'asterisk'}\n"
        f"astdatadir => {prefix / 'var' / 'lib' / 'asterisk'}\n"
        f"astdbdir => {folder / 'lib'}\n"
        f"astkeydir => {folder / 'lib'}\n"
        f"astspooldir => {folder / 'spool'}\n"
        f"astrundir => {folder / 'run'}\n"
        f"astlogdir => {folder / 'log'}\n"
        "[options]\nverbose = 3\n",
        encoding="utf-8",
    )
    # no SIP stack: the callbacks' PJSIP line is "not loaded", which ModuleCheck must say
    (etc / "modules.conf").write_text(
        "[modules]\nautoload = yes\n"
        + "".join(
            f"noload = {m}\n"
            for m in ("res_pjsip.so", "chan_pjsip.so", "res_ari.so", "res_stasis.so")
        ),
        encoding="utf-8",
    )
    (etc / "logger.conf").write_text("[logfiles]\nmessages.log => notice,warning,error,verbose\n")
    (etc / "http.conf").write_text("[general]\nenabled = no\n")
    proc = subprocess.Popen(
        [BINARY, "-C", str(etc / "asterisk.conf"), "-f", "-n", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = site.asterisk.port
    real = RealAsterisk(site, port, folder, prompts)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        else:
            pytest.fail("Asterisk did not open its AMI port within 30 s")
        yield real
    finally:
        with contextlib.suppress(Exception):
            real.cli("core stop now")
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def module_asterisk(
    factory: pytest.TempPathFactory,
    site_for: Callable[[int, Path], Site],
    files_of: Path,
    contexts: str,
) -> Iterator[RealAsterisk]:
    """A test module's Asterisk: ``site_for(port, prompts)`` on a free port, launched."""
    folder = factory.mktemp("asterisk")
    prompts = folder / "prompts"
    with launch(folder, site_for(_free_port(), prompts), prompts, files_of, contexts) as real:
        yield real


@pytest.fixture(scope="module")
def asterisk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealAsterisk]:
    yield from module_asterisk(tmp_path_factory, _site, EXAMPLE.parent, TEST_CONTEXTS)


@contextlib.asynccontextmanager
async def admin(
    real: RealAsterisk, events: list[tuple[float, Message]]
) -> AsyncIterator[AMIClient]:
    client = AMIClient(ClientSettings(port=real.port, username="test", secret=ADMIN))
    client.subscribe(None, lambda m: events.append((time.monotonic(), m)))
    await client.start()
    await client.wait_connected(10)
    try:
        yield client
    finally:
        await client.close()


async def agent(ami: AMIClient, number: str, state: str, queue: str = "sociale-dienst") -> None:
    """A phone in a queue (the sociale dienst's by default): ``Local/<number>@test-agents/n``
    with a custom device state (``NOT_INUSE``: free; ``INUSE``: on a call); a Local member
    without one is ``Invalid`` and never rung."""
    device = f"Custom:vt-test-{number}"
    await ami.send(Message.action("Setvar", Variable=f"DEVICE_STATE({device})", Value=state))
    added = await ami.send(
        Message.action(
            "QueueAdd",
            Queue=queue,
            Interface=f"Local/{number}@test-agents/n",
            MemberName=f"test-{number}",
            StateInterface=device,
        )
    )
    assert added.get("Response") == "Success"


@contextlib.asynccontextmanager
async def serving(
    real: RealAsterisk, folder: Path, events: list[tuple[float, Message]]
) -> AsyncIterator[tuple[AMIClient, Running]]:
    """The test's AMI account (every event into ``events``) and the service, as ``serve``
    runs it, on a store in ``folder``, connected to ``real``."""
    url = f"sqlite+aiosqlite:///{folder / 'v.sqlite3'}"
    client = ClientSettings(port=real.port, secret=SECRET, reconnect_initial=0.1)
    async with (
        admin(real, events) as ami,
        running(
            real.site, client, url, port=0, privacy_key=b"a test key, not a real one, 32+ bytes"
        ) as run,
    ):
        await run.ami.wait_connected(10)
        yield ami, run


async def place_call(
    ami: AMIClient,
    events: list[tuple[float, Message]],
    context: str,
    number: str,
    dialled: str = "s",
) -> str:
    """A citizen's call into the central number (``context``: what they do; ``dialled``: the
    number as the trunk hands it over, a region's municipality's); its call id."""
    await ami.send(
        Message.action(
            "Originate",
            Channel=f"Local/{dialled}@central-number",
            Context=context,
            Exten="s",
            Priority="1",
            CallerID=number,
            Async="true",
        )
    )

    def answered() -> list[Message]:
        return [
            m for _, m in events if m.name == "OriginateResponse" and m.get("CallerIDNum") == number
        ]

    await until(lambda: answered(), 10)
    return answered()[0].get("Uniqueid") or ""


async def until(check: object, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.05)


async def test_a_caller_is_in_the_queue_and_an_idle_agent_rings_right_after_the_choice(
    asterisk: RealAsterisk, tmp_path: Path
) -> None:
    events: list[tuple[float, Message]] = []
    async with serving(asterisk, tmp_path, events) as (ami, run):
        await agent(ami, "101", "NOT_INUSE")
        await until(lambda: run.service.written.get("sociale-dienst") == "open", 10)
        await place_call(ami, events, "test-caller", "+32470990001")

        def seen(name: str) -> list[tuple[float, Message]]:
            return [(t, m) for t, m in events if m.name == name]

        await until(lambda: seen("AgentComplete"), 40)
        uid = seen("AgentComplete")[0][1].get("Uniqueid")
        mine = [(t, m) for t, m in events if m.get("Uniqueid") == uid]
        # the welcome and the other languages' offers open the menu's Read: a key during the
        # welcome acts at once
        [read] = [m for _, m in mine if m.name == "Newexten" and m.get("Application") == "Read"]
        files = (read.get("AppData") or "").split(",")[1].split("&")
        assert [f.rsplit("/", 2)[-2] + "/" + f.rsplit("/", 1)[1] for f in files] == [
            "nl/welkom",
            "fr/taalkeuze",
            "en/taalkeuze",
            "nl/menu",
        ]
        # from the RouteRequest to the agent's phone: the Redirect, Queue() and nothing played
        names = [m.name for _, m in mine]
        start = names.index("UserEvent")
        between = [
            m.get("Application")
            for _, m in mine[start : names.index("AgentCalled")]
            if m.name == "Newexten"
        ]
        assert "Playback" not in between and "Queue" in between
        beat = await ami.db_get("vuurtoren", "heartbeat")
        assert beat is not None
        age = time.time() - int(beat)  # the dialplan's test: fresh within the window
        assert -1 <= age < HEARTBEAT_FRESH_SECONDS
        complete = seen("AgentComplete")[0][1]
        call_id = complete.get("Linkedid") or ""
        async with asyncio.timeout(20):
            while True:
                await run.writer.flush()
                rec = await run.store.get(call_id)
                if rec is not None and rec.outcome is not None:
                    break
                await asyncio.sleep(0.1)
    assert rec.outcome is Outcome.ANSWERED and rec.decision is not None
    assert (rec.decision.queue, rec.decision.reason.value) == ("sociale-dienst", "open")
    [visit] = rec.visits
    assert visit.outcome is VisitOutcome.ANSWERED and visit.agent == "test-101"
    assert visit.wait_seconds == int(complete.get("HoldTime") or -1)
    assert visit.talk_seconds == int(complete.get("TalkTime") or -1)


async def test_a_technology_not_loaded_is_an_alert(asterisk: RealAsterisk, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'v.sqlite3'}"
    client = ClientSettings(port=asterisk.port, secret=SECRET, reconnect_initial=0.1)
    async with running(
        asterisk.site, client, url, port=0, privacy_key=b"a test key, not a real one, 32+ bytes"
    ) as run:
        trunk = run.ops.dialer.trunk
        await until(lambda: not trunk.up, 15)
        assert "chan_pjsip.so" in (trunk.fault or "")


async def test_another_session_on_the_account_does_not_hide_an_outage(
    asterisk: RealAsterisk,
) -> None:
    """The service away (its heartbeat gone), a program logged in with its account: a caller
    who hangs up during the welcome leaves a record for Vuurtoren in AstDB all the same."""
    events: list[tuple[float, Message]] = []
    other = AMIClient(ClientSettings(port=asterisk.port, secret=SECRET))
    await other.start()
    await other.wait_connected(10)
    try:
        async with admin(asterisk, events) as ami:
            with contextlib.suppress(ActionFailed):  # gone already when the service stopped
                await ami.db_del("vuurtoren", "heartbeat")
            linkedid = await place_call(ami, events, "test-hangup", "+32470990002")
            key = f"failsafe/{linkedid}"

            async with asyncio.timeout(15):
                while (record := await ami.db_get("vuurtoren", key)) is None:
                    await asyncio.sleep(0.2)
            await ami.db_del("vuurtoren", key)
    finally:
        await other.close()
    fields = record.split(",")
    assert fields[0] == "v2" and fields[5] == "@hangup" and fields[-1] == "+32470990002"


async def test_a_hangup_in_a_queue_while_away_leaves_the_visit(asterisk: RealAsterisk) -> None:
    """Vuurtoren away: the fail-safe routes the call (its record says where and why) and the
    caller, waiting for a busy agent, hangs up in the queue: ``[queues] h`` leaves the visit."""
    events: list[tuple[float, Message]] = []
    async with admin(asterisk, events) as ami:
        with contextlib.suppress(ActionFailed):
            await ami.db_del("vuurtoren", "heartbeat")
        await ami.db_put("vuurtoren", "counter/sociale-dienst", "open")
        await agent(ami, "102", "INUSE")  # on a call: the caller waits
        linkedid = await place_call(ami, events, "test-caller", "+32470990003")
        async with asyncio.timeout(50):  # 6 s on hold, then in the queue until it hangs up
            while (visit := await ami.db_get("vuurtoren", f"visit/{linkedid}")) is None:
                await asyncio.sleep(0.5)
        routed = await ami.db_get("vuurtoren", f"failsafe/{linkedid}")
        for key in (f"visit/{linkedid}", f"failsafe/{linkedid}"):
            await ami.db_del("vuurtoren", key)
        await ami.send(
            Message.action(
                "QueueRemove", Queue="sociale-dienst", Interface="Local/102@test-agents/n"
            )
        )
    queue, joined, left, _ = visit.split(",")
    assert queue == "sociale-dienst" and 0 < int(left) - int(joined) <= 30
    assert routed is not None
    fields = routed.split(",")
    assert fields[0] == "v2" and fields[4:7] == ["sociale-dienst", "sociale-dienst", "open"]
