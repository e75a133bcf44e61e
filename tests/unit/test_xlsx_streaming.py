"""The .xlsx reader gives what openpyxl's full model gives.

`read_xlsx` reads cells through python-calamine and hidden rows and columns
through its own scan of the sheet XML. Each workbook generated here is read
both ways, through `read_xlsx` and through openpyxl's public full model
(`load_workbook`), and the values, merged ranges, hidden rows, hidden columns
and hidden sheets must agree. Workbooks whose cells are at odd places (a table
starting at C7, a cell far from the others) keep their rows numbered as Excel
shows them, and a sheet whose extent is too large is refused before calamine
builds it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from daemon.adapters.spreadsheet_xlsx import DAMAGED, read_xlsx
from daemon.core.models import CellValue, RawRow, RawSheet, RawWorkbook
from daemon.errors import UnreadableFile
from daemon.testing import with_shared_strings

TITLES = ["Data", "data", "DATA", "Data1", "Sheet", "Sheet1", "Summary", "Div I", "Div I1"]
STATES = ["visible", "hidden", "veryHidden"]
DATE_FORMATS = [
    "dd/mm/yyyy",
    "yyyy-mm-dd hh:mm",
    "d-mmm-yy",
    *(BUILTIN_FORMATS[i] for i in range(14, 23)),
]
NUMBER_FORMATS = ["General", "0.00", "#,##0", "0%", "@", "0.0E+00", '"Rs."#,##0.00']

_TEXT = st.text(alphabet=st.sampled_from("abcXYZ 09.&<>'\"_-"), min_size=1, max_size=8)
# To the second, as a person types a date and time: Excel stores a serial number of
# days, and readers round its fraction of a millisecond differently.
_DATE = st.datetimes(min_value=dt.datetime(1905, 1, 1), max_value=dt.datetime(2090, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)
_CELL = st.one_of(
    st.none(),
    st.tuples(st.just("text"), _TEXT),
    st.tuples(st.just("int"), st.integers(min_value=-(10**9), max_value=10**9)),
    st.tuples(
        st.just("float"), st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, width=32)
    ),
    st.tuples(
        st.just("number"),
        st.integers(min_value=0, max_value=10**6),
        st.sampled_from(NUMBER_FORMATS),
    ),
    st.tuples(st.just("date"), _DATE, st.sampled_from(DATE_FORMATS)),
    st.tuples(
        st.just("serial"), st.integers(min_value=1, max_value=60_000), st.sampled_from(DATE_FORMATS)
    ),
)


@st.composite
def sheet_specs(draw: st.DrawFn) -> dict[str, Any]:
    height = draw(st.integers(min_value=0, max_value=7))
    width = draw(st.integers(min_value=1, max_value=5))
    rows = [[draw(_CELL) for _ in range(width)] for _ in range(height)]
    merges = []
    if height and draw(st.booleans()):
        top = draw(st.integers(min_value=1, max_value=height + 2))
        right = get_column_letter(draw(st.integers(min_value=1, max_value=width + 1)))
        merges.append(f"A{top}:{right}{top + draw(st.integers(min_value=0, max_value=2))}")
    if width > 2 and height > 1 and draw(st.booleans()):
        merges.append(f"{get_column_letter(width)}1:{get_column_letter(width)}2")
    return {
        "rows": rows,
        "merges": merges,
        "hidden_rows": draw(st.sets(st.integers(min_value=1, max_value=height + 2), max_size=3)),
        "hidden_columns": draw(st.sets(st.integers(min_value=1, max_value=width + 1), max_size=2)),
    }


@st.composite
def workbooks(draw: st.DrawFn) -> bytes:
    count = draw(st.integers(min_value=1, max_value=4))
    # Excel refuses two sheets whose names differ only in case.
    titles = draw(
        st.lists(st.sampled_from(TITLES), min_size=count, max_size=count, unique_by=str.lower)
    )
    # A workbook must keep one visible sheet: the first.
    states = ["visible", *(draw(st.sampled_from(STATES)) for _ in range(count - 1))]
    wb = Workbook()
    if draw(st.booleans()):
        wb.epoch = CALENDAR_MAC_1904
    for index in range(count):
        ws = wb.active if index == 0 else wb.create_sheet()
        assert ws is not None
        ws.sheet_state = states[index]
        spec = draw(sheet_specs())
        for r, values in enumerate(spec["rows"], start=1):
            for c, value in enumerate(values, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value[1])
                if len(value) == 3:
                    cell.number_format = value[2]
        for merged in spec["merges"]:
            ws.merge_cells(merged)
        for number in spec["hidden_rows"]:
            ws.row_dimensions[number].hidden = True
        for number in spec["hidden_columns"]:
            ws.column_dimensions[get_column_letter(number)].hidden = True
    out = io.BytesIO()
    wb.save(out)
    shared = draw(st.sampled_from(["none", "some", "all"]))
    return _as_excel_writes(out.getvalue(), titles, shared)


_SHEET_NAME = re.compile(rb'(<sheet [^>]*?name=")[^"]*(")')

# Which text cells Excel would keep in its shared-string table: none, every other, all.
_SHARED: dict[str, Callable[[int], bool]] = {
    "none": lambda n: False,
    "some": lambda n: n % 2 == 0,
    "all": lambda n: True,
}


def _as_excel_writes(data: bytes, titles: list[str], shared: str) -> bytes:
    """The workbook with its sheets given `titles` (duplicates and all) and text cells moved,
    none, some or all, to a shared-string table, as Excel keeps them."""
    names = iter(titles)

    def retitled(part: bytes | None) -> bytes | None:
        assert part is not None
        return _SHEET_NAME.sub(lambda m: m.group(1) + next(names).encode() + m.group(2), part)

    return with_shared_strings(_replace_part(data, "xl/workbook.xml", retitled), _SHARED[shared])


def full_model(data: bytes) -> RawWorkbook:
    """The workbook as openpyxl's public full model gives it: every cell an object."""
    wb = load_workbook(io.BytesIO(data), data_only=True)
    sheets = []
    for ws in wb.worksheets:
        grid: list[list[CellValue]] = [list(values) for values in ws.iter_rows(values_only=True)]
        for merged in ws.merged_cells.ranges:
            value = ws.cell(row=merged.min_row, column=merged.min_col).value
            for row in grid[merged.min_row - 1 : merged.max_row]:
                row[merged.min_col - 1 : merged.max_col] = [value] * (
                    merged.max_col - merged.min_col + 1
                )
        hidden_rows = {n for n, d in ws.row_dimensions.items() if d.hidden}
        hidden_columns = {
            index
            for d in ws.column_dimensions.values()
            if d.hidden and d.min is not None
            for index in range(d.min - 1, min(d.max or d.min, ws.max_column))
        }
        sheets.append(
            RawSheet(
                name=ws.title,
                rows=tuple(
                    RawRow(number=n, cells=tuple(cells), hidden=n in hidden_rows)
                    for n, cells in enumerate(grid, start=1)
                ),
                hidden=ws.sheet_state != "visible",
                hidden_columns=frozenset(hidden_columns),
            )
        )
    return RawWorkbook(file="r.xlsx", sheets=tuple(sheets))


def shown(workbook: RawWorkbook) -> list[dict[str, Any]]:
    """What a reader of the sheets sees: each row with a value, its cells up to the last value,
    which of those rows are hidden, which columns holding values are hidden, and the sheet's
    name and state. (openpyxl's model also counts styled empty cells in a sheet's size.)"""
    sheets = []
    for sheet in workbook.sheets:
        rows = {}
        for row in sheet.rows:
            cells = list(row.cells)
            while cells and cells[-1] is None:
                cells.pop()
            if cells:
                rows[row.number] = (tuple(cells), row.hidden)
        width = max((len(cells) for cells, _ in rows.values()), default=0)
        sheets.append(
            {
                "name": sheet.name,
                "hidden": sheet.hidden,
                "rows": rows,
                "hidden_columns": {c for c in sheet.hidden_columns if c < width},
            }
        )
    return sheets


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=workbooks())
def test_the_workbook_read_is_openpyxls_full_model(data: bytes) -> None:
    assert shown(read_xlsx(data, "r.xlsx")) == shown(full_model(data))


def test_the_generated_workbooks_hold_what_they_are_meant_to() -> None:
    """The generator above does make the cases the comparison is about."""
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    assert ws is not None
    ws["A1"] = dt.datetime(2024, 3, 1)
    ws["A1"].number_format = "dd/mm/yyyy"
    ws["B1"] = 45000
    ws["B1"].number_format = BUILTIN_FORMATS[14]
    ws["C1"] = 12.5
    ws["C1"].number_format = "0.00"
    ws["D1"] = "text"
    ws["E1"] = "more"
    ws.merge_cells("A2:B3")
    ws["A2"] = "merged"
    ws.row_dimensions[4].hidden = True
    ws["A4"] = 1
    ws.column_dimensions["C"].hidden = True
    other = wb.create_sheet()
    other.sheet_state = "veryHidden"
    other["A1"] = "x"
    third = wb.create_sheet()
    third.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    data = _as_excel_writes(out.getvalue(), ["Data", "data1", "Data11"], "some")
    got = read_xlsx(data, "r.xlsx")
    assert shown(got) == shown(full_model(data))
    assert [(s.name, s.hidden) for s in got.sheets] == [
        ("Data", False),
        ("data1", True),
        ("Data11", True),
    ]
    first = got.sheets[0]
    assert first.rows[0].cells == (
        dt.datetime(2024, 3, 1),
        dt.datetime(1904, 1, 1) + dt.timedelta(days=45000),
        12.5,
        "text",
        "more",
    )
    assert first.rows[1].cells[:2] == first.rows[2].cells[:2] == ("merged", "merged")
    assert [row.number for row in first.rows if row.hidden] == [4]
    assert first.hidden_columns == frozenset({2})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b't="s"' in sheet and b't="inlineStr"' in sheet


def _replace_part(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            part = source.read(info)
            target.writestr(info.filename, change(part) if info.filename == name else part)
    return out.getvalue()


def _saved(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_rows_and_columns_before_the_table_keep_its_cells_where_excel_shows_them() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["C7"] = "Employee Code"
    ws["D7"] = "Name"
    ws["C8"] = 40123
    ws["D8"] = "R. Selvam"
    ws.row_dimensions[8].hidden = True
    ws.column_dimensions["A"].hidden = True
    sheet = read_xlsx(_saved(wb), "r.xlsx").sheets[0]
    assert [row.number for row in sheet.rows] == list(range(1, 9))
    assert sheet.rows[6].cells == (None, None, "Employee Code", "Name")
    assert sheet.rows[7].cells == (None, None, 40123, "R. Selvam")
    assert [row.number for row in sheet.rows if row.hidden] == [8]
    assert sheet.hidden_columns == frozenset({0})


def test_hidden_rows_and_columns_are_read_whatever_prefix_and_order_the_xml_uses() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for n in range(1, 6):
        ws.append([n, f"Officer {n}", "Inspector"])
    data = _replace_part(
        _saved(wb),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'<row r="3"', b'<row spans="1:3" hidden="true" r="3"').replace(
            b"<sheetData>", b'<cols><col max="3" hidden="1" min="2"/></cols><sheetData>'
        ),
    )
    sheet = read_xlsx(data, "r.xlsx").sheets[0]
    assert [row.number for row in sheet.rows if row.hidden] == [3]
    assert sheet.hidden_columns == frozenset({1, 2})


def test_a_cell_far_from_the_others_is_refused_before_the_sheet_is_built() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "title"
    ws["B1"] = 1
    # Read, this sheet would be 17 billion cells from A1 to XFD1048576.
    far = _replace_part(
        _saved(wb),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'r="B1"', b'r="XFD1048576"'),
    )
    with pytest.raises(UnreadableFile, match="the file is too large"):
        read_xlsx(far, "r.xlsx")


def test_a_sheet_cut_short_is_damaged() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for n in range(1, 50):
        ws.append([n, f"Officer {n}"])
    data = _replace_part(
        _saved(wb), "xl/worksheets/sheet1.xml", lambda xml: xml[: xml.index(b'<row r="20"')]
    )
    with pytest.raises(UnreadableFile) as refused:
        read_xlsx(data, "r.xlsx")
    assert refused.value.reason == DAMAGED
