"""The Exchange adapters, through exchangelib, against a fake EWS endpoint (tests/ews_server.py).

No Exchange server can run here: these tests talk HTTP to a loopback server
that answers with recorded Exchange 2016 responses over a small in-memory
mailbox. They show what the adapters ask and how they read the answers; they
cannot show that a real Exchange answers exactly so (NTLM, OAuth2 and
autodiscover in particular are not exercised).
"""

from __future__ import annotations

import email
import email.policy
import ssl
import time
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import ZONE_CONFIG

# Until tests/conftest.py lists the fake EWS server among its plugins, it is loaded
# from here (its fixture `fake_ews` included), its asserts rewritten as a plugin's.
from ews_server import ADDRESS, PASSWORD, USERNAME, FakeEws
from exchangelib import IMPERSONATION, OAUTH2, Build, OAuth2Credentials, Version
from servers import free_port, make_tls_files

from daemon.adapters.exchange import exchange_account, release
from daemon.adapters.mailbox_exchange import PENDING, SYNC_STATE, ExchangeMailSource
from daemon.adapters.sender_exchange import ExchangeSender
from daemon.bootstrap import build_app
from daemon.config import ExchangeMailbox, ExchangeOutgoing, load_config
from daemon.core.mime import parse_message
from daemon.errors import (
    MailboxError,
    MailboxLoginError,
    PermanentSendError,
    TransientSendError,
)
from daemon.ports import IncomingMessage, OutgoingMail
from daemon.services.ingest import evaluate, ingest_new
from daemon.testing import XLSX_TYPE, officers, reply_message, report_xlsx

IST = ZoneInfo("Asia/Kolkata")
UNIT = "ccu-chennai-north@example.gov.in"
SUBJECT = "Report reg Level-1 Online Course on Emerging Technologies"
EXCHANGE_2016 = Version(build=Build(15, 1, 2507, 0))


class State(dict[str, str]):
    """A sync state kept in memory (the SyncState port)."""

    def set(self, name: str, value: str) -> None:
        self[name] = value


def mailbox_settings(fake: FakeEws, **overrides: Any) -> ExchangeMailbox:
    values: dict[str, Any] = {
        "backend": "exchange",
        "ews_url": fake.url,
        "primary_smtp_address": ADDRESS,
        "username": USERNAME,
        "auth": "basic",
        "password": PASSWORD,
        "timeout": 5,
        "max_retry_wait": 5,
    }
    values.update(overrides)
    return ExchangeMailbox.model_validate(values)


def outgoing_settings(fake: FakeEws, **overrides: Any) -> ExchangeOutgoing:
    values: dict[str, Any] = {
        "backend": "exchange",
        "from": f"Compliance Cell <{ADDRESS}>",
        "ews_url": fake.url,
        "primary_smtp_address": ADDRESS,
        "username": USERNAME,
        "auth": "basic",
        "password": PASSWORD,
        "timeout": 5,
        "max_retry_wait": 5,
    }
    values.update(overrides)
    return ExchangeOutgoing.model_validate(values)


def report(n: int) -> bytes:
    """A unit's reply with an .xlsx file (a FileAttachment in Exchange)."""
    return reply_message(
        f"ccu-{n}@units.example.gov.in",
        f"Report {n} reg Level-1 Course on Emerging Technologies",
        [(f"report-{n}.xlsx", report_xlsx(officers(2, first_code=40101 + 10 * n)))],
        message_id=f"<report-{n}@units.example.gov.in>",
    )


# Made once: a workbook records when it was written, so two made a second apart differ.
FORWARDED_REPORT = report_xlsx(officers(3))


def forwarded(sender: str = UNIT) -> bytes:
    """A mail forwarding a unit's earlier reply as an attached mail (an ItemAttachment).

    Exchange's MIME content carries an attached item as a message/rfc822 part.
    """
    inner = EmailMessage()
    inner["From"] = sender
    inner["To"] = ADDRESS
    inner["Subject"] = SUBJECT
    inner["Message-ID"] = "<inner-report@units.example.gov.in>"
    inner.set_content("Sir, the report is attached.")
    inner.add_attachment(
        FORWARDED_REPORT,
        maintype=XLSX_TYPE.split("/")[0],
        subtype=XLSX_TYPE.split("/")[1],
        filename="completion-report.xlsx",
    )
    outer = EmailMessage()
    outer["From"] = sender
    outer["To"] = ADDRESS
    outer["Subject"] = f"FW: {SUBJECT}"
    outer["Message-ID"] = "<forward-1@units.example.gov.in>"
    outer.set_content("Forwarding our report sent earlier.")
    outer.add_attachment(inner)
    return outer.as_bytes(policy=email.policy.SMTP)


def message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw)["Message-ID"])


def poll(
    source: ExchangeMailSource, state: State, seen: set[str] | None = None
) -> list[IncomingMessage]:
    """One poll as ingest does it: each message stored (and reported so) before the next."""
    seen = set() if seen is None else seen
    messages = []
    for message in source.new_messages(seen, state):
        messages.append(message)
        seen.add(message.item)
        source.processed(message.item)
    return messages


@pytest.fixture
def source(fake_ews: FakeEws) -> Iterator[ExchangeMailSource]:
    reader = ExchangeMailSource(mailbox_settings(fake_ews))
    yield reader
    reader.close()


# --------------------------------------------------------------------------- reading


def test_first_sync_yields_each_message_whole_and_keeps_a_sync_state(
    fake_ews: FakeEws, source: ExchangeMailSource
) -> None:
    raws = [report(1), forwarded()]
    ids = [fake_ews.add_message(raw) for raw in raws]
    state = State()

    messages = poll(source, state)

    assert [m.item for m in messages] == ids
    assert [m.raw for m in messages] == raws  # the MIME content, byte for byte
    assert state[SYNC_STATE]
    reply, forward = (parse_message(m.raw) for m in messages)
    assert [a.file_name for a in reply.attachments] == ["report-1.xlsx"]
    assert [a.file_name for a in forward.forwarded[0].attachments] == ["completion-report.xlsx"]
    assert forward.forwarded[0].attachments[0].data == FORWARDED_REPORT
    assert fake_ews.requests.count("SyncFolderItems") == 1
    assert "GetAttachment" not in fake_ews.requests  # attachments come inside the MIME content
    assert fake_ews.unsupported == [] and fake_ews.failures == []


def test_a_poll_with_the_stored_state_asks_once_and_yields_nothing_old(
    fake_ews: FakeEws, source: ExchangeMailSource
) -> None:
    fake_ews.add_message(report(1))
    state = State()
    poll(source, state)

    mark = len(fake_ews.requests)
    assert poll(source, state) == []
    assert fake_ews.requests[mark:] == ["SyncFolderItems"]


def test_a_new_message_appears_at_the_next_poll_even_after_a_restart(
    fake_ews: FakeEws, source: ExchangeMailSource
) -> None:
    fake_ews.add_message(report(1))
    state = State()
    poll(source, state)
    source.close()

    later = fake_ews.add_message(report(2))
    restarted = ExchangeMailSource(mailbox_settings(fake_ews))
    try:
        messages = poll(restarted, state)
    finally:
        restarted.close()
    assert [(m.item, message_id(m.raw)) for m in messages] == [
        (later, "<report-2@units.example.gov.in>")
    ]


def test_batches_are_read_in_turn_until_the_folder_is_read(fake_ews: FakeEws) -> None:
    ids = [fake_ews.add_message(report(n)) for n in range(5)]
    source = ExchangeMailSource(mailbox_settings(fake_ews, batch_size=2))
    try:
        messages = poll(source, State())
    finally:
        source.close()
    assert [m.item for m in messages] == ids
    assert fake_ews.requests.count("SyncFolderItems") == 3


def test_a_crash_before_the_caller_comes_back_leaves_the_sync_state(
    fake_ews: FakeEws, source: ExchangeMailSource
) -> None:
    fake_ews.add_message(report(0))
    state = State()
    poll(source, state)
    before = dict(state)
    ids = [fake_ews.add_message(report(n)) for n in (1, 2, 3)]

    seen: set[str] = set()
    reading = source.new_messages(seen, state)
    for _ in ids:  # each message stored, but the process dies before asking for more
        message = next(reading)
        seen.add(message.item)
        source.processed(message.item)
    reading.close()
    assert state == before

    restarted = ExchangeMailSource(mailbox_settings(fake_ews))
    try:
        assert [m.item for m in poll(restarted, state, set(seen))] == []  # all stored: skipped
        assert state != before
    finally:
        restarted.close()


def test_after_a_crash_mid_batch_the_next_poll_offers_what_was_not_stored(
    fake_ews: FakeEws, source: ExchangeMailSource
) -> None:
    ids = [fake_ews.add_message(report(n)) for n in (1, 2, 3)]
    state = State()
    seen: set[str] = set()
    reading = source.new_messages(seen, state)
    stored = next(reading)
    seen.add(stored.item)
    source.processed(stored.item)
    reading.close()  # the process dies while the second message is being stored
    assert state == {}

    again = list(source.new_messages(set(), state))
    assert [m.item for m in again] == ids  # without `seen`, the whole batch is offered again
    assert [m.item for m in poll(source, State(), seen)] == ids[1:]


def test_a_message_that_failed_to_store_is_offered_again_until_it_is_stored(
    fake_ews: FakeEws, source: ExchangeMailSource
) -> None:
    ids = [fake_ews.add_message(report(n)) for n in (1, 2, 3)]
    state = State()
    seen: set[str] = set()
    for message in source.new_messages(seen, state):
        if message.item != ids[1]:  # the second fails to store: not seen, not processed
            seen.add(message.item)
            source.processed(message.item)
    assert state[PENDING] == f'["{ids[1]}"]'

    assert [m.item for m in poll(source, state, seen)] == [ids[1]]
    assert state[PENDING] == "[]"
    assert poll(source, state, seen) == []


def test_a_batch_is_handed_over_oldest_first(fake_ews: FakeEws, source: ExchangeMailSource) -> None:
    later = fake_ews.add_message(report(1), received=datetime(2023, 4, 21, 9, 0, tzinfo=IST))
    earlier = fake_ews.add_message(report(2), received=datetime(2023, 4, 20, 9, 0, tzinfo=IST))
    assert [m.item for m in poll(source, State())] == [earlier, later]


def test_a_sync_state_the_server_no_longer_takes_starts_the_folder_over(
    fake_ews: FakeEws, source: ExchangeMailSource
) -> None:
    stored = fake_ews.add_message(report(1))
    state = State()
    seen: set[str] = set()
    poll(source, state, seen)
    state.set(SYNC_STATE, "H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/SvV4Q==")  # expired, say
    new = fake_ews.add_message(report(2))

    assert [m.item for m in poll(source, state, seen)] == [new]  # the stored one skipped
    assert seen == {stored, new}
    assert poll(source, state, seen) == []


def test_a_configured_subfolder_is_read_and_a_missing_one_is_named(fake_ews: FakeEws) -> None:
    fake_ews.add_folder("Returns", parent="Inbox")
    fake_ews.add_message(report(1))  # Inbox itself: not read
    wanted = fake_ews.add_message(report(2), folder="Returns")
    source = ExchangeMailSource(mailbox_settings(fake_ews, folder="Inbox/Returns"))
    try:
        assert [m.item for m in poll(source, State())] == [wanted]
    finally:
        source.close()

    missing = ExchangeMailSource(mailbox_settings(fake_ews, folder="Inbox/Returnz"))
    with pytest.raises(MailboxError, match="has no folder 'Inbox/Returnz'"):
        poll(missing, State())


def test_after_ingest_move_moves_each_stored_message_and_makes_the_folder_once(
    fake_ews: FakeEws,
) -> None:
    ids = [fake_ews.add_message(report(n)) for n in (1, 2, 3)]
    settings = mailbox_settings(fake_ews, after_ingest="move")
    source = ExchangeMailSource(settings)
    state = State()
    seen: set[str] = set()
    for message in source.new_messages(seen, state):
        if message.item != ids[1]:  # the second failed to store: it stays
            seen.add(message.item)
            source.processed(message.item)
    source.close()

    assert [message_id(raw) for raw in fake_ews.messages("anupalan-processed")] == [
        "<report-1@units.example.gov.in>",
        "<report-3@units.example.gov.in>",
    ]
    assert fake_ews.item_ids("Inbox") == [ids[1]]
    assert fake_ews.requests.count("MoveItem") == 2
    assert fake_ews.requests.count("CreateFolder") == 1

    again = ExchangeMailSource(settings)  # a restart finds the folder made before
    try:
        assert [message_id(m.raw) for m in poll(again, state, seen)] == [
            "<report-2@units.example.gov.in>"
        ]
    finally:
        again.close()
    assert len(fake_ews.messages("anupalan-processed")) == 3
    assert fake_ews.requests.count("CreateFolder") == 1


def test_a_message_moved_away_meanwhile_is_no_error(
    fake_ews: FakeEws,
) -> None:
    fake_ews.add_message(report(1))
    source = ExchangeMailSource(mailbox_settings(fake_ews, after_ingest="move"))
    try:
        [message] = list(source.new_messages(set(), State()))
        source.processed(message.item)
        source.processed(message.item)  # already moved: ErrorItemNotFound, let be
    finally:
        source.close()
    assert len(fake_ews.messages("anupalan-processed")) == 1


def test_a_fixed_server_version_skips_the_version_probe(fake_ews: FakeEws) -> None:
    fake_ews.add_message(report(1))
    settings = mailbox_settings(fake_ews)
    source = ExchangeMailSource(settings, lambda: exchange_account(settings, version=EXCHANGE_2016))
    try:
        assert len(poll(source, State())) == 1
    finally:
        source.close()
    assert "ConvertId" not in fake_ews.requests


def test_oauth2_settings_log_in_as_the_application_acting_for_the_mailbox(
    fake_ews: FakeEws,
) -> None:
    settings = mailbox_settings(
        fake_ews,
        auth="oauth2",
        password=None,
        oauth2_client_id="0f1e2d3c-anupalan",
        oauth2_tenant_id="example.gov.in",
        oauth2_client_secret="client-secret-3",
    )
    account = exchange_account(settings)
    try:
        credentials = account.protocol.credentials
        assert isinstance(credentials, OAuth2Credentials)
        assert (credentials.client_id, credentials.client_secret, credentials.tenant_id) == (
            "0f1e2d3c-anupalan",
            "client-secret-3",
            "example.gov.in",
        )
        assert credentials.identity.primary_smtp_address == ADDRESS
        assert account.access_type == IMPERSONATION
        assert account.protocol.auth_type == OAUTH2
    finally:
        release(account)
    assert fake_ews.requests == []  # nothing is sent before the account is used


# --------------------------------------------------------------------------- busy server


def test_a_busy_server_is_asked_again_after_the_back_off_it_asked_for(
    fake_ews: FakeEws, source: ExchangeMailSource
) -> None:
    state = State()
    poll(source, state)  # the version and the folder are known from here on
    wanted = fake_ews.add_message(report(1))
    fake_ews.busy_next(1, back_off_ms=400)

    mark = len(fake_ews.calls)
    started = time.monotonic()
    assert [m.item for m in poll(source, state)] == [wanted]
    calls = fake_ews.calls[mark:]
    assert [name for name, _ in calls] == ["SyncFolderItems", "SyncFolderItems", "GetItem"]
    waited = calls[1][1] - calls[0][1]
    # As the server asked, and far from exchangelib's own first wait of 10 s.
    assert 0.38 <= waited < 3
    assert time.monotonic() - started < 5


def test_a_server_busy_longer_than_max_retry_wait_in_all_is_given_up(
    fake_ews: FakeEws,
) -> None:
    source = ExchangeMailSource(mailbox_settings(fake_ews, max_retry_wait=1))
    state = State()
    poll(source, state)
    fake_ews.busy_next(10, back_off_ms=400)  # each wait short, together too long

    mark = len(fake_ews.requests)
    with pytest.raises(MailboxError) as caught:
        poll(source, state)
    # Waited 0.4 s twice, then gave up rather than take the sum to 1.2 s.
    assert fake_ews.requests[mark:] == ["SyncFolderItems"] * 3
    assert "stayed busy" in str(caught.value) and fake_ews.url in str(caught.value)
    assert not isinstance(caught.value, MailboxLoginError)


# --------------------------------------------------------------------------- failures


def test_nothing_listening_is_a_plain_mailbox_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx"
    settings = ExchangeMailbox.model_validate(
        {
            "backend": "exchange",
            "ews_url": url,
            "primary_smtp_address": ADDRESS,
            "username": USERNAME,
            "auth": "basic",
            "password": PASSWORD,
        }
    )
    started = time.monotonic()
    with pytest.raises(MailboxError) as caught:
        list(ExchangeMailSource(settings).new_messages(set(), State()))
    assert str(caught.value) == f"cannot connect to the Exchange server {url}: connection refused"
    assert not isinstance(caught.value, MailboxLoginError)
    assert time.monotonic() - started < 5


def test_a_wrong_password_is_a_login_error_without_the_password(fake_ews: FakeEws) -> None:
    wrong = "not-the-ews-password-9"
    source = ExchangeMailSource(mailbox_settings(fake_ews, password=wrong))
    with pytest.raises(MailboxLoginError) as caught:
        poll(source, State())
    text = str(caught.value)
    assert text == (
        f"the Exchange server {fake_ews.url} refused the login as {USERNAME} (basic): "
        "check the username and password (the account may also be locked out)"
    )
    assert wrong not in text and PASSWORD not in text
    assert fake_ews.logins_refused == 1  # refused once, not retried as if busy


def test_an_untrusted_certificate_is_refused_and_tls_ca_makes_it_trusted(
    tmp_path: Path,
) -> None:
    make_tls_files(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "server.crt", tmp_path / "server.key")
    with FakeEws(tls=context) as fake:
        fake.add_message(report(1))
        assert fake.url.startswith("https://127.0.0.1:")

        untrusting = ExchangeMailSource(mailbox_settings(fake))
        with pytest.raises(MailboxError, match=r"could not be verified .* set tls_ca"):
            poll(untrusting, State())

        trusting = ExchangeMailSource(mailbox_settings(fake, tls_ca=str(tmp_path / "ca.crt")))
        try:
            assert len(poll(trusting, State())) == 1
        finally:
            trusting.close()

        missing = ExchangeMailSource(mailbox_settings(fake, tls_ca=str(tmp_path / "nope.crt")))
        with pytest.raises(MailboxError, match=r"cannot use the CA bundle .*nope\.crt \(tls_ca\)"):
            poll(missing, State())


# --------------------------------------------------------------------------- sending


def outgoing(raw: bytes, recipients: tuple[str, ...] = (UNIT,)) -> OutgoingMail:
    return OutgoingMail(
        key="ack:chennai-north:1",
        message_id=message_id(raw),
        sender=ADDRESS,
        recipients=recipients,
        content=raw,
    )


def acknowledgement() -> bytes:
    return reply_message(
        f"Compliance Cell <{ADDRESS}>",
        "Received: your report on Emerging Technologies",
        [("summary.xlsx", report_xlsx(officers(1)))],
        to=UNIT,
        message_id="<ack.chennai-north.1@anupalan.example.gov.in>",
    )


def test_the_sender_sends_the_exact_mime_and_keeps_a_copy_in_sent_items(
    fake_ews: FakeEws,
) -> None:
    raw = acknowledgement()
    sender = ExchangeSender(outgoing_settings(fake_ews))
    sender.send(outgoing(raw))
    sender.send(outgoing(raw))  # the same mail again after a crash: sent as it was
    sender.close()

    assert fake_ews.sent == [raw, raw]  # created with SendAndSaveCopy, byte for byte
    assert fake_ews.sent_without_copy == []
    assert fake_ews.messages("Sent Items") == [raw, raw]
    assert message_id(fake_ews.sent[0]) == "<ack.chennai-north.1@anupalan.example.gov.in>"
    assert fake_ews.requests.count("CreateItem") == 2


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ErrorInvalidRecipients", PermanentSendError),
        ("ErrorMessageSizeExceeded", PermanentSendError),
        ("ErrorMimeContentConversionFailed", PermanentSendError),
        ("ErrorMailboxStoreUnavailable", TransientSendError),
        ("ErrorSendAsDenied", TransientSendError),
    ],
)
def test_ews_errors_are_sorted_into_permanent_and_transient(
    fake_ews: FakeEws, code: str, error: type[Exception]
) -> None:
    fake_ews.fail_next("CreateItem", code, "The request was refused.")
    sender = ExchangeSender(outgoing_settings(fake_ews))
    with pytest.raises(error) as caught:
        sender.send(outgoing(acknowledgement()))
    assert type(caught.value) is error
    assert code in str(caught.value) and fake_ews.url in str(caught.value)
    assert fake_ews.sent == []
    sender.send(outgoing(acknowledgement()))  # and the next attempt goes through
    assert len(fake_ews.sent) == 1


def test_a_server_busy_beyond_max_retry_wait_is_transient(fake_ews: FakeEws) -> None:
    fake_ews.busy_next(10, back_off_ms=2000)
    sender = ExchangeSender(outgoing_settings(fake_ews, max_retry_wait=1))
    with pytest.raises(TransientSendError, match="stayed busy"):
        sender.send(outgoing(acknowledgement()))


def test_the_sender_with_nothing_listening_is_transient() -> None:
    url = f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx"
    settings = ExchangeOutgoing.model_validate(
        {
            "backend": "exchange",
            "from": ADDRESS,
            "ews_url": url,
            "primary_smtp_address": ADDRESS,
            "username": USERNAME,
            "auth": "ntlm",
            "password": PASSWORD,
        }
    )
    with pytest.raises(TransientSendError) as caught:
        ExchangeSender(settings).send(outgoing(acknowledgement()))
    assert str(caught.value) == f"cannot connect to the Exchange server {url}: connection refused"


def test_the_sender_with_a_wrong_password_is_transient_and_says_the_login_was_refused(
    fake_ews: FakeEws,
) -> None:
    wrong = "not-the-ews-password-9"
    sender = ExchangeSender(outgoing_settings(fake_ews, password=wrong))
    with pytest.raises(TransientSendError) as caught:
        sender.send(outgoing(acknowledgement()))
    assert "refused the login as" in str(caught.value)
    assert wrong not in str(caught.value)
    assert fake_ews.sent == []


def test_a_mail_without_recipients_is_permanent(fake_ews: FakeEws) -> None:
    with pytest.raises(PermanentSendError, match="no recipients"):
        ExchangeSender(outgoing_settings(fake_ews)).send(outgoing(acknowledgement(), ()))
    assert fake_ews.requests == []


# --------------------------------------------------------------------------- ingest


def exchange_zone(tmp_path: Path, fake: FakeEws) -> Path:
    """The shared test zone, its mailbox on the fake Exchange, the password from the environment."""
    mailbox = (
        f"mailbox: {{backend: exchange, ews_url: '{fake.url}', primary_smtp_address: {ADDRESS},"
        f" username: '{USERNAME}', auth: basic, password: '${{EWS_PASSWORD}}', timeout: 5}}"
    )
    text = ZONE_CONFIG.replace("mailbox: {backend: maildir, path: mailbox}", mailbox)
    assert mailbox in text
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_forwarded_report_fetched_through_exchange_is_read_by_ingest(
    tmp_path: Path, fake_ews: FakeEws
) -> None:
    config = load_config(exchange_zone(tmp_path, fake_ews), env={"EWS_PASSWORD": PASSWORD})
    assert isinstance(config.mailbox, ExchangeMailbox)
    fake_ews.add_message(forwarded())
    source = ExchangeMailSource(config.mailbox)
    try:
        [incoming] = list(source.new_messages(set(), State()))
    finally:
        source.close()

    verdict = evaluate(config, parse_message(incoming.raw))
    assert (verdict.outcome, verdict.unit_id, verdict.campaign_id) == (
        "accepted",
        "chennai-north",
        "emerging-tech-l1",
    )
    [read] = verdict.reports
    assert read.file == "completion-report.xlsx" and read.readable
    assert len(read.rows) == 3


def test_ingest_new_stores_exchange_mail_once(tmp_path: Path, fake_ews: FakeEws) -> None:
    config = load_config(exchange_zone(tmp_path, fake_ews), env={"EWS_PASSWORD": PASSWORD})
    fake_ews.add_message(forwarded())
    fake_ews.add_message(report(7))  # from no known unit: held for review
    now = datetime(2023, 4, 25, 10, 0, tzinfo=IST)
    app = build_app(config)
    try:
        first = ingest_new(config, app.source, app.store, app.archive, now)
        mark = len(fake_ews.requests)
        second = ingest_new(config, app.source, app.store, app.archive, now)
    finally:
        app.close()
    assert [(r.outcome, r.unit_id, r.rows) for r in first] == [
        ("accepted", "chennai-north", 3),
        ("needs_review", None, 0),
    ]
    assert second == []
    assert fake_ews.requests[mark:] == ["SyncFolderItems"]
