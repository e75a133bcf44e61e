"""A whole compliance drive on real mail servers, for end-to-end tests.

`DriveWorld` is one zone with the fourteen units of the sample `config.yaml`
(the Chennai Zone's Commissionerates, Audit and Appeals units, with the
sample's ids, names and kind of escalation contact, some of its aliases, and
a tenth of its strengths, so that reports stay small), its own Dovecot (every unit address,
every escalation contact, the zone and the upstream office are users) and
its own SMTP server that delivers each mail into the recipients' Dovecot
INBOX. The zone's configuration reads the zone mailbox over IMAPS, moves
what it stored to `anupalan-processed`, sends through the SMTP server and
keeps a copy of each mail in `Sent`, as README.md describes for a real
mailbox.

The test side of the world: `reply` builds a unit's reply with a real .xlsx,
`arrive` puts a message into the zone INBOX as received at a given time,
`start_command` and `run` launch the `anupalan` command against the world
(an `Attempt`, which a crash test can kill), `received` and `mailboxes`
count what the mailboxes hold by Message-ID, `smtp_transactions` what the
SMTP server accepted, and `store` opens the database as the service does.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from servers import DOVEADM, DOVECOT, Dovecot, dovecot_installed
from smtp_server import SmtpServer

from daemon.adapters.store_sql import SqlStore
from daemon.testing import officers, reply_message, report_xlsx

IST = ZoneInfo("Asia/Kolkata")
ZONE = "compliance-cell@example.gov.in"
UPSTREAM = "nacin-igot@example.nic.in"
CAMPAIGN = "emerging-tech-l1"
SUBJECT = "Report reg Level-1 Online Course on Emerging Technologies"
PROCESSED = "anupalan-processed"
SENT = "Sent"
PASSWORD = "drive-zone-imap-4"  # every user's; the zone's is read from a file


@dataclass(frozen=True)
class Unit:
    """A reporting unit of the drive, and the addresses that belong to it."""

    id: str
    name: str
    strength: int
    aliases: tuple[str, ...]
    first_code: int  # its officers' employee codes start here

    @property
    def email(self) -> str:
        return f"ccu-{self.id}@example.gov.in"

    @property
    def head(self) -> str:
        """The escalation contact (the Commissioner's office)."""
        return f"commr-{self.id}@example.gov.in"


UNITS: tuple[Unit, ...] = (
    Unit("chennai-north", "Chennai North", 18, ("Chennai North Commissionerate",), 41000),
    Unit("chennai-south", "Chennai South", 21, ("Chennai South Commissionerate",), 42000),
    Unit("chennai-outer", "Chennai Outer", 16, ("Chennai Outer Commissionerate",), 43000),
    Unit("puducherry", "Puducherry", 12, ("Puducherry Commissionerate", "Pondicherry"), 44000),
    Unit("coimbatore", "Coimbatore", 24, ("Coimbatore Commissionerate",), 45000),
    Unit("salem", "Salem", 15, ("Salem Commissionerate",), 46000),
    Unit("trichy", "Tiruchirappalli", 17, ("Trichy", "Trichy Commissionerate"), 47000),
    Unit("madurai", "Madurai", 19, ("Madurai Commissionerate",), 48000),
    Unit("chennai-audit-1", "Chennai Audit-I", 10, ("Chennai Audit I", "Ch. Audit-I"), 49000),
    Unit("chennai-audit-2", "Chennai Audit-II", 9, ("Chennai Audit II", "Ch. Audit-II"), 50000),
    Unit("coimbatore-audit", "Coimbatore Audit", 7, ("CBE Audit",), 51000),
    Unit("chennai-appeals-1", "Chennai Appeals-I", 4, ("Chennai Appeals I",), 52000),
    Unit("chennai-appeals-2", "Chennai Appeals-II", 4, ("Chennai Appeals II",), 53000),
    Unit("coimbatore-appeals", "Coimbatore Appeals", 3, ("CBE Appeals",), 54000),
)


def unit(unit_id: str) -> Unit:
    return next(u for u in UNITS if u.id == unit_id)


def require_dovecot() -> None:
    """Skip the test where Dovecot is missing; under CI (CI set) that is a failure."""
    if dovecot_installed():
        return
    message = f"Dovecot is not installed ({DOVECOT} and {DOVEADM} are needed)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def at(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    """A moment of the 2023 drive, Indian Standard Time."""
    return datetime(2023, month, day, hour, minute, tzinfo=IST)


def message_id_of(raw: bytes) -> str:
    """The Message-ID header of raw mail ("" if it has none)."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    return str(headers.get("Message-ID", "")).strip()


def reply(
    sender: Unit | str,
    completed: int,
    when: datetime,
    message_id: str,
    *,
    subject: str = SUBJECT,
    file: str = "Format.xlsx",
    content: bytes | None = None,
    bad_mobile: bool = False,
    body: str | None = None,
) -> bytes:
    """A unit's reply with a real .xlsx listing `completed` officers (or the given bytes)."""
    first_code = sender.first_code if isinstance(sender, Unit) else 90000
    address = sender.email if isinstance(sender, Unit) else sender
    if content is None:
        rows = officers(completed, first_code=first_code)
        if bad_mobile and rows:
            rows[-1] = (*rows[-1][:3], "98765", *rows[-1][4:])
        content = report_xlsx(rows)
    attachments = [(file, content)]
    if body is None:
        return reply_message(address, subject, attachments, date=when, message_id=message_id)
    return reply_message(address, subject, attachments, date=when, message_id=message_id, body=body)


def config_text(
    root: Path, database: Path, dovecot: Dovecot, smtp_port: int, units: Sequence[Unit]
) -> str:
    """The zone's configuration: the sample's shape, on this world's servers."""
    unit_lines = "".join(
        f"  - id: {u.id}\n"
        f"    name: {u.name}\n"
        f"    emails: [{u.email}]\n"
        f"    escalation_cc: [{u.head}]\n"
        f"    strength: {u.strength}\n"
        f"    aliases: [{', '.join(u.aliases)}]\n"
        for u in units
    )
    return f"""\
zone:
  name: O/o the Principal Chief Commissioner, CGST Chennai Zone
  timezone: Asia/Kolkata
  admins: [{ZONE}]
mailbox:
  backend: imap
  host: 127.0.0.1
  port: {dovecot.imaps_port}
  security: tls
  tls_ca: {dovecot.ca_file}
  username: {ZONE}
  password_file: {root / "imap-password"}
  folder: INBOX
  after_ingest: move
  processed_folder: {PROCESSED}
  idle: false
  timeout: 10
outgoing:
  backend: smtp
  host: 127.0.0.1
  port: {smtp_port}
  security: none
  timeout: 10
  from: Zonal Compliance Cell <{ZONE}>
  save_to_sent: true
  sent_folder: {SENT}
storage:
  database: {database}
  archive: {root / "var" / "archive"}
units:
{unit_lines}campaigns:
  - id: {CAMPAIGN}
    title: Level-1 Online Course on Emerging Technologies
    format: unit-completion-report
    keywords: [emerging technologies, emerging tech, level-1, level 1, igot, karmayogi]
    unit_deadline: 2023-04-30
    reminders:
      at: ["-7d 10:00", "-3d 10:00", "-1d 10:00", "+1d 10:00", "+3d 10:00"]
      escalate_after: 2
    upstream:
      to: [{UPSTREAM}]
      format: zonal-completion-report
      send_at: 2023-05-04 11:00
      deadline: 2023-05-05
    digest:
      cron: "0 9 * * mon-sat"
service:
  poll_interval: 300
"""


def anupalan_command() -> list[str]:
    """The `anupalan` console script beside this Python, else `python -m daemon`.

    Not a shim on PATH: a signal must reach the Python process itself.
    """
    script = Path(sys.executable).with_name("anupalan")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "daemon"]


@dataclass
class Attempt:
    """One `anupalan` process started against the world, its output going to files."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    started: float  # time.monotonic() at the start
    started_wall: float  # time.time() at the start, to read the log's timestamps against
    ended: float | None = None  # time.monotonic() when it was seen to end

    def wait(self, timeout: float) -> int:
        """Wait for the process to end (subprocess.TimeoutExpired if it does not); its status."""
        status = self.process.wait(timeout=timeout)
        if self.ended is None:
            self.ended = time.monotonic()
        return status

    @property
    def duration(self) -> float:
        """Seconds from the start to the end (to now, while it runs)."""
        return (self.ended or time.monotonic()) - self.started

    def wait_for(self, text: str, timeout: float) -> bool:
        """Wait until standard error holds `text`; False if the process ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stderr.read_text(errors="replace"):
                return True
            if self.process.poll() is not None:
                return text in self.stderr.read_text(errors="replace")
            time.sleep(0.02)
        raise TimeoutError(f"{text!r} did not appear within {timeout:g} s")

    def kill(self) -> None:
        """SIGKILL, and wait for the process to be gone."""
        if self.process.poll() is None:
            self.process.kill()
        self.wait(timeout=10)

    @property
    def output(self) -> str:
        return self.stdout.read_text(errors="replace")

    @property
    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")

    def events(self) -> list[dict[str, Any]]:
        """The JSON log lines the process wrote (a line cut short by a kill is left out)."""
        found = []
        for line in self.errors.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                found.append(event)
        return found


class DriveWorld:
    """A zone, its fourteen units and the upstream office on a Dovecot and an SMTP server."""

    def __init__(self, root: Path, units: Sequence[Unit] = UNITS) -> None:
        self.root = root
        self.units = tuple(units)
        self.config = root / "config.yaml"
        self.database = root / "var" / "anupalan.db"
        self.logs = root / "logs"
        self._runs = 0
        self._lock = threading.Lock()
        self.deliveries: list[tuple[str, str]] = []  # (Message-ID, recipient), as delivered
        self._delivering = 0  # local deliveries under way on the SMTP server's thread
        self.dovecot = Dovecot({address: PASSWORD for address in self.addresses})
        self.smtp = SmtpServer("none", deliver=self._deliver)

    @property
    def addresses(self) -> list[str]:
        """Every mailbox of the world: the zone, the upstream office, each unit and its head."""
        return [ZONE, UPSTREAM, *(u.email for u in self.units), *(u.head for u in self.units)]

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> DriveWorld:
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.root / "imap-password").write_text(PASSWORD + "\n", encoding="utf-8")
        self.dovecot.start()
        self.smtp.start()
        self.config.write_text(
            config_text(self.root, self.database, self.dovecot, self.smtp.port, self.units),
            encoding="utf-8",
        )
        return self

    def close(self) -> None:
        try:
            self.smtp.stop()
        finally:
            self.dovecot.close()

    def __enter__(self) -> DriveWorld:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- mail in and out ----------------------------------------------------------------

    def _deliver(self, _sender: str, recipient: str, raw: bytes) -> None:
        """The SMTP server's local delivery: into the recipient's INBOX."""
        with self._lock:
            self._delivering += 1
        try:
            self.dovecot.append(recipient, "INBOX", raw)
            with self._lock:
                self.deliveries.append((message_id_of(raw), recipient))
        finally:
            with self._lock:
                self._delivering -= 1

    def arrive(self, raw: bytes, when: datetime) -> None:
        """A message reaches the zone's INBOX, as received by the server at `when`."""
        self.dovecot.append(ZONE, "INBOX", raw, when=when)

    def smtp_transactions(self) -> Counter[str]:
        """How many times the SMTP server accepted each Message-ID."""
        return Counter(message_id_of(mail.content) for mail in list(self.smtp.received))

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until the SMTP server has finished what a killed client left it doing."""
        deadline = time.monotonic() + timeout
        seen = (-1, -1)
        while time.monotonic() < deadline:
            with self._lock:
                busy = self._delivering > 0
                now = (len(self.smtp.received), len(self.deliveries))
            if now == seen and not busy:
                return
            seen = now
            time.sleep(quiet)
        raise TimeoutError(f"the SMTP server was still busy after {timeout:g} s")

    def received(self, address: str, folders: Sequence[str] = ("INBOX",)) -> Counter[str]:
        """The Message-IDs in the user's folders, each with how many copies are there."""
        found: Counter[str] = Counter()
        for folder in folders:
            for raw in self.dovecot.messages(address, folder):
                found[message_id_of(raw)] += 1
        return found

    def mailboxes(self) -> dict[str, Counter[str]]:
        """What every mailbox of the world holds, by Message-ID (the zone: INBOX and processed)."""
        return {
            address: self.received(address, ("INBOX", PROCESSED) if address == ZONE else ("INBOX",))
            for address in self.addresses
        }

    # -- the anupalan command -----------------------------------------------------------

    def start_command(self, *args: str, env: Mapping[str, str] | None = None) -> Attempt:
        """Start `anupalan --config ... ARGS` with JSON logs; its output goes to files."""
        self._runs += 1
        stdout = self.logs / f"{self._runs:04d}.out"
        stderr = self.logs / f"{self._runs:04d}.err"
        command = [
            *anupalan_command(),
            "--log-format",
            "json",
            "--config",
            str(self.config),
            *args,
        ]
        started_wall = time.time()
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env={**os.environ, **(env or {})},
            )
        return Attempt(process, stdout, stderr, time.monotonic(), started_wall)

    def run(self, *args: str, timeout: float = 60.0) -> Attempt:
        """Run the command to its end (killed after `timeout` seconds)."""
        attempt = self.start_command(*args)
        try:
            attempt.wait(timeout)
        finally:
            attempt.kill()
        return attempt

    def status(self, now: datetime) -> dict[str, Any]:
        """`anupalan status --json --now NOW`."""
        done = self.run("status", "--json", "--now", now.isoformat())
        assert done.process.returncode == 0, done.errors
        result: dict[str, Any] = json.loads(done.output)
        return result

    @contextmanager
    def store(self) -> Iterator[SqlStore]:
        """The zone's database, opened as the service opens it."""
        store = SqlStore.open_sqlite(self.database)
        try:
            yield store
        finally:
            store.close()
