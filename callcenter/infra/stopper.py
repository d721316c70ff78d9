"""Ctrl-C and SIGTERM for the long-running commands (``serve``, ``demo``, ``simulate``).

The signal handlers are installed before anything starts, so a signal is never lost: one
during startup cancels the startup (and, should a step swallow that cancellation, as Python
3.11's ``asyncio.wait_for`` can, the command still stops as soon as it is up); one while it
runs ends :meth:`Stopper.wait`, and the command stops in order, its records flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

__all__ = ["Stopper"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopper:
    """Create it first thing in the command's ``main`` coroutine."""

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self._task = asyncio.current_task()
        self._starting = True
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            with contextlib.suppress(NotImplementedError):  # not on every platform
                loop.add_signal_handler(sig, self.stop)

    def stop(self) -> None:
        self.requested.set()
        if self._starting and self._task is not None:
            self._task.cancel()

    async def wait(self, timeout: float | None = None) -> None:
        """Until a signal (or ``timeout`` seconds); at once when one came during startup."""
        self._starting = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self.requested.wait()
