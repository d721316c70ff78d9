"""Password hashing: a hash the idle thread cannot get to is done by the hedge thread."""

from __future__ import annotations

import asyncio
import threading

from callcenter.staff.passwords import Passwords


async def test_a_login_is_not_held_up_behind_a_starved_hashing_thread() -> None:
    # The idle thread is kept from running, as two busy programs beside the service do.
    passwords = Passwords(memory_kib=1024, passes=1)
    stored = await passwords.hash("zeven zonnige zeehonden zingen")
    release = threading.Event()
    passwords._pool.submit(release.wait, 30)
    try:
        right = await asyncio.wait_for(
            passwords.verify(stored, "zeven zonnige zeehonden zingen"), 10
        )
        wrong = await asyncio.wait_for(passwords.verify(stored, "acht natte zeehonden"), 10)
        unknown = await asyncio.wait_for(
            passwords.verify(None, "zeven zonnige zeehonden zingen"), 10
        )
        again = await asyncio.wait_for(passwords.hash("een ander wachtwoord hier"), 10)
    finally:
        release.set()
        passwords.close()
    assert (right, wrong, unknown) == (True, False, False)
    check = Passwords(memory_kib=1024, passes=1)
    try:
        assert await check.verify(again, "een ander wachtwoord hier")
    finally:
        check.close()
