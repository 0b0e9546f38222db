"""Errors raised by the scoring package.

Both carry plain-English messages meant to be shown to a person (a head-office user editing a rubric, or a
shopper whose answer was rejected), not only to a developer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a checklist definition.

    `path` points inside the definition in the form `sections[3].questions[2].bands` (empty for the top level);
    `message` says what is wrong in words a head-office user understands.
    """

    path: str
    message: str

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
