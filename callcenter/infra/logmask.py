"""Logs carry no caller numbers: a filter masks anything that looks like a phone number in
every record at INFO and above (``+32470123456`` → ``+32470****56``).

Call ids (``1763900000.12``) are not phone numbers and stay readable; code also avoids
logging numbers or question text in the first place (log the call id instead).
"""

from __future__ import annotations

import logging
import re

__all__ = ["MaskNumbers", "install", "mask"]

_PHONE = re.compile(r"(?<![\w.+/])(?:\+|0)\d(?:[ ./-]?\d){6,16}(?![\w.])")


def _hide(match: re.Match[str]) -> str:
    n = match.group(0)
    return n[:6] + "*" * max(2, len(n) - 8) + n[-2:]


def mask(text: str) -> str:
    return _PHONE.sub(_hide, text)


class MaskNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.INFO:
            message = record.getMessage()
            masked = mask(message)
            if masked != message:
                record.msg, record.args = masked, None
            if record.exc_info and not record.exc_text:
                record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Mask numbers on every handler of ``logger`` (default: the root logger)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, MaskNumbers) for f in handler.filters):
            handler.addFilter(MaskNumbers())
