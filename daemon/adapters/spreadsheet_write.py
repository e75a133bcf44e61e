"""Writes the consolidated workbook.

Everything a unit typed is written as text: a cell that begins with "=" is
stored as a string, never as a formula, and characters a workbook cannot hold
are dropped, so unit input can never run or break anything in this file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from daemon.adapters.files import write_atomically
from daemon.core.clock import moment_or
from daemon.core.consolidate import Consolidation
from daemon.errors import StorageError

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=12)


def _cell(ws: Any, value: object, font: Font | None = None) -> WriteOnlyCell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never "f": unit text is data, not a formula
        if value[:1] in ("=", "+", "-", "@"):
            cell.alignment = Alignment(horizontal="left")
            cell.quotePrefix = True  # keeps it text if someone edits the cell in Excel
    if font is not None:
        cell.font = font
    return cell


# Text openpyxl would not store as plain text ("=..." a formula, "#N/A" an error),
# or that Excel reads as a formula once the cell is edited ("+", "-", "@").
_NOT_PLAIN = ("=", "#", "+", "-", "@")


def _value(ws: Any, value: object) -> object:
    """What to append for one value of an unstyled row: the value itself where openpyxl
    writes it as `_cell` would (anything but text, and text that openpyxl stores as
    text and that holds nothing to remove), else `_cell`'s cell. A cell object costs
    more to build and to write than its value, and a consolidated workbook may have
    a hundred thousand rows."""
    if isinstance(value, str) and (
        value.startswith(_NOT_PLAIN) or ILLEGAL_CHARACTERS_RE.search(value)
    ):
        return _cell(ws, value)
    return value


def _row(ws: Any, values: Iterable[object], font: Font | None = None) -> list[object]:
    if font is None:
        return [_value(ws, v) for v in values]
    return [_cell(ws, v, font) for v in values]


def _widths(ws: Any, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + index)].width = width


def consolidation_bytes(report: Consolidation, tz: Any) -> bytes:
    """The workbook as bytes, to attach to a mail."""
    out = BytesIO()
    _workbook(report, tz).save(out)
    return out.getvalue()


def write_consolidation(report: Consolidation, path: Path, tz: Any) -> None:
    """Write the workbook atomically: readers see the old file or the whole new one."""
    try:
        write_atomically(path, consolidation_bytes(report, tz))
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _workbook(report: Consolidation, tz: Any) -> Workbook:
    wb = Workbook(write_only=True)

    main = wb.create_sheet("Zonal report")
    _widths(
        main,
        [8, 14, 32, 24, 16, 34][: len(report.headers)] + [16] * max(0, len(report.headers) - 6),
    )
    main.append(_row(main, [report.title], _TITLE))
    main.append(_row(main, report.headers, _BOLD))
    for values in report.rows:
        main.append(_row(main, values))

    summary = wb.create_sheet("Summary by unit")
    _widths(summary, [28, 10, 11, 13, 18, 10])
    summary.append(
        _row(
            summary,
            ["Unit", "Strength", "Completed", "Compliance %", "Reported on", "Problems"],
            _BOLD,
        )
    )
    for unit in report.summary:
        summary.append(
            _row(
                summary,
                [
                    unit.name,
                    unit.strength,
                    unit.completed,
                    unit.compliance_pct,
                    moment_or(unit.last_report_at, tz, "not reported"),
                    unit.problems,
                ],
            )
        )
    t = report.totals
    summary.append(
        _row(summary, ["Total", t.strength, t.completed, t.compliance_pct, "", ""], _BOLD)
    )

    exceptions = wb.create_sheet("Exceptions")
    _widths(exceptions, [26, 24, 16, 8, 14, 30, 50])
    exceptions.append(
        _row(exceptions, ["Unit", "File", "Sheet", "Row", "Employee ID", "Name", "Issue"], _BOLD)
    )
    for e in report.exceptions:
        exceptions.append(
            _row(exceptions, [e.unit, e.file, e.sheet, e.row, e.employee_code, e.name, e.issue])
        )

    return wb
