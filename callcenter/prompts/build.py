"""Building the prompts: every static prompt of every language as a file Asterisk plays.

``DIR/<language>/<name>.wav``: 8 kHz, mono, 16-bit signed PCM (what Asterisk's ``wav``
format plays without transcoding on a telephone channel). A prompt comes from a recording
the municipality supplied (any format ``sox`` reads: WAV, FLAC, Ogg, MP3 with Debian's
``libsox-fmt-mp3``), converted by ``sox``; else from its text, synthesised offline by
``espeak-ng`` in the language's voice and converted by ``sox``. Both are levelled to the
same loudness (``norm -3``).

``DIR/manifest.json`` holds, per prompt, a key made of what the file was made from (the
text and the voice, or the recording's bytes) and this module's :data:`FORMAT`: a build
makes only the prompts whose key changed and removes the files of prompts that are gone.
Files are written under a temporary name and renamed: Asterisk never plays half a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.dialplan.prompts import Prompt, prompts
from routing.site import Site

__all__ = [
    "FORMAT",
    "BuildReport",
    "ToolMissing",
    "build",
    "check_recordings",
    "convert",
    "require_tools",
    "synthesise",
]

FORMAT = "wav-8000-mono-s16-norm3-v1"
"""What a built file is; part of every key, so a change of format rebuilds everything."""
SOX_OUT = ("-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer")
SPEED = 150
"""espeak-ng's words per minute: a little slower than its default 175, for the phone."""
MANIFEST = "manifest.json"


class ToolMissing(RuntimeError):
    """espeak-ng or sox is not installed (Debian: apt-get install espeak-ng sox)."""


class ConvertError(RuntimeError):
    """A tool failed on one prompt: the message names the prompt and says what the tool said."""


def require_tools(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise ToolMissing(
            f"not installed: {', '.join(missing)} (Debian: apt-get install espeak-ng sox "
            "libsox-fmt-mp3)"
        )


async def _run(args: Sequence[str], what: str, stdin: bytes | None = None) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(stdin)
    if proc.returncode != 0:
        said = err.decode(errors="replace").strip().splitlines()
        raise ConvertError(f"{what}: {args[0]} failed: {said[-1] if said else proc.returncode}")
    return out


async def synthesise(text: str, voice: str, target: Path, what: str = "") -> None:
    """``text`` spoken by espeak-ng in ``voice``, as a playable file at ``target``."""
    speech = await _run(
        ["espeak-ng", "-v", voice, "-s", str(SPEED), "--stdout", text], what or text[:40]
    )
    await convert(speech, target, what or text[:40], kind="wav")


async def convert(source: bytes | Path, target: Path, what: str, kind: str = "") -> None:
    """A recording (a file, or bytes of type ``kind``) as a playable file at ``target``,
    written under a temporary name and renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.wav")
    try:
        if isinstance(source, Path):
            await _run(["sox", str(source), *SOX_OUT, str(tmp), "norm", "-3"], what)
        else:
            await _run(["sox", "-t", kind, "-", *SOX_OUT, str(tmp), "norm", "-3"], what, source)
        tmp.replace(target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _key(site: Site, lang: str, prompt: Prompt, base: Path) -> str:
    h = hashlib.sha256(FORMAT.encode())
    if prompt.recorded:
        h.update(b"recorded\0" + (base / prompt.recorded).read_bytes())
    else:
        h.update(f"espeak-ng\0{site.prompts.voice(lang)}\0{SPEED}\0{prompt.text}".encode())
    return h.hexdigest()


@dataclass(slots=True)
class BuildReport:
    out: Path
    recorded: list[str] = field(default_factory=list)
    synthesised: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "out": str(self.out),
            "recorded": self.recorded,
            "synthesised": self.synthesised,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": self.failed,
        }


def build(site: Site, out: Path, base: Path, jobs: int | None = None) -> BuildReport:
    """Build every static prompt of every language of ``site`` into ``out`` (recordings'
    paths relative to ``base``, the site file's folder). Only what changed is made again;
    the tools run ``jobs`` at a time (default: one per core)."""
    require_tools("espeak-ng", "sox")
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    try:
        before: dict[str, dict[str, str]] = json.loads(manifest_path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        before = {}
    report = BuildReport(out)
    after: dict[str, dict[str, str]] = {}
    wanted = [(lang, p) for lang in site.prompts.languages for p in prompts(site, lang)]

    async def make_all() -> None:
        limit = asyncio.Semaphore(jobs or os.cpu_count() or 2)
        await asyncio.gather(*(one(limit, lang, p) for lang, p in wanted))

    async def one(limit: asyncio.Semaphore, lang: str, prompt: Prompt) -> None:
        ident = f"{lang}/{prompt.name}"
        target = out / lang / f"{prompt.name}.wav"
        key = _key(site, lang, prompt, base)
        source = "recorded" if prompt.recorded else "synthesised"
        entry = {"key": key, "source": source, "text": prompt.text, "what": prompt.what}
        if before.get(ident, {}).get("key") == key and target.exists():
            after[ident] = entry
            report.unchanged.append(ident)
            return
        async with limit:
            try:
                if prompt.recorded:
                    await convert(base / prompt.recorded, target, ident)
                else:
                    await synthesise(prompt.text, site.prompts.voice(lang), target, ident)
            except ConvertError as exc:
                report.failed.append(str(exc))
                if ident in before:  # the old file stays; the next build tries again
                    after[ident] = before[ident]
                return
        after[ident] = entry
        (report.recorded if prompt.recorded else report.synthesised).append(ident)

    asyncio.run(make_all())
    names = {f"{lang}/{p.name}" for lang, p in wanted}
    for ident in sorted(set(before) - names):
        with contextlib.suppress(FileNotFoundError):
            (out / f"{ident}.wav").unlink()
        report.removed.append(ident)
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(after.items())), ensure_ascii=False, indent=1), "utf-8")
    tmp.replace(manifest_path)
    for bucket in (report.recorded, report.synthesised, report.unchanged):
        bucket.sort()
    return report


def check_recordings(site: Site, base: Path) -> list[str]:
    """Recordings named in the site file that are missing, unreadable or not audio ``sox``
    can read (checked with ``soxi`` when sox is installed); each names its prompt."""
    out = []
    soxi = shutil.which("soxi")
    for lang, files in site.prompts.recorded.items():
        for name, path in sorted(files.items()):
            where = f"[prompts.{lang}.recorded].{name}"
            f = base / path
            try:
                with f.open("rb") as fh:
                    fh.read(16)
            except FileNotFoundError:
                out.append(f"{where}: {path}: no such file")
                continue
            except OSError as exc:
                out.append(f"{where}: {path}: unreadable ({exc.strerror or exc})")
                continue
            if soxi is not None:
                done = subprocess.run(
                    [soxi, "-D", str(f)], capture_output=True, text=True, check=False
                )
                if done.returncode != 0:
                    said = done.stderr.strip().splitlines()
                    out.append(
                        f"{where}: {path}: not audio sox can read"
                        + (f" ({said[-1]})" if said else "")
                    )
    return out
