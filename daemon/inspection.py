"""What `anupalan inspect` shows about one parsed report: JSON for programs, text for people."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from daemon.core.models import ColumnReading, OfficerRow, ParsedReport, Problem, SkippedRow


def report_to_json(report: ParsedReport) -> dict[str, object]:
    """The report in the `inspect --json` shape, plus `header_rows` (sheet -> header row number)."""
    return {
        "file": report.file,
        "readable": report.readable,
        "reason": report.reason,
        "sheets_used": list(report.sheets_used),
        "rows": [_row_to_json(row) for row in report.rows],
        "problems": [_problem_to_json(problem) for problem in report.problems],
        "header_rows": dict(report.header_rows),
        "columns": [_column_to_json(column) for column in report.columns],
        "skipped": [_skipped_to_json(skipped) for skipped in report.skipped],
        "completion": report.completion,
    }


def _column_to_json(column: ColumnReading) -> dict[str, object]:
    return {
        "sheet": column.sheet,
        "column": column.letter,
        "header": column.header,
        "field": column.field,
        "signal": column.signal,
        "detail": column.detail,
    }


def _skipped_to_json(skipped: SkippedRow) -> dict[str, object]:
    return {
        "sheet": skipped.sheet,
        "row": skipped.row,
        "last_row": skipped.last_row,
        "reason": skipped.reason,
    }


# What `completion` means, in the words of the acknowledgement and `inspect`.
COMPLETION_SAYS = {
    "status": "the status column says who completed",
    "evidence": "a date of completion or a certificate says who completed",
    "listed": (
        "no column says who completed, so every officer listed counts as completed"
        " (the format lists completed officers only)"
    ),
}


def _row_to_json(row: OfficerRow) -> dict[str, object]:
    return {
        "employee_code": row.employee_code,
        "name": row.name,
        "designation": row.designation,
        "mobile": row.mobile,
        "email": row.email,
        "completed": row.completed,
        "source": {"sheet": row.sheet, "row": row.row},
    }


def _problem_to_json(problem: Problem) -> dict[str, object]:
    return {
        "sheet": problem.sheet,
        "row": problem.row,
        "column": problem.column,
        "value": problem.value,
        "message": problem.message,
    }


_TABLE_HEADINGS = (
    "Sheet",
    "Row",
    "Employee code",
    "Name",
    "Designation",
    "Mobile",
    "Email",
    "Completed",
)


def report_to_text(report: ParsedReport) -> str:
    """The report as aligned plain text for a terminal.

    Cell contents are shown with control characters made visible, so that a
    spreadsheet cannot send escape sequences to the terminal.
    """
    lines = [f"File: {_printable(report.file)}"]
    if not report.readable:
        lines.append(f"Not readable: {_printable(report.reason or 'unknown reason')}")
        return "\n".join(lines) + "\n"

    used = ", ".join(
        f"{_printable(sheet)} (header on row {report.header_rows[sheet]})"
        if sheet in report.header_rows
        else _printable(sheet)
        for sheet in report.sheets_used
    )
    completed = sum(1 for row in report.rows if row.completed)
    lines.append(f"Sheets used: {used}")
    lines.append(
        f"Officers: {len(report.rows)} ({completed} completed)   Problems: {len(report.problems)}"
    )
    if report.completion is not None:
        lines.append(f"Completion: {COMPLETION_SAYS[report.completion]}")
    if report.columns:
        lines.append("")
        lines.append("Columns:")
        lines.extend(
            f"  {line}"
            for line in _table(
                [
                    ("Sheet", "Column", "Header", "Read as", "Decided by"),
                    *(
                        (c.sheet, c.letter, c.header, c.field.replace("_", " "), c.detail)
                        for c in report.columns
                    ),
                ]
            )
        )
    if report.rows:
        lines.append("")
        lines.extend(_table([_TABLE_HEADINGS, *(_row_cells(row) for row in report.rows)]))
    if report.skipped:
        lines.append("")
        lines.append("Rows passed over:")
        lines.extend(f"  {_printable(s.sheet)}, {_rows(s)}: {s.reason}" for s in report.skipped)
    if report.problems:
        lines.append("")
        lines.append("Problems:")
        # The file is named once at the top, so each problem starts at the sheet.
        lines.extend(
            f"  {_printable(replace(problem, file=None).describe())}" for problem in report.problems
        )
    return "\n".join(lines) + "\n"


def _rows(skipped: SkippedRow) -> str:
    if skipped.last_row == skipped.row:
        return f"row {skipped.row}"
    return f"rows {skipped.row}-{skipped.last_row}"


def _row_cells(row: OfficerRow) -> tuple[str, ...]:
    return (
        row.sheet,
        str(row.row),
        row.employee_code or "-",
        row.name or "-",
        row.designation or "-",
        row.mobile or "-",
        row.email or "-",
        "yes" if row.completed else "no",
    )


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    cells = [[_printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    right_aligned = {1}  # row numbers
    lines = []
    for row in cells:
        padded = (
            cell.rjust(width) if i in right_aligned else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        lines.append("  ".join(padded).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


# Characters that change what a terminal shows rather than being shown.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _printable(text: str) -> str:
    text = text.replace("\n", " ").replace("\t", " ")
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS
        else ch
        for ch in text
    )


def reports_to_json(file: str, reports: list[ParsedReport]) -> dict[str, object]:
    """One attachment's reports: a single spreadsheet as `report_to_json`; an archive
    as the same shape over all its files (each row's source naming its file), with
    the per-file detail under `files`."""
    if len(reports) == 1:
        return report_to_json(reports[0])
    readable = [r for r in reports if r.readable]
    return {
        "file": file,
        "readable": bool(readable),
        "reason": None if readable else "; ".join(f"{r.file}: {r.reason}" for r in reports),
        "sheets_used": [f"{r.file}: {sheet}" for r in readable for sheet in r.sheets_used],
        "rows": [
            {**_row_to_json(row), "source": {"file": r.file, "sheet": row.sheet, "row": row.row}}
            for r in readable
            for row in r.rows
        ],
        "problems": [{"file": r.file, **_problem_to_json(p)} for r in readable for p in r.problems],
        "files": [report_to_json(r) for r in reports],
    }


def reports_to_text(reports: list[ParsedReport]) -> str:
    """Each report of an attachment as text, one after another."""
    return "\n\n".join(report_to_text(r) for r in reports)
