"""Store time zones: timestamps are stored in UTC and shown in the zone of the store they happened at."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> timezone | ZoneInfo:
    """The zone of that name; UTC for none or an unknown name."""
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def local_time(value: datetime, name: str | None) -> datetime:
    """A UTC timestamp in the zone of that name (a store's `timezone`)."""
    return value.astimezone(zone(name))


def utc_offset(local: datetime) -> str:
    """The offset of a zoned time from UTC as people write it: "UTC", "UTC+9", "UTC+5:30", "UTC-4"."""
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
