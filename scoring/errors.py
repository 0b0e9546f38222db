"""Errors raised by the scoring package, and the phrases (message id and parameters) that word them.

Both carry plain-English messages meant to be shown to a person (a head-office user editing a rubric, or a
shopper whose answer was rejected), not only to a developer. A checklist problem also carries its message id
(the English template, marked with `N_` for the translation catalogue) and the values of its placeholders, so
whoever shows it can say it in another language without reading the English back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


def N_(message: str) -> str:  # noqa: N802  (the conventional name of the gettext no-op marker)
    """Marks an English message id for the translation catalogue; scoring itself never translates."""
    return message


class Word(str):
    """A placeholder value that is itself a translatable word or phrase (an English message id, like "a list");
    in English it is just the text."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Phrase:
    """A message id (an English template with `%(name)s` placeholders) and the text of each placeholder."""

    id: str
    params: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.id % dict(self.params) if self.params else self.id


def phrase(message_id: str, /, **params: object) -> Phrase:
    """A Phrase; write `phrase(N_("..."), x=...)` so the catalogue picks the id up. Values become text (a Word
    stays a Word)."""
    return Phrase(message_id, {name: value if isinstance(value, str) else str(value) for name, value in params.items()})


class PhraseError(ValueError):
    """A ValueError worded by a Phrase: `str()` is the English, `.phrase` the id and parameters."""

    def __init__(self, worded: Phrase) -> None:
        super().__init__(str(worded))
        self.phrase = worded

    def __reduce__(self) -> tuple[type[PhraseError], tuple[Phrase]]:
        return (type(self), (self.phrase,))


def problem_path(loc: Sequence[str | int]) -> str:
    """A place inside a checklist written as `sections[3].questions[2].bands` (empty for the top level)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a checklist definition.

    `path` points inside the definition in the form `sections[3].questions[2].bands` (empty for the top level);
    `message` says what is wrong in words a head-office user understands (English). `id` is the message id
    that `message` was made from and `params` the text of its placeholders (a `Word` among them is itself
    translatable); a Problem made from plain text is its own id. Two problems are equal when their path and
    English message are.
    """

    path: str
    message: str
    id: str = field(default="", compare=False)
    params: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", self.message)

    @classmethod
    def worded(cls, path: str, worded: Phrase) -> Problem:
        """The problem at `path` that `worded` says."""
        return cls(path, str(worded), worded.id, dict(worded.params))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ChecklistError(ValueError):
    """A checklist definition is invalid; `.problems` lists every problem found, in document order."""

    problems: list[Problem]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self) -> tuple[type[ChecklistError], tuple[list[Problem]]]:
        return (type(self), (self.problems,))


class AnswerError(ValueError):
    """An answer cannot be scored: `.question_key` names the question, `.message` says why in plain words."""

    question_key: str
    message: str

    def __init__(self, question_key: str, message: str) -> None:
        self.question_key = question_key
        self.message = message
        super().__init__(f"{question_key}: {message}")

    def __reduce__(self) -> tuple[type[AnswerError], tuple[str, str]]:
        # Exceptions pickle their args by default; these are the constructor's, so task queues can carry them.
        return (type(self), (self.question_key, self.message))
