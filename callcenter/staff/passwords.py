"""Password hashing with Argon2id (``argon2-cffi``), run off the event loop.

Parameters: OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane), about 40 ms a hash on
this project's 2-core machine. Hashing runs in threads of its own (argon2-cffi releases the
GIL) scheduled as ``SCHED_IDLE`` on Linux (else at the lowest ``nice``): they get a core only
when routing and the rest do not want it, so a burst of logins waits, routing does not
(``bench/route_latency.py --logins-per-second``, docs/benchmarks.md). Hashes made with other
parameters still verify, and are rehashed at the next login.

An idle thread gets almost no CPU while other programs keep both cores busy (a hash took 8 s
beside two busy loops). So a hash not done within ``HEDGE_AFTER`` is also given to a second
thread at ``nice`` 10, which such programs do not starve, and the first answer is taken: a login
waits at most about that long plus one hash, and only a starved machine pays for the hash twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

__all__ = ["HEDGE_AFTER", "MIN_LENGTH", "MIN_SCORE", "Passwords", "weakness"]

T = TypeVar("T")

HEDGE_AFTER = 0.25
"""Seconds a hash may take on the idle thread before the ``nice`` thread is asked as well."""

MIN_LENGTH = 12
"""Shortest password accepted (NIST SP 800-63B: length over composition rules)."""
MIN_SCORE = 3
"""zxcvbn's score a password needs (0-4; 3: "safely unguessable", some 10^8 guesses and up)."""
JUDGED = 72
"""The characters zxcvbn judges (its own limit; longer takes it seconds). A longer password
is stored and checked whole; its strength is judged on its first 72 characters."""
_COMMON = tuple(
    line.strip().lower()
    for line in (Path(__file__).parent / "data" / "common-passwords-nl.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
)
"""Dutch and local words and passwords, beside zxcvbn's (English) lists."""
_DUTCH = {
    "Repeats like": "Herhalingen zoals 'aaa' of 'abcabc' zijn makkelijk te raden.",
    "Sequences like": "Reeksen zoals 'abc' of '6543' zijn makkelijk te raden.",
    "common password": "Dit is (bijna) een van de meest gebruikte wachtwoorden.",
    "A word by itself": "Eén woord alleen is makkelijk te raden.",
    "Names and surnames": "Namen zijn makkelijk te raden.",
    "Common names": "Namen zijn makkelijk te raden.",
    "years are easy": "Jaartallen zijn makkelijk te raden.",
    "Dates are often": "Datums zijn makkelijk te raden.",
    "keyboard": "Toetsenbordpatronen zijn makkelijk te raden.",
    "Straight rows": "Toetsenbordpatronen zijn makkelijk te raden.",
}


def weakness(password: str, hints: Sequence[str] = ()) -> tuple[str, str] | None:
    """Why ``password`` is too easy to guess, in Dutch and in English (the command line's),
    or None. ``hints``: the user's login and name, which a password should not lean on."""
    result = zxcvbn(password[:JUDGED], user_inputs=[*hints, *_COMMON])
    if result["score"] >= MIN_SCORE:
        return None
    warning = result["feedback"].get("warning") or ""
    why = next((nl for en, nl in _DUTCH.items() if en in warning), "")
    why_en = warning.rstrip(".") + "." if why else ""
    if not why and any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"]):
        why = "Het lijkt op uw naam, uw login of een veelgebruikt woord."
        why_en = "It looks like the name, the login or a common word."
    return (
        "Dit wachtwoord is te makkelijk te raden. "
        + (why + " " if why else "")
        + "Kies bijvoorbeeld vier of vijf losse woorden die niets met elkaar of met u te maken "
        "hebben.",
        "this password is too easy to guess. "
        + (why_en + " " if why_en else "")
        + "Choose, for instance, four or five unrelated words that say nothing about the user.",
    )


class Passwords:
    def __init__(self, *, memory_kib: int = 19 * 1024, passes: int = 2, workers: int = 1) -> None:
        self._hasher = PasswordHasher(time_cost=passes, memory_cost=memory_kib, parallelism=1)
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2", initializer=_yield_the_cpu
        )
        self._hedge = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="argon2-hedge", initializer=_lower_priority
        )
        self._dummy = self._hasher.hash("an unknown user is verified against this")

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches; an unknown user (``stored`` None) takes as long."""
        return await self._run(self._check, stored, password)

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        """``work`` on the idle thread; not done within ``HEDGE_AFTER``, on the hedge thread
        too, and whichever ends first answers (two hashes of one password both verify it)."""
        loop = asyncio.get_running_loop()
        first = loop.run_in_executor(self._pool, work, *args)
        done, _ = await asyncio.wait({first}, timeout=HEDGE_AFTER)
        if not done:
            second = loop.run_in_executor(self._hedge, work, *args)
            done, pending = await asyncio.wait({first, second}, return_when=asyncio.FIRST_COMPLETED)
            for late in pending:
                late.cancel()  # not started: dropped; started: runs on, its answer unread
        return done.pop().result()

    def _check(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._hedge.shutdown(wait=False, cancel_futures=True)


def _yield_the_cpu() -> None:
    """Make this (hashing) thread the last in line for a CPU: ``SCHED_IDLE`` on Linux (per
    thread), else the lowest ``nice``; where neither exists it runs as it is."""
    tid = threading.get_native_id()
    try:
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, tid, 19)


def _lower_priority() -> None:
    """The hedge thread: an ordinary thread at ``nice`` 10, behind the service's own threads
    but not starved by other programs."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
