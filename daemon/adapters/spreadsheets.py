"""Reads any attachment a unit sends into raw workbooks, whatever its format.

What a file is comes from its content (its first bytes, and what a zip file
holds), never from its name alone: units rename, re-save and zip their
reports. `.xlsx`, `.xlsb`, `.xls`, `.ods` and `.csv` files are read by their own thin
readers (each checks the file's size and structure before python-calamine
parses its cells; CSV is read by the standard library); a `.zip` archive is
opened and every spreadsheet in it read (each as "outer.zip/inner.xlsx");
anything else is refused with a reason that tells a clerk what the file is and
what to send instead.
"""

from __future__ import annotations

import contextlib
import math
import re
import zipfile
from dataclasses import dataclass, replace
from io import BytesIO
from typing import Protocol

from daemon.adapters.spreadsheet_csv import NOT_A_SPREADSHEET, read_csv
from daemon.adapters.spreadsheet_ods import ODS_MIMETYPE, read_ods
from daemon.adapters.spreadsheet_xls import WORD_DOCUMENT, read_xls
from daemon.adapters.spreadsheet_xlsb import read_xlsb
from daemon.adapters.spreadsheet_xlsx import (
    ARCHIVE_ERRORS,
    DAMAGED,
    EMPTY,
    PASSWORD_PROTECTED,
    read_xlsx,
)
from daemon.core.models import ParsedReport, RawWorkbook, ReadLimits, ReportFormat
from daemon.core.report_mapper import map_report
from daemon.errors import UnreadableFile

TEXT_NAMED_AS_WORKBOOK = (
    "this file is named like an Excel workbook but is not one (it holds plain text);"
    " please save the report from Excel as .xlsx and resend"
)
_WORKBOOK_NAMES = re.compile(r"\.(xlsx|xlsm|xlsb|xls|ods)$", re.IGNORECASE)
PDF = (
    "this is a PDF file (perhaps a scanned copy); anupalan needs the Excel file itself"
    " — please send the report as .xlsx"
)
IMAGE = (
    "this is an image (perhaps a photo or a scan of the report);"
    " please send the report as an Excel file"
)
NO_SPREADSHEET_IN_ZIP = "the .zip file holds no spreadsheet"
NESTED_TOO_DEEP = (
    "the .zip file is nested too deep in other .zip files; please send the report sheet on its own"
)

DEFAULT_LIMITS = ReadLimits()

MAX_ARCHIVE_DEPTH = 2
"""A .zip inside a .zip is opened; a .zip inside that is not."""

# A member with one of these names is meant to be a spreadsheet: if it cannot
# be read, the unit is told why. Other members are read only when their
# content is an Office file, and passed over quietly when it is not a report.
_SPREADSHEET_NAMES = re.compile(r"\.(xlsx|xlsm|xlsb|xls|ods|csv|tsv)$", re.IGNORECASE)
# Reasons that say "this is not a report" rather than "this report is broken".
_NOT_A_REPORT = frozenset({NOT_A_SPREADSHEET, WORD_DOCUMENT, NO_SPREADSHEET_IN_ZIP, PDF, IMAGE})

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A zip file starts with a member, or with the end record when it is empty.
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
)
# HEIC (iPhone photos) and AVIF: an ISO media file whose brand names an image.
_IMAGE_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
)
_ARCHIVE_ERRORS = (*ARCHIVE_ERRORS, NotImplementedError)
_UTF8_NAME_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1

Outcome = RawWorkbook | UnreadableFile


class PackageReader(Protocol):
    def __call__(
        self, data: bytes, file_name: str, *, max_cells: int, max_uncompressed_bytes: int
    ) -> RawWorkbook: ...


def read_attachment(
    data: bytes, file_name: str, limits: ReadLimits = DEFAULT_LIMITS
) -> list[RawWorkbook]:
    """Every workbook an attachment holds: one for a spreadsheet, one per spreadsheet in a .zip.

    Raises `UnreadableFile` when none can be read. A spreadsheet in a .zip
    that cannot be read is left out when others can; `parse_attachment`
    reports it.
    """
    outcomes = _read_attachment(data, file_name, limits)
    workbooks = [outcome for outcome in outcomes if isinstance(outcome, RawWorkbook)]
    if workbooks:
        return workbooks
    raise next(outcome for outcome in outcomes if isinstance(outcome, UnreadableFile))


def parse_attachment(
    data: bytes, file_name: str, fmt: ReportFormat, limits: ReadLimits = DEFAULT_LIMITS
) -> list[ParsedReport]:
    """An attachment read as reports in `fmt`, one per workbook.

    Never raises for a file that cannot be read: it becomes a report with
    `readable=False` and the reason.
    """
    # Text named like a workbook is read as CSV (portals export CSV as ".xls"); when
    # that finds no table, the clerk needs to hear that the file is no workbook at all.
    renamed_text = bool(_WORKBOOK_NAMES.search(file_name)) and not data.startswith(
        (*_ZIP_SIGNATURES, _OLE_SIGNATURE)
    )
    reports = []
    for outcome in _read_attachment(data, file_name, limits):
        if isinstance(outcome, UnreadableFile):
            reports.append(ParsedReport(file=outcome.file, readable=False, reason=outcome.reason))
            continue
        report = map_report(outcome, fmt)
        if renamed_text and not report.readable:
            report = replace(report, reason=TEXT_NAMED_AS_WORKBOOK)
        reports.append(report)
    return reports


def _read_attachment(data: bytes, file_name: str, limits: ReadLimits) -> list[Outcome]:
    """At least one outcome: the workbooks read and the spreadsheets that could not be."""
    try:
        if len(data) > limits.max_attachment_bytes:
            raise UnreadableFile(
                file_name,
                f"the file is too large ({_megabytes(len(data))} MB;"
                f" the limit is {_megabytes(limits.max_attachment_bytes)} MB);"
                " please send only the report sheet",
            )
        return _read(data, file_name, limits, _Budget(limits.max_uncompressed_bytes), depth=0)
    except UnreadableFile as exc:
        return [exc]


@dataclass
class _Budget:
    """What is left of the bytes an attachment may unpack to, shared by every archive in it."""

    left: int


def _read(
    data: bytes, file_name: str, limits: ReadLimits, budget: _Budget, depth: int
) -> list[Outcome]:
    if not data:
        raise UnreadableFile(file_name, EMPTY)
    if data.startswith(_ZIP_SIGNATURES):
        return _read_zip(data, file_name, limits, budget, depth)
    if data.startswith(_OLE_SIGNATURE):
        return [read_xls(data, file_name, max_cells=limits.max_cells)]
    if b"%PDF-" in data[:1024]:
        raise UnreadableFile(file_name, PDF)
    if _is_image(data):
        raise UnreadableFile(file_name, IMAGE)
    return [read_csv(data, file_name, max_cells=limits.max_cells)]


def _is_image(data: bytes) -> bool:
    if data.startswith(_IMAGE_SIGNATURES):
        return True
    if data.startswith(b"BM") and data[6:10] == bytes(4):  # BMP: reserved bytes are zero
        return True
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return True
    return data[4:8] == b"ftyp" and data[8:12] in _IMAGE_BRANDS


def _read_zip(
    data: bytes, file_name: str, limits: ReadLimits, budget: _Budget, depth: int
) -> list[Outcome]:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except _ARCHIVE_ERRORS as exc:
        raise UnreadableFile(file_name, DAMAGED) from exc
    with archive:
        names = archive.namelist()
        reader = _package_reader(archive, names)
        if reader is not None:
            _spend(budget, archive.infolist(), file_name, limits)
            return [
                reader(
                    data,
                    file_name,
                    max_cells=limits.max_cells,
                    max_uncompressed_bytes=limits.max_uncompressed_bytes,
                )
            ]
        if any(name.startswith("word/") for name in names):
            raise UnreadableFile(file_name, WORD_DOCUMENT)
        if "[Content_Types].xml" in names or _mimetype(archive):
            # Another Office or OpenDocument file: a presentation, a text document.
            raise UnreadableFile(file_name, NOT_A_SPREADSHEET)
        if depth >= MAX_ARCHIVE_DEPTH:
            raise UnreadableFile(file_name, NESTED_TOO_DEEP)
        return _read_archive(archive, file_name, limits, budget, depth + 1)


def _package_reader(archive: zipfile.ZipFile, names: list[str]) -> PackageReader | None:
    """The reader of a zip package that is a workbook: .xlsb, .xlsx (or .xlsm), .ods."""
    if "xl/workbook.bin" in names:
        return read_xlsb
    if any(name.startswith("xl/") for name in names):
        return read_xlsx
    if _mimetype(archive) == ODS_MIMETYPE:
        return read_ods
    return None


def _spend(
    budget: _Budget, members: list[zipfile.ZipInfo], file_name: str, limits: ReadLimits
) -> None:
    """Take what the members unpack to from the budget, or refuse the file when it runs out.

    zipfile never returns more bytes than a member declares, so the declared
    sizes bound what reading can unpack.
    """
    unpacked = sum(info.file_size for info in members)
    if unpacked > budget.left:
        total = limits.max_uncompressed_bytes - budget.left + unpacked
        raise UnreadableFile(
            file_name,
            f"the file is too large once unpacked ({_megabytes(total)} MB;"
            f" the limit is {_megabytes(limits.max_uncompressed_bytes)} MB);"
            " please send only the report sheet",
        )
    budget.left -= unpacked


def _mimetype(archive: zipfile.ZipFile) -> str | None:
    """The type an OpenDocument file names in its first member, `mimetype`."""
    try:
        info = archive.getinfo("mimetype")
        if info.file_size > 100:
            return None
        return archive.read(info).decode("ascii", "replace").strip()
    except (KeyError, *_ARCHIVE_ERRORS):
        return None


def _read_archive(
    archive: zipfile.ZipFile, file_name: str, limits: ReadLimits, budget: _Budget, depth: int
) -> list[Outcome]:
    """Every spreadsheet in a plain .zip archive."""
    members = [info for info in archive.infolist() if not _passed_over(info)]
    if len(members) > limits.max_files_in_archive:
        raise UnreadableFile(
            file_name,
            f"the .zip file holds more than {limits.max_files_in_archive} files;"
            " please send the report sheets on their own",
        )
    _spend(budget, members, file_name, limits)

    outcomes: list[Outcome] = []
    encrypted = False
    for info in members:
        member_name = f"{file_name}/{_member_name(info)}"
        named_as_spreadsheet = bool(_SPREADSHEET_NAMES.search(info.filename))
        if info.flag_bits & _ENCRYPTED_FLAG:
            if named_as_spreadsheet:
                outcomes.append(UnreadableFile(member_name, PASSWORD_PROTECTED))
            encrypted = True
            continue
        try:
            if not (named_as_spreadsheet or _is_office_file(archive, info)):
                continue
            content = archive.read(info)
        except _ARCHIVE_ERRORS:
            if named_as_spreadsheet:
                outcomes.append(UnreadableFile(member_name, DAMAGED))
            continue
        try:
            outcomes.extend(_read(content, member_name, limits, budget, depth))
        except UnreadableFile as exc:
            if named_as_spreadsheet or exc.reason not in _NOT_A_REPORT:
                outcomes.append(exc)
    if not outcomes:
        raise UnreadableFile(file_name, PASSWORD_PROTECTED if encrypted else NO_SPREADSHEET_IN_ZIP)
    return outcomes


def _is_office_file(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether a member is a zip or OLE file, which a spreadsheet with an odd name may be."""
    with archive.open(info) as member:
        return member.read(len(_OLE_SIGNATURE)).startswith((*_ZIP_SIGNATURES, _OLE_SIGNATURE))


def _passed_over(info: zipfile.ZipInfo) -> bool:
    """Folders, macOS resource forks, hidden files, Office's "~$" lock files, nameless members."""
    if not info.filename or info.is_dir():  # is_dir() raises IndexError for an empty name
        return True
    parts = info.filename.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or any(part.startswith((".", "~$")) for part in parts)


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name for messages (never a path on disk).

    zipfile decodes names as cp437 unless the archive flags them UTF-8; many
    programs write UTF-8 without the flag.
    """
    name = info.filename
    if not info.flag_bits & _UTF8_NAME_FLAG:
        with contextlib.suppress(UnicodeError):
            name = name.encode("cp437").decode("utf-8")
    return name.replace("\\", "/")


def _megabytes(size: int) -> str:
    """A size in MB, rounded up to one decimal so that over the limit never reads as the limit."""
    tenths = math.ceil(size * 10 / (1024 * 1024))
    return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"
