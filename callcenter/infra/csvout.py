"""CSV out, one way for every export: plain (commas, decimal points), or as a Belgian Excel
opens it (semicolons, UTF-8 with a BOM, decimal commas: ``0,0833`` and ``19``, which it
reads as numbers, not ``0.0833`` and ``19.0``, which it reads as text); text cells that
would start a formula are neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

__all__ = ["safe_cell", "to_csv"]


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a leading = + - @ becomes text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]], *, excel: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v, excel) for v in row])
    return ("\ufeff" if excel else "") + out.getvalue()


def _cell(value: object, excel: bool) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_cell(value)
    if excel and isinstance(value, float):
        text = f"{value:.0f}" if value.is_integer() else repr(value)
        return text.replace(".", ",")
    return value
