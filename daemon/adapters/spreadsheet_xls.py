"""Reads an old Excel 97-2003 .xls attachment into raw rows, and nothing more.

The .xls format is an OLE compound file; xlrd reads it. Like the .xlsx
reader this module only turns bytes into a `RawWorkbook`: every worksheet in
workbook order, rows numbered as Excel shows them, dates as datetimes, numbers
as the floats Excel stores (the mapper turns 40123.0 into "40123"), merged
ranges filled with their value, and hidden sheets, rows and columns marked.
Other OLE files (a Word .doc, an encrypted .xlsx) are recognised here too, so
that the reason given says what the file is.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Literal

import xlrd
from xlrd.biffh import XLRDError
from xlrd.book import Book
from xlrd.sheet import Cell, Sheet
from xlrd.xldate import XLDateError, xldate_as_datetime

from daemon.adapters.spreadsheet_csv import NOT_A_SPREADSHEET
from daemon.adapters.spreadsheet_xlsx import DAMAGED, EMPTY, PASSWORD_PROTECTED, too_many_cells
from daemon.core.models import CellValue, RawRow, RawSheet, RawWorkbook
from daemon.errors import UnreadableFile

WORD_DOCUMENT = "this is a Word document; please send the report as an Excel file"

# Stream names in an OLE directory are UTF-16-LE. Excel saves a
# password-protected .xlsx as an OLE file holding the first two; Word keeps
# its text in the third.
_ENCRYPTION_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_NO_WORKBOOK_STREAM = "Can't find workbook in OLE2 compound document"
_ENCRYPTED_XLS = "Workbook is encrypted"
_VISIBLE = 0  # xlrd's Sheet.visibility: 0 visible, 1 hidden, 2 "very hidden"


def read_xls(data: bytes, file_name: str, *, max_cells: int) -> RawWorkbook:
    """Every worksheet of an .xls file as raw rows.

    Raises `UnreadableFile` when the bytes are not a readable .xls workbook
    (an encrypted workbook, a Word document, a damaged file) or hold more
    than `max_cells` cells.
    """
    if not data:
        raise UnreadableFile(file_name, EMPTY)
    if any(stream in data for stream in _ENCRYPTION_STREAMS):
        raise UnreadableFile(file_name, PASSWORD_PROTECTED)
    book = _open(data, file_name)
    try:
        sheets = book.sheets()
        if sum(sheet.nrows * sheet.ncols for sheet in sheets) > max_cells:
            raise UnreadableFile(file_name, too_many_cells(max_cells))
        return RawWorkbook(
            file=file_name, sheets=tuple(_read_sheet(sheet, book.datemode) for sheet in sheets)
        )
    finally:
        book.release_resources()


def _open(data: bytes, file_name: str) -> Book:
    log = io.StringIO()  # xlrd writes its warnings about odd files here instead of stdout
    try:
        return xlrd.open_workbook(file_contents=data, formatting_info=True, logfile=log)
    except MemoryError:
        raise
    except XLRDError as exc:
        if _reason(data, str(exc)) != DAMAGED:
            raise UnreadableFile(file_name, _reason(data, str(exc))) from exc
    except Exception:
        pass
    # Some writers produce formatting records xlrd cannot follow; the values
    # are still readable without them (but hidden rows and merges are not).
    try:
        return xlrd.open_workbook(file_contents=data, formatting_info=False, logfile=log)
    except MemoryError:
        raise
    except XLRDError as exc:
        raise UnreadableFile(file_name, _reason(data, str(exc))) from exc
    except Exception as exc:
        # xlrd lets through what its record parsers raise on malformed input
        # (AssertionError, struct.error, IndexError, CompDocError...).
        raise UnreadableFile(file_name, DAMAGED) from exc


def _reason(data: bytes, message: str) -> str:
    if _ENCRYPTED_XLS in message:
        return PASSWORD_PROTECTED
    if _NO_WORKBOOK_STREAM in message:
        return WORD_DOCUMENT if _WORD_STREAM in data else NOT_A_SPREADSHEET
    return DAMAGED


def _read_sheet(sheet: Sheet, datemode: Literal[0, 1]) -> RawSheet:
    grid: list[list[CellValue]] = [
        [_value(cell, datemode) for cell in sheet.row(index)] for index in range(sheet.nrows)
    ]
    for first_row, last_row, first_col, last_col in sheet.merged_cells:
        # xlrd's ranges are half-open: rows first_row..last_row-1.
        if first_row >= len(grid) or first_col >= len(grid[first_row]):
            continue
        value = grid[first_row][first_col]
        for row in grid[first_row : min(last_row, len(grid))]:
            for column in range(first_col, min(last_col, len(row))):
                row[column] = value
    hidden_rows = {index for index, info in sheet.rowinfo_map.items() if info.hidden}
    return RawSheet(
        name=sheet.name,
        rows=tuple(
            RawRow(number=index + 1, cells=tuple(cells), hidden=index in hidden_rows)
            for index, cells in enumerate(grid)
        ),
        hidden=sheet.visibility != _VISIBLE,
        hidden_columns=frozenset(
            index
            for index, info in sheet.colinfo_map.items()
            if info.hidden and index < sheet.ncols
        ),
    )


def _value(cell: Cell, datemode: Literal[0, 1]) -> CellValue:
    kind = cell.ctype
    if kind == xlrd.XL_CELL_TEXT:
        return str(cell.value) or None
    if kind == xlrd.XL_CELL_NUMBER:
        return float(cell.value)
    if kind == xlrd.XL_CELL_DATE:
        return _date(float(cell.value), datemode)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    return None  # empty, blank (formatted but empty) and error cells (#N/A, #REF!...)


def _date(value: float, datemode: Literal[0, 1]) -> datetime | float:
    """A date cell as a datetime; a number Excel could not show as a date stays a number."""
    try:
        return xldate_as_datetime(value, datemode)
    except (XLDateError, ValueError, OverflowError):
        return value
