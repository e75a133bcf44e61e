"""The mail and workbooks the benchmarks read: unit replies as units send them.

Workbooks are written by openpyxl and then given a shared-string table, as
Excel saves them (openpyxl itself writes every text cell inline); units' files
come from Excel, and that is the form the reader meets most.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bench.harness import SUBJECT, ZONE, UnitSpec
from daemon.testing import (
    UNIT_HEADERS,
    UNIT_TITLE,
    officers,
    reply_message,
    with_shared_strings,
)

IST = ZoneInfo("Asia/Kolkata")


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
