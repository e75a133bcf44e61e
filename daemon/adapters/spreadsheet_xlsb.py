"""Reads an Excel binary .xlsb attachment into raw rows, and nothing more.

python-calamine reads the cells (`spreadsheet_calamine`). Before it does, each
worksheet's record stream ([MS-XLSB] BIFF12: a record's type and length, then
its data) is walked here record by record, every length checked against what
is left, and only the few fields calamine does not report or would trust are
read:

- the row of each row header (BrtRowHdr) and the column of each cell, which
  bound the sheet's extent by `max_cells` (calamine allocates a sheet from its
  first cell to its last: one cell at row 1,000,000, column 16,000 asks for
  16 billion cells, and the failed allocation ends the process);
- rows marked hidden (fDyZero) and hidden column ranges (BrtColInfo);
- merged ranges (BrtMergeCell), which calamine does not give for .xlsb.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from daemon.adapters.spreadsheet_calamine import (
    ARCHIVE_ERRORS,
    DAMAGED,
    EMPTY,
    Layout,
    Merge,
    SheetLayout,
    read_with_calamine,
    too_many_cells,
)
from daemon.adapters.spreadsheet_xlsx import workbook_targets
from daemon.core.models import RawWorkbook
from daemon.errors import UnreadableFile

# Record types ([MS-XLSB] 2.3.2).
_ROW_HEADER = 0x0000
_CELLS = frozenset({*range(0x0001, 0x000C), 0x003E})  # each opens with its column (4 bytes)
_COLUMN_INFO = 0x003C
_MERGE_CELL = 0x00B0
_BUNDLE_SHEET = 0x009C
_END_SHEET = 0x0082
_ROW_HIDDEN = 0x1000  # fDyZero, in the row header's flags
_COLUMN_HIDDEN = 0x0001  # fHidden, in the column information's flags
_MAX_COLUMNS = 16384

# What a damaged package raises: zipfile's errors, a missing part, a part that is not XML.
_DAMAGED_PACKAGE = (*ARCHIVE_ERRORS, KeyError, ParseError, DefusedXmlException)


def read_xlsb(
    data: bytes, file_name: str, *, max_cells: int, max_uncompressed_bytes: int
) -> RawWorkbook:
    """Every worksheet of an .xlsb file as raw rows.

    Raises `UnreadableFile` when the bytes are not a readable .xlsb workbook,
    unpack to more than `max_uncompressed_bytes` or hold more than `max_cells`
    cells.
    """
    if not data:
        raise UnreadableFile(file_name, EMPTY)
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > max_uncompressed_bytes:
                raise UnreadableFile(file_name, too_many_cells(max_cells))
            layouts: dict[int, SheetLayout] = {}
            used = 0
            for index, part in enumerate(_sheet_parts(archive)):
                if part is None:
                    continue
                scan = _scan_sheet(archive.read(part))
                used += scan.area()
                if used > max_cells:
                    raise UnreadableFile(file_name, too_many_cells(max_cells))
                layouts[index] = scan.layout()
    except (*_DAMAGED_PACKAGE, _Truncated) as exc:
        raise UnreadableFile(file_name, DAMAGED) from exc
    return read_with_calamine(data, file_name, Layout(layouts), max_cells=max_cells)


class _Truncated(Exception):
    """A record runs past the end of its sheet: the file was cut short or is damaged."""


@dataclass
class _SheetScan:
    last_row: int = -1  # 0-based, as the records give them
    last_column: int = -1
    hidden_rows: set[int] = field(default_factory=set)  # 1-based row numbers
    hidden_columns: set[int] = field(default_factory=set)  # 0-based
    merges: list[Merge] = field(default_factory=list)

    def area(self) -> int:
        """The cells calamine makes of the sheet, and filling its merged ranges takes."""
        last_row, last_column = self.last_row, self.last_column
        merged = 0
        for (top, left), (bottom, right) in self.merges:
            merged += (bottom - top + 1) * (right - left + 1)
            last_row, last_column = max(last_row, bottom), max(last_column, right)
        return (last_row + 1) * (last_column + 1) + merged

    def layout(self) -> SheetLayout:
        return SheetLayout(
            hidden_rows=frozenset(self.hidden_rows),
            hidden_columns=frozenset(self.hidden_columns),
            merges=tuple(self.merges),
        )


def _scan_sheet(stream: bytes) -> _SheetScan:
    scan = _SheetScan()
    row = 0
    kind = None
    for kind, start, end in _records(stream):
        if kind in _CELLS and end - start >= 4:
            (column,) = struct.unpack_from("<I", stream, start)
            scan.last_column = max(scan.last_column, column)
            scan.last_row = max(scan.last_row, row)
        elif kind == _ROW_HEADER and end - start >= 12:
            (row,) = struct.unpack_from("<I", stream, start)
            (flags,) = struct.unpack_from("<H", stream, start + 10)
            if flags & _ROW_HIDDEN:
                scan.hidden_rows.add(row + 1)
        elif kind == _COLUMN_INFO and end - start >= 18:
            first, last = struct.unpack_from("<II", stream, start)
            (flags,) = struct.unpack_from("<H", stream, start + 16)
            if flags & _COLUMN_HIDDEN:
                scan.hidden_columns.update(range(first, min(last, _MAX_COLUMNS - 1) + 1))
        elif kind == _MERGE_CELL and end - start >= 16:
            top, bottom, left, right = struct.unpack_from("<4I", stream, start)
            if top <= bottom and left <= right:
                scan.merges.append(((top, left), (bottom, right)))
    if kind != _END_SHEET:
        raise _Truncated  # calamine would read the rows before the cut as the whole sheet
    return scan


def _records(stream: bytes) -> Iterator[tuple[int, int, int]]:
    """Each record's type and where its data starts and ends ([MS-XLSB] 2.1.4): the type in
    one or two bytes and the length in one to four, seven bits to a byte."""
    position, size = 0, len(stream)
    while position < size:
        kind, position = _varint(stream, position, 2)
        length, position = _varint(stream, position, 4)
        end = position + length
        if end > size:
            raise _Truncated
        yield kind, position, end
        position = end


def _varint(stream: bytes, position: int, most: int) -> tuple[int, int]:
    value = 0
    for shift in range(0, 7 * most, 7):
        if position >= len(stream):
            raise _Truncated
        byte = stream[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
    return value, position


def _sheet_parts(archive: zipfile.ZipFile) -> list[str | None]:
    """The part of each sheet in workbook order, as calamine numbers them (None for a sheet
    whose part cannot be found), from the workbook's relationships.

    The workbook names its sheets in BrtBundleSh records, each with the id of
    its relationship.
    """
    stream = archive.read("xl/workbook.bin")
    targets = workbook_targets(archive.read("xl/_rels/workbook.bin.rels"))
    parts: list[str | None] = []
    for kind, start, end in _records(stream):
        if kind == _BUNDLE_SHEET and end - start >= 12:
            relationship, _ = _wide_string(stream, start + 8, end)
            parts.append(targets.get(relationship))
    return parts


def _wide_string(stream: bytes, start: int, end: int) -> tuple[str | None, int]:
    """An XLWideString (a count of UTF-16 characters, then the characters) and where it ends;
    None where it does not fit its record."""
    (count,) = struct.unpack_from("<I", stream, start)
    text_end = start + 4 + 2 * count
    if count == 0xFFFFFFFF or text_end > end:
        return None, end
    return stream[start + 4 : text_end].decode("utf-16-le", "replace"), text_end
