"""A one-sheet Excel workbook (.xlsx) written as a stream of bytes, in constant memory.

The zip is written forwards only (`zipfile` on a stream that cannot seek writes data descriptors), so the first
bytes leave before the last row is read. Text goes in as inline strings, never as formulas, so nothing a
spreadsheet would evaluate can be smuggled in; numbers are numbers, percents numbers with a "0.0%" format (87.5%
is stored as 0.875), times Excel dates with a "yyyy-mm-dd hh:mm" format. The header row is bold and frozen.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal

TEXT, INTEGER, PERCENT, DATETIME, ANSWER = "text", "integer", "percent", "datetime", "answer"
# Answers to date and time questions: written as Excel dates and times when they read as one ("2026-11-27",
# "10:03"), else as the text they are.
DATE_ANSWER, TIME_ANSWER = "date_answer", "time_answer"
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
# Rows written between two hand-overs of the bytes compressed so far.
FLUSH_ROWS = 500
_EPOCH = datetime(1899, 12, 30)
# Characters XML 1.0 cannot carry: written as OOXML's _xHHHH_ escape, as Excel itself does.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Text that reads like such an escape has its underscore escaped, so it comes back as written.
_LOOKS_ESCAPED = re.compile(r"_x(?=[0-9A-Fa-f]{4}_)")
# Style indexes in styles.xml below.
_HEADER, _DATE, _PERCENT, _DAY, _CLOCK_TIME = 1, 2, 3, 4, 5

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="4"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="0.0%"/><numFmt numFmtId="166" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="167" formatCode="hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/>')


def escape(text: str) -> str:
    """Text as XML character data or a double-quoted attribute value."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def column_letter(index: int) -> str:
    """A zero-based column index as Excel names it: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_title(name: str) -> str:
    """A sheet name Excel accepts: without []:*?/\\ and at most 31 characters."""
    return (re.sub(r"[\[\]:*?/\\]", " ", name).strip() or "Sheet")[:31]


def _text(value: str) -> str:
    escaped = escape(_ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", _LOOKS_ESCAPED.sub("_x005F_x", value)))
    escaped = escaped.replace("\r", "&#13;")
    if escaped != escaped.strip() or "\n" in escaped:
        return f'<is><t xml:space="preserve">{escaped}</t></is>'
    return f"<is><t>{escaped}</t></is>"


def _serial(value: datetime) -> str:
    delta = value - _EPOCH
    return repr(delta.days + delta.seconds / 86400)


def _day_serial(text: str) -> int | None:
    """A date answer as Excel's day number, or None when it is not a real date written as YYYY-MM-DD."""
    found = _ISO_DATE.fullmatch(text)
    try:
        return (datetime(*map(int, found.groups())) - _EPOCH).days if found else None
    except ValueError:
        return None


def _clock_serial(text: str) -> str | None:
    """A time answer as Excel's fraction of a day, or None when it is not a time of day written as HH:MM[:SS]."""
    found = _CLOCK.fullmatch(text)
    if not found:
        return None
    hours, minutes, seconds = int(found[1]), int(found[2]), int(found[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return repr((hours * 3600 + minutes * 60 + seconds) / 86400)


def _cells(ref: str, kind: str, value: object) -> str:
    """One cell's XML; `ref` is its address ("C12")."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        if kind == DATE_ANSWER and (day := _day_serial(value)) is not None:
            return f'<c r="{ref}" s="{_DAY}"><v>{day}</v></c>'
        if kind == TIME_ANSWER and (clock := _clock_serial(value)) is not None:
            return f'<c r="{ref}" s="{_CLOCK_TIME}"><v>{clock}</v></c>'
        return f'<c r="{ref}" t="inlineStr">{_text(value)}</c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{_DATE}"><v>{_serial(value)}</v></c>'
    if isinstance(value, Decimal) and kind == PERCENT:
        return f'<c r="{ref}" s="{_PERCENT}"><v>{value.scaleb(-2)}</v></c>'
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr">{_text(str(value))}</c>'


class _Pipe:
    """A write-only, non-seekable sink whose bytes are taken out as they come."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def stream_sheet(name: str, header: Sequence[str], kinds: Sequence[str],
                 rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """A workbook of one sheet called `name` (made acceptable to Excel): `header` as its bold, frozen first row,
    then `rows`, each cell typed by its column's kind and its value (str, int, Decimal, datetime or None).
    Yields the bytes of the .xlsx as they are compressed."""
    pipe = _Pipe()
    letters = [column_letter(i) for i in range(len(header))]
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{escape(sheet_title(name))}" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>'))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            widths = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{18 if i < 15 else 24}" customWidth="1"/>'
                             for i in range(len(header)))
            sheet.write((_SHEET_START + (f"<cols>{widths}</cols>" if widths else "") + '<sheetData><row r="1">'
                         + "".join(f'<c r="{letter}1" t="inlineStr" s="{_HEADER}">{_text(text)}</c>'
                                   for letter, text in zip(letters, header))
                         + "</row>").encode("utf-8"))
            yield pipe.take()
            number = 1
            for cells in rows:
                number += 1
                row = str(number)
                sheet.write((f'<row r="{row}">'
                             + "".join(_cells(letter + row, kind, value)
                                       for letter, kind, value in zip(letters, kinds, cells))
                             + "</row>").encode("utf-8"))
                if number % FLUSH_ROWS == 0:
                    data = pipe.take()
                    if data:
                        yield data
            sheet.write(b"</sheetData></worksheet>")
    yield pipe.take()
