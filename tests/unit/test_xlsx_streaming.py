"""The streamed .xlsx reader gives exactly what openpyxl's full model gives.

`read_xlsx` streams a workbook's sheets through its own reader of
openpyxl's parts. Each workbook generated here is read both ways, and the two
`RawWorkbook`s must be equal; the workbook-level state the streaming path
reads must equal what openpyxl's own reader gives, and the files openpyxl
refuses must still be refused.
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
from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from daemon.adapters.spreadsheet_xlsx import (
    DAMAGED,
    DEFAULT_MAX_CELLS,
    _read_full_model,
    _read_streaming,
    _WorkbookReader,
    read_xlsx,
)
from daemon.core.models import RawWorkbook
from daemon.errors import UnreadableFile
from daemon.testing import with_shared_strings

# Titles that differ only in case or by a trailing number: openpyxl numbers the duplicates.
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
_DATE = st.datetimes(min_value=dt.datetime(1905, 1, 1), max_value=dt.datetime(2090, 12, 31))
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
    titles = [draw(st.sampled_from(TITLES)) for _ in range(count)]
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


def streamed(data: bytes) -> RawWorkbook:
    sheets = _read_streaming(data, "r.xlsx", DEFAULT_MAX_CELLS)
    assert sheets is not None, "the workbook was read through the full model"
    return RawWorkbook(file="r.xlsx", sheets=sheets)


def workbook_state(reader: Any) -> dict[str, Any]:
    """What the streaming path reads of a workbook, as openpyxl's reader leaves it."""
    wb = reader.wb
    return {
        "epoch": wb.epoch,
        "cell_styles": [tuple(style) for style in wb._cell_styles],
        "date_formats": set(wb._date_formats),
        "timedelta_formats": set(wb._timedelta_formats),
        "differential_styles": list(wb._differential_styles.styles),
        "sheets": [(type(s).__name__, s.title, s.sheet_state) for s in wb._sheets],
        "named_styles": [style.name for style in wb._named_styles],
    }


def read_with(reader_class: type, data: bytes) -> dict[str, Any]:
    reader = reader_class(io.BytesIO(data), read_only=True, keep_vba=False, data_only=True)
    reader.read()
    try:
        return workbook_state(reader)
    finally:
        reader.wb.close()


class _OpenpyxlReader(ExcelReader):  # type: ignore[misc]
    """openpyxl's own reader, with sheets left unsized as the streaming reader leaves them."""

    read_worksheets = _WorkbookReader.read_worksheets
    read_strings = _WorkbookReader.read_strings


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=workbooks())
def test_the_streamed_workbook_is_the_full_models(data: bytes) -> None:
    expected = _read_full_model(data, "r.xlsx", DEFAULT_MAX_CELLS)
    assert streamed(data) == expected
    assert read_xlsx(data, "r.xlsx") == expected
    state = read_with(_WorkbookReader, data)
    assert state == read_with(_OpenpyxlReader, data)


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
    data = _as_excel_writes(out.getvalue(), ["Data", "data", "Data1"], "some")
    got = streamed(data)
    assert got == _read_full_model(data, "r.xlsx", DEFAULT_MAX_CELLS)
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


def _replace_part(data: bytes, name: str, change: Callable[[bytes | None], bytes | None]) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        names = source.namelist()
        for info in source.infolist():
            part: bytes | None = source.read(info)
            if info.filename == name:
                part = change(part)
            if part is not None:
                target.writestr(info.filename, part)
        if name not in names:
            added = change(None)
            if added is not None:
                target.writestr(name, added)
    return out.getvalue()


def _plain_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Emp. Code", "Name", "Joined"])
    ws.append([40101, "R. Selvam", dt.datetime(2020, 1, 2)])
    ws.row_dimensions[2].hidden = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_NO_CELL_FORMATS = (
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/></font></fonts></styleSheet>'
)
_NO_NAMED_STYLES = (
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    b'<fonts count="1"><font><sz val="11"/></font></fonts>'
    b'<fills count="1"><fill><patternFill/></fill></fills>'
    b'<borders count="1"><border/></borders>'
    b'<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    b'<xf numFmtId="164" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/></cellXfs>'
    b"</styleSheet>"
)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda part: None, id="no styles.xml"),
        pytest.param(lambda part: _NO_CELL_FORMATS, id="styles.xml without cell formats"),
        pytest.param(lambda part: _NO_NAMED_STYLES, id="styles.xml without named styles"),
    ],
)
def test_workbooks_without_their_own_styles_get_openpyxls_defaults(
    change: Callable[[bytes | None], bytes | None],
) -> None:
    data = _replace_part(_plain_workbook(), "xl/styles.xml", change)
    assert read_with(_WorkbookReader, data) == read_with(_OpenpyxlReader, data)
    assert outcome(read_xlsx, data) == outcome(_read_full_model, data, DEFAULT_MAX_CELLS)


def outcome(read: Callable[..., RawWorkbook], *args: Any) -> RawWorkbook | str:
    """What a reader gives for `args`, or the reason it refuses them."""
    try:
        return read(args[0], "r.xlsx", *args[1:])
    except UnreadableFile as exc:
        return exc.reason


@pytest.mark.parametrize(
    ("part", "content"),
    [
        ("xl/styles.xml", b"<styleSheet><fonts><font><sz val='big'/></font></fonts></styleSheet>"),
        ("xl/styles.xml", b"<styleSheet"),
        ("docProps/core.xml", b"<coreProperties"),
        ("docProps/custom.xml", b"<Properties"),
        ("xl/workbook.xml", b"<workbook><sheets><sheet name='x'/></sheets>"),
    ],
)
def test_parts_openpyxl_refuses_still_make_the_file_damaged(part: str, content: bytes) -> None:
    data = _replace_part(_plain_workbook(), part, lambda _: content)
    with pytest.raises(Exception):  # noqa: B017 - openpyxl raises all sorts on bad XML
        read_with(_OpenpyxlReader, data)
    with pytest.raises(Exception):  # noqa: B017
        read_with(_WorkbookReader, data)
    with pytest.raises(UnreadableFile) as refused:
        read_xlsx(data, "r.xlsx")
    assert refused.value.reason == DAMAGED
