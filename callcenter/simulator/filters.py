"""manager.conf ``eventfilter``: which events an AMI account is sent, as Asterisk decides it.

The legacy form (Asterisk 10 onwards, still read by 22): each filter is a POSIX extended
regular expression matched against the whole event as sent (``Event: …\\r\\nPrivilege: …``);
a leading ``!`` makes it an exclude filter. Asterisk's own rules (manager.conf.sample):

- no filters: every event is sent;
- include filters only: an event must match at least one;
- exclude filters only: an event must match none;
- both: it must match an include filter and no exclude filter.

Filters apply to events only: responses and the events of a list action's answer are always
sent. The expressions Vuurtoren generates use only what POSIX ERE and Python's ``re`` read
alike (``^``, groups, alternation, bracket expressions, ``.`` matching any character
including a line break, as POSIX does without ``REG_NEWLINE``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["EventFilter", "FilterError"]


class FilterError(ValueError):
    """A filter that does not compile; the message names it."""


class EventFilter:
    def __init__(self, rules: Iterable[str] = ()) -> None:
        self.include: list[re.Pattern[bytes]] = []
        self.exclude: list[re.Pattern[bytes]] = []
        for rule in rules:
            self.add(rule)

    def add(self, rule: str) -> None:
        exclude = rule.startswith("!")
        expression = rule[1:] if exclude else rule
        try:
            pattern = re.compile(expression.encode("utf-8"), re.DOTALL)
        except re.error as exc:
            raise FilterError(f"eventfilter {rule!r} does not compile: {exc}") from None
        (self.exclude if exclude else self.include).append(pattern)

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def allows(self, event: bytes) -> bool:
        if self.include and not any(p.search(event) for p in self.include):
            return False
        return not any(p.search(event) for p in self.exclude)
