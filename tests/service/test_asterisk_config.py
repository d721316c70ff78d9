"""The generated Asterisk configuration parses, and every place the service redirects to,
and every static jump in the dialplan, exists."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.asterisk.config import generate
from routing.site import Site
from tests.asterisk_conf import ConfError, dialplan, parse
from tests.conftest import EXAMPLE


@pytest.fixture
def files(example_site: Site) -> dict[str, str]:
    return dict(generate(example_site, "not-a-real-secret").items())


def test_every_redirect_target_of_the_service_exists(
    example_site: Site, files: dict[str, str]
) -> None:
    plan = dialplan(parse(files["extensions.conf"], "extensions.conf"))
    assert {"central-number", "queues", "topics", "last-resort"} <= set(plan)
    assert plan["central-number"]["s"][0].priority == 1
    for queue in example_site.queues:  # Redirect(channel, "queues", queue, 1)
        steps = plan["queues"][queue]
        assert steps[0].priority == 1
        waits = [s for s in steps if s.app == "Queue"]
        assert len(waits) == 1 and waits[0].args.split(",")[0] == queue
        assert waits[0].label == "wait"  # the callback exit key goes back here
        assert waits[0].args.split(",")[8] == "${VT_POS}"  # Queue()'s position argument
    for counter in example_site.counters:  # Redirect(channel, "last-resort", counter.id, 1)
        assert plan["last-resort"][counter.id][0].priority == 1
    for topic in example_site.topics:
        assert plan["topics"][topic.digit][0].args == f"COUNTER={topic.counter}"


def test_callbacks_in_the_dialplan(example_site: Site, files: dict[str, str]) -> None:
    """The queued callback: the queues' exit context has the key, every queue has its
    stand-in extension, the citizen's side dials the site's outside line and reports."""
    plan = dialplan(parse(files["extensions.conf"], "extensions.conf"))
    key = example_site.callbacks.key
    exit_steps = plan["vuurtoren-queue-exit"][key]
    assert any(s.app == "UserEvent" and "CallbackRequest" in s.args for s in exit_steps)
    # kept in AstDB before the event (an event sent while the link is cut reaches nobody)
    kept = next(i for i, s in enumerate(exit_steps) if "vuurtoren/callback/" in s.args)
    sent = next(i for i, s in enumerate(exit_steps) if "CallbackRequest" in s.args)
    assert kept < sent and exit_steps[kept].args.endswith(",${VT_QUEUE}")
    assert any(s.app == "Goto" and s.args == "queues,${VT_QUEUE},wait" for s in exit_steps)
    for queue in example_site.queues:
        stand_in = plan["vuurtoren-callback-queue"][queue]
        assert stand_in[0].app == "Queue"
        assert stand_in[0].args.split(",")[8] == "${VT_POS}"
    dial = plan["vuurtoren-callback"]["citizen"][0]
    assert (dial.app, dial.args) == ("Dial", "PJSIP/${CB_NUMBER}@trunk,${CB_RING}")
    h = plan["vuurtoren-callback"]["h"]
    assert "vuurtoren/cbresult/${CHANNEL(linkedid)}" in h[0].args  # kept first
    assert "CallbackResult" in h[1].args
    queues = parse(files["queues.conf"], "queues.conf")
    for queue in example_site.queues:
        assert queues[queue].get("context") == "vuurtoren-queue-exit"


def test_static_jumps_and_labels_resolve(files: dict[str, str]) -> None:
    plan = dialplan(parse(files["extensions.conf"], "extensions.conf"))
    for context, extens in plan.items():
        for ext, steps in extens.items():
            labels = {s.label for s in steps if s.label}
            for step in steps:
                targets = []
                if step.app == "Goto":
                    targets.append(step.args)
                elif step.app == "GotoIf":
                    targets += re.split(r"[?:]", step.args.split("?", 1)[1])
                for target in targets:
                    if "${" in target or not target:
                        continue
                    parts = target.split(",")
                    if len(parts) == 1:
                        assert parts[0] in labels, (context, ext, target)
                    elif len(parts) == 2:
                        assert parts[0] in extens, (context, ext, target)
                    else:
                        ctx, ex, prio = parts
                        assert ex in plan[ctx], target
                        if prio.isdigit():
                            assert int(prio) <= len(plan[ctx][ex]), target
                        else:  # a label there
                            assert prio in {s.label for s in plan[ctx][ex]}, target


def test_queues_and_manager(example_site: Site, files: dict[str, str]) -> None:
    queues = parse(files["queues.conf"], "queues.conf")
    assert set(example_site.queues) <= set(queues)
    assert queues["lighthouse"].get("strategy") == "ringall"
    assert queues["sociale-dienst"].get("servicelevel") == "20"
    manager = parse(files["manager.conf"], "manager.conf")
    account = manager["vuurtoren"]
    assert manager["general"].get("timestampevents") == "yes"
    read = set((account.get("read") or "").split(","))
    write = set((account.get("write") or "").split(","))
    assert {"call", "agent", "user", "system", "dialplan"} <= read
    assert "command" not in write  # least privilege: no CLI through AMI
    assert "originate" in write  # callbacks
    assert account.get("deny") == "0.0.0.0/0.0.0.0"


def test_the_parser_is_strict() -> None:
    with pytest.raises(ConfError, match="outside any"):
        parse("foo = bar\n")
    with pytest.raises(ConfError, match="not the next one"):
        dialplan(parse("[c]\nexten => s,2,Answer()\n"))
    with pytest.raises(ConfError, match="no '='"):
        parse("[c]\njust words\n")


def test_the_command_writes_the_files(tmp_path: Path) -> None:
    env = {**os.environ, "VUURTOREN_AMI_SECRET": "from-env-only"}
    script = Path(sys.executable).with_name("vuurtoren")

    def vuurtoren(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *args, "--config", str(EXAMPLE)],
            capture_output=True,
            text=True,
            env=env,
            check=check,
        )

    out = vuurtoren("asterisk-config", "--out", str(tmp_path / "ast"))
    assert "manager.conf" in out.stdout
    manager = tmp_path / "ast" / "manager.conf"
    assert "secret = from-env-only" in manager.read_text()
    assert stat.S_IMODE(manager.stat().st_mode) == 0o600
    env.pop("VUURTOREN_AMI_SECRET")
    refused = vuurtoren("asterisk-config", "--out", str(tmp_path / "x"), check=False)
    assert refused.returncode == 2 and "VUURTOREN_AMI_SECRET" in refused.stderr
    # with a capture secret, manager.conf has the read-only account `capture` logs in with
    env.update(VUURTOREN_AMI_SECRET="from-env-only", VUURTOREN_AMI_CAPTURE_SECRET="cap-only")
    out = vuurtoren("asterisk-config", "--out", str(tmp_path / "c"))
    assert "'vuurtoren-capture', read-only" in out.stdout
    manager_conf = parse((tmp_path / "c" / "manager.conf").read_text(), "manager.conf")
    assert manager_conf["vuurtoren-capture"].get("secret") == "cap-only"
    # `capture` never logs in with the service's account: without its own secret, no capture
    env.pop("VUURTOREN_AMI_CAPTURE_SECRET")
    no_capture = vuurtoren("capture", "--out", str(tmp_path / "f.ami"), check=False)
    assert no_capture.returncode == 2
    assert "VUURTOREN_AMI_CAPTURE_SECRET" in no_capture.stderr
    assert not (tmp_path / "f.ami").exists()


def test_a_bad_permit_or_an_out_that_is_a_file_is_refused_in_one_line(tmp_path: Path) -> None:
    """Issue 26, points 6 and 7: ``--permit nonsense`` used to land in manager.conf, and an
    ``--out`` that is a plain file gave a ``FileExistsError`` traceback."""
    env = {**os.environ, "VUURTOREN_AMI_SECRET": "from-env-only"}
    script = str(Path(sys.executable).with_name("vuurtoren"))
    a_file = tmp_path / "plain.txt"
    a_file.write_text("not a folder")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([script, *args], capture_output=True, text=True, env=env, check=False)

    config = ("--config", str(EXAMPLE))
    bad = run("asterisk-config", *config, "--out", str(tmp_path / "a"), "--permit", "nonsense")
    assert bad.returncode == 2 and "--permit 'nonsense'" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "a" / "manager.conf").exists()
    for command in ("asterisk-config", "prompts"):
        out = run(command, *config, "--out", str(a_file))
        assert out.returncode == 2, out.stderr
        assert "is a file, not a folder" in out.stderr and "Traceback" not in out.stderr
    good = run(
        "asterisk-config", *config, "--out", str(tmp_path / "b"),
        "--permit", "10.0.0.0/8", "--permit", "192.168.1.0/255.255.255.0",
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    manager = (tmp_path / "b" / "manager.conf").read_text()
    assert "permit = 10.0.0.0/8" in manager and "permit = 192.168.1.0/255.255.255.0" in manager


def test_the_capture_account_reads_what_the_service_reads_and_does_nothing(
    example_site: Site,
) -> None:
    files = generate(example_site, "service-secret", capture_secret="capture-secret")
    manager = parse(files.manager, "manager.conf")
    service, capture = manager["vuurtoren"], manager["vuurtoren-capture"]
    assert capture.get("secret") == "capture-secret"
    assert capture.get("read") == service.get("read")
    assert capture.get("write") == ""  # Login and events only: no Redirect, no DBPut
    assert capture.all("eventfilter") == service.all("eventfilter")
    assert capture.get("deny") == "0.0.0.0/0.0.0.0"
    assert "vuurtoren-capture" not in parse(generate(example_site, "s").manager, "m")
    with pytest.raises(ValueError, match="secret of its own"):
        generate(example_site, "same", capture_secret="same")


def steps_of(files: dict[str, str], context: str, exten: str) -> list[tuple[str, str]]:
    plan = dialplan(parse(files["extensions.conf"], "extensions.conf"))
    return [(s.app, s.args) for s in plan[context][exten]]


def test_the_failsafe_reads_the_lighthouse_state_and_leaves_a_record(
    files: dict[str, str],
) -> None:
    steps = steps_of(files, "central-number", "failsafe")
    text = "\n".join(f"{app}({args})" for app, args in steps)
    assert "${DB(vuurtoren/counter/lighthouse)}" in text  # closed or unstaffed: last resort
    assert '"closed"' in text and '"unstaffed"' in text
    assert "Goto(last-resort,${COUNTER},1)" in text
    # before the last resort: what Vuurtoren last rendered of the closed counter, in the
    # caller's language; before the lighthouse: why, in one sentence
    announce = (
        'ExecIf($["${TARGET}" = "@last-resort"]'
        "?Set(VT_ANNOUNCE=${DB(vuurtoren/announce/${COUNTER}/${CHANNEL(language)})}))"
    )
    assert announce in text
    assert '"unstaffed"]?no_agents:closed)' in text  # REASON: why, for the record too
    assert "vuurtoren-sound,s,1(vuurtoren-${REASON})" in text
    # ...only on the way to the lighthouse or the last resort, not into an open counter
    apps = [f"{app}({args})" for app, args in steps]
    assert apps.index(announce) > apps.index("Set(TARGET=lighthouse)")
    assert apps.index(announce) > apps.index(
        'GotoIf($["${DB(vuurtoren/counter/${COUNTER})}" = "open"]?record)'
    )
    record = next(a for app, a in steps if app == "Set" and a.startswith("DB(vuurtoren/failsafe"))
    assert record.endswith(
        "=v2,${VT_START},${UNIQUEID},${TOPIC},${COUNTER},${TARGET},${REASON},${CALLERID(num)}"
    )
    # a caller who hangs up in a queue while Vuurtoren is away leaves the visit
    gone = "\n".join(a for _, a in steps_of(files, "queues", "h"))
    assert "${VUURTOREN_HEARTBEAT}" in gone and '"${MEMBERINTERFACE}" != ""' in gone
    assert "DB(vuurtoren/visit/${CHANNEL(linkedid)})=${VT_QUEUE},${VT_JOINED},${EPOCH}" in gone
    # a queue that times out does not send the caller into a closed lighthouse either
    timeout = "\n".join(a for _, a in steps_of(files, "queues", "sociale-dienst"))
    assert "vuurtoren/counter/lighthouse" in timeout and "last-resort,sociale-dienst,1" in timeout
    # "is Vuurtoren there?" is its heartbeat in AstDB, not any session of its account
    hangup = "\n".join(a for _, a in steps_of(files, "central-number", "h"))
    assert "${EPOCH} - 0${DB(vuurtoren/heartbeat)} < ${VUURTOREN_HEARTBEAT}" in hangup
    assert "AMI_CLIENT" not in files["extensions.conf"]


def test_an_open_counters_caller_joins_its_queue_at_once(
    example_site: Site, files: dict[str, str]
) -> None:
    """Nothing plays between the Redirect and ``Queue()`` of a counter: an idle agent rings
    within a second of the choice. Only the lighthouse's callers hear why first."""
    for c in example_site.counters:
        steps = steps_of(files, "queues", c.queue)
        apps = [app for app, _ in steps]
        before = apps[: apps.index("Queue")]
        assert not {"Playback", "Gosub", "Read", "Wait"} & set(before), (c.queue, before)
    lighthouse = [app for app, _ in steps_of(files, "queues", example_site.lighthouse.queue)]
    assert "Gosub" in lighthouse[: lighthouse.index("Queue")]  # vuurtoren-announce


def test_the_welcome_and_the_languages_are_part_of_the_menus_read(files: dict[str, str]) -> None:
    """Barge-in: a key pressed during the welcome or the language offers acts at once; the
    other languages are offered before the Dutch menu, not after it."""
    steps = steps_of(files, "central-number", "s")
    apps = [app for app, _ in steps]
    assert "Playback" not in apps[: apps.index("Read")]
    text = "\n".join(f"{app}({args})" for app, args in steps[: apps.index("Read")])
    assert "vuurtoren-sound,s,1(welkom)" in text
    assert text.index("fr/taalkeuze") < text.index("vuurtoren-sound,s,1(menu)")
    assert "Set(SOUND=${INTRO:1}&${SOUND})" in text


def test_the_hold_loop_waits_in_real_time(files: dict[str, str]) -> None:
    steps = steps_of(files, "central-number", "s")
    apps = [app for app, _ in steps]
    assert "MusicOnHold" not in apps  # returns at once when the class cannot play
    assert ("StartMusicOnHold", "default") in steps and ("Wait", "1") in steps
    assert apps.index("StartMusicOnHold") < apps.index("Wait")


def test_a_complete_menu_choice_is_acted_on_at_once(
    example_site: Site, files: dict[str, str]
) -> None:
    steps = steps_of(files, "central-number", "s")
    first_read = next(args for app, args in steps if app == "Read")
    assert first_read.split(",")[2] == "1"  # one key, then decide
    plan = dialplan(parse(files["extensions.conf"], "extensions.conf"))
    waits_after = set(plan.get("menu-prefixes", {}))
    assert waits_after == {"2", "3", "4", "5", "*"}  # the groups' keys; the languages' *1, *2
    assert not waits_after & {t.digit for t in example_site.topics}  # no complete choice waits


def test_no_step_depends_on_a_file_nobody_ships(files: dict[str, str]) -> None:
    plan = dialplan(parse(files["extensions.conf"], "extensions.conf"))
    all_steps = [s for extens in plan.values() for steps in extens.values() for s in steps]
    apps = {s.app for s in all_steps}
    # no core sound files: dates, times and numbers are spoken in the prompts
    assert not apps & {"SayUnixTime", "SayNumber", "SayDigits", "VoiceMail", "Background"}
    for step in all_steps:
        if step.app in ("Playback", "Read") and "vuurtoren/" in step.args:
            pytest.fail(f"{step.app}({step.args}) plays a prompt without checking it exists")
        if step.app == "Playback":  # only what vuurtoren-sound or -announce found to exist
            assert step.args in ("${SOUND}", "${F}"), step.args
    assert "vuurtoren-sound" in plan


def test_what_the_caller_hears_comes_from_vuurtoren_and_the_prompts_folder(
    example_site: Site, files: dict[str, str]
) -> None:
    plan = dialplan(parse(files["extensions.conf"], "extensions.conf"))
    ext = files["extensions.conf"]
    assert f"VT_PROMPTS={example_site.prompts.dir}" in ext and "VT_LANGUAGE=nl" in ext
    # the prompt is looked up in the caller's language, else the default one
    sound = [s.args for s in plan["vuurtoren-sound"]["s"]]
    assert sound[0] == "SOUND=${VT_PROMPTS}/${CHANNEL(language)}/${ARG1}"
    assert "SOUND=${VT_PROMPTS}/${VT_LANGUAGE}/${ARG1}" in sound
    # the lighthouse plays Vuurtoren's VT_ANNOUNCE (why) before Queue(), once (not on going
    # back); a counter's queue plays nothing first
    apps = [(s.app, s.args) for s in plan["queues"][example_site.lighthouse.queue]]
    announce = apps.index(("Gosub", "vuurtoren-announce,s,1"))
    assert apps[announce + 1] == ("Set", "VT_ANNOUNCE=")
    assert announce < [a for a, _ in apps].index("Queue")
    for c in example_site.counters:
        apps = [(s.app, s.args) for s in plan["queues"][c.queue]]
        assert ("Gosub", "vuurtoren-announce,s,1") not in apps
    assert ("Gosub", "vuurtoren-announce,s,1") in [
        (s.app, s.args) for s in plan["last-resort"]["announce"]
    ]
    # the languages' keys, each helpline its own prompt, the whisper's side
    assert set(plan["vuurtoren-languages"]) == {"*1", "*2"}
    assert "*" in plan["menu-prefixes"]
    last = " ".join(s.args for s in plan["last-resort"]["announce"])
    assert all(f"hulplijn-{i}" in last for i in (1, 2, 3))
    whisper = [s.app for s in plan["vuurtoren-whisper"]["s"]]
    assert whisper == ["Answer", "Wait", "Gosub", "Hangup"]
    # Asterisk's own position and hold-time announcements are off: Vuurtoren says them
    queues = parse(files["queues.conf"], "queues.conf")
    for queue in example_site.queues:
        assert queues[queue].get("announce-position") == "no"
        assert queues[queue].get("announce-holdtime") == "no"
        assert queues[queue].get("periodic-announce") is None


def test_the_command_lists_the_prompts_and_modules(tmp_path: Path) -> None:
    env = {**os.environ, "VUURTOREN_AMI_SECRET": "from-env-only"}
    script = Path(sys.executable).with_name("vuurtoren")
    out = subprocess.run(
        [str(script), "asterisk-config", "--config", str(EXAMPLE), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    for name in ("welkom.wav", "menu.wav", "hulplijn-2.wav", "keuze-terugbellen.wav"):
        assert name in out
    assert "vuurtoren prompts --config" in out and "app_queue" in out and "func_env" in out
