"""Reads an old Excel 97-2003 .xls attachment into raw rows, and nothing more.

The .xls format is an OLE compound file holding a "Workbook" stream of BIFF
records. python-calamine reads the cells (`spreadsheet_calamine`): rows
numbered as Excel shows them, dates as datetimes, merged ranges filled with
their value, hidden sheets marked. What calamine does not report is read here,
from one pass over the BIFF records before calamine sees the file: a
workbook with a password (FILEPASS), the hidden rows (ROW) and columns
(COLINFO), and each sheet's extent and merged area, which are bounded by
`max_cells` (calamine allocates a sheet's whole extent at once). Other OLE
files (a Word .doc, an encrypted .xlsx) are recognised here too, so that the
reason given says what the file is.
"""

from __future__ import annotations

import io
import struct

from xlrd.compdoc import CompDoc, CompDocError

from daemon.adapters.spreadsheet_calamine import (
    DAMAGED,
    EMPTY,
    PASSWORD_PROTECTED,
    Layout,
    SheetLayout,
    read_with_calamine,
    too_many_cells,
)
from daemon.adapters.spreadsheet_csv import NOT_A_SPREADSHEET
from daemon.core.models import RawWorkbook
from daemon.errors import UnreadableFile

WORD_DOCUMENT = "this is a Word document; please send the report as an Excel file"

# Stream names in an OLE directory are UTF-16-LE. Excel saves a
# password-protected .xlsx as an OLE file holding the first two; Word keeps
# its text in the third.
_ENCRYPTION_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_WORD_STREAM = "WordDocument".encode("utf-16-le")

# BIFF record types.
_BOF, _EOF, _FILEPASS, _BOUNDSHEET = 0x0809, 0x000A, 0x002F, 0x0085
_ROW, _COLINFO, _MERGEDCELLS = 0x0208, 0x007D, 0x00E5
_MULRK, _MULBLANK = 0x00BD, 0x00BE
# Records of one cell, each starting with its row and column.
_CELLS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x0201, 0x00D6, 0x0406})
_ROW_HIDDEN = 0x0020  # ROW.grbit fDyZero
_COLUMN_HIDDEN = 0x0001  # COLINFO.grbit fHidden
_HEADER = struct.Struct("<HH")


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
    stream = _workbook_stream(data, file_name)
    layout = _scan(stream, file_name, max_cells)
    return read_with_calamine(data, file_name, layout, max_cells=max_cells)


def _workbook_stream(data: bytes, file_name: str) -> bytes:
    # xlrd's reader of the OLE container refuses one whose sectors are used twice (a chain
    # that loops back); calamine's follows such a chain until memory runs out.
    try:
        document = CompDoc(data, logfile=io.StringIO())
        stream = document.get_named_stream("Workbook") or document.get_named_stream("Book")
    except MemoryError:
        raise
    except (CompDocError, Exception) as exc:
        # The OLE reader lets through what malformed sectors make it raise
        # (IndexError, struct.error...).
        raise UnreadableFile(file_name, DAMAGED) from exc
    if stream is None:
        reason = WORD_DOCUMENT if _WORD_STREAM in data else NOT_A_SPREADSHEET
        raise UnreadableFile(file_name, reason)
    return bytes(stream)


def _records(stream: bytes, start: int = 0) -> list[tuple[int, int, int]]:
    """(type, offset of the body, length) of each record from `start` to the end of its
    substream (the EOF matching its BOF)."""
    found = []
    depth = 0
    position = start
    end = len(stream)
    unpack = _HEADER.unpack_from
    while position + 4 <= end:
        kind, length = unpack(stream, position)
        body = position + 4
        position = body + length
        if position > end:
            break
        found.append((kind, body, length))
        if kind == _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
    return found


def _scan(stream: bytes, file_name: str, max_cells: int) -> Layout:
    """Refuse a workbook with a password or too many cells; find hidden rows and columns."""
    globals_ = _records(stream)
    if not globals_ or globals_[0][0] != _BOF:
        raise UnreadableFile(file_name, DAMAGED)
    sheet_offsets = []
    for kind, body, length in globals_:
        if kind == _FILEPASS:
            raise UnreadableFile(file_name, PASSWORD_PROTECTED)
        if kind == _BOUNDSHEET and length >= 4:
            sheet_offsets.append(struct.unpack_from("<I", stream, body)[0])
    sheets = {}
    used = 0
    for index, offset in enumerate(sheet_offsets):
        layout, area = _scan_sheet(stream, offset)
        used += area
        if used > max_cells:
            raise UnreadableFile(file_name, too_many_cells(max_cells))
        sheets[index] = layout
    return Layout(sheets)


def _scan_sheet(stream: bytes, offset: int) -> tuple[SheetLayout, int]:
    hidden_rows = set()
    hidden_columns: set[int] = set()
    last_row = last_column = merged = 0
    unpack2 = struct.Struct("<HH").unpack_from
    for kind, body, length in _records(stream, offset) if offset < len(stream) else ():
        if kind in _CELLS and length >= 4:
            row, column = unpack2(stream, body)
            last_row, last_column = max(last_row, row + 1), max(last_column, column + 1)
        elif kind in (_MULRK, _MULBLANK) and length >= 6:
            row, _ = unpack2(stream, body)
            (column,) = struct.unpack_from("<H", stream, body + length - 2)
            last_row, last_column = max(last_row, row + 1), max(last_column, column + 1)
        elif kind == _ROW and length >= 14:
            (row,) = struct.unpack_from("<H", stream, body)
            (flags,) = struct.unpack_from("<H", stream, body + 12)
            if flags & _ROW_HIDDEN:
                hidden_rows.add(row + 1)
        elif kind == _COLINFO and length >= 10:
            first, last = unpack2(stream, body)
            (flags,) = struct.unpack_from("<H", stream, body + 8)
            if flags & _COLUMN_HIDDEN:
                hidden_columns.update(range(first, min(last, 255) + 1))
        elif kind == _MERGEDCELLS and length >= 2:
            (count,) = struct.unpack_from("<H", stream, body)
            for index in range(min(count, (length - 2) // 8)):
                top, bottom, left, right = struct.unpack_from("<HHHH", stream, body + 2 + 8 * index)
                merged += (abs(bottom - top) + 1) * (abs(right - left) + 1)
                last_row = max(last_row, top + 1, bottom + 1)
                last_column = max(last_column, left + 1, right + 1)
    layout = SheetLayout(frozenset(hidden_rows), frozenset(hidden_columns))
    return layout, last_row * last_column + merged
