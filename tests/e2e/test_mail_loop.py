"""The whole loop on real servers: a unit's reply reaches the zone's IMAP mailbox through SMTP,
anupalan ingests it and answers, and the answer lands in the unit's own mailbox."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import smtplib
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from ews_server import PASSWORD as EWS_PASSWORD
from ews_server import USERNAME as EWS_USERNAME
from ews_server import FakeEws
from servers import Dovecot
from service_process import anupalan as run_anupalan
from service_process import command
from smtp_server import SmtpServer

from daemon.testing import officers, reply_message, report_xlsx

ZONE = "compliance-cell@example.gov.in"
NORTH = "ccu-chennai-north@example.gov.in"
PEOPLE = [
    ZONE,
    NORTH,
    "ccu-chennai-south@example.gov.in",
    "ccu-coimbatore@example.gov.in",
    "ccu-cbe-audit@example.gov.in",
    "nacin-igot@example.nic.in",
]
PASSWORD = "imap-zone-secret-7"
SUBJECT = "Report reg Level-1 Course on Emerging Technologies"


@dataclass
class Post:
    dovecot: Dovecot
    smtp: SmtpServer
    config: Path

    def send(self, raw: bytes, sender: str = NORTH, to: str = ZONE) -> None:
        """A unit's mail client sending through the SMTP server."""
        with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=10) as client:
            client.sendmail(sender, [to], raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))

    def inbox(self, user: str) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for raw in self.dovecot.messages(user, "INBOX")
        ]


def config_text(dovecot: Dovecot, smtp: SmtpServer, root: Path, idle: bool = False) -> str:
    mailbox = f"""mailbox:
  backend: imap
  host: 127.0.0.1
  port: {dovecot.imaps_port}
  security: tls
  tls_ca: {dovecot.ca_file}
  username: {ZONE}
  password: ${{ZONE_IMAP_PASSWORD}}
  timeout: 10
  idle: {"true" if idle else "false"}
  first_run: all
"""
    outgoing = f"""outgoing:
  backend: smtp
  host: 127.0.0.1
  port: {smtp.port}
  security: none
  from: Compliance Cell <{ZONE}>
  save_to_sent: true
"""
    return config_text_for(root, mailbox, outgoing)


def config_text_for(root: Path, mailbox: str, outgoing: str) -> str:
    """A small zone whose mail comes and goes as the given sections say."""
    return f"""
zone: {{name: Test Zone, timezone: Asia/Kolkata, admins: [{ZONE}]}}
{mailbox}{outgoing}storage: {{database: {root}/var/anupalan.db, archive: {root}/var/archive}}
units:
  - {{id: chennai-north, name: Chennai North, emails: [{NORTH}], strength: 10}}
  - {{id: chennai-south, name: Chennai South, strength: 8,
     emails: [ccu-chennai-south@example.gov.in]}}
campaigns:
  - id: emerging-tech-l1
    title: Level-1 Online Course on Emerging Technologies
    format: unit-completion-report
    unit_deadline: 2023-04-30
    upstream:
      to: [nacin-igot@example.nic.in]
      format: zonal-completion-report
      send_at: 2023-05-04 11:00
service: {{poll_interval: 600}}
"""


@pytest.fixture
def post(dovecot: Dovecot, tmp_path: Path) -> Iterator[Post]:
    for person in PEOPLE:
        dovecot.add_user(person, PASSWORD)
    with SmtpServer(
        "none", deliver=lambda _from, rcpt, raw: dovecot.append(rcpt, "INBOX", raw)
    ) as smtp:
        config = tmp_path / "config.yaml"
        config.write_text(config_text(dovecot, smtp, tmp_path))
        yield Post(dovecot, smtp, config)


class World(Protocol):
    """A mail system anupalan can be pointed at: where units' replies arrive, where answers go."""

    def config(self, root: Path) -> Path: ...

    def unit_sends(self, raw: bytes) -> None: ...

    def received(self, address: str) -> list[email.message.EmailMessage]: ...


class DovecotWorld:
    """IMAP in (Dovecot), SMTP out (aiosmtpd delivering into Dovecot)."""

    def __init__(self, post: Post) -> None:
        self.post = post

    def config(self, root: Path) -> Path:
        return self.post.config

    def unit_sends(self, raw: bytes) -> None:
        self.post.send(raw)

    def received(self, address: str) -> list[email.message.EmailMessage]:
        return self.post.inbox(address)


class ExchangeWorld:
    """EWS in and out, against the recorded-response EWS endpoint."""

    def __init__(self, ews: FakeEws) -> None:
        self.ews = ews

    def config(self, root: Path) -> Path:
        server = f"""
  ews_url: {self.ews.url}
  auth: basic
  primary_smtp_address: {ZONE}
  username: {json.dumps(EWS_USERNAME)}
  password: ${{ZONE_EWS_PASSWORD}}
  timeout: 10
  max_retry_wait: 5"""
        text = config_text_for(
            root,
            f"mailbox:\n  backend: exchange{server}\n",
            (f"outgoing:\n  backend: exchange{server}\n  from: Compliance Cell <{ZONE}>\n"),
        )
        path = root / "config.yaml"
        path.write_text(text)
        return path

    def unit_sends(self, raw: bytes) -> None:
        self.ews.add_message(raw)

    def received(self, address: str) -> list[email.message.EmailMessage]:
        parsed = [
            email.message_from_bytes(raw, policy=email.policy.default) for raw in self.ews.sent
        ]
        return [m for m in parsed if address in str(m["To"])]  # type: ignore[misc]


@pytest.fixture(params=["imap+smtp", "exchange"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    if request.param == "exchange":
        return ExchangeWorld(request.getfixturevalue("fake_ews"))
    return DovecotWorld(request.getfixturevalue("post"))


def test_on_every_backend_a_reply_is_ingested_once_and_acknowledged(
    world: World, tmp_path: Path
) -> None:
    config = world.config(tmp_path)
    world.unit_sends(
        reply_message(
            NORTH,
            SUBJECT,
            [("Format.xlsx", report_xlsx(officers(5)))],
            message_id="<north-any@example.gov.in>",
        )
    )
    first = anupalan("--config", config, "once", "--now", "2023-04-24T12:00")
    assert first.returncode == 0, first.stderr
    assert "1 accepted" in first.stdout
    [ack] = [m for m in world.received(NORTH) if str(m["Subject"]).startswith("Received:")]
    assert ack["In-Reply-To"] == "<north-any@example.gov.in>"
    assert "Recorded: 5 officer(s)" in ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    status = json.loads(anupalan("--config", config, "status", "--json").stdout)
    assert status["units"][0]["completed"] == 5

    again = anupalan("--config", config, "once", "--now", "2023-04-24T12:05")
    assert again.returncode == 0 and "accepted" not in again.stdout
    assert len([m for m in world.received(NORTH) if str(m["Subject"]).startswith("Received:")]) == 1


def anupalan(*args: str | Path, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    return run_anupalan(
        *args, env={"ZONE_IMAP_PASSWORD": password, "ZONE_EWS_PASSWORD": EWS_PASSWORD}
    )


def test_a_reply_is_ingested_and_acknowledged_into_the_units_mailbox(post: Post) -> None:
    reply = reply_message(
        NORTH,
        SUBJECT,
        [("Format.xlsx", report_xlsx(officers(6)))],
        message_id="<north-1@example.gov.in>",
    )
    post.send(reply)
    first = anupalan("--config", post.config, "once", "--now", "2023-04-24T12:00")
    assert first.returncode == 0, first.stderr
    assert "ingested 1 message(s): 1 accepted" in first.stdout

    [ack] = [m for m in post.inbox(NORTH) if str(m["Subject"]).startswith("Received:")]
    assert ack["In-Reply-To"] == "<north-1@example.gov.in>"
    assert "Recorded: 6 officer(s)" in ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # the zone's mailbox: the reply still unread, a copy of every mail sent in Sent
    assert "\\Seen" not in post.dovecot.flags(ZONE, "INBOX")[0]
    sent = [
        email.message_from_bytes(r, policy=email.policy.default)
        for r in post.dovecot.messages(ZONE, "Sent")
    ]
    assert {str(m["Message-ID"]) for m in sent} >= {str(ack["Message-ID"])}
    assert len(sent) == len([r for r in post.smtp.received if r.mail_from == ZONE])

    status = json.loads(anupalan("--config", post.config, "status", "--json").stdout)
    assert status["units"][0]["completed"] == 6 and status["mailbox"]["error"] is None

    # the digest went to the administrators, that is to this very mailbox: it is
    # recognised as anupalan's own and neither counted nor answered
    again = anupalan("--config", post.config, "once", "--now", "2023-04-24T12:00")
    assert again.returncode == 0 and "ingested 1 message(s): 1 ignored" in again.stdout
    assert "queued 0 mail(s)" in again.stdout
    third = anupalan("--config", post.config, "once", "--now", "2023-04-24T12:00")
    assert "ingested 0 message(s)" in third.stdout
    assert len([m for m in post.inbox(NORTH) if str(m["Subject"]).startswith("Received:")]) == 1


def test_a_refused_login_is_said_plainly_and_nothing_else_stops(post: Post) -> None:
    post.send(reply_message(NORTH, SUBJECT, [("Format.xlsx", report_xlsx(officers(2)))]))
    wrong = "not-the-password-9"
    result = anupalan("--config", post.config, "once", "--now", "2023-04-24T12:00", password=wrong)
    assert result.returncode == 1
    assert f"login to 127.0.0.1 as {ZONE} was refused" in result.stderr
    assert wrong not in result.stderr + result.stdout
    status = json.loads(
        anupalan("--config", post.config, "status", "--json", password=wrong).stdout
    )
    assert "refused" in status["mailbox"]["error"]
    # the digest that went out meanwhile says so
    digests = [m for m in post.inbox(ZONE) if str(m["Subject"]).startswith("Digest")]
    assert digests and "could not be read" in digests[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]

    fixed = anupalan("--config", post.config, "once", "--now", "2023-04-24T12:30")
    assert fixed.returncode == 0 and "1 accepted" in fixed.stdout


def test_the_service_answers_new_mail_at_once_with_idle(post: Post) -> None:
    post.config.write_text(config_text(post.dovecot, post.smtp, post.config.parent, idle=True))
    env = {**os.environ, "ZONE_IMAP_PASSWORD": PASSWORD}
    proc = subprocess.Popen(
        command("--config", post.config, "run"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:  # wait for the first cycle, which finds the mailbox empty
            if json.loads(line)["event"] == "cycle_done":
                break
        time.sleep(1)  # let the watcher enter IDLE
        post.send(reply_message(NORTH, SUBJECT, [("Format.xlsx", report_xlsx(officers(3)))]))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(str(m["Subject"]).startswith("Received:") for m in post.inbox(NORTH)):
                break
            time.sleep(0.5)
        else:
            pytest.fail("no acknowledgement within 30 s of the reply (poll interval is 600 s)")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
