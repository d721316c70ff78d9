"""The AMI wire codec: bytes in, immutable messages out. No sockets, no clock.

Framing (see ``shared/reference/ami-reference.md`` §1): the server first writes a banner line
``Asterisk Call Manager/<version>`` (no blank line after it); then every message is a block of
``Name: value`` lines ended by an empty line. The decoder

- buffers bytes until a whole message is there and decodes per message, never per read, so a
  multi-byte character split across TCP reads is never lost;
- decodes UTF-8, and a message that is not valid UTF-8 as ISO-8859-1 (every byte maps to one
  character, so nothing is lost and :meth:`Message.encode` gives the same bytes back); such a
  message has ``encoding == "latin-1"``;
- accepts CRLF and bare LF line ends, ``Name:value`` without the space, empty values, values
  that contain ``: ``, repeated headers (kept in order) and lines without a colon (kept with an
  empty name);
- caps the size of a message and of a header line; on an oversized or garbage message it
  reports a :class:`FrameError` naming the stream offset and resynchronises at the next message
  boundary. The stream goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = [
    "BANNER_PREFIX",
    "Decoder",
    "FrameError",
    "Message",
    "encode_message",
]

BANNER_PREFIX = "Asterisk Call Manager/"
_KINDS = ("Event", "Response", "Action")

Header = tuple[str, str]


class Message:
    """One AMI message: an ordered, immutable list of (name, value) headers.

    ``msg["Queue"]`` / ``msg.get("Queue")`` give the first value of a header (names compared
    without regard to case, as Asterisk does); ``msg.get_all("ChanVariable")`` gives every
    value in order.

    A decoded message keeps its text and splits it into headers only when the whole list is
    asked for; a single ``get`` is a substring search. Both give the same answers.
    """

    __slots__ = ("_eol", "_first", "_headers", "_text", "encoding", "offset")

    encoding: str
    offset: int

    def __init__(
        self, headers: Iterable[Header], *, encoding: str = "utf-8", offset: int = -1
    ) -> None:
        self._headers: tuple[Header, ...] | None = (
            headers if isinstance(headers, tuple) else tuple(headers)
        )
        self._text: str | None = None
        self._eol = "\r\n"
        self.encoding = encoding
        self.offset = offset
        """Byte offset of the message in its stream (-1 when built, not decoded)."""
        self._first: dict[str, str] | None = None

    @classmethod
    def _from_text(cls, text: str, eol: str, encoding: str, offset: int) -> Message:
        # ``text``: lines separated by ``eol``, no trailing blank line.
        self = cls.__new__(cls)
        self._headers = None
        self._text = text
        self._eol = eol
        self._first = None
        self.encoding = encoding
        self.offset = offset
        return self

    # -- construction helpers --------------------------------------------------------
    @classmethod
    def event(cls, name: str, *headers: Header, **fields: object) -> Message:
        return cls((("Event", name), *headers, *_fields(fields)))

    @classmethod
    def response(cls, status: str, *headers: Header, **fields: object) -> Message:
        return cls((("Response", status), *headers, *_fields(fields)))

    @classmethod
    def action(cls, name: str, *headers: Header, **fields: object) -> Message:
        return cls((("Action", name), *headers, *_fields(fields)))

    # -- access ----------------------------------------------------------------------
    @property
    def headers(self) -> tuple[Header, ...]:
        headers = self._headers
        if headers is None:
            assert self._text is not None
            headers = self._headers = _split_headers(self._text, self._eol)
        return headers

    def _index(self) -> dict[str, str]:
        first = self._first
        if first is None:
            first = {}
            for name, value in self.headers:
                if name not in first:
                    first[name] = value
            self._first = first
        return first

    def get(self, name: str, default: str | None = None) -> str | None:
        text = self._text
        if text is not None and self._first is None:
            # Fast path on a decoded message: the first line that starts with "Name:". When
            # it has the usual space after the colon its value is the answer; anything odder
            # is left to the full split below, so both paths always agree.
            key = name + ":"
            eol = self._eol
            if text.startswith(key):
                pos = len(key)
            else:
                pos = text.find(eol + key)
                if pos >= 0:
                    pos += len(key) + len(eol)
            if pos >= 0 and text.startswith(" ", pos):
                end = text.find(eol, pos)
                return text[pos + 1 :] if end < 0 else text[pos + 1 : end]
            if pos < 0:
                # Absent as written; absent in any case too? Then no split is needed.
                lower = text.lower()
                key = key.lower()
                if not lower.startswith(key) and lower.find(eol + key) < 0:
                    return default
        value = self._index().get(name)
        if value is not None:
            return value
        lower = name.lower()
        for key_, val in self.headers:
            if key_.lower() == lower:
                return val
        return default

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def get_all(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for k, v in self.headers if k.lower() == lower]

    def with_headers(self, *headers: Header) -> Message:
        """A copy with headers appended (ActionID, for instance)."""
        return Message((*self.headers, *headers), encoding=self.encoding)

    def _first_header(self) -> Header:
        text = self._text
        if text is not None:
            end = text.find(self._eol)
            line = text if end < 0 else text[:end]
            name, sep, value = line.partition(": ")
            return (name, value) if sep else _split_line(line)
        return self.headers[0] if self.headers else ("", "")

    @property
    def kind(self) -> str:
        """``Event``, ``Response`` or ``Action`` (the first header's name), else ``""``."""
        name = self._first_header()[0]
        return name if name in _KINDS else ""

    @property
    def name(self) -> str:
        """The event name, the response status or the action name."""
        return self._first_header()[1]

    @property
    def is_event(self) -> bool:
        return self._first_header()[0] == "Event"

    @property
    def is_response(self) -> bool:
        return self._first_header()[0] == "Response"

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    def as_dict(self) -> dict[str, str | list[str]]:
        """Headers as a dict; a repeated header becomes a list of its values."""
        out: dict[str, str | list[str]] = {}
        for name, value in self.headers:
            have = out.get(name)
            if have is None:
                out[name] = value
            elif isinstance(have, list):
                have.append(value)
            else:
                out[name] = [have, value]
        return out

    def encode(self) -> bytes:
        return encode_message(self.headers, self.encoding)

    # -- value semantics -------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and other.headers == self.headers

    def __hash__(self) -> int:
        return hash(self.headers)

    def __repr__(self) -> str:
        headers = self.headers
        shown = ", ".join(f"{k}: {v}" for k, v in headers[:4])
        more = f", … +{len(headers) - 4}" if len(headers) > 4 else ""
        return f"<Message {shown}{more}>"

    def __iter__(self) -> Iterator[Header]:
        return iter(self.headers)

    def __len__(self) -> int:
        return len(self.headers)


def _split_line(line: str) -> Header:
    name, sep, value = line.partition(":")
    return (name, value) if sep else ("", line)


def _split_headers(text: str, eol: str) -> tuple[Header, ...]:
    out: list[Header] = []
    for line in text.split(eol):
        name, sep, value = line.partition(": ")
        out.append((name, value) if sep else _split_line(line))
    return tuple(out)


def _fields(fields: Mapping[str, object]) -> list[Header]:
    return [(k, _text(v)) for k, v in fields.items() if v is not None]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- encoding -----------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\r": "\\r", "\n": "\\n"})
_BAD_NAME = frozenset(":\r\n")


def _check_name(name: str) -> str:
    if not name or name != name.strip() or _BAD_NAME.intersection(name):
        raise ValueError(f"invalid AMI header name {name!r}")
    return name


def encode_message(headers: Iterable[Header], encoding: str = "utf-8") -> bytes:
    """Serialise headers as one AMI message (CRLF lines, blank line at the end).

    A CR or LF inside a value is written as the two characters ``\\r`` / ``\\n`` (Asterisk's
    own C-escaping), so a value can never start a new header or end the message. A header name
    with a colon, a line break or surrounding space is refused (ValueError).
    """
    parts: list[str] = []
    for name, value in headers:
        if "\r" in value or "\n" in value:
            value = value.translate(_ESCAPES)
        parts.append(f"{_check_name(name)}: {value}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode(encoding)


# -- decoding -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrameError:
    """A message the decoder had to skip; the stream continues after it."""

    offset: int
    """Byte offset in the stream (after line-end normalisation) where the bad message began."""
    reason: str
    excerpt: bytes = b""

    def __str__(self) -> str:
        return f"AMI frame error at byte {self.offset}: {self.reason} ({self.excerpt[:60]!r})"


Item = Message | FrameError


class Decoder:
    """Incremental AMI decoder. ``feed(data)`` returns the messages completed by ``data``.

    ``expect_banner=True`` (a client reading a server) takes the first line as the banner;
    its version is in :attr:`banner_version`. A server reading a client uses False, and
    ``require_kind=False`` so that a request without ``Action:`` still reaches it (Asterisk
    answers it with "Missing action in request").

    The line end is learnt from the first one seen: CRLF (what Asterisk sends) or a bare LF
    (hand-written transcripts); offsets in errors are positions in the raw byte stream.
    """

    __slots__ = (
        "_buffer",
        "_consumed",
        "_eol",
        "_skipping",
        "banner",
        "expect_banner",
        "max_header",
        "max_message",
        "require_kind",
    )

    def __init__(
        self,
        *,
        expect_banner: bool = True,
        max_message: int = 1 << 20,
        max_header: int = 64 << 10,
        require_kind: bool = True,
    ) -> None:
        self.expect_banner = expect_banner
        self.require_kind = require_kind
        self.max_message = max_message
        self.max_header = max_header
        self.banner: str | None = None
        self._buffer = b""
        self._consumed = 0  # stream offset of _buffer[0]
        self._eol: bytes | None = None
        self._skipping = False

    @property
    def banner_version(self) -> str | None:
        if self.banner and self.banner.startswith(BANNER_PREFIX):
            return self.banner[len(BANNER_PREFIX) :]
        return None

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Item]:
        """The items ``data`` completes. The same bytes give the same items (and offsets)
        however the stream is cut into reads: a message ends at the first blank line after
        its text, blank lines between messages are skipped, and every limit is judged on a
        whole message."""
        buffer = self._buffer + data if self._buffer else data
        out: list[Item] = []
        eol = self._eol
        if eol is None:
            nl = buffer.find(b"\n")
            if nl < 0:
                self._buffer = buffer
                if len(buffer) > self.max_message:
                    self._buffer = b""
                    self._overflow(buffer, out)
                return out
            eol = self._eol = b"\r\n" if nl > 0 and buffer[nl - 1] == 13 else b"\n"

        if self.expect_banner and self.banner is None:
            end = buffer.find(eol)
            if end < 0 and len(buffer) <= self.max_header:
                self._buffer = buffer
                return out
            if end < 0 or end > self.max_header:
                out.append(FrameError(self._consumed, "banner line too long", buffer[:80]))
                self.banner = ""
                self._skipping = True
            else:
                line = buffer[:end].decode("utf-8", "replace")
                if line.startswith(BANNER_PREFIX):
                    self.banner = line
                    buffer = buffer[end + len(eol) :]
                    self._consumed += end + len(eol)
                else:  # no banner: the peer started with a message; read it as one
                    self.banner = ""

        boundary = eol + eol
        if self._skipping:
            cut = buffer.find(boundary)
            if cut < 0:
                self._keep_tail(buffer, len(boundary) - 1)
                return out
            self._skipping = False
            buffer = buffer[cut + len(boundary) :]
            self._consumed += cut + len(boundary)

        while buffer.startswith(eol):  # blank lines between messages
            buffer = buffer[len(eol) :]
            self._consumed += len(eol)

        cut = buffer.rfind(boundary)
        if cut < 0:
            self._buffer = buffer
            # a message's text over the limit, and not the start of its end either
            if len(buffer) > self.max_message + len(boundary) - 1:
                self._overflow(buffer, out)
            return out

        block = buffer[:cut]
        rest = buffer[cut + len(boundary) :]
        base = self._consumed
        self._consumed += cut + len(boundary)
        self._decode_block(block, base, out)
        self._buffer = b""
        if rest:
            out.extend(self.feed(rest))
        return out

    def _keep_tail(self, buffer: bytes, keep: int) -> None:
        """While skipping: drop what was read but the last bytes, which may begin the
        blank line the skipping waits for."""
        tail = buffer[-keep:] if keep and len(buffer) > keep else buffer
        self._consumed += len(buffer) - len(tail)
        self._buffer = tail

    def _overflow(self, buffer: bytes, out: list[Item]) -> None:
        out.append(
            FrameError(self._consumed, f"message larger than {self.max_message} bytes", buffer[:80])
        )
        self._skipping = True
        self._keep_tail(buffer, len(self._eol or b"\r\n") * 2 - 1)

    def _decode_block(self, block: bytes, base: int, out: list[Item]) -> None:
        eol_b = self._eol or b"\r\n"
        eol = eol_b.decode()
        sep = eol + eol
        # Fast path: the whole block is valid UTF-8 (the usual case). UTF-8 never encodes CR
        # or LF inside a multi-byte character, so splitting the decoded text cuts exactly
        # where splitting the bytes would.
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        offset = base
        if text is not None:
            for chunk in text.split(sep):
                size = len(chunk) if chunk.isascii() else len(chunk.encode())
                self._parse(chunk, eol, offset, "utf-8", out, size)
                offset += size + len(sep)
            return
        for raw in block.split(eol_b + eol_b):
            try:
                chunk, encoding = raw.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                chunk, encoding = raw.decode("latin-1"), "latin-1"
            self._parse(chunk, eol, offset, encoding, out, len(raw))
            offset += len(raw) + len(sep)

    def _parse(
        self, chunk: str, eol: str, offset: int, encoding: str, out: list[Item], size: int
    ) -> None:
        """One message's text (``size`` bytes in the stream, blank lines around it
        included)."""
        if chunk.startswith(eol) or chunk.endswith(eol):  # spare blank lines around it
            stripped = chunk
            while stripped.startswith(eol):
                stripped = stripped[len(eol) :]
            lead = len(chunk) - len(stripped)
            while stripped.endswith(eol):
                stripped = stripped[: -len(eol)]
            size -= len(chunk) - len(stripped)
            offset += lead
            chunk = stripped
        if not chunk:
            return
        if size > self.max_message:
            out.append(
                FrameError(
                    offset,
                    f"message larger than {self.max_message} bytes",
                    chunk.encode(encoding, "replace")[:80],
                )
            )
            return
        if len(chunk) > self.max_header:  # only then can one line be too long
            for line in chunk.split(eol):
                if len(line) > self.max_header:
                    out.append(
                        FrameError(
                            offset,
                            f"header line longer than {self.max_header} bytes",
                            line[:80].encode(encoding, "replace"),
                        )
                    )
                    return
        if self.require_kind and not chunk.startswith(("Event:", "Response:", "Action:")):
            out.append(
                FrameError(
                    offset,
                    "message does not start with Event, Response or Action",
                    chunk[:80].encode(encoding, "replace"),
                )
            )
            return
        out.append(Message._from_text(chunk, eol, encoding, offset))
