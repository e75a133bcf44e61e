"""The roll-up end to end: two zones report to the national office on the same software.

Three `anupalan` processes, each on its own directory: two zones on one mail
domain, with three units each, and a national instance whose units are the
zones. The units' replies reach each zone's Maildir; each zone's upstream
mails, written to its outbox as .eml files, are carried into the national
Maildir as a mail server would. One officer is listed by two units of zone
A; a unit of zone B corrects its report after zone B's report went up, and
zone B (opted in) sends a revised report that replaces it. The national
figures are checked officer by officer.
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from daemon.testing import make_maildir, reply_message, report_xlsx

DOMAIN = "example.gov.in"
SUBJECT = "Report reg Completion of Course on Emerging Technologies"


def anupalan(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = shutil.which("anupalan")
    prefix = [command] if command else [sys.executable, "-m", "daemon"]
    result = subprocess.run(
        [*prefix, "--log-format", "json", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def zone_config(zone: str, units: list[str], resend: bool) -> str:
    listed = "\n".join(
        f"  - {{id: {u}, name: {u.upper()}, emails: [ccu-{u}@{DOMAIN}], strength: 5}}"
        for u in units
    )
    return f"""\
zone:
  name: CGST {zone.upper()} Zone
  timezone: Asia/Kolkata
  admins: [admin-{zone}@{DOMAIN}]
mailbox: {{backend: maildir, path: mailbox}}
outgoing: {{backend: directory, path: outbox, from: Zonal Cell <ccu-{zone}@{DOMAIN}>}}
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


NATIONAL = f"""\
zone:
  name: NACIN
  timezone: Asia/Kolkata
  admins: [igot-admin@example.nic.in]
mailbox: {{backend: maildir, path: mailbox}}
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


def upstream_mails(outbox: Path) -> list[Path]:
    found = []
    for path in sorted(outbox.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if "nacin-igot@example.nic.in" in str(msg["To"]):
            found.append(path)
    return found


@pytest.fixture
def offices(tmp_path: Path) -> dict[str, Path]:
    setups = {
        "a": zone_config("a", ["a1", "a2", "a3"], resend=False),
        "b": zone_config("b", ["b1", "b2", "b3"], resend=True),
        "national": NATIONAL,
    }
    roots = {}
    for name, text in setups.items():
        root = tmp_path / name
        root.mkdir()
        (root / "config.yaml").write_text(text, encoding="utf-8")
        make_maildir(root / "mailbox")
        roots[name] = root
    return roots


def test_two_zones_on_one_domain_roll_up_to_the_national_office_officer_by_officer(
    offices: dict[str, Path],
) -> None:
    a, b, national = offices["a"], offices["b"], offices["national"]
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
    for root in (a, b):
        anupalan("--config", root / "config.yaml", "once", "--now", at(25))
        anupalan("--config", root / "config.yaml", "once", "--now", at(4, 5, 12))

    [sent_a] = upstream_mails(a / "outbox")
    [sent_b] = upstream_mails(b / "outbox")
    id_a, id_b = (
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Message-ID"]
        for p in (sent_a, sent_b)
    )
    assert id_a != id_b, "two zones on one domain must never share a Message-ID"

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
    anupalan("--config", b / "config.yaml", "once", "--now", at(5, 5, 10))
    revised = [p for p in upstream_mails(b / "outbox") if p != sent_b]
    assert len(revised) == 1, "one correction, one revised report"
    revision = email.message_from_bytes(revised[0].read_bytes(), policy=email.policy.default)
    assert str(revision["Subject"]).startswith("Revised: ")
    assert "replaces the report sent on 04.05.2023" in str(revision["Subject"])
    assert revision["References"] == id_b

    # The mail server carries the zones' upstream mails to the national mailbox.
    for path in (sent_a, sent_b, revised[0]):
        make_maildir(national / "mailbox", [path.read_bytes()])
    anupalan("--config", national / "config.yaml", "once", "--now", at(6, 5))
    status = json.loads(anupalan("--config", national / "config.yaml", "status", "--json").stdout)
    assert status["needs_review"] == []
    completed = {u["id"]: u["completed"] for u in status["units"]}
    assert completed == {"zone-a": 9, "zone-b": 10}

    out = national / "national.xlsx"
    anupalan("--config", national / "config.yaml", "report", "build", "--out", out)
    sheet = load_workbook(out)["Zonal report"]
    codes = sorted(str(row[1]) for row in sheet.iter_rows(min_row=3, values_only=True))
    expected = [
        *[str(c) for c in (100, 101, 102, 200, 201, 300, 301, 302, 303)],
        *[str(c) for c in (400, 401, 402, 500, 501, 502, 600, 601, 602, 603)],
    ]
    assert codes == sorted(expected)

    # Zone A's own records: the officer listed twice went up once, and it said so.
    out_a = a / "zone.xlsx"
    anupalan("--config", a / "config.yaml", "report", "build", "--out", out_a)
    issues = [row[-1] for row in load_workbook(out_a)["Exceptions"].iter_rows(values_only=True)]
    assert any(str(i).startswith("listed twice: the same officer as A1") for i in issues)
