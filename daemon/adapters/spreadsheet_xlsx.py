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
from io import BytesIO, RawIOBase
from typing import IO, Any
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.cell.text import Text
from openpyxl.packaging.relationship import RelationshipList, get_dependents, get_rels_path
from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
from openpyxl.utils.cell import column_index_from_string
from openpyxl.workbook.child import INVALID_TITLE_REGEX, avoid_duplicate_name
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import (
    CF_TAG,
    COL_BREAK_TAG,
    COL_TAG,
    CUSTOM_VIEWS_TAG,
    EXT_TAG,
    FILTER_TAG,
    FORMAT_TAG,
    HEADER_TAG,
    HYPERLINK_TAG,
    LEGACY_TAG,
    MARGINS_TAG,
    MERGE_TAG,
    PAGE_TAG,
    PRINT_TAG,
    PROPERTIES_TAG,
    PROT_TAG,
    ROW_BREAK_TAG,
    ROW_TAG,
    SCENARIOS_TAG,
    TABLE_TAG,
    VALIDATION_TAG,
    VIEWS_TAG,
    AutoFilter,
    DataValidationList,
    HeaderFooter,
    HyperlinkList,
    MergeCells,
    PageMargins,
    PrintOptions,
    PrintPageSetup,
    ScenarioList,
    SheetFormatProperties,
    SheetViewList,
    TablePartList,
    WorkSheetParser,
    WorksheetProperties,
)
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.dimensions import ColumnDimension, RowDimension
from openpyxl.xml.functions import iterparse as openpyxl_iterparse

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
# Excel never writes a DTD, and a DTD is how an XML bomb or an external entity
# gets in. Parts are refused for one whatever XML parser openpyxl was built
# with: it uses defusedxml only where lxml is not installed.
_XML_PARTS = (".xml", ".rels", ".vml")
_DOCTYPES = tuple(
    "<!DOCTYPE".encode(encoding)
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
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

    Worksheets are streamed: each row is read once from the sheet's XML and
    never held as an openpyxl cell, so a large report takes little memory.
    A workbook whose sheets carry comments, drawings, tables or hyperlinks
    (each of which adds cells to openpyxl's full model) is read through that
    model instead, with the same result.
    """
    _check_container(data, file_name)
    _check_size(data, file_name, max_cells, max_uncompressed_bytes)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about every extension it does not support
            # (data validation lists, slicers...); none matter for reading values.
            warnings.simplefilter("ignore")
            sheets = _read_streaming(data, file_name, max_cells)
    except (UnreadableFile, MemoryError):
        raise
    except Exception as exc:
        # openpyxl lets through whatever its zip, XML and styles parsers raise
        # on malformed input (KeyError, ValueError, ParseError, TypeError...).
        raise UnreadableFile(file_name, DAMAGED) from exc
    if sheets is None:
        return _read_full_model(data, file_name, max_cells)
    return RawWorkbook(file=file_name, sheets=sheets)


def _read_full_model(data: bytes, file_name: str, max_cells: int) -> RawWorkbook:
    """The workbook read through openpyxl's full model (every cell an object)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(BytesIO(data), read_only=False, data_only=True)
    except MemoryError:
        raise
    except Exception as exc:
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
    """Refuse archives that would take too long or too much memory to open, or declare a DTD.

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
                if not info.filename.endswith(_XML_PARTS):
                    continue
                part = archive.read(info)
                if any(declaration in part for declaration in _DOCTYPES):
                    raise UnreadableFile(file_name, DAMAGED)
                if info.filename.startswith("xl/worksheets/"):
                    merged += _merged_area(part)
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


# --------------------------------------------------------------------------- streaming

_CHUNK = 64 * 1024
# The parser is fed a little at a time. Every element parsed from one feed stays
# alive until the loop reads it, and 64 KB of a sheet makes thousands: the young
# collections they outlive move them to the oldest generation, and they set off
# full collections, each over every row read so far. Fed 64 KB at a time, a
# 100,000-row sheet took twice as long to read.
_FEED = 4 * 1024
_MAX_PROLOG = 1024 * 1024
_ROOT_START = re.compile(rb"<[^?!]")
_UTF8_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["'](utf-?8|us-ascii)["']""", re.I)
_XML_DECLARATION_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding", re.I)
_UTF8_BOM = b"\xef\xbb\xbf"
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SI = f"{{{_SHEET_NS}}}si"
_T = f"{{{_SHEET_NS}}}t"
# Parts of a sheet that add cells to openpyxl's full model: those sheets are read through it.
_FULL_MODEL_RELATIONS = ("/comments", "/drawing", "/table", "/vmlDrawing", "/hyperlink")


def _iterparse(source: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """ElementTree's C parser over an XML part, for parts that cannot hold a DTD.

    A part whose prolog declares a DTD (or anything else after "<!"), or that is
    not in UTF-8, goes through the parser openpyxl itself uses (defusedxml's,
    which refuses entity declarations). Without a DTD there are no entities to
    expand, and the C parser is several times faster.
    """
    head = b""
    while True:
        chunk = source.read(_CHUNK)
        head += chunk
        root = _ROOT_START.search(head)
        if root is not None or not chunk or len(head) > _MAX_PROLOG:
            break
    prolog = head[: root.start()] if root is not None else head
    text = prolog.removeprefix(_UTF8_BOM)
    plain = (
        root is not None
        and b"<!" not in prolog
        and b"\x00" not in prolog
        and (_UTF8_DECLARATION.match(text) or not _XML_DECLARATION_ENCODING.match(text))
    )
    if not plain:
        yield from openpyxl_iterparse(_Prefixed(head, source))
        return
    parser: Any = ElementTree.XMLPullParser(events=("end",))
    for start in range(0, len(head), _FEED):
        parser.feed(head[start : start + _FEED])
        yield from parser.read_events()
    while chunk := source.read(_FEED):
        parser.feed(chunk)
        yield from parser.read_events()
    parser.close()
    yield from parser.read_events()


class _Prefixed(RawIOBase):
    """A stream of `head` followed by the rest of `source`."""

    def __init__(self, head: bytes, source: IO[bytes]) -> None:
        self._head, self._source = head, source

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        return self._source.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _shared_strings(source: IO[bytes]) -> list[str]:
    """The shared-string table, as openpyxl reads it (`read_string_table`)."""
    strings = []
    for _, node in _iterparse(source):
        if node.tag == _SI:
            children = list(node)
            if len(children) == 1 and children[0].tag == _T and not len(children[0]):
                text = children[0].text or ""
            else:
                text = Text.from_tree(node).content
            strings.append(text.replace("x005F_", ""))
            node.clear()
    return strings


class _WorkbookReader(ExcelReader):  # type: ignore[misc]
    """openpyxl's read-only workbook reader, with the shared strings read by the C parser.

    Its worksheets are not sized when opened (openpyxl's read-only sheets read
    the whole sheet to find its size when the file does not state it); each
    keeps its relationships, to tell whether it needs the full model.
    """

    def read_strings(self) -> None:
        found = self.package.find(SHARED_STRINGS)
        if found is not None:
            with self.archive.open(found.PartName[1:]) as source:
                self.shared_strings = _shared_strings(source)

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            rels_path = get_rels_path(rel.target)
            relations = RelationshipList()
            if rels_path in self.valid_files:
                relations = get_dependents(self.archive, rels_path)
            ws = _StreamedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            ws.relations = relations
            self.wb._sheets.append(ws)


class _StreamedSheet(ReadOnlyWorksheet):  # type: ignore[misc]
    """A read-only worksheet that is never sized in advance."""

    relations: Any = ()

    def _get_size(self) -> None:
        return None


class _SheetParser(WorkSheetParser):  # type: ignore[misc]
    """openpyxl's worksheet parser, fed by the C parser (see `_iterparse`)."""

    def parse(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        dispatcher = {
            COL_TAG: self.parse_column_dimensions,
            PROT_TAG: self.parse_sheet_protection,
            EXT_TAG: self.parse_extensions,
            CF_TAG: self.parse_formatting,
            LEGACY_TAG: self.parse_legacy,
            ROW_BREAK_TAG: self.parse_row_breaks,
            COL_BREAK_TAG: self.parse_col_breaks,
            CUSTOM_VIEWS_TAG: self.parse_custom_views,
        }
        properties = {
            PRINT_TAG: ("print_options", PrintOptions),
            MARGINS_TAG: ("page_margins", PageMargins),
            PAGE_TAG: ("page_setup", PrintPageSetup),
            HEADER_TAG: ("HeaderFooter", HeaderFooter),
            FILTER_TAG: ("auto_filter", AutoFilter),
            VALIDATION_TAG: ("data_validations", DataValidationList),
            PROPERTIES_TAG: ("sheet_properties", WorksheetProperties),
            VIEWS_TAG: ("views", SheetViewList),
            FORMAT_TAG: ("sheet_format", SheetFormatProperties),
            SCENARIOS_TAG: ("scenarios", ScenarioList),
            TABLE_TAG: ("tables", TablePartList),
            HYPERLINK_TAG: ("hyperlinks", HyperlinkList),
            MERGE_TAG: ("merged_cells", MergeCells),
        }
        for _, element in _iterparse(self.source):
            tag = element.tag
            if tag == ROW_TAG:
                row = self.parse_row(element)
                element.clear()
                yield row
            elif tag in dispatcher:
                dispatcher[tag](element)
                element.clear()
            elif tag in properties:
                name, kind = properties[tag]
                setattr(self, name, kind.from_tree(element))
                element.clear()


def _read_streaming(data: bytes, file_name: str, max_cells: int) -> tuple[RawSheet, ...] | None:
    """The workbook's sheets read row by row, or None when it needs openpyxl's full model."""
    reader = _WorkbookReader(BytesIO(data), read_only=True, data_only=True)
    reader.read()
    workbook = reader.wb
    try:
        if any(_has_full_model_parts(ws) for ws in workbook.worksheets):
            return None
        titles = _titles(workbook)
        sheets = []
        used = 0
        for ws in workbook.worksheets:
            streamed = _stream_sheet(workbook, ws, titles[id(ws)], file_name, max_cells, used)
            if streamed is None:
                return None
            sheet, area = streamed
            used += area
            sheets.append(sheet)
        return tuple(sheets)
    finally:
        workbook.close()


def _has_full_model_parts(ws: Any) -> bool:
    return any(rel.Type.endswith(_FULL_MODEL_RELATIONS) for rel in ws.relations)


def _titles(workbook: Any) -> dict[int, str]:
    """Each worksheet's title as openpyxl's full model names it (checked, duplicates numbered)."""
    titles: dict[int, str] = {}
    names: list[str] = []
    for sheet in workbook._sheets:
        title = sheet.title
        if isinstance(sheet, ReadOnlyWorksheet):
            if not title:
                raise ValueError("Title must have at least one character")
            if INVALID_TITLE_REGEX.search(title):
                raise ValueError(f"invalid character in sheet title {title!r}")
            title = avoid_duplicate_name(names, title)
            titles[id(sheet)] = title
        names.append(title)
    return titles


def _stream_sheet(
    workbook: Any, ws: Any, title: str, file_name: str, max_cells: int, used: int
) -> tuple[RawSheet, int] | None:
    """One sheet as the full model would give it, and its area in cells; None if it has parts
    only the full model reads (hyperlinks, tables).

    `used` is the area of the sheets before it: the workbook is refused as soon as
    the sheets' areas add up to more than `max_cells`.
    """
    cells_left = max_cells - used
    styles = workbook._cell_styles
    style_count = len(styles)
    with ws._get_source() as source:
        parser = _SheetParser(
            source,
            ws._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        grid: dict[int, list[CellValue]] = {}
        max_row = max_col = 0
        for _, cells in parser.parse():
            for cell in cells:
                style = cell["style_id"]
                if style and not -style_count <= style < style_count:
                    raise IndexError(f"cell style {style} is not in the workbook's styles")
                row, column = cell["row"], cell["column"]
                values = grid.get(row)
                if values is None:
                    values = grid[row] = []
                if column > len(values):
                    values.extend([None] * (column - len(values)))
                values[column - 1] = cell["value"]
                if column > max_col or row > max_row:
                    max_row, max_col = max(max_row, row), max(max_col, column)
                    if max_row * max_col > cells_left:
                        raise UnreadableFile(file_name, too_many_cells(max_cells))
    if parser.hyperlinks.hyperlink or parser.tables.tablePart:
        return None
    for cf in parser.formatting:
        for rule in cf.rules:
            if rule.dxfId is not None:
                workbook._differential_styles[rule.dxfId]
    merged = (
        [CellRange(cr.ref) for cr in parser.merged_cells.mergeCell] if parser.merged_cells else []
    )
    # The full model shows rows once a sheet has a cell; a merged range makes its first cell.
    has_rows = bool(grid) or bool(merged)
    for cells_range in merged:
        max_row, max_col = max(max_row, cells_range.max_row), max(max_col, cells_range.max_col)
    area = max(max_row, 1) * max(max_col, 1)
    if area > cells_left:
        raise UnreadableFile(file_name, too_many_cells(max_cells))
    rows: list[list[CellValue]] = []
    if has_rows:
        empty: list[CellValue] = []
        for number in range(1, max_row + 1):
            values = grid.pop(number, empty)
            rows.append(values + [None] * (max_col - len(values)))
        _fill_merged(merged, rows)
    hidden_rows = _hidden_rows(ws, workbook, parser.row_dimensions)
    return (
        RawSheet(
            name=title,
            rows=tuple(
                RawRow(number=number, cells=tuple(cells), hidden=number in hidden_rows)
                for number, cells in enumerate(rows, start=1)
            ),
            hidden=ws.sheet_state != "visible",
            hidden_columns=frozenset(
                _hidden_column_indexes(ws, workbook, parser.column_dimensions, max(max_col, 1))
            ),
        ),
        area,
    )


def _fill_merged(merged: list[Any], rows: list[list[CellValue]]) -> None:
    """As the full model: the cells a range covers, but the first, are emptied; then every cell
    of each range takes the value of the range's first cell."""
    for cells_range in merged:
        first = True
        for row in range(cells_range.min_row, cells_range.max_row + 1):
            for column in range(cells_range.min_col, cells_range.max_col + 1):
                if not first:
                    rows[row - 1][column - 1] = None
                first = False
    shown = [rows[r.min_row - 1][r.min_col - 1] for r in merged]
    for cells_range, value in zip(merged, shown, strict=True):
        for row in range(cells_range.min_row, cells_range.max_row + 1):
            cells = rows[row - 1]
            for column in range(cells_range.min_col, cells_range.max_col + 1):
                cells[column - 1] = value


def _hidden_rows(ws: Any, workbook: Any, dimensions: dict[str, dict[str, Any]]) -> set[int]:
    hidden = set()
    for number, attributes in dimensions.items():
        attributes = dict(attributes)
        if "s" in attributes:
            attributes["s"] = workbook._cell_styles[int(attributes["s"])]
        if RowDimension(ws, **attributes).hidden:
            hidden.add(int(number))
    return hidden


def _hidden_column_indexes(
    ws: Any, workbook: Any, dimensions: dict[str, dict[str, Any]], width: int
) -> Iterator[int]:
    for attributes in dimensions.values():
        attributes = dict(attributes)
        if "style" in attributes:
            attributes["style"] = workbook._cell_styles[int(attributes["style"])]
        dimension = ColumnDimension(ws, **attributes)
        if not dimension.hidden or dimension.min is None:
            continue
        last = min(dimension.max or dimension.min, width)
        yield from range(dimension.min - 1, last)
