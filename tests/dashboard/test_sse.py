"""Live streams: a burst of bus messages is gathered for a while, but an urgent message (a
screen pop) ends the wait at once, also when queue figures came just before it."""

from __future__ import annotations

import asyncio

from callcenter.infra.bus import BusMessage
from dashboard.sse import _gather


def urgent(m: BusMessage) -> bool:
    return m.kind == "connect"


async def test_an_urgent_message_ends_the_gathering_at_once() -> None:
    queue: asyncio.Queue[BusMessage] = asyncio.Queue()
    burst = [BusMessage("queue", {"queue": "onthaal"})]
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, queue.put_nowait, BusMessage("queue", {"queue": "onthaal"}))
    loop.call_later(0.1, queue.put_nowait, BusMessage("connect", {"interface": "PJSIP/201"}))
    loop.call_later(0.2, queue.put_nowait, BusMessage("queue", {"queue": "woonloket"}))
    async with asyncio.timeout(10):  # gathering would last 60 s without the urgent message
        await _gather(queue, burst, 60.0, urgent)
    assert [m.kind for m in burst] == ["queue", "queue", "connect"]


async def test_without_urgent_messages_the_burst_is_gathered_for_the_whole_while() -> None:
    queue: asyncio.Queue[BusMessage] = asyncio.Queue()
    burst = [BusMessage("queue", {"queue": "onthaal"})]
    loop = asyncio.get_running_loop()
    for i in range(3):
        loop.call_later(0.01 * i, queue.put_nowait, BusMessage("queue", {"n": i}))
    await _gather(queue, burst, 0.3, urgent)
    assert len(burst) == 4 and queue.empty()
