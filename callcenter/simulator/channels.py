"""Channels as Asterisk reports them: the channel snapshot block of every call event."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

__all__ = ["STATE_DESC", "Channel", "ChannelFactory"]

STATE_DESC = {
    0: "Down",
    1: "Rsrvd",
    2: "OffHook",
    3: "Dialing",
    4: "Ring",
    5: "Ringing",
    6: "Up",
    7: "Busy",
    8: "Dialing Offhook",
    9: "Pre-ring",
}

Header = tuple[str, str]


def _cid(value: str | None) -> str:
    return value if value else "<unknown>"


@dataclass(slots=True)
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    created: float
    state: int = 4
    caller_num: str | None = None
    caller_name: str | None = None
    connected_num: str | None = None
    connected_name: str | None = None
    language: str = "nl"
    accountcode: str = ""
    context: str = ""
    exten: str = "s"
    priority: int = 1
    application: str = ""
    app_data: str = ""
    bridge_id: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    hung_up: bool = False

    def snapshot(self, prefix: str = "") -> list[Header]:
        return [
            (prefix + "Channel", self.name),
            (prefix + "ChannelState", str(self.state)),
            (prefix + "ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (prefix + "CallerIDNum", _cid(self.caller_num)),
            (prefix + "CallerIDName", _cid(self.caller_name)),
            (prefix + "ConnectedLineNum", _cid(self.connected_num)),
            (prefix + "ConnectedLineName", _cid(self.connected_name)),
            (prefix + "Language", self.language),
            (prefix + "AccountCode", self.accountcode),
            (prefix + "Context", self.context),
            (prefix + "Exten", self.exten),
            (prefix + "Priority", str(self.priority)),
            (prefix + "Uniqueid", self.uniqueid),
            (prefix + "Linkedid", self.linkedid),
        ]


class ChannelFactory:
    """Unique ids as Asterisk makes them (``<boot epoch>.<sequence>``) and channel names with
    an 8-hex-digit suffix."""

    def __init__(self, boot_epoch: float) -> None:
        self.boot = int(boot_epoch)
        self._seq = itertools.count(1)
        self._suffix = itertools.count(1)

    def uniqueid(self) -> str:
        return f"{self.boot}.{next(self._seq)}"

    def suffix(self) -> str:
        return f"{next(self._suffix):08x}"
