"""Checklists: load and validate the YAML library (database use cases follow below)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Checklist as ChecklistRecord
from audit_app.models import ChecklistVersion, User
from audit_app.services import audit, webhooks
from audit_app.services.definitions import checklist_titles_in
from audit_app.services.errors import ServiceError
from scoring import Checklist, ChecklistError, Problem, parse_checklist

# ---------------------------------------------------------------------------------------------------
# Checklist files: YAML on disk -> validated Checklist
# ---------------------------------------------------------------------------------------------------

YAML_SUFFIXES = (".yaml", ".yml")

# The problem path for the file as a whole (the schema uses "" for the top level too).
FILE_LEVEL = ""


class ChecklistFileError(ServiceError):
    """A checklist file that cannot be used: unreadable, not YAML, or rejected by the schema.

    `problems` lists every problem found (never just the first); `str()` gives one line per problem,
    `FILE: PATH: MESSAGE` (`FILE: MESSAGE` for the file as a whole), ready for the CLI or a head-office page.
    """

    def __init__(self, path: Path | str, problems: Iterable[Problem]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One `FILE: PATH: MESSAGE` line per problem, in the order found."""
        name = display_path(self.path)
        return [
            f"{name}: {problem.path}: {problem.message}" if problem.path else f"{name}: {problem.message}"
            for problem in self.problems
        ]


class ChecklistLibraryError(ServiceError):
    """A library folder with at least one bad file, or two files sharing a checklist key.

    `errors` holds one `ChecklistFileError` per bad file; `str()` gives all their lines.
    """

    def __init__(self, errors: Iterable[ChecklistFileError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """Every problem line of every bad file."""
        return [line for error in self.errors for line in error.lines()]


# A checklist is a few dozen kilobytes; the largest shipped one is well under 100 KB.
MAX_YAML_BYTES = 1024 * 1024
# Reading stops after this long (a file within the size limit reads in well under a second).
YAML_SECONDS = 5.0
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class YamlTextError(ServiceError):
    """YAML text that cannot be read: `str()` says why, naming the line and column where YAML knows them."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that rejects a mapping key written twice instead of keeping the last one.

    Plain `safe_load` would silently drop the first of two `text:` lines in a question; an author
    should hear about it. It also reads a date-like value as text (a checklist holds no dates, and
    `2026-13-01` would otherwise be an error without a line), refuses aliases (`*name`: a few of them
    nested expand to billions of values) and stops after YAML_SECONDS.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._deadline = time.monotonic() + YAML_SECONDS

    def _in_time(self, mark: Any) -> None:
        if time.monotonic() > self._deadline:
            raise yaml.composer.ComposerError(
                None, None, f"reading took longer than {YAML_SECONDS:g} seconds: simplify or split the file", mark)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (`*name`) are not supported: write the value out in full", event.start_mark)
        self._in_time(self.peek_event().start_mark)
        return super().compose_node(parent, index)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        self._in_time(node.start_mark)
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. `!!timestamp 2026-13-01`, `!!float x`
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value ({exc})", node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: let SafeLoader report it
                break
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"`{key}` is written twice in one mapping (first on line {first.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# An explicit `!!timestamp` tag is text too.
_UniqueKeyLoader.add_constructor(_TIMESTAMP, yaml.SafeLoader.construct_yaml_str)


def load_yaml_text(text: str) -> Any:
    """YAML text as plain data. Raises YamlTextError for text over MAX_YAML_BYTES, for text that takes
    longer than YAML_SECONDS to read, and for every YAML problem (with its line and column)."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_YAML_BYTES:
        raise YamlTextError(f"the file is {size / (1024 * 1024):.1f} MB; a checklist may be at most "
                            f"{MAX_YAML_BYTES // (1024 * 1024)} MB")
    try:
        # Checked: a SafeLoader subclass: builds no objects.
        return yaml.load(text, Loader=_UniqueKeyLoader)  # nosec B506
    except yaml.MarkedYAMLError as exc:
        raise YamlTextError(_yaml_problem(exc).message) from None
    except yaml.YAMLError as exc:
        raise YamlTextError(f"YAML error: {exc}") from None
    except RecursionError:
        # PyYAML composes recursively: a few hundred nested brackets exhaust the stack.
        raise YamlTextError("YAML error: nested too deeply") from None


def library_dir() -> Path:
    """The shipped library: the repository's `checklists/` folder, found relative to this package."""
    return Path(__file__).resolve().parents[2] / "checklists"


def library_paths(directory: Path | str | None = None) -> list[Path]:
    """The checklist files (`*.yaml`, `*.yml`) directly inside `directory`, sorted by name.

    `directory` defaults to `library_dir()`. Sub-folders are not searched.
    """
    folder = Path(directory) if directory is not None else library_dir()
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in YAML_SUFFIXES)


def display_path(path: Path | str) -> str:
    """How a file is named in problem lines: relative to the repository (or the working folder) when inside it."""
    path = Path(path)
    absolute = path.resolve()
    for base in (library_dir().parent, Path.cwd()):
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)


def read_checklist_data(path: Path | str) -> Any:
    """Read one file's YAML into plain data (the top level must be a mapping).

    Raises `ChecklistFileError` for an unreadable file, a YAML syntax error (naming the line and
    column YAML gives), a key written twice in one mapping, an empty file or a top level that is not
    a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ChecklistFileError(path, [Problem(FILE_LEVEL, f"not UTF-8 text: {exc.reason}")]) from exc
    except OSError as exc:
        raise ChecklistFileError(path, [Problem(FILE_LEVEL, f"cannot read the file: {exc.strerror}")]) from exc
    try:
        data = load_yaml_text(text)
    except YamlTextError as exc:
        raise ChecklistFileError(path, [Problem(FILE_LEVEL, str(exc))]) from None
    if data is None:
        raise ChecklistFileError(path, [Problem(FILE_LEVEL, "the file is empty: expected a checklist mapping")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        message = f"the top level must be a mapping (`key: value` lines), not {kind}"
        raise ChecklistFileError(path, [Problem(FILE_LEVEL, message)])
    return data


def _yaml_problem(exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = f" on line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    detail = exc.problem or exc.context or "not valid YAML"
    if exc.context and exc.problem and exc.context not in detail:
        detail = f"{exc.context}: {detail}"
    kind = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
    return Problem(FILE_LEVEL, f"{kind}{where}: {detail}")


def load_checklist_file(path: Path | str) -> Checklist:
    """Read and validate one checklist file.

    Raises `ChecklistFileError` with every problem of the file: the YAML ones (see
    `read_checklist_data`) or, when the YAML reads, every problem the schema finds.
    """
    data = read_checklist_data(path)
    try:
        return parse_checklist(data)
    except ChecklistError as exc:
        raise ChecklistFileError(path, exc.problems) from exc


def _load_all(paths: Iterable[Path | str]) -> tuple[dict[str, Checklist], list[ChecklistFileError]]:
    """Load every file, collecting errors instead of stopping at the first; flag repeated keys."""
    checklists: dict[str, Checklist] = {}
    first_path: dict[str, Path] = {}
    errors: list[ChecklistFileError] = []
    for path in paths:
        path = Path(path)
        try:
            checklist = load_checklist_file(path)
        except ChecklistFileError as exc:
            errors.append(exc)
            continue
        if checklist.key in first_path:
            message = f"checklist key `{checklist.key}` is already used by {display_path(first_path[checklist.key])}"
            errors.append(ChecklistFileError(path, [Problem("key", message)]))
            continue
        first_path[checklist.key] = path
        checklists[checklist.key] = checklist
    return checklists, errors


def load_library(directory: Path | str | None = None) -> dict[str, Checklist]:
    """Load every checklist file of a folder (default: the shipped library), keyed by checklist key.

    Raises `ChecklistLibraryError` listing every problem of every bad file, including a checklist
    key used by two files; nothing is returned unless the whole folder is valid.
    """
    checklists, errors = _load_all(library_paths(directory))
    if errors:
        raise ChecklistLibraryError(errors)
    return checklists


def validate_files(paths: Iterable[Path | str]) -> list[str]:
    """Check files without loading them anywhere: every `FILE: PATH: MESSAGE` line, empty when all are valid.

    Also reports a checklist key that an earlier file in `paths` already uses.
    """
    _, errors = _load_all(paths)
    return [line for error in errors for line in error.lines()]


# --- Checklists in the database --------------------------------------------------------------


class PublishError(ServiceError):
    pass


def retire_replaced_versions(session: Session, published: ChecklistVersion, *, now: datetime,
                             actor: User | None = None) -> list[ChecklistVersion]:
    """Retire every other published version of `published`'s checklist (inside the caller's transaction).

    One version of a checklist is published at a time: the one new visits use. Each version it replaces becomes
    retired (visits made with it keep it) and gets an audit entry naming the version that replaced it.
    """
    replaced = list(session.scalars(
        select(ChecklistVersion).where(ChecklistVersion.checklist_id == published.checklist_id,
                                       ChecklistVersion.status == "published", ChecklistVersion.id != published.id)
        .order_by(ChecklistVersion.number)
    ))
    for old in replaced:
        old.status = "retired"
        audit.record(session, actor=actor, action="checklist.retire", entity_type="checklist_version",
                     entity_id=old.id, now=now, before={"status": "published"},
                     after={"number": old.number, "status": "retired", "replaced_by": published.number},
                     detail=f"replaced by version {published.number}")
    return replaced


def publish_checklist(
    session: Session, checklist: scoring.Checklist, *, now: datetime, actor: User | None = None,
) -> ChecklistVersion:
    """Publish `checklist` as the next immutable version of its key (creating the checklist if new).

    Publishing a definition identical to the latest published version returns that version unchanged,
    so loading the shipped library twice creates nothing new.
    """
    definition = scoring.checklist_to_data(checklist)
    record = session.scalar(select(ChecklistRecord).where(ChecklistRecord.key == checklist.key))
    if record is None:
        record = ChecklistRecord(key=checklist.key, title=str(checklist.title), channel=checklist.channel,
                           allow_unassigned=False, created_at=now)
        session.add(record)
        session.flush()
    latest = session.scalar(
        select(ChecklistVersion).where(ChecklistVersion.checklist_id == record.id)
        .order_by(ChecklistVersion.number.desc()).limit(1)
    )
    if latest is not None and latest.status == "published" and latest.definition == definition:
        session.rollback()
        return latest
    version = ChecklistVersion(
        checklist_id=record.id,
        number=(latest.number + 1) if latest is not None else 1,
        definition=definition,
        status="published",
        created_at=now,
        published_at=now,
        published_by_id=actor.id if actor is not None else None,
    )
    record.title = str(checklist.title)
    record.channel = checklist.channel
    session.add(version)
    session.flush()
    audit.record(session, actor=actor, action="checklist.publish", entity_type="checklist_version",
                 entity_id=version.id, now=now, after={"key": checklist.key, "number": version.number})
    retire_replaced_versions(session, version, now=now, actor=actor)
    webhooks.emit(session, "checklist.published", resource_id=record.id, now=now, key=checklist.key,
                  version=version.number)
    session.commit()
    return version


@dataclass(frozen=True)
class ChecklistRow:
    id: int
    key: str
    title: str
    channel: str
    latest_number: int | None
    latest_status: str | None
    published_at: datetime | None
    versions: int


def published_checklist_ids(session: Session) -> set[int]:
    """The checklists with a published version: the ones a visit can be assigned or planned for."""
    return set(session.scalars(select(ChecklistVersion.checklist_id)
                               .where(ChecklistVersion.status == "published").distinct()))


def has_published_version(session: Session, checklist_id: int) -> bool:
    published = select(ChecklistVersion.id).where(ChecklistVersion.checklist_id == checklist_id,
                                                  ChecklistVersion.status == "published")
    return session.scalar(published.limit(1)) is not None


def assignable_checklists(session: Session, lang: str = "en", keep: int | None = None) -> list[ChecklistRow]:
    """`list_checklists` less those without a published version (a draft just imported cannot be visited yet),
    keeping `keep` (the one a plan or form already names) either way."""
    published = published_checklist_ids(session)
    return [row for row in list_checklists(session, lang) if row.id in published or row.id == keep]


def list_checklists(session: Session, lang: str = "en") -> list[ChecklistRow]:
    """Every checklist with its newest version's number and status, titled in `lang`."""
    newest = (
        select(ChecklistVersion.checklist_id, func.max(ChecklistVersion.number).label("number"),
               func.count().label("versions"))
        .group_by(ChecklistVersion.checklist_id).subquery()
    )
    q = (
        select(ChecklistRecord.id, ChecklistRecord.key, ChecklistRecord.title, ChecklistRecord.channel, ChecklistVersion.number,
               ChecklistVersion.status, ChecklistVersion.published_at, newest.c.versions)
        .outerjoin(newest, newest.c.checklist_id == ChecklistRecord.id)
        .outerjoin(ChecklistVersion, (ChecklistVersion.checklist_id == ChecklistRecord.id)
                   & (ChecklistVersion.number == newest.c.number))
        .order_by(ChecklistRecord.title)
    )
    titles = checklist_titles_in(session, lang)
    return [ChecklistRow(row[0], row[1], titles.get(row[0], row[2]), *row[3:7], versions=row[7] or 0)
            for row in session.execute(q)]
