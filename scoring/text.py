"""Translatable text in a checklist: English always, other languages optional (`Text`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import N_, PhraseError, phrase
from .values import describe

_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


class Text:
    """Translatable text: English always, other languages optional.

    Built from a plain string (English) or a mapping from language code to text with `en` required.
    `get(lang)` falls back from `pt-BR` to `pt` to English; `str(text)` is the English text. Immutable and
    hashable. Raises PhraseError, a ValueError in plain words, for empty text, a missing `en` or a malformed
    language code.
    """

    __slots__ = ("_items",)
    _items: tuple[tuple[str, str], ...]

    def __init__(self, value: str | Mapping[str, str] | Text) -> None:
        if isinstance(value, Text):
            items = value._items
        elif isinstance(value, str):
            items = (("en", _non_empty_text(value, "text")),)
        elif isinstance(value, Mapping):
            if "en" not in value:
                raise PhraseError(phrase(N_("translated text needs an English (`en`) version")))
            for lang in value:
                if not isinstance(lang, str) or not _LANGUAGE.fullmatch(lang):
                    raise PhraseError(phrase(N_("%(value)s is not a language code (like en, ja or pt-BR)"),
                                             value=describe(lang)))
            others = sorted((lang, _non_empty_text(value[lang], lang)) for lang in value if lang != "en")
            items = (("en", _non_empty_text(value["en"], "en")), *others)
        else:
            raise PhraseError(phrase(
                N_("expected text, or a mapping from language code to text (with `en`), got %(got)s"),
                got=describe(value)))
        object.__setattr__(self, "_items", items)

    def get(self, lang: str) -> str:
        """The text in `lang`, else in its base language (`pt` for `pt-BR`), else in English."""
        for code in (lang, lang.split("-", 1)[0]):
            for item_lang, text in self._items:
                if item_lang == code:
                    return text
        return self._items[0][1]

    @property
    def languages(self) -> tuple[str, ...]:
        """The language codes present, English first."""
        return tuple(lang for lang, _ in self._items)

    def as_data(self) -> str | dict[str, str]:
        """Plain data: a string when only English is present, else a {lang: text} mapping."""
        if len(self._items) == 1:
            return self._items[0][1]
        return dict(self._items)

    def __str__(self) -> str:
        return self._items[0][1]

    def __repr__(self) -> str:
        return f"Text({self.as_data()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Text):
            return self._items == other._items
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._items)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Text is immutable")

    def __reduce__(self) -> tuple[type[Text], tuple[str | dict[str, str]]]:
        return (Text, (self.as_data(),))


def _non_empty_text(value: object, lang: str) -> str:
    if not isinstance(value, str):
        raise PhraseError(phrase(N_("the `%(lang)s` text must be text, got %(got)s"), lang=lang, got=describe(value)))
    if not value.strip():
        raise PhraseError(phrase(N_("text must not be empty")) if lang == "text" else
                          phrase(N_("the `%(lang)s` text must not be empty"), lang=lang))
    return value
