"""The SMTP sender against a real SMTP server (aiosmtpd on loopback): what arrives, and how.

TLS uses a throw-away CA made for each server; the OAuth2 login is also checked
through the connection seam with a recording stand-in for smtplib.SMTP.
"""

from __future__ import annotations

import email
import email.policy
import shlex
import smtplib
import socket
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import structlog
from smtp_server import PASSWORD, USER, SmtpServer, free_port

from daemon.adapters.sender_smtp import SmtpSender, wire_form
from daemon.adapters.store_sql import MailRecord, SqlStore
from daemon.config import SmtpOutgoing
from daemon.errors import PermanentSendError, TransientSendError
from daemon.ports import OutgoingMail
from daemon.services.outbox import deliver_due

SENDER = "compliance-cell@example.gov.in"
UNIT = "ccu-chennai-north@example.gov.in"
OTHER = "ccu-coimbatore@example.gov.in"
NOW = datetime(2023, 4, 21, 10, 0, tzinfo=UTC)


def rendered(message_id: str = "<ack.chennai-north.1@example.gov.in>", to: str = UNIT) -> bytes:
    """A mail as the outbox stores it: Python's email package, LF line ends."""
    msg = EmailMessage()
    msg["From"] = f"Compliance Cell <{SENDER}>"
    msg["To"] = to
    msg["Subject"] = "Received: Chennai North report"
    msg["Message-ID"] = message_id
    # A line starting with a dot must survive SMTP's dot-stuffing.
    msg.set_content("Your report was received.\n.\nRecorded: 4 officer(s).\n")
    return msg.as_bytes()


def outgoing(content: bytes | None = None, *recipients: str) -> OutgoingMail:
    return OutgoingMail(
        key="ack:chennai-north:1",
        message_id="<ack.chennai-north.1@example.gov.in>",
        sender=SENDER,
        recipients=recipients or (UNIT,),
        content=content if content is not None else rendered(),
    )


def test_a_mail_arrives_with_its_envelope_and_bytes(smtp_server: SmtpServer) -> None:
    content = rendered()
    SmtpSender(smtp_server.settings()).send(outgoing(content))

    [received] = smtp_server.received
    assert received.mail_from == SENDER
    assert received.rcpt_tos == (UNIT,)
    # Only the line ends change on the wire (SMTP requires CRLF); every byte else is kept.
    assert received.content == content.replace(b"\n", b"\r\n")
    parsed = email.message_from_bytes(received.content, policy=email.policy.default)
    assert parsed["Message-ID"] == "<ack.chennai-north.1@example.gov.in>"
    assert "\n.\n" in parsed.get_content().replace("\r\n", "\n")


def test_a_mail_already_in_crlf_arrives_byte_for_byte(smtp_server: SmtpServer) -> None:
    content = wire_form(rendered())
    SmtpSender(smtp_server.settings()).send(outgoing(content))
    assert smtp_server.received[0].content == content


def test_starttls_verifies_the_server_with_the_configured_ca_and_logs_in(
    smtp_tls_server: SmtpServer,
) -> None:
    SmtpSender(smtp_tls_server.settings()).send(outgoing())

    [received] = smtp_tls_server.received
    assert received.tls and received.login == USER
    assert smtp_tls_server.logins == [("PLAIN", USER)]


def test_a_certificate_the_system_does_not_trust_is_refused(smtp_tls_server: SmtpServer) -> None:
    sender = SmtpSender(smtp_tls_server.settings(tls_ca=None))
    with pytest.raises(TransientSendError, match="certificate") as caught:
        sender.send(outgoing())
    assert f"127.0.0.1:{smtp_tls_server.port}" in str(caught.value)
    assert smtp_tls_server.received == [] and smtp_tls_server.logins == []


def test_tls_from_the_first_byte() -> None:
    with SmtpServer("tls", user=USER, password=PASSWORD) as server:
        SmtpSender(server.settings()).send(outgoing())
        [received] = server.received
        assert received.tls and received.login == USER


def test_a_login_over_plain_loopback_to_a_local_relay() -> None:
    with SmtpServer("none", user=USER, password=PASSWORD) as server:
        SmtpSender(server.settings()).send(outgoing())
        assert server.received[0].login == USER


def test_a_wrong_password_is_a_refused_login_retried_later(smtp_tls_server: SmtpServer) -> None:
    wrong = "not-the-Pa55word"
    sender = SmtpSender(smtp_tls_server.settings(password=wrong))
    with pytest.raises(TransientSendError, match="refused the login") as caught:
        sender.send(outgoing())
    message = str(caught.value)
    assert "535" in message and f"127.0.0.1:{smtp_tls_server.port}" in message
    assert wrong not in message and PASSWORD not in message
    assert smtp_tls_server.received == []


def test_no_login_where_the_server_wants_one_is_retried_later(
    smtp_tls_server: SmtpServer,
) -> None:
    sender = SmtpSender(smtp_tls_server.settings(username=None, password=None))
    with pytest.raises(TransientSendError, match="wants a login"):
        sender.send(outgoing())


def test_a_server_without_starttls_gets_nothing_in_the_clear(smtp_server: SmtpServer) -> None:
    settings = smtp_server.settings(security="starttls", username=USER, password=PASSWORD)
    with pytest.raises(TransientSendError, match="does not offer STARTTLS") as caught:
        SmtpSender(settings).send(outgoing())
    assert PASSWORD not in str(caught.value)
    assert smtp_server.mail_commands == [] and smtp_server.received == []
    assert smtp_server.logins == []


def test_a_server_that_offers_starttls_and_then_refuses_it_gets_nothing_in_the_clear() -> None:
    with SmtpServer("none", broken_starttls=True) as server:
        settings = server.settings(security="starttls", tls_ca=None)
        with pytest.raises(TransientSendError, match="refused it") as caught:
            SmtpSender(settings).send(outgoing())
        assert f"127.0.0.1:{server.port}" in str(caught.value)
        assert server.mail_commands == [] and server.received == []


def test_a_server_that_does_not_answer_is_tried_again_later() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections are queued, never greeted
        settings = SmtpOutgoing.model_validate(
            {"backend": "smtp", "from": SENDER, "host": "127.0.0.1"}
            | {"port": silent.getsockname()[1], "security": "none", "timeout": 0.5}
        )
        with pytest.raises(TransientSendError, match=r"did not answer within 0\.5 s"):
            SmtpSender(settings).send(outgoing())


def test_a_busy_server_gets_the_mail_at_the_outbox_next_attempt(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    store = SqlStore.open_sqlite(tmp_path / "anupalan.db")
    content = rendered()
    record = MailRecord(
        key="ack:chennai-north:1",
        campaign_id="emerging-tech-l1",
        kind="ack",
        unit_id="chennai-north",
        step=None,
        message_id="<ack.chennai-north.1@example.gov.in>",
        state="planned",
        planned_at=NOW,
        sent_at=None,
        attempts=0,
        last_error=None,
        sender=SENDER,
        recipients=(UNIT,),
    )
    assert store.plan_mail(record, content)
    smtp_server.fail_next(451, "4.3.0 try again later")
    sender = SmtpSender(smtp_server.settings())

    [first] = deliver_due(store, sender, NOW)
    [mail] = store.mails()
    assert first.outcome == "retry" and mail.state == "planned" and mail.attempts == 1
    assert mail.last_error is not None and "451 4.3.0 try again later" in mail.last_error
    assert smtp_server.received == []
    assert deliver_due(store, sender, NOW + timedelta(seconds=30)) == []  # backing off

    [second] = deliver_due(store, sender, NOW + timedelta(minutes=1))
    [mail] = store.mails()
    assert second.outcome == "sent" and mail.state == "sent"
    [received] = smtp_server.received
    assert received.content == wire_form(content)
    store.close()


def test_a_refused_only_recipient_fails_the_mail_for_good(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_recipient(UNIT, 550, "5.1.1 no such mailbox")
    with pytest.raises(PermanentSendError) as caught:
        SmtpSender(smtp_server.settings()).send(outgoing())
    assert f"{UNIT} (550 5.1.1 no such mailbox)" in str(caught.value)
    assert f"127.0.0.1:{smtp_server.port}" in str(caught.value)
    assert smtp_server.received == []


def test_recipients_turned_away_for_now_are_tried_again(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_recipient(UNIT, 450, "4.2.0 greylisted, come back later")
    with pytest.raises(TransientSendError, match=r"450 4\.2\.0 greylisted"):
        SmtpSender(smtp_server.settings()).send(outgoing())


@pytest.mark.parametrize(
    ("at", "code", "error"),
    [
        ("DATA", 554, PermanentSendError),
        ("DATA", 452, TransientSendError),
        ("MAIL", 553, PermanentSendError),
        ("MAIL", 421, TransientSendError),
    ],
)
def test_a_refused_message_or_sender_by_reply_code(
    smtp_server: SmtpServer, at: Any, code: int, error: type[Exception]
) -> None:
    smtp_server.fail_next(code, "x.y.z the server says no", at=at)
    with pytest.raises(error, match=f"{code} x.y.z the server says no"):
        SmtpSender(smtp_server.settings()).send(outgoing())
    assert smtp_server.received == []


def test_one_refused_recipient_does_not_hold_back_the_others(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_recipient(OTHER, 550)
    with structlog.testing.capture_logs() as logs:
        SmtpSender(smtp_server.settings()).send(outgoing(None, OTHER, UNIT))

    [received] = smtp_server.received
    assert received.rcpt_tos == (UNIT,)
    [warning] = [e for e in logs if e["event"] == "smtp_recipients_refused"]
    assert warning["log_level"] == "warning"
    assert list(warning["refused"]) == [OTHER] and warning["delivered"] == [UNIT]


def test_a_server_that_is_down_is_tried_again_later() -> None:
    settings = SmtpOutgoing.model_validate(
        {"backend": "smtp", "from": SENDER, "host": "127.0.0.1", "port": free_port()}
        | {"security": "none", "timeout": 5}
    )
    with pytest.raises(TransientSendError, match=r"cannot reach 127\.0\.0\.1:\d+"):
        SmtpSender(settings).send(outgoing())


def test_a_copy_goes_to_sent_after_the_mail_went_out(smtp_server: SmtpServer) -> None:
    copies: list[bytes] = []
    content = rendered()
    SmtpSender(smtp_server.settings(), copy_to_sent=copies.append).send(outgoing(content))
    assert copies == [content] and len(smtp_server.received) == 1


def test_a_failing_copy_to_sent_does_not_fail_the_mail(smtp_server: SmtpServer) -> None:
    def broken(content: bytes) -> None:
        raise OSError("IMAP server unreachable")

    with structlog.testing.capture_logs() as logs:
        SmtpSender(smtp_server.settings(), copy_to_sent=broken).send(outgoing())
    assert len(smtp_server.received) == 1
    [warning] = [e for e in logs if e["event"] == "smtp_copy_to_sent_failed"]
    assert warning["error"] == "IMAP server unreachable"


def test_no_copy_to_sent_when_the_mail_did_not_go(smtp_server: SmtpServer) -> None:
    copies: list[bytes] = []
    smtp_server.fail_next(451, "4.3.0 busy")
    with pytest.raises(TransientSendError):
        SmtpSender(smtp_server.settings(), copy_to_sent=copies.append).send(outgoing())
    assert copies == []


# -- OAuth2 (XOAUTH2) ----------------------------------------------------------------


def test_an_oauth2_token_file_logs_in_with_xoauth2_read_again_at_every_login(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("ya29.first-token\n", encoding="utf-8")
    with SmtpServer("tls", user=USER, oauth2_token="ya29.first-token") as server:
        settings = server.settings(username=USER, oauth2_token_path=token_file)
        sender = SmtpSender(settings)
        sender.send(outgoing())
        assert server.logins == [("XOAUTH2", USER)] and server.received[0].login == USER

        token_file.write_text("ya29.expired-token\n", encoding="utf-8")
        with pytest.raises(TransientSendError, match="refused the login") as caught:
            sender.send(outgoing())
        assert "ya29" not in str(caught.value)


class RecordingSmtp(smtplib.SMTP):
    """Stands in for a connected smtplib.SMTP: records the calls, speaks to no one."""

    def __init__(self) -> None:
        super().__init__()  # no host: does not connect
        self.calls: list[tuple[str, Any]] = []
        self.esmtp_features = {"auth": "PLAIN LOGIN XOAUTH2"}
        self.does_esmtp = True

    def ehlo_or_helo_if_needed(self) -> None:
        self.calls.append(("ehlo_or_helo_if_needed", None))

    def auth(self, mechanism: str, authobject: Any, *, initial_response_ok: bool = True) -> Any:
        self.calls.append(("auth", (mechanism, authobject(), authobject(b'{"status":"401"}'))))
        return (235, b"2.7.0 Accepted")

    def sendmail(self, from_addr: str, to_addrs: Any, msg: Any, *args: Any, **kw: Any) -> Any:
        self.calls.append(("sendmail", (from_addr, list(to_addrs), msg)))
        return {}

    def quit(self) -> Any:
        self.calls.append(("quit", None))
        return (221, b"Bye")


def test_an_oauth2_token_command_runs_at_login_and_gives_the_xoauth2_string(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "ran"
    script = "import pathlib, sys; pathlib.Path(sys.argv[1]).touch(); print('  ya29.fresh  ')"
    command = shlex.join([sys.executable, "-c", script, str(marker)])
    settings = SmtpOutgoing.model_validate(
        {"backend": "smtp", "from": SENDER, "host": "smtp.office365.com", "username": USER}
        | {"oauth2_token_command": command}
    )
    smtp = RecordingSmtp()
    SmtpSender(settings, connect=lambda: smtp).send(outgoing())

    assert marker.exists()
    [auth] = [args for name, args in smtp.calls if name == "auth"]
    assert auth == ("XOAUTH2", f"user={USER}\x01auth=Bearer ya29.fresh\x01\x01", "")
    assert [name for name, _ in smtp.calls][-2:] == ["sendmail", "quit"]


def test_a_failing_token_command_is_retried_later_and_nothing_is_sent(tmp_path: Path) -> None:
    command = shlex.join([sys.executable, "-c", "import sys; sys.exit('token expired')"])
    settings = SmtpOutgoing.model_validate(
        {"backend": "smtp", "from": SENDER, "host": "smtp.gmail.com", "username": USER}
        | {"oauth2_token_command": command}
    )
    smtp = RecordingSmtp()
    with pytest.raises(TransientSendError, match="exit status 1: token expired"):
        SmtpSender(settings, connect=lambda: smtp).send(outgoing())
    assert [name for name, _ in smtp.calls] == ["quit"]


# -- how other failures are classified (through the connection seam) -----------------


class FailingSmtp(RecordingSmtp):
    """Raises `error` where the mail is handed over."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def sendmail(self, from_addr: str, to_addrs: Any, msg: Any, *args: Any, **kw: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "expected", "words"),
    [
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), TransientSendError,
         "closed the connection"),
        (smtplib.SMTPDataError(451, b"4.7.1 rate limited"), TransientSendError, "451 4.7.1"),
        (smtplib.SMTPDataError(552, b"5.3.4 message too big"), PermanentSendError, "552 5.3.4"),
        (smtplib.SMTPSenderRefused(530, b"5.7.0 Authentication required", SENDER),
         TransientSendError, "refused the login"),
        (smtplib.SMTPAuthenticationError(534, b"5.7.9 app password required"),
         TransientSendError, "refused the login"),
        (TimeoutError("timed out"), TransientSendError, "did not answer within 60 s"),
        (ConnectionResetError(104, "Connection reset by peer"), TransientSendError,
         "Connection reset by peer"),
    ],
)  # fmt: skip
def test_each_failure_is_classified_and_names_the_server(
    error: Exception, expected: type[Exception], words: str
) -> None:
    settings = SmtpOutgoing.model_validate(
        {"backend": "smtp", "from": SENDER, "host": "smtp.example.gov.in", "username": USER}
        | {"password": PASSWORD}
    )
    with pytest.raises(expected) as caught:
        SmtpSender(settings, connect=lambda: FailingSmtp(error)).send(outgoing())
    message = str(caught.value)
    assert words in message and "smtp.example.gov.in:587" in message and PASSWORD not in message
