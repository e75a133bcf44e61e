"""Reads an OpenDocument .ods attachment (LibreOffice Calc) into raw rows, and nothing more.

python-calamine reads the cells (`spreadsheet_calamine`): rows numbered as
Calc shows them (`table:number-rows-repeated` counted) and sheets whose style
says `table:display="false"` marked hidden. For .ods calamine reports neither
hidden rows nor merged ranges, and a hidden row is one the unit meant to leave
out; nor does anything bound what a repeated row expands to before calamine
builds it. So content.xml is first scanned here with defusedxml (which refuses
a DTD, and with it XML bombs and external entities) for its structure only, no
cell's value being decoded: rows and columns with `table:visibility="collapse"`
or `"filter"`, merged ranges (`table:number-columns-spanned`/`-rows-spanned`),
and the cells the sheets hold, repeats and merged areas included, which count
against `max_cells`. Runs of empty rows and cells (Calc ends a sheet with one
element standing for a million empty rows) only advance a counter.

Blank rows are left out, and each row ends at its last value; every row keeps
its number.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from daemon.adapters.spreadsheet_calamine import (
    ARCHIVE_ERRORS,
    DAMAGED,
    EMPTY,
    PASSWORD_PROTECTED,
    Layout,
    Merge,
    SheetLayout,
    read_with_calamine,
    too_many_cells,
)
from daemon.core.models import RawWorkbook
from daemon.errors import UnreadableFile

NOT_ODS = "this file is not an OpenDocument spreadsheet; please send the report as an Excel file"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"

_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"

_SHEET = _TABLE + "table"
_ROW = _TABLE + "table-row"
_COLUMN = _TABLE + "table-column"
_CELL = _TABLE + "table-cell"
_COVERED_CELL = _TABLE + "covered-table-cell"
_HIDDEN = ("collapse", "filter")
_VALUE_TYPE = _OFFICE + "value-type"
_MAX_COLUMNS = 16384

_ARCHIVE_ERRORS = (*ARCHIVE_ERRORS, KeyError)
_MANIFEST = "META-INF/manifest.xml"
_EMPTY_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'
)


def read_ods(
    data: bytes, file_name: str, *, max_cells: int, max_uncompressed_bytes: int
) -> RawWorkbook:
    """Every sheet of an .ods file as raw rows.

    Raises `UnreadableFile` when the bytes are not a readable .ods file, are
    password-protected, unpack to more than `max_uncompressed_bytes` or hold
    more than `max_cells` cells.
    """
    if not data:
        raise UnreadableFile(file_name, EMPTY)
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            _check_archive(archive, file_name, max_cells, max_uncompressed_bytes)
            with archive.open("content.xml") as content:
                layout = _scan(content, file_name, max_cells)
            if _MANIFEST not in archive.namelist():
                data = _with_manifest(archive)
    except UnreadableFile:
        raise
    except (ParseError, DefusedXmlException, *_ARCHIVE_ERRORS) as exc:
        raise UnreadableFile(file_name, DAMAGED) from exc
    return read_with_calamine(data, file_name, layout, max_cells=max_cells, blank_rows=False)


def _with_manifest(archive: zipfile.ZipFile) -> bytes:
    """The package with an empty manifest added, without which calamine does not open it.

    Calc always writes one; files made by other programs (and by hand) may not.
    """
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in archive.infolist():
            target.writestr(info, archive.read(info))
        target.writestr(_MANIFEST, _EMPTY_MANIFEST)
    return out.getvalue()


def _check_archive(
    archive: zipfile.ZipFile, file_name: str, max_cells: int, max_uncompressed_bytes: int
) -> None:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    if "content.xml" not in names:
        raise UnreadableFile(file_name, NOT_ODS)
    # zipfile never returns more bytes than a member declares, so the declared
    # sizes bound what reading can unpack.
    if sum(info.file_size for info in infos) > max_uncompressed_bytes:
        raise UnreadableFile(file_name, too_many_cells(max_cells))
    # A password-protected document lists how each part is encrypted in its manifest.
    if "META-INF/manifest.xml" in names and b"encryption-data" in archive.read(
        "META-INF/manifest.xml"
    ):
        raise UnreadableFile(file_name, PASSWORD_PROTECTED)


@dataclass
class _Sheet:
    """A sheet's structure while its rows are scanned."""

    hidden_rows: set[int] = field(default_factory=set)
    hidden_column_runs: list[tuple[int, int]] = field(default_factory=list)  # (first, count)
    merges: list[Merge] = field(default_factory=list)
    next_row: int = 1
    next_column: int = 0

    def layout(self) -> SheetLayout:
        return SheetLayout(
            hidden_rows=frozenset(self.hidden_rows),
            hidden_columns=frozenset(
                index
                for first, count in self.hidden_column_runs
                for index in range(first, min(first + count, _MAX_COLUMNS))
            ),
            merges=tuple(self.merges),
        )


class _CellBudget:
    """Counts the cells read so far and refuses the file past the limit."""

    def __init__(self, file_name: str, max_cells: int) -> None:
        self.file_name = file_name
        self.max_cells = max_cells
        self.used = 0

    def take(self, cells: int) -> None:
        self.used += cells
        if self.used > self.max_cells:
            raise UnreadableFile(self.file_name, too_many_cells(self.max_cells))


def _scan(content: IO[bytes], file_name: str, max_cells: int) -> Layout:
    """Each sheet's hidden rows and columns and merged ranges, by its place in the workbook."""
    budget = _CellBudget(file_name, max_cells)
    sheets: dict[int, SheetLayout] = {}
    sheet: _Sheet | None = None
    depth = 0  # tables nested in a cell (rare) are not sheets; their rows are passed over
    for event, element in iterparse(content, events=("start", "end")):
        tag = element.tag
        if tag == _SHEET:
            if event == "start":
                depth += 1
                if depth == 1:
                    sheet = _Sheet()
            else:
                depth -= 1
                if depth == 0 and sheet is not None:
                    sheets[len(sheets)] = sheet.layout()
                    sheet = None
                    element.clear()
        elif event != "end":
            continue
        elif tag == _ROW and depth == 1 and sheet is not None:
            _scan_row(element, sheet, budget)
            element.clear()
        elif tag == _COLUMN and depth == 1 and sheet is not None:
            count = _repeat(element, "number-columns-repeated")
            if element.get(_TABLE + "visibility") in _HIDDEN:
                sheet.hidden_column_runs.append((sheet.next_column, count))
            sheet.next_column += count
    return Layout(sheets)


def _scan_row(row: Element, sheet: _Sheet, budget: _CellBudget) -> None:
    repeat = _repeat(row, "number-rows-repeated")
    first = sheet.next_row
    sheet.next_row += repeat
    width = 0
    pending_empty = 0
    merges: list[Merge] = []
    for cell in row:
        if cell.tag not in (_CELL, _COVERED_CELL):
            continue
        count = _repeat(cell, "number-columns-repeated")
        if cell.tag == _CELL and cell.get(_VALUE_TYPE) is None and not len(cell):
            # A run of empty cells costs nothing unless something follows it.
            pending_empty += count
            continue
        budget.take(pending_empty + count)
        width += pending_empty
        pending_empty = 0
        height = _repeat(cell, "number-rows-spanned")
        span = _repeat(cell, "number-columns-spanned")
        if height > 1 or span > 1:
            # Filling a merged range costs a cell per cell it covers.
            budget.take(height * span)
            merges.append(((first - 1, width), (first + height - 2, width + span - 1)))
        width += count
    if not width:
        return  # blank rows only advance the row number
    budget.take(width * (repeat - 1))
    if row.get(_TABLE + "visibility") in _HIDDEN:
        sheet.hidden_rows.update(range(first, first + repeat))
    sheet.merges.extend(merges)


def _repeat(element: Element, attribute: str) -> int:
    try:
        return max(1, int(element.get(_TABLE + attribute, "1")))
    except ValueError:
        return 1
