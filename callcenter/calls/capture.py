"""Capture and replay of AMI byte streams.

``capture`` logs in to a live Asterisk and writes every byte it receives, banner included,
each read with the time it arrived (a stock Asterisk sends no ``Timestamp``: without the
receive times a replay could not place its events in time). The file format::

    VUURTOREN-AMI-CAPTURE 1\n
    @<unix time, 6 decimals> <n>\n<n bytes as received>   (repeated)

``replay`` feeds such a file, or a file of the bare bytes as received (it starts with the
``Asterisk Call Manager/`` banner), through the same codec and call tracker as live traffic and
returns the calls; anything else is refused with :class:`NotACapture`. Waits and talk times
come from the events' own ``HoldTime``/``TalkTime`` either way.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from callcenter.ami.codec import Decoder, FrameError, Message, encode_message
from callcenter.calls.tracker import CallTracker, event_time
from callcenter.store.records import CallRecord
from routing.site import Site

__all__ = ["MAGIC", "NotACapture", "capture", "read_capture", "replay_bytes", "replay_file"]

log = logging.getLogger(__name__)

MAGIC = b"VUURTOREN-AMI-CAPTURE 1\n"
BANNER = b"Asterisk Call Manager/"


class NotACapture(ValueError):
    """The file is neither a capture nor the bytes of an AMI session."""


def _write_chunk(f: BinaryIO, data: bytes) -> None:
    f.write(b"@%.6f %d\n" % (time.time(), len(data)))
    f.write(data)


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
        f.write(MAGIC)

        async def read_until(action_id: str) -> Message:
            nonlocal written
            while True:
                data = await asyncio.wait_for(reader.read(65536), 10)
                if not data:
                    raise ConnectionError("Asterisk closed the connection during login")
                _write_chunk(f, data)
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
            _write_chunk(f, data)
            f.flush()
            written += len(data)
    return written


def replay_bytes(
    chunks: Iterable[bytes], site: Site | None = None
) -> tuple[list[CallRecord], CallTracker, int]:
    """:func:`replay_chunks` of bare bytes (no receive times)."""
    return replay_chunks(((chunk, None) for chunk in chunks), site)


def replay_chunks(
    chunks: Iterable[tuple[bytes, datetime | None]], site: Site | None = None
) -> tuple[list[CallRecord], CallTracker, int]:
    """Feed AMI bytes, each chunk with the time it was received (or None), through the codec
    and the tracker. Returns the ended calls (calls still up at the end of the stream are
    closed as ``lost_track``), the tracker and the number of frame errors skipped."""
    tracker = CallTracker(site)
    ended: list[CallRecord] = []
    tracker.on_end.append(ended.append)
    decoder = Decoder()
    errors = 0
    last: Message | None = None
    last_received: datetime | None = None
    for chunk, received in chunks:
        last_received = received or last_received
        for item in decoder.feed(chunk):
            if isinstance(item, FrameError):
                errors += 1
                log.warning("replay: %s", item)
                continue
            if item.is_event:
                tracker.handle(item, received)
                last = item
    if tracker.calls and last is not None:
        tracker.lose_all(event_time(last, last_received), "the recording ends while the call is up")
    return ended, tracker, errors


def read_capture(path: Path) -> Iterator[tuple[bytes, datetime | None]]:
    """The chunks of a capture file with their receive times, or of a bare byte stream
    (times None). :class:`NotACapture` when the file is neither."""
    with path.open("rb") as f:
        head = f.read(len(MAGIC))
        if head == MAGIC:
            yield from _timed_chunks(f, path)
            return
        if not head.startswith(BANNER[: len(head)]) or len(head) < len(BANNER):
            shown = head[:24].decode("latin-1").encode("unicode_escape").decode()
            raise NotACapture(
                f"{path}: not an AMI capture (it starts with {shown!r}; expected a file "
                "from `vuurtoren capture` or the bytes of an AMI session, which begin with "
                "'Asterisk Call Manager/')"
            )
        yield head, None
        while block := f.read(1 << 16):
            yield block, None


def _timed_chunks(f: BinaryIO, path: Path) -> Iterator[tuple[bytes, datetime | None]]:
    offset = len(MAGIC)
    while True:
        line = f.readline(64)
        if not line:
            return
        try:
            stamp, size = line[1:].split()
            if not line.startswith(b"@"):
                raise ValueError
            at, n = datetime.fromtimestamp(float(stamp), UTC), int(size)
        except (ValueError, OverflowError, OSError):
            raise NotACapture(
                f"{path}: damaged capture: bad chunk header at byte {offset}"
            ) from None
        data = f.read(n)
        if len(data) < n:
            log.warning(
                "replay: %s ends inside a chunk (at byte %d): the rest is lost", path, offset
            )
        yield data, at
        offset += len(line) + len(data)


def replay_file(path: Path, site: Site | None = None) -> tuple[list[CallRecord], CallTracker, int]:
    """Replay a capture file; :class:`NotACapture` when it is not one."""
    chunks = read_capture(path)
    first = next(chunks, None)  # raises NotACapture before any work
    if first is None:
        raise NotACapture(f"{path}: empty file")

    def all_chunks() -> Iterator[tuple[bytes, datetime | None]]:
        yield first
        yield from chunks

    return replay_chunks(all_chunks(), site)
