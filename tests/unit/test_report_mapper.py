"""Raw rows to officer rows and problems, over workbooks built in the test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.core.models import (
    FIELDS,
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
from daemon.core.normalise import normalise_header
from daemon.core.report_mapper import (
    EXACT,
    LOOSE,
    STATUS_EMPTY_MESSAGE,
    STATUS_UNCLEAR_MESSAGE,
    WITHOUT_NOTES,
    WORDS,
    HeaderHit,
    HeaderLookup,
    find_header,
    map_report,
)
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


SELVAM = (1, 40123, "R. Selvam", "Superintendent", 9876543210, "r.selvam@example.gov.in")
PRIYA = (2, "40124", "K.  Priya", "Inspector", "98400 12345", "K.Priya@example.gov.in")

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
                "r.selvam@example.gov.in",
            ),
            officer(
                "Division I",
                3,
                "40124",
                "K. Priya",
                "Inspector",
                "9840012345",
                "k.priya@example.gov.in",
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
                "Sheet1",
                5,
                "40123",
                "R. Selvam",
                "Superintendent",
                "9876543210",
                "r.selvam@example.gov.in",
            )
        ],
        id="title and letter-head rows above the header",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                ("S.No.", "Emp. Code", "Name", "Desig.", "Mobile No.", "E-mail"),
                (1, 40123.0, "R. Selvam", "Supdt", 9.87654321e9, "mailto:R.Selvam@example.gov.in"),
            )
        ),
        [
            officer(
                "Sheet1", 2, "40123", "R. Selvam", "Supdt", "9876543210", "r.selvam@example.gov.in"
            )
        ],
        id="header synonyms and numbers stored as floats",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                ("Emp.\nCode", "Name of the\nOfficer", "CONTACT NO.", "Email\xa0Id"),
                ("40123", "R. Selvam", "98765-43210", "r.selvam@example.gov.in"),
            )
        ),
        [officer("Sheet1", 2, "40123", "R. Selvam", None, "9876543210", "r.selvam@example.gov.in")],
        id="headers with line breaks, capitals and punctuation",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                ("Email ID", "Office", "Name of the Officer", None, "Employee Code", "Contact No"),
                ("r.selvam@example.gov.in", "Division I", "R. Selvam", "x", 40123, 9876543210),
            )
        ),
        [officer("Sheet1", 2, "40123", "R. Selvam", None, "9876543210", "r.selvam@example.gov.in")],
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
                "Sheet1",
                3,
                "40123",
                "R. Selvam",
                "Superintendent",
                "9876543210",
                "r.selvam@example.gov.in",
            ),
            officer(
                "Sheet1",
                7,
                "40124",
                "K. Priya",
                "Inspector",
                "9840012345",
                "k.priya@example.gov.in",
            ),
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
                "Sheet1",
                2,
                "40123",
                "R. Selvam",
                "Superintendent",
                "9876543210",
                "r.selvam@example.gov.in",
            )
        ],
        id="rows without a name, code or email are not officers",
    ),
    pytest.param(
        workbook(
            sheet(
                "Sheet1",
                HEADER,
                (1, None, None, None, None, "r.selvam@example.gov.in"),
                (2, 40124, None, None, None, None),
                (3, None, "A. Kumar", None, None, None),
            )
        ),
        [
            officer("Sheet1", 2, None, None, email="r.selvam@example.gov.in"),
            officer("Sheet1", 3, "40124", None),
            officer("Sheet1", 4, None, "A. Kumar"),
        ],
        id="a name, a code or an email is enough to be an officer row",
    ),
    pytest.param(
        workbook(sheet("Sheet1", HEADER, SELVAM, PRIYA, hidden_rows=[2])),
        [
            officer(
                "Sheet1",
                3,
                "40124",
                "K. Priya",
                "Inspector",
                "9840012345",
                "k.priya@example.gov.in",
            )
        ],
        id="hidden rows are skipped",
    ),
    pytest.param(
        workbook(
            sheet("Hidden", HEADER, SELVAM, hidden=True),
            sheet("Visible", HEADER, PRIYA),
        ),
        [
            officer(
                "Visible",
                2,
                "40124",
                "K. Priya",
                "Inspector",
                "9840012345",
                "k.priya@example.gov.in",
            )
        ],
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
                    ("Contact No", "Employee Code", "Name"),
                    ("Employee Code", "Name of Officer", "Designation"),
                )
            ),
            {"S": 1},
            id="on a tie the upper row wins",
        ),
        pytest.param(
            workbook(
                sheet(
                    "S",
                    ("Contact No", "Email ID", "Name", "Designation"),
                    ("Employee Code", "Name of Officer", "Designation"),
                )
            ),
            {"S": 2},
            id="the row naming the required columns wins",
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
# A format that names no column saying who completed.
WITHOUT_STATUS = ReportFormat(
    name="list",
    title="Officers who completed",
    columns=(
        Column("employee_code", "Employee Code", required=True),
        Column("name", "Name of the Officer", required=True),
    ),
)


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
    assert list(report.problems) == [
        problem("Sheet1", 6, "Status", None, STATUS_EMPTY_MESSAGE),
        problem("Sheet1", 7, "Status", "Registered", STATUS_UNCLEAR_MESSAGE),
    ]
    assert report.completion == "status"


def test_a_status_header_written_differently_is_reported_as_written() -> None:
    book = workbook(
        sheet("Sheet1", ("Emp Code", "Name", "Completed (Yes/No)"), ("1", "A", "maybe"))
    )
    report = map_report(book, UNIT)
    assert report.rows[0].completed is False
    assert report.problems[0].column == "Completed (Yes/No)"
    assert report.problems[0].value == "maybe"


def test_without_a_status_column_every_listed_officer_has_completed() -> None:
    book = workbook(sheet("Sheet1", (*STATUS_HEADER[:2], "Office"), ("1", "A", "Madurai")))
    report = map_report(book, WITHOUT_STATUS)
    assert [r.completed for r in report.rows] == [True]
    assert report.problems == ()
    assert report.completion == "listed"


def _listed(code: int, name: str) -> tuple[object, ...]:
    return (code - 40000, code, name, "Inspector", None, None)


@pytest.mark.parametrize(
    ("completed_heading", "not_completed_heading"),
    [
        ("A. Officers who have completed the course", "B. Officers who are yet to complete it"),
        ("COMPLETED (2)", "NOT YET COMPLETED (1)"),
        ("पूर्ण", "अपूर्ण"),
    ],
)
def test_headings_that_divide_the_officers_say_who_completed(
    completed_heading: str, not_completed_heading: str
) -> None:
    book = workbook(
        sheet(
            "S",
            HEADER,
            (completed_heading,) * 6,  # merged across the table
            _listed(40101, "R. Selvam"),
            _listed(40102, "K. Priya"),
            (not_completed_heading,),  # in the first cell only
            _listed(40103, "M. Rani"),
        )
    )
    report = map_report(book, UNIT)
    assert [(r.name, r.completed) for r in report.rows] == [
        ("R. Selvam", True),
        ("K. Priya", True),
        ("M. Rani", False),
    ]
    assert report.completion == "status"
    assert [(s.row, s.reason) for s in report.skipped] == [
        (2, "a heading: the officers under it have completed the course"),
        (5, "a heading: the officers under it have not completed the course"),
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        pytest.param((None, None, "Page 1 of 2"), "a page mark", id="page mark"),
        pytest.param(("Contd...",), "a page mark", id="continued"),
        pytest.param((9, None, "Vacant", "Inspector"), "a vacant post: no officer", id="vacant"),
        pytest.param(("Balance", "1 (on leave)"), "a total", id="balance"),
        pytest.param(("Total strength", 25, "Completed", 20), "a total", id="strength"),
    ],
)
def test_rows_that_name_no_officer_are_passed_over_with_the_reason(
    row: tuple[object, ...], reason: str
) -> None:
    report = map_report(workbook(sheet("S", HEADER, SELVAM, row, PRIYA)), UNIT)
    assert [r.name for r in report.rows] == ["R. Selvam", "K. Priya"]
    assert [(s.row, s.reason) for s in report.skipped] == [(3, reason)]


def test_an_officer_row_above_the_header_printed_again_is_no_header() -> None:
    hindi = ("कर्मचारी कोड", "अधिकारी का नाम", "पदनाम", "उभरती प्रौद्योगिकियों पर पाठ्यक्रम")
    book = workbook(
        sheet(
            "S",
            hindi,
            ("1201", "K. Priya", "Inspector", "Completed"),
            hindi,
            ("1202", "M. Rani", "Inspector", "Not completed"),
        )
    )
    report = map_report(book, UNIT)
    assert report.header_rows == {"S": 1}
    assert [(r.employee_code, r.completed) for r in report.rows] == [
        ("1201", True),
        ("1202", False),
    ]


def test_a_status_column_the_format_does_not_name_still_decides() -> None:
    book = workbook(sheet("Sheet1", STATUS_HEADER, ("1", "A", "Not completed"), ("2", "B", "Yes")))
    report = map_report(book, WITHOUT_STATUS)
    assert [r.completed for r in report.rows] == [False, True]
    assert report.completion == "status"
    status = next(c for c in report.columns if c.field == "status")
    assert (status.header, status.letter, status.signal) == ("Status", "C", "content")


@pytest.mark.parametrize(
    ("row", "expected_problems"),
    [
        pytest.param(
            (1, 40123, "R. Selvam", "Supdt", "98765", "r.selvam@example.gov.in"),
            [problem("S", 2, "Contact No", "98765", "a mobile number has 10 digits")],
            id="short mobile",
        ),
        pytest.param(
            (1, 40123, "R. Selvam", "Supdt", 5876543210, "r.selvam@example.gov.in"),
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
            (1, 40123, None, "Supdt", 9876543210, "r.selvam@example.gov.in"),
            [problem("S", 2, "Name of the Officer", None, "the officer's name is missing")],
            id="missing name",
        ),
        pytest.param(
            (1, "  ", "R. Selvam", "Supdt", 9876543210, "r.selvam@example.gov.in"),
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


def test_a_sheet_without_an_employee_code_column_is_sent_back_naming_it() -> None:
    book = workbook(
        sheet(
            "S",
            ("Sl. No", "Name of the Officer", "Email ID"),
            (1, "R. Selvam", "r.selvam@example.gov.in"),
            (2, "K. Priya", "k.priya@example.gov.in"),
        )
    )
    report = map_report(book, UNIT)
    assert not report.readable
    assert report.rows == ()
    assert report.reason == (
        "sheet 'S' has no Employee Code column (its header on row 1 names Sl. No,"
        " Name of the Officer, Email ID); add a column headed 'Employee Code' with each"
        " officer's employee code, and send the report again"
    )


def test_a_sheet_without_a_required_column_beside_a_full_one_is_named_and_not_read() -> None:
    book = workbook(
        sheet("Officers", HEADER, SELVAM),
        sheet("Division II", ("Name of the Officer", "Designation"), ("K. Priya", "Inspector")),
    )
    report = map_report(book, UNIT)
    assert report.sheets_used == ("Officers",)
    assert [r.name for r in report.rows] == ["R. Selvam"]
    assert [(p.sheet, p.row, p.message.split(":")[0]) for p in report.problems] == [
        ("Division II", 1, "this sheet was not read")
    ]


def test_a_consolidated_reports_summary_and_exceptions_are_no_officers() -> None:
    book = workbook(
        sheet("Zonal report", ("Zonal report reg ...",), HEADER, SELVAM, PRIYA),
        sheet("Summary by unit", ("Unit", "Strength", "Completed"), ("Chennai North", 10, 2)),
        sheet(
            "Exceptions",
            ("Unit", "File", "Sheet", "Row", "Employee ID", "Name", "Issue"),
            ("Chennai North", "Format.xlsx", "Sheet1", 4, "40123", "R. Selvam", "missing e-mail"),
        ),
        sheet("Abstract", ("Sl. No", "Employee Code", "Name of the Officer"), (1, 40123, "x")),
    )
    report = map_report(book, ZONAL)
    assert report.sheets_used == ("Zonal report",)
    assert [r.name for r in report.rows] == ["R. Selvam", "K. Priya"]


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
        sheet("A", ("Name", "Employee Code", "Email ID"), ("X", "E1", "bad"), ("Y", "E2", "bad")),
        sheet("B", HEADER, (1, None, "Z", None, "1", None)),
    )
    report = map_report(book, UNIT)
    assert [(p.sheet, p.row) for p in report.problems] == [
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


# Headers as offices write them -------------------------------------------

LOOKUP = HeaderLookup(UNIT)


@pytest.mark.parametrize(
    ("written", "field_name", "quality"),
    [
        ("Sl. No", "serial", EXACT),
        ("S.No.", "serial", EXACT),
        ("Sr. No.", "serial", EXACT),
        ("Employee Code", "employee_code", EXACT),
        ("Emp Code", "employee_code", EXACT),
        ("Employee ID", "employee_code", EXACT),
        ("Emp. No.", "employee_code", EXACT),
        ("Name of the Officer", "name", EXACT),
        ("Name", "name", EXACT),
        ("Officer Name", "name", EXACT),
        ("Designation", "designation", EXACT),
        ("Desig.", "designation", EXACT),
        ("Post", "designation", EXACT),
        ("Contact No", "mobile", EXACT),
        ("Mobile", "mobile", EXACT),
        ("Phone", "mobile", EXACT),
        ("Mobile No.", "mobile", EXACT),
        ("Email ID", "email", EXACT),
        ("E-mail", "email", EXACT),
        ("Mail ID", "email", EXACT),
        ("Gov e-mail ID", "email", EXACT),
        ("Email ID*", "email", EXACT),
        ("Name of the\nOfficer", "name", EXACT),
        ("Status", "status", EXACT),
        ("Completed (Yes/No)", "status", EXACT),
        ("Date of Completion", "completion_date", EXACT),
        ("Completed On", "completion_date", EXACT),
        ("Date of completion of course", "completion_date", EXACT),
        ("Certificate", "certificate", EXACT),
        ("Certificate No.", "certificate", EXACT),
        ("Certificate ID", "certificate", EXACT),
        ("Name of the Officer (in capitals)", "name", WITHOUT_NOTES),
        ("Contact No. (Mobile)", "mobile", WITHOUT_NOTES),
        ("Whether Completed (Yes / No)", "status", WITHOUT_NOTES),
        ("Date of completion\n(DD.MM.YYYY)", "completion_date", WITHOUT_NOTES),
        ("Name [as in service book]", "name", WITHOUT_NOTES),
        ("Email ID of the Officer", "email", LOOSE),
        ("Mobile Number of the officer", "mobile", LOOSE),
        ("Name of the Officer in Capital Letters", "name", LOOSE),
        ("Date of completion of the course (dd/mm/yyyy)", "completion_date", LOOSE),
        ("Mobile / WhatsApp No.", "mobile", LOOSE),
        ("Designation & Place of posting", "designation", LOOSE),
    ],
)
def test_a_header_cell_names_a_column(written: str, field_name: str, quality: int) -> None:
    assert LOOKUP.match(written) == HeaderHit(field_name, quality)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "written",
    [
        "Name of the Commissionerate",
        "Name of the Division",
        "Designation of the Reporting Authority",
        "Office",
        "Date of Joining",
        "Report reg Completion of Course on Emerging Technologies",
        "",
        "   ",
        40123,
        None,
    ],
)
def test_a_header_cell_naming_no_column(written: object) -> None:
    assert LOOKUP.match(written) is None


OFFICER, CONTACT = "Officer details", "Contact details"
UPPER = ("Sl. No", OFFICER, OFFICER, OFFICER, CONTACT, CONTACT)
LOWER = (None, "Employee Code", "Name", "Designation", "Mobile", "E-mail")

HEADER_CASES = [
    pytest.param(
        sheet("S", ("Report",), (), (), (), UPPER, LOWER, SELVAM),
        6,
        {
            "serial": (0, "Sl. No"),
            "employee_code": (1, "Employee Code"),
            "name": (2, "Name"),
            "designation": (3, "Designation"),
            "mobile": (4, "Mobile"),
            "email": (5, "E-mail"),
        },
        id="a header over two rows, group titles merged across their columns",
    ),
    pytest.param(
        sheet(
            "S",
            (
                "Sl. No",
                "Employee Code",
                "Name of the Officer",
                "Contact details",
                "Contact details",
            ),
            ("Sl. No", "Employee Code", "Name of the Officer", "Mobile", "Email ID"),
            (1, 40123, "R. Selvam", 9876543210, "r.selvam@example.gov.in"),
        ),
        2,
        {
            "serial": (0, "Sl. No"),
            "employee_code": (1, "Employee Code"),
            "name": (2, "Name of the Officer"),
            "mobile": (3, "Mobile"),
            "email": (4, "Email ID"),
        },
        id="headers merged down over two rows",
    ),
    pytest.param(
        sheet(
            "S",
            ("S.", "Employee", "Name of", "Post", "Phone", "Official"),
            ("No.", "Number", "Employee", None, "Number", "E-mail ID"),
        ),
        2,
        {
            "serial": (0, "S. No."),
            "employee_code": (1, "Employee Number"),
            "name": (2, "Name of Employee"),
            "designation": (3, "Post"),
            "mobile": (4, "Phone Number"),
            "email": (5, "E-mail ID"),
        },
        id="words of a header split over two rows",
    ),
    pytest.param(
        sheet("S", ("Employee Code", "Name", "Remarks"), ("40123", "R. Selvam", "Name")),
        1,
        {"employee_code": (0, "Employee Code"), "name": (1, "Name"), "remarks": (2, "Remarks")},
        id="the first officer row is never read as the lower half of the header",
    ),
    pytest.param(
        sheet(
            "S",
            ("Sl. No", "Employee Code", "Name of the Officer", "Designation", "Remarks"),
            ("1", "E-123", "R. Selvam", "Inspector", "Completed"),
        ),
        1,
        {
            "serial": (0, "Sl. No"),
            "employee_code": (1, "Employee Code"),
            "name": (2, "Name of the Officer"),
            "designation": (3, "Designation"),
            "remarks": (4, "Remarks"),
        },
        id="a first officer row of text only is not the lower half of the header",
    ),
    pytest.param(
        sheet("S", (TITLE := "Report reg Completion of Course",) * 6, HEADER),
        2,
        {
            "serial": (0, "Sl. No"),
            "employee_code": (1, "Employee Code"),
            "name": (2, "Name of the Officer"),
            "designation": (3, "Designation"),
            "mobile": (4, "Contact No"),
            "email": (5, "Email ID"),
        },
        id="a title merged across the table above the header",
    ),
    pytest.param(
        sheet("S", ("Name of the Officer (in capitals)", "Employee Code", "Name")),
        1,
        {"employee_code": (1, "Employee Code"), "name": (2, "Name")},
        id="an exact header wins the column over a decorated one, wherever it is",
    ),
    pytest.param(
        sheet("S", ("Name of the Commissionerate", "Emp Code", "Officer Name", "Mail ID")),
        1,
        {"employee_code": (1, "Emp Code"), "name": (2, "Officer Name"), "email": (3, "Mail ID")},
        id="'Name of the Commissionerate' is not the officer's name",
    ),
    pytest.param(
        sheet("S", ("Emp Code", "Name of the Officer (in capitals)", "Email ID of the officer")),
        1,
        {
            "employee_code": (0, "Emp Code"),
            "name": (1, "Name of the Officer (in capitals)"),
            "email": (2, "Email ID of the officer"),
        },
        id="decorated headers when nothing names the column exactly",
    ),
    pytest.param(
        sheet(
            "S",
            ("Emp Code", "Name", "Email ID", "Contact No"),
            hidden_columns=[3],
        ),
        1,
        {"employee_code": (0, "Emp Code"), "name": (1, "Name"), "email": (2, "Email ID")},
        id="hidden columns are not read",
    ),
    pytest.param(
        sheet("S", *([()] * 28), UPPER, LOWER),
        30,
        {
            "serial": (0, "Sl. No"),
            "employee_code": (1, "Employee Code"),
            "name": (2, "Name"),
            "designation": (3, "Designation"),
            "mobile": (4, "Mobile"),
            "email": (5, "E-mail"),
        },
        id="a two-row header ending on the 30th row",
    ),
]


@pytest.mark.parametrize(("raw", "row", "columns"), HEADER_CASES)
def test_find_header(raw: RawSheet, row: int, columns: dict[str, tuple[int, str]]) -> None:
    match = find_header(raw, UNIT)
    assert match is not None
    assert match.row == row
    assert {f: (match.positions[f], match.headers[f]) for f in match.positions} == columns


def test_a_two_row_header_is_reported_by_its_lower_row_and_data_starts_below_it() -> None:
    book = workbook(sheet("Sheet1", ("Report",), UPPER, LOWER, SELVAM, (2, 40124, "K. Priya")))
    report = map_report(book, UNIT)
    assert report.header_rows == {"Sheet1": 3}
    assert [(r.row, r.employee_code, r.name) for r in report.rows] == [
        (4, "40123", "R. Selvam"),
        (5, "40124", "K. Priya"),
    ]
    assert report.problems == ()


def test_a_two_row_header_printed_again_is_skipped() -> None:
    book = workbook(sheet("S", UPPER, LOWER, SELVAM, UPPER, LOWER, PRIYA))
    report = map_report(book, UNIT)
    assert [r.row for r in report.rows] == [3, 6]
    assert report.problems == ()


def test_problems_in_a_two_row_header_name_the_lower_header() -> None:
    book = workbook(sheet("Sheet1", UPPER, LOWER, (1, 40123, "R. Selvam", None, "98765")))
    report = map_report(book, UNIT)
    assert [p.describe() for p in report.problems] == [
        "Chennai North.xlsx, sheet 'Sheet1', row 3, Mobile '98765': a mobile number has 10 digits"
    ]


# Rows that are not officers --------------------------------------------

NOT_OFFICER_CASES = [
    pytest.param(("Total", None, None, None, None, None), id="Total"),
    pytest.param((None, None, "Grand Total", None, None, None), id="Grand Total"),
    pytest.param(("Total: 45",), id="Total: 45"),
    pytest.param((45, "Total"), id="a number under the serial column and Total"),
    pytest.param((None, None, "TOTAL NO. OF OFFICERS", None, 45), id="total number of officers"),
    pytest.param(("Sub-Total", None, None, None, None, 12), id="Sub-Total"),
    pytest.param((None, None, "No. of officers completed: 12"), id="number of officers"),
    pytest.param((None, None, "Sd/-"), id="Sd/-"),
    pytest.param((None, None, None, None, None, "Sd/-"), id="Sd/- under the email column"),
    pytest.param((None, None, "(R. GOPALSAMY)"), id="the signing officer's name in brackets"),
    pytest.param((None, None, "Assistant Commissioner"), id="a designation under the name"),
    pytest.param((None, None, None, "Superintendent"), id="a designation alone"),
    pytest.param((None, None, "Deputy Commissioner (Admn)"), id="Deputy Commissioner (Admn)"),
    pytest.param(("Station: Chennai",), id="Station"),
    pytest.param((None, "Date: 24.04.2023"), id="Date under the code column"),
    pytest.param((None, "Date:", dt.datetime(2023, 4, 24)), id="Date: beside a date"),
    pytest.param((None, None, "Place"), id="Place"),
    pytest.param((None, None, "Signature"), id="Signature"),
    pytest.param((None, None, "Signature of the Head of Office"), id="Signature of ..."),
    pytest.param(("Division II",) * 6, id="a section heading merged across the row"),
    pytest.param((None, None, "Range - III"), id="a section heading in the name column"),
    pytest.param((None, None, "Chennai North Commissionerate"), id="a commissionerate heading"),
]


@pytest.mark.parametrize("row", NOT_OFFICER_CASES)
def test_rows_that_are_not_officers(row: tuple[CellValue, ...]) -> None:
    report = map_report(workbook(sheet("S", HEADER, SELVAM, row, PRIYA)), UNIT)
    assert [r.row for r in report.rows] == [2, 4]
    assert report.problems == ()


def test_a_signature_block_is_skipped_whole_and_the_table_may_go_on_below_it() -> None:
    book = workbook(
        sheet(
            "S",
            HEADER,
            SELVAM,
            (),
            (None, None, "Sd/-"),
            (None, None, "R. GOPALSAMY"),
            (None, None, "Assistant Commissioner (Admn)"),
            (None, None, "Chennai North"),
            HEADER,
            PRIYA,
        )
    )
    report = map_report(book, UNIT)
    assert [r.row for r in report.rows] == [2, 9]
    assert report.problems == ()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(
            (None, None, "V. Anitha", "Inspector", None, None),
            officer("S", 3, None, "V. Anitha", "Inspector"),
            id="a name and a designation",
        ),
        pytest.param(
            (None, None, "V. Anitha", None, None, None),
            officer("S", 3, None, "V. Anitha"),
            id="a name alone",
        ),
        pytest.param(
            (None, None, "SD Kumar", "Inspector", None, None),
            officer("S", 3, None, "SD Kumar", "Inspector"),
            id="a name that begins like Sd/-",
        ),
        pytest.param(
            (6, None, "K. Assistant", "Assistant Commissioner", None, None),
            officer("S", 3, None, "K. Assistant", "Assistant Commissioner"),
            id="a serial number makes it an officer row",
        ),
        pytest.param(
            (None, None, "Total Quality Officer", None, 9876543210, None),
            officer("S", 3, None, "Total Quality Officer", mobile="9876543210"),
            id="a mobile number makes it an officer row",
        ),
        pytest.param(
            (None, "40125", "M. Rani", "Tax Assistant", None, None, "Total service 20 years"),
            officer("S", 3, "40125", "M. Rani", "Tax Assistant"),
            id="remarks beginning with Total",
        ),
    ],
)
def test_an_officer_without_a_code_is_kept_and_told_what_is_missing(
    row: tuple[CellValue, ...], expected: OfficerRow
) -> None:
    header = (*HEADER, "Remarks")
    report = map_report(workbook(sheet("S", header, SELVAM, row)), UNIT)
    assert report.rows[1] == expected
    missing = [] if expected.employee_code else [(3, "Employee Code", EMPLOYEE_CODE_MISSING)]
    assert [(p.row, p.column, p.message) for p in report.problems] == missing


EMPLOYEE_CODE_MISSING = "the employee code is missing"


# Numbers and addresses as offices write them --------------------------------


@pytest.mark.parametrize(
    ("code", "mobile", "email", "expected"),
    [
        (40123.0, 9.87654321e9, "r@example.gov.in", ("40123", "9876543210", "r@example.gov.in")),
        (
            "40123",
            "+91 98765 43210",
            "mailto: R@example.gov.in",
            ("40123", "9876543210", "r@example.gov.in"),
        ),
        (
            " 40123 ",
            "098765-43210",
            " r @ example.gov.in ",
            ("40123", "9876543210", "r@example.gov.in"),
        ),
        (
            "40123.0",
            "9876543210 / 9123456789",
            "R@example.gov.in",
            ("40123", "9876543210", "r@example.gov.in"),
        ),
        (
            "E-40123",
            "9876543210.0",
            "a@gmail.example.com; b@example.gov.in",
            ("E-40123", "9876543210", "b@example.gov.in"),
        ),
        (
            40123,
            "9.87654321E9",
            "a@example.gov.in; b@gmail.example.com",
            ("40123", "9876543210", "a@example.gov.in"),
        ),
        (
            40123,
            9876543210,
            "a@gmail.example.com, b@yahoo.example.com",
            ("40123", "9876543210", "a@gmail.example.com"),
        ),
        (
            40123,
            "Mob. 98765 43210 (O)",
            "b@example.nic.in / a@example.gov.in",
            ("40123", "9876543210", "b@example.nic.in"),
        ),
    ],
)
def test_numbers_and_addresses_as_written(
    code: CellValue, mobile: CellValue, email: CellValue, expected: tuple[str, str, str]
) -> None:
    report = map_report(
        workbook(sheet("S", HEADER, (1, code, "R. Selvam", None, mobile, email))), UNIT
    )
    row = report.rows[0]
    assert (row.employee_code, row.mobile, row.email) == expected
    assert report.problems == ()


# Who completed ----------------------------------------------------------------

BAD_DATE = "this is not a date; write the date of completion as DD.MM.YYYY"


@pytest.mark.parametrize(
    ("extra_headers", "extra_cells", "completed", "problems"),
    [
        pytest.param(("Date of Completion",), (dt.datetime(2023, 4, 21),), True, [], id="a date"),
        pytest.param(("Date of Completion",), (45040,), True, [], id="a serial number"),
        pytest.param(("Date of Completion",), (45040.0,), True, [], id="a serial number as float"),
        pytest.param(("Completion Date",), ("21.04.2023",), True, [], id="text 21.04.2023"),
        pytest.param(("Completed On",), ("21/4/23",), True, [], id="text 21/4/23"),
        pytest.param(("Completed On",), ("21-Apr-2023",), True, [], id="text 21-Apr-2023"),
        pytest.param(("Date of Completion",), (None,), False, [], id="an empty date"),
        pytest.param(("Date of Completion",), ("NA",), False, [], id="a date written NA"),
        pytest.param(("Date of Completion",), ("Pending",), False, [], id="Pending in the date"),
        pytest.param(("Date of Completion",), ("Completed",), True, [], id="Completed in the date"),
        pytest.param(
            ("Date of Completion",),
            ("31.02.2023",),
            False,
            [("Date of Completion", "31.02.2023", BAD_DATE)],
            id="a date that does not exist",
        ),
        pytest.param(
            ("Date of Completion",),
            ("soon",),
            False,
            [("Date of Completion", "soon", BAD_DATE)],
            id="not a date",
        ),
        pytest.param(("Certificate No.",), ("IGOT/2023/123",), True, [], id="a certificate"),
        pytest.param(("Certificate",), (778812,), True, [], id="a certificate number"),
        pytest.param(("Certificate ID",), (None,), False, [], id="no certificate"),
        pytest.param(("Certificate Number",), ("-",), False, [], id="a certificate written -"),
        pytest.param(("Certificate",), ("Not completed",), False, [], id="Not completed"),
        pytest.param(
            ("Date of Completion", "Certificate"),
            (None, "IGOT/2023/123"),
            True,
            [],
            id="a certificate without a date",
        ),
        pytest.param(("Status",), ("Done",), True, [], id="status Done"),
        pytest.param(("Status",), ("No",), False, [], id="status No"),
        pytest.param(
            ("Status", "Date of Completion"),
            ("Not completed", "21.04.2023"),
            False,
            [],
            id="the status decides over a date",
        ),
        pytest.param(
            ("Status", "Date of Completion"),
            ("Completed", "01.01.2099"),
            True,
            [],
            id="a date in the future is still a date",
        ),
        pytest.param(
            ("Status", "Certificate"),
            (None, "IGOT/2023/123"),
            True,
            [],
            id="an empty status with a certificate",
        ),
        pytest.param(
            ("Status", "Date of Completion"),
            (None, None),
            False,
            [("Status", None, STATUS_EMPTY_MESSAGE)],
            id="an empty status without a date",
        ),
        pytest.param(
            ("Remarks",), ("not completed",), False, [], id="remarks of statuses are the status"
        ),
        pytest.param(("Remarks",), ("transferred",), True, [], id="other remarks do not decide"),
    ],
)
def test_who_completed(
    extra_headers: tuple[str, ...],
    extra_cells: tuple[CellValue, ...],
    completed: bool,
    problems: list[tuple[str, str | None, str]],
) -> None:
    header = ("Employee Code", "Name of the Officer", *extra_headers)
    report = map_report(workbook(sheet("S", header, ("40123", "R. Selvam", *extra_cells))), UNIT)
    assert [r.completed for r in report.rows] == [completed]
    assert [(p.column, p.value, p.message) for p in report.problems] == problems


# The same officer twice -------------------------------------------------------


def test_the_same_email_without_a_code_is_reported_on_the_later_row() -> None:
    book = workbook(
        sheet(
            "S",
            ("Employee Code", "Name", "Email ID"),
            ("40123", "R. Selvam", "r.selvam@example.gov.in"),
            (None, "R. Selvam", "R.Selvam@example.gov.in"),
            ("40124", "K. Priya", "r.selvam@example.gov.in"),
        )
    )
    report = map_report(book, UNIT)
    assert len(report.rows) == 3, "nothing is dropped or merged"
    assert [(p.row, p.column, p.value, p.message) for p in report.problems] == [
        (3, "Employee Code", None, "the employee code is missing"),
        (
            3,
            "Email ID",
            "r.selvam@example.gov.in",
            "e-mail r.selvam@example.gov.in is also on row 2 of sheet 'S'",
        ),
    ]


def test_the_same_name_and_designation_without_code_or_email_is_reported() -> None:
    book = workbook(
        sheet(
            "S",
            ("Employee Code", "Name", "Designation"),
            ("40123", "R. Selvam", "Inspector"),
            (None, "R.SELVAM", "INSPECTOR"),
            (None, "R. Selvam", "Superintendent"),
            ("40125", "R. Selvam", "Inspector"),
        )
    )
    report = map_report(book, UNIT)
    assert len(report.rows) == 4
    assert [(p.row, p.column, p.message) for p in report.problems] == [
        (3, "Employee Code", "the employee code is missing"),
        (
            3,
            "Name",
            "R.SELVAM, INSPECTOR is also on row 2 of sheet 'S'; give each officer's employee code",
        ),
        (4, "Employee Code", "the employee code is missing"),
    ]


# Properties -------------------------------------------------------------------

_SPACING = st.sampled_from([" ", "  ", "\n", " \n ", "\xa0", "\t"])
_CASE = st.sampled_from([str.lower, str.upper, str.title, lambda s: s])
_NOTES = st.sampled_from(["(in capitals)", "(10 digits)", "(as per records)", "[optional]", "*"])
_TAILS = st.sampled_from(["of the officer", "as per service book", "in full"])
_ALL_HEADERS = [(c.field, text) for c in UNIT.columns for text in (c.header, *c.synonyms)]


def _rewrite(text: str, data: st.DataObject) -> str:
    """The header as another clerk would type it: other case, spacing and full stops."""
    words = data.draw(_CASE)(text).replace(".", data.draw(st.sampled_from([".", "", ". "])))
    spaced = data.draw(_SPACING).join(words.split())
    return (
        data.draw(st.sampled_from(["", " ", "\n"]))
        + spaced
        + data.draw(st.sampled_from(["", " ", ":"]))
    )


@given(header=st.sampled_from(_ALL_HEADERS), data=st.data())
def test_any_header_of_the_format_as_typed_names_its_column(
    header: tuple[str, str], data: st.DataObject
) -> None:
    field_name, text = header
    assert LOOKUP.match(_rewrite(text, data)) == HeaderHit(field_name, EXACT)  # type: ignore[arg-type]


@given(header=st.sampled_from(_ALL_HEADERS), note=_NOTES, data=st.data())
def test_a_header_with_a_note_names_its_column(
    header: tuple[str, str], note: str, data: st.DataObject
) -> None:
    field_name, text = header
    hit = LOOKUP.match(f"{_rewrite(text, data)} {note}")
    assert hit is not None
    assert hit.field == field_name
    assert hit.quality >= WITHOUT_NOTES


@given(
    header=st.sampled_from(
        [(f, t) for f, t in _ALL_HEADERS if len(t.replace(".", " ").split()) > 1]
    ),
    tail=_TAILS,
)
def test_a_header_of_two_or_more_words_may_run_on(header: tuple[str, str], tail: str) -> None:
    field_name, text = header
    hit = LOOKUP.match(f"{text} {tail}")
    assert hit is not None
    assert hit.field == field_name


@given(word=st.sampled_from([t for _, t in _ALL_HEADERS if len(normalise_header(t).split()) == 1]))
def test_a_one_word_header_never_stretches_to_a_longer_one(word: str) -> None:
    assert LOOKUP.match(f"{word} of the Commissionerate") is None
    assert LOOKUP.match(f"{word} of the Division") is None


@given(text=st.text(max_size=40))
def test_header_matching_takes_any_text(text: str) -> None:
    hit = LOOKUP.match(text)
    assert hit is None or (
        hit.field in FIELDS and hit.quality in {EXACT, WITHOUT_NOTES, LOOSE, WORDS}
    )


@given(
    order=st.permutations(range(8)),
    extras=st.lists(st.sampled_from(["Office", "Remarks ", "Date of Joining", "Wing"]), max_size=2),
)
def test_columns_in_any_order_with_extra_columns_give_the_same_officer(
    order: list[int], extras: list[str]
) -> None:
    header = (*HEADER, "Office", "Status")
    values = (*SELVAM, "Division I", "Completed")
    columns = [header[i] for i in order] + extras
    cells = [values[i] for i in order] + ["x"] * len(extras)
    report = map_report(workbook(sheet("S", ("Report",), columns, cells)), UNIT)
    assert report.rows == (
        officer(
            "S", 3, "40123", "R. Selvam", "Superintendent", "9876543210", "r.selvam@example.gov.in"
        ),
    )
    assert report.problems == ()


class _EveryWord(frozenset[str]):
    """Holds every word: a lookup given it as the first words of its headers tries each
    way of naming a column on every cell, as if its shortcut for data cells did not exist."""

    def __contains__(self, word: object) -> bool:
        return True


_HEADER_WORDS = sorted(
    {word for _, text in _ALL_HEADERS for word in normalise_header(text).split()}
)
_PIECES = st.one_of(
    st.sampled_from(_HEADER_WORDS),
    st.sampled_from([text for _, text in _ALL_HEADERS]),
    st.sampled_from([" ", "  ", "/", " & ", " and ", "or ", "(", ")", "[", "]", ".", "-", "_"]),
    st.sampled_from(["(in capitals)", "[x]", "R.", "Selvam", "40123", "@", "ΟΔΟΣ", "İ", "\n"]),
    st.text(max_size=4),
)


_AROUND_A_HEADER = st.tuples(
    st.sampled_from(["", "(in capitals) ", "[x]", "1. ", "(a)", "Officer's ", "İ "]),
    st.sampled_from([text for _, text in _ALL_HEADERS]),
    st.sampled_from(["", " (note)", " / Phone", " and Designation", " of the officer", " ΟΔΟΣ"]),
).map("".join)


@settings(max_examples=500)
@given(
    text=st.one_of(
        st.lists(_PIECES, max_size=7).map("".join), _AROUND_A_HEADER, st.text(max_size=30)
    ),
    fmt=st.sampled_from([UNIT, ZONAL]),
)
def test_telling_data_cells_apart_by_their_first_word_changes_no_match(
    text: str, fmt: ReportFormat
) -> None:
    without_shortcut = HeaderLookup(fmt)
    without_shortcut._first_words = _EveryWord()
    assert HeaderLookup(fmt).match(text) == without_shortcut.match(text)


def test_a_header_lower_cased_differently_in_part_and_whole_is_still_found() -> None:
    # "Σ" is lower-cased "ς" at the end of a word and "σ" within one, so the text
    # before "and" lower-cases to the header "οδος" while the whole begins "οδοσ".
    greek = ReportFormat("greek", "", (Column("name", "ΟΔΟΣ"), Column("email", "Email")))
    assert HeaderLookup(greek).match("ΟΔΟΣ.and more") == HeaderHit("name", LOOSE)
