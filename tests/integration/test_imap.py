"""The IMAP adapter against a real Dovecot on loopback (see tests/servers.py).

Only OAuth2 is tested through the `connect` seam with a recording client: the
throw-away Dovecot has no OAuth2 token service to check tokens against.
"""

from __future__ import annotations

import email
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from imapclient import IMAPClient
from structlog.testing import capture_logs

from daemon.adapters.mailbox_imap import (
    ImapIdleWatcher,
    ImapMailSource,
    ImapSentFolder,
    connect_imap,
)
from daemon.config import ImapMailbox
from daemon.errors import MailboxError, MailboxLoginError
from daemon.ports import IncomingMessage
from daemon.testing import reply_message

if TYPE_CHECKING:
    from servers import Dovecot


IST = ZoneInfo("Asia/Kolkata")
USER, PASSWORD = "unit-inbox", "imap-secret-1"
CAMPAIGN_START = date(2023, 4, 1)
WAIT = 10.0  # the longest any test waits for the server or a thread


def received(day: int, month: int = 4) -> datetime:
    """When the server received a message (its INTERNALDATE), in 2023."""
    return datetime(2023, month, day, 11, 0, tzinfo=IST)


def report(n: int) -> bytes:
    """A unit's reply with a Message-ID of its own, with CRLF line ends as on the wire."""
    raw = reply_message(
        f"ccu-{n}@units.example.gov.in",
        f"Report {n} reg Level-1 Course on Emerging Technologies",
        message_id=f"<report-{n}@units.example.gov.in>",
    )
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw)["Message-ID"])


def ids(messages: list[IncomingMessage]) -> list[str]:
    return [message_id(m.raw) for m in messages]


def settings(server: Dovecot, **overrides: Any) -> ImapMailbox:
    values: dict[str, Any] = {
        "backend": "imap",
        "host": server.host,
        "port": server.imap_port,
        "security": "none",
        "username": USER,
        "password": PASSWORD,
        "timeout": 5,
    }
    values.update(overrides)
    return ImapMailbox.model_validate(values)


class State:
    """The SyncState port over a dict."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value


class Call(NamedTuple):
    """One method called on a client."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class Recording:
    """A real IMAPClient that notes every method called on it (the IMAP commands sent).

    `hide` takes capabilities away, to drive the adapter down the paths for servers
    that lack them. `has_capability` and `socket` send nothing and are not noted.
    """

    def __init__(self, client: IMAPClient, calls: list[Call], hide: tuple[str, ...]) -> None:
        self._client = client
        self._calls = calls
        self._hide = hide

    def has_capability(self, name: str) -> bool:
        return name.upper() not in self._hide and bool(self._client.has_capability(name))

    def socket(self) -> Any:
        return self._client.socket()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append(Call(name, args, kwargs))
            return attribute(*args, **kwargs)

        return call


class Recorder:
    """The `connect` seam: real connections, wrapped in `Recording`."""

    def __init__(self, mailbox: ImapMailbox, hide: tuple[str, ...] = ()) -> None:
        self.mailbox = mailbox
        self.hide = hide
        self.calls: list[Call] = []
        self.clients: list[Recording] = []

    def __call__(self) -> Any:
        client = Recording(connect_imap(self.mailbox), self.calls, self.hide)
        self.clients.append(client)
        return client

    def names(self) -> list[str]:
        return [call.name for call in self.calls]

    def take(self) -> list[str]:
        names = self.names()
        self.calls.clear()
        return names


def poll(
    source: ImapMailSource, state: State, seen: set[str] | None = None
) -> list[IncomingMessage]:
    """One poll as ingest does it: read what is new, mark each stored, let go."""
    seen = set() if seen is None else seen
    try:
        messages = list(source.new_messages(seen, state))
        for message in messages:
            seen.add(message.item)
            source.processed(message.item)
    finally:
        source.close()
    return messages


# --------------------------------------------------------------------------- first run


def test_first_run_reads_from_the_campaign_start_and_then_only_what_is_new(
    dovecot: Dovecot,
) -> None:
    dovecot.append(USER, "INBOX", report(1), when=received(20, month=3))
    dovecot.append(USER, "INBOX", report(2), when=received(5))
    dovecot.append(USER, "INBOX", report(3), when=received(31, month=3))
    dovecot.append(USER, "INBOX", report(4), when=received(10))
    source, state, seen = ImapMailSource(settings(dovecot), CAMPAIGN_START), State(), set[str]()

    first = poll(source, state, seen)

    assert ids(first) == ["<report-2@units.example.gov.in>", "<report-4@units.example.gov.in>"]
    assert first[0].raw == report(2)  # the bytes as the unit sent them
    uidvalidity = dovecot.uidvalidity(USER, "INBOX")
    assert [m.item for m in first] == [f"{uidvalidity}:2", f"{uidvalidity}:4"]
    assert state.values == {"since": "2023-04-01", "min_uid": "2", "uidvalidity": str(uidvalidity)}

    dovecot.append(USER, "INBOX", report(5), when=received(21))
    dovecot.append(USER, "INBOX", report(6), when=received(1, month=2))  # an old one, filed late
    assert ids(poll(source, state, seen)) == ["<report-5@units.example.gov.in>"]
    assert poll(source, state, seen) == []


def test_first_run_without_a_campaign_start_reads_everything(dovecot: Dovecot) -> None:
    dovecot.append(USER, "INBOX", report(1), when=received(1, month=1))
    dovecot.append(USER, "INBOX", report(2), when=received(5))
    assert len(poll(ImapMailSource(settings(dovecot), None), State())) == 2


def test_first_run_all_reads_everything(dovecot: Dovecot) -> None:
    dovecot.append(USER, "INBOX", report(1), when=received(1, month=1))
    dovecot.append(USER, "INBOX", report(2), when=received(5))
    source = ImapMailSource(settings(dovecot, first_run="all"), CAMPAIGN_START)
    state = State()
    assert ids(poll(source, state)) == [
        "<report-1@units.example.gov.in>",
        "<report-2@units.example.gov.in>",
    ]
    assert "since" not in state.values and state.values["min_uid"] == "1"


def test_first_run_new_only_skips_what_the_mailbox_already_holds(dovecot: Dovecot) -> None:
    dovecot.append(USER, "INBOX", report(1))
    dovecot.append(USER, "INBOX", report(2))
    source, state, seen = (
        ImapMailSource(settings(dovecot, first_run="new_only"), CAMPAIGN_START),
        State(),
        set[str](),
    )
    assert poll(source, state, seen) == []
    assert state.values["min_uid"] == "3"
    assert poll(source, state, seen) == []  # "UID 3:*" also matches UID 2, the last one

    dovecot.append(USER, "INBOX", report(3))
    assert ids(poll(source, state, seen)) == ["<report-3@units.example.gov.in>"]


# --------------------------------------------------------------------------- cost of a poll


def test_a_poll_costs_the_same_few_commands_however_full_the_folder(dovecot: Dovecot) -> None:
    for n in range(3):
        dovecot.append(USER, "INBOX", report(n), when=received(10))
    mailbox = settings(dovecot)
    recorder = Recorder(mailbox)
    source, state, seen = ImapMailSource(mailbox, CAMPAIGN_START, recorder), State(), set[str]()
    assert len(poll(source, state, seen)) == 3
    recorder.take()

    assert poll(source, state, seen) == []
    quiet = recorder.take()
    assert quiet == ["login", "select_folder", "search", "logout"]

    for n in range(3, 13):
        dovecot.append(USER, "INBOX", report(n), when=received(11))
    assert len(poll(source, state, seen)) == 10
    recorder.take()
    assert poll(source, state, seen) == []
    assert recorder.take() == quiet


def test_reading_fetches_in_bounded_batches_and_marks_nothing_read(dovecot: Dovecot) -> None:
    for n in range(5):
        dovecot.append(USER, "INBOX", report(n), when=received(10))
    mailbox = settings(dovecot, batch_size=2)
    recorder = Recorder(mailbox)
    messages = poll(ImapMailSource(mailbox, CAMPAIGN_START, recorder), State())

    assert len(messages) == 5
    fetches = [call.args for call in recorder.calls if call.name == "fetch"]
    assert fetches == [([1, 2], ["BODY.PEEK[]"]), ([3, 4], ["BODY.PEEK[]"]), ([5], ["BODY.PEEK[]"])]
    assert recorder.calls[1] == Call("select_folder", ("INBOX",), {"readonly": True})
    assert all("\\Seen" not in flags for flags in dovecot.flags(USER, "INBOX"))


def test_messages_are_yielded_one_by_one_as_they_are_read(dovecot: Dovecot) -> None:
    for n in range(3):
        dovecot.append(USER, "INBOX", report(n), when=received(10))
    mailbox = settings(dovecot, batch_size=1)
    recorder = Recorder(mailbox)
    source = ImapMailSource(mailbox, CAMPAIGN_START, recorder)
    reading = source.new_messages(set(), State())
    next(reading)
    assert recorder.names().count("fetch") == 1  # the rest waits until asked for
    source.close()


# --------------------------------------------------------------------------- after ingest


def test_after_ingest_flag_flags_each_stored_message(dovecot: Dovecot) -> None:
    for n in range(2):
        dovecot.append(USER, "INBOX", report(n), when=received(10))
    source = ImapMailSource(settings(dovecot, after_ingest="flag"), CAMPAIGN_START)
    assert len(poll(source, State())) == 2
    flags = dovecot.flags(USER, "INBOX")
    assert len(flags) == 2
    assert all("\\Flagged" in each and "\\Seen" not in each for each in flags)


@pytest.mark.parametrize("hide", [(), ("MOVE",)], ids=["MOVE", "COPY+EXPUNGE"])
def test_after_ingest_move_moves_only_the_stored_message(
    dovecot: Dovecot, hide: tuple[str, ...]
) -> None:
    for n in range(3):
        dovecot.append(USER, "INBOX", report(n), when=received(10))
    mailbox = settings(dovecot, after_ingest="move", processed_folder="Processed/anupalan")
    recorder = Recorder(mailbox, hide)
    source = ImapMailSource(mailbox, CAMPAIGN_START, recorder)
    messages = list(source.new_messages(set(), State()))
    source.processed(messages[0].item)  # stored
    source.processed(messages[2].item)  # stored; the one between failed to store
    source.close()

    moved = [message_id(raw) for raw in dovecot.messages(USER, "Processed/anupalan")]
    kept = [message_id(raw) for raw in dovecot.messages(USER, "INBOX")]
    assert moved == ["<report-0@units.example.gov.in>", "<report-2@units.example.gov.in>"]
    assert kept == ["<report-1@units.example.gov.in>"]
    commands = recorder.names()
    assert commands.count("create_folder") == 1
    if hide:
        assert "move" not in commands and commands.count("uid_expunge") == 2
        assert Call("uid_expunge", ([3],), {}) in recorder.calls  # that one message only
    else:
        assert commands.count("move") == 2


# --------------------------------------------------------------------------- UIDVALIDITY


def test_a_new_uidvalidity_reads_the_folder_again_from_the_same_start(dovecot: Dovecot) -> None:
    dovecot.append(USER, "INBOX", report(1), when=received(20, month=3))
    dovecot.append(USER, "INBOX", report(2), when=received(5))
    dovecot.append(USER, "INBOX", report(3), when=received(6))
    source, state, seen = (
        ImapMailSource(settings(dovecot, after_ingest="flag"), CAMPAIGN_START),
        State(),
        set[str](),
    )
    before = list(source.new_messages(seen, state))  # read, not yet stored
    source.close()
    old = dovecot.uidvalidity(USER, "INBOX")

    dovecot.reset_uidvalidity(USER, "INBOX")
    new = dovecot.uidvalidity(USER, "INBOX")
    with capture_logs() as logs:
        messages = list(source.new_messages(seen, state))
        source.processed(before[0].item)  # an item of the old numbering: left alone
        source.close()

    # The same messages under new item ids: ingest keeps each once, by its Message-ID.
    assert (
        ids(messages)
        == ids(before)
        == [
            "<report-2@units.example.gov.in>",
            "<report-3@units.example.gov.in>",
        ]
    )
    assert {m.item.split(":")[0] for m in before} == {str(old)}
    assert {m.item.split(":")[0] for m in messages} == {str(new)}
    assert state.values["uidvalidity"] == str(new) and state.values["since"] == "2023-04-01"
    assert any(e["event"] == "imap_uidvalidity_changed" for e in logs)
    assert all("\\Flagged" not in flags for flags in dovecot.flags(USER, "INBOX"))

    seen.update(m.item for m in messages)
    assert poll(source, state, seen) == []
    source.processed(messages[0].item)
    source.close()
    assert ["\\Flagged" in flags for flags in dovecot.flags(USER, "INBOX")] == [
        False,
        True,
        False,
    ]


# --------------------------------------------------------------------------- login and TLS


def test_a_wrong_password_is_a_login_error_that_does_not_show_it(dovecot: Dovecot) -> None:
    wrong = "not-the-password-42"
    source = ImapMailSource(settings(dovecot, password=wrong), CAMPAIGN_START)
    with capture_logs() as logs, pytest.raises(MailboxLoginError) as raised:
        list(source.new_messages(set(), State()))
    message = str(raised.value)
    assert f"login to {dovecot.host} as {USER} was refused" in message
    assert wrong not in message and wrong not in repr(logs)
    assert wrong not in dovecot.log()


def test_tls_verifies_the_server_with_the_configured_ca(dovecot: Dovecot) -> None:
    dovecot.append(USER, "INBOX", report(1), when=received(10))
    for host in ("127.0.0.1", "localhost"):
        mailbox = settings(
            dovecot,
            host=host,
            security="tls",
            port=dovecot.imaps_port,
            tls_ca=str(dovecot.ca_file),
        )
        assert len(poll(ImapMailSource(mailbox, CAMPAIGN_START), State())) == 1


def test_tls_refuses_a_server_it_cannot_verify(dovecot: Dovecot) -> None:
    mailbox = settings(dovecot, security="tls", port=dovecot.imaps_port)
    with pytest.raises(MailboxError) as raised:
        list(ImapMailSource(mailbox, CAMPAIGN_START).new_messages(set(), State()))
    assert not isinstance(raised.value, MailboxLoginError)
    assert f"certificate of the IMAP server {dovecot.host}:{dovecot.imaps_port}" in str(
        raised.value
    )
    assert "tls_ca" in str(raised.value)


def test_starttls_upgrades_before_logging_in(dovecot: Dovecot) -> None:
    dovecot.append(USER, "INBOX", report(1), when=received(10))
    mailbox = settings(dovecot, security="starttls", tls_ca=str(dovecot.ca_file))
    recorder = Recorder(mailbox)
    source = ImapMailSource(mailbox, CAMPAIGN_START, recorder)
    messages = list(source.new_messages(set(), State()))
    assert isinstance(recorder.clients[0].socket(), ssl.SSLSocket)
    source.close()
    assert len(messages) == 1
    logins = [line for line in dovecot.log().splitlines() if "Login: user=<unit-inbox>" in line]
    assert ", TLS," in logins[-1]


def test_starttls_without_the_ca_fails_before_the_password_is_sent(dovecot: Dovecot) -> None:
    source = ImapMailSource(settings(dovecot, security="starttls"), CAMPAIGN_START)
    with pytest.raises(MailboxError, match="could not be verified"):
        list(source.new_messages(set(), State()))
    assert "user=<unit-inbox>" not in dovecot.log()


def test_a_server_that_never_answers_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never speaks
        port = silent.getsockname()[1]
        mailbox = ImapMailbox.model_validate(
            {"backend": "imap", "host": "127.0.0.1", "port": port, "security": "none"}
            | {"username": USER, "password": PASSWORD, "timeout": 0.5}
        )
        began = time.monotonic()
        with pytest.raises(MailboxError, match=r"did not answer within 0\.5 s"):
            list(ImapMailSource(mailbox, None).new_messages(set(), State()))
        assert time.monotonic() - began < 3


# --------------------------------------------------------------------------- failures


def test_a_server_restarted_mid_fetch_loses_nothing(dovecot: Dovecot) -> None:
    for n in range(3):
        dovecot.append(USER, "INBOX", report(n), when=received(10))
    source, state, seen = (
        ImapMailSource(settings(dovecot, batch_size=1), CAMPAIGN_START),
        State(),
        set[str](),
    )
    reading = source.new_messages(seen, state)
    first = next(reading)
    seen.add(first.item)  # stored

    dovecot.stop()
    with pytest.raises(MailboxError) as raised:
        next(reading)
    assert f"{dovecot.host}:{dovecot.imap_port}" in str(raised.value)
    with pytest.raises(MailboxError, match="connection refused"):
        list(source.new_messages(seen, state))

    dovecot.start()
    rest = poll(source, state, seen)
    assert ids([first, *rest]) == [f"<report-{n}@units.example.gov.in>" for n in range(3)]


def test_a_connection_kept_from_before_that_has_died_is_replaced(dovecot: Dovecot) -> None:
    dovecot.append(USER, "INBOX", report(1), when=received(10))
    source, state = ImapMailSource(settings(dovecot), CAMPAIGN_START), State()
    assert len(list(source.new_messages(set(), state))) == 1  # connection left open
    dovecot.kick(USER)
    dovecot.append(USER, "INBOX", report(2), when=received(11))
    with capture_logs() as logs:
        assert ids(poll(source, state, {f"{state.values['uidvalidity']}:1"})) == [
            "<report-2@units.example.gov.in>"
        ]
    assert [e["event"] for e in logs if e["log_level"] != "debug"] == ["imap_reconnect"]


# --------------------------------------------------------------------------- IDLE


class Watch:
    """An ImapIdleWatcher running in a thread, counting its calls of on_mail."""

    def __init__(self, mailbox: ImapMailbox, recorder: Recorder | None = None) -> None:
        self.recorder = recorder or Recorder(mailbox)
        self.watcher = ImapIdleWatcher(mailbox, self.recorder)
        self.stop = threading.Event()
        self.mail = threading.Semaphore(0)
        self.thread = threading.Thread(target=self.watcher.watch, args=(self.stop, self.on_mail))

    def on_mail(self) -> None:
        self.mail.release()

    def __enter__(self) -> Watch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(WAIT)

    def idles(self) -> int:
        return self.recorder.names().count("idle")

    def wait_for(self, condition: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return False


def test_idle_tells_of_new_mail_within_seconds(dovecot: Dovecot) -> None:
    with Watch(settings(dovecot)) as watch:
        assert watch.wait_for(lambda: watch.idles() == 1)
        began = time.monotonic()
        dovecot.append(USER, "INBOX", report(1))
        assert watch.mail.acquire(timeout=WAIT)
        assert time.monotonic() - began < 5


def test_idle_stops_within_seconds_of_being_asked(dovecot: Dovecot) -> None:
    watch = Watch(settings(dovecot)).__enter__()
    assert watch.wait_for(lambda: watch.idles() == 1)
    began = time.monotonic()
    watch.stop.set()
    watch.thread.join(WAIT)
    assert not watch.thread.is_alive()
    assert time.monotonic() - began < 3
    assert watch.recorder.names()[-2:] == ["idle_done", "logout"]


def test_idle_reconnects_when_dropped_and_catches_up(dovecot: Dovecot) -> None:
    with capture_logs() as logs, Watch(settings(dovecot)) as watch:
        assert watch.wait_for(lambda: watch.idles() == 1)
        dovecot.kick(USER)
        assert watch.mail.acquire(timeout=WAIT)  # on_mail after reconnecting, to catch up
        assert watch.wait_for(lambda: watch.idles() == 2)
        dovecot.append(USER, "INBOX", report(1))
        assert watch.mail.acquire(timeout=WAIT)  # and IDLE works again
    [reconnect] = [e for e in logs if e["event"] == "imap_idle_reconnect"]
    assert f"{dovecot.host}:{dovecot.imap_port}" in reconnect["reason"]
    assert reconnect["retry_in"] == 1.0
    assert PASSWORD not in repr(logs)


def test_idle_notices_a_connection_closed_without_a_word(dovecot: Dovecot) -> None:
    with capture_logs() as logs, Watch(settings(dovecot)) as watch:
        assert watch.wait_for(lambda: watch.idles() == 1)
        watch.recorder.clients[0].socket().shutdown(socket.SHUT_RDWR)  # no BYE comes
        assert watch.mail.acquire(timeout=WAIT)
        assert watch.wait_for(lambda: watch.idles() == 2)
    assert [e["event"] for e in logs].count("imap_idle_reconnect") == 1


def test_idle_is_renewed_before_servers_give_up_on_it(dovecot: Dovecot) -> None:
    # The configuration allows no less than 30 s; a copy skips that check.
    mailbox = settings(dovecot).model_copy(update={"idle_renew_seconds": 1})
    with Watch(mailbox) as watch:
        assert watch.wait_for(lambda: watch.idles() >= 3)
        assert watch.recorder.names().count("login") == 1  # the same connection throughout
        dovecot.append(USER, "INBOX", report(1))
        assert watch.mail.acquire(timeout=WAIT)
    names = watch.recorder.names()
    assert names[:4] == ["login", "select_folder", "idle", "idle_check"]
    renewal = names.index("idle_done")
    assert names[renewal : renewal + 2] == ["idle_done", "idle"]


def test_idle_keeps_trying_while_the_server_is_down(dovecot: Dovecot) -> None:
    with capture_logs() as logs, Watch(settings(dovecot)) as watch:
        assert watch.wait_for(lambda: watch.idles() == 1)
        dovecot.stop()
        assert watch.wait_for(
            lambda: (
                [e["retry_in"] for e in logs if e["event"] == "imap_idle_reconnect"][:2]
                == [1.0, 2.0]
            )
        )
        dovecot.start()
        assert watch.mail.acquire(timeout=WAIT)
        assert watch.wait_for(lambda: watch.idles() == 2)


@pytest.mark.parametrize("why", ["server lacks IDLE", "turned off"])
def test_without_idle_the_watcher_returns_at_once(dovecot: Dovecot, why: str) -> None:
    mailbox = settings(dovecot, idle=why != "turned off")
    recorder = Recorder(mailbox, hide=("IDLE",) if why == "server lacks IDLE" else ())
    stop = threading.Event()
    with capture_logs() as logs:
        ImapIdleWatcher(mailbox, recorder).watch(stop, lambda: None)
    assert "idle" not in recorder.names()
    assert [e["reason"] for e in logs if e["event"] == "imap_idle_unavailable"] == [why]


# --------------------------------------------------------------------------- Sent folder


def test_sent_mail_is_kept_in_the_sent_folder_marked_read(dovecot: Dovecot) -> None:
    sent = ImapSentFolder(settings(dovecot), "Sent")
    sent.append(report(1))
    sent.append(report(2))
    assert dovecot.messages(USER, "Sent") == [report(1), report(2)]
    assert all("\\Seen" in flags for flags in dovecot.flags(USER, "Sent"))


def test_sent_folder_errors_are_mailbox_errors(dovecot: Dovecot) -> None:
    dovecot.stop()
    with pytest.raises(MailboxError, match="connection refused"):
        ImapSentFolder(settings(dovecot), "Sent").append(report(1))


# --------------------------------------------------------------------------- OAuth2 (seam)


class FakeClient:
    """Records the logins made on it; the folder is empty."""

    def __init__(self, logins: list[tuple[str, str]], refuse: bool = False) -> None:
        self.logins = logins
        self.refuse = refuse

    def oauth2_login(self, user: str, token: str) -> None:
        from imapclient.exceptions import LoginError

        self.logins.append((user, token))
        if self.refuse:
            raise LoginError(f"authenticate failed: token {token} is expired")

    def select_folder(self, folder: str, readonly: bool = False) -> dict[bytes, Any]:
        return {b"UIDVALIDITY": 7, b"UIDNEXT": 1, b"EXISTS": 0}

    def search(self, criteria: Any) -> list[int]:
        return []

    def logout(self) -> None:
        pass


def oauth2(**overrides: Any) -> ImapMailbox:
    values: dict[str, Any] = {"backend": "imap", "host": "imap.example.gov.in"}
    return ImapMailbox.model_validate(values | {"username": USER} | overrides)


def fake_connect(logins: list[tuple[str, str]], refuse: bool = False) -> Callable[[], Any]:
    return lambda: FakeClient(logins, refuse)


def test_oauth2_token_command_output_is_the_token(tmp_path: Path) -> None:
    script = tmp_path / "token.py"
    script.write_text("print('  ya29.token-from-command  ')\n", encoding="utf-8")
    logins: list[tuple[str, str]] = []
    mailbox = oauth2(oauth2_token_command=f"{sys.executable} '{script}'")
    poll(ImapMailSource(mailbox, None, fake_connect(logins)), State())
    assert logins == [(USER, "ya29.token-from-command")]


def test_oauth2_token_file_is_read_at_every_login(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first-token\n", encoding="utf-8")
    logins: list[tuple[str, str]] = []
    source = ImapMailSource(oauth2(oauth2_token_path=str(token)), None, fake_connect(logins))
    poll(source, State())
    token.write_text("refreshed-token\n", encoding="utf-8")
    poll(source, State())
    assert logins == [(USER, "first-token"), (USER, "refreshed-token")]


def test_oauth2_failures_are_login_errors_without_the_token(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("secret-token-9\n", encoding="utf-8")
    logins: list[tuple[str, str]] = []
    refused = ImapMailSource(oauth2(oauth2_token_path=str(token)), None, fake_connect(logins, True))
    with pytest.raises(MailboxLoginError) as raised:
        list(refused.new_messages(set(), State()))
    assert "secret-token-9" not in str(raised.value) and "***" in str(raised.value)

    failing = oauth2(oauth2_token_command=f"{sys.executable} -c 'import sys; sys.exit(3)'")
    with pytest.raises(MailboxLoginError, match="exit status 3"):
        list(ImapMailSource(failing, None, fake_connect(logins)).new_messages(set(), State()))
    missing = oauth2(oauth2_token_path=str(tmp_path / "nowhere"))
    with pytest.raises(MailboxLoginError, match="cannot read the OAuth2 token file"):
        list(ImapMailSource(missing, None, fake_connect(logins)).new_messages(set(), State()))
