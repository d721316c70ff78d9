"""Spreadsheets out: a real ``.xlsx`` (XlsxWriter) with typed cells, so that Excel in any
locale reads numbers as numbers, ratios as percentages and nothing as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

import xlsxwriter

__all__ = ["to_xlsx"]


def to_xlsx(
    sheet: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    percent_columns: Iterable[str] = (),
) -> bytes:
    """One sheet: a bold header row (frozen), numbers as numbers, the ``percent_columns``
    (ratios, 0.127) shown as ``12,7 %`` by Excel's own locale, text as text (never a
    formula, whatever it starts with)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    pct = book.add_format({"num_format": "0.0%"})
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    ratios = {i for i, h in enumerate(header) if h in set(percent_columns)}
    for col, title in enumerate(header):
        ws.write_string(0, col, title, bold)
        ws.set_column(col, col, max(10, min(40, len(title) + 2)))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value, pct if c in ratios else None)
            elif isinstance(value, date):  # a day as a date Excel can sort and count
                ws.write_datetime(r, c, datetime.combine(value, time(0)), day)
            else:
                ws.write_string(r, c, str(value))
    ws.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
