"""Columns recognised by what their cells hold, where no known header named them.

A header is one signal of what a column holds; its values are another. A
unit may head its status column with the whole title of the course, or in a
language no synonym covers: when most of a column's values are completion
words ("Completed", "Pending", "हाँ", "இல்லை", a tick, "100%") or dates, it
says who completed, whatever its header; when most are 10-digit mobile
numbers, it is the mobile column; when most hold an "@", the e-mail column.
Where the values do not decide, a header that speaks of completing or names
the course still makes the status column: every value in it that is not a
known completion word is then a problem, and no officer counts on it.
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
    course_words: frozenset[str] = frozenset(),
) -> dict[Field, tuple[int, str]]:
    """The fields found by content: field -> (column index, what its values showed).

    Only fields the header did not give (`taken`) are looked for, in columns
    no header claimed, and in `open_to_content` (a remarks column that holds
    nothing but statuses is the status column). Where the values name no
    status column, a header that speaks of completing or names the course
    does (`course_words`: the words of the format's title).
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
    if "status" not in found and "status" not in taken:
        named = _status_by_header(headers, tallies, course_words, claimed)
        if named is not None:
            found["status"] = named
    if "status" not in found:
        best("completion_date", lambda i, t: 0 if other_dates(i) else t.dates, "dates")
    return found


# Header words that speak of completing: such a column says who completed.
_COMPLETION_WORDS = frozenset(
    {"completed", "completion", "complete", "status", "whether", "done"}
    | {"पूर्ण", "पूर्णता", "स्थिति", "पूरा"}
    | {"நிலை", "முடித்த", "முடிந்தது", "நிறைவு", "முடித்தவரா", "முடிந்ததா"}
)
# Words that name a course in general, beside the words of the format's own title.
_COURSE_WORDS = frozenset(
    {"course", "training", "programme", "program", "igot", "karmayogi"}
    | {"पाठ्यक्रम", "प्रशिक्षण", "कार्यक्रम", "उभरती", "प्रौद्योगिकी", "प्रौद्योगिकियों"}
    | {"பயிற்சி", "பாடநெறி", "வளர்ந்து", "தொழில்நுட்பங்கள்"}
)


# Words of a header about a course that is not whether it was completed: "Course Level".
_COURSE_DETAILS = frozenset(
    {"level", "name", "title", "type", "code", "id", "no", "number", "duration", "hours"}
    | {"mode", "batch", "category", "date"}
)


def _status_by_header(
    headers: Mapping[int, str],
    tallies: Mapping[int, _Tally],
    course_words: frozenset[str],
    claimed: set[int],
) -> tuple[int, str] | None:
    """A status column whose values did not decide it, named by its header's words.

    Most surely a header that speaks of completing ("Whether done?"), then one
    naming the course in two of its title's words ("Emerging Technologies
    (Level-1)"), then one naming a course and nothing about it but whether it
    was done ("ET Course (Opportunities and Governance)", not "Course Level").
    A column so found reads every value it does not know as a problem, never
    as completed.
    """
    ranked: list[tuple[int, int, str]] = []
    for index, header in headers.items():
        if index in claimed:
            continue
        words = frozenset(normalise.normalise_header(header).split())
        if words & _COMPLETION_WORDS:
            ranked.append((0, index, "the header speaks of completing the course"))
        elif len(words & (course_words | _COURSE_WORDS)) >= 2:
            ranked.append((1, index, "the header names the course"))
        elif words & _COURSE_WORDS and not words & _COURSE_DETAILS:
            ranked.append((2, index, "the header names a course"))
    if not ranked:
        return None
    _, index, seen = min(ranked)
    return index, seen
