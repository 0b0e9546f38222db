"""XLSForms the tests build themselves: a workbook (openpyxl) or the CSV layout pyxform reads, from rows."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

Rows = list[list[Any]]

HEADER = ["type", "name", "label::English (en)", "label::Japanese (ja)", "required", "relevant"]
YES_NO = [["list_name", "name", "label::English (en)", "label::Japanese (ja)"],
          ["yn", "yes", "Yes", "はい"], ["yn", "no", "No", "いいえ"]]


def xlsx(sheets: dict[str, Rows]) -> bytes:
    """An .xlsx workbook with one sheet per entry, in order, each a list of rows (the first holds the headers)."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    book.close()
    return out.getvalue()


def csv_form(sheets: dict[str, Rows]) -> bytes:
    """The same sheets in pyxform's CSV layout: a line naming each sheet, then its rows one column to the right."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for name, rows in sheets.items():
        writer.writerow([name])
        for row in rows:
            writer.writerow(["", *("" if v is None else v for v in row)])
    return out.getvalue().encode("utf-8")


def survey(*rows: list[Any], header: list[str] | None = None) -> Rows:
    return [header or HEADER, *rows]
