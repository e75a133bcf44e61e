"""From the raw rows of a workbook to officer rows and problems, for one report format.

`map_report` is pure: the spreadsheet reader turns an attachment into a
`RawWorkbook`, and everything about what the cells mean is decided here.

The header. On each visible sheet the header is looked for among the first
`HEADER_SEARCH_ROWS` rows: each row on its own, and each row read together
with the row below it (a header over two rows, or with merged group cells
such as "Officer details" above "Employee Code | Name | Designation"). The
candidate naming the most of the format's required columns wins, then the
one naming most columns (at least two, one of them required); titles and
letter-heads above it are ignored, columns may come in any order and unknown
columns are ignored. A header cell names a column when, ignoring case,
spacing and punctuation, it is

1. the column's header or one of its synonyms, in English, Hindi or Tamil
   ("S.No.", "Emp. Code", "कर्मचारी कोड");
2. that once a bracketed note is removed ("Name of the Officer (in capitals)");
3. a header or synonym of two or more words followed by more words
   ("Email ID of the officer"), one written first in a list of alternatives
   ("Mobile / WhatsApp No."), or one part of a bilingual header
   ("क्रम सं. / Sl. No", "Name" over a line break over "नाम");
4. the words of a header of two or more words, in another order or among
   a few others ("Code of the Employee").

A better kind of match always wins the column: a column matched exactly is
never displaced by a looser match, and a one-word synonym such as "Name" is
never stretched to cover "Name of the Commissionerate".

Where no header names the status, the mobile or the e-mail column, the
values may: see `column_content`. Each column read says which signal
decided it (`ParsedReport.columns`).

A sheet without a column the format requires (the unit format: employee code
and name) is not counted: alone, it makes the report unreadable with a reason
naming the column; beside a complete sheet, it is named in a problem.

The rows. Below the header, rows that are not officers are passed over and
listed with the reason (`ParsedReport.skipped`): hidden and blank rows, the
header printed again, the column numbering row, totals however worded
("Total | 6 officers", "Grand Total: 45", a count on its own), notes
("*Note: ...", one long sentence), section headings, the translation row of
a bilingual header, and the signature block (Sd/-, the signing officer's
name and designation, Station, Place, Date). Every sheet with a header
contributes its officer rows; a sheet without one (a cover sheet,
instructions) is passed over.

Completion. A status column decides who completed: only a value known to
mean completed counts (or a date, the day it was completed); an unknown or
empty status is a problem on its row and the officer is not counted, unless
a filled date of completion or certificate says completed. Without a status
column, a date of completion or a certificate number in the row means
completed, and an empty one means not. Without any of these columns every
officer listed counts as completed (the format asks for completed officers
only), and the report says so (`ParsedReport.completion`).

Identity. An officer is known by the employee code, else the e-mail address,
else the name with the designation; an officer listed twice is reported on
the later row, and both rows are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from daemon.core import normalise
from daemon.core.column_content import columns_by_content, is_date
from daemon.core.models import (
    PRESCRIBED_FIELDS,
    CellValue,
    Column,
    ColumnReading,
    Completion,
    Field,
    OfficerRow,
    ParsedReport,
    Problem,
    RawRow,
    RawSheet,
    RawWorkbook,
    ReportFormat,
    SkippedRow,
    column_letter,
)

HEADER_SEARCH_ROWS = 30
"""The header row is looked for within this many rows from the top of a sheet."""

MIN_HEADER_MATCHES = 2
"""A header row names at least this many of the format's columns."""

# How closely a header cell names a column; a closer match wins the column.
EXACT = 4
WITHOUT_NOTES = 3
LOOSE = 2
WORDS = 1

STATUS_UNCLEAR_MESSAGE = (
    "this is not a completion status anupalan knows, and the officer is not counted;"
    " write Completed or Not completed"
)
STATUS_EMPTY_MESSAGE = (
    "the status is empty, and the officer is not counted; write Completed or Not completed"
)
NAME_MISSING_MESSAGE = "the officer's name is missing"
EMPLOYEE_CODE_MISSING_MESSAGE = "the employee code is missing"
NO_OFFICER_ROWS_MESSAGE = "no officer rows were found below the header row"

_MISSING_VALUE_MESSAGES: Mapping[Field, str] = {
    "name": NAME_MISSING_MESSAGE,
    "employee_code": EMPLOYEE_CODE_MISSING_MESSAGE,
}


@dataclass(frozen=True)
class HeaderHit:
    """The column a header cell names, and how closely (`EXACT`, `WITHOUT_NOTES`, `LOOSE`)."""

    field: Field
    quality: int


_HEADER_ALTERNATIVES = re.compile(r"\s*(?:/|&|\band\b|\bor\b)\s*", re.IGNORECASE)
# The parts of a header in two languages or two wordings: "क्रम सं. / Sl. No",
# "Sl. No | क्रम सं.", "WhatsApp / Mobile No.".
_HEADER_SLASHES = re.compile(r"\s*(?:[/|]|\s-\s)\s*")


_FILLER_WORDS = frozenset(["no", "number", "id", "of", "the", "in", "s"])
_QUALIFYING_WORDS = _FILLER_WORDS | frozenset(
    ["present", "current", "held", "existing", "substantive", "full", "official", "personal"]
)


def _has_latin(text: str) -> bool:
    return any(c.isascii() and c.isalpha() for c in text)


def _script_runs(value: str) -> list[str]:
    """The runs of words in Latin letters and in other scripts, over line breaks too:
    "Present\nDesignation\nपद" gives "Present Designation" and "पद"; a word of
    neither (a number, a mark) goes with the run before it."""
    runs: list[tuple[bool, list[str]]] = []
    for word in value.split():
        latin = _has_latin(word)
        if runs and (runs[-1][0] == latin or not any(c.isalpha() for c in word)):
            runs[-1][1].append(word)
        else:
            runs.append((latin, [word]))
    return [" ".join(words) for _, words in runs if normalise.header_without_notes(" ".join(words))]


class HeaderLookup:
    """Which column of a format a header cell names, as units write headers."""

    def __init__(self, fmt: ReportFormat) -> None:
        exact: dict[str, Field] = {}
        for column in fmt.columns:
            for text in (column.header, *column.synonyms):
                key = normalise.normalise_header(text)
                if key:
                    # Where two columns share a synonym, the earlier column wins.
                    exact.setdefault(key, column.field)
        self._exact = exact
        # Only headers of two or more words may begin a longer header: "name"
        # alone would claim "Name of the Commissionerate".
        phrases: dict[str, list[tuple[str, Field]]] = {}
        for key, field_name in sorted(exact.items(), key=lambda kf: -len(kf[0])):
            first, _, rest = key.partition(" ")
            if rest:
                phrases.setdefault(first, []).append((key, field_name))
        self._phrases = phrases  # by first word, longest first
        # A header may also open with a word that only qualifies it ("Present Designation").
        self._first_words = frozenset(key.partition(" ")[0] for key in exact) | _QUALIFYING_WORDS
        # Headers of two or more words, as sets of words: "Employee's Code No." holds
        # every word of "employee code" with others between.
        # Only headers of two words that say something: "No. of Staff" is no "Staff No".
        self._word_sets = [
            (words, field_name)
            for key, field_name in sorted(exact.items(), key=lambda kf: -len(kf[0]))
            if len((words := frozenset(key.split())) - _FILLER_WORDS) >= 2
        ]

    def match(self, value: object) -> HeaderHit | None:
        """The column a header cell names, or None; only text cells name columns.

        Where the cell as a whole names none, each part of a bilingual header
        ("क्रम सं. / Sl. No", "Name\nनाम") is tried, then the words of the
        format's longer headers in any order among others ("Code of the Employee").
        """
        if not isinstance(value, str):
            return None
        key = normalise.normalise_header(value)
        hit = self.match_normalised(value, key)
        if hit is not None or not key:
            return hit
        if (hit := self._bilingual(value, key)) is not None:
            return hit
        words = normalise.header_without_notes(value).split()
        for phrase, field_name in self._word_sets:
            # A title ("Report reg Completion of Course on ...") holds many headers' words.
            if len(words) <= len(phrase) + 2 and phrase <= frozenset(words):
                return HeaderHit(field_name, WORDS)
        return None

    def _bilingual(self, value: str, key: str) -> HeaderHit | None:
        """The column a header in two languages or wordings names: a part between
        slashes or bars, else each run of one script ("Sl. No क्रम सं.", "Name"
        over a line break over "नाम").

        Between slashes, the first part naming a column wins. By script, every
        run in Latin letters must name one: "ईमेल of the Commissionerate" names
        no e-mail column; and a header broken over lines is read whole ("Name"
        over "of the Division" names no name column).
        """
        alternatives = [p for p in _HEADER_SLASHES.split(value) if normalise.normalise_header(p)]
        if len(alternatives) > 1:  # "WhatsApp / Mobile No.": any one may name the column
            for part in alternatives:
                if (
                    hit := self.match_normalised(part, normalise.normalise_header(part))
                ) is not None:
                    return HeaderHit(hit.field, min(hit.quality, LOOSE))
        parts = _script_runs(value)
        if len(parts) < 2:
            return None
        hits = [self.match_normalised(p, normalise.normalise_header(p)) for p in parts]
        if any(h is None and _has_latin(p) for p, h in zip(parts, hits, strict=True)):
            return None  # "ईमेल of the Commissionerate" names no e-mail column
        hit = next((h for h in hits if h is not None), None)
        return None if hit is None else HeaderHit(hit.field, min(hit.quality, LOOSE))

    def match_normalised(self, value: str, key: str) -> HeaderHit | None:
        """As `match`, for a text cell whose `normalise.normalise_header` is `key`.

        Every row below the header is tested for the header printed again; the
        row's normalised texts are worked out once, for this and the other tests.
        """
        if not key:
            return None
        if key in self._exact:
            return HeaderHit(self._exact[key], EXACT)
        has_notes = "(" in value or "[" in value
        if not has_notes and value.isascii() and key.partition(" ")[0] not in self._first_words:
            # Below, only text that begins with the first word of one of the format's
            # headers names a column. Without brackets (removing a note may take the
            # first word with it) and in ASCII (where lower-casing a part of the text
            # agrees with lower-casing the whole), that is the cell's first word.
            # Most cells of officer rows are told apart here.
            return None
        # Without brackets there are no notes to remove.
        bare = normalise.header_without_notes(value) if has_notes else key
        if bare in self._exact:
            return HeaderHit(self._exact[bare], WITHOUT_NOTES)
        for text in (key,) if bare == key else (key, bare):
            for phrase, field_name in self._phrases.get(text.partition(" ")[0], ()):
                if text.startswith(phrase + " "):
                    return HeaderHit(field_name, LOOSE)
        alternatives = _HEADER_ALTERNATIVES.split(value, maxsplit=1)
        if len(alternatives) > 1:
            first = normalise.header_without_notes(alternatives[0])
            if first in self._exact:
                return HeaderHit(self._exact[first], LOOSE)
        # A one-word header with words that only qualify it: "Code No.", "Post held",
        # "Present Designation", "Name in full".
        words = bare.split()
        named = [w for w in words if w not in _QUALIFYING_WORDS]
        if len(named) == 1 and len(words) > 1 and named[0] in self._exact:
            return HeaderHit(self._exact[named[0]], LOOSE)
        return None


@dataclass(frozen=True)
class HeaderMatch:
    """Where a sheet's header is and which cell holds which column."""

    row: int
    """The header row; for a header over two rows, the lower one. Data starts below it."""
    positions: Mapping[Field, int]
    """Field -> 0-based cell index in the sheet's rows."""
    headers: Mapping[Field, str]
    """Field -> the header as written in this sheet, white space collapsed."""
    quality: int = 0
    """The sum of how closely each header cell names its column."""
    printed: tuple[tuple[str, ...], ...] = field(default=(), compare=False)
    """Each header row's cells, normalised, to recognise the header printed again."""
    written: Mapping[int, str] = field(default_factory=dict, compare=False)
    """Every header cell as written (both rows of a two-row header read as one), by index."""
    by_content: Mapping[Field, str] = field(default_factory=dict, compare=False)
    """The columns recognised by their values rather than their header, and what was seen."""
    closeness: Mapping[Field, int] = field(default_factory=dict, compare=False)
    """How closely each column's header cell named it (`EXACT` ... `WORDS`)."""

    def has(self, field_name: Field) -> bool:
        return field_name in self.positions

    def cell(self, row: RawRow, field_name: Field) -> CellValue:
        index = self.positions.get(field_name)
        if index is None or index >= len(row.cells):
            return None
        return row.cells[index]

    def score(self, required: set[Field]) -> tuple[int, int, int]:
        """How good a header this is: the required columns it names, then all it names,
        then how closely."""
        return len(required & self.positions.keys()), len(self.positions), self.quality


def map_report(workbook: RawWorkbook, fmt: ReportFormat) -> ParsedReport:
    """The officer rows and problems a workbook holds when read as a report in `fmt`."""
    lookup = HeaderLookup(fmt)
    matches: list[tuple[RawSheet, HeaderMatch]] = []
    for sheet in workbook.sheets:
        if sheet.hidden:
            continue
        match = find_header(sheet, fmt, lookup)
        if match is not None:
            matches.append((sheet, _with_columns_by_content(sheet, match, fmt, lookup)))
    # A list of problems with officers (the Exceptions sheet of a consolidated report)
    # names officers' columns, but is no list of officers; nor, beside other sheets, is
    # a sheet named as a summary.
    matches = [(sheet, match) for sheet, match in matches if not _lists_problems(match)]
    listing = [(s, m) for s, m in matches if not _SUMMARY_SHEET.search(s.name.lower())]
    matches = listing or matches
    if not matches:
        return ParsedReport(file=workbook.file, readable=False, reason=_no_table_reason(fmt))
    columns = tuple(c for sheet, match in matches for c in _column_readings(sheet.name, match))

    # A sheet without a column the format requires is not counted. Beside a sheet
    # that has them all it is a summary or a list of something else, and is named;
    # alone, the whole report is sent back.
    complete = [(s, m) for s, m in matches if not _missing_columns(m, fmt)]
    if not complete:
        sheet, match = matches[0]
        return ParsedReport(
            file=workbook.file,
            readable=False,
            reason=_missing_columns_reason(sheet, match, fmt),
            columns=columns,
        )
    problems: list[Problem] = [
        Problem(
            message=f"this sheet was not read: {_missing_columns_reason(s, m, fmt)}",
            file=workbook.file,
            sheet=s.name,
            row=m.row,
        )
        for s, m in matches
        if (s, m) not in complete
    ]
    matches = complete
    rows: list[OfficerRow] = []
    skipped: list[SkippedRow] = []
    bases: set[Completion] = set()
    for sheet, match in matches:
        sheet_rows, sheet_problems, sheet_skipped, by_headings = _map_sheet(
            workbook.file, sheet, match, lookup
        )
        rows.extend(sheet_rows)
        problems.extend(sheet_problems)
        skipped.extend(sheet_skipped)
        bases.add("status" if by_headings else _completion_basis(match))
    problems.extend(_duplicate_officers(rows, {sheet.name: match for sheet, match in matches}))
    if not rows:
        sheet, match = matches[0]
        problems.append(
            Problem(
                message=NO_OFFICER_ROWS_MESSAGE,
                file=workbook.file,
                sheet=sheet.name,
                row=match.row,
            )
        )
    sheet_order = [sheet.name for sheet, _ in matches]
    return ParsedReport(
        file=workbook.file,
        readable=True,
        sheets_used=tuple(sheet_order),
        header_rows={sheet.name: match.row for sheet, match in matches},
        rows=tuple(rows),
        problems=tuple(_sorted_problems(problems, sheet_order)),
        columns=columns,
        skipped=tuple(skipped),
        # The weakest evidence any sheet gives is what the report as a whole rests on.
        completion=next(b for b in ("listed", "evidence", "status") if b in bases),
    )


_PROBLEM_HEADERS = frozenset(
    {"issue", "issues", "problem", "problems", "exception", "exceptions", "error", "errors"}
)


_SUMMARY_SHEET = re.compile(r"\b(?:summary|abstract|exceptions?|problems|issues)\b")


def _lists_problems(match: HeaderMatch) -> bool:
    named = set(match.positions.values())
    return any(
        normalise.normalise_header(text) in _PROBLEM_HEADERS
        for index, text in match.written.items()
        if index not in named
    )


_COMPLETION_FIELDS: tuple[Field, ...] = ("status", "completion_date", "certificate")


def _completion_basis(match: HeaderMatch) -> Completion:
    if match.has("status"):
        return "status"
    return "evidence" if any(match.has(f) for f in _COMPLETION_FIELDS) else "listed"


def _missing_columns(match: HeaderMatch, fmt: ReportFormat) -> list[Column]:
    return [c for c in fmt.columns if c.required and not match.has(c.field)]


_WHAT_A_COLUMN_HOLDS: Mapping[Field, str] = {
    "employee_code": "each officer's employee code",
    "name": "each officer's name",
    "designation": "each officer's designation",
    "mobile": "each officer's mobile number",
    "email": "each officer's e-mail address",
    "serial": "the serial numbers",
}


def _missing_columns_reason(sheet: RawSheet, match: HeaderMatch, fmt: ReportFormat) -> str:
    """Which required columns a sheet lacks, where its header is, and what to do."""
    missing = _missing_columns(match, fmt)
    names = " and ".join(c.header for c in missing)
    found = ", ".join(
        match.headers[f] for f in sorted(match.positions, key=match.positions.__getitem__)
    )
    add = "; ".join(
        f"add a column headed '{c.header}' with {_WHAT_A_COLUMN_HOLDS.get(c.field, 'its values')}"
        for c in missing
    )
    return (
        f"sheet '{sheet.name}' has no {names} column (its header on row {match.row} names"
        f" {found}); {add}, and send the report again"
    )


# Words of a format's title that do not name its course.
_TITLE_FILLER = frozenset(
    {"report", "reg", "regarding", "re", "of", "on", "the", "in", "for", "and", "to", "a", "by"}
)


def _title_words(fmt: ReportFormat) -> frozenset[str]:
    return frozenset(normalise.normalise_header(fmt.title).split()) - _TITLE_FILLER


def _with_columns_by_content(
    sheet: RawSheet, match: HeaderMatch, fmt: ReportFormat, lookup: HeaderLookup
) -> HeaderMatch:
    """The header match with the columns that only their values name (`column_content`).

    The values are those of the rows below the header that may be officers
    (a header printed again, totals and notes are left out); the header's
    words are those of the header row and of a second header row under it
    (the English under a Hindi header).
    """
    seen = (SeenRow.of(row, sheet.hidden_columns) for row in sheet.rows if row.number > match.row)
    data = (row.raw.cells for row in seen if not any(t(row, match, lookup) for t in SKIPPED_ROWS))
    written = dict(match.written)
    below = next((row for row in sheet.rows if row.number == match.row + 1), None)
    if below is not None:
        row = SeenRow.of(below, sheet.hidden_columns)
        if (
            _is_repeated_header(row, match, lookup)
            or _is_header_part(row, lookup)
            or (
                _may_be_header(below)
                and len(set(row.written)) >= MIN_HEADER_MATCHES  # no heading merged across
                and not any(_is_small_number(t.strip("().")) for t in row.written)
            )
        ):
            for index, text in enumerate(row.texts):
                if text is not None and text != written.get(index):
                    written[index] = f"{written[index]} {text}" if index in written else text
    remarks = match.positions.get("remarks")
    found = columns_by_content(
        data,
        written,
        match.positions,
        frozenset() if remarks is None else frozenset({remarks}),
        _title_words(fmt),
    )
    if not found:
        return match
    positions = dict(match.positions)
    headers = dict(match.headers)
    for field_name, (index, _) in found.items():
        for displaced in [f for f, i in positions.items() if i == index]:  # remarks only
            del positions[displaced]
            del headers[displaced]
        positions[field_name] = index
        headers[field_name] = written.get(index) or f"column {column_letter(index)}"
    return replace(
        match,
        positions=positions,
        headers=headers,
        by_content={f: seen for f, (_, seen) in found.items()},
    )


_HEADER_SIGNALS = {
    EXACT: "the header is the format's or a known synonym",
    WITHOUT_NOTES: "the header, less its note in brackets",
    LOOSE: "the header begins with, or has a part that is, a known header",
    WORDS: "the header holds the words of a known header",
}


def _column_readings(sheet: str, match: HeaderMatch) -> list[ColumnReading]:
    """Each column read, left to right, with the signal that decided it."""
    return [
        ColumnReading(
            sheet=sheet,
            field=field_name,
            index=index,
            header=match.headers[field_name],
            signal="content" if field_name in match.by_content else "header",
            detail=match.by_content.get(field_name)
            or _HEADER_SIGNALS[match.closeness.get(field_name, EXACT)],
        )
        for field_name, index in sorted(match.positions.items(), key=lambda fi: fi[1])
    ]


def find_header(
    sheet: RawSheet, fmt: ReportFormat, lookup: HeaderLookup | None = None
) -> HeaderMatch | None:
    """The header of a sheet, or None when nothing near the top looks like one.

    Each row is tried on its own and together with the row below it; the
    candidate naming the most of the format's required columns wins, then the
    one naming most columns, then the one naming them most closely; on a tie
    the upper candidate wins.
    """
    lookup = HeaderLookup(fmt) if lookup is None else lookup
    required = {c.field for c in fmt.columns if c.required}
    rows = [
        _without_hidden_columns(row, sheet.hidden_columns)
        for row in sheet.rows
        if row.number <= HEADER_SEARCH_ROWS
    ]
    best: HeaderMatch | None = None
    for index, upper in enumerate(rows):
        lower = rows[index + 1] if index + 1 < len(rows) else None
        candidates: list[HeaderMatch | None] = [_match_one_row(upper, lookup)]
        if (
            lower is not None
            and lower.number == upper.number + 1
            and _may_be_header(upper)
            and _may_be_header(lower)
        ):
            candidates.append(_match_two_rows(upper, lower, lookup))
        for candidate in candidates:
            if candidate is None or not _is_header(candidate, required):
                continue
            if best is None or candidate.score(required) > best.score(required):
                best = candidate
    if best is not None and len(best.printed) == 1:
        # A group title or heading right above a header of one row is printed again
        # with it when tables are pasted one under another.
        above = next((row for row in rows if row.number == best.row - 1), None)
        if above is not None and _may_be_header(above):
            best = replace(best, printed=(_printed(above), *best.printed))
    return best


def _match_one_row(row: RawRow, lookup: HeaderLookup) -> HeaderMatch:
    cells = [(index, value, lookup.match(value)) for index, value in enumerate(row.cells)]
    return _header_match(row.number, cells, (_printed(row),))


def _match_two_rows(upper: RawRow, lower: RawRow, lookup: HeaderLookup) -> HeaderMatch | None:
    """A header written over two rows, or None when the lower row reads as data.

    Per column: the lower cell if it names a column, else the upper one where
    the lower is empty or the same (a header merged down over both rows), else
    the two read as one ("Employee" over "Code"). A group title merged across
    columns ("Officer details" over "Name | Post") names none of them. The lower row
    of a header names columns, alone or with the cell above it; a row whose
    cells mostly do not ("1 | E-123 | R. Selvam | Completed") is the first
    officer, not a header.
    """
    cells: list[tuple[int, CellValue, HeaderHit | None]] = []
    named = unnamed = 0
    under_named = False  # whether text the lower row does not name stands under a header
    upper_names = False  # whether the upper row names any column, alone or joined
    width = max(len(upper.cells), len(lower.cells))
    tops = [upper.cells[i] if i < len(upper.cells) else None for i in range(width)]
    for index, top in enumerate(tops):
        bottom = lower.cells[index] if index < len(lower.cells) else None
        # A title or group cell merged across its neighbours ("Officer details") is no
        # part of the header under it.
        merged = top is not None and top in (
            tops[index - 1] if index else None,
            tops[index + 1] if index + 1 < width else None,
        )
        joined = (
            f"{top} {bottom}"
            if isinstance(top, str) and isinstance(bottom, str) and not merged
            else None
        )
        joined_hit = lookup.match(joined)
        if joined_hit is not None and joined_hit.quality < LOOSE:
            joined_hit = None  # the words of two cells, read together, say too little
        if (hit := lookup.match(bottom)) is not None:
            cells.append((index, bottom, hit))
        elif (bottom is None or bottom == top) and (hit := lookup.match(top)) is not None:
            cells.append((index, top, hit))
            upper_names = True
        elif joined_hit is not None:
            cells.append((index, joined, joined_hit))
            upper_names = True
        elif top is not None or bottom is not None:  # named by neither: kept as written
            written = bottom if top is None or merged else (top if bottom is None else joined)
            cells.append((index, written, None))
        if normalise.cell_text(bottom) is not None:
            reads_as_header = lookup.match(bottom) is not None or (
                joined_hit is not None and joined_hit.quality >= WITHOUT_NOTES
            )
            named += reads_as_header
            unnamed += not reads_as_header
            under_named = under_named or (
                not reads_as_header and bottom != top and lookup.match(top) is not None
            )
    titled = len({normalise.normalise_header(t) for t in upper.cells if isinstance(t, str)}) <= 1
    # A lower row naming fewer columns than it does not is an officer's, unless its text
    # stands only under group titles and gaps ("Officer details" over "Level of course |
    # Office | HRMS Code"), never under a header of its own, and it has no serial number.
    numbered = any(_is_small_number(normalise.cell_text(v) or "") for v in lower.cells)
    if (unnamed > named and (under_named or numbered)) or (titled and not upper_names):
        return None  # the first officer; or a header on the lower row alone, under a title
    return _header_match(lower.number, cells, (_printed(upper), _printed(lower)))


def _header_match(
    number: int,
    cells: Iterable[tuple[int, CellValue, HeaderHit | None]],
    printed: tuple[tuple[str, ...], ...],
) -> HeaderMatch:
    """Each column goes to the cell naming it most closely; on a tie the leftmost."""
    best: dict[Field, tuple[int, CellValue, int]] = {}
    written: dict[int, str] = {}
    for index, value, hit in cells:
        if (text := normalise.cell_text(value)) is not None:
            written[index] = text
        if hit is None:
            continue
        held = best.get(hit.field)
        if held is None or hit.quality > held[2]:
            best[hit.field] = (index, value, hit.quality)
    return HeaderMatch(
        row=number,
        positions={f: index for f, (index, _, _) in best.items()},
        headers={f: normalise.cell_text(value) or str(value) for f, (_, value, _) in best.items()},
        quality=sum(quality for _, _, quality in best.values()),
        printed=printed,
        written=written,
        closeness={f: quality for f, (_, _, quality) in best.items()},
    )


def _printed(row: RawRow) -> tuple[str, ...]:
    return tuple(normalise.normalise_header(v) if isinstance(v, str) else "" for v in row.cells)


_LONG_NUMBER = re.compile(r"\d{5}")


_CODE_LIKE = re.compile(r"\d{3}")


def _may_be_header(row: RawRow) -> bool:
    """Whether a row could be one row of a two-row header: text, and nothing that looks
    like data (an address, a number of three digits or more: a code, a mobile)."""
    texts = 0
    for value in row.cells:
        if value is None:
            continue
        if not isinstance(value, str):
            return False
        if "@" in value or _CODE_LIKE.search(value):
            return False
        texts += bool(value.strip())
    return texts > 0


def _is_header(match: HeaderMatch, required: set[Field]) -> bool:
    return len(match.positions) >= MIN_HEADER_MATCHES and bool(required & match.positions.keys())


class SeenRow(NamedTuple):
    """A row below the header as a person sees it: hidden columns blank, each cell as text.

    What several tests of a row read is worked out once, when the row is seen:
    a large report has a hundred thousand rows, and each is tested six ways.
    """

    raw: RawRow
    texts: tuple[str | None, ...]
    """Each cell as `normalise.cell_text` writes it; None when empty."""
    written: tuple[str, ...]
    """The non-empty cells, left to right."""
    has_code_or_address: bool
    """Whether a cell holds an e-mail address or a long number (a code, a mobile number),
    which only officers' rows do."""
    has_address: bool
    """Whether a cell holds an e-mail address."""

    @classmethod
    def of(cls, row: RawRow, hidden_columns: frozenset[int]) -> SeenRow:
        raw = _without_hidden_columns(row, hidden_columns)
        cells = raw.cells
        texts = tuple([normalise.cell_text(value) for value in cells])
        written = tuple([text for text in texts if text is not None])
        # One text of the whole row answers both questions at once; no digit or "@"
        # is made by joining.
        joined = "\x00".join(written)
        has_address = "@" in joined
        return cls(
            raw,
            texts,
            written,
            has_address or bool(_LONG_NUMBER.search(joined)),
            has_address,
        )

    @property
    def lone_text(self) -> str | None:
        """The row's one text, where it holds nothing else (one cell, or one merged across
        the row) and no code or address: a note, a heading, a page mark."""
        if self.has_code_or_address or len(set(self.written)) != 1:
            return None
        return self.written[0]

    def text(self, match: HeaderMatch, field_name: Field) -> str | None:
        index = match.positions.get(field_name)
        return None if index is None or index >= len(self.texts) else self.texts[index]


# Rows below the header that are not officer rows. Each test looks at one
# row on its own and says why it is not an officer; the first that applies decides.
RowTest = Callable[[SeenRow, HeaderMatch, HeaderLookup], str | None]

HIDDEN_ROW = "a hidden row"
BLANK_ROW = "a blank row"
REPEATED_HEADER = "the header printed again"
COLUMN_NUMBERING = "the columns' numbering"
TOTAL_ROW = "a total"
COUNT_ROW = "a number and no officer: a count"
NOTE_ROW = "a note"
SECTION_HEADING = "a heading within the table"
SIGNATURE = "the signature block"
HEADER_PART = "part of the header (no officer's details in it)"
NO_OFFICER = "no officer named: no name, employee code or e-mail"


def _is_hidden(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    return HIDDEN_ROW if row.raw.hidden else None


def _is_blank(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    return None if row.written else BLANK_ROW


def _is_repeated_header(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    """The header printed again lower down, as when tables are pasted one under another."""
    cells = row.raw.cells
    # Every row is tested, and most cells are officers' names and addresses: each text
    # is normalised only when a test gets to it, and each test stops at its answer.
    texts = [
        (field_name, value)
        for field_name, index in match.positions.items()
        if index < len(cells) and isinstance(value := cells[index], str)
    ]
    repeated = 0
    for tried, (field_name, value) in enumerate(texts, start=1):
        hit = lookup.match_normalised(value, normalise.normalise_header(value))
        repeated += hit is not None and hit.field == field_name
        if repeated >= MIN_HEADER_MATCHES:
            return REPEATED_HEADER
        if repeated + len(texts) - tried < MIN_HEADER_MATCHES:
            break  # too few cells are left to name columns
    # The upper row of a two-row header, or a group title over the header, names few
    # columns itself ("Officer details"): printed again, every cell it fills is the same.
    for printed in match.printed:
        filled = _filled_like(cells, printed)
        if filled is None or filled == 0:
            continue
        if filled < MIN_HEADER_MATCHES and printed is match.printed[-1]:
            continue  # one cell like one of the header row's is too little to tell
        return REPEATED_HEADER
    return None


def _filled_like(cells: tuple[CellValue, ...], printed: tuple[str, ...]) -> int | None:
    """How many text cells of the row there are, where each reads (normalised) as the header
    row `printed` does in its place; None where one does not."""
    filled = 0
    for index, value in enumerate(cells):
        if not isinstance(value, str):
            continue
        text = normalise.normalise_header(value)
        if not text:
            continue
        if index >= len(printed) or printed[index] != text:
            return None
        filled += 1
    return filled


def _is_column_numbering(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    """The "1 | 2 | 3 | 4 | 5 | 6" row many government formats print under the header."""
    if len(row.written) < 3 or not _is_small_number(row.written[-1].strip("()")):
        return None  # the last cell tells most rows apart: a name, an address, a status
    numbers = []
    for text in row.written:
        text = text.strip("()")
        if not _is_small_number(text):
            return None
        numbers.append(int(text))
    in_sequence = numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    return COLUMN_NUMBERING if in_sequence else None


def _is_small_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 6


# "Total", "Grand Total", "Sub-total", "No. of officers", "कुल", "योग", "மொத்தம்".
_TOTAL = re.compile(
    r"^(?:(?:grand|sub)\s?)?total(?:\s|$)|^(?:total\s)?(?:no|number|count)\s(?:of\s)?"
    r"(?:officers|employees|officials|staff|persons)(?:\s|$)|^(?:कुल|योग|मोत्तम|மொத்தம்)(?:\s|$)"
    r"|^(?:balance|remaining|(?:sanctioned\s|working\s)?strength)(?:\s|$)"
)
# What stands beside a total: "6", "6 officers", "45 Nos.", "(6)".
_COUNT = re.compile(
    r"^\d{1,7}(?:\s(?:officers?|officials?|employees?|persons?|nos?|numbers?|members?|staff|names?"
    r"|अधिकारी|कर्मचारी|பேர்|அலுவலர்கள்))?$"
)


def _is_total(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    """A total or count row: "Total | 6 officers", "Grand Total: 45", "No. of officers 45".

    The row opens with a total's word, or every cell of it is one or a count:
    an officer whose remarks happen to begin with "Total" has a serial number,
    a name and a code before them.
    """
    if row.has_address:
        return None
    texts = [normalise.normalise_header(text) for text in row.written]
    if _TOTAL.search(texts[0]) and not row.has_code_or_address:
        return TOTAL_ROW  # "Total strength | 25 | Completed | 20": the row opens with it
    said_total = False
    for text in texts:
        if _TOTAL.search(text):
            said_total = True
        elif text and not _COUNT.match(text):
            return None
    return TOTAL_ROW if said_total else None


def _is_count(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    """A number on its own, below the officers: "| | 6 |" (a count with its word left out).

    A number of four or more digits in the employee code column is an officer's
    code, whose name is missing, and stays an officer row to be corrected.
    """
    if len(row.written) != 1 or not _is_small_number(row.written[0].strip("()")):
        return None
    code = row.text(match, "employee_code")
    return None if code is not None and len(code) >= 4 else COUNT_ROW


HEADING_COMPLETED = "a heading: the officers under it have completed the course"
HEADING_NOT_COMPLETED = "a heading: the officers under it have not completed the course"
_COMPLETING = re.compile(r"complet|पूर्ण|पूरा|முடி|நிறைவ")
_NOT_YET = re.compile(r"\b(?:not|yet|pending|incomplete|balance)\b|अपूर्ण|नहीं|இல்லை|வில்லை")


def _is_completion_heading(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    """A heading that divides the officers by whether they completed: "A. Officers who
    have completed the course", "NOT YET COMPLETED (4)", without a status column.

    A note ("*Note: ...") is not such a heading, whatever it says.
    """
    text = row.lone_text
    if text is None:
        return None
    words = normalise.header_without_notes(text)
    if text.startswith(("*", "#")) or _NOTE.match(words) or not _COMPLETING.search(words):
        return None
    return HEADING_NOT_COMPLETED if _NOT_YET.search(words) else HEADING_COMPLETED


_NOTE = re.compile(r"^(?:notes?|nb|n b|ps|नोट|टिप्पणी|குறிப்பு)(?:\s|$)")
_SENTENCE_WORDS = 7


def _is_note(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    """A note under or within the table: "*Note: ...", "N.B. ...", or one long sentence.

    A note is one text, in one cell or merged across the row; an officer's row
    has several, and a name marked with an asterisk has a code beside it.
    """
    text = row.lone_text
    if text is None:
        return None
    if text.startswith(("*", "#")) or _NOTE.match(normalise.normalise_header(text)):
        return NOTE_ROW
    if len(text.split()) >= _SENTENCE_WORDS:
        return NOTE_ROW  # no officer's name is that long
    return None


_PAGE_MARK = re.compile(r"^(?:page\s?\d+(?:\s(?:of\s)?\d+)?|contd|continued|p\s?t\s?o)$")
_VACANT = frozenset({"vacant", "vacancy", "post vacant", "vacant post", "रिक्त", "காலி", "காலியிடம்"})
PAGE_MARK = "a page mark"
VACANT_POST = "a vacant post: no officer"


def _is_page_mark(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    """ "Page 1 of 2", "Contd...", "P.T.O." where a report runs over printed pages."""
    text = row.lone_text
    return PAGE_MARK if text and _PAGE_MARK.match(normalise.normalise_header(text)) else None


def _is_vacant_post(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    """A post listed with "Vacant" where the officer's name would be, and no code."""
    name = row.text(match, "name")
    if name is None or normalise.employee_code(match.cell(row.raw, "employee_code")):
        return None
    return VACANT_POST if normalise.header_without_notes(name) in _VACANT else None


def _is_section_heading(row: SeenRow, match: HeaderMatch, lookup: HeaderLookup) -> str | None:
    """A heading inside the table, such as "Division II" merged across the row."""
    texts = row.written
    if not texts or row.has_code_or_address:
        return None
    distinct = {normalise.normalise_header(text) for text in texts}
    if len(distinct) != 1:
        return None
    if len(texts) >= MIN_HEADER_MATCHES or _is_heading_text(texts[0]):
        return SECTION_HEADING
    if _OFFICE_WORDS & _words(normalise.normalise_header(texts[0])):
        return SECTION_HEADING
    return None


SKIPPED_ROWS: tuple[RowTest, ...] = (
    _is_hidden,
    _is_blank,
    _is_repeated_header,
    _is_column_numbering,
    _is_total,
    _is_count,
    _is_page_mark,
    _is_completion_heading,
    _is_note,
    _is_section_heading,
    _is_vacant_post,
)


def _without_hidden_columns(row: RawRow, hidden_columns: frozenset[int]) -> RawRow:
    """The row as a person sees it: what hidden columns hold (old codes, notes) blanked out."""
    if not hidden_columns or not any(index in hidden_columns for index in range(len(row.cells))):
        return row
    cells = tuple(None if i in hidden_columns else v for i, v in enumerate(row.cells))
    return replace(row, cells=cells)


# The signature block under a table. These words open it; the signing
# officer's name and designation follow.
_SIGNED = re.compile(r"^\(?\s*sd\s*(?:/|-|\.|\)|$)", re.IGNORECASE)  # "Sd/-", "(Sd.)", "sd"
_SIGNATURE_WORDS = re.compile(
    r"^(?:signature|signed|station|place|date|dated|yours\s(?:faithfully|sincerely)"
    r"|faithfully|sincerely|forwarded|countersigned|verified|certified|submitted"
    r"|(?:prepared|checked|approved|compiled)\sby|encl|enclosure|copy\sto|note|nb|seal"
    r"|office\sseal)\b"
)
_IN_BRACKETS = re.compile(r"^\(.*\)$", re.DOTALL)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A designation is made of these words, at least one of them a head word.
_DESIGNATION_HEADS = _words(
    "commissioner commr superintendent supdt inspector officer secretary director head"
    " incharge controller appraiser examiner"
)
_DESIGNATION_WORDS = _DESIGNATION_HEADS | _words(
    "assistant asst deputy dy joint jt additional addl principal pr chief senior sr junior jr"
    " special executive administrative admn admin administration hq hqrs headquarters"
    " of the and in i c charge for gst cgst central excise customs audit appeals tax technical"
    " tech preventive divisional division range zonal nodal office section vigilance"
    " establishment estt accounts legal review systems"
)
_HEADING = re.compile(
    r"^(?:division|range|circle|wing|commissionerate|zone|unit|section)\b"
    r"|\b(?:division|range|circle|wing|commissionerate|zone)(?:\s(?:[ivx]+|\d+|[a-z]))?$"
)
# Words that name a part of an office, never a person: one cell alone on its row
# holding one of them is a heading ("Preventive Unit", "Audit Circle-II", "Hqrs").
_OFFICE_WORDS = _words(
    "division divisions range ranges circle wing commissionerate zone unit units section cell"
    " branch office offices hqrs hq headquarters preventive audit appeals adjudication"
    " establishment vigilance group team directorate"
    " प्रभाग मंडल रेंज इकाई कार्यालय मुख्यालय अनुभाग"
    " கோட்டம் பிரிவு சரகம் அலுவலகம் தலைமையகம்"
)


def _is_signature_text(text: str) -> bool:
    """Words of a signature block: "Sd/-", "(R. GOPALSAMY)", "Station: Chennai", "Date: ..."."""
    return bool(
        _SIGNED.match(text)
        or _IN_BRACKETS.match(text)
        or _SIGNATURE_WORDS.match(normalise.normalise_header(text))
    )


def _is_designation_text(text: str) -> bool:
    """A designation on its own, such as "Deputy Commissioner (Admn)", and not a person's name."""
    words = normalise.header_without_notes(text.split(",")[0]).split()
    return (
        bool(words)
        and all(word in _DESIGNATION_WORDS for word in words)
        and any(word in _DESIGNATION_HEADS for word in words)
    )


def _is_heading_text(text: str) -> bool:
    return bool(_HEADING.search(normalise.normalise_header(text)))


def _is_not_a_person(text: str) -> bool:
    return _is_signature_text(text) or _is_designation_text(text) or _is_heading_text(text)


class _Values(NamedTuple):
    serial: CellValue
    employee_code: str | None
    name: str | None
    designation: str | None
    mobile: normalise.MobileResult
    email: normalise.EmailResult
    email_written: str | None

    def identifies_an_officer(self) -> bool:
        """Whether the row names an officer: by name, employee code or email (even a bad one).

        A code is a code when it has a digit: words alone in the code column, with no
        name beside them, are a heading or a title printed again ("Officer details").
        """
        has_email = self.email.address is not None or self.email.problem is not None
        code = self.employee_code
        has_code = code is not None and any(ch.isdigit() for ch in code)
        return self.name is not None or has_code or has_email

    def looks_like_data(self) -> bool:
        """Whether the row holds what only an officer row holds: a serial number, an employee
        code, a mobile number or an email address."""
        serial = self.serial
        numbered = isinstance(serial, int | float) and not isinstance(serial, bool)
        if isinstance(serial, str):
            numbered = _is_small_number(serial.strip().strip("().").strip())
        return (
            numbered
            or (self.employee_code is not None and not _is_not_a_person(self.employee_code))
            or self.mobile.number is not None
            or (self.email_written is not None and "@" in self.email_written)
        )


def _map_sheet(
    file: str, sheet: RawSheet, match: HeaderMatch, lookup: HeaderLookup
) -> tuple[list[OfficerRow], list[Problem], list[SkippedRow], bool]:
    """The officer rows, problems and rows passed over of one sheet, and whether headings
    in the table said who completed ("Officers yet to complete the course")."""
    rows: list[OfficerRow] = []
    problems: list[Problem] = []
    skipped: list[SkippedRow] = []

    def problem(message: str, row: int | None, field_name: Field | None, value: CellValue) -> None:
        problems.append(
            Problem(
                message=message,
                file=file,
                sheet=sheet.name,
                row=row,
                column=match.headers.get(field_name) if field_name else None,
                value=normalise.cell_text(value),
            )
        )

    def skip(number: int, reason: str) -> None:
        last = skipped[-1] if skipped else None
        if last is not None and last.reason == reason and last.last_row == number - 1:
            skipped[-1] = replace(last, last_row=number)
        else:
            skipped.append(SkippedRow(sheet.name, number, number, reason))

    checked_required = [f for f in _MISSING_VALUE_MESSAGES if match.has(f)]
    reads = {f for f in _COMPLETION_FIELDS if match.has(f)}

    def completion_evidence(raw: RawRow) -> bool:
        """What a completion date or certificate column says: filled means completed."""
        evidence = False
        if "completion_date" in reads:
            value = match.cell(raw, "completion_date")
            said = normalise.completion_status(value)
            if said is not None:
                evidence = evidence or said
            else:
                date = normalise.completion_date(value)
                if date.problem:
                    problem(date.problem, raw.number, "completion_date", value)
                evidence = evidence or date.date is not None
        if "certificate" in reads:
            value = match.cell(raw, "certificate")
            said = normalise.completion_status(value)
            filled = normalise.certificate(value) is not None
            evidence = evidence or (said if said is not None else filled)
        return evidence

    heading_says: bool | None = None  # what the latest heading says of the officers under it

    def completed(raw: RawRow) -> bool:
        evidence = completion_evidence(raw)
        if "status" not in reads:
            if reads:
                return evidence
            return True if heading_says is None else heading_says
        value = match.cell(raw, "status")
        status = normalise.completion_status(value)
        if status is not None:
            return status
        if is_date(value):
            return True  # the day it was completed, written in the status column
        if normalise.cell_text(value) is None:
            if evidence:
                return True
            problem(STATUS_EMPTY_MESSAGE, raw.number, "status", value)
        else:
            problem(STATUS_UNCLEAR_MESSAGE, raw.number, "status", value)
        return False

    in_signature = False
    for row in sheet.rows:
        if row.number <= match.row:
            continue
        seen = SeenRow.of(row, sheet.hidden_columns)
        raw = seen.raw
        for test in SKIPPED_ROWS:
            if reason := test(seen, match, lookup):
                break
        if reason:
            if reason == REPEATED_HEADER:
                in_signature = False  # a new table starts
            elif reason in (HEADING_COMPLETED, HEADING_NOT_COMPLETED):
                heading_says = reason == HEADING_COMPLETED
            skip(raw.number, reason)
            continue
        values = _Values(
            serial=match.cell(raw, "serial"),
            employee_code=normalise.employee_code(match.cell(raw, "employee_code")),
            # A name and a designation are the cell's text (`normalise.name`), as seen.
            name=seen.text(match, "name"),
            designation=seen.text(match, "designation"),
            mobile=normalise.mobile(match.cell(raw, "mobile")),
            email=normalise.email(match.cell(raw, "email")),
            email_written=seen.text(match, "email"),
        )
        if values.looks_like_data():
            in_signature = False
        else:
            # Dates stand beside "Date:" in a signature block; the words decide.
            texts = [
                t for v, t in zip(raw.cells, seen.texts, strict=True) if isinstance(v, str) and t
            ]
            if in_signature or (texts and all(_is_not_a_person(text) for text in texts)):
                in_signature = in_signature or any(_is_signature_text(t) for t in texts)
                skip(raw.number, SIGNATURE if in_signature else SECTION_HEADING)
                continue
            if not rows and _is_header_part(seen, lookup):
                skip(raw.number, HEADER_PART)
                continue
        if not values.identifies_an_officer():
            skip(raw.number, NO_OFFICER)
            continue

        for field_name in checked_required:
            if getattr(values, field_name) is None:
                problem(_MISSING_VALUE_MESSAGES[field_name], raw.number, field_name, None)
        if values.mobile.problem:
            problem(values.mobile.problem, raw.number, "mobile", match.cell(raw, "mobile"))
        if values.email.problem:
            problem(values.email.problem, raw.number, "email", match.cell(raw, "email"))

        rows.append(
            OfficerRow(
                employee_code=values.employee_code,
                name=values.name,
                designation=values.designation,
                mobile=values.mobile.number,
                email=values.email.address,
                completed=completed(raw),
                sheet=sheet.name,
                row=raw.number,
                file=file,
            )
        )
    return rows, problems, skipped, heading_says is not None


def _is_header_part(row: SeenRow, lookup: HeaderLookup) -> bool:
    """A row under the header, above every officer, that only words a header would use:
    the translation of a bilingual header, or a second header row of the same columns."""
    return len(row.written) >= MIN_HEADER_MATCHES and all(
        not text.isascii() or lookup.match(text) is not None for text in row.written
    )


def _duplicate_officers(
    rows: Iterable[OfficerRow], matches: Mapping[str, HeaderMatch]
) -> list[Problem]:
    """A problem on every row about an officer an earlier row of the report already lists.

    An officer is known by the employee code; a row without one by its email
    address; a row without either by the name with the designation. Nothing
    is dropped or merged: both rows stay, and the later one says where the
    earlier is.
    """
    rows = list(rows)
    # A key is looked up only where it decides, and kept for the kinds that decide for
    # some row: a report where every officer has a code is never compared by name.
    deciding = {_deciding_kind(row) for row in rows}
    seen: dict[tuple[str, str], OfficerRow] = {}
    problems: list[Problem] = []
    for row in rows:
        keys = _identity_keys(row, deciding)
        repeated = next(
            ((key, seen[key]) for key in keys[:1] if key in seen),
            None,
        )
        for key in keys:
            seen.setdefault(key, row)
        if repeated is None:
            continue
        (kind, _), earlier = repeated
        where = f"is also on row {earlier.row} of sheet '{earlier.sheet}'"
        headers = matches[row.sheet].headers
        if kind == "code":
            message, column, value = (
                f"employee code {row.employee_code} {where}",
                headers.get("employee_code"),
                row.employee_code,
            )
        elif kind == "email":
            message, column, value = (
                f"e-mail {row.email} {where}",
                headers.get("email"),
                row.email,
            )
        else:
            officer = row.name if row.designation is None else f"{row.name}, {row.designation}"
            message, column, value = (
                f"{officer} {where}; give each officer's employee code",
                headers.get("name"),
                row.name,
            )
        problems.append(
            Problem(
                message=message,
                file=row.file,
                sheet=row.sheet,
                row=row.row,
                column=column,
                value=value,
            )
        )
    return problems


def _deciding_kind(row: OfficerRow) -> str:
    """The kind of key that identifies the row's officer: code, else e-mail, else name."""
    return "code" if row.employee_code is not None else "email" if row.email is not None else "name"


def _identity_keys(row: OfficerRow, kinds: Set[str]) -> Sequence[tuple[str, str]]:
    """The keys of `kinds` that identify the row's officer, the one that decides first."""
    keys: list[tuple[str, str]] = []
    if row.employee_code is not None and "code" in kinds:
        keys.append(("code", "".join(row.employee_code.split()).casefold()))
    if row.email is not None and "email" in kinds:
        keys.append(("email", row.email))
    if row.name is not None and "name" in kinds:
        person = normalise.normalise_header(row.name)
        keys.append(("name", f"{person}|{normalise.normalise_header(row.designation)}"))
    return keys


def _sorted_problems(problems: list[Problem], sheet_order: list[str]) -> list[Problem]:
    """Problems in the order a clerk reads the workbook: sheet by sheet, top to bottom."""
    position = {name: index for index, name in enumerate(sheet_order)}
    return sorted(
        problems,
        key=lambda p: (
            position.get(p.sheet or "", len(position)),
            -1 if p.row is None else p.row,
        ),
    )


def _no_table_reason(fmt: ReportFormat) -> str:
    printed = [c for c in fmt.columns if c.field in PRESCRIBED_FIELDS] or list(fmt.columns)
    return (
        f"no table with the columns {', '.join(_header_list(printed))} was found;"
        " please send the report in the prescribed format"
    )


def _header_list(columns: Iterable[Column]) -> list[str]:
    return [c.header for c in columns]
