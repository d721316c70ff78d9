"""The AMI codec, byte for byte: framing, decoding, limits, escaping; round trips."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from callcenter.ami.codec import Decoder, FrameError, Message, encode_message

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def decode_all(data: bytes, *, chunk: int | None = None, **kw: int) -> list[Message | FrameError]:
    d = Decoder(**kw)  # type: ignore[arg-type]
    if chunk is None:
        return d.feed(data)
    out: list[Message | FrameError] = []
    for i in range(0, len(data), chunk):
        out.extend(d.feed(data[i : i + chunk]))
    return out


def test_banner_is_kept_with_its_version() -> None:
    d = Decoder()
    assert d.feed(b"Asterisk Call Manager/7.0.3\r\n") == []
    assert d.banner == "Asterisk Call Manager/7.0.3"
    assert d.banner_version == "7.0.3"


def test_banner_without_trailing_blank_line_then_a_message() -> None:
    msgs = decode_all(BANNER + b"Response: Success\r\nMessage: Authentication accepted\r\n\r\n")
    assert len(msgs) == 1
    m = msgs[0]
    assert isinstance(m, Message)
    assert m.kind == "Response" and m.name == "Success"
    assert m["Message"] == "Authentication accepted"


def test_headers_values_with_colons_empty_values_and_no_space() -> None:
    raw = (
        b"Event: Newchannel\r\nPrivilege: call,all\r\nAccountCode: \r\nApplicationData: a:b: c\r\n"
        b"Odd:nospace\r\nno colon here\r\nLinkedid: 1.2\r\n\r\n"
    )
    (m,) = decode_all(BANNER + raw)
    assert isinstance(m, Message)
    assert m["AccountCode"] == ""
    assert m["ApplicationData"] == "a:b: c"
    assert m["Odd"] == "nospace"
    assert ("", "no colon here") in m.headers
    assert m.get("linkedid") == "1.2"  # names compared without case
    assert m.get("Missing") is None


def test_repeated_headers_are_kept_in_order() -> None:
    raw = (
        b"Event: UserEvent\r\nUniqueid: 1.5\r\nUserEvent: RouteRequest\r\nUniqueid: 1.5\r\n"
        b"ChanVariable: a=1\r\nChanVariable: b=2\r\n\r\n"
    )
    (m,) = decode_all(BANNER + raw)
    assert isinstance(m, Message)
    assert m.get_all("Uniqueid") == ["1.5", "1.5"]
    assert m.get_all("ChanVariable") == ["a=1", "b=2"]
    assert m.as_dict()["ChanVariable"] == ["a=1", "b=2"]


def test_bare_lf_is_accepted() -> None:
    msgs = decode_all(b"Asterisk Call Manager/9.0.0\nEvent: A\nX: 1\n\nEvent: B\n\n")
    assert [m.name for m in msgs if isinstance(m, Message)] == ["A", "B"]


def test_utf8_split_across_reads_is_not_lost() -> None:
    raw = BANNER + "Event: Newchannel\r\nCallerIDName: Frédérique Öztürk\r\n\r\n".encode()
    for size in range(1, 12):
        (m,) = decode_all(raw, chunk=size)
        assert isinstance(m, Message)
        assert m["CallerIDName"] == "Frédérique Öztürk"


def test_invalid_utf8_falls_back_to_latin1_and_keeps_the_message() -> None:
    raw = b"Event: Newchannel\r\nCallerIDName: Financi\xeble hulp\r\n\r\nEvent: Next\r\n\r\n"
    first, second = decode_all(BANNER + raw)
    assert isinstance(first, Message) and isinstance(second, Message)
    assert first.encoding == "latin-1"
    assert first["CallerIDName"] == "Financiële hulp"
    assert first.encode() == raw[: raw.index(b"Event: Next")]  # the same bytes back
    assert second.encoding == "utf-8"


def test_garbage_is_reported_with_its_offset_and_the_stream_resyncs() -> None:
    raw = BANNER + b"Event: A\r\n\r\n\x00\x01garbage\r\nmore\r\n\r\nEvent: B\r\n\r\n"
    out = decode_all(raw)
    assert [type(x).__name__ for x in out] == ["Message", "FrameError", "Message"]
    err = out[1]
    assert isinstance(err, FrameError)
    assert err.offset == len(BANNER) + len(b"Event: A\r\n\r\n")  # raw stream position
    assert "does not start with" in str(err) and "byte" in str(err)


def test_oversized_message_is_skipped_up_to_the_next_boundary() -> None:
    big = b"Event: Big\r\nData: " + b"x" * 5000
    out = decode_all(BANNER + big + b"\r\n\r\nEvent: After\r\n\r\n", chunk=100, max_message=1000)
    kinds = [x.name if isinstance(x, Message) else "error" for x in out]
    assert kinds == ["error", "After"]
    assert isinstance(out[0], FrameError) and "larger than 1000" in out[0].reason


def test_oversized_header_line() -> None:
    raw = BANNER + b"Event: A\r\nData: " + b"y" * 300 + b"\r\n\r\nEvent: B\r\n\r\n"
    out = decode_all(raw, max_header=100)
    assert isinstance(out[0], FrameError) and "header line longer" in out[0].reason
    assert isinstance(out[1], Message) and out[1].name == "B"


def test_a_peer_without_banner_is_read_as_messages() -> None:
    (m,) = decode_all(b"Action: Login\r\nUsername: u\r\n\r\n")
    assert isinstance(m, Message) and m.kind == "Action"


def test_server_side_decoder_reads_actions() -> None:
    d = Decoder(expect_banner=False)
    out = d.feed(b"Action: Ping\r\nActionID: 7\r\n\r\n")
    assert out == [Message((("Action", "Ping"), ("ActionID", "7")))]


def test_encoding_escapes_line_breaks_so_no_header_can_be_injected() -> None:
    data = encode_message([("Action", "Setvar"), ("Value", "x\r\nAction: Hangup\r\n\r\nEvil: 1")])
    out = Decoder(expect_banner=False).feed(data)
    assert len(out) == 1
    m = out[0]
    assert isinstance(m, Message) and len(m) == 2
    assert m["Value"] == "x\\r\\nAction: Hangup\\r\\n\\r\\nEvil: 1"


def test_bad_header_names_are_refused() -> None:
    import pytest

    for bad in ["", "A:B", "A\r\nB", " A"]:
        with pytest.raises(ValueError, match="header name"):
            encode_message([(bad, "v")])


def test_message_helpers() -> None:
    m = Message.action("QueueAdd", ("Queue", "q"), Paused=False, Penalty=0, Reason=None)
    assert m.headers == (
        ("Action", "QueueAdd"),
        ("Queue", "q"),
        ("Paused", "false"),
        ("Penalty", "0"),
    )
    assert m.with_headers(("ActionID", "9")).action_id == "9"


# -- properties ---------------------------------------------------------------------------

names = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_-]{0,20}\Z")
values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=40,
)
header_lists = st.lists(st.tuples(names, values), min_size=0, max_size=12)
kinds = st.sampled_from(["Event", "Response", "Action"])


@st.composite
def messages(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    return ((draw(kinds), draw(names)), *draw(header_lists))


@settings(max_examples=300)
@given(st.lists(messages(), min_size=1, max_size=6), st.integers(1, 64))
@example([(("Event", "A"), ("CallerIDName", "é"))], 1)
@example([(("Event", "A"), ("X", ""), ("Y", " lead"), ("Z", "a: b"))], 3)
def test_round_trip_any_split(msgs: list[tuple[tuple[str, str], ...]], chunk: int) -> None:
    wire = BANNER + b"".join(encode_message(m) for m in msgs)
    out = decode_all(wire, chunk=chunk)
    assert [m.headers for m in out if isinstance(m, Message)] == list(msgs)
    assert all(isinstance(m, Message) for m in out)
    for m, original in zip(out, msgs, strict=True):
        assert isinstance(m, Message)
        assert m.encode() == encode_message(original)
        for name, _ in original:  # the fast lookup agrees with the full split
            assert m.get(name) == dict(reversed(original))[name] or any(
                k.lower() == name.lower() and k != name for k, _ in original
            )


@settings(max_examples=400)
@given(st.binary(max_size=600), st.integers(1, 50))
def test_arbitrary_bytes_never_crash_and_the_stream_recovers(junk: bytes, chunk: int) -> None:
    tail = b"\r\n\r\nEvent: Sentinel\r\nX: 1\r\n\r\n"
    out = decode_all(BANNER + junk + tail, chunk=chunk, max_message=256, max_header=128)
    assert all(isinstance(x, Message | FrameError) for x in out)
    last = out[-1]
    assert isinstance(last, Message) and last.name == "Sentinel" and last["X"] == "1"


@settings(max_examples=200)
@given(messages())
def test_get_first_value_matches_headers(msg: tuple[tuple[str, str], ...]) -> None:
    (m,) = decode_all(BANNER + encode_message(msg))
    assert isinstance(m, Message)
    for name, _ in msg:
        first = next(v for k, v in msg if k.lower() == name.lower())
        exact = next((v for k, v in msg if k == name), None)
        assert m.get(name) in {first, exact}
        assert m.get(name) == exact  # an exact-case match always wins


# -- the same bytes, however they are cut (issue 24, point 13) --------------------------------


def decode_cut(data: bytes, cuts: list[int], **kw: int) -> list[Message | FrameError]:
    d = Decoder(**kw)  # type: ignore[arg-type]
    out: list[Message | FrameError] = []
    last = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        if cut > last:
            out.extend(d.feed(data[last:cut]))
            last = cut
    return out


def seen(items: list[Message | FrameError]) -> list[tuple[object, ...]]:
    return [
        ("message", i.headers, i.offset)
        if isinstance(i, Message)
        else ("error", i.offset, i.reason, i.excerpt)
        for i in items
    ]


parts = st.one_of(
    messages().map(encode_message),
    st.integers(1, 3).map(lambda n: b"\r\n" * n),  # spare blank lines between messages
    st.binary(max_size=40),  # junk
    st.just(b"Event: Big\r\nX: " + b"y" * 300 + b"\r\n\r\n"),  # over the limit below
)


@settings(max_examples=500)
@given(st.lists(parts, min_size=1, max_size=8), st.lists(st.integers(0, 2000), max_size=12))
@example([encode_message((("Event", "A"),)), b"\r\n", encode_message((("Event", "B"),))], [27])
def test_the_output_does_not_depend_on_where_the_stream_is_cut(
    pieces: list[bytes], cuts: list[int]
) -> None:
    wire = BANNER + b"".join(pieces)
    whole = decode_all(wire, max_message=256, max_header=128)
    assert seen(
        decode_cut(wire, [c % (len(wire) + 1) for c in cuts], max_message=256, max_header=128)
    ) == seen(whole)
    assert seen(decode_all(wire, chunk=1, max_message=256, max_header=128)) == seen(whole)


def test_spare_blank_lines_between_messages_are_skipped() -> None:
    a, b = encode_message((("Event", "A"),)), encode_message((("Event", "B"),))
    for gap in (b"\r\n", b"\r\n\r\n", b"\r\n" * 5):
        for chunk in (None, 1, 3, 7):
            out = decode_all(BANNER + a + gap + b, chunk=chunk)
            assert [x.name for x in out if isinstance(x, Message)] == ["A", "B"], (gap, chunk)
            assert not [x for x in out if isinstance(x, FrameError)], (gap, chunk)
