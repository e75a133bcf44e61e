"""Measured work run in a fresh interpreter: `python -m bench.worker TASK ARGS...`.

Each task prints one JSON object as its last line, with `seconds` for the part
that is timed (imports and preparation excluded). The parent reads the
process's peak memory with wait4(2).
"""

from __future__ import annotations

import email
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any


def ingest_floor(host: str, port: str, user: str, password: str, batch: str) -> dict[str, Any]:
    """The least an ingester must do: fetch every message, take out its workbook, read its rows
    (imapclient, the standard library's email parser, openpyxl in read-only mode)."""
    from imapclient import IMAPClient
    from openpyxl import load_workbook

    started = time.perf_counter()
    messages = rows = 0
    client = IMAPClient(host, int(port), ssl=False, timeout=30)
    client.login(user, password)
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search("ALL"))
    size = int(batch)
    for start in range(0, len(uids), size):
        fetched = client.fetch(uids[start : start + size], ["BODY.PEEK[]"])
        for data in fetched.values():
            messages += 1
            message = email.message_from_bytes(data[b"BODY[]"])
            for part in message.walk():
                if part.get_filename():
                    payload = part.get_payload(decode=True)
                    assert isinstance(payload, bytes)
                    workbook = load_workbook(BytesIO(payload), read_only=True, data_only=True)
                    for sheet in workbook.worksheets:
                        rows += sum(1 for _ in sheet.iter_rows(values_only=True))
                    workbook.close()
    client.logout()
    return {"seconds": time.perf_counter() - started, "messages": messages, "rows": rows}


def parse_raw(path: str) -> dict[str, Any]:
    """openpyxl's read-only raw iteration over every row of every sheet."""
    from openpyxl import load_workbook

    data = Path(path).read_bytes()
    started = time.perf_counter()
    workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    rows = 0
    for sheet in workbook.worksheets:
        for _ in sheet.iter_rows(values_only=True):
            rows += 1
    workbook.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def parse_calamine(path: str) -> dict[str, Any]:
    """python-calamine's own read of every row of every sheet, as Python values: the near limit."""
    from python_calamine import CalamineWorkbook

    data = Path(path).read_bytes()
    started = time.perf_counter()
    workbook = CalamineWorkbook.from_filelike(BytesIO(data))
    rows = 0
    for index in range(len(workbook.sheets_metadata)):
        for _ in workbook.get_sheet_by_index(index).to_python(skip_empty_area=False):
            rows += 1
    workbook.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def parse_anupalan(path: str) -> dict[str, Any]:
    """The attachment read as a unit's report: the reader and the mapper, as ingest does it."""
    from daemon.adapters.spreadsheets import parse_attachment
    from daemon.formats import builtin_formats

    data = Path(path).read_bytes()
    fmt = builtin_formats()["unit-completion-report"]
    started = time.perf_counter()
    reports = parse_attachment(data, Path(path).name, fmt)
    seconds = time.perf_counter() - started
    report = reports[0]
    if not report.readable:
        raise SystemExit(f"the large report was not read: {report.reason}")
    return {"seconds": seconds, "rows": len(report.rows), "problems": len(report.problems)}


def _consolidation(officers: int) -> Any:
    from daemon.core.consolidate import consolidate
    from daemon.core.models import OfficerRow, Submission
    from daemon.formats import builtin_formats
    from daemon.testing import officers as make_officers

    class Unit:
        def __init__(self, n: int) -> None:
            self.id, self.name, self.strength = f"unit-{n:03d}", f"Unit {n:03d}", 100

    units = [Unit(n) for n in range(1, officers // 100 + 2)]
    rows = make_officers(officers)
    when = datetime(2023, 4, 20, 5, 0, tzinfo=UTC)
    current = {}
    for index, unit in enumerate(units):
        chunk = rows[index * 100 : (index + 1) * 100]
        if not chunk:
            continue
        current[unit.id] = Submission(
            key=f"m-{unit.id}",
            unit_id=unit.id,
            campaign_id="c",
            sent_at=when,
            received_at=when,
            files=("report.xlsx",),
            problems=(),
            rows=tuple(
                OfficerRow(str(code), str(name), str(post), str(mobile), str(mail), True, "S", n)
                for n, (code, name, post, mobile, mail) in enumerate(chunk, start=4)
            ),
        )
    upstream = builtin_formats()["zonal-completion-report"]
    return consolidate(upstream, units, current)


def write_raw(officers: str) -> dict[str, Any]:
    """openpyxl's write-only mode writing the same three sheets, the values appended as they are."""
    from openpyxl import Workbook

    report = _consolidation(int(officers))
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    main = workbook.create_sheet("Zonal report")
    main.append([report.title])
    main.append(list(report.headers))
    for values in report.rows:
        main.append(values)
    summary = workbook.create_sheet("Summary by unit")
    summary.append(["Unit", "Strength", "Completed", "Compliance %", "Reported on", "Problems"])
    for unit in report.summary:
        summary.append(
            [unit.name, unit.strength, unit.completed, unit.compliance_pct, "", unit.problems]
        )
    exceptions = workbook.create_sheet("Exceptions")
    exceptions.append(["Unit", "File", "Sheet", "Row", "Employee ID", "Name", "Issue"])
    for e in report.exceptions:
        exceptions.append([e.unit, e.file, e.sheet, e.row, e.employee_code, e.name, e.issue])
    out = BytesIO()
    workbook.save(out)
    return {"seconds": time.perf_counter() - started, "bytes": len(out.getvalue())}


def write_anupalan(officers: str) -> dict[str, Any]:
    """anupalan's consolidated workbook, as the upstream mail attaches it."""
    from zoneinfo import ZoneInfo

    from daemon.adapters.spreadsheet_write import consolidation_bytes

    report = _consolidation(int(officers))
    started = time.perf_counter()
    data = consolidation_bytes(report, ZoneInfo("Asia/Kolkata"))
    return {"seconds": time.perf_counter() - started, "bytes": len(data)}


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "ingest-floor": ingest_floor,
    "parse-raw": parse_raw,
    "parse-calamine": parse_calamine,
    "parse-anupalan": parse_anupalan,
    "write-raw": write_raw,
    "write-anupalan": write_anupalan,
}


def peak_rss_mb() -> float:
    """This process's peak resident memory since its exec (VmHWM).

    getrusage's ru_maxrss is no use here: Linux carries it over from the parent
    through fork and exec, so a child reports at least its parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    task, *arguments = sys.argv[1:]
    result = TASKS[task](*arguments)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))
