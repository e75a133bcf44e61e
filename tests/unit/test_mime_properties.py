"""The MIME walker, by property: whatever arrives, it answers, and never with a path.

Messages are built two ways: as trees of parts made with the email package
(arbitrary headers, bodies, file names, nesting and forwarded messages), and
as raw bytes mutated from real-looking replies (bytes flipped, cut, repeated,
nasty header lines inserted). For every one, `parse_message` must return
without raising, give the message a key, and give every attachment a file
name that is a name and never a path.
"""

from __future__ import annotations

import contextlib
import email
import hashlib
import re
from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from daemon.core.mime import MAX_HEADER_CHARS, MailMessage, parse_message
from daemon.testing import officers, reply_message, report_xlsx

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check(mail: MailMessage, raw: bytes | None = None) -> None:
    """What must hold of any message read, and of every message forwarded in it."""
    assert isinstance(mail.key, str) and mail.key
    if raw is not None:
        expected = mail.message_id or f"sha256:{hashlib.sha256(raw).hexdigest()}"
        assert mail.key == expected
    if mail.from_address is not None:
        assert "@" in mail.from_address
        assert mail.from_address == mail.from_address.lower()
    assert len(mail.subject) <= MAX_HEADER_CHARS
    for text in (mail.subject, mail.from_name, mail.body_text, mail.body_html, mail.key):
        text.encode("utf-8")  # storable: no lone surrogates
    for attachment in mail.attachments:
        name = attachment.file_name
        assert name and name.strip() == name
        assert "/" not in name and "\\" not in name
        assert not _CONTROL.search(name)
        assert name not in (".", "..")
        name.encode("utf-8")
        assert isinstance(attachment.data, bytes)
    for inner in mail.forwarded:
        check(inner)


# --- trees of parts built with the email package -----------------------------------------------

header_text = st.text(max_size=300).filter(lambda t: "\r" not in t and "\n" not in t)
file_names = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        [
            "../../etc/passwd.xlsx",
            "/etc/shadow",
            "..\\..\\boot.ini",
            "C:\\Windows\\report.xlsx",
            "a\x00b.xlsx",
            "\x1b[2J.csv",
            "..",
            ".",
            "",
            " ",
            "report.xlsx\u202egpj.exe",
            "அறிக்கை.xlsx",
        ]
    ),
)
HEADERS = ("From", "Subject", "Reply-To", "Return-Path", "Message-ID", "Date", "Auto-Submitted")


def set_header(msg: EmailMessage, name: str, value: str) -> None:
    """Set a header if the email package will write it; not every text is a valid value."""
    with contextlib.suppress(Exception):
        msg[name] = value


@st.composite
def leaves(draw: st.DrawFn) -> EmailMessage:
    part = EmailMessage()
    kind = draw(st.sampled_from(["plain", "html", "file", "file-no-name"]))
    if kind == "plain":
        part.set_content(draw(st.text(max_size=200)))
    elif kind == "html":
        part.set_content(draw(st.text(max_size=200)), subtype="html")
    else:
        data = draw(st.binary(max_size=200))
        name = draw(file_names) if kind == "file" else None
        try:
            part.set_content(data, maintype="application", subtype="octet-stream", filename=name)
        except Exception:
            part.set_content(data, maintype="application", subtype="octet-stream")
    return part


def with_headers(draw: st.DrawFn, msg: EmailMessage) -> EmailMessage:
    for name in draw(st.lists(st.sampled_from(HEADERS), max_size=6)):
        set_header(msg, name, draw(header_text))
    return msg


def containers(children: st.SearchStrategy[EmailMessage]) -> st.SearchStrategy[EmailMessage]:
    @st.composite
    def build(draw: st.DrawFn) -> EmailMessage:
        kind = draw(st.sampled_from(["mixed", "alternative", "related", "forward"]))
        if kind == "forward":
            inner = with_headers(draw, draw(children))
            outer = EmailMessage()
            outer.set_content(inner)  # message/rfc822
            return outer
        outer = EmailMessage()
        getattr(outer, f"make_{kind}")()
        outer.set_boundary(f"b{draw(st.integers(min_value=0, max_value=99))}")  # may repeat
        for child in draw(st.lists(children, min_size=0, max_size=4)):
            outer.attach(child)
        return outer

    return build()


messages = st.recursive(leaves(), containers, max_leaves=12)


@st.composite
def whole_messages(draw: st.DrawFn) -> bytes:
    msg = with_headers(draw, draw(messages))
    try:
        return msg.as_bytes()
    except Exception:  # a header the email package accepted but cannot write out
        assume(False)
        raise


@SETTINGS
@given(raw=whole_messages())
def test_any_tree_of_parts_is_read_with_a_key_and_safe_file_names(raw: bytes) -> None:
    mail = parse_message(raw)
    check(mail, raw)
    assert parse_message(raw) == mail  # the same bytes always read the same


plain_names = st.text(
    alphabet=st.characters(categories=["L", "Nd"], include_characters=" -_()."),
    min_size=1,
    max_size=60,
).filter(lambda n: n.strip(" .") != "" and n == n.strip())


@SETTINGS
@given(names=st.lists(plain_names, min_size=1, max_size=4))
def test_a_file_name_that_is_a_name_arrives_as_written(names: list[str]) -> None:
    msg = EmailMessage()
    msg["From"] = "ccu-chennai-north@example.gov.in"
    msg.set_content("report")
    for name in names:
        msg.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=name)
    mail = parse_message(msg.as_bytes())
    assert [a.file_name for a in mail.attachments] == names


@SETTINGS
@given(
    directories=st.lists(
        st.sampled_from(["..", ".", "etc", "C:", "", "tmp", "\x00"]), min_size=1, max_size=5
    ),
    separator=st.sampled_from(["/", "\\"]),
    base=plain_names,
)
def test_a_path_as_a_file_name_arrives_as_its_last_part(
    directories: list[str], separator: str, base: str
) -> None:
    msg = EmailMessage()
    msg["From"] = "ccu-chennai-north@example.gov.in"
    msg.set_content("report")
    path = separator.join([*directories, base])
    msg.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=path)
    [attachment] = parse_message(msg.as_bytes()).attachments
    assert attachment.file_name == base


# --- who the sender is -------------------------------------------------------------------------

local_parts = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}", fullmatch=True).filter(
    lambda t: ".." not in t and not t.endswith(".")
)
domains = st.from_regex(r"([a-z0-9]{1,10}\.){1,3}[a-z]{2,6}", fullmatch=True)
addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)
UNIT = "ccu-chennai-north@example.gov.in"
display_words = st.text(
    alphabet=st.characters(categories=["L", "Nd"], include_characters=" .-_@'!#$%&*+=?^{|}~"),
    max_size=40,
)


@SETTINGS
@given(address=addresses, words=display_words, quoted=st.booleans())
def test_the_sender_is_the_mailbox_never_the_display_name(
    address: str, words: str, quoted: bool
) -> None:
    assume(address != UNIT)
    display = f"{words} {UNIT} {words}".strip()
    header = str(Address(display_name=display, addr_spec=address)) if quoted else None
    written = header if header is not None else f"{display} <{address}>"
    raw = f"From: {written}\nSubject: report\n\nbody\n".encode()
    mail = parse_message(raw)
    assert mail.from_address == address
    assert mail.from_address != UNIT


@SETTINGS
@given(first=addresses, second=addresses)
def test_two_senders_are_never_taken_as_one_without_doubt(first: str, second: str) -> None:
    assume(first != second)
    for raw in (
        f"From: {first}, {second}\nSubject: s\n\nbody\n".encode(),
        f"From: {first}\nFrom: {second}\nSubject: s\n\nbody\n".encode(),
        f"From: {second} <{first}>\nSubject: s\n\nbody\n".encode(),
    ):
        mail = parse_message(raw)
        assert mail.from_address in (first, second)
        assert mail.sender_doubt is not None, raw


# --- raw bytes, mutated ------------------------------------------------------------------------


def _seeds() -> list[bytes]:
    report = report_xlsx(officers(2))
    plain = reply_message("ccu-chennai-north@example.gov.in", "Report", [("Format.xlsx", report)])
    forward = EmailMessage()
    forward["From"] = "Cell <compliance-cell@example.gov.in>"
    forward["Subject"] = "Fwd: report"
    forward.set_content("see below")
    inner = EmailMessage()
    inner["From"] = "ccu-salem@example.gov.in"
    inner.set_content("report attached")
    inner.add_attachment(b"a,b\r\n1,2\r\n", maintype="text", subtype="csv", filename="r.csv")
    forward.add_attachment(inner)
    html = EmailMessage()
    html["From"] = "ccu-coimbatore@example.gov.in"
    html.set_content("report below")
    html.add_alternative("<table><tr><td colspan=2>x</td></tr></table>", subtype="html")
    return [plain, forward.as_bytes(), html.as_bytes()]


SEEDS = _seeds()
NASTY_LINES = [
    b"From: ccu-chennai-north@example.gov.in <attacker@example.com>",
    b'From: "' + b'"' * 3000,
    b"From: " + b"(" * 3000,
    b"Subject: =?utf-8?b?####?= =?x-unknown?q?=E9?= \xff\xfe",
    b"Reply-To: " + b", ".join(b"r%d@example.com" % i for i in range(500)),
    b"Return-Path: <>",
    b"Content-Type: multipart/mixed; boundary=",
    b'Content-Type: multipart/mixed; boundary="' + b"b" * 5000 + b'"',
    b"Content-Type: message/rfc822",
    b"Content-Type: text/plain; charset=x-no-such-charset",
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: x-uuencode",
    b'Content-Disposition: attachment; filename="../../../etc/passwd"',
    b"Content-Disposition: attachment; filename*=utf-8''..%2F..%2F%00%1B.xlsx",
    b"Content-Disposition: attachment; filename*0*=utf-8''%2E%2E; filename*1=%2Fx",
    b"Content-Disposition: attachment; filename=" + b"(" * 2000,
    b"Message-ID: ",
    b"Date: 99 Foo 99999 99:99:99 +9999",
    b"\x00\x01\x02: \xff",
    b"no colon in this line",
    b"--",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        at = draw(st.integers(min_value=0, max_value=len(raw)))
        operation = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "line", "cut"]))
        if operation == "flip" and at < len(raw):
            raw[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif operation == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif operation == "delete":
            del raw[at : at + draw(st.integers(min_value=1, max_value=64))]
        elif operation == "repeat":
            piece = raw[at : at + draw(st.integers(min_value=1, max_value=256))]
            raw[at:at] = piece * draw(st.integers(min_value=1, max_value=20))
        elif operation == "line":
            line_start = raw.rfind(b"\n", 0, at) + 1
            raw[line_start:line_start] = draw(st.sampled_from(NASTY_LINES)) + b"\n"
        elif operation == "cut":
            del raw[at:]
    return bytes(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=mutated())
def test_mutated_bytes_are_read_with_a_key_and_safe_file_names(raw: bytes) -> None:
    check(parse_message(raw), raw)


@SETTINGS
@given(raw=st.binary(max_size=2000))
def test_any_bytes_at_all_are_read(raw: bytes) -> None:
    check(parse_message(raw), raw)


# --- when the parser gives up ------------------------------------------------------------------


def test_a_mail_the_parser_cannot_read_keeps_its_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = reply_message("ccu-chennai-north@example.gov.in", "Report", [("r.xlsx", b"x")])

    def fail(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(email, "message_from_bytes", fail)
    mail = parse_message(raw)
    check(mail, raw)
    assert (mail.from_address, mail.subject, mail.damaged) == (
        "ccu-chennai-north@example.gov.in",
        "Report",
        True,
    )
    assert mail.attachments == ()
