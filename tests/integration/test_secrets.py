"""Secrets never reach anything anupalan writes.

Full cycles run against a real Dovecot (IMAP over TLS, with XOAUTH2 switched
on: it checks a token as it would a password) and a real SMTP server that
wants a login, through the `anupalan` command with `--log-format json`: the
passwords come from `${ENV}` and from `*_file`, right and wrong, one of them
beyond ASCII, and OAuth2 tokens from `oauth2_token_command`. Every line the
processes write, the mails the SMTP server receives (the digest with its
error report), `status --json`, the database and the copies in Sent are then
searched for every secret: as written, in base64 at any alignment (as in
AUTH PLAIN and XOAUTH2), and escaped as JSON or Python would write it.

In-process tests check the same of the adapters' own messages (without the
logging's second line of defence in the way), and that second line itself.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import smtplib
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from figures import record
from servers import Dovecot, dovecot_installed
from service_process import Service, anupalan, service
from smtp_server import SmtpServer
from structlog.testing import capture_logs

from daemon import cli, logging_setup
from daemon.adapters.sender_smtp import SmtpSender
from daemon.bootstrap import build_app
from daemon.config import SmtpOutgoing, load_config
from daemon.errors import TransientSendError
from daemon.ports import OutgoingMail
from daemon.services.cycle import run_once
from daemon.services.status import campaign_status, status_json
from daemon.testing import officers, reply_message, report_xlsx

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

IST = ZoneInfo("Asia/Kolkata")
NOW = datetime(2023, 4, 24, 12, 0, tzinfo=IST)  # a Monday: the 09:00 digest is due
ZONE = "compliance-cell@example.gov.in"
NORTH = "ccu-chennai-north@example.gov.in"
OAUTH_USER = "oauth-cell@example.gov.in"
UNICODE_USER = "unicode-cell@example.gov.in"
SUBJECT = "Report reg Level-1 Course on Emerging Technologies"

IMAP_PASSWORD = "Imap-Pass-7Kq2wZr9"
SMTP_PASSWORD = "Smtp-Pass-3Vn8xTb6"
WRONG_IMAP_PASSWORD = "Wrong-Imap-5Hd1pQs4"
WRONG_SMTP_PASSWORD = "Wrong-Smtp-9Lf6mYc2"
UNICODE_PASSWORD = "Pāsswörd-ज़ोन-4821"
IMAP_TOKEN = "ya29.imap-Tok3n-Qw8eRt5yUi"
SMTP_TOKEN = "ya29.smtp-Tok3n-Zx4cVb7nMa"
WRONG_TOKEN = "ya29.wrong-Tok3n-Lk2jHg9fDs"
SECRETS = (
    IMAP_PASSWORD,
    SMTP_PASSWORD,
    WRONG_IMAP_PASSWORD,
    WRONG_SMTP_PASSWORD,
    UNICODE_PASSWORD,
    IMAP_TOKEN,
    SMTP_TOKEN,
    WRONG_TOKEN,
)


# --------------------------------------------------------------------------- finding leaks


def written_forms(secret: str) -> set[bytes]:
    """Every way the secret could show up in bytes someone can read."""
    raw = secret.encode("utf-8")
    forms = {
        raw,
        json.dumps(secret).strip('"').encode(),  # \\u escapes
        secret.encode("unicode_escape"),  # \\x and \\u escapes, as repr() writes them
    }
    # In base64 the secret's bytes start at one of three alignments; whatever comes
    # before or after it (AUTH PLAIN's "\0user\0", XOAUTH2's "auth=Bearer "), the
    # encoding of its aligned middle appears as is.
    for shift in range(3):
        middle = raw[shift:]
        middle = middle[: len(middle) - len(middle) % 3]
        if len(middle) >= 6:
            forms.add(base64.b64encode(middle))
            forms.add(base64.urlsafe_b64encode(middle))
    return forms


def leaks(blobs: Iterable[tuple[str, bytes]]) -> list[tuple[str, str]]:
    """(where, secret) for every secret found in any of the named blobs."""
    found = []
    for where, blob in blobs:
        for secret in SECRETS:
            if any(form in blob for form in written_forms(secret)):
                found.append((where, secret))
    return found


def mail_blobs(where: str, raw: bytes) -> Iterator[tuple[str, bytes]]:
    """A mail as it travelled, and each of its parts decoded (base64 lines are wrapped)."""
    yield where, raw
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for n, part in enumerate(message.walk()):
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            yield f"{where}, part {n}", payload


@dataclass
class Seen:
    """Everything a test's processes wrote and left behind, by where it was seen."""

    blobs: list[tuple[str, bytes]] = field(default_factory=list)
    log_lines: int = 0

    def output(self, what: str, done: subprocess.CompletedProcess[str]) -> None:
        self.blobs.append((f"{what}: stdout", done.stdout.encode()))
        self.blobs.append((f"{what}: stderr", done.stderr.encode()))
        self.log_lines += len(done.stderr.splitlines())

    def service(self, what: str, running: Service) -> None:
        self.blobs.append((f"{what}: stderr", "".join(running.lines).encode()))
        self.blobs.append((f"{what}: stdout", running.stdout.encode()))
        self.log_lines += len(running.lines)

    def files(self, folder: Path) -> None:
        """The database (and its WAL) and anything else written under `folder`."""
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            self.blobs.append((str(path), path.read_bytes()))

    def mails(self, where: str, raws: Iterable[bytes]) -> None:
        for n, raw in enumerate(raws):
            self.blobs.extend(mail_blobs(f"{where} #{n}", raw))


_TOTAL = Seen()
_FOUND: list[tuple[str, str]] = []


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    if _TOTAL.blobs:
        record("log lines captured", _TOTAL.log_lines, group="secrets")
        record("places searched", len(_TOTAL.blobs), group="secrets")
        record("secrets searched for", len(SECRETS), group="secrets")
        record("secrets found", len(_FOUND), group="secrets")


def assert_no_secret(seen: Seen) -> None:
    found = leaks(seen.blobs)
    _TOTAL.blobs.extend(seen.blobs)
    _TOTAL.log_lines += seen.log_lines
    _FOUND.extend(found)
    assert found == []


def test_the_search_finds_a_secret_however_it_is_written() -> None:
    plain_auth = b"AUTH PLAIN " + base64.b64encode(f"\0{ZONE}\0{SMTP_PASSWORD}".encode())
    xoauth2 = base64.b64encode(f"user={ZONE}\x01auth=Bearer {SMTP_TOKEN}\x01\x01".encode())
    mail = reply_message(NORTH, "x", [("leak.txt", f"pw: {IMAP_PASSWORD}\n".encode() * 40)])
    quoted = json.dumps({"error": f"bad {UNICODE_PASSWORD}"}).encode()
    shown = repr(UnicodeEncodeError("ascii", UNICODE_PASSWORD, 1, 2, "no")).encode()
    for blob, secret in [
        (plain_auth, SMTP_PASSWORD),
        (xoauth2, SMTP_TOKEN),
        (quoted, UNICODE_PASSWORD),
        (shown, UNICODE_PASSWORD),
    ]:
        assert leaks([("sample", blob)]) == [("sample", secret)]
    assert ("mail, part 2", IMAP_PASSWORD) in leaks(mail_blobs("mail", mail))
    assert leaks([("clean", b"AUTH PLAIN AGNlbGwAbm90LWEtc2VjcmV0")]) == []


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    """Dovecot (XOAUTH2 on) and an SMTP server that wants a login, shared by the tests of this
    module; a zone of its own per test, reading a folder of its own."""

    dovecot: Dovecot
    smtp: SmtpServer
    root: Path
    folder: str
    received_before: int  # mails the SMTP server had received before this test
    logins_before: int
    seen: Seen = field(default_factory=Seen)

    @property
    def received(self) -> list[bytes]:
        return [r.content for r in self.smtp.received[self.received_before :]]

    @property
    def smtp_logins(self) -> list[tuple[str, str]]:
        return self.smtp.logins[self.logins_before :]

    def secret_file(self, name: str, value: str) -> Path:
        path = self.root / "secrets" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(value + "\n", encoding="utf-8")
        path.chmod(0o600)
        return path

    def token_command(self, name: str, token: str) -> Path:
        script = self.root / "secrets" / name
        script.parent.mkdir(exist_ok=True)
        script.write_text(f"#!/bin/sh\nprintf '%s\\n' '{token}'\n", encoding="utf-8")
        script.chmod(0o700)
        return script

    def config(
        self, imap: str, smtp: str, user: str = ZONE, idle: bool = False, folder: str = ""
    ) -> Path:
        """The zone's configuration, with the given lines for logging in to each server."""
        text = f"""\
zone: {{name: Test Zone, timezone: Asia/Kolkata, admins: [{ZONE}]}}
mailbox:
  backend: imap
  host: 127.0.0.1
  port: {self.dovecot.imaps_port}
  security: tls
  tls_ca: {self.dovecot.ca_file}
  username: {user}
  {imap}
  folder: {folder or self.folder}
  timeout: 10
  idle: {"true" if idle else "false"}
  first_run: all
outgoing:
  backend: smtp
  host: 127.0.0.1
  port: {self.smtp.port}
  security: none
  username: {ZONE}
  {smtp}
  timeout: 10
  from: Compliance Cell <{ZONE}>
  save_to_sent: true
storage: {{database: {self.root}/var/anupalan.db, archive: {self.root}/var/archive}}
units:
  - {{id: chennai-north, name: Chennai North, emails: [{NORTH}], strength: 10}}
  - {{id: chennai-south, name: Chennai South, emails: [ccu-chennai-south@example.gov.in],
     strength: 8}}
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
        path = self.root / "config.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def unit_sends(self, user: str = ZONE) -> None:
        raw = reply_message(NORTH, SUBJECT, [("Format.xlsx", report_xlsx(officers(4)))])
        self.dovecot.append(user, self.folder, raw.replace(b"\n", b"\r\n"))

    def run(
        self, what: str, *args: str | Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = anupalan(*args, env=env)
        self.seen.output(what, done)
        return done

    def leaks_checked(self, *users: str) -> None:
        """Search everything the test left for every secret."""
        self.seen.mails("received by SMTP", self.received)
        for user in users:
            self.seen.mails(f"{user} Sent", self.dovecot.messages(user, "Sent"))
        self.seen.files(self.root / "var")
        assert_no_secret(self.seen)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Dovecot, SmtpServer]]:
    if not dovecot_installed():
        message = "Dovecot is not installed (on Debian: apt-get install dovecot-imapd)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    dovecot = Dovecot()
    conf = dovecot.config_file.read_text(encoding="utf-8")
    conf = conf.replace("auth_mechanisms = plain login", "auth_mechanisms = plain login xoauth2")
    # No growing delay for every login from 127.0.0.1 after a refused one: the
    # auth process cannot reach the penalty tracker, so it keeps none.
    conf += "service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n"
    dovecot.config_file.write_text(conf, encoding="utf-8")
    dovecot.add_user(ZONE, IMAP_PASSWORD)
    dovecot.add_user(OAUTH_USER, IMAP_TOKEN)  # XOAUTH2: the token is checked as the password
    dovecot.add_user(UNICODE_USER, UNICODE_PASSWORD)
    try:
        dovecot.start()
        with SmtpServer(
            "none", user=ZONE, password=SMTP_PASSWORD, oauth2_token=SMTP_TOKEN, auth_required=True
        ) as smtp:
            yield dovecot, smtp
    finally:
        dovecot.close()


@pytest.fixture
def world(
    servers: tuple[Dovecot, SmtpServer], tmp_path: Path, request: pytest.FixtureRequest
) -> World:
    dovecot, smtp = servers
    folder = "test-" + "".join(c if c.isalnum() else "-" for c in request.node.name)[-40:]
    return World(dovecot, smtp, tmp_path, folder, len(smtp.received), len(smtp.logins))


def events(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]


def at(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat()


def run_briefly(world: World, config: Path, env: dict[str, str], until: str) -> Service:
    """`anupalan run` until its first cycle is done and the event `until` was logged."""
    with service(config, env) as running:
        running.wait_for("cycle_done")
        if not any(e["event"] == until for e in running.events):
            running.wait_for(until)
        time.sleep(0.5)  # the IDLE connection logs in meanwhile
    world.seen.service("run", running)
    return running


# --------------------------------------------------------------------------- through the command


@pytest.mark.parametrize("imap_way", ["env", "file"])
def test_passwords_from_the_environment_or_a_file_never_show(world: World, imap_way: str) -> None:
    env = {"ZONE_IMAP_PASSWORD": IMAP_PASSWORD, "ZONE_SMTP_PASSWORD": SMTP_PASSWORD}
    imap_file = world.secret_file("imap-password", IMAP_PASSWORD)
    smtp_file = world.secret_file("smtp-password", SMTP_PASSWORD)
    config = world.config(
        "password: ${ZONE_IMAP_PASSWORD}" if imap_way == "env" else f"password_file: {imap_file}",
        f"password_file: {smtp_file}" if imap_way == "env" else "password: ${ZONE_SMTP_PASSWORD}",
        idle=True,
    )
    world.unit_sends()
    if imap_way == "file":
        checked = world.run("check-config", "--config", config, "check-config", env=env)
        assert checked.returncode == 0, checked.stderr
    once = world.run("once", "--config", config, "once", "--now", at(0), env=env)
    assert once.returncode == 0, once.stderr
    assert "1 accepted" in once.stdout and ", sent " in once.stdout
    assert world.smtp_logins and {user for _, user in world.smtp_logins} == {ZONE}
    status = world.run("status", "--config", config, "status", "--json", env=env)
    assert json.loads(status.stdout)["mailbox"]["error"] is None
    if imap_way == "file":
        world.run("status table", "--config", config, "status", env=env)
    else:  # the service too, its IDLE connection logging in alongside
        run_briefly(world, config, env, until="cycle_done")
    world.leaks_checked(ZONE)


def test_wrong_passwords_are_reported_plainly_and_never_shown(world: World) -> None:
    env = {"ZONE_IMAP_PASSWORD": WRONG_IMAP_PASSWORD}
    smtp_file = world.secret_file("smtp-password", WRONG_SMTP_PASSWORD)
    config = world.config(
        "password: ${ZONE_IMAP_PASSWORD}", f"password_file: {smtp_file}", idle=True
    )
    world.unit_sends()
    both = world.run("once, both wrong", "--config", config, "once", "--now", at(0), env=env)
    assert both.returncode == 1
    refused = f"login to 127.0.0.1 as {ZONE} was refused"
    assert refused in both.stderr
    logged = events(both)
    assert any(e["event"] == "poll_failed" and refused in e["error"] for e in logged)
    deliveries = [e for e in logged if e["event"] == "mail_delivery"]
    assert deliveries and all(
        e["outcome"] == "retry" and f"refused the login as {ZONE}" in e["error"] for e in deliveries
    )

    world.secret_file("smtp-password", SMTP_PASSWORD)  # the SMTP password put right
    imap_only = world.run("once, IMAP wrong", "--config", config, "once", "--now", at(5), env=env)
    assert imap_only.returncode == 1 and refused in imap_only.stderr
    digests = [email.message_from_bytes(r, policy=email.policy.default) for r in world.received]
    [digest] = [d for d in digests if str(d["Subject"]).startswith("Digest")]
    body = digest.get_body(("plain",))
    assert body is not None and refused in " ".join(body.get_content().split())  # type: ignore[attr-defined]
    status = world.run("status", "--config", config, "status", "--json", env=env)
    assert refused in json.loads(status.stdout)["mailbox"]["error"]

    running = run_briefly(world, config, env, until="imap_idle_reconnect")
    assert any(
        e["event"] == "imap_idle_reconnect" and refused in e["reason"] for e in running.events
    )
    world.leaks_checked(ZONE)


def test_oauth2_tokens_from_a_command_never_show(world: World) -> None:
    imap = world.token_command("imap-token", IMAP_TOKEN)
    smtp = world.token_command("smtp-token", SMTP_TOKEN)
    config = world.config(
        f"oauth2_token_command: {imap}", f"oauth2_token_command: {smtp}", OAUTH_USER, idle=True
    )
    world.unit_sends(OAUTH_USER)
    once = world.run("once", "--config", config, "once", "--now", at(0))
    assert once.returncode == 0, once.stderr
    assert "1 accepted" in once.stdout
    assert ("XOAUTH2", ZONE) in world.smtp_logins
    assert "method=XOAUTH2" in world.dovecot.log()
    run_briefly(world, config, {}, until="cycle_done")

    world.token_command("imap-token", WRONG_TOKEN)
    world.token_command("smtp-token", WRONG_TOKEN)
    next_day = at(24 * 60)  # the next digest is due
    wrong = world.run("once, wrong tokens", "--config", config, "once", "--now", next_day)
    assert wrong.returncode == 1
    assert f"login to 127.0.0.1 as {OAUTH_USER} was refused" in wrong.stderr
    assert any(
        e["event"] == "mail_delivery" and "refused the login" in e["error"] for e in events(wrong)
    )
    world.leaks_checked(OAUTH_USER)


def test_a_password_beyond_ascii_logs_in_and_never_shows(world: World) -> None:
    env = {"ZONE_IMAP_PASSWORD": UNICODE_PASSWORD, "ZONE_SMTP_PASSWORD": SMTP_PASSWORD}
    config = world.config(
        "password: ${ZONE_IMAP_PASSWORD}",
        "password: ${ZONE_SMTP_PASSWORD}",
        UNICODE_USER,
        folder="INBOX",
    )
    once = world.run("once", "--config", config, "once", "--now", at(0), env=env)
    assert once.returncode == 0, once.stderr  # the mailbox was read
    status = world.run("status", "--config", config, "status", "--json", env=env)
    assert json.loads(status.stdout)["mailbox"]["error"] is None
    world.leaks_checked()  # its Sent folder cannot be read here: the test helper logs in with LOGIN


# --------------------------------------------------------------------------- in the process


def test_the_adapters_keep_secrets_out_of_their_own_messages(world: World) -> None:
    """No second line of defence here: the logs are captured as the adapters wrote them."""
    imap_file = world.secret_file("imap-password", UNICODE_PASSWORD)
    config_path = world.config(f"password_file: {imap_file}", "password: ${ZONE_SMTP_PASSWORD}")
    world.unit_sends()
    for password, smtp_password, now in [
        (UNICODE_PASSWORD, WRONG_SMTP_PASSWORD, NOW),  # not the zone's: refused
        (WRONG_IMAP_PASSWORD, SMTP_PASSWORD, NOW + timedelta(minutes=5)),
    ]:
        imap_file.write_text(password, encoding="utf-8")
        config = load_config(config_path, env={"ZONE_SMTP_PASSWORD": smtp_password})
        app = build_app(config)
        try:
            with capture_logs() as logs:
                report = run_once(app, now)
            assert report.delivered
            status = campaign_status(config, app.store, config.campaign(), now)
            document = json.dumps(status_json(status, IST), ensure_ascii=False)
        finally:
            app.close()
        assert report.poll_error is not None and "was refused" in report.poll_error
        texts = [report.poll_error, *(d.error or "" for d in report.delivered), document]
        world.seen.blobs.extend(("adapter message", t.encode()) for t in texts)
        world.seen.blobs.extend(("captured event", repr(e).encode()) for e in logs)
        world.seen.log_lines += len(logs)
    world.leaks_checked(ZONE)


class EchoingSmtp(smtplib.SMTP):
    """A server that quotes the credentials it was given in its refusal."""

    def __init__(self) -> None:
        super().__init__()  # does not connect
        self.esmtp_features = {"auth": "PLAIN LOGIN XOAUTH2"}
        self.does_esmtp = True

    def ehlo_or_helo_if_needed(self) -> None:
        pass

    def login(self, user: str, password: str, *, initial_response_ok: bool = True) -> Any:
        raise smtplib.SMTPAuthenticationError(535, f"5.7.8 {user}/{password} rejected".encode())

    def auth(self, mechanism: str, authobject: Any, *, initial_response_ok: bool = True) -> Any:
        raise smtplib.SMTPAuthenticationError(535, f"5.7.8 {authobject()} rejected".encode())

    def quit(self) -> Any:
        return (221, b"Bye")


@pytest.mark.parametrize("way", ["password", "oauth2_token_command"])
def test_a_server_quoting_the_credentials_back_does_not_get_them_shown(
    way: str, tmp_path: Path
) -> None:
    script = tmp_path / "token"
    script.write_text(f"#!/bin/sh\necho {SMTP_TOKEN}\n", encoding="utf-8")
    script.chmod(0o700)
    login = {"password": SMTP_PASSWORD} if way == "password" else {way: str(script)}
    settings = SmtpOutgoing.model_validate(
        {"backend": "smtp", "from": f"Cell <{ZONE}>", "host": "smtp.example.gov.in"}
        | {"username": ZONE, **login}
    )
    mail = OutgoingMail(
        key="k",
        message_id="<k@example.gov.in>",
        sender=ZONE,
        recipients=(NORTH,),
        content=b"Subject: x\n\nx\n",
    )
    with pytest.raises(TransientSendError, match="refused the login") as refused:
        SmtpSender(settings, connect=EchoingSmtp).send(mail)
    assert "***" in str(refused.value)
    assert leaks([("error", str(refused.value).encode())]) == []


# --------------------------------------------------------------------------- the second line


@pytest.fixture
def fresh_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No secret registered; the logging configuration put back afterwards."""
    monkeypatch.setattr(logging_setup, "_secrets", set())
    before = structlog.get_config()
    try:
        yield
    finally:
        structlog.configure(**before)


@pytest.mark.usefixtures("fresh_logging")
def test_registered_secrets_are_masked_in_every_string_of_an_event(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logging_setup.configure_logging("json")  # to standard error, as the command does
    logging_setup.register_secrets([IMAP_PASSWORD, UNICODE_PASSWORD, "pw"])
    log = structlog.get_logger("test")
    log.error(
        f"login with {IMAP_PASSWORD} failed",
        error=f"server said: {UNICODE_PASSWORD}",
        nested={"tried": [IMAP_PASSWORD, 3], "path": Path("/x") / IMAP_PASSWORD},
    )
    try:
        raise ValueError(f"bad password {IMAP_PASSWORD}")
    except ValueError:
        log.exception("crashed")
    written = capsys.readouterr().err
    lines = [json.loads(line) for line in written.splitlines()]
    assert leaks([("log", written.encode())]) == []
    assert lines[0]["event"] == "login with *** failed"
    assert lines[0]["error"] == "server said: ***"
    assert lines[0]["nested"]["tried"] == ["***", 3]
    assert "***" in lines[0]["nested"]["path"]
    assert "ValueError: bad password ***" in lines[1]["exception"]
    assert "pw" in logging_setup.redact("pw: too short to be worth masking")


@pytest.mark.usefixtures("fresh_logging")
def test_the_command_registers_the_secrets_of_its_configuration(world: World) -> None:
    env = {"ZONE_SMTP_PASSWORD": SMTP_PASSWORD}
    imap_file = world.secret_file("imap-password", IMAP_PASSWORD)
    config = world.config(f"password_file: {imap_file}", "password: ${ZONE_SMTP_PASSWORD}")
    assert load_config(config, env=env).secret_values() == {IMAP_PASSWORD, SMTP_PASSWORD}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZONE_SMTP_PASSWORD", SMTP_PASSWORD)
        assert cli.main(["--config", str(config), "--log-format", "json", "check-config"]) == 0
    said = f"{IMAP_PASSWORD} and {SMTP_PASSWORD}"
    assert logging_setup.redact(said) == "*** and ***"
