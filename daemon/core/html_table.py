"""Tables pasted into the body of a mail, read as a workbook: one sheet per <table>.

Some offices paste the report into the mail instead of attaching it. Each
table becomes a sheet whose rows are numbered as they appear, so a problem can
still be located ("table 1, row 5"). colspan is filled like a merged cell;
nested tables are read as their own tables.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from daemon.core.models import RawRow, RawSheet, RawWorkbook

BODY_FILE = "(table in the mail body)"
MAX_COLSPAN = 50  # a pasted report never needs more; an absurd colspan must not allocate
MAX_CELLS = 200_000


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._stack: list[list[list[str]]] = []  # open tables, innermost last
        self._cell: list[str] | None = None
        self._span = 1
        self._cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append([])
        elif not self._stack:
            return
        elif tag == "tr":
            self._stack[-1].append([])
        elif tag in ("td", "th"):
            if not self._stack[-1]:
                self._stack[-1].append([])
            self._cell = []
            self._span = _colspan(dict(attrs).get("colspan"))
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        if tag in ("td", "th"):
            self._close_cell()
        elif tag == "table":
            self._close_cell()
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _close_cell(self) -> None:
        if self._cell is None or not self._stack or not self._stack[-1]:
            self._cell = None
            return
        if self._cells < MAX_CELLS:
            text = "".join(self._cell).replace("\xa0", " ").strip()
            self._stack[-1][-1].extend([text] * self._span)
            self._cells += self._span
        self._cell = None


_DIGITS = re.compile(r"\s*([0-9]{1,6})\s*")


def _colspan(value: str | None) -> int:
    """A cell's colspan, 1 when it is not a positive number written in ASCII digits."""
    found = _DIGITS.fullmatch(value or "")
    return min(max(int(found.group(1)), 1), MAX_COLSPAN) if found else 1


# A "<" with no ">" before the next "<" opens no tag; written as text, it cannot make
# the parser look for the tag's end again and again (which takes time that grows
# with the square of the markup's length).
_UNCLOSED_TAG = re.compile(r"<(?=[^<>]*(?:<|\Z))")


def tables_in_html(markup: str) -> RawWorkbook:
    """Every table in an HTML body, as raw sheets named "table 1", "table 2" ..."""
    parser = _Tables()
    parser.feed(_UNCLOSED_TAG.sub("&lt;", markup))
    parser.close()
    sheets = tuple(
        RawSheet(
            name=f"table {index}",
            rows=tuple(
                RawRow(number=number, cells=tuple(cell or None for cell in row))
                for number, row in enumerate(table, start=1)
            ),
        )
        for index, table in enumerate(parser.tables, start=1)
        if table
    )
    return RawWorkbook(file=BODY_FILE, sheets=sheets)
