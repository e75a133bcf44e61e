"""Every file of the messy-report corpus, read the way an attachment is, gives exactly its rows.

The corpus (tests/corpus/make_corpus.py) is real .xlsx and .csv files written
the way field offices write them, each with the officer rows and problems
written out by hand. Each file goes through the same reader an attachment
does, and the share of rows read exactly right is printed per file and in
total.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# tests/ is on the import path (it holds conftest.py), so the corpus script
# imports as `corpus.make_corpus`; it also runs on its own as a script.
from corpus.make_corpus import (
    CorpusCase,
    ExpectedProblem,
    ExpectedRow,
    build_corpus,
    csv_semicolon_with_quoted_separator,
)

from daemon.adapters.spreadsheets import parse_attachment
from daemon.core.models import OfficerRow, ParsedReport, Problem
from daemon.formats import builtin_formats

UNIT = builtin_formats()["unit-completion-report"]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusCase]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def parse(case: CorpusCase) -> ParsedReport:
    reports = parse_attachment(case.path.read_bytes(), case.file, UNIT)
    assert len(reports) == 1, f"{case.file}: one spreadsheet gives one report"
    return reports[0]


def as_expected_row(row: OfficerRow) -> ExpectedRow:
    return ExpectedRow(
        row.employee_code,
        row.name,
        row.designation,
        row.mobile,
        row.email,
        row.completed,
        row.sheet,
        row.row,
    )


def as_expected_problem(problem: Problem) -> ExpectedProblem:
    return ExpectedProblem(
        problem.sheet, problem.row, problem.column, problem.value, problem.message
    )


def _score(expected: list[object], found: list[object]) -> tuple[int, int]:
    """Rows read exactly right, out of the rows expected plus any found that should not be."""
    right = sum(1 for row in expected if row in found)
    extra = sum(1 for row in found if row not in expected)
    return right, len(expected) + extra


def test_the_corpus_is_as_messy_as_the_offices(
    cases: list[CorpusCase],
) -> None:
    suffixes = [case.path.suffix for case in cases]
    assert suffixes.count(".xlsx") >= 20
    assert suffixes.count(".csv") >= 3
    assert all(case.path.is_file() for case in cases)
    assert sum(len(case.rows) for case in cases) >= 150


def test_every_file_gives_exactly_its_rows_and_problems(
    cases: list[CorpusCase],
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines: list[str] = []
    failures: list[str] = []
    total_right = total = 0
    for case in cases:
        report = parse(case)
        found = [as_expected_row(r) for r in report.rows]
        right, out_of = _score(list(case.rows), list(found))
        total_right += right
        total += out_of
        lines.append(f"  {case.file}: {right}/{out_of} rows exactly right ({case.what})")

        reported = sorted(map(as_expected_problem, report.problems), key=repr)
        expected_problems = sorted(case.problems, key=repr)
        if report.readable == (case.rejected is not None) or report.reason != case.rejected:
            failures.append(f"{case.file}: readable {report.readable}, reason {report.reason}")
        if report.sheets_used != case.sheets_used:
            failures.append(f"{case.file}: sheets used {report.sheets_used}")
        if found != list(case.rows):
            wrong = [r for r in found if r not in case.rows]
            missed = [r for r in case.rows if r not in found]
            failures.append(f"{case.file}: rows wrong {wrong}, missed {missed}")
        if reported != expected_problems:
            unexpected = [p for p in reported if p not in expected_problems]
            missing = [p for p in expected_problems if p not in reported]
            failures.append(f"{case.file}: problems unexpected {unexpected}, missing {missing}")

    share = 100.0 * total_right / total if total else 0.0
    with capsys.disabled():
        print()
        print("\n".join(lines))
        print(f"corpus: {total_right}/{total} rows exactly right ({share:.1f}%)")
    assert not failures, "\n".join(failures)
    assert total_right == total


def test_problems_name_file_sheet_row_column_and_value(
    cases: list[CorpusCase],
) -> None:
    case = next(case for case in cases if case.file == "Format.xlsx")
    assert [p.describe() for p in parse(case).problems] == [
        "Format.xlsx, sheet 'Sheet1', row 14, Contact No '98765': a mobile number has 10 digits"
    ]


def test_a_semicolon_csv_with_a_quoted_semicolon_in_a_cell(tmp_path: Path) -> None:
    case = csv_semicolon_with_quoted_separator(tmp_path)
    report = parse(case)
    assert [as_expected_row(r) for r in report.rows] == list(case.rows)
