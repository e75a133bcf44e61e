"""Reads an .xlsx attachment into raw rows, and nothing more.

What the cells mean is the report mapper's business (`daemon.core.report_mapper`).
This module only turns bytes into a `RawWorkbook`: every worksheet in
workbook order, every row numbered as Excel shows it, cached values (formulas
are never evaluated), merged ranges filled with their value, and hidden
sheets, rows and columns marked. Whatever goes wrong on the way is turned into
`UnreadableFile` with a reason a clerk can act on.
"""

from __future__ import annotations

import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string

from daemon.core.models import CellValue, RawRow, RawSheet, RawWorkbook
from daemon.errors import UnreadableFile

DEFAULT_MAX_CELLS = 2_000_000
"""More cells than this is not a unit's report; reading it would only tie up the service."""

DEFAULT_MAX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024
"""The most the parts of a workbook may take once unzipped (a guard against zip bombs)."""

EMPTY = "the file is empty"
NOT_XLSX = "this file is not an Excel .xlsx workbook; please send the report as .xlsx"
DAMAGED = "the file is damaged and could not be opened; please save it again and resend"
PASSWORD_PROTECTED = "the file is password-protected; please remove the password and resend"
OLD_XLS = "this file is in the old Excel 97-2003 .xls format; please save it as .xlsx and resend"
BINARY_XLSB = "this file is an Excel binary .xlsb workbook; please save it as .xlsx and resend"

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
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
# An encrypted Office document is an OLE file holding these streams.
_ENCRYPTION_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_MERGE_REF = re.compile(
    rb'<(?:\w+:)?mergeCell\s+ref="\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)"'
)


def read_xlsx(
    data: bytes,
    file_name: str,
    *,
    max_cells: int = DEFAULT_MAX_CELLS,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
) -> RawWorkbook:
    """Every worksheet of an .xlsx file as raw rows.

    Raises `UnreadableFile` when the bytes are not a readable .xlsx workbook
    or hold more than `max_cells` cells.
    """
    _check_container(data, file_name)
    _check_size(data, file_name, max_cells, max_uncompressed_bytes)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about every extension it does not support
            # (data validation lists, slicers...); none matter for reading values.
            warnings.simplefilter("ignore")
            workbook = load_workbook(BytesIO(data), read_only=False, data_only=True)
    except MemoryError:
        raise
    except Exception as exc:
        # openpyxl lets through whatever its zip, XML and styles parsers raise
        # on malformed input (KeyError, ValueError, ParseError, TypeError...).
        raise UnreadableFile(file_name, DAMAGED) from exc
    try:
        too_many = sum(ws.max_row * ws.max_column for ws in workbook.worksheets)
        if too_many > max_cells:
            raise UnreadableFile(file_name, too_many_cells(max_cells))
        sheets = tuple(_read_sheet(ws) for ws in workbook.worksheets)
    finally:
        workbook.close()
    return RawWorkbook(file=file_name, sheets=sheets)


def _check_container(data: bytes, file_name: str) -> None:
    """Recognise what the bytes are before handing them to openpyxl, to say why they will not do."""
    if not data:
        raise UnreadableFile(file_name, EMPTY)
    if data.startswith(_OLE_SIGNATURE):
        # Excel saves a password-protected .xlsx as an encrypted OLE file;
        # an unencrypted OLE file is a .xls (or another Office 97 document).
        encrypted = any(stream in data for stream in _ENCRYPTION_STREAMS)
        named_xlsx = file_name.lower().endswith((".xlsx", ".xlsm"))
        raise UnreadableFile(file_name, PASSWORD_PROTECTED if encrypted or named_xlsx else OLD_XLS)
    if not zipfile.is_zipfile(BytesIO(data)):
        raise UnreadableFile(file_name, DAMAGED if data.startswith(_ZIP_SIGNATURE) else NOT_XLSX)


def _check_size(data: bytes, file_name: str, max_cells: int, max_uncompressed_bytes: int) -> None:
    """Refuse archives that would take too long or too much memory to open.

    Reading a merged range creates one cell per cell it covers, so a few
    bytes of XML can ask for billions of cells; those are counted before
    openpyxl sees them.
    """
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "xl/workbook.bin" in names:
                raise UnreadableFile(file_name, BINARY_XLSB)
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise UnreadableFile(file_name, NOT_XLSX)
            if sum(info.file_size for info in infos) > max_uncompressed_bytes:
                raise UnreadableFile(file_name, too_many_cells(max_cells))
            merged = 0
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    merged += _merged_area(archive.read(info))
            if merged > max_cells:
                raise UnreadableFile(file_name, too_many_cells(max_cells))
    except ARCHIVE_ERRORS as exc:
        raise UnreadableFile(file_name, DAMAGED) from exc


def _merged_area(sheet_xml: bytes) -> int:
    area = 0
    for first_col, first_row, last_col, last_row in _MERGE_REF.findall(sheet_xml):
        columns = column_index_from_string(last_col.decode()) - column_index_from_string(
            first_col.decode()
        )
        rows = int(last_row) - int(first_row)
        area += (abs(columns) + 1) * (abs(rows) + 1)
    return area


def too_many_cells(max_cells: int) -> str:
    return (
        f"the file is too large to be a report (more than {max_cells:,} cells);"
        " please send only the report sheet"
    )


def _read_sheet(ws: Any) -> RawSheet:
    grid: list[list[CellValue]] = [list(values) for values in ws.iter_rows(values_only=True)]
    _fill_merged_ranges(ws, grid)
    hidden_rows = {number for number, dimension in ws.row_dimensions.items() if dimension.hidden}
    return RawSheet(
        name=ws.title,
        rows=tuple(
            RawRow(number=number, cells=tuple(cells), hidden=number in hidden_rows)
            for number, cells in enumerate(grid, start=1)
        ),
        hidden=ws.sheet_state != "visible",
        hidden_columns=frozenset(_hidden_columns(ws, ws.max_column)),
    )


def _fill_merged_ranges(ws: Any, grid: list[list[CellValue]]) -> None:
    """Give every cell of a merged range the value shown in it (the top-left cell's)."""
    for merged in ws.merged_cells.ranges:
        value = ws.cell(row=merged.min_row, column=merged.min_col).value
        for row in range(merged.min_row, min(merged.max_row, len(grid)) + 1):
            cells = grid[row - 1]
            for column in range(merged.min_col, min(merged.max_col, len(cells)) + 1):
                cells[column - 1] = value


def _hidden_columns(ws: Any, width: int) -> Iterator[int]:
    """0-based indexes of the hidden columns that hold cells."""
    for dimension in ws.column_dimensions.values():
        if not dimension.hidden or dimension.min is None:
            continue
        last = min(dimension.max or dimension.min, width)
        yield from range(dimension.min - 1, last)
