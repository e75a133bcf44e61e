"""Reads a .csv attachment into raw rows, and nothing more.

A CSV file has one sheet, named after the file. Every value stays the text
that was written ("098765-43210" keeps its zero; deciding what it means is the
report mapper's business) and an empty field is None. Rows are numbered as a
spreadsheet program shows the file: one row per record, so a quoted field that
holds a line break does not shift the rows below it.

The encoding is the one the file declares with a byte-order mark, else UTF-8,
else UTF-16 when the bytes look like it, else Windows-1252 (what Excel on
Windows writes when asked for "CSV"). The delimiter is sniffed from the first
lines, or given by Excel's own `sep=;` first line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

from daemon.adapters.spreadsheet_xlsx import EMPTY, too_many_cells
from daemon.core.models import CellValue, RawRow, RawSheet, RawWorkbook
from daemon.errors import UnreadableFile

NOT_A_SPREADSHEET = "this file is not a spreadsheet; please send the report as an Excel file"
WEB_PAGE = (
    "this file is a web page or an XML export with a spreadsheet's name;"
    " please open it in Excel, save it as .xlsx and resend"
)

DELIMITERS = ",;\t|"
_SNIFF_LINES = 20
_SNIFF_CHARS = 64 * 1024
# csv.Sniffer takes time that grows faster than the square of its sample (a few
# kilobytes of quotes and commas take seconds); twenty lines of a report fit in this.
_SNIFF_SAMPLE_CHARS = 4 * 1024
# Excel writes (and honours) a first line "sep=;" naming the delimiter; it is not shown as a row.
_EXCEL_SEPARATOR_LINE = re.compile(r"sep=(.)(?:\r\n|\n|\r|\Z)")
# C0 control characters other than tab, line feed and carriage return do not occur in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKUP = re.compile(r"\s*<(?:!doctype\s+html|html|table|\?xml)\b", re.IGNORECASE)


def read_csv(data: bytes, file_name: str, *, max_cells: int) -> RawWorkbook:
    """The one sheet of a CSV file as raw rows of text.

    Raises `UnreadableFile` when the bytes are not text, look like a web page
    or XML rather than CSV, or hold more than `max_cells` cells.
    """
    if not data:
        raise UnreadableFile(file_name, EMPTY)
    text = _decode(data, file_name)
    if not text.strip():
        raise UnreadableFile(file_name, EMPTY)
    if _MARKUP.match(text):
        raise UnreadableFile(file_name, WEB_PAGE)

    delimiter = None
    separator_line = _EXCEL_SEPARATOR_LINE.match(text)
    if separator_line:
        delimiter = separator_line.group(1)
        text = text[separator_line.end() :]
    delimiter = delimiter or _sniff_delimiter(text)

    rows: list[RawRow] = []
    cells = 0
    try:
        for number, record in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            cells += len(record)
            if cells > max_cells:
                raise UnreadableFile(file_name, too_many_cells(max_cells))
            values: tuple[CellValue, ...] = tuple(value if value else None for value in record)
            rows.append(RawRow(number=number, cells=values))
    except csv.Error as exc:
        # Raised for a field over csv.field_size_limit() (128 KiB) and for
        # the odd malformed quoting the reader will not accept.
        raise UnreadableFile(file_name, NOT_A_SPREADSHEET) from exc
    return RawWorkbook(
        file=file_name, sheets=(RawSheet(name=sheet_name(file_name), rows=tuple(rows)),)
    )


def sheet_name(file_name: str) -> str:
    """The name spreadsheet programs give a CSV file's sheet: the file name less its extension."""
    base = re.split(r"[/\\]", file_name)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return stem or "Sheet1"


def _decode(data: bytes, file_name: str) -> str:
    text: str | None = None
    if data.startswith(codecs.BOM_UTF8):
        text = _try_decode(data, "utf-8-sig")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _try_decode(data, "utf-16")
    elif utf16 := _utf16_without_bom(data):
        text = _try_decode(data, utf16)
    else:
        text = _try_decode(data, "utf-8")
        if text is None:
            text = _try_decode(data, "cp1252")
    if text is None or not _is_text(text):
        raise UnreadableFile(file_name, NOT_A_SPREADSHEET)
    return text


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 of mostly Latin text has a NUL in every other byte: on odd bytes LE, on even BE."""
    sample = data[:4096]
    half = len(sample) // 2
    if half == 0:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.4 * half and even <= 0.1 * half:
        return "utf-16-le"
    if even >= 0.4 * half and odd <= 0.1 * half:
        return "utf-16-be"
    return None


def _is_text(text: str) -> bool:
    """Whether decoded bytes read as text: no NUL, and control characters only as rare strays."""
    if "\x00" in text:
        return False
    strays = len(_CONTROL.findall(text.rstrip("\x1a")))  # DOS programs end text with Ctrl-Z
    return strays <= len(text) // 100


def _sniff_delimiter(text: str) -> str:
    # The sniffer stumbles on "\r" line ends and on blank lines, which Excel writes
    # without separators; neither says anything about the delimiter.
    lines = io.StringIO(text[:_SNIFF_CHARS].replace("\r\n", "\n")).readlines()
    sample = "".join(line for line in lines if line.strip())[:_SNIFF_CHARS]
    sample = "".join(io.StringIO(sample).readlines()[:_SNIFF_LINES])
    if len(sample) > _SNIFF_SAMPLE_CHARS:
        cut = sample[:_SNIFF_SAMPLE_CHARS]
        sample = cut[: cut.rfind("\n") + 1] or cut  # whole lines where there are any
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","
