"""Reads an .xlsx or .xlsm attachment into raw rows, and nothing more.

What the cells mean is the report mapper's business (`daemon.core.report_mapper`).
This module checks the archive before anything parses it, and hands the cells
to python-calamine (`spreadsheet_calamine`): cached values (formulas are never
evaluated), merged ranges filled with their value, hidden sheets marked.

Before calamine sees the file, every XML part is read once, as bytes: a part
that declares a DTD (how an XML bomb or an external entity gets in) is
refused, and each sheet's extent, cell count and merged area are bounded by
`max_cells`. The same pass gives what calamine does not report, hidden rows
and columns: `<row r=".." hidden="1">` and `<col min max hidden>`, looked
for only in a sheet whose XML says `hidden=` at all.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from io import BytesIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from daemon.adapters.spreadsheet_calamine import (
    ARCHIVE_ERRORS,
    DAMAGED,
    DEFAULT_MAX_CELLS,
    DEFAULT_MAX_UNCOMPRESSED_BYTES,
    EMPTY,
    PASSWORD_PROTECTED,
    Layout,
    SheetLayout,
    read_with_calamine,
    too_many_cells,
)
from daemon.core.models import RawWorkbook
from daemon.errors import UnreadableFile

__all__ = [
    "ARCHIVE_ERRORS",
    "DAMAGED",
    "EMPTY",
    "NOT_XLSX",
    "OLD_XLS",
    "PASSWORD_PROTECTED",
    "read_xlsx",
    "too_many_cells",
    "workbook_targets",
]

NOT_XLSX = "this file is not an Excel .xlsx workbook; please send the report as .xlsx"
OLD_XLS = "this file is in the old Excel 97-2003 .xls format; please save it as .xlsx and resend"

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
# An encrypted Office document is an OLE file holding these streams.
_ENCRYPTION_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
# Excel never writes a DTD, and a DTD is how an XML bomb or an external entity gets in.
_XML_PARTS = (".xml", ".rels", ".vml")
_DOCTYPE = b"<!DOCTYPE"
_WIDE_DOCTYPES = tuple(
    _DOCTYPE.decode().encode(encoding)
    for encoding in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
_MERGE_REF = re.compile(
    rb'<(?:\w+:)?mergeCell\s+ref="\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?"'
)
# A cell's reference ("C7"), its column and its row; the row tags' own r="7" has no letters.
_CELL_REF = re.compile(rb'\sr="[A-Z]{1,3}\d{1,9}"')
_CELL_COLUMN = re.compile(rb'\sr="([A-Z]{1,3})\d{1,9}"')
_CELL_ROW = re.compile(rb'\sr="[A-Z]{1,3}(\d{1,9})"')
# Excel, Calc and openpyxl write every cell as `<c r="C7" ...>` and every row as
# `<row r="7" ...>`: such a sheet's references are read by the plain pattern below.
_PLAIN_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})\d')
_PLAIN_ROW = re.compile(rb'<c r="[A-Z]{1,3}(\d{1,9})"')
_OTHER_CELL_TAG = re.compile(rb'<c(?! r=")[\s>/]')
_OTHER_ROW_TAG = re.compile(rb'<row(?! r=")[\s>/]')
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_CHUNK = 1 << 20
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\s[^>]*?\bhidden="(?:1|true)"[^>]*>')
_HIDDEN_COL = re.compile(rb'<(?:\w+:)?col\s[^>]*?\bhidden="(?:1|true)"[^>]*>')
_R = re.compile(rb'\br="(\d{1,9})"')
_MIN = re.compile(rb'\bmin="(\d{1,9})"')
_MAX = re.compile(rb'\bmax="(\d{1,9})"')
_SHEET_END = re.compile(rb"</(?:\w+:)?worksheet>\s*$")
_HIDDEN_MARK = re.compile(rb'hidden="(?:1|true)"')

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def read_xlsx(
    data: bytes,
    file_name: str,
    *,
    max_cells: int = DEFAULT_MAX_CELLS,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
) -> RawWorkbook:
    """Every worksheet of an .xlsx or .xlsm file as raw rows.

    Raises `UnreadableFile` when the bytes are not a readable .xlsx workbook
    or hold more than `max_cells` cells.
    """
    _check_container(data, file_name)
    layout = _scan(data, file_name, max_cells, max_uncompressed_bytes)
    return read_with_calamine(data, file_name, layout, max_cells=max_cells)


def _check_container(data: bytes, file_name: str) -> None:
    """Recognise what the bytes are before anything parses them, to say why they will not do."""
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


def _scan(data: bytes, file_name: str, max_cells: int, max_uncompressed_bytes: int) -> Layout:
    """Refuse archives that would take too long or too much memory to open, or declare a DTD;
    and find each sheet's hidden rows and columns.

    Calamine allocates a sheet from its first to its last cell, and filling a
    merged range costs a cell per cell it covers: both are counted here, from
    the cell references, before calamine parses anything.
    """
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise UnreadableFile(file_name, NOT_XLSX)
            if sum(info.file_size for info in infos) > max_uncompressed_bytes:
                raise UnreadableFile(file_name, too_many_cells(max_cells))
            used = 0
            found: dict[str, SheetLayout] = {}
            for info in infos:
                if not info.filename.endswith(_XML_PARTS):
                    continue
                part = archive.read(info)
                if _declares_dtd(part):
                    raise UnreadableFile(file_name, DAMAGED)
                if _is_sheet(info.filename):
                    if not _SHEET_END.search(part[-256:]):
                        # Cut short: calamine would read the rows before the cut as the sheet.
                        raise UnreadableFile(file_name, DAMAGED)
                    used += _area(part)
                    if used > max_cells:
                        raise UnreadableFile(file_name, too_many_cells(max_cells))
                    if _HIDDEN_MARK.search(part):
                        found[info.filename] = _hidden(part)
            if not found:
                return Layout()
            order = _sheet_parts(archive, names)
    except ARCHIVE_ERRORS as exc:
        raise UnreadableFile(file_name, DAMAGED) from exc
    return Layout({index: found[part] for index, part in enumerate(order) if part in found})


def _declares_dtd(part: bytes) -> bool:
    # XML in UTF-16 or UTF-32 has a zero byte among its first four (its "<", or a BOM);
    # a DTD is written in the part's own encoding, or it is no DTD to a parser.
    if b"\x00" in part[:4]:
        return any(declaration in part for declaration in _WIDE_DOCTYPES)
    return _DOCTYPE in part


def _is_sheet(name: str) -> bool:
    """Whether a part is a worksheet's XML (not its relationships)."""
    return name.startswith("xl/worksheets/") and name.count("/") == 2 and name.endswith(".xml")


def _area(sheet_xml: bytes) -> int:
    """How many cells reading the sheet may make: its extent from A1, and its merged ranges."""
    last_row, last_column = _extent(sheet_xml)
    merged = 0
    merges = _MERGE_REF.findall(sheet_xml) if b"mergeCell" in sheet_xml else []
    for first_col, first_row, last_col, end_row in merges:
        if not last_col:
            continue
        left, right = _column_number(first_col), _column_number(last_col)
        top, bottom = int(first_row), int(end_row)
        merged += (abs(right - left) + 1) * (abs(bottom - top) + 1)
        last_row, last_column = max(last_row, top, bottom), max(last_column, left, right)
    return last_row * last_column + merged


def _extent(sheet_xml: bytes) -> tuple[int, int]:
    """The last row and column any cell of the sheet takes."""
    # A tag with a namespace prefix (`<x:c>`) may hide behind ":c"; such a sheet, or one
    # with a cell or row written without its reference first, is read the long way.
    plain = not (
        b":c" in sheet_xml
        or b":row" in sheet_xml
        or _OTHER_CELL_TAG.search(sheet_xml)
        or _OTHER_ROW_TAG.search(sheet_xml)
    )
    row_pattern, column_pattern = (
        (_PLAIN_ROW, _PLAIN_COLUMN) if plain else (_CELL_ROW, _CELL_COLUMN)
    )
    last_row = max(map(int, _distinct(row_pattern, sheet_xml)), default=0)
    last_column = max(map(_column_number, _distinct(column_pattern, sheet_xml)), default=0)
    if not plain:
        # Cells and rows written without a reference take the next place.
        last_row = max(last_row, _count(_ROW_TAG, sheet_xml))
        unreferenced = _count(_CELL_TAG, sheet_xml) - _count(_CELL_REF, sheet_xml)
        last_column = max(last_column, unreferenced)
    return last_row, last_column


# A large sheet holds a million references: they are found a megabyte of XML at a
# time, and only the distinct ones kept, so that the scan takes little memory.
def _distinct(pattern: re.Pattern[bytes], xml: bytes) -> set[bytes]:
    found: set[bytes] = set()
    for start, end in _pieces(xml):
        found.update(pattern.findall(xml, start, end))
    return found


def _count(pattern: re.Pattern[bytes], xml: bytes) -> int:
    return sum(len(pattern.findall(xml, start, end)) for start, end in _pieces(xml))


def _pieces(xml: bytes) -> Iterator[tuple[int, int]]:
    """The XML in pieces of about a megabyte, each ending before a tag (no match is cut)."""
    start, size = 0, len(xml)
    while start < size:
        end = xml.find(b"<", min(start + _CHUNK, size))
        end = size if end < 0 else end
        yield start, end
        start = end


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _hidden(sheet_xml: bytes) -> SheetLayout:
    rows = set()
    for tag in _HIDDEN_ROW.findall(sheet_xml):
        if (number := _R.search(tag)) is not None:
            rows.add(int(number.group(1)))
    columns: set[int] = set()
    for tag in _HIDDEN_COL.findall(sheet_xml):
        first, last = _MIN.search(tag), _MAX.search(tag)
        if first is None:
            continue
        low = int(first.group(1))
        high = int(last.group(1)) if last is not None else low
        # Excel writes max="16384" for "every column from here"; a sheet has no more.
        columns.update(range(max(low, 1) - 1, min(high, 16384)))
    return SheetLayout(hidden_rows=frozenset(rows), hidden_columns=frozenset(columns))


def _sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> list[str | None]:
    """The part of each sheet in workbook order (None for one whose part cannot be found)."""
    workbook_part = "xl/workbook.xml"
    rels_part = "xl/_rels/workbook.xml.rels"
    if workbook_part not in names or rels_part not in names:
        return []
    try:
        workbook = fromstring(archive.read(workbook_part))
        targets = workbook_targets(archive.read(rels_part))
    except (ParseError, DefusedXmlException):
        return []
    return [
        targets.get(sheet.get(f"{{{_REL_NS}}}id"))
        for sheet in workbook.iter(f"{{{_MAIN_NS}}}sheet")
    ]


def workbook_targets(rels_xml: bytes) -> dict[str | None, str]:
    """The part each of the workbook's relationships points to, by its id, as a path in
    the package ("worksheets/sheet1.xml" is "xl/worksheets/sheet1.xml").

    Raises ParseError or DefusedXmlException when the relationships are not XML.
    """
    targets = {}
    for rel in fromstring(rels_xml).iter(f"{{{_PACKAGE_REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[rel.get("Id")] = posixpath.normpath(path)
    return targets
