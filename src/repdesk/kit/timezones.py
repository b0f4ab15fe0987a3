"""IANA time zone names (``Africa/Lagos``), checked against the zone database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from repdesk.kit.errors import ValidationError

DEFAULT_TIME_ZONE = "UTC"


def zone(name: str, *, field: str = "timeZone") -> ZoneInfo:
    """The zone named ``name``, or a ValidationError naming ``field``."""
    try:
        if not name or name != name.strip() or name.startswith("/") or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            f"{field}: {name!r} is not an IANA time zone name (for example Africa/Lagos)."
        ) from None


def checked(name: str, *, field: str = "timeZone") -> str:
    zone(name, field=field)
    return name


@lru_cache(maxsize=1)
def names() -> list[str]:
    """Every zone name, sorted (the dashboard's choices)."""
    return sorted(n for n in available_timezones() if "/" in n or n == "UTC")


def local_to_utc(day: date, at: time, name: str) -> datetime:
    """The UTC instant of a wall-clock ``day`` ``at`` in zone ``name`` (the earlier of two in a
    repeated hour; a time skipped by a DST change moves forward by the gap)."""
    local = datetime.combine(day, at).replace(tzinfo=zone(name))
    return local.astimezone(UTC)
