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
    duplicates: tuple[ExceptionRow, ...] = ()
    """Rows about an officer an earlier row already gives: listed once, named here."""
    withheld: tuple[ExceptionRow, ...] = ()
    """Completed officers not sent: they lack a value the upstream format requires."""


def consolidate(
    upstream: ReportFormat, units: Sequence[UnitLike], current: Mapping[str, Submission]
) -> Consolidation:
    """One numbered row per completed officer: units in the order given, rows as sent.

    An officer listed twice, by one unit or by two (the same employee code,
    else the same e-mail address), is one row: the first; the others are
    exceptions naming both. An officer without a value the upstream format
    requires (an employee code) is not sent upstream, and is an exception.
    """
    summary = unit_compliance(units, {unit: summarise(s) for unit, s in current.items()})
    names = {u.id: u.name for u in units}
    required = [c.field for c in upstream.columns if c.required and c.field in _VALUES]
    sent: list[tuple[str, OfficerRow]] = []
    first: dict[str, tuple[str, OfficerRow]] = {}
    duplicates: list[ExceptionRow] = []
    withheld: list[ExceptionRow] = []
    for unit in units:
        if unit.id not in current:
            continue
        for row in current[unit.id].rows:
            if not row.completed:
                continue
            missing = [_LABELS[f] for f in required if not _VALUES[f](row)]
            if missing:
                issue = f"not sent upstream: no {' or '.join(missing)}"
                withheld.append(_exception(names[unit.id], row, issue))
                continue
            who = _same_officer(row)
            if who is not None and who in first:
                other_unit, other = first[who]
                issue = (
                    f"listed twice: the same officer as {names[other_unit]}, {other.file}"
                    f" sheet '{other.sheet}' row {other.row}; sent once"
                )
                duplicates.append(_exception(names[unit.id], row, issue))
                continue
            if who is not None:
                first[who] = (unit.id, row)
            sent.append((unit.id, row))
    rows = [
        tuple(_cell(column.field, officer, serial) for column in upstream.columns)
        for serial, (_, officer) in enumerate(sent, start=1)
    ]
    return Consolidation(
        title=upstream.title,
        headers=tuple(c.header for c in upstream.columns),
        rows=tuple(rows),
        summary=summary,
        totals=totals(summary),
        exceptions=(*withheld, *duplicates, *_exceptions(sent, names)),
        duplicates=tuple(duplicates),
        withheld=tuple(withheld),
    )


def _same_officer(row: OfficerRow) -> str | None:
    """Who a row is about as the units' counts know it (`officer_identity`), where it has
    an employee code or an e-mail; None where it has neither (two officers of one name
    and post in two units are two officers)."""
    return officer_identity(row) if row.employee_code or row.email else None


def _cell(field: str, officer: OfficerRow, serial: int) -> str | int | None:
    if field == "serial":
        return serial
    if field == "status":
        return "Completed"
    read = _VALUES.get(field)
    return read(officer) if read else None


_LABELS = {
    "employee_code": "employee code",
    "name": "name",
    "designation": "designation",
    "mobile": "contact number",
    "email": "e-mail address",
}
_WANTED = ("employee_code", "designation", "mobile", "email")


def _exception(unit: str, row: OfficerRow, issue: str) -> ExceptionRow:
    return ExceptionRow(
        unit=unit,
        file=row.file,
        sheet=row.sheet,
        row=row.row,
        employee_code=row.employee_code,
        name=row.name,
        issue=issue,
    )


def _exceptions(sent: list[tuple[str, OfficerRow]], names: Mapping[str, str]) -> list[ExceptionRow]:
    """What the upstream office may question about the officers sent."""
    out: list[ExceptionRow] = []
    for unit_id, row in sent:
        missing = [_LABELS[field] for field in _WANTED if not getattr(row, field)]
        if missing:
            out.append(_exception(names[unit_id], row, "missing " + ", ".join(missing)))
        if row.email and not is_government_email(row.email):
            issue = f"e-mail {row.email} is not a gov.in or nic.in address"
            out.append(_exception(names[unit_id], row, issue))
    return out
