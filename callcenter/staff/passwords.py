"""Password hashing with Argon2id (``argon2-cffi``), run off the event loop.

Parameters: OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane), about 40 ms a hash on
this project's 2-core machine. Hashing runs in threads of its own (argon2-cffi releases the
GIL) scheduled as ``SCHED_IDLE`` on Linux (else at the lowest ``nice``): they get a core only
when routing and the rest do not want it, so a burst of logins waits, routing does not
(``bench/route_latency.py --logins-per-second``, docs/benchmarks.md). Hashes made with other
parameters still verify, and are rehashed at the next login.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["MIN_LENGTH", "Passwords"]

MIN_LENGTH = 12
"""Shortest password accepted (NIST SP 800-63B: length over composition rules)."""


class Passwords:
    def __init__(self, *, memory_kib: int = 19 * 1024, passes: int = 2, workers: int = 1) -> None:
        self._hasher = PasswordHasher(time_cost=passes, memory_cost=memory_kib, parallelism=1)
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2", initializer=_yield_the_cpu
        )
        self._dummy = self._hasher.hash("an unknown user is verified against this")

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches; an unknown user (``stored`` None) takes as long."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._check, stored, password)

    def _check(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _yield_the_cpu() -> None:
    """Make this (hashing) thread the last in line for a CPU: ``SCHED_IDLE`` on Linux (per
    thread), else the lowest ``nice``; where neither exists it runs as it is."""
    tid = threading.get_native_id()
    try:
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, tid, 19)
