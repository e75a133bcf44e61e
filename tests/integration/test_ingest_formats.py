"""What units really send, through the whole ingest path: formats, archives, bodies, forwards."""

from __future__ import annotations

import email
import email.policy
import io
import zipfile
from email.message import EmailMessage

import openpyxl
from conftest import Zone, at

from daemon.bootstrap import App
from daemon.services.cycle import run_once
from daemon.testing import officers, reply_message, report_xlsx

SUBJECT = "Emerging Technologies Level-1 report"


def csv_report(rows: list[tuple[object, ...]], encoding: str = "utf-8-sig") -> bytes:
    lines = ["Sl. No,Employee Code,Name of the Officer,Designation,Contact No,Email ID"]
    lines += [",".join(str(v) for v in (i, *row)) for i, row in enumerate(rows, start=1)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def zipped(*files: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()


def test_defusedxml_guards_every_workbook_openpyxl_reads() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_every_unit_may_send_the_same_file_name(zone: Zone, app: App) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(officers(3, first_code=10001)))],
        ),
        reply_message(
            "ccu-chennai-south@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(officers(5, first_code=20001)))],
        ),
    )
    run_once(app, at(22))
    subs = {s.unit_id: s for s in app.store.submissions("emerging-tech-l1")}
    assert [r.employee_code for r in subs["chennai-north"].rows] == ["10001", "10002", "10003"]
    assert len(subs["chennai-south"].rows) == 5


def test_csv_and_zip_reports_are_read(zone: Zone, app: App) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("report.csv", csv_report(officers(4), encoding="cp1252"))],
        ),
        reply_message(
            "ccu-chennai-south@example.gov.in",
            SUBJECT,
            [
                (
                    "reports.zip",
                    zipped(
                        ("Division I.xlsx", report_xlsx(officers(2, first_code=30001))),
                        ("Division II.csv", csv_report(officers(3, first_code=31001))),
                    ),
                )
            ],
        ),
    )
    results = {r.unit_id: r for r in run_once(app, at(22)).ingested}
    assert (results["chennai-north"].outcome, results["chennai-north"].rows) == ("accepted", 4)
    assert (results["chennai-south"].outcome, results["chennai-south"].rows) == ("accepted", 5)
    [south] = [s for s in app.store.submissions("emerging-tech-l1") if s.unit_id == "chennai-south"]
    assert {r.file for r in south.rows} == {
        "reports.zip/Division I.xlsx",
        "reports.zip/Division II.csv",
    }


def test_a_report_pasted_as_a_table_in_the_mail_is_read(zone: Zone, app: App) -> None:
    rows = "".join(
        f"<tr><td>{i}</td><td>{code}</td><td>{name}</td><td>{post}</td><td>{mobile}</td><td>{mail}</td></tr>"
        for i, (code, name, post, mobile, mail) in enumerate(officers(3), start=1)
    )
    msg = EmailMessage()
    msg["From"] = "ccu-coimbatore@example.gov.in"
    msg["Subject"] = SUBJECT
    msg.set_content("Sir, the report is given below.")
    msg.add_alternative(
        "<p>Sir, the report is given below.</p>"
        "<table border=1><tr><th colspan=6>Coimbatore</th></tr>"
        "<tr><th>Sl.&nbsp;No</th><th>Emp. Code</th><th>Name</th><th>Desig.</th><th>Mobile No.</th>"
        f"<th>E-mail</th></tr>{rows}</table><p>Yours faithfully</p>",
        subtype="html",
    )
    zone.deliver(msg.as_bytes())
    [result] = run_once(app, at(22)).ingested
    assert (result.outcome, result.unit_id, result.rows, result.problems) == (
        "accepted",
        "coimbatore",
        3,
        0,
    )
    [sub] = app.store.submissions("emerging-tech-l1")
    assert [r.row for r in sub.rows] == [3, 4, 5]
    assert sub.rows[0].name == officers(3)[0][1]


def test_a_scan_or_photo_is_answered_with_what_to_send_instead(zone: Zone, app: App) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("report.pdf", b"%PDF-1.4 scanned")]
        ),
        reply_message(
            "ccu-chennai-south@example.gov.in",
            SUBJECT,
            [("IMG_2041.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 photo")],
        ),
    )
    report = run_once(app, at(22))
    reasons = {m.unit_id: m.reason for m in app.store.messages("needs_review")}
    assert "PDF" in reasons["chennai-north"] and "Excel" in reasons["chennai-north"]
    assert "image" in reasons["chennai-south"]
    rejections = [d for d in report.queued if d.mail.kind == "rejection"]
    assert sorted(d.mail.unit_id or "" for d in rejections) == ["chennai-north", "chennai-south"]
    body = email.message_from_bytes(rejections[0].content, policy=email.policy.default)
    assert "PDF" in str(body.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_a_signature_logo_beside_the_report_is_not_a_problem(zone: Zone, app: App) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [
                ("image001.png", b"\x89PNG\r\n\x1a\n logo"),
                ("Format.xlsx", report_xlsx(officers(2))),
            ],
        )
    )
    [result] = run_once(app, at(22)).ingested
    assert (result.outcome, result.rows, result.problems) == ("accepted", 2, 0)
