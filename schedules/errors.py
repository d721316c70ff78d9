"""A rule refused a value: the rota's, a closure's. The services above turn it into their
refusal (``StaffError.invalid``) with the same words."""

from __future__ import annotations

__all__ = ["RuleError"]


class RuleError(ValueError):
    """``message`` is Dutch for people (the web pages), ``field`` names the input, ``en`` is
    the same in English (the command line's)."""

    def __init__(self, message: str, field: str, en: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.en = en
