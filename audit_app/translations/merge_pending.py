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
        if not message.id or isinstance(message.id, tuple):
            continue
        if message.id in pending:
            message.string = pending[message.id]
            message.flags.discard("fuzzy")
        elif not message.string or "fuzzy" in message.flags:
            missing.append(message.id)
    with CATALOGUE.open("wb") as fh:
        write_po(fh, catalogue, width=100)
    for msgid in missing:
        print(f"untranslated: {msgid}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
