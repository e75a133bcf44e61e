"""Real .xls, .csv, .ods and .zip files, and files that are not reports, read as attachments.

Each file is written to disk laid out as the program that makes such files
lays it out (xlwt for .xls, openpyxl for .xlsx, the .ods zip by hand), and
read back through `parse_attachment`, which recognises the format from the
content, whatever the file is called.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest
import xlwt
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from daemon.adapters.spreadsheets import parse_attachment, read_attachment
from daemon.core.models import OfficerRow, ParsedReport, RawWorkbook, ReadLimits
from daemon.errors import UnreadableFile
from daemon.formats import builtin_formats
from daemon.testing import XlsbSheet, biff12_record, ods_package, xlsb_package

UNIT = builtin_formats()["unit-completion-report"]
HEADER = ["Sl. No", "Employee Code", "Name of the Officer", "Designation", "Contact No", "Email ID"]
TITLE = "Report reg Completion of Course on Emerging Technologies"

EMPTY = "the file is empty"
DAMAGED = "the file is damaged and could not be opened; please save it again and resend"
PASSWORD = "the file is password-protected; please remove the password and resend"
NOT_A_SPREADSHEET = "this file is not a spreadsheet; please send the report as an Excel file"
WORD = "this is a Word document; please send the report as an Excel file"
PDF = (
    "this is a PDF file (perhaps a scanned copy); anupalan needs the Excel file itself"
    " — please send the report as .xlsx"
)
IMAGE = (
    "this is an image (perhaps a photo or a scan of the report);"
    " please send the report as an Excel file"
)
NO_SPREADSHEET_IN_ZIP = "the .zip file holds no spreadsheet"


def officer(
    file: str,
    sheet: str,
    row: int,
    code: str | None,
    name: str | None,
    designation: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
) -> OfficerRow:
    return OfficerRow(code, name, designation, mobile, email, True, sheet, row, file)


def only(reports: list[ParsedReport]) -> ParsedReport:
    assert len(reports) == 1, reports
    return reports[0]


def write(path: Path, data: bytes) -> bytes:
    path.write_bytes(data)
    return path.read_bytes()


# --- .xls, written by xlwt as Excel 97-2003 would ---------------------------------------


def xls_report(path: Path) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Division I")
    sheet.write_merge(0, 0, 0, 6, TITLE)  # row 1, merged A1:G1
    sheet.write(1, 0, "Chennai North Commissionerate")
    for column, header in enumerate([*HEADER, "Date of Completion"]):
        sheet.write(3, column, header)  # row 4
    dated = xlwt.easyxf(num_format_str="DD-MM-YYYY")
    rows = [
        (1, 40123, "R. Selvam", "Superintendent", 9876543210.0, "r.selvam@example.gov.in"),
        (2, 40124, "K. Priya", "Inspector", "98765", "k.priya@example.gov.in"),
        (3, 40125, "Left Service", "Inspector", None, None),  # row 7, hidden
        (4, "04126", "M. Rani", "Tax Assistant", "+91 94430 12345", "rani@gmail.example.com"),
    ]
    for index, values in enumerate(rows, start=4):
        for column, value in enumerate(values):
            if value is not None:
                sheet.write(index, column, value)
        sheet.write(index, 6, datetime(2023, 4, 17 + index), dated)
    sheet.row(6).hidden = True
    sheet.col(7).hidden = True
    sheet.write(4, 7, "old code")
    lists = book.add_sheet("Lists")
    lists.write(0, 0, "Designation")
    lists.write(0, 1, "Employee Code")
    lists.write(1, 1, 1)
    lists.visibility = 1  # hidden
    book.save(str(path))
    return path.read_bytes()


def test_an_xls_file_is_read_with_rows_numbered_as_excel_shows_them(tmp_path: Path) -> None:
    (raw,) = read_attachment(xls_report(tmp_path / "North.xls"), "North.xls")

    assert [(s.name, s.hidden) for s in raw.sheets] == [("Division I", False), ("Lists", True)]
    first = raw.sheets[0]
    assert [r.number for r in first.rows] == list(range(1, 9))
    assert first.rows[0].cells[:7] == (TITLE,) * 7, "the merged title fills its range"
    assert first.rows[4].cells[:7] == (
        1.0,
        40123.0,
        "R. Selvam",
        "Superintendent",
        9876543210.0,
        "r.selvam@example.gov.in",
        datetime(2023, 4, 21),
    )
    assert [r.number for r in first.rows if r.hidden] == [7]
    assert first.hidden_columns == frozenset({7})


def north_officers(file: str) -> list[OfficerRow]:
    """The officers of the North report, read from `file`: row 7 is hidden."""
    return [
        officer(
            file, "Division I", 5, "40123", "R. Selvam", "Superintendent", "9876543210",
            "r.selvam@example.gov.in",
        ),
        officer(
            file, "Division I", 6, "40124", "K. Priya", "Inspector", None, "k.priya@example.gov.in"
        ),
        officer(
            file, "Division I", 8, "04126", "M. Rani", "Tax Assistant", "9443012345",
            "rani@gmail.example.com",
        ),
    ]  # fmt: skip


def test_an_xls_report_gives_its_officers_row_by_row(tmp_path: Path) -> None:
    report = only(parse_attachment(xls_report(tmp_path / "North.xls"), "North.xls", UNIT))

    assert report.readable
    assert report.sheets_used == ("Division I",)
    assert report.header_rows == {"Division I": 4}
    assert list(report.rows) == north_officers("North.xls")
    assert [p.describe() for p in report.problems] == [
        "North.xls, sheet 'Division I', row 6, Contact No '98765': a mobile number has 10 digits"
    ]


def test_an_xls_file_is_recognised_by_its_content_whatever_its_name(tmp_path: Path) -> None:
    data = xls_report(tmp_path / "North.xls")
    assert only(parse_attachment(data, "report.xlsx", UNIT)).readable
    assert only(parse_attachment(data, "report", UNIT)).readable


def _xls_with_bytes_replaced(path: Path, old: bytes, new: bytes) -> bytes:
    book = xlwt.Workbook()
    book.add_sheet("Sheet1").write(0, 0, "x")
    book.save(str(path))
    data = path.read_bytes()
    assert data.count(old) == 1
    return data.replace(old, new)


def test_an_encrypted_xls_and_a_word_document_say_what_they_are(tmp_path: Path) -> None:
    # xlwt writes the CODEPAGE record (1200: UTF-16); as a FILEPASS record, it
    # is what Excel writes at that place for a workbook with a password.
    encrypted = _xls_with_bytes_replaced(
        tmp_path / "locked.xls", b"\x42\x00\x02\x00\xb0\x04", b"\x2f\x00\x02\x00\xb0\x04"
    )
    assert only(parse_attachment(encrypted, "locked.xls", UNIT)).reason == PASSWORD

    # The same OLE file with its "Workbook" stream called "WordDocument", as in a .doc.
    word = _xls_with_bytes_replaced(
        tmp_path / "letter.xls",
        "Workbook".encode("utf-16-le") + bytes(48) + b"\x12\x00",
        "WordDocument".encode("utf-16-le") + bytes(40) + b"\x1a\x00",
    )
    assert only(parse_attachment(word, "letter.doc", UNIT)).reason == WORD


def test_an_xls_whose_sector_chain_loops_is_damaged_not_read(tmp_path: Path) -> None:
    """An OLE file whose directory's chain of sectors leads back to itself: calamine's
    reader of the container would follow it until memory ran out and the process ended
    (found by the fuzzer); the container is checked first and the file refused."""
    book = xlwt.Workbook()
    book.add_sheet("Sheet1").write(0, 0, "x")
    book.save(str(tmp_path / "loop.xls"))
    data = bytearray((tmp_path / "loop.xls").read_bytes())
    directory = struct.unpack_from("<I", data, 0x30)[0]  # the directory's first sector
    allocation = struct.unpack_from("<I", data, 0x4C)[0]  # the first sector of the FAT
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    struct.pack_into("<I", data, sector_size * (allocation + 1) + 4 * directory, directory)

    assert only(parse_attachment(bytes(data), "loop.xls", UNIT)).reason == DAMAGED


# --- .xlsb, the records Excel writes for a binary workbook --------------------------------

XLSB_ROWS: dict[int, list[str | float | None]] = {
    1: [TITLE],  # merged A1:F1
    2: ["Chennai North Commissionerate"],
    4: HEADER,
    5: [1, 40123, "R. Selvam", "Superintendent", 9876543210.0, "r.selvam@example.gov.in", "x"],
    6: [2, 40124, "K. Priya", "Inspector", "98765", "k.priya@example.gov.in"],
    7: [3, 40125, "Left Service", "Inspector"],  # hidden
    8: [4, "04126", "M. Rani", "Tax Assistant", "+91 94430 12345", "rani@gmail.example.com"],
}


def xlsb_report(rows: dict[int, list[str | float | None]] = XLSB_ROWS) -> bytes:
    return xlsb_package(
        [
            XlsbSheet("Division I", rows, hidden_rows={7}, hidden_columns={6}, merges=["A1:F1"]),
            XlsbSheet("Lists", {1: ["Designation", "Employee Code"], 2: [None, 1]}, hidden=True),
        ]
    )


def test_an_xlsb_file_is_read_with_rows_numbered_as_excel_shows_them() -> None:
    (raw,) = read_attachment(xlsb_report(), "North.xlsb")

    assert [(s.name, s.hidden) for s in raw.sheets] == [("Division I", False), ("Lists", True)]
    first = raw.sheets[0]
    assert [r.number for r in first.rows] == list(range(1, 9))
    assert first.rows[0].cells[:6] == (TITLE,) * 6, "the merged title fills its range"
    assert first.rows[4].cells == (
        1, 40123, "R. Selvam", "Superintendent", 9876543210, "r.selvam@example.gov.in", "x"
    )  # fmt: skip
    assert [r.number for r in first.rows if r.hidden] == [7]
    assert first.hidden_columns == frozenset({6})


def test_an_xlsb_report_gives_its_officers_row_by_row() -> None:
    report = only(parse_attachment(xlsb_report(), "North.xlsb", UNIT))

    assert report.readable
    assert report.header_rows == {"Division I": 4}
    assert list(report.rows) == north_officers("North.xlsb")
    assert [p.describe() for p in report.problems] == [
        "North.xlsb, sheet 'Division I', row 6, Contact No '98765': a mobile number has 10 digits"
    ]


@pytest.mark.parametrize(
    ("rows", "merges"),
    [
        ({1: ["Name"], 1_000_000: [None] * 16_000 + ["far away"]}, []),  # a cell at WPN1000000
        ({1: ["Name"], 2: ["R. Selvam"]}, ["A1:XFD1048576"]),  # a merged range over the sheet
    ],
)
def test_an_xlsb_sheet_larger_than_allowed_is_refused_before_it_is_read(
    rows: dict[int, list[str | float | None]], merges: list[str]
) -> None:
    data = xlsb_package([XlsbSheet("Sheet1", rows, merges=merges)])
    report = only(parse_attachment(data, "huge.xlsb", UNIT))
    assert not report.readable
    assert report.reason.startswith("the file is too large to be a report (more than 2,000,000")


@pytest.mark.parametrize("cut", [3, 7], ids=["at its last record", "inside a record"])
def test_an_xlsb_file_cut_short_is_damaged(cut: int) -> None:
    out = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(xlsb_report())) as original,
        zipfile.ZipFile(out, "w") as cut_archive,
    ):
        for info in original.infolist():
            part = original.read(info)
            shortened = part[:-cut] if info.filename.endswith("sheet1.bin") else part
            cut_archive.writestr(info, shortened)
    assert only(parse_attachment(out.getvalue(), "North.xlsb", UNIT)).reason == DAMAGED


@settings(max_examples=300, deadline=None)
@given(
    records=st.lists(
        st.tuples(
            st.sampled_from([0x0000, 0x0005, 0x0006, 0x003C, 0x00B0, 0x0082, 0x0094, 0x1FFF]),
            st.binary(max_size=24),
        ),
        max_size=12,
    ),
    tail=st.binary(max_size=6),
)
def test_any_xlsb_sheet_stream_is_read_or_refused_with_a_reason(
    records: list[tuple[int, bytes]], tail: bytes
) -> None:
    """Records of any type and content, then any bytes: the reader reads the sheet or says
    why not, and never lets calamine lay out more cells than allowed."""
    stream = b"".join(biff12_record(kind, data) for kind, data in records) + tail
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(xlsb_report())) as original, zipfile.ZipFile(out, "w") as new:
        for info in original.infolist():
            part = original.read(info)
            new.writestr(info, stream if info.filename.endswith("sheet1.bin") else part)
    limits = ReadLimits(max_cells=10_000)
    report = only(parse_attachment(out.getvalue(), "any.xlsb", UNIT, limits))
    if not report.readable:
        assert report.reason == DAMAGED or report.reason.startswith(
            ("no table with the columns", "the file is too large to be a report")
        )


# --- .csv, as Excel and other programs save it ------------------------------------------

CSV_ROWS = [
    ",".join(HEADER),
    "1,40123,Sébastien Roy,Superintendent,9876543210,s.roy@example.gov.in",
    "2,04124,K. Priya,Inspector,098765-43210,k.priya@example.gov.in",
]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        pytest.param("utf-8", ",", id="UTF-8"),
        pytest.param("utf-8-sig", ",", id="UTF-8 with BOM (Excel's CSV UTF-8)"),
        pytest.param("utf-16", "\t", id="UTF-16 with BOM (Excel's Unicode Text)"),
        pytest.param("utf-16-le", ",", id="UTF-16 without BOM"),
        pytest.param("cp1252", ",", id="Windows-1252 (Excel's CSV on Windows)"),
        pytest.param("utf-8", ";", id="semicolons (Excel where the comma is a decimal mark)"),
    ],
)
def test_a_csv_file_is_read_in_any_encoding_and_delimiter(
    tmp_path: Path, encoding: str, delimiter: str
) -> None:
    text = "\r\n".join(line.replace(",", delimiter) for line in CSV_ROWS) + "\r\n"
    data = write(tmp_path / "Salem.csv", text.encode(encoding))

    (raw,) = read_attachment(data, "Salem.csv")
    assert [s.name for s in raw.sheets] == ["Salem"]
    assert raw.sheets[0].rows[2].cells == (
        "2",
        "04124",
        "K. Priya",
        "Inspector",
        "098765-43210",
        "k.priya@example.gov.in",
    ), "every value stays the text that was written"

    report = only(parse_attachment(data, "Salem.csv", UNIT))
    assert list(report.rows) == [
        officer(
            "Salem.csv", "Salem", 2, "40123", "Sébastien Roy", "Superintendent", "9876543210",
            "s.roy@example.gov.in",
        ),
        officer(
            "Salem.csv", "Salem", 3, "04124", "K. Priya", "Inspector", "9876543210",
            "k.priya@example.gov.in",
        ),
    ]  # fmt: skip


def test_csv_rows_are_numbered_by_record_as_a_spreadsheet_program_shows_them(
    tmp_path: Path,
) -> None:
    text = (
        "Compliance report of Trichy\n"
        "\n"
        "Employee Code,Name of the Officer,Designation\n"
        '40123,"R. Selvam\n(on deputation)",Superintendent\n'
        "40124,,Inspector\n"
    )
    data = write(tmp_path / "Trichy.csv", text.encode())

    (raw,) = read_attachment(data, "Trichy.csv")
    rows = raw.sheets[0].rows
    assert [r.number for r in rows] == [1, 2, 3, 4, 5]
    assert rows[1].cells == ()
    assert rows[3].cells == ("40123", "R. Selvam\n(on deputation)", "Superintendent")
    assert rows[4].cells == ("40124", None, "Inspector"), "an empty field is None"

    report = only(parse_attachment(data, "Trichy.csv", UNIT))
    assert report.header_rows == {"Trichy": 3}
    assert [(r.row, r.employee_code, r.name) for r in report.rows] == [
        (4, "40123", "R. Selvam (on deputation)"),
        (5, "40124", None),
    ]
    assert [p.describe() for p in report.problems] == [
        "Trichy.csv, sheet 'Trichy', row 5, Name of the Officer: the officer's name is missing"
    ]


def test_excels_sep_line_names_the_delimiter_and_is_not_a_row(tmp_path: Path) -> None:
    data = write(
        tmp_path / "Madurai.csv",
        b"sep=|\r\nEmployee Code|Name of the Officer\r\n40123|R. Selvam, IRS\r\n",
    )
    report = only(parse_attachment(data, "Madurai.csv", UNIT))
    assert [(r.row, r.employee_code, r.name) for r in report.rows] == [
        (2, "40123", "R. Selvam, IRS")
    ]


def test_a_csv_file_with_more_cells_than_allowed_is_too_large(tmp_path: Path) -> None:
    data = write(tmp_path / "big.csv", b"a,b,c\n" * 100)
    assert len(read_attachment(data, "big.csv", ReadLimits(max_cells=300))[0].sheets[0].rows)
    report = only(parse_attachment(data, "big.csv", UNIT, ReadLimits(max_cells=299)))
    assert report.reason is not None
    assert report.reason.startswith("the file is too large to be a report (more than 299 cells)")


# --- .ods, as LibreOffice Calc writes it -------------------------------------------------

ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def text_cell(text: str, attributes: str = "") -> str:
    return (
        f'<table:table-cell office:value-type="string" {attributes}>'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


def number_cell(value: str) -> str:
    return (
        f'<table:table-cell office:value-type="float" office:value="{value}">'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


def row(*cells: str, attributes: str = "") -> str:
    return f"<table:table-row {attributes}>{''.join(cells)}</table:table-row>"


def ods_file(path: Path, tables: str) -> bytes:
    """An .ods file as Calc lays it out: `mimetype` first and stored, a manifest, the content."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content {ODS_NAMESPACES} office:version="1.3">'
        "<office:automatic-styles>"
        '<style:style style:name="ta1" style:family="table">'
        '<style:table-properties table:display="true"/></style:style>'
        '<style:style style:name="ta2" style:family="table">'
        '<style:table-properties table:display="false"/></style:style>'
        "</office:automatic-styles>"
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return write(path, ods_package(content, manifest))


def ods_report(path: Path) -> bytes:
    empty = "<table:table-cell/>"
    report = (
        '<table:table table:name="Coimbatore" table:style-name="ta1">'
        '<table:table-column table:number-columns-repeated="6"/>'
        '<table:table-column table:visibility="collapse"/>'  # G: the unit's own notes
        '<table:table-column table:number-columns-repeated="1017"/>'
        # row 1: a title merged over six cells
        + row(
            text_cell(TITLE, 'table:number-columns-spanned="6" table:number-rows-spanned="1"'),
            '<table:covered-table-cell table:number-columns-repeated="5"/>',
        )
        # rows 2-3: blank, written once with a repeat count
        + row('<table:table-cell table:number-columns-repeated="1024"/>',
              attributes='table:number-rows-repeated="2"')
        # row 4: the header
        + row(
            text_cell("Sl. No"),
            text_cell("Employee Code"),
            text_cell("Name of the Officer"),
            text_cell("Designation"),
            text_cell("Contact No"),
            text_cell("Email ID"),
        )
        # row 5
        + row(
            number_cell("1"),
            number_cell("40123"),
            text_cell("R.<text:s/> <text:span>Selvam</text:span>"),
            text_cell("Superintendent"),
            number_cell("9876543210"),
            text_cell("r.selvam@example.gov.in"),
            text_cell("old code 123"),
            '<table:table-cell table:number-columns-repeated="1017"/>',
        )
        # row 6: hidden
        + row(number_cell("2"), number_cell("40124"), text_cell("Left Service"),
              attributes='table:visibility="collapse"')
        # rows 7-8: the same officer twice, written once with a repeat count
        + row(number_cell("3"), number_cell("40125"), text_cell("K. Priya"),
              text_cell("Inspector"), empty, text_cell("k.priya@example.gov.in"),
              attributes='table:number-rows-repeated="2"')
        # row 9: a date and a boolean beside the report's columns
        + row(
            number_cell("4"),
            number_cell("40126"),
            text_cell("M. Rani"),
            text_cell("Tax Assistant"),
            empty,
            text_cell("rani@gmail.example.com"),
            '<table:table-cell table:number-columns-repeated="2"/>',
            '<table:table-cell office:value-type="date" office:date-value="2023-04-21">'
            "<text:p>21/04/23</text:p></table:table-cell>",
            empty,
            '<table:table-cell office:value-type="boolean" office:boolean-value="true">'
            "<text:p>TRUE</text:p></table:table-cell>",
        )
        # and the million empty rows Calc writes at the end of every sheet
        + row('<table:table-cell table:number-columns-repeated="1024"/>',
              attributes='table:number-rows-repeated="1048567"')
        + "</table:table>"
        '<table:table table:name="Lists" table:style-name="ta2">'
        + row(text_cell("Employee Code"), text_cell("Name"))
        + row(number_cell("1"), text_cell("x"))
        + "</table:table>"
    )  # fmt: skip
    return ods_file(path, report)


def test_an_ods_file_is_read_with_rows_numbered_as_calc_shows_them(tmp_path: Path) -> None:
    (raw,) = read_attachment(ods_report(tmp_path / "Coimbatore.ods"), "Coimbatore.ods")

    assert [(s.name, s.hidden) for s in raw.sheets] == [("Coimbatore", False), ("Lists", True)]
    sheet = raw.sheets[0]
    assert [r.number for r in sheet.rows] == [1, 4, 5, 6, 7, 8, 9], "blank rows are left out"
    assert sheet.rows[0].cells == (TITLE,) * 6, "the merged title fills its range"
    assert sheet.rows[2].cells == (
        1,
        40123,
        "R.  Selvam",
        "Superintendent",
        9876543210,
        "r.selvam@example.gov.in",
        "old code 123",
    )
    assert [r.number for r in sheet.rows if r.hidden] == [6]
    assert sheet.rows[6].cells == (
        4, 40126, "M. Rani", "Tax Assistant", None, "rani@gmail.example.com", None, None,
        datetime(2023, 4, 21), None, True,
    )  # fmt: skip
    assert sheet.hidden_columns == frozenset({6})


def test_an_ods_report_gives_its_officers_row_by_row(tmp_path: Path) -> None:
    data = ods_report(tmp_path / "Coimbatore.ods")
    report = only(parse_attachment(data, "Coimbatore.ods", UNIT))

    assert report.header_rows == {"Coimbatore": 4}
    file, sheet = "Coimbatore.ods", "Coimbatore"
    assert list(report.rows) == [
        officer(file, sheet, 5, "40123", "R. Selvam", "Superintendent", "9876543210",
                "r.selvam@example.gov.in"),
        officer(file, sheet, 7, "40125", "K. Priya", "Inspector", None, "k.priya@example.gov.in"),
        officer(file, sheet, 8, "40125", "K. Priya", "Inspector", None, "k.priya@example.gov.in"),
        officer(
            file, sheet, 9, "40126", "M. Rani", "Tax Assistant", None, "rani@gmail.example.com"
        ),
    ]  # fmt: skip
    assert [p.describe() for p in report.problems] == [
        "Coimbatore.ods, sheet 'Coimbatore', row 8, Employee Code '40125': "
        "employee code 40125 is also on row 7 of sheet 'Coimbatore'"
    ]


def test_an_ods_file_with_a_password_says_so(tmp_path: Path) -> None:
    data = ods_report(tmp_path / "locked.ods")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "META-INF/manifest.xml":
                content = content.replace(
                    b'manifest:media-type="text/xml"/>',
                    b'manifest:media-type="text/xml"><manifest:encryption-data/>'
                    b"</manifest:file-entry>",
                )
            target.writestr(info, content)
    assert only(parse_attachment(out.getvalue(), "locked.ods", UNIT)).reason == PASSWORD


# --- .zip archives -------------------------------------------------------------------------


def zipped(*members: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def set_zip_flags(data: bytes, add: int = 0, remove: int = 0) -> bytes:
    """The archive with general-purpose flag bits changed in every local and central header."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = patched.find(signature)
        while start != -1:
            (flags,) = struct.unpack_from("<H", patched, start + offset)
            struct.pack_into("<H", patched, start + offset, (flags | add) & ~remove)
            start = patched.find(signature, start + 4)
    return bytes(patched)


def xlsx_report(path: Path) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Outer"
    ws.append([TITLE])
    ws.append(HEADER)
    ws.append([1, 40123, "R. Selvam", "Superintendent", 9876543210, "r.selvam@example.gov.in"])
    wb.save(path)
    return path.read_bytes()


def test_a_zip_file_gives_every_spreadsheet_in_it(tmp_path: Path) -> None:
    csv = b"Employee Code,Name of the Officer\r\n50001,S. Kumar\r\n"
    nested = zipped(("Audit/Appeals.csv", b"Employee Code,Name\r\n60001,A. Devi\r\n"))
    data = write(
        tmp_path / "reports.zip",
        zipped(
            ("Outer.xlsx", xlsx_report(tmp_path / "Outer.xlsx")),
            ("letters/", b""),
            ("letters/covering letter.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
            ("__MACOSX/._Outer.xlsx", b"\x00\x05\x16\x07" + bytes(60)),
            (".DS_Store", bytes(64)),
            ("~$Outer.xlsx", bytes(162)),
            ("Madurai.csv", csv),
            ("more.zip", nested),
        ),
    )

    reports = parse_attachment(data, "reports.zip", UNIT)

    assert [(r.file, r.readable, r.sheets_used) for r in reports] == [
        ("reports.zip/Outer.xlsx", True, ("Outer",)),
        ("reports.zip/Madurai.csv", True, ("Madurai",)),
        ("reports.zip/more.zip/Audit/Appeals.csv", True, ("Appeals",)),
    ]
    officers = [r for report in reports for r in report.rows]
    assert [(r.file, r.row, r.employee_code, r.name) for r in officers] == [
        ("reports.zip/Outer.xlsx", 3, "40123", "R. Selvam"),
        ("reports.zip/Madurai.csv", 2, "50001", "S. Kumar"),
        ("reports.zip/more.zip/Audit/Appeals.csv", 2, "60001", "A. Devi"),
    ]  # fmt: skip
    assert [w.file for w in read_attachment(data, "reports.zip")] == [r.file for r in reports]


def test_a_zip_member_that_cannot_be_read_is_reported_beside_the_others(tmp_path: Path) -> None:
    good = xlsx_report(tmp_path / "Outer.xlsx")
    data = zipped(("Outer.xlsx", good), ("Salem.xlsx", good[: len(good) // 2]))

    reports = parse_attachment(data, "reports.zip", UNIT)
    assert [(r.file, r.readable, r.reason) for r in reports] == [
        ("reports.zip/Outer.xlsx", True, None),
        ("reports.zip/Salem.xlsx", False, DAMAGED),
    ]
    assert [w.file for w in read_attachment(data, "reports.zip")] == ["reports.zip/Outer.xlsx"]


def test_zip_member_names_written_in_utf8_without_the_flag_are_shown_right() -> None:
    data = zipped(("Rapport é.csv", b"Employee Code,Name\r\n1,A\r\n"))
    unflagged = set_zip_flags(data, remove=0x800)
    assert zipfile.ZipFile(io.BytesIO(unflagged)).namelist() != ["Rapport é.csv"]

    (raw,) = read_attachment(unflagged, "r.zip")
    assert raw.file == "r.zip/Rapport é.csv"


def test_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.csv", "w", force_zip64=True) as member,
    ):
        megabyte = bytes(1024 * 1024)
        for _ in range(200):
            member.write(megabyte)
    data = path.read_bytes()
    assert len(data) < 1024 * 1024

    report = only(parse_attachment(data, "bomb.zip", UNIT))
    assert (report.readable, report.reason) == (
        False,
        "the file is too large once unpacked (200 MB; the limit is 128 MB);"
        " please send only the report sheet",
    )


def test_every_archive_in_an_attachment_draws_on_one_unpacking_limit() -> None:
    remarks = b",".join([b"x" * 100_000] * 8)
    megabyte_csv = b"Employee Code,Name\r\n40123,R. Selvam," + remarks + b"\r\n"  # 0.8 MB
    data = zipped(
        ("a.csv", megabyte_csv),
        ("nested.zip", zipped(("b.csv", megabyte_csv), ("c.csv", megabyte_csv))),
    )
    reports = parse_attachment(
        data, "reports.zip", UNIT, ReadLimits(max_uncompressed_bytes=2 << 20)
    )
    assert [(r.file, r.readable, r.reason) for r in reports] == [
        ("reports.zip/a.csv", True, None),
        (
            "reports.zip/nested.zip",
            False,
            "the file is too large once unpacked (2.3 MB; the limit is 2 MB);"
            " please send only the report sheet",
        ),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(
            set_zip_flags(zipped(("Salem.xlsx", b"x" * 100)), add=0x1),
            PASSWORD,
            id="password-protected zip",
        ),
        pytest.param(
            zipped(("scan.pdf", b"%PDF-1.4\n"), ("notes.txt", b"see attached")),
            NO_SPREADSHEET_IN_ZIP,
            id="no spreadsheet inside",
        ),
        pytest.param(zipped(), NO_SPREADSHEET_IN_ZIP, id="an empty zip"),
        pytest.param(
            zipped(("a.zip", zipped(("b.zip", zipped(("c.csv", b"Employee Code,Name\n1,A\n")))))),
            "the .zip file is nested too deep in other .zip files;"
            " please send the report sheet on its own",
            id="zip in zip in zip",
        ),
        pytest.param(
            zipped(*((f"{n}.csv", b"a,b\n") for n in range(51))),
            "the .zip file holds more than 50 files; please send the report sheets on their own",
            id="too many files",
        ),
    ],
)
def test_a_zip_without_a_readable_spreadsheet_says_why(data: bytes, reason: str) -> None:
    reports = parse_attachment(data, "reports.zip", UNIT)
    assert [(r.readable, r.reason) for r in reports] == [(False, reason)]
    with pytest.raises(UnreadableFile) as raised:
        read_attachment(data, "reports.zip")
    assert raised.value.reason == reason


# --- files that are not reports ----------------------------------------------------------


def png_image() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff"))
        + chunk(b"IEND", b"")
    )


def word_document() -> bytes:
    return zipped(
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w:document/>"),
    )


OLE_HEADER = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        pytest.param("report.xlsx", b"", EMPTY, id="empty"),
        pytest.param(
            "report.xlsx",
            OLE_HEADER + "EncryptedPackage".encode("utf-16-le"),
            PASSWORD,
            id="password-protected .xlsx",
        ),
        pytest.param(
            "report.xlsx",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            PDF,
            id="PDF",
        ),
        pytest.param("report.xlsx", png_image(), IMAGE, id="PNG"),
        pytest.param("IMG_2041.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(50), IMAGE,
                     id="JPEG"),
        pytest.param("report.docx", word_document(), WORD, id=".docx"),
        pytest.param("report.xlsx", random.Random(7).randbytes(4096), NOT_A_SPREADSHEET,
                     id="random bytes"),
        pytest.param("report.xls", OLE_HEADER, DAMAGED, id="a broken OLE file"),
        pytest.param(
            "report.xls",
            b"<html><body><table><tr><td>Employee Code</td></tr></table></body></html>",
            "this file is a web page or an XML export with a spreadsheet's name;"
            " please open it in Excel, save it as .xlsx and resend",
            id="a web page saved as .xls",
        ),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_report_says_what_it_is(name: str, data: bytes, reason: str) -> None:
    assert only(parse_attachment(data, name, UNIT)) == ParsedReport(
        file=name, readable=False, reason=reason
    )
    with pytest.raises(UnreadableFile) as raised:
        read_attachment(data, name)
    assert (raised.value.file, raised.value.reason) == (name, reason)


def test_a_file_over_the_attachment_limit_is_refused_unread(tmp_path: Path) -> None:
    data = write(tmp_path / "big.csv", b"Employee Code,Name\r\n" + b"1,A\r\n" * 300_000)
    limits = ReadLimits(max_attachment_bytes=1024 * 1024)
    report = only(parse_attachment(data, "big.csv", UNIT, limits))
    assert report.reason == (
        "the file is too large (1.5 MB; the limit is 1 MB); please send only the report sheet"
    )


def test_an_xlsx_file_still_goes_to_the_xlsx_reader(tmp_path: Path) -> None:
    workbooks = read_attachment(xlsx_report(tmp_path / "Outer.xlsx"), "Outer.csv")
    assert workbooks == [
        RawWorkbook(file="Outer.csv", sheets=workbooks[0].sheets),
    ]
    assert workbooks[0].sheets[0].rows[2].cells[1] == 40123
