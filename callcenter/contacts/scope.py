"""Who may see which personal data: one place for the rules the question log, the referrals
and the callback list apply (docs/staff.md, "Personal data: who sees what").

- A **call** (its caller's number, and so registering a question on it): a manager; an agent
  whose phone rang or answered for it, or who is a member of a queue it went through (now, or
  by their counters); a counter employee of a counter whose queue it went through or that the
  decision named.
- A **registration** (by its id, its edits): a manager; its author; a counter employee of the
  counter it was made at or referred to.
- In a **region**, a user limited to some municipalities (``User.sites``) reaches none of the
  above of another municipality: calls by the number dialled, registrations by their call's
  municipality or their own counter's.

Pure: what a call went through is handed in (:class:`CallTrail`), from the store and, for a
call still up, the live tracker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from callcenter.staff.users import User
from routing.site import Site

__all__ = ["CallTrail", "counter_queues", "may_read_contact", "may_see_call"]


@dataclass(frozen=True, slots=True)
class CallTrail:
    """Where a call went: the queues it was in, the phones that rang or answered for it, the
    counter its routing decision named."""

    queues: frozenset[str]
    phones: frozenset[str]
    counter: str | None
    site: str | None = None
    """A region's municipality whose number the caller dialled."""


def counter_queues(site: Site, counters: Iterable[str]) -> frozenset[str]:
    wanted = set(counters)
    return frozenset(c.queue for c in site.counters if c.id in wanted)


def may_see_call(user: User, trail: CallTrail, site: Site, member_of: Iterable[str]) -> bool:
    """``member_of``: the queues the user's phones are members of now. A user limited to
    some of a region's municipalities never sees another's call, whatever their role or
    queues (a shared service's agent of one municipality included)."""
    if not user.in_sites(trail.site):
        return False
    if user.has("manager"):
        return True
    own = counter_queues(site, user.counters)
    if user.has("agent") and (
        trail.phones.intersection(user.interfaces)
        or trail.queues.intersection(member_of)
        or trail.queues.intersection(own)
    ):
        return True
    return user.has("counter") and bool(
        trail.queues.intersection(own) or (trail.counter in user.counters)
    )


def may_read_contact(
    user: User,
    author: str,
    counter: str | None,
    referred_to: Iterable[str | None],
    site: str | None = None,
) -> bool:
    """``site``: the registration's municipality (a region): beyond a limited user's reach
    when it is not one of theirs, whoever made it."""
    if not user.in_sites(site):
        return False
    if user.has("manager") or author == user.login:
        return True
    return user.has("counter") and any(
        c is not None and c in user.counters for c in (counter, *referred_to)
    )
