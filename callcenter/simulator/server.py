"""The simulated Asterisk's AMI server: a real asyncio TCP server speaking AMI.

Sessions get the banner of the chosen release, log in with a plain secret or the MD5
challenge, receive the events their read classes and ``Events`` mask allow, and send actions
answered with Asterisk's own messages (``ami-reference.md`` §2, §6, §7).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from callcenter.ami.codec import Decoder, FrameError, Message, encode_message
from callcenter.simulator.callbacks import is_callback, start_callback
from callcenter.simulator.calls import CallerProfile, start_call
from callcenter.simulator.core import SimAsterisk
from callcenter.simulator.filters import EventFilter
from callcenter.simulator.queues import Device, Member
from callcenter.simulator.whisper import is_whisper, start_whisper

__all__ = ["ALL_CLASSES", "AMIServer", "Account"]

log = logging.getLogger(__name__)

ALL_CLASSES = frozenset(
    {
        "system",
        "call",
        "log",
        "verbose",
        "command",
        "agent",
        "user",
        "config",
        "dtmf",
        "reporting",
        "cdr",
        "dialplan",
        "originate",
        "agi",
        "cc",
        "aoc",
        "test",
        "security",
        "message",
    }
)
Header = tuple[str, str]
LIST_ACTIONS = {"queuestatus", "queuesummary", "coreshowchannels", "dbget", "dbgettree"}
WRITE_PRIVILEGE: dict[str, frozenset[str]] = {
    # The classes an action is registered with (manager.c, db.c, app_queue.c); an account
    # may run it when its ``write`` has any of them. Unlisted actions need none.
    "redirect": frozenset({"call"}),
    "blindtransfer": frozenset({"call"}),
    "hangup": frozenset({"system", "call"}),
    "setvar": frozenset({"call"}),
    "getvar": frozenset({"call", "reporting"}),
    "userevent": frozenset({"user"}),
    "originate": frozenset({"originate"}),
    "command": frozenset({"command"}),
    "coreshowchannels": frozenset({"system", "reporting"}),
    "dbput": frozenset({"system"}),
    "dbget": frozenset({"system", "reporting"}),
    "dbdel": frozenset({"system"}),
    "dbgettree": frozenset({"system", "reporting"}),
    "dbdeltree": frozenset({"system"}),
    "queueadd": frozenset({"agent"}),
    "queueremove": frozenset({"agent"}),
    "queuepause": frozenset({"agent"}),
    "modulecheck": frozenset({"system"}),
}


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    secret: str = field(repr=False)
    read: frozenset[str] = ALL_CLASSES
    write: frozenset[str] = ALL_CLASSES
    eventfilter: tuple[str, ...] = ()
    """manager.conf ``eventfilter`` lines, in order (see ``filters.py``)."""


def _parse_mask(value: str | None, allowed: frozenset[str]) -> frozenset[str] | None:
    """An Events mask as classes; None when it is not a valid mask."""
    if value is None:
        return allowed
    v = value.strip().lower()
    if v in ("on", "yes", "true", "1", "all"):
        return allowed
    if v in ("off", "no", "false", "0", ""):
        return frozenset()
    classes = frozenset(c.strip() for c in v.split(",") if c.strip())
    if not classes <= ALL_CLASSES | {"all"}:
        return None
    if "all" in classes:
        return allowed
    return classes & allowed


class Session(asyncio.Protocol):
    def __init__(self, server: AMIServer) -> None:
        self.server = server
        self.ast = server.ast
        self.decoder = Decoder(expect_banner=False, require_kind=False)
        self.transport: asyncio.Transport | None = None
        self.account: Account | None = None
        self.mask: frozenset[str] = frozenset()
        self.filter = EventFilter()
        self.challenge: str | None = None
        self.held: list[bytes] | None = None  # while stalled
        self.closing = False

    # -- transport ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport (asyncio's, or uvloop's, which is not its subclass)
        self.transport = cast(asyncio.Transport, transport)
        self.server.sessions.add(self)
        self.transport.write(f"Asterisk Call Manager/{self.ast.ami_version}\r\n".encode())

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.sessions.discard(self)
        self.ast.sinks.discard(self)

    def write(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self.held is not None:
            self.held.append(data)
            return
        self.transport.write(data)

    def deliver(self, klass: str, data: bytes) -> None:
        if klass in self.mask and (not self.filter or self.filter.allows(data)):
            self.server.events_sent += 1
            self.write(data)

    def respond(self, action: Message, status: str, *headers: Header) -> None:
        out: list[Header] = [("Response", status)]
        action_id = action.get("ActionID")
        if action_id is not None:
            out.append(("ActionID", action_id))
        out.extend(headers)
        self.write(encode_message(out))

    def error(self, action: Message, message: str) -> None:
        self.respond(action, "Error", ("Message", message))

    def send_list(
        self,
        action: Message,
        message: str,
        items: list[tuple[str, list[Header]]],
        complete: str,
        *,
        id_last: bool = False,
    ) -> None:
        self.respond(action, "Success", ("EventList", "start"), ("Message", message))
        action_id = action.get("ActionID")
        aid: list[Header] = [("ActionID", action_id)] if action_id is not None else []
        for name, headers in items:
            body = [*headers, *aid] if id_last else [*aid, *headers]
            self.write(encode_message([("Event", name), *body]))
        self.write(
            encode_message(
                [
                    ("Event", complete),
                    *aid,
                    ("EventList", "Complete"),
                    ("ListItems", str(len(items))),
                ]
            )
        )

    def close_soon(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    # -- incoming actions -----------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        for item in self.decoder.feed(data):
            if isinstance(item, FrameError):
                log.warning("simulator: bad frame from client: %s", item)
                continue
            self.ast.actions_received.append(item)
            try:
                self.handle(item)
            except Exception:  # a bug in the simulator must not kill the session
                log.exception("simulator: action %s failed", item.name)
                self.error(item, "Internal error in the simulator")

    def handle(self, action: Message) -> None:
        name = action.get("Action")
        if name is None:
            self.error(action, "Missing action in request")
            return
        key = name.lower()
        if self.account is None and key not in ("login", "challenge", "logoff"):
            self.error(action, "Permission denied")
            return
        needs = WRITE_PRIVILEGE.get(key)
        if needs is not None and self.account is not None and not needs & self.account.write:
            self.error(action, "Permission denied")
            return
        handler: Callable[[Message], None] | None = getattr(self, f"a_{key}", None)
        if handler is None:
            self.error(
                action,
                f"Invalid/unknown command: {name}. Use Action: ListCommands to "
                "show available commands.",
            )
            return
        handler(action)

    # -- session actions -------------------------------------------------------------------
    def a_challenge(self, action: Message) -> None:
        if (action.get("AuthType") or "").lower() != "md5":
            self.error(action, "Must specify AuthType")
            return
        self.challenge = str(secrets.randbelow(900_000_000) + 100_000_000)
        self.respond(action, "Success", ("Challenge", self.challenge))

    def a_login(self, action: Message) -> None:
        if self.account is not None:
            self.respond(action, "Success", ("Message", "Already authenticated"))
            return
        account = self.server.accounts.get(action.get("Username") or "")
        ok = False
        if account is not None:
            if (action.get("AuthType") or "").lower() == "md5":
                key = action.get("Key") or ""
                if self.challenge:
                    expect = hashlib.md5(
                        (self.challenge + account.secret).encode(), usedforsecurity=False
                    ).hexdigest()
                    ok = secrets.compare_digest(key.lower(), expect)
            else:
                ok = secrets.compare_digest(action.get("Secret") or "", account.secret)
        if not ok:
            asyncio.get_running_loop().call_later(self.server.auth_fail_delay, self._refuse, action)
            return
        mask = _parse_mask(action.get("Events"), account.read)  # type: ignore[union-attr]
        assert account is not None
        self.account = account
        self.mask = mask if mask is not None else account.read
        self.filter = self.server.filters[account.username]
        self.ast.sinks.add(self)
        self.respond(action, "Success", ("Message", "Authentication accepted"))
        if "system" in self.mask and self.ast.fully_booted:
            self.write(
                encode_message(
                    [
                        ("Event", "FullyBooted"),
                        ("Privilege", "system,all"),
                        *self.ast.fully_booted_headers(),
                    ]
                )
            )

    def _refuse(self, action: Message) -> None:
        self.error(action, "Authentication failed")
        self.close_soon()

    def a_logoff(self, action: Message) -> None:
        self.respond(action, "Goodbye", ("Message", "Thanks for all the fish."))
        self.close_soon()

    def a_modulecheck(self, action: Message) -> None:
        """``ModuleCheck``: Success (an empty ``Version`` since Asterisk 13) when loaded."""
        module = action.get("Module") or ""
        if not module:
            self.error(action, "Module not specified")
        elif module in self.ast.unloaded or (module + ".so") in self.ast.unloaded:
            self.error(action, "Module not loaded")
        else:
            self.respond(action, "Success", ("Version", ""))

    def a_ping(self, action: Message) -> None:
        self.respond(
            action, "Success", ("Ping", "Pong"), ("Timestamp", f"{self.ast.clock.epoch():.6f}")
        )

    def a_events(self, action: Message) -> None:
        assert self.account is not None
        mask = _parse_mask(action.get("EventMask"), self.account.read)
        if action.get("EventMask") is None or mask is None:
            self.error(action, "Invalid event mask")
            return
        self.mask = mask
        self.respond(action, "Success", ("Events", "On" if mask else "Off"))

    # -- call control ----------------------------------------------------------------------
    def a_redirect(self, action: Message) -> None:
        channel = action.get("Channel")
        for header, text in (
            ("Channel", "Channel not specified"),
            ("Context", "Context not specified"),
            ("Exten", "Exten not specified"),
            ("Priority", "Priority not specified"),
        ):
            if not action.get(header):
                self.error(action, text)
                return
        try:
            int(action.get("Priority") or "")
        except ValueError:
            self.error(action, "Priority is invalid")
            return
        assert channel is not None
        if channel not in self.ast.channels:
            self.error(action, f"Channel does not exist: {channel}")
            return
        feature = self.ast.feature_calls.get(channel)
        if feature is not None:
            self.respond(action, "Success", ("Message", "Redirect successful"))
            feature.redirect(action.get("Context") or "", action.get("Exten") or "")
            return
        call = self.ast.calls.get(channel)
        if call is None:
            self.error(action, "Redirect failed")
            return
        sent = self.ast.route_sent.pop(channel, None)
        if sent is not None:
            now = time.perf_counter()
            self.ast.route_latencies.append(now - sent)
            self.ast.route_marks.append((channel, sent, now))
        self.respond(action, "Success", ("Message", "Redirect successful"))
        call.redirect(action.get("Context") or "", action.get("Exten") or "")

    def a_blindtransfer(self, action: Message) -> None:
        """``BlindTransfer``: the party bridged with ``Channel`` goes to ``Context``,
        ``Exten`` (manager.c: "Channel not specified", "No such channel"); here an agent's
        leg passes its queue caller on (app_queue reports ``AgentComplete`` Reason
        ``transfer`` and queue_log ``BLINDTRANSFER``)."""
        channel = action.get("Channel") or ""
        if not channel:
            self.error(action, "Channel not specified")
            return
        if not action.get("Exten"):
            self.error(action, "No extension specified")
            return
        call = next((c for c in self.ast.calls.values() if c.talking_with(channel)), None)
        if channel not in self.ast.channels or call is None:
            self.error(action, "No such channel")
            return
        self.respond(action, "Success", ("Message", "Transfer succeeded"))
        call.transfer(action.get("Context") or "", action.get("Exten") or "")

    def a_hangup(self, action: Message) -> None:
        channel = action.get("Channel") or ""
        call = self.ast.calls.get(channel)
        if call is None and channel not in self.ast.channels:
            self.error(action, "No such channel")
            return
        self.respond(action, "Success", ("Message", "Channel Hungup"))
        if call is not None:
            call.truth.outcome = call.truth.outcome or "abandoned"
            call.truth.hangup_stage = call.truth.hangup_stage or "hangup-action"
            call.hangup_now()
            for ch in (call.leg2, call.leg1):
                self.ast.hangup_channel(ch, 16, request=True)

    def a_setvar(self, action: Message) -> None:
        variable = action.get("Variable")
        if not variable:
            self.error(action, "No variable specified")
            return
        value = action.get("Value") or ""
        if variable.upper().startswith("DEVICE_STATE(") and variable.endswith(")"):
            self.ast.set_device_state(variable[13:-1], value)
            self.respond(action, "Success", ("Message", "Variable Set"))
            return
        channel_name = action.get("Channel")
        channel = None
        if channel_name:
            channel = self.ast.channels.get(channel_name)
            if channel is None:
                self.error(action, "No such channel")
                return
        self.ast.set_var(channel, variable, value)
        self.respond(action, "Success", ("Message", "Variable Set"))

    def a_getvar(self, action: Message) -> None:
        variable = action.get("Variable")
        if not variable:
            self.error(action, "No variable specified")
            return
        if variable.upper().startswith("DEVICE_STATE(") and variable.endswith(")"):
            value = self.ast.device_states.get(variable[13:-1], "UNKNOWN")
        elif action.get("Channel"):
            channel = self.ast.channels.get(action.get("Channel") or "")
            if channel is None:
                self.error(action, "No such channel")
                return
            value = channel.variables.get(variable, "")
        else:
            value = self.ast.globals.get(variable, "")
        self.respond(action, "Success", ("Variable", variable), ("Value", value))

    def a_userevent(self, action: Message) -> None:
        name = action.get("UserEvent")
        if not name:
            self.error(action, "No UserEvent specified")
            return
        extra = [(k, v) for k, v in action.headers if k.lower() not in ("action", "userevent")]
        self.ast.emit("UserEvent", "user", [("UserEvent", name), *extra])
        self.respond(action, "Success", ("Message", "Event Sent"))

    def a_originate(self, action: Message) -> None:
        channel = action.get("Channel")
        if not channel:
            self.error(action, "Channel not specified")
            return
        context = action.get("Context") or ""
        if is_whisper(action):
            if (action.get("Async") or "").lower() not in ("true", "yes", "1"):
                self.error(action, "Originate failed")  # Vuurtoren always originates async
                return
            self.respond(action, "Success", ("Message", "Originate successfully queued"))
            start_whisper(self.ast, action)
            return
        if is_callback(action):
            if (action.get("Async") or "").lower() not in ("true", "yes", "1"):
                self.error(action, "Originate failed")  # Vuurtoren always originates async
                return
            problem = start_callback(self.ast, action)
            if problem:
                self.error(action, problem)
            else:
                self.respond(action, "Success", ("Message", "Originate successfully queued"))
            return
        to_central = "@central-number" in channel or context == "central-number"
        if not to_central and not (action.get("Application") or action.get("Exten")):
            self.error(action, "Extension does not exist.")
            return
        cid = action.get("CallerID") or ""
        number = cid.split("<")[-1].rstrip(">").strip() if "<" in cid else cid.strip() or None
        variables = dict(v.split("=", 1) for v in action.get_all("Variable") if "=" in v)
        is_async = (action.get("Async") or "").lower() in ("true", "yes", "1")
        ast = self.ast
        if is_async:
            self.respond(action, "Success", ("Message", "Originate successfully queued"))
        action_id = action.get("ActionID")

        def finish(uniqueid: str) -> None:
            if is_async:
                headers: list[Header] = [("Event", "OriginateResponse"), ("Privilege", "call,all")]
                if action_id is not None:
                    headers.append(("ActionID", action_id))
                headers += [
                    ("Response", "Success"),
                    ("Channel", channel),
                    ("Context", context or "central-number"),
                    ("Exten", action.get("Exten") or "s"),
                    ("Reason", "4"),
                    ("Uniqueid", uniqueid),
                    ("CallerIDNum", number or "<unknown>"),
                    ("CallerIDName", "<unknown>"),
                ]
                data = encode_message(headers)
                for sink in list(ast.sinks):
                    sink.deliver("call", data)
            else:
                self.respond(action, "Success", ("Message", "Originate successfully queued"))

        if to_central:
            profile = CallerProfile(
                number=number,
                digits=variables.get("DIGITS", "0") or None,
                patience=float(variables.get("PATIENCE", "300")),
                talk_seconds=float(variables.get("TALK", "60")),
                agent_hangs_up=variables.get("AGENT_HANGS_UP", "0") == "1",
                menu_seconds=float(variables.get("MENU", "5")),
                last_resort_choice=variables.get("LAST_RESORT", "callback"),
            )
            call = start_call(ast, profile)
            ast.clock.call_later(0.5, finish, call.leg1.uniqueid)
        else:
            ast.clock.call_later(2.0, finish, ast.factory.uniqueid() if ast.factory else "0")

    # -- queues ------------------------------------------------------------------------------
    def a_queueadd(self, action: Message) -> None:
        queue_name, iface = action.get("Queue"), action.get("Interface")
        if not queue_name or not iface:
            self.error(action, "'Queue' and 'Interface' are required")
            return
        queue = self.ast.queues.get(queue_name)
        if queue is None:
            self.error(action, "Unable to add interface to queue: No such queue")
            return
        if iface in queue.members:
            self.error(action, "Unable to add interface: Already there")
            return
        state_iface = action.get("StateInterface") or iface
        device = next(
            (
                m.device
                for q in self.ast.queues.values()
                for m in q.members.values()
                if m.state_interface == state_iface
            ),
            None,
        ) or Device(state_iface)
        paused = (action.get("Paused") or "").lower() in ("true", "yes", "1")
        try:
            penalty = int(action.get("Penalty") or 0)
        except ValueError:
            penalty = 0
        member = Member(
            queue.name,
            iface,
            action.get("MemberName") or iface,
            state_iface,
            device,
            membership="dynamic",
            penalty=penalty,
            login_time=int(self.ast.clock.epoch()),
            paused=paused,
            paused_reason=action.get("Reason") or "" if paused else "",
        )
        queue.add_member(member)
        self.respond(action, "Success", ("Message", "Added interface to queue"))

    def a_queueremove(self, action: Message) -> None:
        queue = self.ast.queues.get(action.get("Queue") or "")
        if queue is None:
            self.error(action, "Unable to remove interface from queue: No such queue")
            return
        member = queue.members.get(action.get("Interface") or "")
        if member is None:
            self.error(action, "Unable to remove interface: Not there")
            return
        if member.membership == "static":
            self.error(action, "Member not dynamic")
            return
        queue.remove_member(member.interface)
        self.respond(action, "Success", ("Message", "Removed interface from queue"))

    def a_queuepause(self, action: Message) -> None:
        iface, paused_text = action.get("Interface"), action.get("Paused")
        if not iface or paused_text is None:
            self.error(action, "Need 'Interface' and 'Paused' parameters.")
            return
        paused = paused_text.lower() in ("true", "yes", "1")
        wanted = action.get("Queue")
        found = False
        for queue in self.ast.queues.values():
            if wanted and queue.name != wanted:
                continue
            member = queue.members.get(iface)
            if member is not None:
                found = True
                queue.pause(member, paused, action.get("Reason") or "")
        if not found:
            self.error(action, "Interface not found")
            return
        back = self.ast.settings.pause_return_seconds
        if paused and back is not None:
            self.ast.clock.call_later(back, self.ast.resume_member, iface)
        word = "paused" if paused else "unpaused"
        self.respond(action, "Success", ("Message", f"Interface {word} successfully"))

    def a_queuestatus(self, action: Message) -> None:
        wanted, member_filter = action.get("Queue"), action.get("Member")
        items: list[tuple[str, list[Header]]] = []
        now = self.ast.clock.epoch()
        for queue in self.ast.queues.values():
            if wanted and queue.name != wanted:
                continue
            items.append(("QueueParams", queue.params()))
            for m in queue.members.values():
                if member_filter and member_filter not in (m.interface, m.name):
                    continue
                items.append(("QueueMember", m.status_block()))
            for pos, e in enumerate(queue.entries, start=1):
                ch = e.channel
                items.append(
                    (
                        "QueueEntry",
                        [
                            ("Queue", queue.name),
                            ("Position", str(pos)),
                            ("Channel", ch.name),
                            ("Uniqueid", ch.uniqueid),
                            ("CallerIDNum", ch.caller_num or "unknown"),
                            ("CallerIDName", ch.caller_name or "unknown"),
                            ("ConnectedLineNum", ch.connected_num or "unknown"),
                            ("ConnectedLineName", ch.connected_name or "unknown"),
                            ("Wait", str(int(now - e.joined))),
                            ("Priority", "0"),
                        ],
                    )
                )
        self.send_list(
            action, "Queue status will follow", items, "QueueStatusComplete", id_last=True
        )

    def a_queuesummary(self, action: Message) -> None:
        wanted = action.get("Queue")
        items: list[tuple[str, list[Header]]] = []
        for queue in self.ast.queues.values():
            if wanted and queue.name != wanted:
                continue
            items.append(
                (
                    "QueueSummary",
                    [
                        ("Queue", queue.name),
                        ("LoggedIn", str(queue.logged_in())),
                        ("Available", str(queue.available())),
                        ("Callers", str(len(queue.entries))),
                        ("HoldTime", str(queue.holdtime)),
                        ("TalkTime", str(queue.talktime)),
                        ("LongestHoldTime", str(queue.longest_hold())),
                    ],
                )
            )
        self.send_list(action, "Queue summary will follow", items, "QueueSummaryComplete")

    def a_coreshowchannels(self, action: Message) -> None:
        now = self.ast.clock.epoch()
        items: list[tuple[str, list[Header]]] = []
        for ch in list(self.ast.channels.values()):
            secs = int(now - ch.created)
            items.append(
                (
                    "CoreShowChannel",
                    [
                        *ch.snapshot(),
                        ("Application", ch.application),
                        ("ApplicationData", ch.app_data),
                        ("Duration", f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"),
                        ("BridgeId", ch.bridge_id),
                    ],
                )
            )
        self.send_list(action, "Channels will follow", items, "CoreShowChannelsComplete")

    # -- AstDB -------------------------------------------------------------------------------
    def a_dbput(self, action: Message) -> None:
        family, key = action.get("Family"), action.get("Key")
        if not family:
            self.error(action, "No family specified")
            return
        if not key:
            self.error(action, "No key specified")
            return
        self.ast.db_put(family, key, action.get("Val") or "")
        self.respond(action, "Success", ("Message", "Updated database successfully"))

    def a_dbget(self, action: Message) -> None:
        family, key = action.get("Family"), action.get("Key")
        if not family:
            self.error(action, "No family specified.")
            return
        if not key:
            self.error(action, "No key specified.")
            return
        value = self.ast.db_get(family, key)
        if value is None:
            self.error(action, "Database entry not found")
            return
        self.send_list(
            action,
            "Result will follow",
            [("DBGetResponse", [("Family", family), ("Key", key), ("Val", value)])],
            "DBGetComplete",
            id_last=True,
        )

    def a_dbgettree(self, action: Message) -> None:
        """``DBGetTree`` (main/db.c): every entry under Family[/Key], full keys, no Family
        header; an empty list when there is none."""
        family, key = action.get("Family") or "", action.get("Key") or ""
        items: list[tuple[str, list[Header]]] = [
            ("DBGetTreeResponse", [("Key", f"/{f}/{k}"), ("Val", v)])
            for (f, k), v in sorted(self.ast.astdb.items())
            if (not family or f == family) and (not key or k == key or k.startswith(key + "/"))
        ]
        self.send_list(action, "Result will follow", items, "DBGetTreeComplete", id_last=True)

    def a_dbdeltree(self, action: Message) -> None:
        family, key = action.get("Family"), action.get("Key") or ""
        if not family:
            self.error(action, "No family specified.")
            return
        doomed = [
            fk
            for fk in self.ast.astdb
            if fk[0] == family and (not key or fk[1] == key or fk[1].startswith(key + "/"))
        ]
        if not doomed:
            self.error(action, "Database entry not found")
            return
        for fk in doomed:
            del self.ast.astdb[fk]
        self.respond(action, "Success", ("Message", "Key tree deleted successfully"))

    def a_dbdel(self, action: Message) -> None:
        family, key = action.get("Family"), action.get("Key")
        if not family or not key:
            self.error(action, "No family specified." if not family else "No key specified.")
            return
        if not self.ast.db_del(family, key):
            self.error(action, "Database entry not found")
            return
        self.respond(action, "Success", ("Message", "Key deleted successfully"))

    # -- CLI -----------------------------------------------------------------------------------
    def a_command(self, action: Message) -> None:
        command = (action.get("Command") or "").strip()
        lines = self.server.run_command(command)
        self.respond(
            action,
            "Success",
            ("Message", "Command output follows"),
            *(("Output", line) for line in lines),
        )


class AMIServer:
    """The TCP server. ``await server.start()`` binds (port 0 picks a free port)."""

    def __init__(
        self,
        ast: SimAsterisk,
        accounts: list[Account],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        auth_fail_delay: float = 1.0,
    ) -> None:
        self.ast = ast
        self.accounts = {a.username: a for a in accounts}
        # compiled once, so that a filter that does not compile stops the start, not a login
        self.filters = {a.username: EventFilter(a.eventfilter) for a in accounts}
        self.host = host
        self.port = port
        self.auth_fail_delay = auth_fail_delay
        self.sessions: set[Session] = set()
        self.events_sent = 0
        """Events written to sessions (after classes and filters), over all sessions."""
        self._server: asyncio.Server | None = None
        self.faults = None  # set by faults.Faults
        self.commands: dict[str, Callable[[list[str]], list[str]]] = {}

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: Session(self), self.host, self.port)
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self.drop_all()
            await self._server.wait_closed()
            self._server = None

    def drop_all(self) -> int:
        """Cut every session (the TCP connection just breaks)."""
        sessions = list(self.sessions)
        for s in sessions:
            if s.transport is not None:
                s.transport.abort()
        return len(sessions)

    def run_command(self, command: str) -> list[str]:
        words = command.split()
        for size in (3, 2):
            handler = self.commands.get(" ".join(words[:size]).lower())
            if handler is not None:
                return handler(words[size:])
        if command.lower() == "core show version":
            return [f"Asterisk 22.10.1 (simulated by Vuurtoren, AMI {self.ast.ami_version})"]
        if command.lower().startswith("queue show"):
            return self._queue_show(words[2:])
        if command.lower() == "database show":
            return [
                f"/{f}/{k}{' ' * max(1, 40 - len(f) - len(k))}: {v}"
                for (f, k), v in sorted(self.ast.astdb.items())
            ] + [f"{len(self.ast.astdb)} results found."]
        return [
            f"No such command '{command}' (type 'core show help {command}' for other "
            "possible commands)"
        ]

    def _queue_show(self, args: list[str]) -> list[str]:
        out = []
        for q in self.ast.queues.values():
            if args and q.name != args[0]:
                continue
            out.append(
                f"{q.name} has {len(q.entries)} calls (max unlimited) in '{q.strategy}' "
                f"strategy ({q.holdtime}s holdtime, {q.talktime}s talktime), W:{q.weight},"
                f" C:{q.completed}, A:{q.abandoned}, SL:0.0% within {q.service_level}s"
            )
            for m in q.members.values():
                out.append(
                    f"      {m.name} ({m.interface}) ({m.membership}) (Status {m.device.status})"
                    f"{' (paused)' if m.paused else ''} has taken {m.calls_taken} calls"
                )
        return out

    def hold_output(self, hold: bool) -> None:
        for s in self.sessions:
            if hold and s.held is None:
                s.held = []
            elif not hold and s.held is not None:
                held, s.held = s.held, None
                for data in held:
                    s.write(data)

    def send_raw(self, data: bytes) -> int:
        for s in self.sessions:
            s.write(data)
        return len(self.sessions)

    def close_sessions(self) -> None:
        for s in list(self.sessions):
            with contextlib.suppress(Exception):
                s.close_soon()
