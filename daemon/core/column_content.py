"""Columns recognised by what their cells hold, where no header named them.

A header is one signal of what a column holds; its values are another. A
unit may head its status column with the whole title of the course, or in a
language no synonym covers: when most of a column's values are completion
words ("Completed", "Pending", "हाँ", "இல்லை", a tick, "100%") or dates, it
says who completed, whatever its header; when most are 10-digit mobile
numbers, it is the mobile column; when most hold an "@", the e-mail column.
Counting an officer completed because a status column went unread is the
worst mistake a report can carry upstream, so this is never skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from daemon.core import normalise
from daemon.core.models import CellValue, Field

CONTENT_SHARE = 0.6
"""A column is taken for a field when at least this share of its filled cells fit it."""

SAMPLE_ROWS = 2000
"""The values of at most this many rows below the header are looked at."""

# Dates that say nothing about the course: a column of them is no completion date.
_OTHER_DATES = re.compile(
    r"birth|\bdob\b|join|\bdoj\b|retire|superannuation|appointment|promotion|posting|transfer"
    r"|जन्म|कार्यग्रहण|नियुक्ति|பிறந்த|சேர்ந்த"
)


@dataclass
class _Tally:
    """What the filled cells of one column are."""

    filled: int = 0
    status: int = 0
    dates: int = 0
    mobiles: int = 0
    emails: int = 0


def _tally(value: CellValue, tally: _Tally) -> None:
    text = normalise.cell_text(value)
    if text is None:
        return
    tally.filled += 1
    if "@" in text:
        tally.emails += 1
    elif normalise.completion_status(value) is not None:
        tally.status += 1
    elif is_date(value):
        tally.dates += 1
    elif normalise.mobile(value).number is not None:
        tally.mobiles += 1


def is_date(value: CellValue) -> bool:
    """Whether a cell holds a date: a date value, or text written as one ("21.04.2023").

    A bare number is never taken for a date here: employee codes such as 45040
    are also Excel's serial numbers of dates.
    """
    if isinstance(value, dt.date):
        return True
    return isinstance(value, str) and normalise.completion_date(value).date is not None


def columns_by_content(
    rows: Iterable[tuple[CellValue, ...]],
    headers: Mapping[int, str],
    taken: Mapping[Field, int],
    open_to_content: frozenset[int] = frozenset(),
) -> dict[Field, tuple[int, str]]:
    """The fields found by content: field -> (column index, what its values showed).

    Only fields the header did not give (`taken`) are looked for, in columns
    no header claimed, and in `open_to_content` (a remarks column that holds
    nothing but statuses is the status column).
    """
    claimed = set(taken.values()) - open_to_content
    tallies: dict[int, _Tally] = {}
    rows_seen = 0
    for cells in rows:
        if rows_seen >= SAMPLE_ROWS:
            break
        rows_seen += any(v is not None for v in cells)
        for index, value in enumerate(cells):
            if index not in claimed and value is not None:
                _tally(value, tallies.setdefault(index, _Tally()))
    # A column with a header of its own is judged on what it holds, however sparse
    # (a status written only where the course was completed); one without, beside
    # the table, only when it is filled for most rows: a stray "TRUE" is no column.
    tallies = {
        index: tally
        for index, tally in tallies.items()
        if index in headers or 2 * tally.filled >= rows_seen
    }

    found: dict[Field, tuple[int, str]] = {}

    def best(field_name: Field, share: Callable[[int, _Tally], int], what: str) -> None:
        if field_name in taken:
            return
        used = {index for index, _ in found.values()}
        fitting = [
            (hits, index)
            for index, tally in tallies.items()
            if index not in used
            and (hits := share(index, tally))
            and hits >= CONTENT_SHARE * tally.filled
        ]
        if fitting:
            hits, index = max(fitting, key=lambda hit: (hit[0], -hit[1]))
            found[field_name] = (index, f"{hits} of {tallies[index].filled} values are {what}")

    def other_dates(index: int) -> bool:
        return bool(_OTHER_DATES.search(headers.get(index, "").lower()))

    best("email", lambda _, t: t.emails, "e-mail addresses")
    best("mobile", lambda _, t: t.mobiles, "mobile numbers")
    # Dates in a status column mean completed on that day: they count with the
    # words, in a column that holds words too.
    best("status", lambda _, t: t.status + t.dates if t.status else 0, "completion words or dates")
    if "status" not in found:
        best("completion_date", lambda i, t: 0 if other_dates(i) else t.dates, "dates")
    return found
