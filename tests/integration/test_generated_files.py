"""Generated unit reports written to real files and read back as attachments.

Each report from `generated_reports` is written the way the program that
makes such files writes it: .xlsx by openpyxl (the group header and merged
titles as real merged cells), .xls by xlwt (merged with `write_merge`), .ods
as LibreOffice lays out its XML (merged with `number-columns-spanned` and
covered cells), .csv as Excel saves "CSV UTF-8". `parse_attachment` must give
exactly the officers the generator wrote, and nothing else.

What a format cannot hold is not asked of it, and nothing else changes: a
.csv file has one sheet, named after the file, so its report has one sheet
(and the file is named after it); it has no merged cells (a merged range's
value is in its first cell only, as Excel saves it) and no types (a number is
saved as Excel shows it, 40123 for 40123.0; a date as 21-04-2023).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import cast
from xml.sax.saxutils import escape

import pytest
import xlwt  # type: ignore[import-untyped]
from generated_reports import Cell, GeneratedReport, compare, officer_key, unit_reports
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from daemon.adapters.spreadsheets import parse_attachment
from daemon.formats import builtin_formats
from daemon.testing import ods_package

UNIT = builtin_formats()["unit-completion-report"]

Grid = dict[int, list[Cell]]  # row number as Excel shows it -> the cells written on it


def grids(gen: GeneratedReport) -> dict[str, Grid]:
    """Each sheet's cells as a file holds them: a merged range's value in its first cell only."""
    out: dict[str, Grid] = {}
    for sheet in gen.workbook.sheets:
        grid = {row.number: [cast(Cell, c) for c in row.cells] for row in sheet.rows}
        for merge in (m for m in gen.merges if m.sheet == sheet.name):
            for number in range(merge.first_row, merge.last_row + 1):
                cells = grid.get(number, [])
                for column in range(merge.first_column, min(merge.last_column + 1, len(cells))):
                    if (number, column) != (merge.first_row, merge.first_column):
                        cells[column] = None
        out[sheet.name] = grid
    return out


def write_xlsx(gen: GeneratedReport) -> tuple[str, bytes]:
    book = Workbook()
    book.remove(book.active)
    for name, grid in grids(gen).items():
        ws = book.create_sheet(name)
        for number, cells in grid.items():
            for column, value in enumerate(cells, start=1):
                if value is not None:
                    cell = ws.cell(row=number, column=column, value=value)
                    if isinstance(value, str):
                        cell.data_type = "s"  # text a unit typed stays text
        for m in (m for m in gen.merges if m.sheet == name):
            ws.merge_cells(
                start_row=m.first_row,
                start_column=m.first_column + 1,
                end_row=m.last_row,
                end_column=m.last_column + 1,
            )
    out = io.BytesIO()
    book.save(out)
    return f"{Path(gen.workbook.file).stem}.xlsx", out.getvalue()


_XLS_DATE = xlwt.easyxf(num_format_str="DD-MM-YYYY")
_XLS_TEXT = xlwt.easyxf("")


def write_xls(gen: GeneratedReport) -> tuple[str, bytes]:
    book = xlwt.Workbook(encoding="utf-8")
    for name, grid in grids(gen).items():
        ws = book.add_sheet(name)
        merges = [m for m in gen.merges if m.sheet == name]
        firsts = {(m.first_row, m.first_column) for m in merges}
        for number, cells in grid.items():
            for column, value in enumerate(cells):
                if value is not None and (number, column) not in firsts:
                    ws.write(number - 1, column, value, _xls_style(value))
        for m in merges:
            cells = grid.get(m.first_row, [])
            value = cells[m.first_column] if m.first_column < len(cells) else None
            ws.write_merge(
                m.first_row - 1,
                m.last_row - 1,
                m.first_column,
                m.last_column,
                "" if value is None else value,
                _xls_style(value),
            )
    out = io.BytesIO()
    book.save(out)
    return f"{Path(gen.workbook.file).stem}.xls", out.getvalue()


def _xls_style(value: Cell) -> xlwt.XFStyle:
    return _XLS_DATE if isinstance(value, dt.date) else _XLS_TEXT


_ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def write_ods(gen: GeneratedReport) -> tuple[str, bytes]:
    tables = []
    for name, grid in grids(gen).items():
        spans = {
            (m.first_row, m.first_column): m for m in gen.merges if m.sheet == name
        }  # the first cell of each merged range
        covered = {
            (r, c)
            for m in spans.values()
            for r in range(m.first_row, m.last_row + 1)
            for c in range(m.first_column, m.last_column + 1)
        } - set(spans)
        width = max((len(cells) for cells in grid.values()), default=0)
        width = max([width, *(m.last_column + 1 for m in spans.values())])
        rows = []
        for number in range(1, max(grid, default=0) + 1):
            cells = grid.get(number, [])
            xml = []
            for column in range(width):
                value = cells[column] if column < len(cells) else None
                if (number, column) in covered:
                    xml.append("<table:covered-table-cell/>")
                    continue
                merge = spans.get((number, column))
                span = (
                    f' table:number-columns-spanned="{merge.last_column - merge.first_column + 1}"'
                    f' table:number-rows-spanned="{merge.last_row - merge.first_row + 1}"'
                    if merge
                    else ""
                )
                xml.append(_ods_cell(value, span))
            rows.append(f"<table:table-row>{''.join(xml)}</table:table-row>")
        tables.append(
            f'<table:table table:name="{escape(name, {chr(34): "&quot;"})}">'
            f'<table:table-column table:number-columns-repeated="{max(width, 1)}"/>'
            f"{''.join(rows)}</table:table>"
        )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content {_ODS_NAMESPACES} office:version="1.3">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    return f"{Path(gen.workbook.file).stem}.ods", ods_package(content)


def _ods_cell(value: Cell, span: str) -> str:
    """One cell as Calc writes it: typed, with the text shown in paragraphs, spaces as text:s."""
    if value is None:
        return f"<table:table-cell{span}/>"
    if isinstance(value, bool):
        kind = f'office:value-type="boolean" office:boolean-value="{str(value).lower()}"'
    elif isinstance(value, int | float):
        kind = f'office:value-type="float" office:value="{value!r}"'
    elif isinstance(value, dt.date):  # a datetime too
        kind = f'office:value-type="date" office:date-value="{value.isoformat()}"'
    else:
        kind = 'office:value-type="string"'
    paragraphs = "".join(
        f"<text:p>{_ods_text(line)}</text:p>" for line in _shown(value).split("\n")
    )
    return f"<table:table-cell {kind}{span}>{paragraphs}</table:table-cell>"


def _ods_text(line: str) -> str:
    """Text as ODF keeps it: spaces at either end, and all but the first of a run, as <text:s/>."""

    def spaces(run: re.Match[str]) -> str:
        count = len(run.group())
        if run.start() == 0 or run.end() == len(line):
            return f'<text:s text:c="{count}"/>'
        return " " + (f'<text:s text:c="{count - 1}"/>' if count > 1 else "")

    return _SPACES.sub(spaces, escape(line))


_SPACES = re.compile(" +")


def _shown(value: Cell) -> str:
    """A value as a spreadsheet program shows it (Indian date order)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.strftime("%d-%m-%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def write_csv(gen: GeneratedReport) -> tuple[str, bytes]:
    (name, grid), *others = grids(gen).items()
    assert not others, "a .csv file has one sheet"
    width = max((len(cells) for cells in grid.values()), default=1)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for number in range(1, max(grid, default=0) + 1):
        cells = [_shown(value) for value in grid.get(number, [])]
        writer.writerow(cells + [""] * (width - len(cells)))
    return f"{name}.csv", buffer.getvalue().encode("utf-8-sig")


Writer = Callable[[GeneratedReport], tuple[str, bytes]]
FORMATS: dict[str, tuple[Writer, st.SearchStrategy[GeneratedReport]]] = {
    "xlsx": (write_xlsx, unit_reports()),
    "xls": (write_xls, unit_reports()),
    "ods": (write_ods, unit_reports()),
    "csv": (write_csv, unit_reports(max_sheets=1, cover=False)),
}


@pytest.mark.parametrize("kind", list(FORMATS))
@settings(
    max_examples=38,  # per format: about 150 files in all
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(data=st.data())
def test_a_generated_report_written_to_a_file_is_read_exactly(
    kind: str, data: st.DataObject, tmp_path: Path
) -> None:
    writer, reports = FORMATS[kind]
    gen = data.draw(reports)
    name, content = writer(gen)
    path = tmp_path / name
    path.write_bytes(content)
    note(gen.render())
    (report,) = parse_attachment(path.read_bytes(), name, UNIT)
    note(f"read: readable={report.readable} reason={report.reason!r}")
    for row in report.rows:
        note(f"read: {officer_key(row)}")
    reading = compare(gen, report)
    assert reading.exact, "\n".join(reading.problems(limit=20))
