"""Ingest end to end on a real Maildir, real MIME messages, real .xlsx files and SQLite."""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import Zone, at

from daemon.bootstrap import App, build_app
from daemon.services.cycle import run_once
from daemon.services.review import assign
from daemon.testing import officers, reply_message, report_xlsx

SUBJECT = "Report reg Level-1 Course on Emerging Technologies"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under a folder with a hash of its content."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_unit_report_is_archived_parsed_and_counted(zone: Zone, app: App) -> None:
    raw = reply_message(
        "ccu-chennai-north@example.gov.in",
        SUBJECT,
        [("Format.xlsx", report_xlsx(officers(7)))],
        date=at(21),
        message_id="<n1@example.gov.in>",
    )
    zone.deliver(raw)
    [result] = run_once(app, at(22)).ingested
    assert (result.outcome, result.unit_id, result.campaign_id, result.rows) == (
        "accepted",
        "chennai-north",
        "emerging-tech-l1",
        7,
    )
    [sub] = app.store.submissions("emerging-tech-l1")
    assert sub.unit_id == "chennai-north" and sub.sent_at == at(21)
    assert [r.row for r in sub.rows] == list(range(4, 11))  # title, blank, header above
    assert sub.rows[0].employee_code == "40101"
    archived = app.store.message("<n1@example.gov.in>")
    assert archived is not None
    assert Path(archived.archive_path).read_bytes() == raw


def test_ingesting_the_same_maildir_twice_changes_nothing_and_never_touches_it(
    zone: Zone, app: App
) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("Format.xlsx", report_xlsx(officers(5)))]
        ),
        reply_message(
            "someone@gmail.example.com", "report", [("a.xlsx", report_xlsx(officers(2)))]
        ),
        reply_message("ccu-coimbatore@example.gov.in", SUBJECT, [("scan.pdf", b"%PDF-1.4")]),
    )
    before = snapshot(zone.mailbox)
    assert len(run_once(app, at(22)).ingested) == 3
    counts = app.store.table_counts()
    assert run_once(app, at(22)).ingested == []
    assert app.store.table_counts() == counts
    assert snapshot(zone.mailbox) == before
    # a second service instance on the same database agrees
    other = build_app(zone.config)
    try:
        assert run_once(other, at(22)).ingested == []
        assert app.store.table_counts() == counts
    finally:
        other.close()


def test_the_same_message_delivered_twice_is_ingested_once(zone: Zone, app: App) -> None:
    raw = reply_message(
        "ccu-chennai-north@example.gov.in",
        SUBJECT,
        [("Format.xlsx", report_xlsx(officers(3)))],
        message_id="<dup@example.gov.in>",
    )
    zone.deliver(raw, raw)
    outcomes = sorted(r.outcome for r in run_once(app, at(22)).ingested)
    assert outcomes == ["accepted", "duplicate"]
    assert app.store.table_counts()["officer_rows"] == 3
    assert app.store.table_counts()["mailbox_items"] == 2


def test_an_unknown_sender_is_held_with_a_suggestion_and_not_counted(zone: Zone, app: App) -> None:
    zone.deliver(
        reply_message(
            "Coimbatore Audit <cbe.audit.office@gmail.example.com>",
            f"{SUBJECT} - Coimbatore Audit Commissionerate",
            [("Format.xlsx", report_xlsx(officers(4)))],
            message_id="<u1@gmail.example.com>",
        )
    )
    [result] = run_once(app, at(22)).ingested
    assert result.outcome == "needs_review"
    [held] = app.store.messages("needs_review")
    assert held.reason == "sender cbe.audit.office@gmail.example.com matches no unit"
    assert held.suggested_unit == "coimbatore-audit"
    assert app.store.submissions("emerging-tech-l1") == []

    assigned = assign(app, "<u1@gmail.example.com>", "coimbatore-audit")
    assert (assigned.outcome, assigned.unit_id, assigned.rows) == (
        "accepted",
        "coimbatore-audit",
        4,
    )
    assert app.store.messages("needs_review") == []
    [sub] = app.store.submissions("emerging-tech-l1")
    assert sub.unit_id == "coimbatore-audit"


def test_a_held_message_is_counted_once_its_address_is_added_to_the_unit(
    zone: Zone, app: App
) -> None:
    zone.deliver(
        reply_message(
            "salem.new.clerk@example.gov.in", SUBJECT, [("Format.xlsx", report_xlsx(officers(2)))]
        )
    )
    run_once(app, at(22))
    assert len(app.store.messages("needs_review")) == 1
    text = zone.config_path.read_text().replace(
        "[ccu-coimbatore@example.gov.in]",
        "[ccu-coimbatore@example.gov.in, salem.new.clerk@example.gov.in]",
    )
    zone.config_path.write_text(text)
    later = build_app(zone.config)
    try:
        [result] = run_once(later, at(23)).ingested
        assert (result.outcome, result.unit_id) == ("accepted", "coimbatore")
        assert later.store.messages("needs_review") == []
    finally:
        later.close()


def test_unreadable_files_and_missing_attachments_are_held_with_a_reason(
    zone: Zone, app: App
) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("Format.xlsx", b"not a workbook")]
        ),
        reply_message("ccu-chennai-south@example.gov.in", SUBJECT, []),
        reply_message("ccu-coimbatore@example.gov.in", SUBJECT, [("scan.pdf", b"%PDF-1.4")]),
    )
    run_once(app, at(22))
    reasons = {m.from_address: m.reason for m in app.store.messages("needs_review")}
    assert reasons["ccu-chennai-north@example.gov.in"].startswith("Format.xlsx: ")
    assert (
        "named like an Excel workbook but is not one" in reasons["ccu-chennai-north@example.gov.in"]
    )
    assert reasons["ccu-chennai-south@example.gov.in"] == (
        "no report was attached, nor pasted as a table in the mail"
    )
    assert reasons["ccu-coimbatore@example.gov.in"].startswith("scan.pdf: this is a PDF file")
    assert app.store.submissions("emerging-tech-l1") == []


def test_a_newer_submission_supersedes_the_older_whatever_the_arrival_order(
    zone: Zone, app: App
) -> None:
    newer = reply_message(
        "ccu-chennai-north@example.gov.in",
        f"Revised: {SUBJECT}",
        [("Format.xlsx", report_xlsx(officers(9)))],
        date=at(25),
    )
    older = reply_message(
        "ccu-chennai-north@example.gov.in",
        SUBJECT,
        [("Format.xlsx", report_xlsx(officers(4)))],
        date=at(21),
    )
    zone.deliver(newer)
    run_once(app, at(26))
    zone.deliver(older)  # arrives late, e.g. stuck in an outbox
    run_once(app, at(27))
    from daemon.services.status import campaign_status

    status = campaign_status(app.config, app.store, app.config.campaign(), at(27))
    north = next(u for u in status.units if u.unit_id == "chennai-north")
    assert (north.completed, north.last_report_at) == (9, at(25))


def test_an_administrator_forward_counts_for_the_unit_that_wrote(zone: Zone, app: App) -> None:
    import email
    import email.policy
    from email.message import EmailMessage

    inner = reply_message(
        "ccu-chennai-south@example.gov.in", SUBJECT, [("Format.xlsx", report_xlsx(officers(3)))]
    )
    fwd = EmailMessage()
    fwd["From"] = "Compliance Cell <compliance-cell@example.gov.in>"
    fwd["To"] = "compliance-cell@example.gov.in"
    fwd["Subject"] = f"Fwd: {SUBJECT}"
    fwd.set_content("Forwarding Chennai South's reply, which reached the wrong mailbox.")
    fwd.add_attachment(email.message_from_bytes(inner, policy=email.policy.default))
    zone.deliver(fwd.as_bytes())
    [result] = run_once(app, at(22)).ingested
    assert (result.outcome, result.unit_id, result.rows) == ("accepted", "chennai-south", 3)
    held = app.store.message(result.key)
    assert held is not None and held.attribution == "forwarded"


def test_automatic_replies_are_stored_but_never_counted_or_answered(zone: Zone, app: App) -> None:
    from email.message import EmailMessage

    ooo = EmailMessage()
    ooo["From"] = "ccu-chennai-north@example.gov.in"
    ooo["Subject"] = "Out of office: Reminder: Chennai North report"
    ooo["Auto-Submitted"] = "auto-replied"
    ooo.set_content("I am on leave till 2 May.")
    zone.deliver(ooo.as_bytes())
    report = run_once(app, at(22))
    assert [r.outcome for r in report.ingested] == ["ignored"]
    assert [d.mail.kind for d in report.queued if d.mail.unit_id == "chennai-north"] == []
    assert app.store.messages("needs_review") == []
    assert app.store.table_counts()["messages"] == 1  # archived and remembered all the same


def test_two_senders_with_one_message_id_are_two_messages_and_a_replay_is_neither(
    zone: Zone, app: App
) -> None:
    shared = "<same.anupalan@example.gov.in>"  # two offices' software alike
    north = reply_message(
        "ccu-chennai-north@example.gov.in",
        SUBJECT,
        [("Format.xlsx", report_xlsx(officers(3)))],
        message_id=shared,
    )
    south = reply_message(
        "ccu-chennai-south@example.gov.in",
        SUBJECT,
        [("Format.xlsx", report_xlsx(officers(2, first_code=50101)))],
        message_id=shared,
    )
    zone.deliver(north, south)
    results = run_once(app, at(22)).ingested
    assert sorted(r.outcome for r in results) == ["accepted", "accepted"]
    assert {s.unit_id for s in app.store.submissions("emerging-tech-l1")} == {
        "chennai-north",
        "chennai-south",
    }
    zone.deliver(south)  # the same mail delivered again
    [again] = run_once(app, at(23)).ingested
    assert again.outcome == "duplicate"
    assert len(app.store.submissions("emerging-tech-l1")) == 2
