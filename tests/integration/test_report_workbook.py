"""The consolidated workbook as written to disk, read back with openpyxl and as raw XML."""

from __future__ import annotations

import zipfile
from pathlib import Path

from conftest import Zone, at
from openpyxl import load_workbook

from daemon.bootstrap import App
from daemon.services.cycle import run_once
from daemon.services.report import build_report
from daemon.testing import officers, reply_message, report_xlsx

SUBJECT = "Emerging Technologies Level-1 report"
HOSTILE = ['=HYPERLINK("http://x.example","click")', "+91 cmd", "-2+3", "@SUM(A1)", "=1+1"]


def test_the_workbook_has_the_upstream_format_summary_and_exceptions(
    zone: Zone, app: App, tmp_path: Path
) -> None:
    north = officers(3)
    north[2] = (*north[2][:4], "someone@gmail.example.com")
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(north))],
            date=at(21),
        ),
        reply_message(
            "ccu-chennai-south@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(officers(2, first_code=50001)))],
            date=at(22),
        ),
    )
    run_once(app, at(23))
    out = tmp_path / "out" / "zonal.xlsx"
    build_report(app.config, app.store, app.config.campaign(), out)

    wb = load_workbook(out)
    assert wb.sheetnames == ["Zonal report", "Summary by unit", "Exceptions"]
    main = [list(r) for r in wb["Zonal report"].iter_rows(values_only=True)]
    assert main[0][0] == "Zonal report reg Completion of Course on Emerging Technologies"
    assert main[1] == [
        "Sl. No.",
        "Employee ID",
        "Name of the Officer",
        "Designation",
        "Contact Number",
        "Gov e-mail ID",
    ]
    assert [r[0] for r in main[2:]] == [1, 2, 3, 4, 5]
    assert [r[1] for r in main[2:]] == ["40101", "40102", "40103", "50001", "50002"]
    summary = [list(r) for r in wb["Summary by unit"].iter_rows(values_only=True)]
    assert summary[1][:4] == ["Chennai North", 10, 3, 30.0]
    assert summary[1][4] == "21.04.2023 10:00"
    assert summary[3][:5] == ["Coimbatore", 6, 0, 0.0, "not reported"]
    assert summary[-1][:4] == ["Total", 28, 5, 17.9]
    issues = [r[6] for r in wb["Exceptions"].iter_rows(min_row=2, values_only=True)]
    assert issues == ["e-mail someone@gmail.example.com is not a gov.in or nic.in address"]


def test_text_from_units_never_becomes_a_formula(zone: Zone, app: App, tmp_path: Path) -> None:
    rows = [
        (40101 + i, text, text, "9876543210", f"a{i}@example.gov.in")
        for i, text in enumerate(HOSTILE)
    ]
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("Format.xlsx", report_xlsx(rows))]
        )
    )
    run_once(app, at(23))
    out = tmp_path / "zonal.xlsx"
    build_report(app.config, app.store, app.config.campaign(), out)

    sheet = load_workbook(out)["Zonal report"]
    names = [sheet.cell(row=r, column=3) for r in range(3, 3 + len(HOSTILE))]
    assert [c.value for c in names] == HOSTILE
    assert {c.data_type for c in names} == {"s"}
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
