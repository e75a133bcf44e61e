"""Office time: dates and times as the office reads them, in the zone's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from daemon.core.clock import day, local_day, moment, moment_or, stamp

IST = ZoneInfo("Asia/Kolkata")


def test_a_moment_is_written_in_the_zones_time() -> None:
    evening_utc = datetime(2023, 4, 20, 19, 0, tzinfo=UTC)  # 00:30 on the 21st in India
    assert moment(evening_utc, IST) == "21.04.2023 00:30"
    assert day(evening_utc, IST) == "21.04.2023"
    assert local_day(evening_utc, IST) == date(2023, 4, 21)
    assert stamp(evening_utc, IST) == "2023-04-21T00:30:00+05:30"


def test_a_date_is_written_as_the_office_writes_it() -> None:
    assert day(date(2023, 4, 5)) == "05.04.2023"
    assert moment_or(None, IST, "not yet") == "not yet"
    assert stamp(None, IST) is None


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_every_form_of_a_moment_names_the_same_day(naive: datetime) -> None:
    """The date in `moment`, `day` and `stamp` is always the zone's calendar day."""
    at = naive.replace(tzinfo=UTC)
    written = local_day(at, IST).strftime("%d.%m.%Y")
    assert day(at, IST) == written
    assert moment(at, IST).split()[0] == written
    parsed = datetime.fromisoformat(stamp(at, IST) or "")
    assert parsed.utcoffset() == timedelta(hours=5, minutes=30)
    assert abs(parsed - at) < timedelta(seconds=1)
