"""The interface languages Storecheck is written in: a plain list that services and the web both read."""

from __future__ import annotations

LANGUAGES = {"en": "English", "ja": "日本語"}
