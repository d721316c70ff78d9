"""Typed AMI actions the service uses, as methods on the client.

Each method sends one action and returns its answer; an ``Error`` answer raises
:class:`~callcenter.ami.errors.ActionFailed` with Asterisk's message. Header spellings follow
``shared/reference/ami-reference.md`` §6–7.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from callcenter.ami.codec import Message
from callcenter.ami.errors import ActionFailed

__all__ = ["ActionsMixin", "ListResult", "QueueStatus", "QueueSummary"]


@dataclass(frozen=True, slots=True)
class ListResult:
    """The answer of a list action: its response and the item events, in order."""

    response: Message
    items: tuple[Message, ...]
    complete: Message | None


def _int(msg: Message, name: str, default: int = 0) -> int:
    value = msg.get(name)
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


@dataclass(frozen=True, slots=True)
class QueueSummary:
    queue: str
    logged_in: int
    available: int
    callers: int
    hold_time: int
    talk_time: int
    longest_hold_time: int

    @classmethod
    def from_event(cls, e: Message) -> QueueSummary:
        return cls(
            e.get("Queue") or "",
            _int(e, "LoggedIn"),
            _int(e, "Available"),
            _int(e, "Callers"),
            _int(e, "HoldTime"),
            _int(e, "TalkTime"),
            _int(e, "LongestHoldTime"),
        )


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """One queue of a QueueStatus answer: its QueueParams, QueueMember and QueueEntry events."""

    params: Message
    members: tuple[Message, ...]
    entries: tuple[Message, ...]

    @property
    def queue(self) -> str:
        return self.params.get("Queue") or ""


class ActionsMixin:
    @abstractmethod
    async def action(
        self, name: str, *, timeout: float | None = None, **fields: object
    ) -> Message: ...

    @abstractmethod
    async def send_list(self, action: Message, *, timeout: float | None = None) -> ListResult: ...

    @abstractmethod
    async def list_action(
        self, name: str, *, timeout: float | None = None, **fields: object
    ) -> ListResult: ...

    async def ping(self) -> Message:
        return await self.action("Ping")

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> Message:
        return await self.action(
            "Redirect", Channel=channel, Context=context, Exten=exten, Priority=priority
        )

    async def setvar(self, variable: str, value: str, channel: str | None = None) -> Message:
        return await self.action("Setvar", Channel=channel, Variable=variable, Value=value)

    async def getvar(self, variable: str, channel: str | None = None) -> str | None:
        response = await self.action("Getvar", Channel=channel, Variable=variable)
        return response.get("Value")

    async def user_event(self, name: str, headers: Mapping[str, str] | None = None) -> Message:
        extra = tuple((k, v) for k, v in (headers or {}).items())
        result = await self.send_list(Message.action("UserEvent", ("UserEvent", name), *extra))
        return result.response

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str | None = None,
        penalty: int | None = None,
        paused: bool | None = None,
        state_interface: str | None = None,
        reason: str | None = None,
    ) -> Message:
        return await self.action(
            "QueueAdd",
            Queue=queue,
            Interface=interface,
            MemberName=member_name,
            Penalty=penalty,
            Paused=paused,
            StateInterface=state_interface,
            Reason=reason,
        )

    async def queue_remove(self, queue: str, interface: str) -> Message:
        return await self.action("QueueRemove", Queue=queue, Interface=interface)

    async def queue_pause(
        self, interface: str, paused: bool, *, queue: str | None = None, reason: str | None = None
    ) -> Message:
        return await self.action(
            "QueuePause", Interface=interface, Paused=paused, Queue=queue, Reason=reason
        )

    async def queue_status(self, queue: str | None = None) -> list[QueueStatus]:
        result = await self.list_action("QueueStatus", Queue=queue)
        out: list[QueueStatus] = []
        params: Message | None = None
        members: list[Message] = []
        entries: list[Message] = []
        for item in result.items:
            if item.name == "QueueParams":
                if params is not None:
                    out.append(QueueStatus(params, tuple(members), tuple(entries)))
                params, members, entries = item, [], []
            elif item.name == "QueueMember":
                members.append(item)
            elif item.name == "QueueEntry":
                entries.append(item)
        if params is not None:
            out.append(QueueStatus(params, tuple(members), tuple(entries)))
        return out

    async def queue_summary(self, queue: str | None = None) -> list[QueueSummary]:
        result = await self.list_action("QueueSummary", Queue=queue)
        return [QueueSummary.from_event(e) for e in result.items if e.name == "QueueSummary"]

    async def core_show_channels(self) -> list[Message]:
        result = await self.list_action("CoreShowChannels")
        return [e for e in result.items if e.name == "CoreShowChannel"]

    async def db_put(self, family: str, key: str, value: str) -> Message:
        return await self.action("DBPut", Family=family, Key=key, Val=value)

    async def db_get(self, family: str, key: str) -> str | None:
        """The value, or None when the entry does not exist."""
        try:
            result = await self.list_action("DBGet", Family=family, Key=key)
        except ActionFailed as exc:
            if "not found" in exc.reason.lower():
                return None
            raise
        for item in result.items:
            if item.name == "DBGetResponse":
                return item.get("Val")
        return None

    async def db_del(self, family: str, key: str) -> Message:
        return await self.action("DBDel", Family=family, Key=key)

    async def db_get_tree(self, family: str, key: str | None = None) -> dict[str, str]:
        """Every entry under ``family[/key]``, by its key below the family (``DBGetTree``
        answers with full keys: ``/family/key/...``)."""
        result = await self.list_action("DBGetTree", Family=family, Key=key)
        prefix = f"/{family}/"
        out: dict[str, str] = {}
        for item in result.items:
            if item.name == "DBGetTreeResponse":
                full = item.get("Key") or ""
                out[full.removeprefix(prefix)] = item.get("Val") or ""
        return out

    async def set_device_state(self, device: str, state: str) -> Message:
        """Set a custom device state (``Custom:name``) that desk-phone lamps subscribe to."""
        return await self.setvar(f"DEVICE_STATE({device})", state)

    async def command(self, command: str) -> list[str]:
        response = await self.action("Command", Command=command)
        return response.get_all("Output")
