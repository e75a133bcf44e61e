"""The values the core works on: report formats, raw sheets, officer rows, problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

# The kinds of column a report format can name. Each has its own normaliser.
Field = Literal[
    "serial",
    "employee_code",
    "name",
    "designation",
    "mobile",
    "email",
    "status",
    "completion_date",
    "certificate",
    "remarks",
]
FIELDS: tuple[Field, ...] = get_args(Field)

# The columns that describe an officer, which a prescribed format prints;
# status, dates, certificates and remarks are columns units may add.
PRESCRIBED_FIELDS: frozenset[Field] = frozenset(
    {"serial", "employee_code", "name", "designation", "mobile", "email"}
)

CellValue = str | int | float | bool | None | object


@dataclass(frozen=True)
class Column:
    """One column of a prescribed format: its field, its printed header, what else units call it."""

    field: Field
    header: str
    synonyms: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class ReportFormat:
    """A prescribed report layout, as data: a title and an ordered list of columns."""

    name: str
    title: str
    columns: tuple[Column, ...]

    def column(self, field_name: Field) -> Column | None:
        return next((c for c in self.columns if c.field == field_name), None)


@dataclass(frozen=True, slots=True)
class RawRow:
    """One spreadsheet row as read: its number as the user sees it, and its cell values."""

    number: int
    cells: tuple[CellValue, ...]
    hidden: bool = False


@dataclass(frozen=True)
class RawSheet:
    """One worksheet as read, before any interpretation."""

    name: str
    rows: tuple[RawRow, ...]
    hidden: bool = False
    hidden_columns: frozenset[int] = frozenset()  # 0-based column indexes


@dataclass(frozen=True)
class RawWorkbook:
    """Every sheet of one attachment, as read."""

    file: str
    sheets: tuple[RawSheet, ...]


@dataclass(frozen=True, slots=True)
class OfficerRow:
    """One officer reported by a unit, in normal form."""

    employee_code: str | None
    name: str | None
    designation: str | None
    mobile: str | None
    email: str | None
    completed: bool
    sheet: str
    row: int
    file: str = ""


@dataclass(frozen=True)
class Problem:
    """Something wrong with a report, located as precisely as it can be."""

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self) -> str:
        """The problem in one line a clerk can act on."""
        where = [p for p in (self.file, self.sheet and f"sheet '{self.sheet}'") if p]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(self.column if self.value is None else f"{self.column} '{self.value}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


@dataclass(frozen=True)
class ColumnReading:
    """Which column of a sheet was read as which field, and what decided it."""

    sheet: str
    field: Field
    index: int  # 0-based
    header: str  # as written, or "column F" where the header cell is empty
    signal: str  # "header" or "content"
    detail: str  # what the signal saw, in words: "header 'Contact No'", "9 of 10 values are ..."

    @property
    def letter(self) -> str:
        """The column's letter as a spreadsheet program shows it: A, B, ..., AA."""
        return column_letter(self.index)


@dataclass(frozen=True)
class SkippedRow:
    """Rows below a header that are not officers, and why: totals, notes, signatures, blanks."""

    sheet: str
    row: int
    last_row: int  # the same as `row` for one row; consecutive rows of one reason are one entry
    reason: str


Completion = Literal["status", "evidence", "listed"]
"""What says who completed: a status column, a date or certificate column, or, with
neither, being listed at all (the format asks for completed officers only)."""


@dataclass(frozen=True)
class ParsedReport:
    """What one attachment yielded: officer rows and problems, or why it could not be read."""

    file: str
    readable: bool
    reason: str | None = None
    sheets_used: tuple[str, ...] = ()
    header_rows: dict[str, int] = field(default_factory=dict)
    rows: tuple[OfficerRow, ...] = ()
    problems: tuple[Problem, ...] = ()
    columns: tuple[ColumnReading, ...] = ()
    skipped: tuple[SkippedRow, ...] = ()
    completion: Completion | None = None  # None when unreadable


@dataclass(frozen=True)
class Submission:
    """What one message from a unit contributed to a campaign."""

    key: str  # the message's key
    unit_id: str
    campaign_id: str
    sent_at: datetime  # when the unit sent it (its Date header, else when it arrived)
    received_at: datetime
    files: tuple[str, ...]
    rows: tuple[OfficerRow, ...]
    problems: tuple[Problem, ...]
    listed_files: tuple[str, ...] = ()
    """The files with no column saying who completed, where being listed is what counts."""


@dataclass(frozen=True)
class SubmissionSummary:
    """A submission without its rows: what compliance and the reconciler need of it."""

    key: str
    unit_id: str
    campaign_id: str
    sent_at: datetime
    received_at: datetime
    completed: int  # distinct officers it reports as completed
    problems: int


def column_letter(index: int) -> str:
    """The letter a spreadsheet program gives the 0-based column `index`: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True)
class ReadLimits:
    """How much an attachment may ask of the reader before it is refused as too large."""

    max_attachment_bytes: int = 25 * 1024 * 1024
    max_uncompressed_bytes: int = 128 * 1024 * 1024
    max_cells: int = 2_000_000
    max_files_in_archive: int = 50
