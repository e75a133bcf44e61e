"""The consolidated workbook's cells: unit text always stored as text, values as they are."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from io import BytesIO
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from daemon.adapters.spreadsheet_write import _cell, _row, consolidation_bytes
from daemon.core.compliance import Totals
from daemon.core.consolidate import Consolidation

HOSTILE = ["=1+1", '=HYPERLINK("http://x.example","click")', "+91 cmd", "-2+3", "@SUM(A1)"]
ERRORS = ["#N/A", "#REF!", "#DIV/0!", "#NAME?"]

_TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [*HOSTILE, *ERRORS, "=", "#", "a\x00b", "\x0bx", " lead", "trail ", "x" * 33_000]
    ),
)
_VALUES = st.one_of(
    st.none(),
    _TEXTS,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1)),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.times(),
)


def _written(
    rows: list[list[object]], make_row: Callable[[Any, list[object]], list[Any]]
) -> dict[str, bytes]:
    """The worksheet and the styles of a one-sheet write-only workbook holding `rows`."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("S")
    for values in rows:
        ws.append(make_row(ws, values))
    out = BytesIO()
    wb.save(out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in ("xl/worksheets/sheet1.xml", "xl/styles.xml")}


@given(rows=st.lists(st.lists(_VALUES, max_size=6), max_size=4))
def test_a_row_is_written_as_if_every_value_were_its_own_cell(rows: list[list[object]]) -> None:
    # Values that need no cell of their own are appended as they are; the workbook
    # must come out the same as when each is made a cell.
    each_a_cell = _written(rows, lambda ws, values: [_cell(ws, v) for v in values])
    assert _written(rows, _row) == each_a_cell


def test_unit_text_is_stored_as_text_without_what_a_workbook_cannot_hold() -> None:
    texts = [*HOSTILE, *ERRORS, "bell\x07 and tab\t", "plain"]
    report = Consolidation(
        title="Zonal report",
        headers=("Name",),
        rows=tuple((text,) for text in texts),
        summary=(),
        totals=Totals(0, 0, 0.0),
        exceptions=(),
    )
    data = consolidation_bytes(report, dt.UTC)

    with zipfile.ZipFile(BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    sheet = load_workbook(BytesIO(data))["Zonal report"]
    cells = [sheet.cell(row=r, column=1) for r in range(3, 3 + len(texts))]
    assert [c.value for c in cells] == [*HOSTILE, *ERRORS, "bell and tab\t", "plain"]
    assert {c.data_type for c in cells} == {"s"}
    assert [c.quotePrefix for c in cells[: len(HOSTILE)]] == [True] * len(HOSTILE)
