"""XLSForm import: an ODK / KoboToolbox questionnaire (.xlsx, .xls or .csv) becomes a draft checklist.

The file is read by pyxform's own reader (`pyxform.xls2json_backends`), and its column headers are understood
with pyxform's own header and type aliases (`label::English (en)`, `REQUIRED`, `begin_group`, `select one from
L`, ...). What Storecheck's checklist format can say is mapped; every row, column or sheet that cannot be mapped
is listed as a problem with its sheet, line and column, so nothing is dropped without a word:

- a *blocking* problem (an unreadable file, a duplicate name, a choice list that is missing or empty, groups that
  do not close, a question without an English label) means nothing is imported;
- any other problem (a calculation, a repeat, a constraint, an unsupported type, a relevance that is not a simple
  comparison) leaves that row or column out of the draft, and is listed beside the result.

Questions arrive unscored (weight 0); head office sets weights in the editor.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy.orm import Session

import scoring
from audit_app.models import User
from audit_app.services import rubrics
from audit_app.services.errors import N_, Message, ServiceError

# An XLSForm is a few dozen kilobytes; a large one with many choices is well under a megabyte.
MAX_XLSFORM_BYTES = 2 * 1024 * 1024
# What an .xlsx (a zip) may unpack to: a small file that expands to gigabytes is refused before it is read.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_SURVEY_ROWS = 2000
MAX_CHOICE_ROWS = 10000
SUFFIXES = (".xlsx", ".xls", ".csv")

_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_LANG_CODE = re.compile(r"\(([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\)\s*$")
_LANGUAGE_NAMES = {"english": "en", "en": "en", "japanese": "ja", "ja": "ja", "日本語": "ja"}
_NAME = r"\$\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}"
_VALUE = r"""(?:'([^']*)'|"([^"]*)"|(-?\d+))"""
_EQUALS = re.compile(rf"^{_NAME}\s*=\s*{_VALUE}$")
_SELECTED = re.compile(rf"^selected\(\s*{_NAME}\s*,\s*{_VALUE}\s*\)$")

# XLSForm types with a direct counterpart.
_SIMPLE_TYPES = {
    "integer": "number", "int": "number", "decimal": "number", "image": "photo", "photo": "photo",
    "date": "date", "time": "time", "text": "text", "string": "text", "note": "note",
}
_CHANNELS = ("in_store", "online", "phone", "chat", "email", "social", "app", "returns")
_SHOW_IF_TARGETS = ("choice", "multi", "yes_no", "scale", "nps")
_GRADES = [
    {"min": 90, "label": {"en": "Excellent", "ja": "優秀"}},
    {"min": 75, "label": {"en": "Good", "ja": "良好"}},
    {"min": 0, "label": {"en": "Needs work", "ja": "要改善"}},
]
_OTHER_TEXT = {"en": "Other", "ja": "その他"}
_SPECIFY_TEXT = {"en": "Please specify the other answer", "ja": "「その他」の内容を入力してください"}
_GENERAL_TITLE = {"en": "General", "ja": "全般"}


@dataclass(frozen=True)
class XlsformProblem:
    """One thing in the file that was not imported: where it is (sheet, line, column) and why.

    `line` counts from 1 as a spreadsheet program does (line 1 holds the column headers); it is None for the file
    or a whole sheet. `reason` is a `Message` or, for what the checklist schema rejected, a `scoring.Problem`.
    """

    sheet: str
    line: int | None
    column: str | None
    reason: Any
    blocking: bool


class XlsformRejectedError(ServiceError):
    """The file was not imported at all; `problems` lists every reason, blocking or not, in file order."""

    def __init__(self, filename: str, problems: Iterable[XlsformProblem]) -> None:
        self.filename = filename
        self.problems = sorted(problems, key=_order)
        blocking = sum(1 for p in self.problems if p.blocking)
        super().__init__(N_("%(file)s was not imported: %(n)d problem(s) to fix."), file=filename, n=blocking)


@dataclass(frozen=True)
class Conversion:
    """What a file became: the checklist definition (None when a blocking problem stops it) and every problem."""

    definition: dict[str, Any] | None
    problems: tuple[XlsformProblem, ...]
    # For each question key, the survey line it came from (to place the schema's problems).
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class XlsformImport:
    """An import's result: the draft (None for a dry run), the definition and the rows that were left out."""

    filename: str
    version: rubrics.VersionInfo | None
    definition: dict[str, Any]
    skipped: tuple[XlsformProblem, ...]
    sections: int
    questions: int


def import_xlsform(session: Session, actor: User | None, data: bytes, filename: str, *, now: datetime,
                   key: str | None = None, channel: str = "in_store", dry_run: bool = False) -> XlsformImport:
    """Read an XLSForm and store it as a new draft (of the checklist with its key, or of a new checklist).

    With `dry_run` nothing is stored. Raises XlsformRejectedError (every problem, with its line) when anything
    blocks the import, RubricError when that checklist already has a draft.
    """
    conversion = convert_xlsform(data, filename, key=key, channel=channel)
    if conversion.definition is None:
        raise XlsformRejectedError(filename, conversion.problems)
    definition = conversion.definition
    version = None
    if not dry_run:
        version = rubrics.import_definition(session, actor, definition, now=now,
                                            source={"source": "xlsform", "file": filename[:200]})
    return XlsformImport(filename, version, definition, tuple(sorted(conversion.problems, key=_order)),
                         len(definition["sections"]),
                         sum(len(s["questions"]) for s in definition["sections"]))


def convert_xlsform(data: bytes, filename: str, *, key: str | None = None,
                    channel: str = "in_store") -> Conversion:
    """An XLSForm's bytes as a checklist definition (validated by the checklist schema) and its problems.

    `filename` picks the reader by its ending (.xlsx, .xls, .csv) and names the checklist when the form's
    settings do not. `key` (optional) overrides the form's `form_id`. Reads nothing but `data`.
    """
    problems: list[XlsformProblem] = []
    book = _read_book(data, filename, problems)
    if book is None:
        return Conversion(None, tuple(sorted(problems, key=_order)))
    mapper = _Mapper(book, PurePath(filename).stem, key, channel, problems)
    definition = mapper.run()
    if any(p.blocking for p in problems) or definition is None:
        return Conversion(None, tuple(sorted(problems, key=_order)))
    try:
        resolved = rubrics.validate(definition)
    except rubrics.RubricProblemsError as error:
        for problem in error.problems:
            line = mapper.line_of_path(problem.path)
            problems.append(XlsformProblem("survey" if line else "", line, None, problem, True))
        return Conversion(None, tuple(sorted(problems, key=_order)))
    return Conversion(resolved, tuple(sorted(problems, key=_order)), mapper.question_lines)


# --- reading the file with pyxform ---------------------------------------------------------------


@dataclass
class _Sheet:
    """One sheet as pyxform read it: its column headers and rows (column -> text) with the line of each row."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]
    header_line: int = 1


@dataclass
class _Book:
    sheets: dict[str, _Sheet]
    sheet_names: list[str]


def _problem(problems: list[XlsformProblem], where: str, line: int | None, column: str | None, message: str,
             blocking: bool = False, /, **params: Any) -> None:
    problems.append(XlsformProblem(where, line, column, Message(message, params), blocking))


def _read_book(data: bytes, filename: str, problems: list[XlsformProblem]) -> _Book | None:
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUFFIXES:
        _problem(problems, "", None, None, N_("only .xlsx, .xls and .csv files can be imported (this one is "
                                              "%(suffix)s)"), True, suffix=suffix or "—")
        return None
    if len(data) > MAX_XLSFORM_BYTES:
        _problem(problems, "", None, None, N_("the file is %(size)s MB; an XLSForm may be at most %(limit)s MB"),
                 True, size=f"{len(data) / (1024 * 1024):.1f}", limit=MAX_XLSFORM_BYTES // (1024 * 1024))
        return None
    if not data:
        _problem(problems, "", None, None, N_("the file is empty"), True)
        return None
    csv_text = None
    if suffix == ".xlsx" and not _fits_unpacked(data, problems):
        return None
    if suffix == ".xls" and not data.startswith(_XLS_MAGIC):
        _problem(problems, "", None, None, N_("the file is not an Excel 97–2003 (.xls) workbook"), True)
        return None
    if suffix == ".csv":
        try:
            csv_text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            _problem(problems, "", None, None, N_("a .csv file must be saved as UTF-8 text"), True)
            return None
        data = csv_text.encode("utf-8")  # without a byte-order mark, which would become part of the first sheet name

    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import definition_to_dict, get_definition_data

    try:
        with warnings.catch_warnings():
            # Spreadsheet programs write files openpyxl warns about (styles, extensions); none changes a value.
            warnings.simplefilter("ignore")
            read = definition_to_dict(get_definition_data(data), file_type=suffix)
    except PyXFormError as error:
        text = str(error)
        duplicate = re.search(r"Duplicate column header: (.+)$", text)
        if duplicate:
            _problem(problems, "", 1, duplicate.group(1), N_("the column %(column)s is written twice in one sheet"),
                     True, column=duplicate.group(1))
        else:
            _problem(problems, "", None, None, N_("the file could not be read as %(kind)s"), True, kind=suffix)
        return None
    except Exception:  # noqa: BLE001  an uploaded file may break the reader in any way; it is simply unreadable
        _problem(problems, "", None, None, N_("the file could not be read as %(kind)s"), True, kind=suffix)
        return None

    lines = _csv_lines(csv_text) if csv_text is not None else None
    sheets: dict[str, _Sheet] = {}
    for name in ("survey", "choices", "settings", "external_choices", "entities", "osm"):
        rows = getattr(read, name)
        header = getattr(read, f"{name}_header")
        if rows is None and header is None:
            continue
        headers = list(header[0]) if header else []
        if lines is not None:
            header_line, row_lines = lines.get(name, (1, []))
            numbered = list(zip(row_lines, rows or [], strict=False))
            sheets[name] = _Sheet(headers, numbered, header_line)
        else:
            sheets[name] = _Sheet(headers, [(index + 2, row) for index, row in enumerate(rows or [])])
    return _Book(sheets, list(read.sheet_names or []))


def _fits_unpacked(data: bytes, problems: list[XlsformProblem]) -> bool:
    if not data.startswith(_ZIP_MAGIC):
        _problem(problems, "", None, None, N_("the file is not an Excel (.xlsx) workbook"), True)
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        _problem(problems, "", None, None, N_("the file is not an Excel (.xlsx) workbook"), True)
        return False
    if unpacked > MAX_UNPACKED_BYTES:
        _problem(problems, "", None, None, N_("the workbook unpacks to %(size)s MB; at most %(limit)s MB can be read"),
                 True, size=f"{unpacked / (1024 * 1024):.0f}", limit=MAX_UNPACKED_BYTES // (1024 * 1024))
        return False
    return True


def _csv_lines(text: str) -> dict[str, tuple[int, list[int]]]:
    """For a .csv XLSForm, the line of each sheet's header and of each row pyxform's reader keeps.

    pyxform's CSV reader keeps no line numbers and skips empty rows; this walks the same rows in the same way
    (the first column names a sheet, the first row after it holds the headers) only to count lines."""
    found: dict[str, tuple[int, list[int]]] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    sheet: str | None = None
    has_header = False
    for row in reader:
        if not row:
            continue
        first = row[0].strip()
        content = [value.strip() for value in row[1:]]
        if first or len(row) == 1:
            sheet = first.lower() if first else sheet
            has_header = False
            if sheet and sheet not in found:
                found[sheet] = (reader.line_num, [])
        if len(row) == 1 or not any(content) or sheet is None:
            continue
        if not has_header:
            found[sheet] = (reader.line_num, found[sheet][1])
            has_header = True
        else:
            found[sheet][1].append(reader.line_num)
    return found


# --- mapping rows to the checklist format --------------------------------------------------------


@dataclass
class _Column:
    """A column header as pyxform's aliases read it: `tokens` like ("label", "English (en)") or ("bind", "required")."""

    header: str
    tokens: tuple[str, ...]


@dataclass
class _Group:
    kind: str  # "group" or "repeat"
    name: str
    line: int
    show_if: dict[str, Any] | None = None
    relevant_line: int | None = None
    has_section: bool = False


class _Mapper:
    """Walks the survey sheet row by row, building sections and questions and noting every problem."""

    def __init__(self, book: _Book, stem: str, key: str | None, channel: str,
                 problems: list[XlsformProblem]) -> None:
        self.book = book
        self.stem = stem
        self.key = key
        self.channel = channel if channel in _CHANNELS else "in_store"
        self.problems = problems
        self.default_language = "en"
        self.sections: list[dict[str, Any]] = []
        self.section_lines: list[int | None] = []
        self.question_lines: dict[str, int] = {}
        self.questions: dict[str, dict[str, Any]] = {}
        self.names: dict[str, int] = {}
        self.choices: dict[str, list[dict[str, Any]]] = {}
        self.choice_lines: dict[str, int] = {}
        self.used_lists: set[str] = set()
        self.list_column = "list_name"
        self.survey_headers: dict[str, str] = {}

    def note(self, where: str, line: int | None, column: str | None, message: str, blocking: bool = False, /,
             **params: Any) -> None:
        # The sheet as the file names it (`SURVEY`); pyxform's reader lower-cases the names it knows.
        shown = next((name for name in self.book.sheet_names if name.lower() == where), where)
        _problem(self.problems, shown, line, column, message, blocking, **params)

    # --- the whole book

    def run(self) -> dict[str, Any] | None:
        from pyxform import constants

        for name in self.book.sheet_names:
            lowered = name.lower()
            if lowered not in constants.SUPPORTED_SHEET_NAMES:
                self.note(name, None, None, N_("the sheet %(sheet)s is not part of an XLSForm and was not read"),
                          sheet=name)
            elif lowered in ("external_choices", "entities", "osm") and self.book.sheets.get(lowered) is not None:
                self.note(name, None, None, N_("the sheet %(sheet)s is not imported (Storecheck has no %(what)s)"),
                          sheet=name, what=Message({"external_choices": N_("choices from outside files"),
                                                    "entities": N_("entities"),
                                                    "osm": N_("map features")}[lowered]))
        survey = self.book.sheets.get("survey")
        if survey is None or not survey.headers:
            self.note("", None, None, N_("the file has no sheet named survey"), True)
            return None
        if len(survey.rows) > MAX_SURVEY_ROWS or len(self.book.sheets.get("choices", _Sheet([], [])).rows) \
                > MAX_CHOICE_ROWS:
            self.note("", None, None, N_("an XLSForm may have at most %(survey)s survey rows and %(choices)s choice "
                                         "rows; split it"), True, survey=f"{MAX_SURVEY_ROWS:,}",
                      choices=f"{MAX_CHOICE_ROWS:,}")
            return None
        title, key = self.read_settings()
        self.read_choices()
        self.read_survey(survey)
        for list_name, line in self.choice_lines.items():
            if list_name not in self.used_lists:
                self.note("choices", line, self.list_column,
                          N_("the choice list %(list)s is not used by any question"), list=list_name)
        if not any(section["questions"] for section in self.sections) and not any(p.blocking for p in self.problems):
            self.note("survey", None, None, N_("no question of the survey sheet could be imported"), True)
            return None
        return {"key": key, "title": {"en": title}, "channel": self.channel, "scoring": "weighted_sections",
                "grades": [dict(g) for g in _GRADES], "sections": self.sections}

    def line_of_path(self, path: str) -> int | None:
        """The survey line behind a schema problem's path (`sections[1].questions[2].show_if`)."""
        match = re.match(r"sections\[(\d+)\](?:\.questions\[(\d+)\])?", path or "")
        if not match or int(match.group(1)) >= len(self.sections):
            return None
        section = self.sections[int(match.group(1))]
        if match.group(2) is not None and int(match.group(2)) < len(section["questions"]):
            return self.question_lines.get(section["questions"][int(match.group(2))]["key"])
        return self.section_lines[int(match.group(1))]

    def columns(self, sheet_name: str, sheet: _Sheet) -> dict[str, _Column]:
        from pyxform import aliases
        from pyxform.parsing.sheet_headers import process_header
        from pyxform.question import MultipleChoiceQuestion, Option
        from pyxform.survey import Survey

        if sheet_name == "survey":
            known, header_aliases = set(MultipleChoiceQuestion.get_slot_names()), aliases.survey_header
        elif sheet_name == "choices":
            known, header_aliases = set(Option.get_slot_names()), aliases.list_header
        else:
            known, header_aliases = set(Survey.get_slot_names()), aliases.settings_header
        double = any("::" in header for header in sheet.headers)
        found = {}
        for header in sheet.headers:
            _, tokens = process_header(header, double, header_aliases, known)
            found[header] = _Column(header, tuple(tokens))
        return found

    def language(self, part: str | None) -> str | None:
        """The checklist language of a column's language part: `English (en)`, `en`, `Japanese` -> en / ja."""
        from pyxform import constants

        if part is None or part == constants.DEFAULT_LANGUAGE_VALUE:
            return self.default_language
        code = _LANG_CODE.search(part)
        word = code.group(1).lower() if code else part.strip().lower()
        return {"en": "en", "ja": "ja"}.get(word) or _LANGUAGE_NAMES.get(word)

    # --- settings

    def read_settings(self) -> tuple[str, str]:
        settings = self.book.sheets.get("settings")
        values: dict[str, tuple[str, str]] = {}
        if settings is not None:
            columns = self.columns("settings", settings)
            row_line, row = settings.rows[0] if settings.rows else (2, {})
            for header, value in row.items():
                name = columns[header].tokens[0] if header in columns else header
                values[name] = (header, value)
            for name, (header, value) in values.items():
                if name not in ("title", "id_string", "default_language"):
                    self.note("settings", row_line, header, N_("the setting %(column)s is not used by Storecheck"),
                              column=header)
            if "default_language" in values:
                header, value = values["default_language"]
                language = self.language(value)
                if language is None:
                    self.note("settings", row_line, header, N_("the default language %(value)s is neither English "
                                                               "nor Japanese; labels without a language are read as "
                                                               "English"), value=value)
                else:
                    self.default_language = language
            for extra_line, extra in settings.rows[1:]:
                if extra:
                    self.note("settings", extra_line, None, N_("only the first row of the settings sheet is read"))
        title = values.get("title", ("", ""))[1].strip() or self.stem
        raw_key = self.key or values.get("id_string", ("", ""))[1] or self.stem
        # A key given with the upload is taken as written; a form's id or file name is made into one.
        key = (self.key if _KEY.fullmatch(self.key) else None) if self.key else _as_key(raw_key)
        if key is None:
            column = None if self.key else values.get("id_string", (None, ""))[0]
            line = settings.rows[0][0] if column and settings is not None and settings.rows else None
            self.note("settings" if column else "", line, column,
                      N_("%(value)s cannot be a checklist key: use letters, digits and _, starting with a letter"),
                      True, value=raw_key)
            key = "xlsform"
        return title, key

    # --- choices

    def read_choices(self) -> None:
        sheet = self.book.sheets.get("choices")
        if sheet is None:
            return
        columns = self.columns("choices", sheet)
        named = {column.tokens[0]: header for header, column in reversed(list(columns.items()))}
        unused: set[str] = set()
        seen: dict[tuple[str, str], int] = {}
        for line, row in sheet.rows:
            if not row:
                continue
            values: dict[str, Any] = {}
            labels: dict[str, str] = {}
            for header, value in row.items():
                tokens = columns[header].tokens
                if tokens[0] == "list name":
                    values["list"] = value
                elif tokens[0] == "name":
                    values["name"] = value
                elif tokens[0] == "label":
                    language = self.language(tokens[1] if len(tokens) > 1 else None)
                    if language is None:
                        unused.add(header)
                    else:
                        labels[language] = value
                else:
                    unused.add(header)
            list_name, name = values.get("list"), values.get("name")
            if not list_name:
                self.note("choices", line, named.get("list name", "list_name"), N_("this choice has no list name"),
                          True)
                continue
            if not name:
                self.note("choices", line, named.get("name", "name"), N_("this choice has no name"), True)
                continue
            if (list_name, name) in seen:
                self.note("choices", line, named.get("name", "name"),
                          N_("the choice %(name)s is in the list %(list)s twice (also on line %(first)s)"), True,
                          name=name, list=list_name, first=seen[(list_name, name)])
                continue
            seen[(list_name, name)] = line
            if "en" not in labels:
                self.note("choices", line, named.get("label", "label"), N_("this choice has no English label"),
                          True)
                continue
            self.choices.setdefault(list_name, []).append({"key": name, "text": labels})
            self.choice_lines.setdefault(list_name, line)
            self.list_column = named.get("list name", "list_name")
        for header in sorted(unused):
            self.note("choices", sheet.header_line, header, N_("the column %(column)s is not used by Storecheck"),
                      column=header)

    # --- survey

    def read_survey(self, sheet: _Sheet) -> None:
        from pyxform.parsing.sheet_headers import clean_text_values

        columns = self.columns("survey", sheet)
        self.survey_headers = {column.tokens[0]: header for header, column in reversed(list(columns.items()))}
        if not any(c.tokens[0] == "type" for c in columns.values()):
            self.note("survey", sheet.header_line, None, N_("the survey sheet has no type column"), True)
            return
        stack: list[_Group] = []
        current: dict[str, Any] | None = None  # the section questions go into
        for line, raw in sheet.rows:
            row = {header: clean_text_values(value, strip_whitespace=True) for header, value in raw.items()}
            cells = {columns[h].tokens: (h, v) for h, v in row.items()}
            type_header, type_text = next(((h, v) for h, v in row.items() if columns[h].tokens[0] == "type"),
                                          (None, ""))
            if not type_text:
                if row:
                    self.note("survey", line, None, N_("this row has no type and was not read"))
                continue
            kind = " ".join(type_text.split())
            control = self.control(kind)
            in_repeat = any(group.kind == "repeat" for group in stack)
            if control is not None and control[0] == "end":
                if not stack or stack[-1].kind != control[1]:
                    self.note("survey", line, type_header, N_("%(type)s has no matching begin"), True,
                              type=type_text)
                    continue
                if stack.pop().has_section:
                    current = None
                continue
            name = next((v for t, (h, v) in cells.items() if t[0] == "name"), "")
            if control is None and kind.lower() == "note" and not name:
                name = f"note_{line}"
            if not name:
                self.note("survey", line, self.column("name"), N_("this row has no name"), True)
                continue
            key = self.claim(name, line)
            if control is not None:
                group = _Group(control[1], name, line)
                if in_repeat:
                    self.note("survey", line, type_header, N_("not imported: it is inside a repeat"))
                elif group.kind == "repeat":
                    self.note("survey", line, type_header, N_("not imported: repeats have no counterpart in a "
                                                              "checklist (the rows inside it are not imported "
                                                              "either)"))
                elif stack:
                    self.note("survey", line, type_header, N_("a group inside a group: its questions join the "
                                                              "section of the outer group (sections do not nest)"))
                    self.group_condition(group, cells, line, stack)
                    self.unused_cells(line, cells, ("type", "name", "label", "bind.relevant"))
                else:
                    current = self.new_section(key, name, line, cells)
                    group.has_section = True
                    self.group_condition(group, cells, line, stack)
                    self.unused_cells(line, cells, ("type", "name", "label", "bind.relevant"))
                stack.append(group)
                continue
            if in_repeat:
                self.note("survey", line, type_header, N_("not imported: it is inside a repeat"))
                continue
            question = self.question(kind, key, line, cells, type_header)
            if question is None:
                continue
            self.apply_relevance(question, line, cells, stack)
            if current is None:
                current = self.new_section(None, None, line, {})
            current["questions"].append(question)
            self.questions[question["key"]] = question
            self.question_lines[question["key"]] = line
            for extra in question.pop("_extra", []):
                current["questions"].append(extra)
                self.questions[extra["key"]] = extra
                self.question_lines[extra["key"]] = line
        for group in stack:
            self.note("survey", group.line, self.column("type"), N_("begin %(kind)s %(name)s is never ended"), True,
                      kind=group.kind, name=group.name)
        for index in reversed(range(len(self.sections))):
            if not self.sections[index]["questions"]:
                self.note("survey", self.section_lines[index], None,
                          N_("the group %(name)s was not imported: none of its questions could be"),
                          name=self.sections[index]["key"])
                del self.sections[index]
                del self.section_lines[index]

    def column(self, first: str) -> str:
        """The survey sheet's own header for a column (`NAME`, `label::English (en)`), or the plain name."""
        return self.survey_headers.get(first, first)

    @staticmethod
    def control(kind: str) -> tuple[str, str] | None:
        """("begin" | "end", "group" | "repeat") for a group or repeat row, else None."""
        from pyxform import aliases, constants
        from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL

        lowered = kind.lower()
        for word, pattern in (("begin", RE_BEGIN_CONTROL), ("end", RE_END_CONTROL)):
            match = pattern.search(lowered)
            if match:
                control = aliases.control[match.group("type")]
                return word, "group" if control == constants.GROUP else "repeat"
        return None

    def claim(self, name: str, line: int) -> str:
        key = _as_key(name)
        if key is None:
            self.note("survey", line, self.column("name"),
                      N_("%(value)s cannot be a checklist key: use letters, digits and _, starting with a letter"),
                      True, value=name)
            return f"row_{line}"
        return self.claim_key(key, name, line)

    def claim_key(self, key: str, name: str, line: int) -> str:
        if key in self.names:
            self.note("survey", line, self.column("name"),
                      N_("the name %(name)s is used twice (also on line %(first)s)"), True, name=name,
                      first=self.names[key])
        else:
            self.names[key] = line
        return key

    def new_section(self, key: str | None, name: str | None, line: int, cells: dict[tuple[str, ...],
                                                                                   tuple[str, str]]) -> dict[str, Any]:
        if key is None:
            key = "general"
            number = 1
            while key in self.names:
                number += 1
                key = f"general_{number}"
            self.names[key] = line
            title: dict[str, str] = dict(_GENERAL_TITLE)
        else:
            title = self.text(cells, "label", line, section=True) or {"en": name or key}
        section = {"key": key, "title": title, "weight": 1, "questions": []}
        self.sections.append(section)
        self.section_lines.append(line)
        return section

    def text(self, cells: dict[tuple[str, ...], tuple[str, str]], what: str, line: int,
             section: bool = False) -> dict[str, str] | None:
        """The label (or hint) of a row in English and Japanese; other languages are listed as not imported."""
        found: dict[str, str] = {}
        for tokens, (header, value) in cells.items():
            if tokens[0] != what:
                continue
            language = self.language(tokens[1] if len(tokens) > 1 else None)
            if language is None:
                self.note("survey", line, header, N_("not imported: only English and Japanese text is read"))
            elif language not in found or len(tokens) > 1:
                found[language] = value
        if found and "en" not in found:
            if section:
                return None
            if what == "label":
                self.note("survey", line, self.column("label"), N_("this row has no English %(what)s"), True,
                          what=Message(N_("label")))
            else:  # a hint is guidance: without English it is left out, the question still comes
                self.note("survey", line, self.column("hint"), N_("not imported: this hint has no English text"))
            return None
        return found or None

    def question(self, kind: str, key: str, line: int, cells: dict[tuple[str, ...], tuple[str, str]],
                 type_header: str | None) -> dict[str, Any] | None:
        from pyxform.xls2json import RE_SELECT

        used = ["type", "name", "label", "hint", "bind.required", "bind.relevant"]
        question: dict[str, Any] = {"key": key}
        lowered = kind.lower()
        select = RE_SELECT.search(kind)
        if select and select.group("select_command") in ("select_one", "select one", "select one from", "select1",
                                                           "add select one prompt using", "select_multiple",
                                                           "select all that apply", "select all that apply from",
                                                           "add select multiple prompt using"):
            list_name = select.group("list_name")
            self.used_lists.add(list_name)
            options = self.choices.get(list_name)
            if not options:
                choices = self.book.sheets.get("choices")
                if choices is None or not any(row for _, row in choices.rows):
                    reason = N_("the choice list %(list)s has no choices: the choices sheet is empty or missing")
                elif self._list_had_rows(list_name):
                    reason = N_("the choice list %(list)s has no choices")
                else:
                    reason = N_("the choice list %(list)s is not on the choices sheet")
                self.note("survey", line, type_header, reason, True, list=list_name)
                return None
            multi = "multiple" in select.group("select_command") or "all that apply" in select.group("select_command")
            question["type"] = "multi" if multi else "choice"
            question["options"] = [dict(option) for option in options]
            if select.group("specify_other"):
                if all(option["key"] != "other" for option in options):
                    question["options"].append({"key": "other", "text": dict(_OTHER_TEXT)})
                other_key = self.claim_key(f"{key}_other", f"{key}_other", line)
                question["_extra"] = [{
                    "key": other_key, "type": "text", "text": dict(_SPECIFY_TEXT), "required": False, "weight": 0,
                    "show_if": {"question": key, "in" if multi else "equals": ["other"] if multi else "other"},
                }]
        elif lowered == "range":
            used.append("parameters")
            scale = self.range(line, cells)
            if scale is None:
                return None
            question.update(type="scale", min=scale[0], max=scale[1])
        elif lowered in _SIMPLE_TYPES:
            question["type"] = _SIMPLE_TYPES[lowered]
        else:
            if lowered == "calculate":
                reason = N_("not imported: calculations have no counterpart in a checklist")
            else:
                reason = N_("not imported: the type %(type)s has no counterpart in a checklist")
            self.note("survey", line, type_header, reason, type=kind)
            return None
        label = self.text(cells, "label", line)
        if label is None:
            if not any(t[0] == "label" for t in cells):
                self.note("survey", line, self.column("label"), N_("this row has no label"), True)
            elif not self.problems or self.problems[-1].line != line or not self.problems[-1].blocking:
                self.note("survey", line, self.column("label"), N_("this row has no English %(what)s"), True,
                          what=Message(N_("label")))
            return None
        question["text"] = label
        hint = self.text(cells, "hint", line)
        if hint:
            question["help"] = hint
        if question["type"] != "note":
            question["weight"] = 0
            question["required"] = self.required(line, cells)
        else:
            for tokens in (("bind", "required"),):
                if tokens in cells:
                    self.note("survey", line, cells[tokens][0], N_("a note cannot be required; not imported"))
        self.unused_cells(line, cells, tuple(used))
        return question

    def _list_had_rows(self, list_name: str) -> bool:
        sheet = self.book.sheets.get("choices")
        return sheet is not None and any(list_name in row.values() for _, row in sheet.rows)

    def range(self, line: int, cells: dict[tuple[str, ...], tuple[str, str]]) -> tuple[int, int] | None:
        from pyxform.errors import PyXFormError
        from pyxform.parsing.parameters import parse

        header, text = cells.get(("parameters",), ("parameters", ""))
        try:
            parameters = parse(text, line)
        except PyXFormError:
            self.note("survey", line, header, N_("not imported: the parameters %(value)s cannot be read"), value=text)
            return None
        try:
            start, end, step = (int(parameters.get(name, default))
                                for name, default in (("start", "1"), ("end", "10"), ("step", "1")))
        except ValueError:
            start = end = step = 0
        if step != 1 or not start < end or end - start > scoring.schema.SCALE_STEPS:
            self.note("survey", line, header, N_("not imported: a range becomes a scale of whole numbers from a "
                                                 "lower start to a higher end in steps of 1 (here %(value)s)"),
                      value=text or "start=1 end=10 step=1")
            return None
        return start, end

    def required(self, line: int, cells: dict[tuple[str, ...], tuple[str, str]]) -> bool:
        from pyxform import aliases

        if ("bind", "required") not in cells:
            return False  # XLSForm questions are optional unless they say otherwise
        header, value = cells[("bind", "required")]
        if value in aliases.yes_no:
            return aliases.yes_no[value]
        self.note("survey", line, header, N_("not imported: required only under a condition (%(value)s); the "
                                             "question is optional"), value=value)
        return False

    def unused_cells(self, line: int, cells: dict[tuple[str, ...], tuple[str, str]], used: tuple[str, ...]) -> None:
        for tokens, (header, value) in cells.items():
            if tokens[0] in used or ".".join(tokens[:2]) in used:
                continue
            if tokens[:2] == ("bind", "constraint"):
                message = N_("not imported: constraints (%(value)s) have no counterpart in a checklist")
            elif tokens[:2] == ("bind", "calculate"):
                message = N_("not imported: calculations have no counterpart in a checklist")
            else:
                message = N_("not imported: the column %(column)s is not used by Storecheck (%(value)s)")
            self.note("survey", line, header, message, column=header, value=value)

    # --- relevance

    def group_condition(self, group: _Group, cells: dict[tuple[str, ...], tuple[str, str]], line: int,
                        stack: list[_Group]) -> None:
        if ("bind", "relevant") not in cells:
            return
        header, expression = cells[("bind", "relevant")]
        outer = next((g for g in reversed(stack) if g.show_if is not None), None)
        show_if, reason = self.show_if(expression)
        if show_if is None:
            self.note("survey", line, header, reason or "", expression=expression)
        elif outer is not None:
            self.note("survey", line, header, N_("not imported: a condition inside a group that has one already "
                                                 "(line %(first)s)"), first=outer.relevant_line)
        else:
            group.show_if, group.relevant_line = show_if, line

    def apply_relevance(self, question: dict[str, Any], line: int, cells: dict[tuple[str, ...], tuple[str, str]],
                        stack: list[_Group]) -> None:
        inherited = next((g for g in reversed(stack) if g.show_if is not None), None)
        if ("bind", "relevant") in cells:
            header, expression = cells[("bind", "relevant")]
            show_if, reason = self.show_if(expression)
            if show_if is None:
                self.note("survey", line, header, reason or "", expression=expression)
            else:
                question["show_if"] = show_if
                if inherited is not None:
                    self.note("survey", line, header, N_("the condition of the group on line %(first)s is not "
                                                         "applied to this question, which has its own"),
                              first=inherited.relevant_line)
                return
        if inherited is not None and inherited.show_if is not None:
            question["show_if"] = dict(inherited.show_if)

    def show_if(self, expression: str) -> tuple[dict[str, Any] | None, str | None]:
        """A relevance expression as `show_if`, or None and why not."""
        terms = [term.strip() for term in re.split(r"\s+or\s+", expression.strip())]
        target: str | None = None
        values: list[str | int] = []
        for term in terms:
            match = _EQUALS.match(term) or _SELECTED.match(term)
            if not match:
                return None, N_("not imported: only conditions like ${x} = 'y' or selected(${x}, 'y') become "
                                "“show if” (this one is %(expression)s)")
            name = _as_key(match.group(1))
            if target is not None and name != target:
                return None, N_("not imported: a condition on several questions (%(expression)s)")
            target = name
            text, quoted, number = match.group(2), match.group(3), match.group(4)
            values.append(text if text is not None else quoted if quoted is not None else number)
        named = self.questions.get(target or "")
        if named is None:
            return None, N_("not imported: the condition %(expression)s names no earlier imported question")
        if named["type"] not in _SHOW_IF_TARGETS:
            return None, N_("not imported: a condition may only name a choice, yes/no or scale question "
                            "(%(expression)s)")
        if named["type"] in ("choice", "multi"):
            keys = {option["key"] for option in named["options"]}
            values = [str(v) for v in values]
            if any(v not in keys for v in values):
                return None, N_("not imported: the condition %(expression)s names an answer its question does "
                                "not have")
        elif named["type"] == "scale":
            try:
                values = [int(v) for v in values]
            except ValueError:
                return None, N_("not imported: the condition %(expression)s names an answer its question does "
                                "not have")
        if len(values) == 1:
            return {"question": target, "equals": values[0]}, None
        return {"question": target, "in": list(dict.fromkeys(values))}, None


def _as_key(name: str) -> str | None:
    """An XLSForm name as a checklist key: lower case, `-` and `.` as `_`; None when that is still not a key."""
    key = re.sub(r"[-.\s]+", "_", name.strip()).lower()
    return key if _KEY.fullmatch(key) else None


def _order(problem: XlsformProblem) -> tuple[int, str, int, str]:
    sheets = {"": 0, "settings": 1, "survey": 2, "choices": 3}
    return (sheets.get(problem.sheet.lower(), 4), problem.sheet, problem.line or 0, problem.column or "")
