"""Free text a rule keeps: the reason an override or a closure gives, which callers may hear
and the public hours page shows."""

from __future__ import annotations

from schedules.errors import RuleError

__all__ = ["REASON_LENGTH", "clean_reason"]

REASON_LENGTH = 200
"""The longest reason, in characters (the forms say so)."""


def clean_reason(reason: str | None, field: str = "reason") -> str:
    """``reason`` on one line with single spaces; :class:`RuleError` for one that is too
    long or holds a character that cannot be shown."""
    text = " ".join((reason or "").split())
    if len(text) > REASON_LENGTH or any(not ch.isprintable() for ch in text):
        raise RuleError(
            f"Geef een reden van ten hoogste {REASON_LENGTH} tekens.",
            field,
            f"give a reason of at most {REASON_LENGTH} characters",
        )
    return text
