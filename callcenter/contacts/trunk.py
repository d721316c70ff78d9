"""The outside line the callbacks ring citizens over, and whether it works.

A ``CHANUNAVAIL`` or ``CONGESTION`` from the citizen's side of a callback is a fault of ours
(the channel technology is not loaded, the trunk is down or full), not an unreachable
citizen: seen on Asterisk 22, ``Dial`` to a technology that is not loaded fails at once with
``CHANUNAVAIL`` (``asterisk-behaviour.md``). Such a result does not use up the citizen's
attempts; it marks the line as faulty, which raises an alert (the wallboard, ``/healthz``,
the log) and pauses the dialer (``dialer.py``): no agent is rung for a callback that cannot
reach the citizen. Every :data:`RECHECK` the line is looked at again: ``ModuleCheck`` of the
technology's module (it must be loaded), then one callback goes as the test dial; when it
gets through to the citizen's side (answered, busy, no answer: the line works) the dialer
resumes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from callcenter.ami.client import AMIClient
from callcenter.ami.errors import AMIError
from routing.site import Site

__all__ = ["FAULTS", "RECHECK", "Trunk", "module_for"]

log = logging.getLogger(__name__)

FAULTS = frozenset({"CHANUNAVAIL", "CONGESTION"})
"""``DIALSTATUS`` values that say the line failed, not the citizen."""
RECHECK = timedelta(minutes=5)
"""How often a faulty line is tried again (a module check, then one test dial)."""
_MODULES = {
    "PJSIP": "chan_pjsip.so",
    "SIP": "chan_sip.so",
    "IAX2": "chan_iax2.so",
    "DAHDI": "chan_dahdi.so",
}


def module_for(dial: str) -> str | None:
    """The Asterisk module that provides the dial string's channel technology
    (``PJSIP/{number}@trunk`` → ``chan_pjsip.so``); None for one built in (``Local``)."""
    tech = dial.split("/", 1)[0].upper()
    if tech == "LOCAL":
        return None
    return _MODULES.get(tech, f"chan_{tech.lower()}.so")


class Trunk:
    def __init__(self, site: Site, ami: AMIClient, now: Callable[[], datetime]) -> None:
        self.dial = site.callbacks.dial
        self.zone = site.zone
        self.module = module_for(self.dial)
        self.ami = ami
        self.now = now
        self.fault: str | None = None
        """What is wrong, in Dutch (None: the line works, as far as anyone knows)."""
        self.since: datetime | None = None
        self.next_check: datetime | None = None
        self.testing = False
        """One callback is out as the test dial."""
        self.unloaded = False
        """The fault is the technology's module not loaded (a reconnect may mend it)."""
        self.on_change: list[Callable[[], None]] = []

    @property
    def up(self) -> bool:
        return self.fault is None

    def _set(self, fault: str | None, *, unloaded: bool = False) -> None:
        changed = fault != self.fault
        self.unloaded = unloaded
        if fault is None:
            self.since = self.next_check = None
        elif self.fault is None:
            self.since = self.now()
        if fault is not None:
            self.next_check = self.now() + RECHECK
        self.fault = fault
        self.testing = False
        if changed:
            if fault is None:
                log.info("callbacks: the outside line works again; dialling resumes")
            else:
                log.warning("ALERT: callbacks paused: %s", fault)
            for listener in self.on_change:
                listener()

    async def check_module(self) -> bool:
        """Is the technology's module loaded (``ModuleCheck``)? A fault when it is not; an
        Asterisk that cannot be asked says nothing either way (True)."""
        if self.module is None:
            return True
        try:
            answer = await self.ami.action("ModuleCheck", Module=self.module)
            loaded = answer.get("Response") == "Success"
        except AMIError as exc:
            if "not loaded" not in str(exc).lower():
                log.debug("callbacks: ModuleCheck %s not answered: %s", self.module, exc)
                return True
            loaded = False
        if not loaded:
            self._set(
                f"de buitenlijn ({self.dial.split('/', 1)[0]}) is niet geladen in Asterisk "
                f"({self.module}): terugbellen kan niet",
                unloaded=True,
            )
        return loaded

    async def at_start(self) -> None:
        """After every connect: is the line's technology there at all?"""
        if await self.check_module() and self.unloaded:
            self._set(None)  # loaded now (Asterisk restarted with it)

    def failed(self, status: str) -> None:
        """A callback's citizen leg ended with one of :data:`FAULTS`."""
        what = "congestie" if status == "CONGESTION" else "kanaal niet beschikbaar"
        self._set(f"de buitenlijn faalt ({status}: {what}); terugbellen staat stil")

    def worked(self) -> None:
        """A callback got through to the citizen's side (whatever they did)."""
        if self.fault is not None:
            self._set(None)

    async def may_test(self) -> bool:
        """While faulty: is it time for the test dial? (The module is checked first.)"""
        if self.up or self.testing or self.next_check is None or self.now() < self.next_check:
            return False
        self.next_check = self.now() + RECHECK
        if not await self.check_module():
            return False
        self.testing = True
        return True

    def alerts(self) -> list[dict[str, str]]:
        if self.fault is None:
            return []
        since = f" (sinds {self.since.astimezone(self.zone):%H:%M})" if self.since else ""
        return [{"id": "callbacks-trunk", "message": f"Terugbellen: {self.fault}{since}."}]

    def health(self) -> dict[str, object]:
        return {"ok": self.up, "fault": self.fault, "module": self.module}
