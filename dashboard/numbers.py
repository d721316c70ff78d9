"""Numbers as a Flemish reader writes them (Babel, ``nl_BE``): a decimal comma, a point
between thousands, a space before the percent sign (``12,7 %``, ``1.234``)."""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent

__all__ = ["LOCALE", "duration", "number", "percent"]

LOCALE = "nl_BE"


def number(value: object, digits: int | None = None) -> str:
    """A count or a measure; ``digits`` after the comma (None: as many as it has, at most
    one for a fraction). Anything else (text, None) as it is (None: a dash)."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if digits is None:
        digits = 0 if isinstance(value, int) or float(value).is_integer() else 1
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=LOCALE))


def percent(value: object, digits: int = 1) -> str:
    """A share (0.127) as ``12,7 %``; None as a dash."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + " %"
    return str(format_percent(value, format=pattern, locale=LOCALE))


def duration(value: object) -> str:
    """Seconds as a clock reads them: ``0:45``, ``12:05``, ``1:02:05``; None as a dash."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    total = max(0, round(value))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
