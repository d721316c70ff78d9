"""Fault injection: what a real network and a real Asterisk do to a client.

Callable from tests (``Faults(server)``) and, through the AMI ``Command`` action, from any
client or the ``vuurtoren simulate`` console: ``vuurtoren fault drop``, ``... stall 10``,
``... garbage``, ``... restart [downtime]``.
"""

from __future__ import annotations

import asyncio

from callcenter.simulator.server import AMIServer

__all__ = ["GARBAGE", "Faults"]

GARBAGE = b"\x00\xff\xfeNot AMI at all\r\n\x01\x02: \xc3\r\n\r\n"


class Faults:
    def __init__(self, server: AMIServer) -> None:
        self.server = server
        self.ast = server.ast
        server.faults = self  # type: ignore[assignment]
        server.commands["vuurtoren fault"] = self.command
        self._stall: asyncio.TimerHandle | None = None
        self.restarting = False

    def drop(self) -> int:
        """Break every AMI connection, as a network cut does."""
        return self.server.drop_all()

    def stall(self, seconds: float) -> None:
        """Stop writing to every session for ``seconds`` of wall time (a half-open link:
        nothing arrives, not even Pongs), then send all that was held back."""
        self.server.hold_output(True)
        if self._stall is not None:
            self._stall.cancel()
        self._stall = asyncio.get_running_loop().call_later(seconds, self.server.hold_output, False)

    def garbage(self, data: bytes = GARBAGE) -> int:
        """Write malformed bytes into every session's stream."""
        return self.server.send_raw(data)

    async def restart(self, downtime: float = 1.0) -> None:
        """``core restart now``: every channel is hung up first (``SoftHangupRequest`` with
        ``Cause: 4``, queue abandons, AgentComplete of calls in talk, hangups), the
        ``Shutdown`` event about a second of virtual time later, then sessions close and
        queue counters reset; after ``downtime`` seconds (wall time) it boots again."""
        ast = self.ast
        self.restarting = True
        for call in list(ast.calls.values()):
            call.shutdown()
        await asyncio.sleep(ast.clock.real(1.0))
        ast.emit("Shutdown", "system", [("Shutdown", "Cleanly"), ("Restart", "True")])
        ast.fully_booted = False
        self.server.close_sessions()
        await asyncio.sleep(0)
        ast.channels.clear()
        ast.calls.clear()
        await asyncio.sleep(downtime)
        ast.boot()
        self.restarting = False

    def command(self, args: list[str]) -> list[str]:
        if not args:
            return ["usage: vuurtoren fault drop|stall SECONDS|garbage|restart [DOWNTIME]"]
        what = args[0].lower()
        loop = asyncio.get_running_loop()
        if what == "drop":
            loop.call_soon(self.drop)  # after this answer is written
            return ["dropping every AMI connection"]
        if what == "stall":
            seconds = float(args[1]) if len(args) > 1 else 10.0
            loop.call_soon(self.stall, seconds)
            return [f"stalling every AMI connection for {seconds:g} s"]
        if what == "garbage":
            loop.call_soon(self.garbage)
            return ["sending malformed bytes"]
        if what == "restart":
            downtime = float(args[1]) if len(args) > 1 else 1.0
            self.ast.start_task(self.restart(downtime), name="restart")
            return [f"restarting (down for {downtime:g} s)"]
        return [f"unknown fault {what!r}"]
