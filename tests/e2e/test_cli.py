"""The `anupalan` command itself, run in a subprocess as a user would."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Zone, at
from openpyxl import load_workbook

from daemon.testing import officers, reply_message, report_xlsx

SUBJECT = "Report reg Completion of Course on Emerging Technologies"


def anupalan(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = shutil.which("anupalan")
    prefix = [command] if command else [sys.executable, "-m", "daemon"]
    return subprocess.run(
        [*prefix, "--log-format", "json", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_check_config_accepts_the_sample_and_rejects_errors_with_their_line(tmp_path: Path) -> None:
    sample = Path(__file__).parents[2] / "config.yaml"
    ok = anupalan("--config", sample, "check-config")
    assert ok.returncode == 0, ok.stderr
    assert "14 units" in ok.stdout

    bad = tmp_path / "config.yaml"
    bad.write_text(sample.read_text().replace("strength: ", "strength: lots #", 1))
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if "lots" in text)
    result = anupalan("--config", bad, "check-config")
    assert result.returncode == 2
    assert "units[0].strength" in result.stderr and f"line {line}" in result.stderr


def test_a_missing_config_and_bad_usage_exit_2(tmp_path: Path) -> None:
    assert anupalan("--config", tmp_path / "nope.yaml", "status").returncode == 2
    assert anupalan("no-such-command").returncode == 2
    assert anupalan("report", "build").returncode == 2  # --out is required


def test_once_status_and_report_on_a_small_drive(zone: Zone, tmp_path: Path) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(officers(6)))],
            date=at(21, 15),
        ),
        reply_message(
            "stranger@gmail.example.com",
            "Chennai South report",
            [("Format.xlsx", report_xlsx(officers(2)))],
            message_id="<s1@gmail.example.com>",
        ),
    )
    first = anupalan("--config", zone.config_path, "once", "--now", "2023-04-22T10:00")
    assert first.returncode == 0, first.stderr
    assert "ingested 2 message(s): 1 accepted, 1 needs_review" in first.stdout
    events = [json.loads(line) for line in first.stderr.splitlines()]
    assert sorted(e["outcome"] for e in events if e["event"] == "message_ingested") == [
        "accepted",
        "needs_review",
    ]

    second = anupalan("--config", zone.config_path, "once", "--now", "2023-04-22T11:00")
    assert second.returncode == 0 and "ingested 0 message(s)" in second.stdout

    status = anupalan(
        "--config", zone.config_path, "status", "--json", "--now", "2023-04-24T10:00:00+05:30"
    )
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["campaign"] == "emerging-tech-l1"
    assert doc["as_of"] == "2023-04-24T10:00:00+05:30"
    assert doc["units"][0] == {
        "id": "chennai-north",
        "name": "Chennai North",
        "strength": 10,
        "reported": True,
        "completed": 6,
        "compliance_pct": 60.0,
        "last_report_at": "2023-04-21T15:00:00+05:30",
        "reminders_sent": 0,
        "problems": 0,
    }
    assert doc["units"][1]["reported"] is False
    assert doc["totals"] == {"strength": 28, "completed": 6, "compliance_pct": 21.4}
    assert doc["needs_review"] == [
        {
            "message_id": "<s1@gmail.example.com>",
            "from": "stranger@gmail.example.com",
            "subject": "Chennai South report",
            "reason": "sender stranger@gmail.example.com matches no unit",
            "suggested_unit": "chennai-south",
        }
    ]
    assert doc["upstream"] == {"sent_at": None, "due_at": "2023-05-04T11:00:00+05:30"}

    table = anupalan("--config", zone.config_path, "status", "--now", "2023-04-24T10:00")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    header = next(line for line in lines if line.startswith("Unit"))
    north = next(line for line in lines if line.startswith("Chennai North"))
    assert header.index("Completed") + len("Completed") == north.index("6") + 1  # right-aligned
    assert "not reported" in table.stdout and "stranger@gmail.example.com" in table.stdout

    out = tmp_path / "zonal.xlsx"
    built = anupalan("--config", zone.config_path, "report", "build", "--out", out)
    assert built.returncode == 0, built.stderr
    assert load_workbook(out)["Zonal report"].max_row == 2 + 6

    assigned = anupalan(
        "--config", zone.config_path, "assign", "<s1@gmail.example.com>", "chennai-south"
    )
    assert assigned.returncode == 0, assigned.stderr
    doc = json.loads(anupalan("--config", zone.config_path, "status", "--json").stdout)
    assert doc["units"][1]["completed"] == 2 and doc["needs_review"] == []
    unknown = anupalan("--config", zone.config_path, "assign", "<nope@x>", "chennai-south")
    assert unknown.returncode == 2


@pytest.mark.parametrize("flag", ["--json", None])
def test_inspect_reads_a_report_without_storing_anything(tmp_path: Path, flag: str | None) -> None:
    rows = officers(3)
    rows[1] = (*rows[1][:3], "98765", rows[1][4])
    path = tmp_path / "Format.xlsx"
    path.write_bytes(report_xlsx(rows, sheet="Division I"))
    result = anupalan("inspect", path, *([flag] if flag else []), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Format.xlsx"]
    if flag:
        doc = json.loads(result.stdout)
        assert (doc["file"], doc["readable"], doc["reason"], doc["sheets_used"]) == (
            "Format.xlsx",
            True,
            None,
            ["Division I"],
        )
        assert doc["rows"][0] == {
            "employee_code": "40101",
            "name": rows[0][1],
            "designation": rows[0][2],
            "mobile": str(rows[0][3]),
            "email": rows[0][4],
            "completed": True,
            "source": {"sheet": "Division I", "row": 4},
        }
        assert doc["problems"] == [
            {
                "sheet": "Division I",
                "row": 5,
                "column": "Contact No",
                "value": "98765",
                "message": "a mobile number has 10 digits",
            }
        ]
    else:
        assert "a mobile number has 10 digits" in result.stdout and "Division I" in result.stdout


def test_inspect_says_what_decided_each_column_and_why_rows_were_passed_over(
    tmp_path: Path,
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Salem"
    sheet.append(["क्रम सं. / Sl. No", "कर्मचारी कोड / Employee Code", "अधिकारी का नाम / Name",
                  "Level-1 Online Course on Emerging Technologies"])  # fmt: skip
    for serial, (code, name, *_), status in zip(
        range(1, 4), officers(3), ["Completed", "Not Completed", "Partly"], strict=True
    ):
        sheet.append([serial, code, name, status])
    sheet.append(["Total", "3 officers"])
    path = tmp_path / "Salem.xlsx"
    book.save(path)

    doc = json.loads(anupalan("inspect", path, "--json").stdout)
    assert [(c["column"], c["field"], c["signal"]) for c in doc["columns"]] == [
        ("A", "serial", "header"),
        ("B", "employee_code", "header"),
        ("C", "name", "header"),
        ("D", "status", "content"),
    ]
    assert doc["columns"][3]["detail"] == "2 of 3 values are completion words or dates"
    assert [r["completed"] for r in doc["rows"]] == [True, False, False]
    assert doc["skipped"] == [{"sheet": "Salem", "row": 5, "last_row": 5, "reason": "a total"}]
    assert [(p["row"], p["value"]) for p in doc["problems"]] == [(4, "Partly")]
    assert doc["completion"] == "status"

    text = anupalan("inspect", path).stdout
    assert "Completion: the status column says who completed" in text
    assert "2 of 3 values are completion words or dates" in text
    assert "Salem, row 5: a total" in text


def test_inspect_explains_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "scan.xlsx"
    path.write_bytes(b"%PDF-1.4 not a workbook")
    doc = json.loads(anupalan("inspect", path, "--json").stdout)
    assert doc["readable"] is False and "Excel" in doc["reason"]
    assert anupalan("inspect", tmp_path / "missing.xlsx").returncode == 2


def test_the_demo_runs_offline_and_shows_the_drive(tmp_path: Path) -> None:
    result = anupalan("demo", tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Ingested 6 new message(s)" in out
    assert "Chennai North" in out and "not reported" in out  # Salem is late
    assert "matches no unit" in out and "(looks like puducherry)" in out
    assert "Format.xlsx: " in out  # the unreadable file and why
    workbook = tmp_path / "demo" / "consolidated.xlsx"
    assert f"Consolidated workbook: {workbook}" in out
    assert load_workbook(workbook)["Zonal report"].max_row > 2
    again = anupalan("demo", tmp_path / "demo")
    assert again.returncode == 0 and "Ingested 0 new message(s)" in again.stdout


def test_inspect_reads_every_format_a_unit_sends(tmp_path: Path) -> None:
    import io
    import zipfile

    csv_text = (
        "sep=;\r\nSl. No;Emp. Code;Name;Desig.;Mobile No.;E-mail\r\n"
        "1;50001;R. Selvam;Inspector;+91 98765 43210;MAILTO:R.Selvam@example.gov.in\r\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Division I.xlsx", report_xlsx(officers(2), sheet="Division I"))
        archive.writestr("Division II.csv", csv_text.encode("cp1252"))
    path = tmp_path / "reports.zip"
    path.write_bytes(buffer.getvalue())

    doc = json.loads(anupalan("inspect", path, "--json").stdout)
    assert doc["readable"] is True
    assert doc["sheets_used"] == [
        "reports.zip/Division I.xlsx: Division I",
        "reports.zip/Division II.csv: Division II",
    ]
    assert [(r["source"]["file"], r["source"]["row"], r["employee_code"]) for r in doc["rows"]] == [
        ("reports.zip/Division I.xlsx", 4, "40101"),
        ("reports.zip/Division I.xlsx", 5, "40102"),
        ("reports.zip/Division II.csv", 2, "50001"),  # Excel hides the "sep=;" line
    ]
    assert (
        doc["rows"][2]["mobile"] == "9876543210"
        and doc["rows"][2]["email"] == "r.selvam@example.gov.in"
    )
    assert [f["header_rows"] for f in doc["files"]] == [{"Division I": 3}, {"Division II": 1}]

    text = anupalan("inspect", path).stdout
    assert "Division I (header on row 3)" in text and "Division II (header on row 1)" in text
