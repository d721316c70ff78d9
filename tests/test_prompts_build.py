"""Building what the citizen hears: every prompt of the example site is a file Asterisk plays
(8 kHz, mono, 16-bit PCM WAV, checked with sox), recorded or synthesised; a rebuild makes only
what changed; bad texts and recordings are check-config errors that name the prompt."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.dialplan.prompts import prompts
from callcenter.prompts.build import build
from callcenter.simulator.prompts import CHARS_PER_SECOND, SENTENCE_SECONDS, PromptLengths
from routing.config import ConfigError, parse_site
from routing.site import Site

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sociaal-huis.toml"

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")),
    reason="espeak-ng and sox are not installed (apt-get install espeak-ng sox; .ci/run does)",
)


def soxi(path: Path) -> dict[str, str]:
    out = subprocess.run(["soxi", str(path)], capture_output=True, text=True, check=True).stdout
    fields = (line.split(":", 1) for line in out.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in fields}


def site_file(tmp_path: Path, text: str | None = None) -> Path:
    f = tmp_path / "site.toml"
    f.write_text(text if text is not None else EXAMPLE.read_text("utf-8"), "utf-8")
    return f


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("prompts")
    site = parse_site(EXAMPLE.read_text("utf-8"))
    report = build(site, out, EXAMPLE.parent)
    return out, report.as_json()


def test_every_prompt_is_audio_asterisk_plays(built: tuple[Path, dict[str, object]]) -> None:
    out, report = built
    site = parse_site(EXAMPLE.read_text("utf-8"))
    expected = {f"{lang}/{p.name}" for lang in site.prompts.languages for p in prompts(site, lang)}
    assert set(report["synthesised"]) == expected and not report["failed"]  # type: ignore[arg-type]
    for ident in sorted(expected):
        info = soxi(out / f"{ident}.wav")
        assert info["Channels"] == "1", ident
        assert info["Sample Rate"] == "8000", ident
        assert info["Precision"] == "16-bit", ident
        assert info["Sample Encoding"] == "16-bit Signed Integer PCM", ident
        seconds = float(
            subprocess.run(
                ["soxi", "-D", str(out / f"{ident}.wav")], capture_output=True, text=True
            ).stdout
        )
        assert seconds > 0.4, ident  # spoken, not silence
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["nl/menu"]["text"].startswith("Voor financiële hulp en leefloon, druk 1.")
    assert (
        manifest["nl/hulplijn-2"]["text"] == "Voor Zelfmoordlijn kunt u altijd bellen naar 1 8 1 3."
    )


def test_the_simulator_plays_a_prompt_as_long_as_its_file(
    built: tuple[Path, dict[str, object]],
) -> None:
    """The simulated Asterisk's Playback takes the built file's own length; without a file,
    the text at espeak-ng's pace; a sentence it cannot know, a few seconds."""
    out, _ = built
    site = parse_site(EXAMPLE.read_text("utf-8"))
    on_disk = PromptLengths(replace(site, prompts=replace(site.prompts, dir=str(out))))
    welcome = float(
        subprocess.run(
            ["soxi", "-D", str(out / "nl/welkom.wav")], capture_output=True, text=True
        ).stdout
    )
    assert on_disk.seconds(f"{out}/nl/welkom") == pytest.approx(welcome, abs=0.001)
    without = PromptLengths(replace(site, prompts=replace(site.prompts, dir=str(out / "none"))))
    text = next(p.text for p in prompts(site, "nl") if p.name == "welkom")
    assert without.seconds("nl/welkom") == pytest.approx(0.3 + len(text) / CHARS_PER_SECOND)
    assert 0.5 < without.seconds("nl/welkom") / welcome < 2  # the estimate is of the same order
    assert without.seconds("dyn/nl/0123456789abcdef0123") == SENTENCE_SECONDS


def test_a_rebuild_makes_only_what_changed(
    built: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(built[0], out)
    text = EXAMPLE.read_text("utf-8")
    again = build(parse_site(text), out, EXAMPLE.parent)
    assert again.synthesised == [] and len(again.unchanged) == 209
    # one topic's label changes: the Dutch sub-menu it is in alone is made again (French
    # and English have labels of their own)
    text = text.replace('label = "Kinderopvang zoeken"', 'label = "Opvang"')
    third = build(parse_site(text), out, EXAMPLE.parent)
    assert third.synthesised == ["nl/menu-3"] and third.removed == []
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert "Voor opvang, druk 2." in manifest["nl/menu-3"]["text"]
    # a recording replaces the synthesised welcome; a helpline gone, its prompts go too
    sine = ["synth", "1.5", "sine", "440"]
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(tmp_path / "welkom.wav"), *sine])
    text = text.replace(
        "[prompts.nl]\n", '[prompts.nl.recorded]\nwelkom = "welkom.wav"\n\n[prompts.nl]\n', 1
    )
    gone = '[[helplines]]\nlabel = "Hulplijn 1712 (geweld, misbruik)"\nnumber = "1712"\n'
    assert gone in text
    fourth = build(parse_site(text.replace(gone, "")), out, tmp_path)
    assert fourth.recorded == ["nl/welkom"] and fourth.synthesised == []
    assert fourth.removed == ["en/hulplijn-3", "fr/hulplijn-3", "nl/hulplijn-3"]
    info = soxi(out / "nl" / "welkom.wav")
    assert (info["Channels"], info["Sample Rate"]) == ("1", "8000")  # from 44.1 kHz stereo
    assert not (out / "nl" / "hulplijn-3.wav").exists()


def test_bad_texts_and_recordings_name_the_prompt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = EXAMPLE.read_text("utf-8")
    with pytest.raises(ConfigError) as err:
        parse_site(base.replace("[prompts.en]\n", '[prompts.en]\ntot-ziens = "  "\n', 1))
    assert "[prompts].en.tot-ziens: the text of prompt 'tot-ziens' is empty" in str(err.value)
    # a recording that is missing, and one that is no audio: check-config names both
    (tmp_path / "kapot.wav").write_bytes(b"this is not a wave file at all")
    text = base.replace(
        "[prompts.nl]\n",
        '[prompts.nl.recorded]\nwelkom = "opnames/welkom.mp3"\nmenu = "kapot.wav"\n\n'
        "[prompts.nl]\n",
        1,
    )
    f = site_file(tmp_path, text)
    assert main(["check-config", str(f)]) == 2
    said = capsys.readouterr().err
    assert "[prompts.nl.recorded].welkom: opnames/welkom.mp3: no such file" in said
    assert "[prompts.nl.recorded].menu: kapot.wav: not audio sox can read" in said
    assert main(["prompts", "--config", str(f), "--out", str(tmp_path / "out")]) == 2
    # a placeholder the text may not hold, an unknown text
    text = base.replace("[prompts.en]\n", '[prompts.en]\ntot-ziens = "Bye {name}"\nbye = "x"\n', 1)
    f = site_file(tmp_path, text)
    assert main(["check-config", str(f)]) == 2
    said = capsys.readouterr().err
    assert "[prompts.en].tot-ziens: unknown placeholder {name} (this text may hold: none)" in said
    assert "[prompts.en].bye: unknown text" in said


def test_the_command_reports_recorded_and_synthesised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tone = ["synth", "1", "sine", "300"]
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(tmp_path / "dag.wav"), *tone])
    text = EXAMPLE.read_text("utf-8").replace(
        "[prompts.nl]\n", '[prompts.nl.recorded]\ntot-ziens = "dag.wav"\n\n[prompts.nl]\n', 1
    )
    f = site_file(tmp_path, text)
    out = tmp_path / "out"
    assert main(["prompts", "--config", str(f), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["recorded"] == ["nl/tot-ziens"] and "fr/tot-ziens" in report["synthesised"]
    assert main(["prompts", "--config", str(f), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert ": 0 made (0 recorded, 0 synthesised), 209 unchanged, 0 removed" in said


def test_staff_prompts_speak_the_callers_language(example_site: Site) -> None:
    """The desk-phone results are said in French and English too (not in Dutch words), and
    the default language has no language offer of its own (it has no key)."""
    from callcenter.dialplan.names import RESULTS
    from callcenter.dialplan.prompts import prompts

    dutch = {p.name: p.text for p in prompts(example_site, "nl")}
    assert "taalkeuze" not in dutch
    for lang in ("fr", "en"):
        said = {p.name: p.text for p in prompts(example_site, lang)}
        assert "taalkeuze" in said
        for word in RESULTS:
            name = f"feature-{word}"
            assert said[name] and said[name] != dutch[name], (lang, name)
