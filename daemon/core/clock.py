"""Office time: every date and time a person reads, written one way.

Mails, digests, workbooks, `status` and `health` show dates as the office
writes them (21.04.2023) and times in the zone's own time zone (21.04.2023
17:30); `status --json` gives ISO 8601 to the second, with the zone's offset.
The zone is always passed in: nothing here reads a clock.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def day(value: date | datetime, tz: ZoneInfo | None = None) -> str:
    """A date ("21.04.2023"); a moment's date in the zone `tz` (as stored, without one)."""
    if isinstance(value, datetime) and tz is not None:
        value = value.astimezone(tz)
    return value.strftime("%d.%m.%Y")


def moment(value: datetime, tz: ZoneInfo) -> str:
    """A moment in the zone's time, to the minute: "21.04.2023 17:30"."""
    return value.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def moment_or(value: datetime | None, tz: ZoneInfo, missing: str) -> str:
    """As `moment`, with `missing` written where there is no moment."""
    return missing if value is None else moment(value, tz)


def stamp(value: datetime | None, tz: ZoneInfo) -> str | None:
    """A moment for machines: ISO 8601 to the second, with the zone's offset."""
    return value.astimezone(tz).isoformat(timespec="seconds") if value else None


def local_day(value: datetime, tz: ZoneInfo) -> date:
    """The zone's calendar day at a moment (a deadline is a day in the office's time)."""
    return value.astimezone(tz).date()
