"""The Japanese catalogue: every message of the code and templates is translated, keeps its placeholders, and the
committed template (.pot) is what the code says today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "audit_app" / "translations"

# %(name)s, %s, %d, %.1f ..., %% and, as the last alternative, a lone % (which %-formatting rejects or misreads).
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]|%")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def read_catalogue(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.fixture(scope="module")
def japanese() -> Catalog:
    return read_catalogue(TRANSLATIONS / "ja" / "LC_MESSAGES" / "messages.po", "ja")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What the code and templates mark for translation today (the same command as `make extract-messages`; its
    `--ignore-dirs` keeps templates/_macros, which pybabel's default skips as it skips every `_` folder)."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    CommandLineInterface().run(["pybabel", "--quiet", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
                                "-k", "N_", "--ignore-dirs", ".* node_modules __pycache__", "-o", str(out),
                                str(ROOT)])
    return read_catalogue(out)


def msgids(catalogue: Catalog) -> set[str]:
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalogue if message.id}


def test_a_lone_percent_is_caught_as_a_placeholder() -> None:
    assert placeholders("訪問スコア（%）") == ["%"]
    assert placeholders("%(n)s of %%") == ["%%", "%(n)s"]
    assert placeholders("全角の（％）") == []


def test_every_japanese_translation_keeps_its_msgids_placeholders(japanese: Catalog) -> None:
    wrong = []
    for message in japanese:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = {tuple(placeholders(msgid)) for msgid in ids}
        wrong += [f"{ids[0]!r} -> {text!r}" for text in texts if text and tuple(placeholders(text)) not in allowed]
    assert not wrong, "placeholders differ from the msgid:\n" + "\n".join(wrong)


def test_every_message_of_the_code_and_templates_has_a_japanese_translation(
        japanese: Catalog, extracted: Catalog) -> None:
    translated = {}
    for message in japanese:
        if message.id and "fuzzy" not in message.flags:
            texts = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(texts):
                translated[message.id if isinstance(message.id, str) else message.id[0]] = texts
    missing = sorted(msgids(extracted) - set(translated))
    assert not missing, "no Japanese (or fuzzy) for:\n" + "\n".join(missing)


def test_the_committed_message_template_lists_what_the_code_marks_today(extracted: Catalog) -> None:
    committed = read_catalogue(TRANSLATIONS / "messages.pot")
    assert msgids(committed) == msgids(extracted), "run `make extract-messages` and commit messages.pot"


def test_services_leave_translation_to_the_web_edge() -> None:
    """Services mark their messages with N_ and never import Flask-Babel (nor translate with it)."""
    offenders = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "audit_app" / "services").rglob("*.py"))
                 if re.search(r"^\s*(from|import) flask_babel", path.read_text(encoding="utf-8"), re.MULTILINE)]
    assert offenders == []


def test_a_service_error_reads_in_english_and_in_japanese(app) -> None:  # type: ignore[no-untyped-def]
    from flask_babel import force_locale

    from audit_app.i18n import error_text
    from audit_app.services.errors import N_, ServiceError, message

    error = ServiceError([message(N_("that does not look like an e-mail address")),
                          message(N_("you cannot change your own role"))])
    assert str(error) == "That does not look like an e-mail address; you cannot change your own role."
    single = ServiceError(N_("The code %(code)s is already used."), code="A1")
    with app.test_request_context():
        with force_locale("ja"):
            assert error_text(error) == "メールアドレスの形式ではありません。自分自身の役割は変更できません。"
            assert error_text(single) == "コード A1 はすでに使われています。"
        with force_locale("en"):
            assert error_text(single) == "The code A1 is already used."


def test_every_problem_of_the_broken_checklist_examples_reads_in_japanese(app) -> None:  # type: ignore[no-untyped-def]
    import yaml
    from flask_babel import force_locale

    import scoring
    from audit_app.headoffice.problems import problem_text

    problems = []
    for path in sorted((ROOT / "tests" / "checklists" / "broken").glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue  # a YAML syntax error is a file problem, worded by the file loader for the command line
        if not isinstance(data, dict):
            continue
        try:
            scoring.parse_checklist(data)
        except scoring.ChecklistError as error:
            problems += error.problems
    assert len(problems) >= 10
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    with app.test_request_context(), force_locale("ja"):
        untranslated = [problem.message for problem in problems if not japanese.search(problem_text(problem))]
    assert untranslated == []
