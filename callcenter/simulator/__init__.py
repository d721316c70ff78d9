"""The simulated Asterisk: a real AMI server on loopback with a model of queues and calls.

async with Simulator(site, seed=1, speed=20, calls_per_hour=120) as sim:
    client = AMIClient(ClientSettings(port=sim.port, username=..., secret=...))
"""

from __future__ import annotations

from datetime import datetime

from callcenter.simulator.calls import CallerProfile, InboundCall, start_call
from callcenter.simulator.clock import SimClock
from callcenter.simulator.core import CallTruth, SimAsterisk, SimSettings, Visit
from callcenter.simulator.faults import Faults
from callcenter.simulator.server import Account, AMIServer
from callcenter.simulator.traffic import TrafficGenerator
from routing.site import Site

__all__ = [
    "AMIServer",
    "Account",
    "CallTruth",
    "CallerProfile",
    "InboundCall",
    "SimAsterisk",
    "SimClock",
    "SimSettings",
    "Simulator",
    "Visit",
]


class Simulator:
    def __init__(
        self,
        site: Site,
        *,
        accounts: list[Account] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        speed: float = 1.0,
        start: datetime | None = None,
        calls_per_hour: float = 0.0,
        max_calls: int | None = None,
        settings: SimSettings | None = None,
        auth_fail_delay: float = 1.0,
    ) -> None:
        self.site = site
        self.clock = SimClock(start, speed)
        self.ast = SimAsterisk(site, clock=self.clock, seed=seed, settings=settings)
        self.accounts = accounts or [Account("vuurtoren", "demo-secret")]
        self.server = AMIServer(
            self.ast, self.accounts, host=host, port=port, auth_fail_delay=auth_fail_delay
        )
        self.faults = Faults(self.server)
        self.traffic = TrafficGenerator(self.ast, calls_per_hour, seed=seed, max_calls=max_calls)
        self.server.commands["vuurtoren call"] = self._call_command

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self) -> int:
        self.ast.boot()
        port = await self.server.start()
        self.ast.start_task(self.ast.run_availability(), name="agent availability")
        if self.traffic.calls_per_hour > 0:
            self.ast.start_task(self.traffic.run(), name="traffic")
        return port

    async def stop(self) -> None:
        await self.server.close()
        await self.ast.stop()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def call(self, profile: CallerProfile) -> InboundCall:
        """Start one call now (tests)."""
        return start_call(self.ast, profile)

    def _call_command(self, args: list[str]) -> list[str]:
        digits = args[0] if args else "0"
        number = args[1] if len(args) > 1 else None
        call = self.call(CallerProfile(number=number, digits=digits if digits != "-" else None))
        return [f"calling: {call.leg2.name} ({call.truth.linkedid})"]
