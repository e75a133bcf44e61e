"""The consolidated report in the upstream format, with its summary and exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from daemon.core.consolidate import consolidate
from daemon.core.models import OfficerRow, Submission
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


def test_exceptions_name_non_government_mail_missing_fields_and_officers_reported_twice() -> None:
    zonal = builtin_formats()["zonal-completion-report"]
    current = {
        "north": sub(
            "north",
            [
                officer("100", "R. Selvam", "selvam1970@gmail.example.com", row=5),
                officer(None, "K. Arun", None, mobile=None, row=6),
                officer("300", "T. Mani", "t.mani@example.gov.in", row=7),
            ],
        ),
        "south": sub("south", [officer("300", "T. Mani", "t.mani@example.gov.in", row=9)]),
    }
    issues = {(e.unit, e.row, e.issue) for e in consolidate(zonal, UNITS, current).exceptions}
    assert issues == {
        (
            "Chennai North",
            5,
            "e-mail selvam1970@gmail.example.com is not a gov.in or nic.in address",
        ),
        ("Chennai North", 6, "missing employee code, contact number, e-mail address"),
        ("Chennai North", 7, "also reported by Chennai South"),
        ("Chennai South", 9, "also reported by Chennai North"),
    }
