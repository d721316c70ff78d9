"""Work that must reach the store, done in the order it came and retried until the store
takes it: a callback request pressed while the database is down is stored when it is back,
after the requests before it and before those after it (as :class:`StoreWriter` does for the
calls).

Only an outage is retried (the connection refused or lost, the database shutting down, a
lock that timed out); any other error is a defect of that piece of work: logged with its
label, and the queue goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

__all__ = ["DurableQueue", "is_outage"]

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[object]]


def is_outage(exc: BaseException) -> bool:
    """The database cannot be reached now (as opposed to a request it refuses)."""
    if isinstance(exc, OperationalError | InterfaceError | OSError | ConnectionError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        name = type(exc.orig).__name__ if exc.orig is not None else ""
        return name in {
            "CannotConnectNowError",
            "ConnectionDoesNotExistError",
            "AdminShutdownError",
            "InterfaceError",
            "ConnectionFailureError",
            "TooManyConnectionsError",
        }
    return False


class DurableQueue:
    def __init__(self, name: str, *, retry_initial: float = 0.2, retry_max: float = 5.0) -> None:
        self.name = name
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._items: deque[tuple[str, Work]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.retries = 0
        """Outages met so far (each retry of a piece of work counts once)."""

    @property
    def pending(self) -> int:
        return len(self._items)

    def submit(self, label: str, work: Work) -> None:
        """Queue ``work`` (``label`` names it in the log: never personal data)."""
        self._items.append((label, work))
        self._idle.clear()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            if not self._items:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            label, work = self._items[0]
            delay = self.retry_initial
            while True:
                try:
                    await work()
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not is_outage(exc):
                        log.exception("%s: %s failed; the next one goes on", self.name, label)
                        break
                    self.retries += 1
                    log.warning(
                        "%s: the store is not reachable (%s); %s kept, retried in %.1f s "
                        "(%d waiting)",
                        self.name,
                        type(exc).__name__,
                        label,
                        delay,
                        len(self._items),
                    )
                    await asyncio.sleep(delay)
                    delay = min(self.retry_max, delay * 2)
            self._items.popleft()

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued is done (True), or ``timeout`` passed (False)."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
            return True
        except TimeoutError:
            return False

    async def close(self, timeout: float = 5.0) -> None:
        """Finish what is queued (within ``timeout``), then stop."""
        if not await self.drain(timeout) and self._items:
            log.error("%s: %d piece(s) of work not stored at stop", self.name, len(self._items))
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
