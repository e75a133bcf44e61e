"""The consolidated report in the upstream format, with its summary and exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from daemon.core.consolidate import consolidate
from daemon.core.models import Column, OfficerRow, ReportFormat, Submission
from daemon.formats import builtin_formats

T0 = datetime(2023, 4, 21, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class U:
    id: str
    name: str
    strength: int


def officer(
    code: str | None,
    name: str,
    email: str | None,
    mobile: str | None = "9876543210",
    completed: bool = True,
    row: int = 5,
) -> OfficerRow:
    return OfficerRow(
        code, name, "Inspector", mobile, email, completed, "Sheet1", row, "Format.xlsx"
    )


def sub(unit: str, rows: list[OfficerRow]) -> Submission:
    return Submission(f"m-{unit}", unit, "c", T0, T0, ("Format.xlsx",), tuple(rows), ())


UNITS = [U("north", "Chennai North", 4), U("south", "Chennai South", 3), U("salem", "Salem", 2)]


def test_one_numbered_row_per_completed_officer_in_the_upstream_columns() -> None:
    zonal = builtin_formats()["zonal-completion-report"]
    current = {
        "south": sub("south", [officer("200", "S. Devi", "s.devi@example.gov.in")]),
        "north": sub(
            "north",
            [
                officer("100", "R. Selvam", "r.selvam@example.nic.in"),
                officer("101", "K. Arun", "k.arun@example.gov.in", completed=False),
                officer("102", "M. Priya", "m.priya@cbic.gov.in"),
            ],
        ),
    }
    report = consolidate(zonal, UNITS, current)
    assert report.title == "Zonal report reg Completion of Course on Emerging Technologies"
    assert report.headers == (
        "Sl. No.",
        "Employee ID",
        "Name of the Officer",
        "Designation",
        "Contact Number",
        "Gov e-mail ID",
    )
    # units in configured order, rows as the unit sent them, not-completed left out
    assert report.rows == (
        (1, "100", "R. Selvam", "Inspector", "9876543210", "r.selvam@example.nic.in"),
        (2, "102", "M. Priya", "Inspector", "9876543210", "m.priya@cbic.gov.in"),
        (3, "200", "S. Devi", "Inspector", "9876543210", "s.devi@example.gov.in"),
    )
    assert [(u.name, u.completed, u.compliance_pct) for u in report.summary] == [
        ("Chennai North", 2, 50.0),
        ("Chennai South", 1, 33.3),
        ("Salem", 0, 0.0),
    ]
    assert (report.totals.strength, report.totals.completed) == (9, 3)
    assert report.exceptions == ()


def test_exceptions_name_non_government_mail_missing_fields_and_officers_withheld() -> None:
    zonal = builtin_formats()["zonal-completion-report"]
    current = {
        "north": sub(
            "north",
            [
                officer("100", "R. Selvam", "selvam1970@gmail.example.com", row=5),
                officer(None, "K. Arun", None, mobile=None, row=6),
                officer("301", "T. Mani", None, mobile=None, row=7),
            ],
        ),
    }
    report = consolidate(zonal, UNITS, current)
    assert {(e.unit, e.row, e.issue) for e in report.exceptions} == {
        (
            "Chennai North",
            5,
            "e-mail selvam1970@gmail.example.com is not a gov.in or nic.in address",
        ),
        ("Chennai North", 6, "not sent upstream: no employee code"),
        ("Chennai North", 7, "missing contact number, e-mail address"),
    }
    # the zonal format requires the employee code: an officer without one is not sent
    assert [row[1] for row in report.rows] == ["100", "301"]
    assert [(e.name, e.row) for e in report.withheld] == [("K. Arun", 6)]


def test_an_officer_listed_twice_by_one_unit_or_by_two_goes_upstream_once() -> None:
    # An upstream format that takes officers without a code: the e-mail tells them apart.
    upstream = ReportFormat(
        "open",
        "Officers",
        (Column("serial", "Sl"), Column("employee_code", "Code"), Column("name", "Name")),
    )
    current = {
        "north": sub(
            "north",
            [
                officer("300", "T. Mani", "t.mani@example.gov.in", row=7),
                officer(" 300", "T. Mani", "t.mani@example.gov.in", row=8),  # same code
            ],
        ),
        "south": sub(
            "south",
            [
                officer("300", "T Mani", "t.mani@example.gov.in", row=9),
                officer(None, "S. Devi", "s.devi@example.gov.in", row=10),
            ],
        ),
        "salem": sub("salem", [officer(None, "S. Devi", "s.devi@example.gov.in", row=4)]),
    }
    report = consolidate(upstream, UNITS, current)
    assert [(row[1], row[2]) for row in report.rows] == [("300", "T. Mani"), (None, "S. Devi")]
    assert [(e.unit, e.row, e.issue) for e in report.duplicates] == [
        (
            "Chennai North",
            8,
            "listed twice: the same officer as Chennai North, Format.xlsx sheet 'Sheet1' row 7;"
            " sent once",
        ),
        (
            "Chennai South",
            9,
            "listed twice: the same officer as Chennai North, Format.xlsx sheet 'Sheet1' row 7;"
            " sent once",
        ),
        (
            "Salem",
            4,
            "listed twice: the same officer as Chennai South, Format.xlsx sheet 'Sheet1' row 10;"
            " sent once",
        ),
    ]
    assert set(report.duplicates) <= set(report.exceptions)
