"""Reads an OpenDocument .ods attachment (LibreOffice Calc) into raw rows, and nothing more.

The sheet XML (content.xml) is parsed here with defusedxml rather than
handed to python-calamine. Calamine numbers the rows faithfully, but for .ods
it reports neither hidden rows nor merged ranges, and a hidden row is one the
unit meant to leave out. Reading the XML directly keeps every fact the format
holds: rows numbered as Calc shows them (`table:number-rows-repeated`
counted), merged ranges (`table:number-columns-spanned`/`-rows-spanned`)
filled with their value, rows and columns with `table:visibility="collapse"`
or `"filter"` and sheets whose style says `table:display="false"` marked
hidden. The XML is read as a stream, and runs of empty rows and cells (Calc
ends a sheet with one element standing for a million empty rows) only
advance a counter; the cells read, merged areas included, count against
`max_cells`.

Blank rows are left out; every other row keeps its number.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from daemon.adapters.spreadsheet_xlsx import (
    ARCHIVE_ERRORS,
    DAMAGED,
    EMPTY,
    PASSWORD_PROTECTED,
    too_many_cells,
)
from daemon.core.models import CellValue, RawRow, RawSheet, RawWorkbook
from daemon.errors import UnreadableFile

NOT_ODS = "this file is not an OpenDocument spreadsheet; please send the report as an Excel file"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"

_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"

_SHEET = _TABLE + "table"
_ROW = _TABLE + "table-row"
_COLUMN = _TABLE + "table-column"
_CELL = _TABLE + "table-cell"
_COVERED_CELL = _TABLE + "covered-table-cell"
_STYLE_ELEMENT = _STYLE + "style"
_TABLE_PROPERTIES = _STYLE + "table-properties"
_PARAGRAPHS = (_TEXT + "p", _TEXT + "h")
_HIDDEN = ("collapse", "filter")
_NUMBER_TYPES = ("float", "percentage", "currency")

_ARCHIVE_ERRORS = (*ARCHIVE_ERRORS, KeyError)


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
                sheets = _read_content(content, file_name, max_cells)
    except UnreadableFile:
        raise
    except (ParseError, DefusedXmlException, *_ARCHIVE_ERRORS) as exc:
        raise UnreadableFile(file_name, DAMAGED) from exc
    return RawWorkbook(file=file_name, sheets=tuple(sheets))


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
    """A sheet while its rows are read."""

    name: str
    style: str | None
    rows: dict[int, list[CellValue]] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_column_runs: list[tuple[int, int]] = field(default_factory=list)  # (first, count)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # row, col, rows, cols
    next_row: int = 1
    next_column: int = 0

    def finish(self, hidden_styles: set[str]) -> RawSheet:
        for row, column, height, width in self.merges:
            value = self.rows[row][column]
            for number in range(row, row + height):
                cells = self.rows.get(number)
                if cells is not None:
                    for index in range(column, min(column + width, len(cells))):
                        cells[index] = value
        width = max((len(cells) for cells in self.rows.values()), default=0)
        return RawSheet(
            name=self.name,
            rows=tuple(
                RawRow(number=number, cells=tuple(cells), hidden=number in self.hidden_rows)
                for number, cells in sorted(self.rows.items())
            ),
            hidden=self.style in hidden_styles,
            hidden_columns=frozenset(
                index
                for first, count in self.hidden_column_runs
                for index in range(first, min(first + count, width))
            ),
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


def _read_content(content: IO[bytes], file_name: str, max_cells: int) -> list[RawSheet]:
    budget = _CellBudget(file_name, max_cells)
    hidden_styles: set[str] = set()
    sheets: list[RawSheet] = []
    sheet: _Sheet | None = None
    depth = 0  # tables nested in a cell (rare) are not sheets; their rows are passed over
    for event, element in iterparse(content, events=("start", "end")):
        tag = element.tag
        if tag == _SHEET:
            if event == "start":
                depth += 1
                if depth == 1:
                    sheet = _Sheet(
                        name=element.get(_TABLE + "name", f"Sheet{len(sheets) + 1}"),
                        style=element.get(_TABLE + "style-name"),
                    )
            else:
                depth -= 1
                if depth == 0 and sheet is not None:
                    sheets.append(sheet.finish(hidden_styles))
                    sheet = None
                    element.clear()
        elif event != "end":
            continue
        elif tag == _ROW and depth == 1 and sheet is not None:
            _read_row(element, sheet, budget)
            element.clear()
        elif tag == _COLUMN and depth == 1 and sheet is not None:
            count = _repeat(element, "number-columns-repeated")
            if element.get(_TABLE + "visibility") in _HIDDEN:
                sheet.hidden_column_runs.append((sheet.next_column, count))
            sheet.next_column += count
        elif tag == _STYLE_ELEMENT and _hides_sheet(element):
            hidden_styles.add(element.get(_STYLE + "name", ""))
    return sheets


def _hides_sheet(style: Element) -> bool:
    if style.get(_STYLE + "family") != "table":
        return False
    properties = style.find(_TABLE_PROPERTIES)
    return properties is not None and properties.get(_TABLE + "display") == "false"


def _read_row(row: Element, sheet: _Sheet, budget: _CellBudget) -> None:
    repeat = _repeat(row, "number-rows-repeated")
    first = sheet.next_row
    sheet.next_row += repeat
    cells: list[CellValue] = []
    pending_empty = 0
    merges: list[tuple[int, int, int, int]] = []
    for cell in row:
        if cell.tag not in (_CELL, _COVERED_CELL):
            continue
        count = _repeat(cell, "number-columns-repeated")
        value = _value(cell) if cell.tag == _CELL else None
        if value is None and cell.tag == _CELL:
            # A run of empty cells costs nothing unless something follows it.
            pending_empty += count
            continue
        budget.take(pending_empty + count)
        cells.extend([None] * pending_empty)
        pending_empty = 0
        height = _repeat(cell, "number-rows-spanned")
        width = _repeat(cell, "number-columns-spanned")
        if height > 1 or width > 1:
            # Filling a merged range costs a cell per cell it covers.
            budget.take(height * width)
            merges.append((first, len(cells), height, width))
        cells.extend([value] * count)
    if not cells:
        return  # blank rows only advance the row number
    budget.take(len(cells) * (repeat - 1))
    hidden = row.get(_TABLE + "visibility") in _HIDDEN
    for number in range(first, first + repeat):
        sheet.rows[number] = list(cells)
        if hidden:
            sheet.hidden_rows.add(number)
    sheet.merges.extend(merges)


def _repeat(element: Element, attribute: str) -> int:
    try:
        return max(1, int(element.get(_TABLE + attribute, "1")))
    except ValueError:
        return 1


def _value(cell: Element) -> CellValue:
    kind = cell.get(_OFFICE + "value-type")
    if kind in _NUMBER_TYPES:
        number = _number(cell.get(_OFFICE + "value", ""))
        if number is not None:
            return number
    elif kind == "date":
        date = _date(cell.get(_OFFICE + "date-value", ""))
        if date is not None:
            return date
    elif kind == "boolean":
        return cell.get(_OFFICE + "boolean-value") == "true"
    elif kind == "string" and (written := cell.get(_OFFICE + "string-value")) is not None:
        return str(written)
    text = "\n".join(_text(p) for p in cell if p.tag in _PARAGRAPHS)
    return text or None


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _text(element: Element) -> str:
    """The text of a paragraph as Calc shows it: spans joined, `text:s` as spaces, tabs, breaks."""
    parts: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == _TEXT + "s":
            parts.append(" " * _count(child))
        elif tag == _TEXT + "tab":
            parts.append("\t")
        elif tag == _TEXT + "line-break":
            parts.append("\n")
        elif tag != _OFFICE + "annotation":
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _count(element: Element) -> int:
    try:
        return max(1, min(int(element.get(_TEXT + "c", "1")), 1000))
    except ValueError:
        return 1
