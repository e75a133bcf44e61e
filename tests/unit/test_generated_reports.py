"""The report mapper, by property, over reports generated the way field units write them.

`generated_reports` writes each workbook and, beside it, the exact truth:
every officer row in normal form, the rows that are no officer, the unclear
statuses, the required column left out. The mapper's reading must be that
truth, whatever the title, header, languages, column order, extra columns,
totals and signature around the table. A failing example is printed as the
sheet it was, row by row, each row marked with what it is.

`GENERATED_REPORTS_EXAMPLES` sets the examples per test (default 350: 2,100 in all).
"""

from __future__ import annotations

import os

from generated_reports import (
    GeneratedReport,
    compare,
    officer_key,
    unit_reports,
    unlisted_junk,
)
from hypothesis import HealthCheck, assume, given, note, settings

from daemon.core.models import ParsedReport
from daemon.core.report_mapper import map_report
from daemon.formats import builtin_formats

UNIT = builtin_formats()["unit-completion-report"]

SETTINGS = settings(
    max_examples=int(os.environ.get("GENERATED_REPORTS_EXAMPLES", "350")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

readable_reports = unit_reports(missing="never")


def read(gen: GeneratedReport) -> ParsedReport:
    """The mapper's reading of the generated workbook; the workbook goes in the failure report."""
    note(gen.render())
    report = map_report(gen.workbook, UNIT)
    note(f"read: readable={report.readable} reason={report.reason!r}")
    for row in report.rows:
        note(f"read: {officer_key(row)}")
    return report


@SETTINGS
@given(readable_reports)
def test_every_officer_row_is_read_exactly(gen: GeneratedReport) -> None:
    reading = compare(gen, read(gen))
    assert reading.refusal is None, reading.refusal
    assert not (reading.missed or reading.extra), reading.officer_differences()


@SETTINGS
@given(unit_reports(missing="never", status="always"))
def test_no_officer_is_counted_completed_unless_its_status_says_so(gen: GeneratedReport) -> None:
    reading = compare(gen, read(gen))
    assert not reading.false_completed, "\n".join(reading.problems(limit=20))


@SETTINGS
@given(readable_reports)
def test_no_row_that_is_not_an_officer_is_read_as_one(gen: GeneratedReport) -> None:
    reading = compare(gen, read(gen))
    assert not reading.junk_read, "\n".join(reading.problems(limit=20))


@SETTINGS
@given(unit_reports(missing="never", status="always", unclear=True))
def test_an_unclear_status_is_a_problem_on_its_row(gen: GeneratedReport) -> None:
    assert gen.unknown_status_rows, "the strategy promised an unclear status"
    reading = compare(gen, read(gen))
    assert not reading.unclear_unflagged, f"no problem on rows {reading.unclear_unflagged}"


@SETTINGS
@given(unit_reports(missing="always"))
def test_a_report_without_a_required_column_is_unreadable_and_names_it(
    gen: GeneratedReport,
) -> None:
    assert gen.missing_required is not None
    reading = compare(gen, read(gen))
    assert reading.refusal is None, reading.refusal


@SETTINGS
@given(readable_reports)
def test_every_row_below_the_header_that_is_no_officer_is_listed_as_skipped(
    gen: GeneratedReport,
) -> None:
    report = read(gen)
    assume(report.readable)  # an unreadable report lists nothing; the tests above say why
    unlisted = unlisted_junk(gen, report.skipped)
    assert not unlisted, f"not listed as skipped: {unlisted}; skipped: {report.skipped}"
