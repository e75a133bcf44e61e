"""Mails as users receive them: rendered from templates, stored, delivered, retried, failed."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path

import pytest
from conftest import Zone, at
from openpyxl import load_workbook

from daemon.adapters.sender_directory import DirectorySender
from daemon.adapters.templates import MailTemplates
from daemon.bootstrap import App, build_app
from daemon.errors import PermanentSendError, TemplateError, TransientSendError
from daemon.ports import OutgoingMail
from daemon.services.cycle import run_once
from daemon.services.notify import drafts_due, queue_due, queue_upstream
from daemon.services.outbox import MAX_ATTEMPTS, deliver_due
from daemon.services.status import campaign_status, status_json
from daemon.services.template_check import check_templates
from daemon.testing import FakeSender, officers, reply_message, report_xlsx

SUBJECT = "Emerging Technologies Level-1 report"


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def parts(raw: bytes) -> tuple[EmailMessage, str, str]:
    msg = parse(raw)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return msg, str(text.get_content()), str(html.get_content())


def test_an_acknowledgement_lists_what_was_recorded_and_each_problem(zone: Zone, app: App) -> None:
    rows = officers(4)
    rows[2] = (*rows[2][:3], "98765", rows[2][4])
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(rows))],
            date=at(21, 15),
            message_id="<n1@example.gov.in>",
        )
    )
    report = run_once(app, at(21, 16))
    [ack] = [d for d in report.queued if d.mail.kind == "ack"]
    msg, text, html = parts(ack.content)
    assert msg["To"] == "ccu-chennai-north@example.gov.in"
    assert msg["In-Reply-To"] == "<n1@example.gov.in>"
    assert msg["Subject"] == (
        "Received: Chennai North report - Level-1 Online Course on Emerging Technologies"
        " (due 30.04.2023)"
    )
    assert "sent on 21.04.2023 15:00" in text
    assert (
        "Recorded: 4 officer(s) who have completed the course, against a strength of 10 (40.0%)"
        in text
    )
    assert "row 6, Contact No '98765': a mobile number has 10 digits" in text
    assert "row 6, Contact No &#39;98765&#39;: a mobile number has 10 digits" in html


def test_a_report_without_a_status_column_is_acknowledged_as_listed_means_completed(
    zone: Zone, app: App
) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(officers(3)))],
            date=at(21, 15),
        )
    )
    [ack] = [d for d in run_once(app, at(21, 16)).queued if d.mail.kind == "ack"]
    _, text, html = parts(ack.content)
    said = (
        "Format.xlsx has no column saying whether each officer completed the course."
        " As the format lists completed officers only, every officer listed has been"
        " recorded as completed."
    )
    assert said in " ".join(text.split()) and said in " ".join(html.split())


def test_a_report_with_a_status_column_is_acknowledged_without_that_note(
    zone: Zone, app: App
) -> None:
    statuses = ["Completed", "Pending"]
    rows = [(*row, status) for row, status in zip(officers(2), statuses, strict=True)]
    headers = ("Sl. No", "Employee Code", "Name", "Designation", "Mobile", "Email", "Status")
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(rows, headers=headers))],
            date=at(21, 15),
        )
    )
    [ack] = [d for d in run_once(app, at(21, 16)).queued if d.mail.kind == "ack"]
    _, text, _ = parts(ack.content)
    assert "Recorded: 1 officer(s) who have completed the course" in text
    assert "no column saying whether" not in text


def test_a_report_without_employee_codes_is_sent_back_naming_the_column_and_not_counted(
    zone: Zone, app: App
) -> None:
    rows = [(name, post, mobile, mail) for _, name, post, mobile, mail in officers(3)]
    headers = ("Sl. No", "Name of the Officer", "Designation", "Contact No", "Email ID")
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(rows, headers=headers))],
            date=at(21, 15),
            message_id="<nocodes@example.gov.in>",
        )
    )
    report = run_once(app, at(21, 16))
    [rejection] = [d for d in report.queued if d.mail.kind == "rejection"]
    _, text, _ = parts(rejection.content)
    assert (
        "Format.xlsx: sheet 'Sheet1' has no Employee Code column (its header on row 3 names"
        " Sl. No, Name of the Officer, Designation, Contact No, Email ID); add a column headed"
        " 'Employee Code' with each officer's employee code, and send the report again"
    ) in " ".join(text.split())
    [held] = app.store.messages("needs_review")
    assert held.message_id == "<nocodes@example.gov.in>" and held.review == "unreadable"
    assert app.store.submissions("emerging-tech-l1") == []
    status = campaign_status(app.config, app.store, app.config.campaign(), at(21, 16))
    assert sum(u.completed for u in status.units) == 0


def test_unit_text_is_escaped_in_html_and_never_run_as_a_template(
    zone: Zone, app: App, tmp_path: Path
) -> None:
    hostile = "<script>alert(1)</script>{{ 7*7 }}"
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", "x", [("notes.pdf", b"%PDF")], date=at(21, 15)
        )
    )
    zone.deliver(
        reply_message(
            "ccu-chennai-south@example.gov.in", f"{SUBJECT} {hostile}", [], date=at(21, 15)
        )
    )
    report = run_once(app, at(21, 16))
    [rejection] = [d for d in report.queued if d.mail.unit_id == "chennai-south"]
    _, text, html = parts(rejection.content)
    assert hostile in text  # the text part carries it as written
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in html
    assert "49" not in text


def test_a_zone_can_override_a_template_and_check_config_catches_its_mistakes(
    zone: Zone, tmp_path: Path
) -> None:
    own = tmp_path / "own-templates"
    own.mkdir()
    (own / "reminder.txt").write_text(
        "Subject: Gentle reminder to {{ unit.name }}\nPlease send it, {{ unit.name }}.\n"
    )
    text = zone.config_path.read_text().replace(
        "outgoing: {backend: directory, path: outbox,",
        "outgoing: {backend: directory, path: outbox, templates: own-templates,",
    )
    (tmp_path / "config.yaml").write_text(text)
    config = zone.config
    assert check_templates(config) == []
    app = build_app(config)
    try:
        [reminder, *_] = [
            d for d in drafts_due(app, at(23, 11)).drafts if d.mail.kind == "reminder"
        ]
        assert reminder.mail.subject == "Gentle reminder to Chennai North"
        assert reminder.text == "Please send it, Chennai North.\n"
    finally:
        app.close()

    (own / "reminder.txt").write_text("Subject: x\n{{ unit.nmae }}\n")
    [problem] = check_templates(config)
    assert "reminder.txt" in problem and "nmae" in problem
    (own / "digest.html").write_text("<p>{% if %}</p>")
    problems = check_templates(config)
    assert any("digest.html, line 1" in p for p in problems)


def test_a_template_without_a_subject_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ack.txt").write_text("Hello\n")
    with pytest.raises(TemplateError, match=r"must begin with a 'Subject: \.\.\.' line"):
        MailTemplates(tmp_path).render("ack", {})


def test_the_upstream_mail_carries_the_workbook_and_a_summary(zone: Zone, app: App) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(officers(5)))],
            date=at(21, 15),
        )
    )
    report = run_once(app, at(4, 11, month=5))  # the upstream send time
    [upstream] = [d for d in report.queued if d.mail.kind == "upstream"]
    msg, text, _ = parts(upstream.content)
    assert msg["To"] == "nacin-igot@example.nic.in"
    # Python folds this subject onto the next line; a mail program shows it unfolded
    assert str(msg["Subject"]).strip() == (
        "Test Zone - Zonal report - Level-1 Online Course on Emerging Technologies"
    )
    assert text.startswith("Sir/Madam,")
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "emerging-tech-l1-zonal-report.xlsx"
    sheet = load_workbook(BytesIO(attachment.get_content()))["Zonal report"]
    assert sheet.max_row == 2 + 5
    assert "Chennai North" in text and "5 of 28 officers of the Zone (17.9%)" in text
    # it goes once: a second cycle, and `report send` without --force, add nothing
    assert [d for d in run_once(app, at(4, 12, month=5)).queued if d.mail.kind == "upstream"] == []
    assert queue_upstream(app, app.config.campaign(), at(4, 12, month=5)) is None
    copy = queue_upstream(app, app.config.campaign(), at(4, 12, month=5), force=True)
    assert copy is not None and copy.mail.key == "upstream:emerging-tech-l1:copy-1"
    assert copy.mail.message_id != upstream.mail.message_id


def test_the_digest_shows_bars_what_needs_a_human_and_what_comes_next(zone: Zone, app: App) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("Format.xlsx", report_xlsx(officers(5)))]
        ),
        reply_message(
            "stranger@gmail.example.com",
            f"{SUBJECT} Coimbatore",
            [("F.xlsx", report_xlsx(officers(1)))],
            message_id="<s@gmail.example.com>",
        ),
    )
    report = run_once(app, at(24, 9))
    [digest] = [d for d in report.queued if d.mail.kind == "digest"]
    msg, text, html = parts(digest.content)
    assert msg["To"] == "compliance-cell@example.gov.in"
    assert "1 of 4 units have reported" in text
    assert "anupalan assign '<s@gmail.example.com>' coimbatore" in text
    assert "<b>" not in text
    assert "27.04.2023 10:00: reminder (-3d 10:00) to the 4 unit(s) still behind" in text
    assert "width:100px;height:10px;background:#2563eb" in html  # Chennai North, 50%
    assert "<script" not in html and "src=" not in html


def test_after_the_upstream_report_the_digest_says_its_copy_is_stale_and_what_went_up_once(
    zone: Zone, app: App
) -> None:
    north = officers(3)
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(north))],
            date=at(21, 15),
        ),
        reply_message(  # South lists North's first officer again, and one without a code
            "ccu-chennai-south@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx([north[0], (None, *officers(1, 50101)[0][1:])]))],
            date=at(21, 16),
        ),
    )
    run_once(app, at(4, 11, month=5))  # the upstream report goes
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            f"Revised: {SUBJECT}",
            [("Format.xlsx", report_xlsx(officers(5)))],
            date=at(5, 8, month=5),
        )
    )
    report = run_once(app, at(5, 9, month=5))
    [digest] = [d for d in report.queued if d.mail.kind == "digest"]
    _, text, html = parts(digest.content)
    assert "ATTENTION: the upstream copy is stale since 05.05.2023 09:00:" in text
    assert "  - Chennai North changed 2 row(s) (05.05.2023 09:00)" in text
    assert "To send a revised report: anupalan --config FILE report send --force" in text
    assert "Officers listed twice, sent upstream once (1):" in text
    assert "Completed officers not sent upstream for want of an employee code (1):" in text
    assert "The upstream copy is stale since 05.05.2023 09:00" in html
    # not opted in to revised reports: nothing more goes upstream
    assert [d for d in report.queued if d.mail.kind == "upstream"] == []


def test_delivery_retries_transient_failures_and_reports_permanent_ones(
    zone: Zone, app: App
) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("Format.xlsx", report_xlsx(officers(2)))]
        )
    )
    sender = FakeSender(
        [TransientSendError("421 try later"), PermanentSendError("550 no such user")]
    )
    app.sender = sender
    report = run_once(app, at(21, 16))
    outcomes = sorted(d.outcome for d in report.delivered)
    assert outcomes == ["failed", "retry"]
    # the retry waits for its back-off; an hour later it goes
    assert deliver_due(app.store, sender, at(21, 16)) == []
    [again] = deliver_due(app.store, sender, at(21, 17))
    assert again.outcome == "sent"
    assert len(sender.sent) == 1
    status = status_json(
        campaign_status(app.config, app.store, app.config.campaign(), at(21, 17)),
        app.config.zone.tzinfo,
    )
    [failed] = status["failed_mails"]
    assert failed["error"] == "550 no such user"


def test_a_mail_that_keeps_failing_is_given_up(zone: Zone, app: App) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("Format.xlsx", report_xlsx(officers(2)))]
        )
    )
    sender = FakeSender([TransientSendError("disk full")] * 100)
    queue_due(app, at(21, 16))
    now = at(21, 16)
    for _ in range(MAX_ATTEMPTS + 2):
        deliver_due(app.store, sender, now)
        now += timedelta(hours=2)
    [mail] = app.store.mails()
    assert mail.state == "failed" and mail.attempts == MAX_ATTEMPTS
    assert "gave up after" in (mail.last_error or "")


def test_the_directory_sender_writes_each_mail_once_however_often_it_is_sent(
    tmp_path: Path,
) -> None:
    sender = DirectorySender(tmp_path / "outbox")
    mail = OutgoingMail(
        "ack:<m@x>", "<id@x>", "a@example.gov.in", ("b@example.gov.in",), b"Subject: x\r\n\r\nbody"
    )
    sender.send(mail)
    sender.send(mail)
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1 and files[0].read_bytes() == mail.content


def test_a_dry_run_records_and_sends_nothing(zone: Zone, app: App) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("Format.xlsx", report_xlsx(officers(2)))]
        )
    )
    run_once(app, at(21, 16))
    counts = app.store.table_counts()
    drafts = drafts_due(app, at(29, 11)).drafts
    assert sorted(d.mail.kind for d in drafts) == [
        "digest",
        "reminder",
        "reminder",
        "reminder",
        "reminder",
    ]
    assert app.store.table_counts() == counts


def test_a_mailbox_that_cannot_be_read_is_reported_and_the_rest_still_goes(
    zone: Zone, app: App
) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("Format.xlsx", report_xlsx(officers(2)))]
        )
    )
    run_once(app, at(21, 16))
    for folder in ("new", "cur", "tmp"):
        (zone.mailbox / folder).rename(zone.root / f"moved-{folder}")
    report = run_once(app, at(24, 9))
    assert report.poll_error is not None and "is not a Maildir" in report.poll_error
    # reminders and the digest still go
    assert sorted(d.mail.kind for d in report.queued) == ["digest"] + ["reminder"] * 4
    [digest] = [d for d in report.queued if d.mail.kind == "digest"]
    _, text, html = parts(digest.content)
    assert "ATTENTION: The mailbox could not be read at the last 1 attempt(s)" in text
    assert "is not a Maildir" in html
    status = status_json(
        campaign_status(app.config, app.store, app.config.campaign(), at(24, 10)),
        app.config.zone.tzinfo,
    )
    assert status["mailbox"]["failing_since"] == "2023-04-24T09:00:00+05:30"
    assert status["mailbox"]["last_read_at"] == "2023-04-21T16:00:00+05:30"
    # still failing an hour later: failing since the first failure, not the latest
    assert run_once(app, at(24, 10)).poll_error is not None
    status = status_json(
        campaign_status(app.config, app.store, app.config.campaign(), at(24, 10)),
        app.config.zone.tzinfo,
    )
    assert status["mailbox"]["failing_since"] == "2023-04-24T09:00:00+05:30"

    for folder in ("new", "cur", "tmp"):
        (zone.root / f"moved-{folder}").rename(zone.mailbox / folder)
    assert run_once(app, at(24, 11)).poll_error is None
    status = status_json(
        campaign_status(app.config, app.store, app.config.campaign(), at(24, 11)),
        app.config.zone.tzinfo,
    )
    assert status["mailbox"]["failing_since"] is None and status["mailbox"]["error"] is None
    # a new run of failures starts its own count
    for folder in ("new", "cur", "tmp"):
        (zone.mailbox / folder).rename(zone.root / f"moved-{folder}")
    run_once(app, at(25, 9))
    status = status_json(
        campaign_status(app.config, app.store, app.config.campaign(), at(25, 9)),
        app.config.zone.tzinfo,
    )
    assert status["mailbox"]["failing_since"] == "2023-04-25T09:00:00+05:30"
