"""Builders for realistic unit replies, for tests (ours and users') and the demo.

They make real things: `.xlsx` workbooks written by openpyxl, MIME messages
built by the standard library, Maildirs on disk.
"""

from __future__ import annotations

import mailbox
import re
import struct
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import range_boundaries

from daemon.ports import OutgoingMail

UNIT_TITLE = "Report reg Completion of Course on Emerging Technologies"
UNIT_HEADERS = (
    "Sl. No",
    "Employee Code",
    "Name of the Officer",
    "Designation",
    "Contact No",
    "Email ID",
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_GIVEN = (
    "Selvam",
    "Lakshmi",
    "Arun",
    "Meena",
    "Karthik",
    "Priya",
    "Murugan",
    "Divya",
    "Senthil",
    "Kavitha",
    "Rajesh",
    "Anitha",
    "Suresh",
    "Revathi",
    "Vignesh",
    "Deepa",
)
_INITIALS = "RSKMPVANGT"
_POSTS = (
    "Superintendent",
    "Inspector",
    "Assistant Commissioner",
    "Tax Assistant",
    "Havildar",
    "Deputy Commissioner",
    "Executive Assistant",
)


def officers(count: int, first_code: int = 40101) -> list[tuple[object, ...]]:
    """`count` plausible, fake officer rows: code, name, designation, mobile, e-mail."""
    rows: list[tuple[object, ...]] = []
    for i in range(count):
        given = _GIVEN[i % len(_GIVEN)]
        initial = _INITIALS[(i * 7) % len(_INITIALS)]
        code = first_code + i
        rows.append(
            (
                code,
                f"{initial}. {given}",
                _POSTS[i % len(_POSTS)],
                9000000000 + code * 7,
                f"{given.lower()}.{code}@example.gov.in",
            )
        )
    return rows


def report_xlsx(
    rows: Iterable[Sequence[object]],
    headers: Sequence[str] = UNIT_HEADERS,
    title_rows: Sequence[str] = (UNIT_TITLE,),
    sheet: str = "Sheet1",
    numbered: bool = True,
) -> bytes:
    """A unit's report as .xlsx bytes: title rows, a blank row, the header, the rows."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for title in title_rows:
        ws.append([title])
    if title_rows:
        ws.append([])
    ws.append(list(headers))
    for serial, row in enumerate(rows, start=1):
        ws.append([serial, *row] if numbered else list(row))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text a unit typed stays text, even "=1+1"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


_INLINE_TEXT = re.compile(
    rb'<c r="([A-Z]+\d+)"( s="\d+")? t="inlineStr"><is><t>(.*?)</t></is></c>', re.S
)
_SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def with_shared_strings(xlsx: bytes, moved: Callable[[int], bool] = lambda n: True) -> bytes:
    """The workbook with its inline text cells moved to a shared-string table, as Excel has it.

    openpyxl writes text inline; Excel keeps it in xl/sharedStrings.xml. `moved(n)`
    says whether the n-th text cell (from 1) moves; all do unless it says otherwise.
    """
    strings: dict[bytes, int] = {}
    seen = 0

    def shared(match: re.Match[bytes]) -> bytes:
        nonlocal seen
        seen += 1
        if not moved(seen):
            return match.group(0)
        index = strings.setdefault(match.group(3), len(strings))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2) or b"", index)

    out = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = _INLINE_TEXT.sub(shared, data)
            elif info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                    + _SST_TYPE
                    + b'"/></Types>',
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSst" Type="'
                    + _SST_REL
                    + b'" Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(info.filename, data)
        table = b"".join(b"<si><t>%s</t></si>" % text for text in strings)
        target.writestr(
            "xl/sharedStrings.xml",
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            b' count="%d" uniqueCount="%d">%s</sst>' % (len(strings), len(strings), table),
        )
    return out.getvalue()


def ods_package(content: str, manifest: str | None = None) -> bytes:
    """An OpenDocument spreadsheet holding `content` as content.xml (and `manifest`, if
    given), packed as LibreOffice packs one: the mimetype first, uncompressed."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        if manifest is not None:
            archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return out.getvalue()


@dataclass(frozen=True)
class XlsbSheet:
    """One sheet for `xlsb_package`: rows by number (1-based), each from column A (None
    for an empty cell); hidden rows by number, hidden columns by index (0-based), merged
    ranges as "A1:G1"."""

    name: str
    rows: Mapping[int, Sequence[str | float | bool | None]]
    hidden: bool = False
    hidden_rows: Collection[int] = ()
    hidden_columns: Collection[int] = ()
    merges: Sequence[str] = ()


def xlsb_package(sheets: Sequence[XlsbSheet]) -> bytes:
    """An Excel binary workbook (.xlsb) of `sheets`, with the records Excel writes for them
    ([MS-XLSB]): text inline in its cell, numbers as doubles, no styles."""
    book = biff12_record(0x0083) + biff12_record(0x008F)  # BrtBeginBook, BrtBeginBundleShs
    relationships = []
    for number, sheet in enumerate(sheets, start=1):
        state = struct.pack("<II", 1 if sheet.hidden else 0, number)
        book += biff12_record(
            0x009C, state + _wide(f"rId{number}") + _wide(sheet.name)
        )  # BrtBundleSh
        relationships.append(
            f'<Relationship Id="rId{number}" Type="{_RELATIONSHIPS}/worksheet"'
            f' Target="worksheets/sheet{number}.bin"/>'
        )
    book += biff12_record(0x0090) + biff12_record(0x0084)  # BrtEndBundleShs, BrtEndBook
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.bin"'
            ' ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'{_RELS_OPEN}<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument"'
            ' Target="xl/workbook.bin"/></Relationships>',
        )
        archive.writestr("xl/workbook.bin", book)
        archive.writestr(
            "xl/_rels/workbook.bin.rels", _RELS_OPEN + "".join(relationships) + "</Relationships>"
        )
        for number, sheet in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{number}.bin", _xlsb_sheet(sheet))
    return out.getvalue()


_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RELS_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
)


def _xlsb_sheet(sheet: XlsbSheet) -> bytes:
    last_row = max(sheet.rows, default=1) - 1
    last_column = max((len(cells) for cells in sheet.rows.values()), default=1) - 1
    out = biff12_record(0x0081) + biff12_record(
        0x0094, struct.pack("<4I", 0, last_row, 0, last_column)
    )
    if sheet.hidden_columns:
        out += biff12_record(0x0186)  # BrtBeginColInfos
        for column in sorted(sheet.hidden_columns):  # BrtColInfo, fHidden
            out += biff12_record(0x003C, struct.pack("<4IH", column, column, 2304, 0, 0x0001))
        out += biff12_record(0x0187)
    out += biff12_record(0x0091)  # BrtBeginSheetData
    for number in sorted(sheet.rows):
        cells = sheet.rows[number]
        flags = 0x1000 if number in sheet.hidden_rows else 0  # fDyZero
        span = struct.pack("<III", 1, 0, max(len(cells) - 1, 0))
        out += biff12_record(0x0000, struct.pack("<IIHHB", number - 1, 0, 300, flags, 0) + span)
        for column, value in enumerate(cells):
            where = struct.pack("<II", column, 0)
            if isinstance(value, str):
                out += biff12_record(0x0006, where + _wide(value))  # BrtCellSt
            elif isinstance(value, bool):
                out += biff12_record(0x0004, where + struct.pack("<B", value))  # BrtCellBool
            elif value is not None:
                out += biff12_record(0x0005, where + struct.pack("<d", value))  # BrtCellReal
    out += biff12_record(0x0092)  # BrtEndSheetData
    if sheet.merges:
        out += biff12_record(0x00B1, struct.pack("<I", len(sheet.merges)))  # BrtBeginMergeCells
        for merge in sheet.merges:
            left, top, right, bottom = range_boundaries(merge)
            assert None not in (left, top, right, bottom), merge
            out += biff12_record(
                0x00B0, struct.pack("<4I", top - 1, bottom - 1, left - 1, right - 1)
            )
        out += biff12_record(0x00B2)
    return out + biff12_record(0x0082)  # BrtEndSheet


def biff12_record(kind: int, data: bytes = b"") -> bytes:
    """A BIFF12 record: its type and length, seven bits to a byte, then its data."""
    header = bytearray([kind] if kind < 0x80 else [(kind & 0x7F) | 0x80, kind >> 7])
    size = len(data)
    while True:
        header.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return bytes(header) + data


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def reply_message(
    sender: str,
    subject: str,
    attachments: Sequence[tuple[str, bytes]] = (),
    *,
    to: str = "compliance-cell@example.gov.in",
    body: str = "Sir/Madam,\n\nPlease find attached the report.\n\nYours faithfully",
    date: datetime | None = None,
    message_id: str | None = None,
) -> bytes:
    """A unit's reply as raw RFC 5322 bytes, with the given files attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if date is not None:
        msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id or make_msgid(domain="example.gov.in")
    msg.set_content(body)
    for name, data in attachments:
        if name.lower().endswith((".xlsx", ".xlsm")):
            maintype, subtype = XLSX_TYPE.split("/")
        elif name.lower().endswith(".pdf"):
            maintype, subtype = "application", "pdf"
        else:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def make_maildir(path: Path, messages: Iterable[bytes] = ()) -> Path:
    """A Maildir at `path` (created if needed) holding the given messages in new/."""
    box = mailbox.Maildir(path, create=True)
    for raw in messages:
        box.add(raw)
    return path


class FakeSender:
    """A MailSender that records what it is given, and can be told to fail first.

    `failures` is a list of exceptions raised by the next calls, in order; once it
    is empty every call succeeds and the mail is appended to `sent`.
    """

    def __init__(self, failures: Iterable[Exception] = ()) -> None:
        self.sent: list[OutgoingMail] = []
        self.failures = list(failures)

    def send(self, mail: OutgoingMail) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(mail)
