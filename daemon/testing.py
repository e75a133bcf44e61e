"""Builders for realistic unit replies, for tests (ours and users') and the demo.

They make real things: `.xlsx` workbooks written by openpyxl, MIME messages
built by the standard library, Maildirs on disk.
"""

from __future__ import annotations

import mailbox
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook

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
