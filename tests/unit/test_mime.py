"""Reading raw messages: sender, subject, body, files, forwarded mail; never an exception."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.core.mime import _parsed_header as parsed_header
from daemon.core.mime import html_to_text, parse_message
from daemon.testing import reply_message


def test_a_reply_with_an_attachment() -> None:
    raw = reply_message(
        "CCU Chennai North <CCU-Chennai-North@Example.gov.in>",
        "Report - Chennai North",
        [("Format.xlsx", b"PK\x03\x04 workbook bytes")],
        date=datetime(2023, 4, 21, 9, 32, tzinfo=UTC),
        message_id="<r1@example.gov.in>",
    )
    mail = parse_message(raw)
    assert mail.from_address == "ccu-chennai-north@example.gov.in"
    assert mail.from_name == "CCU Chennai North"
    assert mail.subject == "Report - Chennai North"
    assert mail.date == datetime(2023, 4, 21, 9, 32, tzinfo=UTC)
    assert mail.key == "<r1@example.gov.in>"
    assert "Please find attached" in mail.body_text
    assert [(a.file_name, a.data) for a in mail.attachments] == [
        ("Format.xlsx", b"PK\x03\x04 workbook bytes")
    ]


def test_rfc2231_file_names_in_tamil_and_hindi_are_decoded() -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.gov.in"
    msg["Subject"] = "=?utf-8?b?4K6F4K6x4K6/4K6V4K+N4K6V4K+I?="
    msg.set_content("body")
    msg.add_attachment(b"x", maintype="application", subtype="octet-stream", filename="அறிக்கை.xlsx")
    msg.add_attachment(b"y", maintype="application", subtype="octet-stream", filename="रिपोर्ट.xlsx")
    mail = parse_message(msg.as_bytes())
    assert mail.subject == "அறிக்கை"
    assert [a.file_name for a in mail.attachments] == ["அறிக்கை.xlsx", "रिपोर्ट.xlsx"]


def test_an_attachment_name_is_never_a_path() -> None:
    raw = reply_message(
        "a@example.gov.in", "s", [("../../etc/passwd.xlsx", b"x"), ("C:\\x\\y.xlsx", b"y")]
    )
    assert [a.file_name for a in parse_message(raw).attachments] == ["passwd.xlsx", "y.xlsx"]


@pytest.mark.parametrize("encoded", [False, True])
def test_a_forwarded_message_keeps_its_own_sender_and_files(encoded: bool) -> None:
    inner = reply_message("ccu-salem@example.gov.in", "Salem report", [("Salem.xlsx", b"inner")])
    outer = EmailMessage()
    outer["From"] = "compliance-cell@example.gov.in"
    outer["Subject"] = "Fwd: Salem report"
    outer.set_content("forwarding")
    if encoded:  # some clients base64-encode the attached message
        outer.add_attachment(inner, maintype="message", subtype="rfc822")
    else:
        outer.add_attachment(email.message_from_bytes(inner, policy=email.policy.default))
    mail = parse_message(outer.as_bytes())
    assert mail.from_address == "compliance-cell@example.gov.in"
    assert mail.attachments == ()
    assert len(mail.forwarded) == 1
    assert mail.forwarded[0].from_address == "ccu-salem@example.gov.in"
    assert [a.file_name for a in mail.forwarded[0].attachments] == ["Salem.xlsx"]


def test_a_message_without_message_id_is_keyed_by_its_content() -> None:
    raw = b"From: a@example.gov.in\r\nSubject: hi\r\n\r\nbody\r\n"
    mail = parse_message(raw)
    assert mail.message_id is None
    assert mail.key.startswith("sha256:") and len(mail.key) == 7 + 64
    assert parse_message(raw).key == mail.key
    assert parse_message(raw + b"more").key != mail.key


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"garbage without headers",
        b"From: =?bogus?q?x?=\r\nDate: not a date\r\nSubject: =?utf-8?b?////?=\r\n\r\n\xff\xfe",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
        b"Content-Type: text/plain; charset=nope\r\n\r\n\xe9\r\n--x",
    ],
)
def test_malformed_messages_are_read_without_raising(raw: bytes) -> None:
    mail = parse_message(raw)
    assert mail.date is None
    assert mail.key.startswith("sha256:")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    parse_message(raw)


def test_html_bodies_become_text() -> None:
    text = html_to_text("<p>Report of <b>Chennai&nbsp;North</b></p><script>x()</script><br>End")
    assert "Chennai\xa0North" in text and "x()" not in text and "End" in text


def test_messages_read_the_same_whatever_was_read_before() -> None:
    # Parsed header lines are shared between messages; reading one must never
    # change what another says.
    mails = [
        reply_message(
            f"ccu-unit-{n % 3}@example.gov.in",
            f"Report {n % 2}",
            [("Format.xlsx", b"PK" + bytes([n]))],
            message_id=f"<m{n % 4}@example.gov.in>",
        )
        for n in range(12)
    ]
    alone = []
    for raw in mails:
        parsed_header.cache_clear()
        alone.append(parse_message(raw))
    together = [parse_message(raw) for raw in mails]
    assert alone == together
    assert parsed_header.cache_info().hits > 0
