"""The consolidated report: completed officers in the upstream format, a summary, exceptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from daemon.core.compliance import (
    Totals,
    UnitCompliance,
    UnitLike,
    officer_identity,
    summarise,
    totals,
    unit_compliance,
)
from daemon.core.models import OfficerRow, ReportFormat, Submission
from daemon.core.normalise import is_government_email

# The fields an upstream format may ask for, and how each is read off an officer row.
_VALUES = {
    "employee_code": lambda r: r.employee_code,
    "name": lambda r: r.name,
    "designation": lambda r: r.designation,
    "mobile": lambda r: r.mobile,
    "email": lambda r: r.email,
}


@dataclass(frozen=True)
class ExceptionRow:
    """A completed officer the upstream office may question, and why."""

    unit: str
    file: str
    sheet: str
    row: int
    employee_code: str | None
    name: str | None
    issue: str


@dataclass(frozen=True)
class Consolidation:
    """Everything the consolidated workbook holds, ready to be written."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str | int | None, ...], ...]
    summary: tuple[UnitCompliance, ...]
    totals: Totals
    exceptions: tuple[ExceptionRow, ...]


def consolidate(
    upstream: ReportFormat, units: Sequence[UnitLike], current: Mapping[str, Submission]
) -> Consolidation:
    """One numbered row per completed officer: units in the order given, rows as sent."""
    summary = unit_compliance(units, {unit: summarise(s) for unit, s in current.items()})
    names = {u.id: u.name for u in units}
    completed: list[tuple[str, OfficerRow]] = [
        (unit.id, row)
        for unit in units
        if unit.id in current
        for row in current[unit.id].rows
        if row.completed
    ]
    rows = []
    for serial, (_, officer) in enumerate(completed, start=1):
        rows.append(tuple(_cell(column.field, officer, serial) for column in upstream.columns))
    return Consolidation(
        title=upstream.title,
        headers=tuple(c.header for c in upstream.columns),
        rows=tuple(rows),
        summary=summary,
        totals=totals(summary),
        exceptions=tuple(_exceptions(completed, names)),
    )


def _cell(field: str, officer: OfficerRow, serial: int) -> str | int | None:
    if field == "serial":
        return serial
    if field == "status":
        return "Completed"
    read = _VALUES.get(field)
    return read(officer) if read else None


_REQUIRED = (
    ("employee_code", "employee code"),
    ("designation", "designation"),
    ("mobile", "contact number"),
    ("email", "e-mail address"),
)


def _exceptions(
    completed: list[tuple[str, OfficerRow]], names: Mapping[str, str]
) -> list[ExceptionRow]:
    out: list[ExceptionRow] = []

    def add(unit_id: str, row: OfficerRow, issue: str) -> None:
        out.append(
            ExceptionRow(
                unit=names[unit_id],
                file=row.file,
                sheet=row.sheet,
                row=row.row,
                employee_code=row.employee_code,
                name=row.name,
                issue=issue,
            )
        )

    reported_by: dict[str, list[str]] = {}
    for unit_id, row in completed:
        units = reported_by.setdefault(officer_identity(row), [])
        if unit_id not in units:
            units.append(unit_id)
    for unit_id, row in completed:
        missing = [label for field, label in _REQUIRED if not getattr(row, field)]
        if missing:
            add(unit_id, row, "missing " + ", ".join(missing))
        if row.email and not is_government_email(row.email):
            add(unit_id, row, f"e-mail {row.email} is not a gov.in or nic.in address")
        others = [names[u] for u in reported_by[officer_identity(row)] if u != unit_id]
        if others:
            add(unit_id, row, "also reported by " + ", ".join(others))
    return out
