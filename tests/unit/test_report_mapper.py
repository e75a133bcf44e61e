"""Raw rows to officer rows and problems, over workbooks built in the test."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.core.models import (
    CellValue,
    Column,
    OfficerRow,
    ParsedReport,
    Problem,
    RawRow,
    RawSheet,
    RawWorkbook,
    ReportFormat,
)
from daemon.core.report_mapper import map_report
from daemon.formats import builtin_formats

FILE = "Chennai North.xlsx"
UNIT = builtin_formats()["unit-completion-report"]
ZONAL = builtin_formats()["zonal-completion-report"]
HEADER = ("Sl. No", "Employee Code", "Name of the Officer", "Designation", "Contact No", "Email ID")
NO_TABLE = (
    "no table with the columns Sl. No, Employee Code, Name of the Officer, Designation, "
    "Contact No, Email ID was found; please send the report in the prescribed format"
)


def sheet(
    name: str,
    *rows: Sequence[CellValue],
    hidden_rows: Iterable[int] = (),
    hidden: bool = False,
    hidden_columns: Iterable[int] = (),
) -> RawSheet:
    """A sheet whose rows are numbered from 1, as Excel shows them."""
    hidden_set = set(hidden_rows)
    return RawSheet(
        name=name,
        rows=tuple(
            RawRow(number=n, cells=tuple(cells), hidden=n in hidden_set)
            for n, cells in enumerate(rows, start=1)
        ),
        hidden=hidden,
        hidden_columns=frozenset(hidden_columns),
    )


def workbook(*sheets: RawSheet) -> RawWorkbook:
    return RawWorkbook(file=FILE, sheets=sheets)


def officer(
    sheet_name: str,
    row: int,
    code: str | None,
    officer_name: str | None,
    designation: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    completed: bool = True,
) -> OfficerRow:
    return OfficerRow(
        employee_code=code,
        name=officer_name,
        designation=designation,
        mobile=mobile,
        email=email,
        completed=completed,
        sheet=sheet_name,
        row=row,
        file=FILE,
    )


def problem(
    sheet_name: str, row: int | None, column: str | None, value: str | None, message: str
) -> Problem:
    return Problem(
        message=message, file=FILE, sheet=sheet_name, row=row, column=column, value=value
    )


SELVAM = (1, 40123, "R. Selvam", "Superintendent", 9876543210, "r.selvam@gov.in")
PRIYA = (2, "40124", "K.  Priya", "Inspector", "98400 12345", "K.Priya@GOV.IN")

ROW_CASES = [
    pytest.param(
        workbook(sheet("Division I", HEADER, SELVAM, PRIYA)),
        [
            officer(
                "Division I",
                2,
                "40123",
                "R. Selvam",
                "Superintendent",
                "9876543210",
                "r.selvam@gov.in",
            ),
            officer(
                "Division I", 3, "40124", "K. Priya", "Inspector", "9840012345", "k.priya@gov.in"
            ),
        ],
        id="the prescribed header on the first row",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                ("Report reg Completion of Course on Emerging Technologies",),
                (
                    "O/o the Commissioner of GST & C. Ex, Chennai North",
                    None,
                    None,
                    "Date: 21.04.2023",
                ),
                (),
                HEADER,
                SELVAM,
            )
        ),
        [
            officer(
                "Sheet1", 5, "40123", "R. Selvam", "Superintendent", "9876543210", "r.selvam@gov.in"
            )
        ],
        id="title and letter-head rows above the header",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                ("S.No.", "Emp. Code", "Name", "Desig.", "Mobile No.", "E-mail"),
                (1, 40123.0, "R. Selvam", "Supdt", 9.87654321e9, "mailto:R.Selvam@gov.in"),
            )
        ),
        [officer("Sheet1", 2, "40123", "R. Selvam", "Supdt", "9876543210", "r.selvam@gov.in")],
        id="header synonyms and numbers stored as floats",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                ("Emp.\nCode", "Name of the\nOfficer", "CONTACT NO.", "Email\xa0Id"),
                ("40123", "R. Selvam", "98765-43210", "r.selvam@gov.in"),
            )
        ),
        [officer("Sheet1", 2, "40123", "R. Selvam", None, "9876543210", "r.selvam@gov.in")],
        id="headers with line breaks, capitals and punctuation",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                ("Email ID", "Office", "Name of the Officer", None, "Employee Code", "Contact No"),
                ("r.selvam@gov.in", "Division I", "R. Selvam", "x", 40123, 9876543210),
            )
        ),
        [officer("Sheet1", 2, "40123", "R. Selvam", None, "9876543210", "r.selvam@gov.in")],
        id="columns shuffled with extra columns",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                HEADER,
                (1, 2, 3, 4, 5, 6),
                SELVAM,
                (),
                (None, "  ", None, "\n"),
                HEADER,
                PRIYA,
            )
        ),
        [
            officer(
                "Sheet1", 3, "40123", "R. Selvam", "Superintendent", "9876543210", "r.selvam@gov.in"
            ),
            officer("Sheet1", 7, "40124", "K. Priya", "Inspector", "9840012345", "k.priya@gov.in"),
        ],
        id="column numbers, blank rows and a repeated header are skipped",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                HEADER,
                SELVAM,
                (2,),
                (3, None, None, None, None, None),
                ("Total", None, None, None, None, None),
            )
        ),
        [
            officer(
                "Sheet1", 2, "40123", "R. Selvam", "Superintendent", "9876543210", "r.selvam@gov.in"
            )
        ],
        id="rows without a name, code or email are not officers",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                HEADER,
                (1, None, None, None, None, "r.selvam@gov.in"),
                (2, 40124, None, None, None, None),
                (3, None, "A. Kumar", None, None, None),
            )
        ),
        [
            officer("Sheet1", 2, None, None, email="r.selvam@gov.in"),
            officer("Sheet1", 3, "40124", None),
            officer("Sheet1", 4, None, "A. Kumar"),
        ],
        id="a name, a code or an email is enough to be an officer row",
    ),
    pytest.param(
        workbook(sheet("Sheet1", HEADER, SELVAM, PRIYA, hidden_rows=[2])),
        [officer("Sheet1", 3, "40124", "K. Priya", "Inspector", "9840012345", "k.priya@gov.in")],
        id="hidden rows are skipped",
    ),
    pytest.param(
        workbook(
            sheet("Hidden", HEADER, SELVAM, hidden=True),
            sheet("Visible", HEADER, PRIYA),
        ),
        [officer("Visible", 2, "40124", "K. Priya", "Inspector", "9840012345", "k.priya@gov.in")],
        id="hidden sheets are skipped",
    ),
]


@pytest.mark.parametrize(("book", "expected"), ROW_CASES)
def test_officer_rows(book: RawWorkbook, expected: list[OfficerRow]) -> None:
    report = map_report(book, UNIT)
    assert report.readable
    assert list(report.rows) == expected


@pytest.mark.parametrize(
    ("book", "header_rows"),
    [
        pytest.param(workbook(sheet("S", HEADER)), {"S": 1}, id="first row"),
        pytest.param(
            workbook(sheet("S", ("Report reg Completion",), (), ("Chennai North",), HEADER)),
            {"S": 4},
            id="below a title",
        ),
        pytest.param(workbook(sheet("S", *([()] * 29), HEADER)), {"S": 30}, id="on the 30th row"),
        pytest.param(
            workbook(
                sheet(
                    "S",
                    ("Name", "Designation"),
                    (),
                    ("Name", "Designation", "Employee Code", "Email ID"),
                )
            ),
            {"S": 3},
            id="the row matching most columns wins",
        ),
        pytest.param(
            workbook(
                sheet(
                    "S",
                    ("Contact No", "Email ID", "Name"),
                    ("Employee Code", "Name of Officer", "Designation"),
                )
            ),
            {"S": 1},
            id="on a tie the upper row wins",
        ),
    ],
)
def test_header_row(book: RawWorkbook, header_rows: dict[str, int]) -> None:
    report = map_report(book, UNIT)
    assert report.readable
    assert report.header_rows == header_rows


@pytest.mark.parametrize(
    "book",
    [
        pytest.param(workbook(), id="no sheets"),
        pytest.param(workbook(sheet("Sheet1")), id="an empty sheet"),
        pytest.param(
            workbook(sheet("Sheet1", ("Please find the report attached",), ("R. Selvam",))),
            id="a letter, no table",
        ),
        pytest.param(
            workbook(sheet("Sheet1", *([()] * 30), HEADER, SELVAM)),
            id="the header below row 30",
        ),
        pytest.param(
            workbook(sheet("Sheet1", ("Sl. No", "Designation", "Contact No", "Email ID"), SELVAM)),
            id="no required column in the header",
        ),
        pytest.param(
            workbook(sheet("Sheet1", ("Name of the Officer",), ("R. Selvam",))),
            id="a single matching column",
        ),
        pytest.param(
            workbook(
                sheet(
                    "Sheet1",
                    ("Name of the Officer", "Employee Code"),
                    ("R. Selvam", 40123),
                    hidden_columns=[0],
                )
            ),
            id="a header cell in a hidden column does not count",
        ),
        pytest.param(
            workbook(sheet("Sheet1", HEADER, SELVAM, hidden=True)),
            id="the only table is on a hidden sheet",
        ),
    ],
)
def test_no_header_row_makes_the_file_unreadable(book: RawWorkbook) -> None:
    report = map_report(book, UNIT)
    assert report == ParsedReport(file=FILE, readable=False, reason=NO_TABLE)


def test_the_unreadable_reason_names_the_formats_own_headers() -> None:
    report = map_report(workbook(sheet("Sheet1", ("hello",))), ZONAL)
    assert report.reason == (
        "no table with the columns Sl. No., Employee ID, Name of the Officer, Designation, "
        "Contact Number, Gov e-mail ID was found; please send the report in the prescribed format"
    )


def test_rows_of_every_sheet_with_a_table_are_combined_in_workbook_order() -> None:
    book = workbook(
        sheet("Cover", ("Chennai North Commissionerate",), ("Compliance report",)),
        sheet("Division I", ("Division I",), HEADER, SELVAM),
        sheet("Instructions", ("Fill one row per officer",)),
        sheet("Division II", ("Employee Code", "Name of the Officer"), ("40125", "M. Rani")),
    )
    report = map_report(book, UNIT)
    assert report.readable
    assert report.sheets_used == ("Division I", "Division II")
    assert report.header_rows == {"Division I": 2, "Division II": 1}
    assert [(r.sheet, r.row, r.employee_code) for r in report.rows] == [
        ("Division I", 3, "40123"),
        ("Division II", 2, "40125"),
    ]
    assert report.problems == ()


STATUS_HEADER = ("Employee Code", "Name of the Officer", "Status")


def test_a_status_column_decides_who_completed() -> None:
    book = workbook(
        sheet(
            "Sheet1",
            STATUS_HEADER,
            ("1", "A", "Completed"),
            ("2", "B", "Not completed"),
            ("3", "C", "Yes"),
            ("4", "D", "Pending"),
            ("5", "E", None),
            ("6", "F", "Registered"),
        )
    )
    report = map_report(book, UNIT)
    assert [(r.employee_code, r.completed) for r in report.rows] == [
        ("1", True),
        ("2", False),
        ("3", True),
        ("4", False),
        ("5", False),
        ("6", False),
    ]
    unclear = "the status is not clear; write Completed or Not completed"
    assert list(report.problems) == [
        problem("Sheet1", 6, "Status", None, unclear),
        problem("Sheet1", 7, "Status", "Registered", unclear),
    ]


def test_a_status_header_written_differently_is_reported_as_written() -> None:
    book = workbook(
        sheet("Sheet1", ("Emp Code", "Name", "Completed (Yes/No)"), ("1", "A", "maybe"))
    )
    report = map_report(book, UNIT)
    assert report.rows[0].completed is False
    assert report.problems[0].column == "Completed (Yes/No)"
    assert report.problems[0].value == "maybe"


def test_without_a_status_column_every_listed_officer_has_completed() -> None:
    fmt_without_status = ReportFormat(
        name="list",
        title="Officers who completed",
        columns=(
            Column("employee_code", "Employee Code", required=True),
            Column("name", "Name of the Officer", required=True),
        ),
    )
    book = workbook(sheet("Sheet1", STATUS_HEADER, ("1", "A", "Not completed")))
    report = map_report(book, fmt_without_status)
    assert [r.completed for r in report.rows] == [True]
    assert report.problems == ()


@pytest.mark.parametrize(
    ("row", "expected_problems"),
    [
        pytest.param(
            (1, 40123, "R. Selvam", "Supdt", "98765", "r.selvam@gov.in"),
            [problem("S", 2, "Contact No", "98765", "a mobile number has 10 digits")],
            id="short mobile",
        ),
        pytest.param(
            (1, 40123, "R. Selvam", "Supdt", 5876543210, "r.selvam@gov.in"),
            [
                problem(
                    "S", 2, "Contact No", "5876543210", "a mobile number starts with 6, 7, 8 or 9"
                )
            ],
            id="mobile with a wrong first digit",
        ),
        pytest.param(
            (1, 40123, "R. Selvam", "Supdt", 9876543210, "r.selvam at gov.in"),
            [
                problem(
                    "S", 2, "Email ID", "r.selvam at gov.in", "this is not a valid email address"
                )
            ],
            id="bad email",
        ),
        pytest.param(
            (1, 40123, None, "Supdt", 9876543210, "r.selvam@gov.in"),
            [problem("S", 2, "Name of the Officer", None, "the officer's name is missing")],
            id="missing name",
        ),
        pytest.param(
            (1, "  ", "R. Selvam", "Supdt", 9876543210, "r.selvam@gov.in"),
            [problem("S", 2, "Employee Code", None, "the employee code is missing")],
            id="missing employee code",
        ),
        pytest.param(
            (1, None, "R. Selvam", None, 98765, "selvam"),
            [
                problem("S", 2, "Employee Code", None, "the employee code is missing"),
                problem("S", 2, "Contact No", "98765", "a mobile number has 10 digits"),
                problem("S", 2, "Email ID", "selvam", "this is not a valid email address"),
            ],
            id="several problems on one row",
        ),
        pytest.param(
            (1, 40123, "R. Selvam", None, None, None),
            [],
            id="a missing mobile, email or designation is not a problem",
        ),
    ],
)
def test_row_problems(row: tuple[CellValue, ...], expected_problems: list[Problem]) -> None:
    report = map_report(workbook(sheet("S", HEADER, row)), UNIT)
    assert list(report.problems) == expected_problems
    assert len(report.rows) == 1, "a row with problems still counts"


def test_a_bad_mobile_is_dropped_but_the_officer_is_kept() -> None:
    report = map_report(workbook(sheet("S", HEADER, (1, 40123, "R. Selvam", None, "98765"))), UNIT)
    assert report.rows == (officer("S", 2, "40123", "R. Selvam", mobile=None),)


def test_problems_name_the_header_as_written_in_that_sheet() -> None:
    book = workbook(
        sheet("A", ("Emp.\nCode", "Name", "Mobile No."), (40123, "R. Selvam", "12")),
        sheet("B", ("Employee Code", "Name", "Phone"), (40124, "K. Priya", "34")),
    )
    report = map_report(book, UNIT)
    assert [(p.sheet, p.column, p.value) for p in report.problems] == [
        ("A", "Mobile No.", "12"),
        ("B", "Phone", "34"),
    ]


def test_a_sheet_without_an_employee_code_column_gets_one_problem() -> None:
    book = workbook(
        sheet(
            "S",
            ("Sl. No", "Name of the Officer", "Email ID"),
            (1, "R. Selvam", "r.selvam@gov.in"),
            (2, "K. Priya", "k.priya@gov.in"),
        )
    )
    report = map_report(book, UNIT)
    assert [r.name for r in report.rows] == ["R. Selvam", "K. Priya"]
    assert list(report.problems) == [
        problem("S", None, None, None, "the Employee Code column is missing")
    ]


def test_the_same_employee_code_twice_is_reported_on_the_later_row() -> None:
    book = workbook(
        sheet("Division I", ("Report",), HEADER, *([()] * 3), SELVAM, PRIYA),
        sheet("Division II", HEADER, (1, "40123", "R Selvam", None, None, None)),
        sheet("Division III", HEADER, (1, 40123.0, "R. Selvam", None, None, None)),
    )
    report = map_report(book, UNIT)
    assert len(report.rows) == 4
    assert list(report.problems) == [
        problem(
            "Division II",
            2,
            "Employee Code",
            "40123",
            "employee code 40123 is also on row 6 of sheet 'Division I'",
        ),
        problem(
            "Division III",
            2,
            "Employee Code",
            "40123",
            "employee code 40123 is also on row 6 of sheet 'Division I'",
        ),
    ]


def test_a_table_without_officer_rows_is_readable_and_says_so() -> None:
    report = map_report(workbook(sheet("S", ("Report",), HEADER, (), (1,), (2,))), UNIT)
    assert report.readable
    assert report.rows == ()
    assert list(report.problems) == [
        problem("S", 2, None, None, "no officer rows were found below the header row")
    ]


def test_problems_are_in_reading_order() -> None:
    book = workbook(
        sheet("A", ("Name", "Email ID"), ("X", "bad"), ("Y", "bad")),
        sheet("B", HEADER, (1, None, "Z", None, "1", None)),
    )
    report = map_report(book, UNIT)
    assert [(p.sheet, p.row) for p in report.problems] == [
        ("A", None),
        ("A", 2),
        ("A", 3),
        ("B", 2),
        ("B", 2),
    ]


cell_values = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.sampled_from([*HEADER, "Emp Code", "Name", "Status", "Completed", "(1)", "2", "3"]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)


@given(
    rows=st.lists(st.lists(cell_values, max_size=8), max_size=12),
    header_at=st.integers(min_value=0, max_value=12),
)
def test_any_sheet_maps_without_error_and_every_row_comes_from_below_the_header(
    rows: list[list[CellValue]], header_at: int
) -> None:
    rows.insert(min(header_at, len(rows)), list(HEADER))
    report = map_report(workbook(sheet("S", *rows)), UNIT)
    assert report.readable
    header_row = report.header_rows["S"]
    assert all(r.row > header_row for r in report.rows)
    assert all(p.row is None or p.row >= header_row for p in report.problems)
    assert all(
        r.name or r.employee_code or r.email or r.row in {p.row for p in report.problems}
        for r in report.rows
    )
