"""The roll-up end to end: two zones report to the national office on the same software.

Three `anupalan` processes, each on its own directory: two zones on one mail
domain, with three units each, and a national instance whose units are the
zones. The units' replies reach each zone's Maildir; each zone's upstream
mails, written to its outbox as .eml files, are carried into the national
Maildir as a mail server would; and once over the real servers, the zones
sending by SMTP into the national office's Dovecot mailbox, which it reads by
IMAP. One officer is listed by two units of zone A; a unit of zone B
corrects its report after zone B's report went up, and zone B (opted in)
sends a revised report that replaces it. The national figures are checked
officer by officer.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from servers import Dovecot
from smtp_server import SmtpServer

from daemon.testing import make_maildir, reply_message, report_xlsx

DOMAIN = "example.gov.in"
SUBJECT = "Report reg Completion of Course on Emerging Technologies"


NACIN = "nacin-igot@example.nic.in"
PASSWORD = "nacin-imap-secret-3"


def anupalan(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = shutil.which("anupalan")
    prefix = [command] if command else [sys.executable, "-m", "daemon"]
    result = subprocess.run(
        [*prefix, "--log-format", "json", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NACIN_IMAP_PASSWORD": PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    return result


def zone_config(zone: str, units: list[str], resend: bool, smtp: SmtpServer | None) -> str:
    listed = "\n".join(
        f"  - {{id: {u}, name: {u.upper()}, emails: [ccu-{u}@{DOMAIN}], strength: 5}}"
        for u in units
    )
    outgoing = (
        "backend: directory, path: outbox"
        if smtp is None
        else f"backend: smtp, host: 127.0.0.1, port: {smtp.port}, security: none"
    )
    return f"""\
zone:
  name: CGST {zone.upper()} Zone
  timezone: Asia/Kolkata
  admins: [admin-{zone}@{DOMAIN}]
mailbox: {{backend: maildir, path: mailbox}}
outgoing: {{{outgoing}, from: Zonal Cell <ccu-{zone}@{DOMAIN}>}}
storage: {{database: var/anupalan.db, archive: var/archive}}
units:
{listed}
campaigns:
  - id: emerging-tech-l1
    title: Level-1 Online Course on Emerging Technologies
    format: unit-completion-report
    keywords: [emerging technologies]
    unit_deadline: 2023-04-30
    upstream:
      to: [nacin-igot@example.nic.in]
      format: zonal-completion-report
      send_at: 2023-05-04 11:00
{"      resend_corrections: until 2023-05-10" if resend else ""}
"""


def national_config(dovecot: Dovecot | None) -> str:
    mailbox = (
        "{backend: maildir, path: mailbox}"
        if dovecot is None
        else f"{{backend: imap, host: 127.0.0.1, port: {dovecot.imaps_port}, security: tls,"
        f" tls_ca: {dovecot.ca_file}, username: {NACIN},"
        " password: '${NACIN_IMAP_PASSWORD}', first_run: all}"
    )
    return f"""\
zone:
  name: NACIN
  timezone: Asia/Kolkata
  admins: [igot-admin@example.nic.in]
mailbox: {mailbox}
outgoing: {{backend: directory, path: outbox, from: IGOT Cell <nacin-igot@example.nic.in>}}
storage: {{database: var/anupalan.db, archive: var/archive}}
units:
  - {{id: zone-a, name: Zone A, emails: [ccu-a@{DOMAIN}], strength: 15}}
  - {{id: zone-b, name: Zone B, emails: [ccu-b@{DOMAIN}], strength: 15}}
campaigns:
  - id: emerging-tech-l1
    title: Level-1 Online Course on Emerging Technologies
    format: zonal-completion-report
    keywords: [emerging technologies]
    unit_deadline: 2023-05-05
    upstream:
      to: [dopt@example.gov.in]
      format: zonal-completion-report
      send_at: 2023-05-12 11:00
"""


def officers(unit: str, first: int, count: int) -> list[tuple[object, ...]]:
    return [
        (code, f"{unit.upper()} Officer {code}", "Inspector", 9000000000 + code,
         f"o{code}@{DOMAIN}")
        for code in range(first, first + count)
    ]  # fmt: skip


def at(day: int, month: int = 4, hour: int = 10) -> str:
    return datetime(2023, month, day, hour).isoformat()


def parsed(raw: bytes) -> email.message.EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


@dataclass
class Offices:
    """The three offices on disk, and how mail goes from the zones to the national office."""

    root: Path
    dovecot: Dovecot | None = None
    smtp: SmtpServer | None = None
    carried: set[bytes] = field(default_factory=set)

    def config(self, name: str) -> Path:
        return self.root / name / "config.yaml"

    def upstream_sent(self, zone: str) -> list[bytes]:
        """The upstream mails a zone has sent, oldest first."""
        sender = f"ccu-{zone}@{DOMAIN}"
        if self.dovecot is None:
            raws = [p.read_bytes() for p in sorted((self.root / zone / "outbox").glob("*.eml"))]
            raws = [r for r in raws if NACIN in str(parsed(r)["To"])]
        else:
            raws = self.dovecot.messages(NACIN, "INBOX")
        mails = [r for r in raws if sender in str(parsed(r)["From"])]
        return sorted(mails, key=lambda r: parsed(r)["Date"].datetime)

    def carry(self) -> None:
        """What a mail server does: the zones' upstream mails reach the national mailbox."""
        if self.dovecot is not None:
            return  # SMTP delivered them into the national office's IMAP mailbox
        for raw in [*self.upstream_sent("a"), *self.upstream_sent("b")]:
            if raw not in self.carried:
                make_maildir(self.root / "national" / "mailbox", [raw])
                self.carried.add(raw)


def lay_out(root: Path, dovecot: Dovecot | None, smtp: SmtpServer | None) -> Offices:
    setups = {
        "a": zone_config("a", ["a1", "a2", "a3"], resend=False, smtp=smtp),
        "b": zone_config("b", ["b1", "b2", "b3"], resend=True, smtp=smtp),
        "national": national_config(dovecot),
    }
    for name, text in setups.items():
        (root / name).mkdir()
        (root / name / "config.yaml").write_text(text, encoding="utf-8")
        make_maildir(root / name / "mailbox")
    return Offices(root, dovecot, smtp)


@pytest.fixture(params=["mail as files", "imap+smtp"])
def offices(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Offices]:
    if request.param == "mail as files":
        yield lay_out(tmp_path, None, None)
        return
    dovecot: Dovecot = request.getfixturevalue("dovecot")
    dovecot.add_user(NACIN, PASSWORD)

    def deliver(_from: str, rcpt: str, raw: bytes) -> None:
        if rcpt == NACIN:  # the zones' digests to their admins go nowhere here
            dovecot.append(rcpt, "INBOX", raw)

    with SmtpServer("none", deliver=deliver) as smtp:
        yield lay_out(tmp_path, dovecot, smtp)


def test_two_zones_on_one_domain_roll_up_to_the_national_office_officer_by_officer(
    offices: Offices,
) -> None:
    a, b, national = (offices.root / name for name in ("a", "b", "national"))
    # Zone A: a2 lists officer 102 of a1 again (one officer, transferred, listed twice).
    replies_a = {
        "a1": officers("a1", 100, 3),
        "a2": [*officers("a2", 200, 2), officers("a1", 102, 1)[0]],
        "a3": officers("a3", 300, 4),
    }
    for unit, rows in replies_a.items():
        make_maildir(
            a / "mailbox",
            [reply_message(f"ccu-{unit}@{DOMAIN}", SUBJECT, [("Format.xlsx", report_xlsx(rows))])],
        )
    for unit, first in (("b1", 400), ("b2", 500), ("b3", 600)):
        make_maildir(
            b / "mailbox",
            [
                reply_message(
                    f"ccu-{unit}@{DOMAIN}",
                    SUBJECT,
                    [("Format.xlsx", report_xlsx(officers(unit, first, 3)))],
                )
            ],
        )
    for zone in ("a", "b"):
        anupalan("--config", offices.config(zone), "once", "--now", at(25))
        anupalan("--config", offices.config(zone), "once", "--now", at(4, 5, 12))

    [sent_a] = offices.upstream_sent("a")
    [sent_b] = offices.upstream_sent("b")
    id_b = parsed(sent_b)["Message-ID"]
    assert parsed(sent_a)["Message-ID"] != id_b, "two zones on one domain, one Message-ID"

    # Zone B's unit b3 corrects its report after zone B's went up: one more officer.
    make_maildir(
        b / "mailbox",
        [
            reply_message(
                f"ccu-b3@{DOMAIN}",
                f"Revised: {SUBJECT}",
                [("Format.xlsx", report_xlsx(officers("b3", 600, 4)))],
            )
        ],
    )
    anupalan("--config", offices.config("b"), "once", "--now", at(5, 5, 10))
    [_, revised] = offices.upstream_sent("b")  # one correction, one revised report
    revision = parsed(revised)
    assert str(revision["Subject"]).startswith("Revised: ")
    assert "replaces the report sent on 04.05.2023" in str(revision["Subject"])
    assert revision["References"] == id_b

    offices.carry()
    anupalan("--config", offices.config("national"), "once", "--now", at(6, 5))
    status = json.loads(anupalan("--config", offices.config("national"), "status", "--json").stdout)
    assert status["needs_review"] == []
    completed = {u["id"]: u["completed"] for u in status["units"]}
    assert completed == {"zone-a": 9, "zone-b": 10}

    out = national / "national.xlsx"
    anupalan("--config", offices.config("national"), "report", "build", "--out", out)
    sheet = load_workbook(out)["Zonal report"]
    codes = sorted(str(row[1]) for row in sheet.iter_rows(min_row=3, values_only=True))
    expected = [
        *[str(c) for c in (100, 101, 102, 200, 201, 300, 301, 302, 303)],
        *[str(c) for c in (400, 401, 402, 500, 501, 502, 600, 601, 602, 603)],
    ]
    assert codes == sorted(expected)

    # Zone A's own records: the officer listed twice went up once, and it said so.
    out_a = a / "zone.xlsx"
    anupalan("--config", offices.config("a"), "report", "build", "--out", out_a)
    issues = [row[-1] for row in load_workbook(out_a)["Exceptions"].iter_rows(values_only=True)]
    assert any(str(i).startswith("listed twice: the same officer as A1") for i in issues)
