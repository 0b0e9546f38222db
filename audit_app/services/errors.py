"""Errors shared by the services; each service module adds its own named ones.

A service never translates: it raises with an English message marked by `N_` (so the catalogue picks it up)
and its parameters, and the web edge translates it into the reader's language (`audit_app.i18n.error_text`).
Several problems at once travel as a list of `Message`s (phrases), each translated on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence


def N_(message: str) -> str:  # noqa: N802  (the conventional name of the gettext no-op marker)
    """Marks an English message for the translation catalogue; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Message:
    """One translatable sentence: an English message id (marked with `N_`) and the values of its `%(name)s`
    placeholders. `str()` gives the English text; `audit_app.i18n.message_text` the reader's language."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return english(self.id, self.params)


@dataclass(frozen=True)
class Listing:
    """Several values one after another ("a; b; c"), as one parameter of a Message; each part may be a Message."""

    parts: tuple[Any, ...]

    def __str__(self) -> str:
        return "; ".join(english_value(part) for part in self.parts)


def english_value(value: Any) -> Any:
    """A parameter's English: Messages and Listings written out, checklist text ({"en": ..., "ja": ...}) in English."""
    if isinstance(value, (Message, Listing)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return english(value)
    if isinstance(value, Mapping):
        return str(value.get("en", ""))
    return value


def english(message: str | Message | Sequence[Message], params: Mapping[str, Any] | None = None) -> str:
    """The English text of a message id with its parameters, a Message, or several Messages (one after another)."""
    if isinstance(message, Message):
        return english(message.id, message.params)
    if isinstance(message, (list, tuple)):
        return as_sentence("; ".join(str(part) for part in message))
    message = str(message)
    if not params:
        return message
    return message % {k: english_value(v) for k, v in params.items()}


def as_sentence(phrase: object) -> str:
    """A lower-case English phrase (or several joined by "; ", or a Message) as a sentence of its own."""
    phrase = str(phrase)
    return phrase[:1].upper() + phrase[1:] + ("." if phrase[-1:].isascii() and phrase[-1:].isalnum() else "")


def message(text: str, /, **params: Any) -> Message:
    """A Message; write `message(N_("..."), x=...)` so the catalogue picks the text up."""
    return Message(text, params)


class ServiceError(Exception):
    """A use case refused. `message` is an English message id (marked with `N_`) and `params` fill its
    `%(name)s` placeholders, or a list of Messages (lower-case phrases, shown as one sentence) when there are
    several problems; `str(error)` is the English
    text, `error_text(error)` the reader's language."""

    def __init__(self, message: str | Message | Sequence[Message] = "", /, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return english(self.message, self.params)


class NotFoundError(ServiceError):
    pass


class PermissionDeniedError(ServiceError):
    pass


# A visit's status as a word inside a sentence ("A visit that is %(status)s cannot be approved.").
VISIT_STATUSES = {
    "draft": Message(N_("a draft")), "submitted": Message(N_("submitted")), "approved": Message(N_("approved")),
    "returned": Message(N_("returned to the shopper")), "voided": Message(N_("voided")),
}
