"""The mail and workbooks the benchmarks read: unit replies as units send them.

Workbooks are written by openpyxl and then given a shared-string table, as
Excel saves them (openpyxl itself writes every text cell inline); units' files
come from Excel, and that is the form the reader meets most.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bench.harness import SUBJECT, ZONE, UnitSpec
from daemon.testing import UNIT_HEADERS, UNIT_TITLE, officers, reply_message

IST = ZoneInfo("Asia/Kolkata")
_INLINE = re.compile(
    rb'<c r="([A-Z]+\d+)"( s="\d+")? t="inlineStr"><is><t>(.*?)</t></is></c>', re.S
)
_SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def unit_report(rows: int, first_code: int = 40101) -> bytes:
    """A unit's report as Excel saves it: a title, a blank row, the header, `rows` officers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append([UNIT_TITLE])
    sheet.append([])
    sheet.append(list(UNIT_HEADERS))
    for serial, officer in enumerate(officers(rows, first_code), start=1):
        sheet.append([serial, *officer])
    out = BytesIO()
    workbook.save(out)
    return with_shared_strings(out.getvalue())


def with_shared_strings(xlsx: bytes) -> bytes:
    """The workbook with its inline text cells moved to a shared-string table, as Excel has it."""
    source = zipfile.ZipFile(BytesIO(xlsx))
    strings: dict[bytes, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        index = strings.setdefault(match.group(3), len(strings))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2) or b"", index)

    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = _INLINE.sub(shared, data)
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


XLSX = "report.xlsx"


def reply(unit: UnitSpec, attachment: bytes, n: int, name: str = XLSX) -> bytes:
    """Unit `unit`'s n-th reply, with its report attached."""
    sent = datetime(2023, 4, 10, 9, 0, tzinfo=IST) + timedelta(seconds=n)
    return reply_message(
        unit.email,
        SUBJECT,
        [(name, attachment)],
        to=ZONE,
        date=sent,
        message_id=f"<bench-{n}-{unit.id}@units.example.gov.in>",
    )


def csv_report(rows: int, first_code: int = 40101) -> bytes:
    """A short report as CSV, the cheapest attachment to read."""
    lines = [",".join(UNIT_HEADERS)]
    for serial, officer in enumerate(officers(rows, first_code), start=1):
        lines.append(",".join(str(v) for v in (serial, *officer)))
    return ("\r\n".join(lines) + "\r\n").encode()


def now_in_campaign() -> str:
    """A moment inside the drive, before the deadline: only acknowledgements are due."""
    return "2023-04-20T10:00:00+05:30"
