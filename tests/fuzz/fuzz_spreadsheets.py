"""A coverage-guided fuzz target for the readers of what units send: spreadsheets and mail.

Each input is given to `parse_attachment` (with small read limits, so that a
bomb costs little), to `parse_message`, and to the reader of tables pasted in
a mail. None of them may raise, whatever the bytes: any exception is a crash,
as is a file name that is a path or a message without a key.

Run through `scripts/fuzz`, which bounds the time. With atheris installed
(`pip install -e '.[dev]'`) the run is coverage-guided by libFuzzer and takes
its flags (`-max_total_time=30`, `-rss_limit_mb=2048`, a corpus directory); a
seed corpus of small valid .xlsx, .xls, .ods, .csv and .zip files and a mail
is written at start. Without atheris, the same target is driven by
hypothesis for the same time, from the same seeds.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

try:
    import atheris
except ImportError:  # the hypothesis loop below stands in for it
    atheris = None

FILE_NAMES = (
    "Format.xlsx",
    "report.xls",
    "report.ods",
    "report.csv",
    "reports.zip",
    "scan.pdf",
    "",
)
LIMITS_MB = 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _load_target() -> Callable[[bytes], None]:
    from daemon.adapters.spreadsheets import parse_attachment
    from daemon.core.html_table import tables_in_html
    from daemon.core.mime import MailMessage, html_to_text, parse_message
    from daemon.core.models import ReadLimits
    from daemon.formats import builtin_formats

    fmt = builtin_formats()["unit-completion-report"]
    limits = ReadLimits(
        max_attachment_bytes=LIMITS_MB * 1024 * 1024,
        max_uncompressed_bytes=4 * 1024 * 1024,
        max_cells=10_000,
        max_files_in_archive=20,
    )

    def check_mail(mail: MailMessage) -> None:
        assert mail.key, "a message without a key"
        for text in (mail.key, mail.subject, mail.from_name, mail.body_text, mail.body_html):
            text.encode("utf-8")  # storable: no lone surrogates
        for attachment in mail.attachments:
            name = attachment.file_name
            assert name and not re.search(r"[/\\]", name), f"a file name that is a path: {name!r}"
            assert not _CONTROL.search(name), f"control characters in a file name: {name!r}"
        for inner in mail.forwarded:
            check_mail(inner)

    def one_input(data: bytes) -> None:
        name = FILE_NAMES[len(data) % len(FILE_NAMES)]
        reports = parse_attachment(data, name, fmt, limits)
        assert reports, "an attachment read as nothing at all"
        for report in reports:
            assert report.readable or report.reason, "unreadable without a reason"
        check_mail(parse_message(data))
        text = data.decode("utf-8", errors="replace")
        tables_in_html(text)
        html_to_text(text)

    return one_input


def seed_corpus() -> dict[str, bytes]:
    """Small valid files of every kind the reader knows, and a mail carrying one."""
    from daemon.testing import XlsbSheet, officers, reply_message, report_xlsx, xlsb_package

    rows = officers(3)
    xlsx = report_xlsx(rows)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["Sl. No", "Employee Code", "Name of the Officer", "Designation", "Contact No"])
    writer.writerows([i, *row[:4]] for i, row in enumerate(rows, start=1))
    csv_bytes = text.getvalue().encode("utf-8")
    seeds = {
        "report.xlsx": xlsx,
        "report.csv": csv_bytes,
        "report.ods": _ods(rows),
        "reports.zip": _zipped(("a.csv", csv_bytes), ("b.xlsx", xlsx)),
        "report.xlsb": xlsb_package(
            [XlsbSheet("Sheet1", {1: ["Employee Code", "Name of the Officer"], 2: [40101, "A"]})]
        ),
        "mail.eml": reply_message(
            "ccu-chennai-north@example.gov.in", "Report", [("report.csv", csv_bytes)]
        ),
        "table.html": (
            b"<table><tr><th>Emp. Code</th><th>Name</th></tr>"
            b"<tr><td colspan=2>40101</td><td>R. Selvam</td></tr></table>"
        ),
    }
    xls = _xls(rows)
    if xls is not None:
        seeds["report.xls"] = xls
    return seeds


def _zipped(*members: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def _ods(rows: list[tuple[object, ...]]) -> bytes:
    from daemon.testing import ods_package  # after atheris has instrumented daemon

    def row(*values: object) -> str:
        cells = "".join(
            f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
            for v in values
        )
        return f"<table:table-row>{cells}</table:table-row>"

    table = row("Sl. No", "Employee Code", "Name of the Officer", "Designation")
    table += "".join(row(i, *r[:3]) for i, r in enumerate(rows, start=1))
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        f'<office:body><office:spreadsheet><table:table table:name="Sheet1">{table}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    return ods_package(content)


def _xls(rows: list[tuple[object, ...]]) -> bytes | None:
    try:
        import xlwt
    except ImportError:  # a test-only writer; the other seeds still cover the reader
        return None
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for c, header in enumerate(("Sl. No", "Employee Code", "Name of the Officer", "Designation")):
        sheet.write(0, c, header)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate((r, *values[:3])):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _flag(argv: list[str], name: str, default: str) -> str:
    prefix = f"-{name}="
    return next((a[len(prefix) :] for a in argv if a.startswith(prefix)), default)


def run_atheris(argv: list[str]) -> None:
    assert atheris is not None
    with atheris.instrument_imports(include=["daemon", "python_calamine", "xlrd", "defusedxml"]):
        one_input = _load_target()
    corpus = [Path(a) for a in argv[1:] if not a.startswith("-")]
    if not corpus:
        corpus = [Path(tempfile.mkdtemp(prefix="anupalan-fuzz-corpus-"))]
        argv = [*argv, str(corpus[0])]
    corpus[0].mkdir(parents=True, exist_ok=True)
    if not any(corpus[0].iterdir()):
        for name, data in seed_corpus().items():
            (corpus[0] / name).write_bytes(data)
        print(f"fuzz: seed corpus of {len(os.listdir(corpus[0]))} files in {corpus[0]}", flush=True)
    if not any(a.startswith("-artifact_prefix=") for a in argv):
        artifacts = Path(tempfile.gettempdir()) / "anupalan-fuzz-artifacts"
        artifacts.mkdir(exist_ok=True)
        argv = [*argv, f"-artifact_prefix={artifacts}/"]
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def run_hypothesis(argv: list[str]) -> None:
    """The same target driven by hypothesis, from the same seeds, for the same time."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    one_input = _load_target()
    seconds = float(_flag(argv, "max_total_time", "30"))
    seeds = list(seed_corpus().values())

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(st.sampled_from(seeds)))
        for _ in range(draw(st.integers(min_value=0, max_value=8))):
            at = draw(st.integers(min_value=0, max_value=len(data)))
            kind = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "cut"]))
            if kind == "flip" and at < len(data):
                data[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
            elif kind == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=32))
            elif kind == "delete":
                del data[at : at + draw(st.integers(min_value=1, max_value=256))]
            elif kind == "repeat":
                piece = data[at : at + draw(st.integers(min_value=1, max_value=128))]
                data[at:at] = piece * draw(st.integers(min_value=1, max_value=16))
            else:
                del data[at:]
        return bytes(data)

    inputs = st.one_of(mutated(), st.binary(max_size=4096))

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=inputs)
    def fuzz(data: bytes) -> None:
        tried.append(len(data))
        one_input(data)

    tried: list[int] = []
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        fuzz()
    print(f"fuzz (hypothesis): {len(tried)} inputs in {seconds:.0f} s, no crash", flush=True)


def main(argv: list[str]) -> None:
    if atheris is None or os.environ.get("ANUPALAN_FUZZ_ENGINE") == "hypothesis":
        why = "atheris is not installed" if atheris is None else "ANUPALAN_FUZZ_ENGINE=hypothesis"
        print(f"fuzz: {why}; driving the target with hypothesis", flush=True)
        run_hypothesis(argv)
    else:
        run_atheris(argv)


if __name__ == "__main__":
    main(sys.argv)
