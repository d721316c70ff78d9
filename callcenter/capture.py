"""Capture and replay of raw AMI byte streams.

``capture`` logs in to a live Asterisk and writes every byte it receives, banner included,
to a file for a set time. ``replay`` feeds such a file (or any file that holds the bytes as
received) through the same codec and call tracker as live traffic and returns the calls.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from callcenter.ami.codec import Decoder, FrameError, Message, encode_message
from callcenter.tracker import CallRecord, CallTracker, event_time
from routing.site import Site

__all__ = ["capture", "replay_bytes", "replay_file"]

log = logging.getLogger(__name__)


async def capture(
    host: str,
    port: int,
    username: str,
    secret: str,
    out: Path,
    seconds: float,
    *,
    events: str = "on",
) -> int:
    """Record ``seconds`` of a live AMI session to ``out``; returns the bytes written."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
    try:
        return await _record(reader, writer, username, secret, out, seconds, events)
    finally:
        writer.close()


async def _record(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    username: str,
    secret: str,
    out: Path,
    seconds: float,
    events: str,
) -> int:
    decoder = Decoder()
    written = 0
    with out.open("wb") as f:

        async def read_until(action_id: str) -> Message:
            nonlocal written
            while True:
                data = await asyncio.wait_for(reader.read(65536), 10)
                if not data:
                    raise ConnectionError("Asterisk closed the connection during login")
                f.write(data)
                written += len(data)
                for item in decoder.feed(data):
                    if isinstance(item, Message) and item.get("ActionID") == action_id:
                        return item

        writer.write(
            encode_message(
                [("Action", "Challenge"), ("AuthType", "MD5"), ("ActionID", "capture-1")]
            )
        )
        challenge = await read_until("capture-1")
        key = hashlib.md5(
            ((challenge.get("Challenge") or "") + secret).encode(), usedforsecurity=False
        ).hexdigest()
        writer.write(
            encode_message(
                [
                    ("Action", "Login"),
                    ("Username", username),
                    ("AuthType", "MD5"),
                    ("Key", key),
                    ("Events", events),
                    ("ActionID", "capture-2"),
                ]
            )
        )
        answer = await read_until("capture-2")
        if answer.name != "Success":
            raise PermissionError(f"login refused: {answer.get('Message')}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            try:
                data = await asyncio.wait_for(reader.read(65536), left)
            except TimeoutError:
                break
            if not data:
                log.warning("capture: Asterisk closed the connection")
                break
            f.write(data)
            f.flush()
            written += len(data)
    return written


def replay_bytes(
    chunks: Iterable[bytes], site: Site | None = None
) -> tuple[list[CallRecord], CallTracker, int]:
    """Feed raw AMI bytes through the codec and the tracker. Returns the ended calls (calls
    still up at the end of the stream are closed as ``lost_track``), the tracker and the
    number of frame errors skipped."""
    tracker = CallTracker(site)
    ended: list[CallRecord] = []
    tracker.on_end.append(ended.append)
    decoder = Decoder()
    errors = 0
    last = None
    for chunk in chunks:
        for item in decoder.feed(chunk):
            if isinstance(item, FrameError):
                errors += 1
                log.warning("replay: %s", item)
                continue
            if item.is_event:
                tracker.handle(item)
                last = item
    if tracker.calls:
        at = event_time(last, None) if last is not None else None
        if at is not None:
            tracker.lose_all(at, "the recording ends while the call is up")
    return ended, tracker, errors


def replay_file(path: Path, site: Site | None = None) -> tuple[list[CallRecord], CallTracker, int]:
    def chunks() -> Iterable[bytes]:
        with path.open("rb") as f:
            while block := f.read(1 << 16):
                yield block

    return replay_bytes(chunks(), site)
