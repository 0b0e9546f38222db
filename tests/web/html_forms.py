"""Read a rendered page's forms the way a browser submits them, so a test posts exactly what the page sends
(every field in document order, a field repeated as often as the page repeats it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    # Checkboxes and radios: (name, value, checked); only checked ones are sent.
    choices: list[tuple[str, str, bool]] = field(default_factory=list)
    _text: list[str] = field(default_factory=list)

    def data(self, **changes: str | list[str]) -> MultiDict[str, str]:
        """The fields the browser sends, with `changes` replacing (or adding) some by name."""
        sent = [(n, v) for n, v in self.fields if n not in changes]
        sent += [(n, v) for n, v, checked in self.choices if checked and n not in changes]
        for name, value in changes.items():
            sent += [(name, v) for v in (value if isinstance(value, list) else [value])]
        return MultiDict(sent)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: str | None = None
        self._selected: list[str] = []
        self._first_option: str | None = None
        self._multiple = False
        self._textarea: str | None = None
        self._button = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = HtmlForm(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        if tag == "input" and "name" in a and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                form.choices.append((a["name"], a.get("value", "on"), "checked" in a))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and "name" in a:
            self._select, self._selected, self._first_option = a["name"], [], None
            self._multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._selected.append(a.get("value", ""))
        elif tag == "textarea" and "name" in a:
            self._textarea = a["name"]
            form.fields.append((a["name"], ""))
        elif tag == "button":
            self._button = True
            form.buttons.append("")

    def handle_data(self, data: str) -> None:
        if self._form is None:
            return
        if self._textarea is not None:
            name, value = self._form.fields[-1]
            self._form.fields[-1] = (name, value + data)
        elif self._button:
            self._form.buttons[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            chosen = self._selected or ([] if self._multiple or self._first_option is None else [self._first_option])
            self._form.fields += [(self._select, v) for v in chosen]
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button":
            self._button = False


def forms_of(html: str) -> list[HtmlForm]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def form_with_button(html: str, label: str) -> HtmlForm:
    """The one form of the page whose submit button reads `label`."""
    found = [f for f in forms_of(html) if any(label in b.strip() for b in f.buttons)]
    assert len(found) == 1, f"{len(found)} forms with a button {label!r}"
    return found[0]
