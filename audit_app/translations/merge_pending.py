"""Fold pending/*.json (English msgid -> Japanese) into the Japanese catalogue, then list what is untranslated.

Run after `make extract-messages`:  python audit_app/translations/merge_pending.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE / "ja" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    pending: dict[str, str] = {}
    for path in sorted((HERE / "pending").glob("*.json")):
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh, locale="ja")
    missing = []
    for message in catalogue:
        if not message.id:
            continue
        singular = message.id[0] if isinstance(message.id, tuple) else message.id
        if singular in pending:
            # Japanese has one plural form: the same text serves every count.
            text = pending[singular]
            message.string = (text,) * catalogue.num_plurals if isinstance(message.id, tuple) else text
            message.flags.discard("fuzzy")
        elif not message.string or "fuzzy" in message.flags or not all(message.string):
            missing.append(singular)
    with CATALOGUE.open("wb") as fh:
        write_po(fh, catalogue, width=100)
    for msgid in missing:
        print(f"untranslated: {msgid}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
