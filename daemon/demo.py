"""`anupalan demo`: a whole drive in a folder, with sample replies and no network."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from daemon.bootstrap import build_app
from daemon.config import load_config
from daemon.services.cycle import run_once
from daemon.services.report import build_report
from daemon.services.status import campaign_status, status_table
from daemon.testing import make_maildir, officers, reply_message, report_xlsx

IST = ZoneInfo("Asia/Kolkata")
DEMO_NOW = datetime(2023, 5, 1, 10, 0, tzinfo=IST)  # the day after the units' deadline
SUBJECT = "Report reg Completion of Level-1 Course on Emerging Technologies"

CONFIG = """\
# A demonstration zone: six of the Chennai Zone's units, a local Maildir in,
# a local folder out. Every path is relative to this file.
zone:
  name: O/o the Principal Chief Commissioner, CGST Chennai Zone (demo)
  timezone: Asia/Kolkata
  admins: [compliance-cell@example.gov.in]
mailbox:
  backend: maildir
  path: mailbox
outgoing:
  backend: directory
  path: outbox
  from: Zonal Compliance Cell <compliance-cell@example.gov.in>
storage:
  database: var/anupalan.db
  archive: var/archive
units:
  - {id: chennai-north, name: Chennai North, strength: 14,
     emails: [ccu-chennai-north@example.gov.in]}
  - {id: chennai-south, name: Chennai South, strength: 12,
     emails: [ccu-chennai-south@example.gov.in]}
  - {id: chennai-outer, name: Chennai Outer, strength: 10,
     emails: [ccu-chennai-outer@example.gov.in]}
  - {id: puducherry, name: Puducherry, emails: [ccu-puducherry@example.gov.in], strength: 8,
     aliases: [Pondicherry]}
  - {id: coimbatore, name: Coimbatore, strength: 16,
     emails: [ccu-coimbatore@example.gov.in]}
  - {id: salem, name: Salem, strength: 9,
     emails: [ccu-salem@example.gov.in]}
campaigns:
  - id: emerging-tech-l1
    title: Level-1 Online Course on Emerging Technologies
    format: unit-completion-report
    keywords: [emerging technologies, level-1, igot]
    unit_deadline: 2023-04-30
    upstream:
      to: [nacin-igot@example.nic.in]
      format: zonal-completion-report
      send_at: 2023-05-04 11:00
      deadline: 2023-05-05
"""


def _replies() -> list[bytes]:
    def at(day: int, hour: int) -> datetime:
        return datetime(2023, 4, day, hour, 15, tzinfo=IST)

    south = officers(12, first_code=41001)
    south[3] = (*south[3][:3], "98765", south[3][4])  # a mobile number too short
    south[7] = (*south[7][:4], "not an address")
    return [
        reply_message(
            "CCU Chennai North <ccu-chennai-north@example.gov.in>",
            f"{SUBJECT} - Chennai North",
            [("Format.xlsx", report_xlsx(officers(13, first_code=40101)))],
            date=at(21, 15),
            message_id="<demo-1@example.gov.in>",
        ),
        reply_message(
            "ccu-chennai-south@example.gov.in",
            f"Re: {SUBJECT}",
            [("Format.xlsx", report_xlsx(south[:10], title_rows=("CGST Chennai South",)))],
            date=at(24, 11),
            message_id="<demo-2@example.gov.in>",
        ),
        reply_message(  # a corrected, complete report that supersedes the one above
            "ccu-chennai-south@example.gov.in",
            f"Re: {SUBJECT} (revised)",
            [("Format.xlsx", report_xlsx(south, title_rows=("CGST Chennai South",)))],
            date=at(27, 16),
            message_id="<demo-3@example.gov.in>",
        ),
        reply_message(
            "ccu-chennai-outer@example.gov.in",
            f"{SUBJECT} - Chennai Outer",
            [("Format.xlsx", b"%PDF-1.4 scanned copy, not a workbook")],
            date=at(28, 12),
            message_id="<demo-4@example.gov.in>",
        ),
        reply_message(
            "Puducherry Commissionerate <puducherry.cgst.office@gmail.example.com>",
            f"{SUBJECT} - Puducherry",
            [("Format.xlsx", report_xlsx(officers(8, first_code=42001)))],
            date=at(29, 18),
            message_id="<demo-5@example.gov.in>",
        ),
        reply_message(
            "ccu-coimbatore@example.gov.in",
            "Emerging Technologies Level-1 compliance - Coimbatore",
            [("Coimbatore.xlsx", report_xlsx(officers(9, first_code=43001)))],
            date=at(30, 17),
            message_id="<demo-6@example.gov.in>",
        ),
    ]


def run_demo(directory: Path, out: TextIO) -> Path:
    """Create the demo in `directory`, run one cycle, print what happened; return the workbook."""
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "config.yaml"
    config_path.write_text(CONFIG, encoding="utf-8")
    fresh = not (directory / "mailbox").exists()
    if fresh:
        make_maildir(directory / "mailbox", _replies())
    config = load_config(config_path)
    print(f"Demo drive in {directory}/ (config.yaml, mailbox/ with sample replies)", file=out)
    print(
        f"Acting as of {DEMO_NOW:%d.%m.%Y %H:%M} IST, the day after the units' deadline.\n",
        file=out,
    )
    app = build_app(config)
    try:
        cycle = run_once(app, DEMO_NOW)
        print(f"Ingested {len(cycle.ingested)} new message(s):", file=out)
        for r in cycle.ingested:
            who = r.unit_id or r.from_address or "?"
            detail = (
                f"{r.rows} rows, {r.problems} problems" if r.outcome == "accepted" else r.reason
            )
            print(f"  {r.outcome:<12} {who:<16} {detail}", file=out)
        sent = {d.key for d in cycle.delivered if d.outcome == "sent"}
        print(f"\nWrote {len(sent)} mail(s) to {directory / 'outbox'}/:", file=out)
        for draft in cycle.queued:
            if draft.mail.key in sent:
                print(f"  {draft.mail.kind:<11} {draft.mail.subject}", file=out)
        campaign = config.campaign()
        print("", file=out)
        print(
            status_table(
                campaign_status(config, app.store, campaign, DEMO_NOW), config.zone.tzinfo
            ),
            file=out,
        )
        workbook = directory / "consolidated.xlsx"
        build_report(config, app.store, campaign, workbook)
    finally:
        app.close()
    print(f"\nConsolidated workbook: {workbook}", file=out)
    print(f"Try: anupalan --config {config_path} status --json", file=out)
    return workbook
