"""The asyncio AMI client: one long-lived, self-healing session with an Asterisk.

- Login with a plain secret or the MD5 challenge; an ``Events`` mask.
- One future per action, keyed by ActionID, with a timeout. A list action (``EventList:
  start`` … ``EventList: Complete``) resolves to the response and all its items; unrelated
  events that arrive meanwhile are delivered as usual.
- Subscriptions by event name or to everything. Each subscriber has its own queue and task:
  one that raises is logged and keeps its subscription; a slow one delays only itself.
- A Ping every ``ping_interval``; no Pong within ``ping_timeout`` marks the link dead.
- Reconnect with jittered exponential backoff up to ``reconnect_max``. Actions waiting when
  the link drops fail with :class:`Disconnected`; nothing is replayed. After every login the
  resync hooks run (the call tracker uses them to ask QueueStatus and CoreShowChannels).
- Connection state changes go to state listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import itertools
import logging
import os
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from callcenter.ami.actions import ActionsMixin, ListResult
from callcenter.ami.codec import Decoder, FrameError, Message, encode_message
from callcenter.ami.errors import (
    ActionFailed,
    ActionTimeout,
    AuthenticationFailed,
    Disconnected,
    NotConnected,
)

__all__ = ["AMIClient", "ClientSettings", "ConnectionState", "ListResult", "Subscription"]

log = logging.getLogger(__name__)

EventCallback = Callable[[Message], Awaitable[None] | None]
StateCallback = Callable[["ConnectionState", str], None]
ResyncHook = Callable[["AMIClient"], Awaitable[None]]


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    """Logged in; actions can be sent."""
    CLOSED = "closed"
    """Closed by :meth:`AMIClient.close`; final."""


@dataclass(frozen=True, slots=True)
class ClientSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "vuurtoren"
    secret: str = field(default="", repr=False)
    auth: str = "md5"
    """``md5`` (challenge; the secret never crosses the wire) or ``plain``."""
    events: str = "on"
    """``on``, ``off`` or a comma list of classes (``call,agent,user,system,dialplan``)."""
    action_timeout: float = 10.0
    connect_timeout: float = 5.0
    ping_interval: float = 20.0
    ping_timeout: float = 5.0
    reconnect_initial: float = 0.5
    reconnect_max: float = 30.0
    max_message: int = 1 << 20
    subscriber_warn_backlog: int = 10_000


class _Pending:
    __slots__ = ("action", "future", "items", "listing")

    def __init__(self, action: str, future: asyncio.Future[Any]) -> None:
        self.action = action
        self.future = future
        self.items: list[Message] = []
        self.listing = False


class Subscription:
    """One subscriber: its own backlog and task, so it never holds up the reader."""

    def __init__(self, client: AMIClient, name: str | None, callback: EventCallback) -> None:
        self.client = client
        self.name = name
        self.callback = callback
        self.label = getattr(callback, "__qualname__", repr(callback))
        self.backlog: deque[Message] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._warn_at = client.settings.subscriber_warn_backlog
        self.delivered = 0
        self.failures = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"ami-subscriber:{self.name or '*'}:{self.label}"
            )

    def push(self, msg: Message) -> None:
        backlog = self.backlog
        backlog.append(msg)
        if len(backlog) == 1:  # it was idle: wake it
            self._idle.clear()
            self._wake.set()
        elif len(backlog) >= self._warn_at:
            log.warning("AMI subscriber %s is %d events behind", self.label, len(backlog))
            self._warn_at *= 2

    async def _run(self) -> None:
        backlog = self.backlog
        callback = self.callback
        while True:
            await self._wake.wait()
            self._wake.clear()
            while backlog:
                msg = backlog.popleft()
                try:
                    result = callback(msg)
                    if result is not None and inspect.isawaitable(result):
                        await result
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self.failures += 1
                    log.exception("AMI subscriber %s failed on %s", self.label, msg.name)
                self.delivered += 1
            self._warn_at = self.client.settings.subscriber_warn_backlog
            self._idle.set()

    async def drain(self) -> None:
        """Wait until this subscriber has handled everything delivered so far."""
        await self._idle.wait()

    def cancel(self) -> None:
        self.client._unsubscribe(self)
        if self._task is not None:
            self._task.cancel()


class _Protocol(asyncio.Protocol):
    def __init__(self, client: AMIClient) -> None:
        self.client = client
        self.decoder = Decoder(expect_banner=True, max_message=client.settings.max_message)
        self.transport: asyncio.Transport | None = None
        self.banner = asyncio.get_running_loop().create_future()
        # Nobody may be waiting for the banner any more when the link drops (connect was
        # cancelled): consume its error so asyncio does not report it as unretrieved.
        self.banner.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport (asyncio's, or uvloop's, which is not its subclass)
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        decoder = self.decoder
        items = decoder.feed(data)
        if not self.banner.done() and decoder.banner is not None:
            self.banner.set_result(decoder.banner)
        handle = self.client._handle
        for item in items:
            if isinstance(item, FrameError):
                log.error("%s; skipped, the session goes on", item)
                continue
            handle(item)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.banner.done():
            self.banner.set_exception(ConnectionError("closed before the banner"))
        if not self.lost.done():
            self.lost.set_result(exc)
        self.client._on_lost(self, exc)


class AMIClient(ActionsMixin):
    """See the module docstring. Use ``async with AMIClient(settings) as ami:`` or
    :meth:`start` / :meth:`close`."""

    def __init__(self, settings: ClientSettings, *, rng: random.Random | None = None) -> None:
        self.settings = settings
        self._rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._prefix = f"vt{os.getpid():x}{self._rng.randrange(1 << 16):04x}"
        self._pending: dict[str, _Pending] = {}
        self._originates: dict[str, asyncio.Future[Message]] = {}
        self._by_name: dict[str, list[Subscription]] = {}
        self._everything: list[Subscription] = []
        self._interceptors: dict[str, list[Callable[[Message], None]]] = {}
        self._intercept_all: list[Callable[[Message], None]] = []
        self._listing = 0
        """List actions whose items are still arriving."""
        self._state_listeners: list[StateCallback] = []
        self._resync_hooks: list[ResyncHook] = []
        self._protocol: _Protocol | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.state = ConnectionState.DISCONNECTED
        self.state_reason = ""
        """What the last change of state was about (why a connection was lost)."""
        self.banner: str | None = None
        self.connects = 0
        """Successful logins so far (1 after the first connect; more after reconnects)."""

    # -- lifecycle -------------------------------------------------------------------
    async def __aenter__(self) -> AMIClient:
        await self.start()
        await self.wait_connected()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Start connecting in the background (and reconnecting, for as long as it runs)."""
        if self._supervisor is None:
            self._supervisor = asyncio.get_running_loop().create_task(
                self._supervise(), name="ami-supervisor"
            )

    async def wait_connected(self, timeout: float | None = None) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._connected.wait()
        except TimeoutError:
            raise NotConnected(
                f"no AMI session with {self.settings.host}:{self.settings.port} "
                f"within {timeout} s (state {self.state})"
            ) from None

    async def close(self) -> None:
        """Log off (when connected), stop reconnecting, stop subscribers."""
        supervisor, self._supervisor = self._supervisor, None
        if self.state is ConnectionState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.action("Logoff", timeout=2.0)
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        if self._protocol and self._protocol.transport:
            self._protocol.transport.abort()
        self._fail_pending(Disconnected("client closed"))
        for sub in [*self._everything, *(s for subs in self._by_name.values() for s in subs)]:
            sub.cancel()
        self._set_state(ConnectionState.CLOSED, "closed by us")

    # -- subscriptions and hooks -----------------------------------------------------
    def subscribe(self, name: str | None, callback: EventCallback) -> Subscription:
        """Call ``callback(event)`` for each event called ``name`` (None: every event)."""
        sub = Subscription(self, name, callback)
        if name is None:
            self._everything.append(sub)
        else:
            self._by_name.setdefault(name, []).append(sub)
        with contextlib.suppress(RuntimeError):  # started now if a loop runs, else lazily
            sub.start()
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        if sub.name is None:
            with contextlib.suppress(ValueError):
                self._everything.remove(sub)
        else:
            with contextlib.suppress(ValueError, KeyError):
                self._by_name[sub.name].remove(sub)

    def on_state(self, callback: StateCallback) -> None:
        self._state_listeners.append(callback)

    def add_resync_hook(self, hook: ResyncHook) -> None:
        """``await hook(client)`` after every (re)login, before actions from others are
        expected to see fresh state."""
        self._resync_hooks.append(hook)

    # -- actions ---------------------------------------------------------------------
    def _next_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def send(self, action: Message, *, timeout: float | None = None) -> Message:
        """Send a prepared action; return its response (or, for a list action, the response
        with the items available through :meth:`send_list`)."""
        result = await self._send(action, timeout)
        return result.response

    async def send_list(self, action: Message, *, timeout: float | None = None) -> ListResult:
        return await self._send(action, timeout)

    async def action(self, name: str, *, timeout: float | None = None, **fields: object) -> Message:
        """``await ami.action("Redirect", Channel=..., Context=..., Exten=..., Priority=1)``"""
        return await self.send(Message.action(name, **fields), timeout=timeout)

    async def list_action(
        self, name: str, *, timeout: float | None = None, **fields: object
    ) -> ListResult:
        return await self.send_list(Message.action(name, **fields), timeout=timeout)

    async def _send(
        self, action: Message, timeout: float | None, *, allow_unauthenticated: bool = False
    ) -> ListResult:
        protocol = self._protocol
        if (
            protocol is None
            or protocol.transport is None
            or (self.state is not ConnectionState.CONNECTED and not allow_unauthenticated)
        ):
            raise NotConnected(f"{action.name}: no AMI session (state {self.state})")
        action_id, future = self._write_action(protocol, action)
        wait = self.settings.action_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(wait):
                return await future
        except TimeoutError:
            raise ActionTimeout(
                f"{action.name} (ActionID {action_id}): no answer within {wait} s"
            ) from None
        finally:
            self._pending.pop(action_id, None)

    def _write_action(
        self, protocol: _Protocol, action: Message
    ) -> tuple[str, asyncio.Future[ListResult]]:
        action_id = action.get("ActionID")
        if action_id is None:
            action_id = self._next_id()
            action = action.with_headers(("ActionID", action_id))
        future: asyncio.Future[ListResult] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _Pending(action.name, future)
        assert protocol.transport is not None
        protocol.transport.write(encode_message(action.headers))
        return action_id, future

    def send_nowait(
        self, action: Message, *, timeout: float | None = None
    ) -> asyncio.Future[ListResult]:
        """Write an action now, from synchronous code (an interceptor); the returned future
        gets its answer, or ActionFailed / ActionTimeout / Disconnected."""
        protocol = self._protocol
        if (
            protocol is None
            or protocol.transport is None
            or (self.state is not ConnectionState.CONNECTED)
        ):
            raise NotConnected(f"{action.name}: no AMI session (state {self.state})")
        action_id, future = self._write_action(protocol, action)
        wait = self.settings.action_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()

        def expire() -> None:
            if not future.done():
                future.set_exception(
                    ActionTimeout(
                        f"{action.name} (ActionID {action_id}): no answer within {wait} s"
                    )
                )

        timer = loop.call_later(wait, expire)

        def done(_: asyncio.Future[ListResult]) -> None:
            timer.cancel()
            self._pending.pop(action_id, None)

        future.add_done_callback(done)
        return future

    def intercept(self, name: str | None, callback: Callable[[Message], None]) -> None:
        """Call ``callback(event)`` inline, as soon as an event called ``name`` (None: every
        event, after the named ones) is read, before any subscriber sees it.

        For work that cannot wait a loop iteration (answering RouteRequest) or is small and
        pure (the call tracker). It must be quick, never block, and send with
        :meth:`send_nowait`; anything slow belongs in :meth:`subscribe`. An exception is
        logged and does not harm the connection."""
        if name is None:
            self._intercept_all.append(callback)
        else:
            self._interceptors.setdefault(name, []).append(callback)

    async def originate(
        self, *headers: tuple[str, str], timeout: float | None = None, **fields: object
    ) -> tuple[Message, Message]:
        """Originate with ``Async: true``; returns (response, OriginateResponse event).
        ``headers``: repeated ones, such as several ``("Variable", "NAME=value")``."""
        action_id = self._next_id()
        waiter: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._originates[action_id] = waiter
        try:
            response = await self.send(
                Message.action(
                    "Originate", ("ActionID", action_id), *headers, Async="true", **fields
                ),
                timeout=timeout,
            )
            ring = float(str(fields.get("Timeout", 30000))) / 1000.0
            wait = ring + (self.settings.action_timeout if timeout is None else timeout)
            try:
                async with asyncio.timeout(wait):
                    event = await waiter
            except TimeoutError:
                raise ActionTimeout(
                    f"Originate (ActionID {action_id}): no OriginateResponse within {wait} s"
                ) from None
            return response, event
        finally:
            self._originates.pop(action_id, None)

    # -- incoming --------------------------------------------------------------------
    def _handle(self, msg: Message) -> None:
        first = msg._first_header()
        # An event only matters by its ActionID while a list or an Originate is waiting:
        # most of the time no lookup is needed at all (the hot path of every event).
        waiting = first[0] == "Response" or self._listing or self._originates
        action_id = msg.get("ActionID") if waiting else None
        if first[0] == "Response":
            pending = self._pending.get(action_id) if action_id else None
            if pending is None:
                log.debug("AMI response without a waiting action: %r", msg)
                return
            self._on_response(pending, msg)
            return
        if action_id is not None:
            pending = self._pending.get(action_id)
            if pending is not None and pending.listing:
                if msg.get("EventList") == "Complete":
                    if not pending.future.done():
                        pending.future.set_result(
                            ListResult(pending.items[0], tuple(pending.items[1:]), msg)
                        )
                else:
                    pending.items.append(msg)
                return
            if first[1] == "OriginateResponse":
                waiter = self._originates.get(action_id)
                if waiter is not None and not waiter.done():
                    waiter.set_result(msg)
        interceptors = self._interceptors.get(first[1])
        if interceptors:
            self._intercept(interceptors, msg, first[1])
        if self._intercept_all:
            self._intercept(self._intercept_all, msg, first[1])
        for sub in self._everything:
            sub.push(msg)
        subs = self._by_name.get(first[1])
        if subs:
            for sub in subs:
                sub.push(msg)

    @staticmethod
    def _intercept(callbacks: list[Callable[[Message], None]], msg: Message, name: str) -> None:
        for callback in callbacks:
            try:
                callback(msg)
            except Exception:
                log.exception(
                    "AMI interceptor %s failed on %s",
                    getattr(callback, "__qualname__", callback),
                    name,
                )

    def _list_done(self, _: asyncio.Future[ListResult]) -> None:
        self._listing -= 1

    def _on_response(self, pending: _Pending, msg: Message) -> None:
        future = pending.future
        if future.done():
            return
        status = msg.name
        if status == "Error":
            error_cls = AuthenticationFailed if pending.action == "Login" else ActionFailed
            future.set_exception(error_cls(pending.action, msg))
        elif (msg.get("EventList") or "").lower() == "start":
            pending.listing = True
            pending.items.append(msg)
            self._listing += 1
            future.add_done_callback(self._list_done)
        else:
            future.set_result(ListResult(msg, (), None))

    # -- connection management -------------------------------------------------------
    def _set_state(self, state: ConnectionState, detail: str) -> None:
        if state is self.state:
            return
        self.state = state
        self.state_reason = detail
        if state is ConnectionState.CONNECTED:
            self._connected.set()
        else:
            self._connected.clear()
        for listener in self._state_listeners:
            try:
                listener(state, detail)
            except Exception:
                log.exception("AMI state listener failed")

    def _fail_pending(self, error: Exception) -> None:
        for action_id, pending in list(self._pending.items()):
            if not pending.future.done():
                pending.future.set_exception(
                    type(error)(f"{pending.action} (ActionID {action_id}): {error}")
                )
        for waiter in self._originates.values():
            if not waiter.done():
                waiter.set_exception(type(error)(f"Originate: {error}"))

    def _on_lost(self, protocol: _Protocol, exc: Exception | None) -> None:
        if protocol is not self._protocol:
            return
        self._protocol = None
        reason = f"connection lost ({exc})" if exc else "connection closed by Asterisk"
        self._fail_pending(Disconnected(reason))
        if self.state is not ConnectionState.CLOSED:
            self._set_state(ConnectionState.DISCONNECTED, reason)

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        ceiling = min(s.reconnect_max, s.reconnect_initial * (2 ** min(attempt, 30)))
        return float(ceiling * self._rng.uniform(0.5, 1.0))

    async def _supervise(self) -> None:
        s = self.settings
        attempt = 0
        while True:
            self._set_state(ConnectionState.CONNECTING, f"{s.host}:{s.port}")
            protocol: _Protocol | None = None
            why = "connection lost"
            try:
                protocol = await self._connect()
                attempt = 0
                log.info(
                    "AMI connected to %s:%s (%s) as %s", s.host, s.port, self.banner, s.username
                )
                await self._run_session(protocol)
                why = self.state_reason or why
                log.warning("AMI connection to %s:%s lost: %s", s.host, s.port, why)
            except asyncio.CancelledError:
                if protocol is not None and protocol.transport is not None:
                    protocol.transport.abort()
                raise
            except AuthenticationFailed as exc:
                why = f"login refused: {exc.reason}"
                log.error("AMI login as %s refused: %s", s.username, exc.reason)
                self._set_state(ConnectionState.DISCONNECTED, why)
            except TimeoutError:
                why = f"no answer within {s.connect_timeout:g} s"
                self._set_state(ConnectionState.DISCONNECTED, why)
            except (OSError, ConnectionError, Disconnected, ActionTimeout) as exc:
                why = _why(exc)
                self._set_state(ConnectionState.DISCONNECTED, why)
            finally:
                if protocol is not None and protocol.transport is not None:
                    protocol.transport.abort()
            delay = self._backoff(attempt)
            attempt += 1
            log.info(
                "AMI reconnecting to %s:%s in %.2f s (attempt %d): %s",
                s.host,
                s.port,
                delay,
                attempt,
                why,
            )
            await asyncio.sleep(delay)

    async def _connect(self) -> _Protocol:
        s = self.settings
        loop = asyncio.get_running_loop()
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
        # that arrives as the awaited thing completes, and close() would then hang.
        async with asyncio.timeout(s.connect_timeout):
            _, protocol = await loop.create_connection(lambda: _Protocol(self), s.host, s.port)
        self._protocol = protocol
        try:
            async with asyncio.timeout(s.connect_timeout):
                self.banner = await protocol.banner
            await self._login()
        except BaseException:
            if protocol.transport is not None:
                protocol.transport.abort()
            raise
        self.connects += 1
        self._set_state(ConnectionState.CONNECTED, f"{s.host}:{s.port} {self.banner}")
        return protocol

    async def _login(self) -> None:
        s = self.settings
        if s.auth == "md5":
            challenge = await self._send(
                Message.action("Challenge", AuthType="MD5"),
                s.connect_timeout,
                allow_unauthenticated=True,
            )
            key = hashlib.md5(
                ((challenge.response.get("Challenge") or "") + s.secret).encode(),
                usedforsecurity=False,
            ).hexdigest()
            login = Message.action(
                "Login", Username=s.username, AuthType="MD5", Key=key, Events=s.events
            )
        else:
            login = Message.action("Login", Username=s.username, Secret=s.secret, Events=s.events)
        await self._send(login, s.connect_timeout, allow_unauthenticated=True)

    async def _run_session(self, protocol: _Protocol) -> None:
        for hook in self._resync_hooks:
            try:
                await hook(self)
            except (Disconnected, NotConnected):
                break
            except Exception:
                log.exception("AMI resync hook %s failed", getattr(hook, "__qualname__", hook))
        pinger = asyncio.get_running_loop().create_task(self._keepalive(protocol), name="ami-ping")
        try:
            await asyncio.shield(protocol.lost)
        finally:
            pinger.cancel()
            try:
                await pinger
            except asyncio.CancelledError:
                # the pinger's own end; but when this session's task is being cancelled
                # too (the client closing just as the link dropped), go on ending: else
                # the supervisor would take it for a lost link and reconnect forever
                me = asyncio.current_task()
                if me is not None and me.cancelling():
                    raise

    async def _keepalive(self, protocol: _Protocol) -> None:
        s = self.settings
        while True:
            await asyncio.sleep(s.ping_interval)
            try:
                response = await self.send(Message.action("Ping"), timeout=s.ping_timeout)
            except ActionTimeout:
                log.error(
                    "AMI: no Pong within %.1f s; the link is dead, reconnecting", s.ping_timeout
                )
                if protocol.transport is not None:
                    protocol.transport.abort()
                return
            except (Disconnected, NotConnected):
                return
            if response.get("Ping") != "Pong":
                log.warning("AMI: odd answer to Ping: %r", response)


def _why(exc: BaseException) -> str:
    """Why a connection failed, in words (``connection refused``), for the log."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is Asterisk running, is AMI enabled on that port?)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__
