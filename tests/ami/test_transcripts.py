"""Transcripts written byte for byte after shared/reference/ (CRLF, banner without a blank
line, trailing-space empty values, the duplicate Uniqueid, list framing with ActionID last,
Command output as repeated Output headers): the codec reads them, in any cut, and our client
reads them from a server that writes one byte at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.ami import AMIClient, ClientSettings, Decoder, Message

TRANSCRIPTS = Path(__file__).resolve().parent.parent / "transcripts"
QUEUE_CALL = (TRANSCRIPTS / "asterisk22-queue-call.ami").read_bytes()
LISTS = (TRANSCRIPTS / "asterisk18-lists-and-errors.ami").read_bytes()


def decode(data: bytes, cuts: list[int] | None = None) -> tuple[Decoder, list[Message]]:
    decoder = Decoder()
    out: list[Message] = []
    pieces = (
        [data]
        if not cuts
        else [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    )
    for piece in pieces:
        for item in decoder.feed(piece):
            assert isinstance(item, Message), item
            out.append(item)
    return decoder, out


def test_queue_call_transcript() -> None:
    decoder, msgs = decode(QUEUE_CALL)
    assert decoder.banner_version == "11.0.0"
    assert [m.name for m in msgs] == [
        "Success",
        "FullyBooted",
        "UserEvent",
        "QueueCallerJoin",
        "AgentCalled",
        "QueueMemberPause",
        "Success",
        "QueueCallerLeave",
        "AgentConnect",
        "AgentComplete",
    ]
    route = msgs[2]
    assert route.get_all("Uniqueid") == ["1763800000.85", "1763800000.85"]
    assert route["CallerIDName"] == "Frédérique Öztürk"
    assert route["AccountCode"] == ""
    called = msgs[4]
    assert called["DestChannel"] == "PJSIP/201-00000031" and called["DestExten"] == "sociale-dienst"
    # the pause event arrives before the QueuePause response, as observed
    assert msgs[5].get("ActionID") is None and msgs[6]["ActionID"] == "2"
    complete = msgs[-1]
    assert (complete["HoldTime"], complete["TalkTime"], complete["Reason"]) == (
        "14",
        "312",
        "agent",
    )
    # every message re-encodes to exactly the bytes it came from
    assert b"".join(m.encode() for m in msgs) == QUEUE_CALL.split(b"\r\n", 1)[1]


def test_lists_and_errors_transcript() -> None:
    decoder, msgs = decode(LISTS)
    assert decoder.banner_version == "7.0.3"
    params = msgs[1]
    assert params["ServicelevelPerf"] == "71.9" and params.headers[-1] == ("ActionID", "7")
    assert msgs[4]["EventList"] == "Complete" and msgs[4]["ListItems"] == "3"
    entry = msgs[3]
    assert entry["CallerIDNum"] == "unknown"  # no angle brackets in QueueEntry
    output = msgs[5].get_all("Output")
    assert len(output) == 3 and output[0].startswith("Name/username")
    assert msgs[6].name == "Error" and msgs[6]["Message"] == "Database entry not found"
    assert msgs[7]["Cause-txt"] == "Normal Clearing"


@settings(max_examples=150)
@given(st.data())
def test_transcripts_in_any_cut(data: st.DataObject) -> None:
    for blob in (QUEUE_CALL, LISTS):
        cuts = sorted(set(data.draw(st.lists(st.integers(1, len(blob) - 1), max_size=40))))
        assert decode(blob, cuts)[1] == decode(blob)[1]


@pytest.mark.parametrize("blob", [QUEUE_CALL, LISTS], ids=["asterisk22", "asterisk18"])
async def test_our_client_reads_a_server_that_writes_one_byte_at_a_time(blob: bytes) -> None:
    """A scripted server: the transcript's banner, an answer to our Login, then the whole
    transcript body with each byte in its own write. Answers to actions we never sent are
    dropped by the client; every event reaches the subscriber."""
    _, expected = decode(blob)
    banner, rest = blob.split(b"\r\n", 1)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await script(reader, writer)
        finally:
            writer.close()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(banner + b"\r\n")
        login = await reader.readuntil(b"\r\n\r\n")
        action_id = next(
            line.split(b": ", 1)[1] for line in login.split(b"\r\n") if line.startswith(b"ActionID")
        )
        writer.write(
            b"Response: Success\r\nActionID: "
            + action_id
            + b"\r\nMessage: Authentication accepted\r\n\r\n"
        )
        for i in range(len(rest)):
            writer.write(rest[i : i + 1])
            await writer.drain()
        await reader.read()  # until the client hangs up

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    got: list[Message] = []
    client = AMIClient(ClientSettings(port=port, auth="plain", secret="x", ping_interval=60))
    client.subscribe(None, got.append)
    await client.start()
    await client.wait_connected(5)
    events = [m for m in expected if m.is_event]
    async with asyncio.timeout(10):
        while len(got) < len(events):
            await asyncio.sleep(0.01)
    assert got == events
    await client.close()
    server.close()
    await server.wait_closed()
