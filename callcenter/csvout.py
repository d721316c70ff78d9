"""CSV out, one way for every export: plain (commas), or as a Belgian Excel opens it
(semicolons, UTF-8 with a BOM); text cells that would start a formula are neutralised."""

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
        writer.writerow(
            ["" if v is None else (safe_cell(v) if isinstance(v, str) else v) for v in row]
        )
    return ("\ufeff" if excel else "") + out.getvalue()
