"""From the raw rows of a workbook to officer rows and problems, for one report format.

`map_report` is pure: the spreadsheet reader turns an attachment into a
`RawWorkbook`, and everything about what the cells mean is decided here.

On each visible sheet the header row is the row among the first
`HEADER_SEARCH_ROWS` that matches the most columns of the format (at least
two, one of them required); titles and letter-heads above it are ignored,
columns may come in any order and unknown columns are ignored. Every sheet
with a header row contributes its officer rows; a sheet without one (a cover
sheet, instructions) is passed over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from daemon.core import normalise
from daemon.core.models import (
    CellValue,
    Column,
    Field,
    OfficerRow,
    ParsedReport,
    Problem,
    RawRow,
    RawSheet,
    RawWorkbook,
    ReportFormat,
)

HEADER_SEARCH_ROWS = 30
"""The header row is looked for within this many rows from the top of a sheet."""

MIN_HEADER_MATCHES = 2
"""A header row names at least this many of the format's columns."""

# The columns that describe an officer. A prescribed format prints these;
# status, dates and remarks are columns units may add.
_PRESCRIBED_FIELDS: frozenset[Field] = frozenset(
    {"serial", "employee_code", "name", "designation", "mobile", "email"}
)

STATUS_UNCLEAR_MESSAGE = "the status is not clear; write Completed or Not completed"
NAME_MISSING_MESSAGE = "the officer's name is missing"
EMPLOYEE_CODE_MISSING_MESSAGE = "the employee code is missing"
NO_OFFICER_ROWS_MESSAGE = "no officer rows were found below the header row"

_MISSING_VALUE_MESSAGES: Mapping[Field, str] = {
    "name": NAME_MISSING_MESSAGE,
    "employee_code": EMPLOYEE_CODE_MISSING_MESSAGE,
}


@dataclass(frozen=True)
class HeaderMatch:
    """Where a sheet's header row is and which cell holds which column."""

    row: int
    positions: Mapping[Field, int]
    """Field -> 0-based cell index in the sheet's rows."""
    headers: Mapping[Field, str]
    """Field -> the header as written in this sheet, white space collapsed."""

    def has(self, field_name: Field) -> bool:
        return field_name in self.positions

    def cell(self, row: RawRow, field_name: Field) -> CellValue:
        index = self.positions.get(field_name)
        if index is None or index >= len(row.cells):
            return None
        return row.cells[index]


def map_report(workbook: RawWorkbook, fmt: ReportFormat) -> ParsedReport:
    """The officer rows and problems a workbook holds when read as a report in `fmt`."""
    lookup = _header_lookup(fmt)
    matches: list[tuple[RawSheet, HeaderMatch]] = []
    for sheet in workbook.sheets:
        if sheet.hidden:
            continue
        match = find_header(sheet, fmt, lookup)
        if match is not None:
            matches.append((sheet, match))
    if not matches:
        return ParsedReport(file=workbook.file, readable=False, reason=_no_table_reason(fmt))

    rows: list[OfficerRow] = []
    problems: list[Problem] = []
    for sheet, match in matches:
        sheet_rows, sheet_problems = _map_sheet(workbook.file, sheet, match, fmt, lookup)
        rows.extend(sheet_rows)
        problems.extend(sheet_problems)
    problems.extend(_duplicate_codes(rows, {sheet.name: match for sheet, match in matches}))
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
    return ParsedReport(
        file=workbook.file,
        readable=True,
        sheets_used=tuple(sheet.name for sheet, _ in matches),
        header_rows={sheet.name: match.row for sheet, match in matches},
        rows=tuple(rows),
        problems=tuple(_sorted_problems(problems, [sheet.name for sheet, _ in matches])),
    )


def find_header(
    sheet: RawSheet, fmt: ReportFormat, lookup: Mapping[str, Field] | None = None
) -> HeaderMatch | None:
    """The header row of a sheet, or None when no row near the top looks like one.

    The best row is the one naming the most of the format's columns; on a
    tie the upper row wins.
    """
    lookup = _header_lookup(fmt) if lookup is None else lookup
    required = {c.field for c in fmt.columns if c.required}
    best: HeaderMatch | None = None
    for row in sheet.rows:
        if row.number > HEADER_SEARCH_ROWS:
            continue
        match = _match_header_cells(row, sheet.hidden_columns, lookup)
        if not _is_header(match, required):
            continue
        if best is None or len(match.positions) > len(best.positions):
            best = match
    return best


def _header_lookup(fmt: ReportFormat) -> dict[str, Field]:
    """Normalised header text -> field; where two columns share a synonym, the earlier wins."""
    lookup: dict[str, Field] = {}
    for column in fmt.columns:
        for text in (column.header, *column.synonyms):
            key = normalise.normalise_header(text)
            if key:
                lookup.setdefault(key, column.field)
    return lookup


def _match_header_cells(
    row: RawRow, hidden_columns: frozenset[int], lookup: Mapping[str, Field]
) -> HeaderMatch:
    positions: dict[Field, int] = {}
    headers: dict[Field, str] = {}
    for index, value in enumerate(row.cells):
        if index in hidden_columns or not isinstance(value, str):
            continue
        field_name = lookup.get(normalise.normalise_header(value))
        if field_name is not None and field_name not in positions:
            positions[field_name] = index
            headers[field_name] = normalise.cell_text(value) or value
    return HeaderMatch(row=row.number, positions=positions, headers=headers)


def _is_header(match: HeaderMatch, required: set[Field]) -> bool:
    return len(match.positions) >= MIN_HEADER_MATCHES and bool(required & match.positions.keys())


# Rows below the header that are not officer rows. Each test looks at one
# row on its own; the first that applies decides.
RowTest = Callable[[RawRow, HeaderMatch, Mapping[str, Field]], bool]


def _is_hidden(row: RawRow, match: HeaderMatch, lookup: Mapping[str, Field]) -> bool:
    return row.hidden


def _is_blank(row: RawRow, match: HeaderMatch, lookup: Mapping[str, Field]) -> bool:
    return all(normalise.cell_text(value) is None for value in row.cells)


def _is_repeated_header(row: RawRow, match: HeaderMatch, lookup: Mapping[str, Field]) -> bool:
    """The header printed again lower down, as when tables are pasted one under another."""
    repeated = [
        field_name
        for field_name in match.positions
        if isinstance(value := match.cell(row, field_name), str)
        and lookup.get(normalise.normalise_header(value)) == field_name
    ]
    return len(repeated) >= MIN_HEADER_MATCHES


def _is_column_numbering(row: RawRow, match: HeaderMatch, lookup: Mapping[str, Field]) -> bool:
    """The "1 | 2 | 3 | 4 | 5 | 6" row many government formats print under the header."""
    written = [text.strip("()") for value in row.cells if (text := normalise.cell_text(value))]
    if len(written) < 3 or not all(_is_small_number(text) for text in written):
        return False
    first = int(written[0])
    return [int(text) for text in written] == list(range(first, first + len(written)))


def _is_small_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 6


SKIPPED_ROWS: tuple[RowTest, ...] = (
    _is_hidden,
    _is_blank,
    _is_repeated_header,
    _is_column_numbering,
)


@dataclass(frozen=True)
class _Values:
    employee_code: str | None
    name: str | None
    designation: str | None
    mobile: normalise.MobileResult
    email: normalise.EmailResult

    def identifies_an_officer(self) -> bool:
        """Whether the row names an officer: by name, employee code or email (even a bad one)."""
        has_email = self.email.address is not None or self.email.problem is not None
        return self.name is not None or self.employee_code is not None or has_email


def _map_sheet(
    file: str,
    sheet: RawSheet,
    match: HeaderMatch,
    fmt: ReportFormat,
    lookup: Mapping[str, Field],
) -> tuple[list[OfficerRow], list[Problem]]:
    rows: list[OfficerRow] = []
    problems: list[Problem] = []

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

    missing_required = [c for c in fmt.columns if c.required and not match.has(c.field)]
    for column in missing_required:
        problem(f"the {column.header} column is missing", None, None, None)
    checked_required = [f for f in _MISSING_VALUE_MESSAGES if match.has(f)]
    reads_status = fmt.column("status") is not None and match.has("status")

    for raw in sheet.rows:
        if raw.number <= match.row or any(skip(raw, match, lookup) for skip in SKIPPED_ROWS):
            continue
        values = _Values(
            employee_code=normalise.employee_code(match.cell(raw, "employee_code")),
            name=normalise.name(match.cell(raw, "name")),
            designation=normalise.designation(match.cell(raw, "designation")),
            mobile=normalise.mobile(match.cell(raw, "mobile")),
            email=normalise.email(match.cell(raw, "email")),
        )
        if not values.identifies_an_officer():
            continue

        for field_name in checked_required:
            if getattr(values, field_name) is None:
                problem(_MISSING_VALUE_MESSAGES[field_name], raw.number, field_name, None)
        if values.mobile.problem:
            problem(values.mobile.problem, raw.number, "mobile", match.cell(raw, "mobile"))
        if values.email.problem:
            problem(values.email.problem, raw.number, "email", match.cell(raw, "email"))

        completed = True
        if reads_status:
            status = normalise.completion_status(match.cell(raw, "status"))
            if status is None:
                problem(STATUS_UNCLEAR_MESSAGE, raw.number, "status", match.cell(raw, "status"))
            completed = bool(status)

        rows.append(
            OfficerRow(
                employee_code=values.employee_code,
                name=values.name,
                designation=values.designation,
                mobile=values.mobile.number,
                email=values.email.address,
                completed=completed,
                sheet=sheet.name,
                row=raw.number,
                file=file,
            )
        )
    return rows, problems


def _duplicate_codes(
    rows: Iterable[OfficerRow], matches: Mapping[str, HeaderMatch]
) -> list[Problem]:
    """A problem on every row whose employee code an earlier row of the report already has."""
    first: dict[str, OfficerRow] = {}
    problems: list[Problem] = []
    for row in rows:
        if row.employee_code is None:
            continue
        key = "".join(row.employee_code.split()).casefold()
        earlier = first.setdefault(key, row)
        if earlier is row:
            continue
        problems.append(
            Problem(
                message=(
                    f"employee code {row.employee_code} is also on row {earlier.row}"
                    f" of sheet '{earlier.sheet}'"
                ),
                file=row.file,
                sheet=row.sheet,
                row=row.row,
                column=matches[row.sheet].headers.get("employee_code"),
                value=row.employee_code,
            )
        )
    return problems


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
    printed = [c for c in fmt.columns if c.field in _PRESCRIBED_FIELDS] or list(fmt.columns)
    return (
        f"no table with the columns {', '.join(_header_list(printed))} was found;"
        " please send the report in the prescribed format"
    )


def _header_list(columns: Iterable[Column]) -> list[str]:
    return [c.header for c in columns]
