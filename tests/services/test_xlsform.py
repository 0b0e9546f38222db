"""XLSForm import: forms the tests build (openpyxl, pyxform's CSV layout), each with the checklist it must become
or the problems it must list, line by line."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import func, select

import scoring
from audit_app.extensions import db
from audit_app.models import AuditLog, Checklist, ChecklistVersion
from audit_app.services import rubrics, xlsform
from tests.factories import NOW, World
from tests.xlsforms import YES_NO, csv_form, survey, xlsx


def _convert(sheets: dict[str, Any], filename: str = "store_visit.xlsx", **kw: Any) -> xlsform.Conversion:
    data = csv_form(sheets) if filename.endswith(".csv") else xlsx(sheets)
    return xlsform.convert_xlsform(data, filename, **kw)


def _problems(conversion: xlsform.Conversion) -> list[tuple[str, int | None, str | None, str, bool]]:
    return [(p.sheet, p.line, p.column, str(p.reason) if not isinstance(p.reason, scoring.Problem)
             else f"{p.reason.path}: {p.reason.message}", p.blocking) for p in conversion.problems]


def _expected(sections: list[dict[str, Any]], key: str = "store_visit", title: str = "store_visit") -> dict[str, Any]:
    return rubrics.validate({"key": key, "title": {"en": title}, "channel": "in_store", "scoring": "weighted_sections",
                             "grades": [{"min": 90, "label": {"en": "Excellent", "ja": "優秀"}},
                                        {"min": 75, "label": {"en": "Good", "ja": "良好"}},
                                        {"min": 0, "label": {"en": "Needs work", "ja": "要改善"}}],
                             "sections": sections})


def _q(key: str, qtype: str, en: str, ja: str | None = None, **extra: Any) -> dict[str, Any]:
    question = {"key": key, "type": qtype, "text": {"en": en, **({"ja": ja} if ja else {})}, **extra}
    if qtype != "note":
        question.setdefault("weight", 0)
        question.setdefault("required", False)
    return question


YN_EN_JA = [{"key": "yes", "text": {"en": "Yes", "ja": "はい"}}, {"key": "no", "text": {"en": "No", "ja": "いいえ"}}]


def test_every_mapped_type_becomes_its_checklist_question_in_sections_from_groups() -> None:
    conversion = _convert({
        "survey": survey(
            ["begin group", "arrival", "Arrival", "入店時", None, None],
            ["select_one yn", "greeted", "Were you greeted?", "挨拶されましたか？", "yes", None],
            ["select_multiple fix", "fixes", "What needed fixing?", "直すべき点は？", None, None],
            ["integer", "queue", "People in the queue", "列の人数", None, None],
            ["decimal", "price", "Price paid", "支払額", None, None],
            ["range", "csat", "Satisfaction", "満足度", "true", None],
            ["end group", None, None, None, None, None],
            ["begin_group", "evidence", "Evidence", "証拠", None, None],
            ["image", "receipt", "Receipt photo", "レシートの写真", None, None],
            ["date", "day", "Date of visit", "訪問日", None, None],
            ["time", "arrived", "Time of arrival", "到着時刻", None, None],
            ["text", "notes", "Anything else?", "その他", "no", None],
            ["note", "thanks", "Thank you", "ありがとう", None, None],
            ["end_group", None, None, None, None, None],
        ),
        "choices": [*YES_NO, ["fix", "floor", "Floor", "床"], ["fix", "lights", "Lights", "照明"]],
    })
    assert _problems(conversion) == []
    assert conversion.definition == _expected([
        {"key": "arrival", "title": {"en": "Arrival", "ja": "入店時"}, "weight": 1, "questions": [
            _q("greeted", "choice", "Were you greeted?", "挨拶されましたか？", required=True, options=YN_EN_JA),
            _q("fixes", "multi", "What needed fixing?", "直すべき点は？", options=[
                {"key": "floor", "text": {"en": "Floor", "ja": "床"}},
                {"key": "lights", "text": {"en": "Lights", "ja": "照明"}}]),
            _q("queue", "number", "People in the queue", "列の人数"),
            _q("price", "number", "Price paid", "支払額"),
            _q("csat", "scale", "Satisfaction", "満足度", required=True, min=1, max=10)]},
        {"key": "evidence", "title": {"en": "Evidence", "ja": "証拠"}, "weight": 1, "questions": [
            _q("receipt", "photo", "Receipt photo", "レシートの写真"),
            _q("day", "date", "Date of visit", "訪問日"),
            _q("arrived", "time", "Time of arrival", "到着時刻"),
            _q("notes", "text", "Anything else?", "その他"),
            _q("thanks", "note", "Thank you", "ありがとう")]},
    ])


def test_every_question_arrives_unscored() -> None:
    conversion = _convert({"survey": survey(["select_one yn", "greeted", "Greeted?", None, "yes", None],
                                            ["range", "csat", "Satisfaction", None, None, None]),
                           "choices": YES_NO})
    checklist = scoring.parse_checklist(conversion.definition)
    card = scoring.score(checklist, {"greeted": "yes", "csat": 7})
    assert all(q.weight == 0 for s in checklist.sections for q in s.questions)
    assert card.percent is None and all(r.possible == 0 for s in card.sections for r in s.questions)


def test_aliases_of_types_and_groups_are_read_as_pyxform_reads_them() -> None:
    conversion = _convert({
        "survey": survey(
            ["begin group", "visit", "Visit", None, None, None],
            ["select one from yn", "greeted", "Greeted?", None, None, None],
            ["select_one   yn   or_other", "how", "How?", None, None, None],
            ["select all that apply from yn", "both", "Both?", None, None, None],
            ["select_multiple yn or_other", "many", "Many?", None, None, None],
            ["end group", None, None, None, None, None],
        ),
        "choices": YES_NO,
    })
    assert _problems(conversion) == []
    questions = conversion.definition["sections"][0]["questions"]
    assert [(q["key"], q["type"]) for q in questions] == [
        ("greeted", "choice"), ("how", "choice"), ("how_other", "text"), ("both", "multi"), ("many", "multi"),
        ("many_other", "text")]
    assert [o["key"] for o in questions[1]["options"]] == ["yes", "no", "other"]
    assert questions[1]["options"][2]["text"] == {"en": "Other", "ja": "その他"}
    assert questions[2]["show_if"] == {"question": "how", "equals": "other"}
    assert questions[5]["show_if"] == {"question": "many", "in": ["other"]}


def test_upper_case_sheet_and_column_names_and_plain_language_codes_are_understood() -> None:
    conversion = _convert({
        "SURVEY": [["TYPE", "NAME", "LABEL::en", "Label::ja", "REQUIRED", "RELEVANT", "HINT::en"],
                   ["select_one yn", "greeted", "Greeted?", "挨拶？", "yes", None, "Within 30 seconds"],
                   ["text", "who", "Who greeted you?", "誰が？", None, "${greeted} = 'yes'", None]],
        "CHOICES": [["LIST_NAME", "NAME", "LABEL::en", "LABEL::ja"], ["yn", "yes", "Yes", "はい"],
                    ["yn", "no", "No", "いいえ"]],
        "SETTINGS": [["FORM_TITLE", "FORM_ID"], ["Spot check", "spot_check"]],
    })
    assert _problems(conversion) == []
    definition = conversion.definition
    assert (definition["key"], definition["title"]) == ("spot_check", "Spot check")
    greeted, who = definition["sections"][0]["questions"]
    assert greeted["text"] == {"en": "Greeted?", "ja": "挨拶？"} and greeted["required"] is True
    assert greeted["help"] == "Within 30 seconds"
    assert who["show_if"] == {"question": "greeted", "equals": "yes"}
    duplicate = _convert({"SURVEY": [["TYPE", "NAME", "LABEL"], ["text", "a", "A"], ["text", "a", "A again"]]})
    assert _problems(duplicate) == [("SURVEY", 3, "NAME", "the name a is used twice (also on line 2)", True)]


def test_simple_relevance_becomes_show_if_and_any_other_is_listed_with_its_line() -> None:
    conversion = _convert({
        "survey": survey(
            ["select_multiple fix", "fixes", "Fixes?", None, None, None],
            ["select_one yn", "greeted", "Greeted?", None, None, None],
            ["text", "a", "A", None, None, "selected(${fixes}, 'floor')"],
            ["text", "b", "B", None, None, '${greeted}="no"'],
            ["text", "c", "C", None, None, "selected(${fixes},'floor') or selected(${fixes},'lights')"],
            ["integer", "n", "N", None, None, None],
            ["text", "d", "D", None, None, "${n} > 3"],
            ["text", "e", "E", None, None, "${greeted} = 'yes' and ${fixes} = 'floor'"],
            ["text", "f", "F", None, None, "${greeted} = 'maybe'"],
            ["text", "g", "G", None, None, "${n} = 2"],
        ),
        "choices": [*YES_NO, ["fix", "floor", "Floor", None], ["fix", "lights", "Lights", None]],
    })
    questions = {q["key"]: q for q in conversion.definition["sections"][0]["questions"]}
    assert questions["a"]["show_if"] == {"question": "fixes", "equals": "floor"}
    assert questions["b"]["show_if"] == {"question": "greeted", "equals": "no"}
    assert questions["c"]["show_if"] == {"question": "fixes", "in": ["floor", "lights"]}
    assert all("show_if" not in questions[k] for k in "defg")
    assert _problems(conversion) == [
        ("survey", 8, "relevant", "not imported: only conditions like ${x} = 'y' or selected(${x}, 'y') become "
                                  "“show if” (this one is ${n} > 3)", False),
        ("survey", 9, "relevant", "not imported: only conditions like ${x} = 'y' or selected(${x}, 'y') become "
                                  "“show if” (this one is ${greeted} = 'yes' and ${fixes} = 'floor')", False),
        ("survey", 10, "relevant", "not imported: the condition ${greeted} = 'maybe' names an answer its question "
                                   "does not have", False),
        ("survey", 11, "relevant", "not imported: a condition may only name a choice, yes/no or scale question "
                                   "(${n} = 2)", False),
    ]


def test_calculations_repeats_constraints_and_unsupported_types_are_listed_row_by_row() -> None:
    header = [*survey()[0], "constraint", "calculation", "appearance"]
    conversion = _convert({
        "survey": survey(
            ["integer", "wait", "Wait (seconds)", None, None, None, ". < 3600", None, None],
            ["calculate", "minutes", None, None, None, None, None, "${wait} div 60", None],
            ["begin repeat", "staff", "Staff members", None, None, None, None, None, None],
            ["text", "staff_name", "Name", None, None, None, None, None, None],
            ["end repeat", None, None, None, None, None, None, None, None],
            ["geopoint", "where", "Where?", None, None, None, None, None, None],
            ["text", "who", "Who?", None, None, None, None, None, "multiline"],
            ["audio", "voice", "Voice note", None, None, None, None, None, None],
            header=header,
        ),
    })
    assert [(q["key"]) for q in conversion.definition["sections"][0]["questions"]] == ["wait", "who"]
    assert _problems(conversion) == [
        ("survey", 2, "constraint", "not imported: constraints (. < 3600) have no counterpart in a checklist", False),
        ("survey", 3, "type", "not imported: calculations have no counterpart in a checklist", False),
        ("survey", 4, "type", "not imported: repeats have no counterpart in a checklist (the rows inside it are "
                              "not imported either)", False),
        ("survey", 5, "type", "not imported: it is inside a repeat", False),
        ("survey", 7, "type", "not imported: the type geopoint has no counterpart in a checklist", False),
        ("survey", 8, "appearance", "not imported: the column appearance is not used by Storecheck (multiline)",
         False),
        ("survey", 9, "type", "not imported: the type audio has no counterpart in a checklist", False),
    ]


def test_a_settings_sheet_names_and_titles_the_checklist_and_sets_the_default_language() -> None:
    conversion = _convert({
        "survey": [["type", "name", "label", "label::English (en)"], ["text", "who", "誰が？", "Who?"]],
        "settings": [["form_title", "form_id", "version", "default_language"],
                     ["Returns check", "Returns-Check", "2026110101", "Japanese (ja)"]],
    })
    assert conversion.definition["key"] == "returns_check"
    assert conversion.definition["title"] == "Returns check"
    assert conversion.definition["sections"][0]["questions"][0]["text"] == {"en": "Who?", "ja": "誰が？"}
    assert _problems(conversion) == [("settings", 2, "version", "the setting version is not used by Storecheck",
                                      False)]


def test_a_key_given_with_the_upload_wins_over_the_form_id_and_the_file_name_is_the_fallback() -> None:
    sheets = {"survey": survey(["text", "who", "Who?", None, None, None])}
    assert _convert(sheets, "Shop visit 2026.xlsx").definition["key"] == "shop_visit_2026"
    assert _convert(sheets, "Shop visit 2026.xlsx").definition["title"] == "Shop visit 2026"
    assert _convert({**sheets, "settings": [["form_id"], ["f1"]]}, key="my_check").definition["key"] == "my_check"
    assert _problems(_convert(sheets, key="My Check")) == [
        ("", None, None, "My Check cannot be a checklist key: use letters, digits and _, starting with a letter", True)]
    rejected = _convert(sheets, "2026.xlsx")
    assert rejected.definition is None
    assert _problems(rejected) == [("", None, None, "2026 cannot be a checklist key: use letters, digits and _, "
                                                   "starting with a letter", True)]


def test_stray_sheets_are_listed_and_not_read() -> None:
    conversion = _convert({"survey": survey(["text", "who", "Who?", None, None, None]),
                           "Notes for translators": [["anything"], ["at all"]],
                           "external_choices": [["list_name", "name"], ["city", "tokyo"]]})
    assert conversion.definition is not None
    assert _problems(conversion) == [
        ("Notes for translators", None, None, "the sheet Notes for translators is not part of an XLSForm and was "
                                              "not read", False),
        ("external_choices", None, None, "the sheet external_choices is not imported (Storecheck has no choices "
                                         "from outside files)", False),
    ]


def test_duplicate_names_block_the_import_and_name_both_lines() -> None:
    conversion = _convert({
        "survey": survey(["begin group", "greeting", "Greeting", None, None, None],
                         ["text", "greeting", "Greeting words", None, None, None],
                         ["text", "who", "Who?", None, None, None],
                         ["end group", None, None, None, None, None],
                         ["text", "Who", "Who again?", None, None, None]),
        "choices": [*YES_NO, ["yn", "yes", "Yes again", None]],
    })
    assert conversion.definition is None
    assert _problems(conversion) == [
        ("survey", 3, "name", "the name greeting is used twice (also on line 2)", True),
        ("survey", 6, "name", "the name Who is used twice (also on line 4)", True),
        ("choices", 2, "list_name", "the choice list yn is not used by any question", False),
        ("choices", 4, "name", "the choice yes is in the list yn twice (also on line 2)", True),
    ]


def test_an_empty_or_missing_choice_list_blocks_the_import() -> None:
    questions = survey(["select_one empty", "a", "A?", None, None, None], ["text", "c", "C?", None, None, None])
    empty_sheet = _convert({"survey": questions, "choices": [["list_name", "name", "label"]]})
    assert empty_sheet.definition is None
    assert _problems(empty_sheet) == [
        ("survey", 2, "type", "the choice list empty has no choices: the choices sheet is empty or missing", True)]
    other_lists = _convert({"survey": questions, "choices": YES_NO})
    assert _problems(other_lists) == [
        ("survey", 2, "type", "the choice list empty is not on the choices sheet", True),
        ("choices", 2, "list_name", "the choice list yn is not used by any question", False)]
    nameless = _convert({"survey": questions, "choices": [*YES_NO, ["empty", None, "Nothing"]]})
    assert _problems(nameless) == [
        ("survey", 2, "type", "the choice list empty has no choices", True),
        ("choices", 2, "list_name", "the choice list yn is not used by any question", False),
        ("choices", 4, "name", "this choice has no name", True)]


def test_groups_that_do_not_close_or_close_twice_block_the_import() -> None:
    conversion = _convert({"survey": survey(["begin group", "g", "G", None, None, None],
                                            ["text", "a", "A", None, None, None],
                                            ["end group", None, None, None, None, None],
                                            ["end group", None, None, None, None, None],
                                            ["begin group", "h", "H", None, None, None],
                                            ["text", "b", "B", None, None, None])})
    assert conversion.definition is None
    assert _problems(conversion) == [
        ("survey", 5, "type", "end group has no matching begin", True),
        ("survey", 6, "type", "begin group h is never ended", True),
    ]


def test_a_question_without_an_english_label_blocks_the_import_and_other_languages_are_listed() -> None:
    conversion = _convert({"survey": [["type", "name", "label::Japanese (ja)", "label::French (fr)"],
                                      ["text", "who", "誰？", "Qui ?"]]})
    assert conversion.definition is None
    assert _problems(conversion) == [
        ("survey", 2, "label::French (fr)", "not imported: only English and Japanese text is read", False),
        ("survey", 2, "label::Japanese (ja)", "this row has no English label", True),
    ]


def test_a_hint_without_english_is_left_out_and_the_question_still_comes() -> None:
    conversion = _convert({"survey": [["type", "name", "label::English (en)", "hint::Japanese (ja)"],
                                      ["text", "who", "Who?", "名札を見てください"]]})
    assert conversion.definition["sections"][0]["questions"][0]["text"] == "Who?"
    assert "help" not in conversion.definition["sections"][0]["questions"][0]
    assert _problems(conversion) == [("survey", 2, "hint::Japanese (ja)", "not imported: this hint has no English text",
                                      False)]


def test_a_csv_xlsform_reads_like_the_workbook_and_problems_name_the_lines_of_the_file() -> None:
    sheets = {"survey": survey(["select_one yn", "greeted", "Greeted?", "挨拶？", "yes", None],
                               ["calculate", "x", None, None, None, None]),
              "choices": YES_NO}
    from_csv = _convert(sheets, "visit.csv")
    from_xlsx = _convert(sheets, "visit.xlsx")
    assert from_csv.definition == from_xlsx.definition
    # The CSV layout: line 1 names the sheet, line 2 holds the headers, the rows follow.
    assert _problems(from_csv) == [("survey", 4, "type", "not imported: calculations have no counterpart in a "
                                                         "checklist", False)]
    text = csv_form(sheets).decode().replace("\r\n", "\r\n\r\n", 1)  # a blank line after the sheet's name
    moved = xlsform.convert_xlsform(("\ufeff" + text).encode(), "visit.csv")
    assert moved.definition == from_xlsx.definition
    assert [p.line for p in moved.problems] == [5]


def test_a_group_inside_a_group_joins_the_outer_section_and_a_group_condition_reaches_its_questions() -> None:
    conversion = _convert({
        "survey": survey(["select_one yn", "used_chat", "Did you use the chat?", None, None, None],
                         ["begin group", "chat", "Chat", None, None, "${used_chat} = 'yes'"],
                         ["text", "agent", "Agent's name", None, None, None],
                         ["begin group", "inner", "Details", None, None, None],
                         ["select_one yn", "solved", "Solved?", None, None, "${used_chat}='yes'"],
                         ["end group", None, None, None, None, None],
                         ["end group", None, None, None, None, None]),
        "choices": YES_NO,
    })
    general, chat = conversion.definition["sections"]
    assert (general["key"], general["title"]) == ("general", {"en": "General", "ja": "全般"})
    assert [(q["key"], q.get("show_if")) for q in chat["questions"]] == [
        ("agent", {"question": "used_chat", "equals": "yes"}), ("solved", {"question": "used_chat", "equals": "yes"})]
    assert _problems(conversion) == [
        ("survey", 5, "type", "a group inside a group: its questions join the section of the outer group (sections "
                              "do not nest)", False),
        ("survey", 6, "relevant", "the condition of the group on line 3 is not applied to this question, which has "
                                  "its own", False),
    ]


def _zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(("filename", "data", "reason"), [
    ("form.txt", b"survey,,\n", "only .xlsx, .xls and .csv files can be imported (this one is .txt)"),
    ("form.xlsx", b"not a zip", "the file is not an Excel (.xlsx) workbook"),
    ("form.xls", b"PK\x03\x04 a zip", "the file is not an Excel 97–2003 (.xls) workbook"),
    ("form.csv", "survey,type,name\n,text,a\n".encode("utf-16"), "a .csv file must be saved as UTF-8 text"),
    ("form.csv", b"", "the file is empty"),
    ("form.xlsx", b"x" * (xlsform.MAX_XLSFORM_BYTES + 1), "the file is 2.0 MB; an XLSForm may be at most 2 MB"),
    ("form.xlsx", b"PK\x03\x04" + b"\x00" * 40, "the file is not an Excel (.xlsx) workbook"),
    ("notes.xlsx", _zip_of({"word/document.xml": b"<w/>"}), "the file could not be read as .xlsx"),
    ("form.csv", b"just one line of text", "the file could not be read as .csv"),
])
def test_files_of_the_wrong_type_or_size_are_refused_before_they_are_read(filename: str, data: bytes,
                                                                          reason: str) -> None:
    conversion = xlsform.convert_xlsform(data, filename)
    assert conversion.definition is None
    assert _problems(conversion) == [("", None, None, reason, True)]


def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused_before_it_is_read() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * (xlsform.MAX_UNPACKED_BYTES + 1))
    assert len(out.getvalue()) < xlsform.MAX_XLSFORM_BYTES
    conversion = xlsform.convert_xlsform(out.getvalue(), "bomb.xlsx")
    assert _problems(conversion) == [("", None, None, "the workbook unpacks to 20 MB; at most 20 MB can be read",
                                      True)]


def test_more_survey_rows_than_the_limit_are_refused() -> None:
    rows = [["text", f"q{i}", f"Question {i}", None, None, None] for i in range(xlsform.MAX_SURVEY_ROWS + 1)]
    conversion = _convert({"survey": survey(*rows)})
    assert conversion.definition is None and "at most 2,000 survey rows" in str(conversion.problems[0].reason)


# --- storing the draft ------------------------------------------------------------------------------------------


def test_importing_stores_a_draft_of_a_new_checklist_and_logs_where_it_came_from(world: World) -> None:
    data = xlsx({"survey": survey(["select_one yn", "greeted", "Greeted?", None, "yes", None],
                                  ["calculate", "x", None, None, None, None]),
                 "choices": YES_NO, "settings": [["form_title", "form_id"], ["Spot check", "spot_check"]]})
    result = xlsform.import_xlsform(db.session, world.head, data, "spot.xlsx", now=NOW, channel="online")
    assert (result.version.checklist_key, result.version.number, result.version.status) == ("spot_check", 1, "draft")
    stored = db.session.get(ChecklistVersion, result.version.id)
    assert stored.definition == result.definition and stored.definition["channel"] == "online"
    assert [p.line for p in result.skipped] == [3] and (result.sections, result.questions) == (1, 1)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checklist.import"))
    assert entry.actor_id == world.head.id
    assert entry.after == {"key": "spot_check", "number": 1, "source": "xlsform", "file": "spot.xlsx"}


def test_a_dry_run_stores_nothing_and_a_known_key_becomes_that_checklists_next_draft(world: World) -> None:
    data = xlsx({"survey": survey(["text", "who", "Who?", None, None, None])})
    dry = xlsform.import_xlsform(db.session, world.head, data, "visit.xlsx", now=NOW, dry_run=True)
    assert dry.version is None and db.session.scalar(select(func.count()).select_from(Checklist)) == 0
    first = xlsform.import_xlsform(db.session, world.head, data, "visit.xlsx", now=NOW).version
    rubrics.publish_draft(db.session, world.head, first.id, now=NOW)
    second = xlsform.import_xlsform(db.session, world.head, data, "visit.xlsx", now=NOW).version
    assert (second.checklist_id, second.number, second.status) == (first.checklist_id, 2, "draft")
    with pytest.raises(rubrics.RubricError):
        xlsform.import_xlsform(db.session, world.head, data, "visit.xlsx", now=NOW)


def test_a_rejected_file_stores_nothing_and_lists_every_problem(world: World) -> None:
    data = xlsx({"survey": survey(["select_one nowhere", "a", "A?", None, None, None],
                                  ["calculate", "x", None, None, None, None])})
    with pytest.raises(xlsform.XlsformRejectedError) as caught:
        xlsform.import_xlsform(db.session, world.head, data, "bad.xlsx", now=NOW)
    assert [(p.line, p.blocking) for p in caught.value.problems] == [(2, True), (3, False)]
    assert str(caught.value) == "bad.xlsx was not imported: 1 problem(s) to fix."
    assert db.session.scalar(select(func.count()).select_from(ChecklistVersion)) == 0
