"""Errors of the staff services: a stable id, a message that names the thing, the field."""

from __future__ import annotations

from schedules.errors import RuleError

__all__ = ["StaffError"]


class StaffError(Exception):
    """A refused request. ``id`` is stable (``user-not-found``), ``message`` is Dutch for
    people (the web pages and the API), ``field`` names the input it is about (or None),
    ``status`` the HTTP answer. ``en``: the same in English, for the command line, which
    speaks English throughout (a refusal a command can meet has one: a test holds it)."""

    def __init__(
        self,
        id: str,
        message: str,
        *,
        field: str | None = None,
        status: int = 400,
        en: str | None = None,
    ):
        super().__init__(message)
        self.id = id
        self.message = message
        self.field = field
        self.status = status
        self.en = en

    @classmethod
    def invalid(cls, exc: RuleError) -> StaffError:
        """A rule's refusal (``schedules``) as the services' ``invalid-field``."""
        return cls("invalid-field", exc.message, field=exc.field, en=exc.en)

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "message": self.message}
        if self.field:
            out["field"] = self.field
        return {"error": out}
