"""Real .xlsx files, written with openpyxl, read back the way an attachment is."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from daemon.adapters.spreadsheet_xlsx import read_xlsx
from daemon.adapters.spreadsheets import parse_attachment
from daemon.core.models import OfficerRow, Problem
from daemon.errors import UnreadableFile
from daemon.formats import builtin_formats

UNIT = builtin_formats()["unit-completion-report"]
HEADER = [
    "Sl. No",
    "Employee\nCode",
    "Name of the\nOfficer",
    "Designation",
    "Contact No",
    "Email ID",
]

NOT_XLSX = "this file is not an Excel .xlsx workbook; please send the report as .xlsx"
DAMAGED = "the file is damaged and could not be opened; please save it again and resend"
PASSWORD = "the file is password-protected; please remove the password and resend"


def save(wb: Workbook, path: Path) -> bytes:
    wb.save(path)
    return path.read_bytes()


def rewrite_sheet_xml(data: bytes, change: Callable[[str], str]) -> bytes:
    """The workbook with its worksheet XML edited, as another program might have written it."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(info, content)
    return out.getvalue()


def unit_report(path: Path) -> bytes:
    """A unit's reply as units send them: a letter-head, a merged title, two divisions."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "Division I"
    first["A1"] = "Report reg Completion of Course on Emerging Technologies"
    first.merge_cells("A1:F1")
    first["A2"] = "Chennai North Commissionerate"
    first.append([])
    first.append(HEADER)  # row 4
    first.append([1, 40123, "R.  Selvam", "Superintendent", 9876543210, "R.Selvam@example.gov.in"])
    first.append([2, 40124, "K. Priya", "Inspector", "98765", "k.priya@example.gov.in"])  # row 6
    first.append([3, 40125, "Left Service", "Inspector", None, None])  # row 7, hidden
    first.append([])
    first.append(
        [4, 40126, "M. Rani", "Tax Assistant", "+91 94430 12345", "rani@gmail.example.com"]
    )
    first.row_dimensions[7].hidden = True

    second = wb.create_sheet("Division II")
    second.append(["Emp. Code", "Name", "Mobile No.", "E-mail", "Remarks"])
    second.append([50001, "S. Kumar", 9840012345, "s.kumar@example.nic.in", "on leave"])
    second.append([40123, "R. Selvam", None, None, "also in Division I"])
    return save(wb, path / "Chennai North.xlsx")


def test_read_xlsx_gives_every_sheet_with_rows_numbered_as_excel_shows_them(
    tmp_path: Path,
) -> None:
    raw = read_xlsx(unit_report(tmp_path), "Chennai North.xlsx")

    assert raw.file == "Chennai North.xlsx"
    assert [s.name for s in raw.sheets] == ["Division I", "Division II"]
    first = raw.sheets[0]
    assert [r.number for r in first.rows] == list(range(1, 10))
    title = "Report reg Completion of Course on Emerging Technologies"
    assert first.rows[0].cells == (title,) * 6, "the merged title fills its range"
    assert first.rows[3].cells == tuple(HEADER)
    assert first.rows[4].cells == (
        1,
        40123,
        "R.  Selvam",
        "Superintendent",
        9876543210,
        "R.Selvam@example.gov.in",
    )
    assert [r.number for r in first.rows if r.hidden] == [7]
    assert not first.hidden


def test_parse_report_reads_a_unit_reply_row_by_row(tmp_path: Path) -> None:
    report = parse_attachment(unit_report(tmp_path), "Chennai North.xlsx", UNIT)[0]

    assert report.readable
    assert report.sheets_used == ("Division I", "Division II")
    assert report.header_rows == {"Division I": 4, "Division II": 1}

    def row(sheet: str, number: int, *values: str | None) -> OfficerRow:
        code, name, designation, mobile, email = values
        return OfficerRow(
            code, name, designation, mobile, email, True, sheet, number, "Chennai North.xlsx"
        )

    assert list(report.rows) == [
        row(
            "Division I",
            5,
            "40123",
            "R. Selvam",
            "Superintendent",
            "9876543210",
            "r.selvam@example.gov.in",
        ),
        row("Division I", 6, "40124", "K. Priya", "Inspector", None, "k.priya@example.gov.in"),
        row(
            "Division I",
            9,
            "40126",
            "M. Rani",
            "Tax Assistant",
            "9443012345",
            "rani@gmail.example.com",
        ),
        row("Division II", 2, "50001", "S. Kumar", None, "9840012345", "s.kumar@example.nic.in"),
        row("Division II", 3, "40123", "R. Selvam", None, None, None),
    ]
    assert [p.describe() for p in report.problems] == [
        "Chennai North.xlsx, sheet 'Division I', row 6, Contact No '98765': "
        "a mobile number has 10 digits",
        "Chennai North.xlsx, sheet 'Division II', row 3, Emp. Code '40123': "
        "employee code 40123 is also on row 5 of sheet 'Division I'",
    ]


def test_numbers_written_as_floats_lose_their_decimal_point(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Employee Code", "Name of the Officer", "Contact No"])
    ws.append([40123, "R. Selvam", 9876543210])
    # Programs other than Excel often store whole numbers as "40123.0" or "9.87654321E9".
    data = rewrite_sheet_xml(
        save(wb, tmp_path / "floats.xlsx"),
        lambda xml: xml.replace("<v>40123</v>", "<v>40123.0</v>").replace(
            "<v>9876543210</v>", "<v>9.87654321E9</v>"
        ),
    )

    # The reader gives a whole number as the int a person sees, however the file wrote it.
    raw = read_xlsx(data, "floats.xlsx")
    cells = raw.sheets[0].rows[1].cells
    assert cells == (40123, "R. Selvam", 9876543210)
    assert [type(value) for value in cells] == [int, str, int]

    report = parse_attachment(data, "floats.xlsx", UNIT)[0]
    assert [(r.employee_code, r.mobile) for r in report.rows] == [("40123", "9876543210")]


def test_formulas_give_their_cached_values_and_are_never_evaluated(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Employee Code", "Name of the Officer", "Sl. No"])
    ws.append([40123, "R. Selvam", "=ROW()-1"])
    data = save(wb, tmp_path / "formula.xlsx")
    # openpyxl stores no cached value for a formula it wrote; Excel would.
    raw = read_xlsx(data, "formula.xlsx")
    assert raw.sheets[0].rows[1].cells == (40123, "R. Selvam", None)


def test_hidden_sheets_and_columns_are_marked(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Report"
    ws.append(["Employee Code", "Old Code", "Name of the Officer", "Email ID"])
    ws.append([40123, 123, "R. Selvam", "r.selvam@example.gov.in"])
    ws.column_dimensions["B"].hidden = True
    lists = wb.create_sheet("Lists")
    lists.append(["Designation", "Superintendent"])
    lists.sheet_state = "hidden"

    raw = read_xlsx(save(wb, tmp_path / "hidden.xlsx"), "hidden.xlsx")
    assert [(s.name, s.hidden) for s in raw.sheets] == [("Report", False), ("Lists", True)]
    assert raw.sheets[0].hidden_columns == frozenset({1})


def test_a_workbook_with_only_a_cover_sheet_is_unreadable_with_a_reason(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "Please find the report enclosed."
    report = parse_attachment(save(wb, tmp_path / "letter.xlsx"), "letter.xlsx", UNIT)[0]
    assert not report.readable
    assert report.reason == (
        "no table with the columns Sl. No, Employee Code, Name of the Officer, Designation, "
        "Contact No, Email ID was found; please send the report in the prescribed format"
    )


def _truncated_xlsx(tmp_path: Path) -> bytes:
    wb = Workbook()
    wb.active["A1"] = "x"  # type: ignore[index]
    data = save(wb, tmp_path / "whole.xlsx")
    return data[: len(data) // 2]


def _damaged_member(tmp_path: Path) -> bytes:
    wb = Workbook()
    wb.active["A1"] = "x"  # type: ignore[index]
    return rewrite_sheet_xml(save(wb, tmp_path / "whole.xlsx"), lambda xml: xml[: len(xml) // 2])


def _word_document(tmp_path: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


OLE_HEADER = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)


@pytest.mark.parametrize(
    ("make", "name", "reason"),
    [
        pytest.param(lambda p: b"", "report.xlsx", "the file is empty", id="empty"),
        pytest.param(lambda p: bytes(range(256)) * 20, "report.xlsx", NOT_XLSX, id="random bytes"),
        pytest.param(
            lambda p: b"Sl. No,Employee Code\n1,40123\n", "report.xlsx", NOT_XLSX, id="a csv"
        ),
        pytest.param(lambda p: OLE_HEADER, "report.xlsx", PASSWORD, id="OLE named .xlsx"),
        pytest.param(
            lambda p: OLE_HEADER + "EncryptedPackage".encode("utf-16-le"),
            "report.bin",
            PASSWORD,
            id="encrypted OLE under any name",
        ),
        pytest.param(
            lambda p: OLE_HEADER,
            "report.xls",
            "this file is in the old Excel 97-2003 .xls format; please save it as .xlsx and resend",
            id="an old .xls",
        ),
        pytest.param(_truncated_xlsx, "report.xlsx", DAMAGED, id="truncated zip"),
        pytest.param(_damaged_member, "report.xlsx", DAMAGED, id="broken sheet XML"),
        pytest.param(_word_document, "report.xlsx", NOT_XLSX, id="a Word document"),
    ],
)
def test_unreadable_files_say_why(
    tmp_path: Path, make: Callable[[Path], bytes], name: str, reason: str
) -> None:
    data = make(tmp_path)
    with pytest.raises(UnreadableFile) as raised:
        read_xlsx(data, name)
    assert raised.value.file == name
    assert raised.value.reason == reason


def test_a_workbook_with_more_cells_than_allowed_is_too_large(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for n in range(1, 101):
        ws.append([n, f"Officer {n}", "Inspector"])
    data = save(wb, tmp_path / "big.xlsx")

    assert len(read_xlsx(data, "big.xlsx", max_cells=300).sheets[0].rows) == 100
    with pytest.raises(UnreadableFile, match="the file is too large"):
        read_xlsx(data, "big.xlsx", max_cells=299)


def test_a_huge_merged_range_is_refused_before_it_is_built(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "title"
    ws.merge_cells("A1:B2")
    # A few bytes of XML that would make openpyxl create 17 billion cells.
    data = rewrite_sheet_xml(
        save(wb, tmp_path / "bomb.xlsx"),
        lambda xml: xml.replace('ref="A1:B2"', 'ref="A1:XFD1048576"'),
    )
    with pytest.raises(UnreadableFile, match="the file is too large"):
        read_xlsx(data, "bomb.xlsx")


def test_problems_locate_the_cell_a_clerk_must_fix(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sheet1"
    ws.append(["Compliance report"])
    ws.append(["Employee Code", "Name of the Officer", "Email ID"])
    ws.append([40123, "R. Selvam", "selvam at gov dot in"])
    report = parse_attachment(save(wb, tmp_path / "r.xlsx"), "r.xlsx", UNIT)[0]
    assert report.problems == (
        Problem(
            message="this is not a valid email address",
            file="r.xlsx",
            sheet="Sheet1",
            row=3,
            column="Email ID",
            value="selvam at gov dot in",
        ),
    )
