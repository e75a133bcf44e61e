"""Turns a workbook read by python-calamine into a `RawWorkbook`.

Calamine (Rust) reads the cells of .xlsx, .xlsm, .xls and .ods files. This
module keeps what the mapper needs of them: every worksheet in workbook
order, rows numbered as the spreadsheet program shows them (the leading
empty rows and columns are kept, so a table starting at C7 has its first
cell in row 7 at index 2), empty cells as None, dates as datetimes, merged
ranges filled with the value of their first cell and hidden sheets marked.

What calamine does not give is given by the format's own reader, which
scans the file before calamine sees it (`spreadsheet_xlsx`, `spreadsheet_xls`,
`spreadsheet_ods`): hidden rows and columns, the merged ranges of an .ods,
and the checks that refuse a file before it is parsed. Calamine allocates a
sheet's whole extent at once (a cell at XFD1048576 asks for 17 billion
cells, and the allocation failure ends the process), so those checks must
bound the extent first.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import functools
import platform
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from daemon.core.models import CellValue, RawRow, RawSheet, RawWorkbook, ReadLimits
from daemon.errors import UnreadableFile

# The readers' own defaults are the configuration's (`limits:`), kept in one place.
DEFAULT_MAX_CELLS = ReadLimits().max_cells
DEFAULT_MAX_UNCOMPRESSED_BYTES = ReadLimits().max_uncompressed_bytes

EMPTY = "the file is empty"
DAMAGED = "the file is damaged and could not be opened; please save it again and resend"
PASSWORD_PROTECTED = "the file is password-protected; please remove the password and resend"

# What zipfile raises on a damaged archive: bad headers, bad CRCs, truncated or
# encrypted members, compression methods it does not know.
ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
)

Merge = tuple[tuple[int, int], tuple[int, int]]
# A merged range as calamine gives it, 0-based: (first row, first column), (last row, last column).


def too_many_cells(max_cells: int) -> str:
    return (
        f"the file is too large to be a report (more than {max_cells:,} cells);"
        " please send only the report sheet"
    )


@dataclass(frozen=True)
class SheetLayout:
    """What a format's scan found of one sheet that calamine does not report."""

    hidden_rows: frozenset[int] = frozenset()  # row numbers, 1-based
    hidden_columns: frozenset[int] = frozenset()  # 0-based
    merges: tuple[Merge, ...] | None = None  # None: take calamine's


@dataclass(frozen=True)
class Layout:
    """The scan of a whole workbook: each sheet's layout by its position in the workbook."""

    sheets: dict[int, SheetLayout] = field(default_factory=dict)

    def of(self, index: int) -> SheetLayout:
        return self.sheets.get(index, _NO_LAYOUT)


_NO_LAYOUT = SheetLayout()


def read_with_calamine(
    data: bytes,
    file_name: str,
    layout: Layout,
    *,
    max_cells: int,
    blank_rows: bool = True,
) -> RawWorkbook:
    """Every worksheet of the workbook in `data`, as raw rows.

    `blank_rows=False` leaves out rows with no value and trims every row after
    its last value (as an .ods is read: Calc pads every sheet to 1024 columns).
    Raises `UnreadableFile` when calamine cannot open the workbook.
    """
    try:
        workbook = CalamineWorkbook.from_filelike(BytesIO(data))
    except BaseException as exc:
        if (unreadable := _unreadable(file_name, exc)) is None:
            raise
        raise unreadable from exc
    sheets = []
    used = 0
    with workbook:
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart sheets and macro sheets hold no rows
            try:
                raw, area = _raw_sheet(
                    meta.name, workbook.get_sheet_by_index(index), layout.of(index), blank_rows
                )
            except BaseException as exc:
                if (unreadable := _unreadable(file_name, exc)) is None:
                    raise
                raise unreadable from exc
            used += area
            if used > max_cells:
                raise UnreadableFile(file_name, too_many_cells(max_cells))
            sheets.append(raw if meta.visible == SheetVisibleEnum.Visible else _hidden(raw))
    if used >= _LARGE_WORKBOOK_CELLS:
        _give_back_freed_memory()
    return RawWorkbook(file=file_name, sheets=tuple(sheets))


# Calamine keeps a sheet's cells in C memory while Python copies them. When it frees
# them, the C library keeps the memory for its own later use, which Python's objects
# (from memory of their own) never make: a 100,000-row report would hold 40 MB more
# for the rest of the read. After a large workbook it is given back to the system.
_LARGE_WORKBOOK_CELLS = 200_000


def _give_back_freed_memory() -> None:
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The GNU C library, where it is the one in use (it alone has malloc_trim)."""
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _unreadable(file_name: str, failure: BaseException) -> UnreadableFile | None:
    """Why the file cannot be read, when calamine failed on it; None for a failure that
    is not the file's (an interrupt, a bug of ours).

    Calamine's own errors say the file is damaged or has a password. A damaged
    file can also make its Rust code panic, which pyo3 raises as PanicException:
    a BaseException, so that `except Exception` does not pass over it.
    """
    if isinstance(failure, PasswordError):
        return UnreadableFile(file_name, PASSWORD_PROTECTED)
    if isinstance(failure, CalamineError | ValueError | OSError):
        return UnreadableFile(file_name, DAMAGED)
    if type(failure).__name__ == "PanicException":
        return UnreadableFile(file_name, DAMAGED)
    return None


def _hidden(sheet: RawSheet) -> RawSheet:
    return RawSheet(sheet.name, sheet.rows, hidden=True, hidden_columns=sheet.hidden_columns)


def _raw_sheet(
    name: str, sheet: CalamineSheet, layout: SheetLayout, blank_rows: bool
) -> tuple[RawSheet, int]:
    """One sheet read from calamine, and its area in cells."""
    merges = layout.merges if layout.merges is not None else sheet.merged_cell_ranges or ()
    # Calamine gives each row from the range's first column: the columns to its left
    # are put back, and any rows above it calamine leaves out, so that a cell keeps its
    # place ("C7" is the third cell of row 7).
    corner = sheet.end if sheet.height else None  # the range's last cell, 0-based
    width = corner[1] + 1 if corner else 0
    rows = [_row_values(values, width) for values in sheet.iter_rows()]
    if corner and len(rows) < corner[0] + 1:
        rows[:0] = [[None] * width for _ in range(corner[0] + 1 - len(rows))]
    height = len(rows)
    if merges:
        # A merged range reaches as far as the sheet shows it, even past the last value.
        height = max(height, *(last[0] + 1 for _, last in merges))
        width = max(width, *(last[1] + 1 for _, last in merges))
        for values in rows:
            values.extend([None] * (width - len(values)))
        rows.extend([None] * width for _ in range(height - len(rows)))
        _fill(rows, merges)
    hidden_rows = layout.hidden_rows
    numbered = [
        RawRow(number=number, cells=tuple(values), hidden=number in hidden_rows)
        for number, values in enumerate(rows, start=1)
        if blank_rows or any(value is not None for value in values)
    ]
    if not blank_rows:
        numbered = [_trimmed(row) for row in numbered]
        width = max((len(row.cells) for row in numbered), default=0)
    return (
        RawSheet(
            name=name,
            rows=tuple(numbered),
            hidden_columns=frozenset(c for c in layout.hidden_columns if c < width),
        ),
        height * width,
    )


_DATE, _COMBINE, _MIDNIGHT = dt.date, dt.datetime.combine, dt.time()


def _row_values(values: Sequence[object], width: int) -> list[CellValue]:
    """A row from calamine as the mapper reads it: the cells left of the range first (None),
    then each value; an empty cell None, a whole number an int, a date a datetime."""
    # Calamine gives every number as a float; a whole number is read as the int a
    # person sees ("40101", not "40101.0"), as openpyxl and the CSV reader give it.
    row: list[CellValue] = [None] * (width - len(values))
    row += [
        (int(v) if v.is_integer() else v)
        if type(v) is float
        else None
        if v == ""
        else _COMBINE(v, _MIDNIGHT)
        if type(v) is _DATE
        else v
        for v in values
    ]
    return row


def _fill(rows: list[list[CellValue]], merges: Sequence[Merge]) -> None:
    """Every cell of each merged range takes the value of the range's first cell."""
    merges = [m for m in merges if m[0][0] <= m[1][0] and m[0][1] <= m[1][1]]
    shown = [rows[first[0]][first[1]] for first, _ in merges]
    for ((top, left), (bottom, right)), value in zip(merges, shown, strict=True):
        for values in rows[top : bottom + 1]:
            values[left : right + 1] = [value] * (right + 1 - left)


def _trimmed(row: RawRow) -> RawRow:
    cells = row.cells
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    return RawRow(number=row.number, cells=cells[:end], hidden=row.hidden)
