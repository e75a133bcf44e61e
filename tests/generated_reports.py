"""Unit reports as field offices really write them, generated, with the exact truth beside them.

`unit_reports()` is a hypothesis strategy for a `GeneratedReport`: a
`RawWorkbook` as a spreadsheet reader gives it, and, decided here while the
cells are written and never by asking anupalan, which rows are officers
(and each officer in normal form), which rows are not, which statuses are
unclear, and whether a required column is missing. `compare()` sets what a
reader made of the workbook against that truth; the property tests, the
real-file tests and `python -m bench.reader_accuracy` all judge through it.

The grammar (each choice drawn independently; the first alternative is the
simplest, so hypothesis shrinks towards the prescribed format)::

    workbook    = table-sheet{1,3}, and at most one cover sheet first or last (3 in all)
    cover       = letter lines | an instructions list     (no table: not read)
    table-sheet = title{0,4} [blank] header [column numbering] section+ footer
    title       = letter-head or title text, in the first cell, centred, or
                  across the width (merged: the text repeated, or only in the first cell)
    header      = one row | two rows: Hindi or Tamil over English
                | two rows: a merged group cell ("Officer details") over some
                  columns, the other headers merged down (repeated, or None below)
    column      = Sl. No | Employee Code | Name | Designation | Contact No | Email ID
                | [Status] | extras (Remarks, Division, Name of the Division, Office,
                  Name of the Office, Date of joining, Level of course), in any order;
                  serial, designation, mobile and e-mail may be left out; a report may
                  leave out the employee-code or the name column entirely
    header text = English (many wordings beyond the format's synonyms) | Hindi | Tamil
                | bilingual in one cell ("क्रम सं. / Sl. No", "Name\\nनाम") | a mix;
                  written plain, in capitals, broken over lines or with a "*"
    status head = a known word ("Course Status") | a long header naming the course
                  ("Level-1 Online Course on Emerging Technologies")
    section     = [heading ("Division I": first cell, across the width, or under Name)]
                  officer (gap officer)* [sub-total ("Sub Total (Division I) | 3")]
    gap         = nothing | blank row{1,2} | the header printed again | [blank] a new section
    footer      = total{0,2} blank{0,2} note{0,2} [[blank] signature block]
    total       = "Total | 6 officers" | "Total: 6" | "Total No. of Officers | 6"
                | "Grand Total | 6" | "कुल / Total | 6" | "மொத்தம் | 6" | a lone count ...
    signature   = Sd/- | (R. NAME) | the signer's designation | Station: | Date:

An officer row always has a name and an employee code (unless that column
is missing from the report), written the ways offices write them: codes as
int, float (40123.0), text, padded text, "E-40123", "CHN/1234"; names built
from initials and given names ("K. Priya Dharshini", "Selvam R.", "SHRI S.
MOHAMMED IBRAHIM") with odd spacing; mobiles as int, float, "98765 43210",
"+91-9876543210", "09876543210"; e-mail addresses at example.gov.in,
example.nic.in or example.com in any case; statuses from English, Hindi and
Tamil vocabularies of completed, not completed and unclear, or a date of
completion. The rows are given as readers give them: blank rows present or
left out (the others keep their numbers), rows padded to the sheet's width
or with their trailing empty cells trimmed.

The truth: an officer is completed when its status says so; without a
status column every officer listed is (the format lists completed officers).
An unclear status is not completed and must be reported as a problem on its
row. A report missing a required column is not readable, and its reason names
that column's printed header.

Every name, code, number and address here is made up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, TypeVar

from hypothesis import strategies as st

from daemon.core.models import (
    OfficerRow,
    ParsedReport,
    RawRow,
    RawSheet,
    RawWorkbook,
    SkippedRow,
)

T = TypeVar("T")
Cell = str | int | float | bool | dt.date | None
Draw = st.DrawFn  # the draw function hypothesis gives an @st.composite
Sometimes = Literal["never", "sometimes", "always"]

# The printed headers of the required columns, as the circular prints them.
PRINTED_HEADERS = {"employee_code": "Employee Code", "name": "Name of the Officer"}


_PICKS: dict[tuple[Any, ...], st.SearchStrategy[Any]] = {}


def pick(values: tuple[T, ...]) -> st.SearchStrategy[T]:
    """One of the values; shrinks to the first. (Made once: building strategies is slow.)"""
    key = tuple((type(v), v) for v in values)  # 1, 1.0 and True are equal, and not the same
    if key not in _PICKS:
        _PICKS[key] = st.sampled_from(values)
    return _PICKS[key]


def weighted(*choices: tuple[T, int]) -> st.SearchStrategy[T]:
    """One of the values, each as often as its weight says; shrinks to the first."""
    return pick(tuple(value for value, weight in choices for _ in range(weight)))


# --- the vocabulary ------------------------------------------------------------------------


@dataclass(frozen=True)
class Wordings:
    """What offices write at the head of one kind of column, in each language."""

    en: tuple[str, ...]
    hi: tuple[str, ...] = ()
    ta: tuple[str, ...] = ()


HEADERS: dict[str, Wordings] = {
    "serial": Wordings(
        ("Sl. No", "S.No.", "Sl.No.", "Sr. No.", "Serial No.", "S. No", "Sl No.", "S.N."),
        ("क्रम सं.", "क्रमांक", "क्र.सं."),
        ("வரிசை எண்", "வ. எண்"),
    ),
    "employee_code": Wordings(
        (
            "Employee Code", "Emp. Code", "Emp Code", "Employee Code No.", "Employee ID",
            "Emp. ID", "HRMS ID", "HRMS Code", "Employee No.", "Staff Code", "Emp. No.",
            "Employee Code (HRMS)", "Code No.", "Employee ID No.",
        ),
        ("कर्मचारी कोड", "कर्मचारी संख्या", "कर्मचारी आईडी"),
        ("பணியாளர் குறியீடு", "பணியாளர் எண்"),
    ),
    "name": Wordings(
        (
            "Name of the Officer", "Name", "Name of Officer (in capitals)", "Officer's Name",
            "Officer Name", "Name of the Officer/Official", "Name of the Employee",
            "Full Name", "Name of the Officer\n(in BLOCK letters)", "Name (as per HRMS)",
        ),
        ("अधिकारी का नाम", "नाम", "कर्मचारी का नाम"),
        ("அலுவலர் பெயர்", "பெயர்", "அலுவலரின் பெயர்"),
    ),
    "designation": Wordings(
        (
            "Designation", "Designation/Post", "Desig.", "Post", "Rank", "Post held",
            "Designation of the Officer", "Present Designation", "Cadre",
        ),
        ("पदनाम", "पद"),
        ("பதவி", "பதவிப் பெயர்"),
    ),
    "mobile": Wordings(
        (
            "Contact No", "Mobile No. (WhatsApp)", "Mobile No.", "Mobile Number",
            "Contact Number", "Phone No.", "Cell No.", "Mob. No.", "Contact No. (Mobile)",
            "WhatsApp / Mobile No.", "Mobile No. registered in iGOT",
        ),
        ("मोबाइल नंबर", "संपर्क नंबर", "मोबाइल सं."),
        ("கைபேசி எண்", "தொடர்பு எண்", "அலைபேசி எண்"),
    ),
    "email": Wordings(
        (
            "Email ID", "E-mail ID (Official)", "E-mail", "Email Address", "Official Email ID",
            "Mail ID", "E-Mail Id", "Email ID (NIC)", "Gov e-mail ID",
            "E-mail address (gov.in / nic.in)",
        ),
        ("ई-मेल आईडी", "ईमेल", "ई-मेल पता"),
        ("மின்னஞ்சல்", "மின்னஞ்சல் முகவரி"),
    ),
    "remarks": Wordings(("Remarks", "Remark", "Remarks, if any"), ("टिप्पणी",), ("குறிப்பு",)),
    "division": Wordings(
        ("Division", "Name of the Division", "Division/Range"), ("प्रभाग",), ("கோட்டம்",)
    ),
    "office": Wordings(
        ("Office", "Name of the Office", "Office / Commissionerate"), ("कार्यालय",), ("அலுவலகம்",)
    ),
    "joining": Wordings(("Date of joining", "Date of Joining the Department", "DoJ"),),
    "level": Wordings(("Level of course", "Course Level"),),
}  # fmt: skip

STATUS_KNOWN_HEADERS = Wordings(
    (
        "Status", "Course Status", "Whether completed (Yes/No)", "Completion Status",
        "Completed (Yes/No)", "Status of Completion", "Whether Completed", "STATUS",
    ),
    ("स्थिति", "पाठ्यक्रम की स्थिति", "पूर्ण किया (हाँ/नहीं)"),
    ("நிலை", "பயிற்சி நிலை", "முடித்தவரா (ஆம்/இல்லை)"),
)  # fmt: skip
# Headers that name the course rather than say "status": the values say it is one.
STATUS_COURSE_HEADERS = Wordings(
    (
        "Level-1 Online Course on Emerging Technologies",
        "ET Course (Opportunities and Governance)",
        "Whether completed the Level-1 Online Course on Emerging Technologies",
        "Emerging Technologies: Opportunities and Governance (Level-1)",
        "Level-1 course on iGOT",
        "Course on Emerging Technologies - Level 1",
    ),
    ("उभरती प्रौद्योगिकियों पर पाठ्यक्रम (स्तर-1)",),
    ("வளர்ந்து வரும் தொழில்நுட்பங்கள் பயிற்சி",),
)  # fmt: skip

EXTRA_COLUMNS = ("remarks", "division", "office", "joining", "level")
BILINGUAL = ("{xx} / {en}", "{en} / {xx}", "{en} ({xx})", "{xx}\n{en}", "{en}\n{xx}", "{xx} ({en})")
GROUP_LABELS = (
    "Officer details", "Details of the Officer", "Particulars of the Officer",
    "अधिकारी का विवरण", "அலுவலர் விவரம்", "Officer details / अधिकारी का विवरण",
)  # fmt: skip

COMPLETED_WORDS = (
    "Completed", "completed", "COMPLETED", "Yes", "Y", "Done", "✓", "100%", "पूर्ण", "हाँ",
    "முடிந்தது", "ஆம்", "Completed ", "yes", "Course Completed", "✔",
)  # fmt: skip
NOT_COMPLETED_WORDS = (
    "Not completed", "Not Completed", "NOT COMPLETED", "No", "N", "Pending", "In progress",
    "✗", "0%", "50%", "अपूर्ण", "नहीं", "முடியவில்லை", "இல்லை", "no", "In Progress",
    "Incomplete", "Yet to complete", "Not yet completed", "Ongoing",
)  # fmt: skip
UNCLEAR_WORDS = ("Partly", "Will do", "?", "Registered", "Enrolled", "Applied", "See remarks")

INITIALS = (
    "R.", "K.", "S.", "M.", "P.", "V.", "A.", "N.", "G.", "T.", "J.", "B.", "D.", "L.", "C.",
    "E.", "H.", "S. M.", "K. R.", "A. K.",
)  # fmt: skip
GIVEN_NAMES = (
    "Selvam", "Priya", "Priya Dharshini", "Mohammed Ibrahim", "Lakshmi", "Arun Kumar",
    "Meenakshi Sundaram", "Karthikeyan", "Divya Bharathi", "Senthil Kumar", "Kavitha",
    "Rajesh", "Anitha", "Suresh Babu", "Revathi", "Vignesh", "Deepa", "Murugan",
    "Fathima Beevi", "Joseph Antony", "Ramesh Chand", "Sunita Devi", "Amit Kumar Singh",
    "Pooja Sharma", "Venkatesan", "Gurpreet Singh", "Abdul Rahman", "Mary Stella",
    "Balasubramanian", "Thenmozhi", "Kannan", "Jayanthi", "Saravanan", "Prakash Rao",
)  # fmt: skip
NAME_PREFIXES = ("Shri ", "Smt. ", "Dr. ", "Ms. ", "Sri ")
DESIGNATIONS = (
    "Inspector", "Superintendent", "Assistant Commissioner", "Tax Assistant", "Havildar",
    "Deputy Commissioner", "Joint Commissioner", "Senior Tax Assistant", "Stenographer Grade-I",
    "Executive Assistant", "Administrative Officer", "Lower Division Clerk",
    "Multi Tasking Staff", "Preventive Officer", "Examiner", "Appraiser", "Supdt.", "Inspr.",
    "निरीक्षक", "अधीक्षक", "ஆய்வாளர்",
)  # fmt: skip
EMAIL_DOMAINS = ("example.gov.in", "example.nic.in", "example.com")

UNITS = (
    "Chennai North", "Chennai South", "Chennai Outer", "Puducherry", "Coimbatore", "Salem",
    "Trichy", "Madurai",
)  # fmt: skip
TITLES = (
    "Report reg Completion of Course on Emerging Technologies",
    "GOVERNMENT OF INDIA",
    "भारत सरकार / Government of India",
    "O/o the Commissioner of GST & Central Excise, {unit} Commissionerate",
    "{unit} Commissionerate",
    "Details of officers who completed the Level-1 Online Course on Emerging Technologies",
    "Annexure-A",
    "Statement showing the officers who completed the course (as on 21.04.2023)",
    "केन्द्रीय माल और सेवा कर / Central GST, {unit}",
)
REFERENCE_LINE = ("C.No. II/39/12/2023-Admn", "Date: 21.04.2023")
SECTION_NAMES = (
    "Division I", "Division II", "Range - III", "Headquarters", "Audit Circle-II",
    "Preventive Unit", "प्रभाग-I / Division-I", "கோட்டம் II",
)  # fmt: skip
TOTAL_LABELS = (
    "Total No. of Officers", "Grand Total", "TOTAL", "कुल / Total", "மொத்தம்", "कुल योग",
    "Total number of officers",
)  # fmt: skip
SUBTOTAL_LABELS = ("Sub-Total", "Sub Total ({section})", "Total ({section})")
NOTES = (
    "*Note: Officers on deputation are not included.",
    "N.B. The list is as on 21.04.2023.",
    "Note:- Certificates of the officers are enclosed.",
    "* Officers transferred in after 01.04.2023.",
    "Certified that the above information is correct.",
    "नोट: प्रतिनियुक्ति पर गए अधिकारी शामिल नहीं हैं।",
    "குறிப்பு: விவரங்கள் 21.04.2023 நிலவரப்படி.",
)
SIGNERS = ("(R. GOPALSAMY)", "(K. MEENAKSHI SUNDARAM)", "(S. MOHAMMED IBRAHIM)", "(P. VENKATESAN)")
SIGNER_POSTS = (
    "Deputy Commissioner", "Assistant Commissioner (Admn)", "Deputy Commissioner (P&V)",
    "Joint Commissioner", "Superintendent (Admn)",
)  # fmt: skip
STATIONS = ("Station: Chennai", "Place: Coimbatore", "Station: Madurai", "Place: Puducherry")
SIGNED_DATES = ("Date: 21.04.2023", "Dated: 24/04/2023", "Date : 20-04-2023")
TABLE_SHEET_NAMES = (
    "Sheet1", "Division I", "Division II", "Report", "Format", "ET Course", "Chennai North",
    "Div-III", "Annexure", "Level-1",
)  # fmt: skip
COVER_SHEET_NAMES = ("Cover", "Covering Letter", "Instructions", "Index")
COVER_LETTER = (
    "Office of the Commissioner of GST & Central Excise, {unit}",
    "To",
    "The Principal Chief Commissioner, CGST Chennai Zone",
    "Sub: Report reg Completion of Course on Emerging Technologies - reg.",
    "Ref: Zone's letter C.No. II/39/12/2023-Admn dated 10.04.2023",
    "Please find enclosed the details of the officers division-wise.",
    "Name of the Officer compiling: B. Arun, Superintendent",
    "Yours faithfully,",
    "Sd/-",
    "Assistant Commissioner (Admn)",
)
COVER_INSTRUCTIONS = (
    ("Instructions for filling the format",),
    ("Column", "What to write"),
    ("Employee Code", "as in HRMS"),
    ("Name of the Officer", "in capitals"),
    ("Contact No", "10-digit mobile number"),
    ("Email ID", "official e-mail address"),
)
FILE_NAMES = ("Format.xlsx", "Chennai North.xlsx", "ET course report.xlsx", "Report_Level1.xlsx")


# Strategies used often, made once.
_COMPLETION_DAYS = st.dates(dt.date(2023, 3, 1), dt.date(2023, 4, 30))
_JOINING_DAYS = st.dates(dt.date(1995, 1, 1), dt.date(2022, 12, 31))
_THREE_FLAGS = st.lists(st.booleans(), min_size=3, max_size=3)
_EXTRAS = st.lists(pick(EXTRA_COLUMNS), unique=True, max_size=3)
_TITLE_LINES = st.lists(pick((*TITLES, REFERENCE_LINE)), max_size=4)
_SECTION_ORDER = st.permutations(SECTION_NAMES)
_NOTE_LINES = st.lists(pick(NOTES), max_size=2, unique=True)
_COVER_LINES = st.lists(pick(COVER_LETTER), min_size=1, max_size=8)
_NAME_DECORATION = weighted(
    ("as typed", 12), ("capitals", 3), ("title", 2), ("title, capitals", 1), ("double space", 1),
    ("line break", 1), ("nbsp", 1), ("padded", 1),
)  # fmt: skip
_NOT_GIVEN: dict[str, Cell] = {"empty": None, "NA": "NA", "Nil": "Nil"}
_MOBILE_FORM = weighted(
    ("int", 12), ("float", 4), ("text", 4), ("spaced", 4), ("+91-", 2), ("+91 ", 2), ("0", 2),
    ("empty", 1), ("NA", 1), ("Nil", 1),
)  # fmt: skip
_MOBILE_NUMBER = st.integers(6_000_000_000, 9_999_999_999)
_EMAIL_FORM = weighted(
    ("plain", 18), ("upper", 3), ("capitalised", 3), ("padded", 3), ("empty", 1), ("NA", 1)
)


@cache
def _permutation(size: int) -> st.SearchStrategy[list[int]]:
    return st.permutations(range(size))


@cache
def _sheet_names(count: int) -> st.SearchStrategy[list[str]]:
    return st.lists(pick(TABLE_SHEET_NAMES), min_size=count, max_size=count, unique=True)


# --- what is generated ---------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerTruth:
    """One officer row as a reader must give it, in normal form."""

    employee_code: str | None
    name: str | None
    designation: str | None
    mobile: str | None
    email: str | None
    completed: bool
    sheet: str
    row: int


@dataclass(frozen=True)
class Merge:
    """A merged range as the unit made it: the value is in its first cell.

    Rows are numbered as Excel shows them (from 1), columns from 0.
    """

    sheet: str
    first_row: int
    first_column: int
    last_row: int
    last_column: int


# What each row of a generated sheet is, for `GeneratedReport.render`.
RowKind = Literal["title", "header", "officer", "unclear", "junk", "blank", "cover"]


@dataclass(frozen=True, repr=False)
class GeneratedReport:
    """A generated workbook and the exact truth about every row of it."""

    workbook: RawWorkbook
    truth: tuple[OfficerTruth, ...]
    junk_rows: frozenset[tuple[str, int]]
    unknown_status_rows: frozenset[tuple[str, int]]
    missing_required: str | None  # the printed header of a required column left out
    header_rows: Mapping[str, tuple[int, ...]]  # the sheets with a table: their header rows
    merges: tuple[Merge, ...] = ()
    kinds: Mapping[tuple[str, int], RowKind] = field(default_factory=dict)
    summary: str = ""

    def __repr__(self) -> str:  # short: a failing test notes `render()`, which has the cells
        return f"GeneratedReport({self.workbook.file!r}: {self.summary})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how hypothesis prints it
        printer.text(repr(self))

    def render(self) -> str:
        """The workbook as text, a row a line, each marked with what it is."""
        lines = [f"{self.workbook.file}: {self.summary}"]
        for sheet in self.workbook.sheets:
            lines.append(f"sheet {sheet.name!r}:")
            for row in sheet.rows:
                kind = self.kinds.get((sheet.name, row.number), "?")
                cells = " | ".join("" if c is None else repr(c) for c in row.cells)
                lines.append(f"  {row.number:>3} {kind:<7} {cells}")
        for truth in self.truth:
            lines.append(f"  truth {_officer_text(truth)}")
        return "\n".join(lines)

    def header_text(self) -> list[str]:
        """Each table sheet's header rows as written, a line each."""
        rows = {(s.name, r.number): r.cells for s in self.workbook.sheets for r in s.rows}
        return [
            f"{sheet}!{number}: " + " | ".join("" if c is None else repr(c) for c in cells)
            for sheet, numbers in self.header_rows.items()
            for number in numbers
            if (cells := rows.get((sheet, number))) is not None
        ]


# --- normal forms, written here from the specification ---------------------------------------


def collapsed(text: str) -> str:
    """White space collapsed to single spaces, ends trimmed (NBSP and line breaks included)."""
    return " ".join(text.split())


# --- officers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Officer:
    """One officer: the cells as written, by column, and the officer in normal form."""

    cells: Mapping[str, Cell]
    employee_code: str | None
    name: str | None
    designation: str | None
    mobile: str | None
    email: str | None
    completed: bool
    unclear: bool


def _name(draw: Draw) -> tuple[str, str, str]:
    """An officer's name as written, its normal form, and an e-mail local part for it."""
    initial = draw(pick(INITIALS))
    given = draw(pick(GIVEN_NAMES))
    form = draw(weighted(("initial first", 6), ("initial last", 2), ("no initial", 1)))
    if form == "initial first" or (form == "no initial" and " " not in given):
        tokens = [initial, given]
    elif form == "initial last":
        tokens = [given, initial]
    else:
        tokens = [given]
    text = " ".join(tokens)
    # One way of writing it: as typed, in capitals, with a title, or with odd spacing.
    decoration = draw(_NAME_DECORATION)
    if decoration == "capitals":
        text = text.upper()
    elif decoration == "title":
        text = draw(pick(NAME_PREFIXES)) + text
    elif decoration == "title, capitals":
        text = (draw(pick(NAME_PREFIXES)) + text).upper()
    elif decoration == "double space":
        text = text.replace(" ", "  ", 1)
    elif decoration == "line break":
        text = text.replace(" ", "\n", 1)
    elif decoration == "nbsp":
        text = text.replace(" ", "\u00a0", 1)
    elif decoration == "padded":
        text = f" {text} "
    letter = initial[0].lower()
    first = given.split()[0].lower()
    local = (f"{first}.{letter}", f"{letter}.{first}", f"{letter}{first}")[draw(pick((0, 1, 2)))]
    return text, collapsed(text), local


def _code(draw: Draw, number: int, style: str) -> tuple[Cell, str]:
    """An employee code as written and as text in normal form."""
    if style == "E-":
        return f"E-{number}", f"E-{number}"
    if style == "CHN/":
        return f"CHN/{number}", f"CHN/{number}"
    written = draw(weighted(("int", 6), ("float", 2), ("text", 2), ("padded", 1)))
    if written == "float":
        return float(number), str(number)
    if written == "text":
        return str(number), str(number)
    if written == "padded":
        return f" {number} ", str(number)
    return number, str(number)


def _mobile(draw: Draw) -> tuple[Cell, str | None]:
    """A mobile number as written and in its 10-digit normal form (None when not given)."""
    form = draw(_MOBILE_FORM)
    if form in _NOT_GIVEN:
        return _NOT_GIVEN[form], None
    digits = str(draw(_MOBILE_NUMBER))
    forms: dict[str, Cell] = {
        "int": int(digits),
        "float": float(digits),
        "text": digits,
        "spaced": f"{digits[:5]} {digits[5:]}",
        "+91-": f"+91-{digits}",
        "+91 ": f"+91 {digits[:5]} {digits[5:]}",
        "0": f"0{digits}",
    }
    return forms[form], digits


def _email(draw: Draw, local: str) -> tuple[Cell, str | None]:
    """An e-mail address as written and in normal form (None when not given)."""
    form = draw(_EMAIL_FORM)
    if form in _NOT_GIVEN:
        return _NOT_GIVEN[form], None
    address = f"{local}@{draw(pick(EMAIL_DOMAINS))}"
    written = {
        "plain": address,
        "upper": address.upper(),
        "capitalised": ".".join(part.capitalize() for part in address.split(".")),
        "padded": f" {address} ",
    }[form]
    return written, address


@st.composite
def _date(draw: Draw, days: st.SearchStrategy[dt.date]) -> Cell:
    """A date as a unit types it: a date cell, or text in the Indian order."""
    day = draw(days)
    form = draw(weighted(("date", 3), ("datetime", 1), ("dotted", 1), ("slashed", 1)))
    if form == "datetime":
        return dt.datetime(day.year, day.month, day.day)
    if form == "dotted":
        return day.strftime("%d.%m.%Y")
    if form == "slashed":
        return day.strftime("%d/%m/%Y")
    return day


_COMPLETED_STATUS = st.one_of(pick(COMPLETED_WORDS), _date(_COMPLETION_DAYS))
_JOINING_DATE = _date(_JOINING_DAYS)


@st.composite
def _status(draw: Draw, kind: str) -> Cell:
    """A status cell saying completed, not completed, or something unclear."""
    if kind == "completed":
        return draw(_COMPLETED_STATUS)
    if kind == "not":
        return draw(pick(NOT_COMPLETED_WORDS))
    return draw(pick(UNCLEAR_WORDS))


_EXTRA_VALUES: dict[str, tuple[Cell, ...]] = {
    "remarks": (None, "-", "Nil", "On deputation to DGGI", "Transferred in on 03.04.2023", "HQ"),
    "division": ("Division I", "Division II", "Range III", "Hqrs", "Audit Circle-II"),
    "office": ("O/o the Commissioner, Chennai North", "GST Bhavan, Coimbatore", "Salem Division"),
    "level": ("Level-1", "L1", "Level 1", "Basic"),
}


@st.composite
def _officer(
    draw: Draw, columns: Sequence[str], number: int, code_style: str, serial: int, status: str
) -> _Officer:
    """One officer row's cells for the columns the sheet has, and its truth."""
    written_name, name, local = _name(draw)
    code, code_text = _code(draw, number, code_style)
    mobile, mobile_text = _mobile(draw)
    email, email_text = _email(draw, local)
    post = draw(pick(DESIGNATIONS))
    written_post: str | None = draw(
        weighted((post, 8), (post.upper(), 1), (f"{post} ", 1), (post.replace(" ", "\n", 1), 1),
                 (None, 1))
    )  # fmt: skip
    cells: dict[str, Cell] = {
        "employee_code": code,
        "name": written_name,
        "designation": written_post,
        "mobile": mobile,
        "email": email,
    }
    for column in columns:
        if column == "serial":
            forms: tuple[tuple[Cell, int], ...] = (
                (serial, 6),
                (f"{serial}.", 1),
                (float(serial), 1),
            )
            cells[column] = draw(weighted(*forms))
        elif column == "status":
            cells[column] = draw(_status(status))
        elif column == "joining":
            cells[column] = draw(_JOINING_DATE)
        elif column in _EXTRA_VALUES:
            cells[column] = draw(pick(_EXTRA_VALUES[column]))
    completed = status in ("none", "completed")
    return _Officer(
        cells={column: cells[column] for column in columns},
        employee_code=code_text if "employee_code" in columns else None,
        name=name if "name" in columns else None,
        designation=collapsed(written_post)
        if written_post is not None and "designation" in columns
        else None,
        mobile=mobile_text if "mobile" in columns else None,
        email=email_text if "email" in columns else None,
        completed=completed,
        unclear=status == "unclear",
    )


# --- headers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """A sheet's columns, in order, and where each is."""

    columns: tuple[str, ...]

    @property
    def width(self) -> int:
        return len(self.columns)

    def index(self, column: str) -> int | None:
        return self.columns.index(column) if column in self.columns else None

    def row(self, placed: Mapping[int, Cell]) -> list[Cell]:
        return [placed.get(i) for i in range(self.width)]


def _wordings(column: str, status_kind: str) -> Wordings:
    if column != "status":
        return HEADERS[column]
    return STATUS_KNOWN_HEADERS if status_kind == "known" else STATUS_COURSE_HEADERS


@st.composite
def _header_text(draw: Draw, column: str, language: str, status_kind: str) -> str:
    """A header for one column in one language: en, hi, ta, or bilingual (bi-hi, bi-ta)."""
    words = _wordings(column, status_kind)
    english = draw(pick(words.en))
    style = draw(weighted(("plain", 8), ("upper", 1), ("newline", 1), ("star", 1)))
    if style == "upper":
        english = english.upper()
    elif style == "newline":
        english = english.replace(" ", "\n", 1)
    elif style == "star":
        english = f"{english}*"
    other = words.hi if language.endswith("hi") else words.ta if language.endswith("ta") else ()
    if not other:
        return english
    local = draw(pick(other))
    if language.startswith("bi-"):
        return draw(pick(BILINGUAL)).format(xx=local, en=english)
    return local


@dataclass
class _Header:
    """The header rows of a sheet as written, and the merged ranges in them (row offsets)."""

    rows: list[list[Cell]]
    merges: list[tuple[int, int, int, int]]  # first row, first column, last row, last column
    style: str


@st.composite
def _header(draw: Draw, layout: _Layout, status_kind: str) -> _Header:
    style = draw(weighted(("one row", 5), ("two languages", 2), ("group", 2)))
    width = layout.width
    if style == "two languages":
        language = draw(pick(("hi", "ta")))
        upper: list[Cell] = []
        lower: list[Cell] = []
        merges = []
        for i, column in enumerate(layout.columns):
            english = draw(_header_text(column, "en", status_kind))
            if not getattr(_wordings(column, status_kind), language):
                upper.append(english)  # no wording in that language: written once, merged down
                lower.append(None)
                merges.append((0, i, 1, i))
            else:
                upper.append(draw(_header_text(column, language, status_kind)))
                lower.append(english)
        return _Header([upper, lower], merges, f"{language} over en")
    language = draw(weighted(("en", 6), ("hi", 1), ("ta", 1), ("bi-hi", 2), ("bi-ta", 1),
                             ("mixed", 2)))  # fmt: skip
    texts = []
    for column in layout.columns:
        lang = language
        if language == "mixed":
            lang = draw(pick(("en", "hi", "ta", "bi-hi", "bi-ta")))
        texts.append(draw(_header_text(column, lang, status_kind)))
    if style == "one row":
        return _Header([list(texts)], [], f"one row, {language}")
    # A group cell over a run of columns; the other columns' headers merged down.
    first = draw(st.integers(0, width - 2))
    last = draw(st.integers(first + 1, width - 1))
    label = draw(pick(GROUP_LABELS))
    filled = draw(st.booleans())  # merged cells read as the value repeated, or as empty
    top: list[Cell] = []
    bottom: list[Cell] = []
    merges = [(0, first, 0, last)]
    for i, text in enumerate(texts):
        if first <= i <= last:
            top.append(label if i == first or filled else None)
            bottom.append(text)
        else:
            top.append(text)
            bottom.append(text if filled else None)
            merges.append((0, i, 1, i))
    return _Header([top, bottom], merges, f"group {label!r} over columns {first + 1}-{last + 1}")


# --- sheets ----------------------------------------------------------------------------------


@dataclass
class _Line:
    """One row of a sheet being written."""

    cells: list[Cell]
    kind: RowKind
    officer: _Officer | None = None


@dataclass
class _Sheet:
    """A sheet being written: its rows, the merges in it, where the header is."""

    name: str
    lines: list[_Line]
    merges: list[tuple[int, int, int, int]]  # line indexes and columns
    header_lines: tuple[int, ...]
    summary: str


def _label_and_count(draw: Draw, layout: _Layout, label: str | None, count: int) -> list[Cell]:
    """A row with a label in the first column and the count in a column clerks count in."""
    avoid = {layout.index(c) for c in ("employee_code", "mobile", "email")}
    places = [i for i in range(layout.width) if i not in avoid and (label is None or i != 0)]
    if not places:
        places = [i for i in range(layout.width) if label is None or i != 0]
    at = draw(pick(tuple(places)))
    placed: dict[int, Cell] = {at: count}
    if label is not None:
        placed[0] = label
    return layout.row(placed)


@st.composite
def _total(draw: Draw, layout: _Layout, count: int) -> list[Cell]:
    """A total row, in one of the ways offices write one."""
    kind = draw(weighted(("officers", 2), ("colon", 2), ("labelled", 3), ("count only", 1),
                         ("sentence", 1)))  # fmt: skip
    if kind == "officers":
        return layout.row({0: "Total", 1: f"{count} officers"})
    if kind == "colon":
        at = draw(pick(tuple(sorted({0, layout.index("name") or 0}))))
        return layout.row({at: f"Total: {count}"})
    if kind == "sentence":
        return layout.row({0: f"Total number of officers completed the course: {count}"})
    label = draw(pick(TOTAL_LABELS)) if kind == "labelled" else None
    return _label_and_count(draw, layout, label, count)


@st.composite
def _subtotal(draw: Draw, layout: _Layout, section: str, count: int) -> list[Cell]:
    label = draw(pick(SUBTOTAL_LABELS)).format(section=section)
    return _label_and_count(draw, layout, label, count)


@st.composite
def _signature(draw: Draw, layout: _Layout) -> list[list[Cell]]:
    """The signature block: Sd/-, the signer's name and post, station and date."""
    wanted = {0, layout.width - 1, layout.width // 2}
    for column in ("name", "designation"):
        if (at := layout.index(column)) is not None:
            wanted.add(at)
    at = draw(pick(tuple(sorted(wanted))))
    lines = [
        draw(weighted(("Sd/-", 3), ("Signature", 1), ("Signature of the Head of Office", 1))),
        draw(pick(SIGNERS)),
        draw(pick(SIGNER_POSTS)),
    ]
    keep = draw(_THREE_FLAGS)
    rows = [layout.row({at: text}) for text, kept in zip(lines, keep, strict=True) if kept]
    station = draw(pick(STATIONS))
    signed = draw(pick(SIGNED_DATES))
    if draw(st.booleans()):
        rows.append(layout.row({0: station, layout.width - 1: signed}))
    else:
        rows.extend([layout.row({0: station}), layout.row({0: signed})])
    return rows


@st.composite
def _blank(draw: Draw, layout: _Layout) -> list[Cell]:
    at = draw(st.integers(0, layout.width - 1))
    return layout.row({at: draw(weighted((None, 4), (" ", 1), ("", 1)))})


@st.composite
def _table_sheet(
    draw: Draw,
    name: str,
    unit: str,
    first_code: int,
    missing: str | None,
    status: bool,
    unclear: bool,
) -> _Sheet:
    """One sheet holding a table of officers, with whatever a unit puts around it."""
    # The columns.
    columns = [c for c in ("serial", "employee_code", "name") if c != missing]
    if missing or draw(weighted((True, 9), (False, 1))):
        columns.append("designation")
    for column in ("mobile", "email"):
        if missing or draw(weighted((True, 4), (False, 1))):
            columns.append(column)
    if "serial" in columns and not draw(weighted((True, 6), (False, 1))):
        columns.remove("serial")
    if status:
        columns.append("status")
    columns += draw(_EXTRAS)
    layout = _Layout(tuple(columns[i] for i in draw(_permutation(len(columns)))))
    status_kind = draw(weighted(("known", 1), ("course", 1)))
    header = draw(_header(layout, status_kind))

    lines: list[_Line] = []
    merges: list[tuple[int, int, int, int]] = []

    def add(cells: list[Cell], kind: RowKind, officer: _Officer | None = None) -> None:
        lines.append(_Line(cells, kind, officer))

    # Title and letter-head.
    for title in draw(_TITLE_LINES):
        if not isinstance(title, str):  # the file number left, the date right
            add(layout.row({0: title[0], layout.width - 1: title[1]}), "title")
            continue
        text = title.format(unit=unit)
        place = draw(weighted(("first", 2), ("merged, repeated", 2), ("merged", 1), ("centre", 1)))
        if place == "centre":
            add(layout.row({layout.width // 2: text}), "title")
        elif place == "first":
            add(layout.row({0: text}), "title")
        else:
            repeated = place == "merged, repeated"
            add([text if i == 0 or repeated else None for i in range(layout.width)], "title")
            merges.append((len(lines) - 1, 0, len(lines) - 1, layout.width - 1))
    blank_below_title = draw(st.booleans())
    if lines and blank_below_title:
        add(draw(_blank(layout)), "blank")

    # The header.
    start = len(lines)
    for cells in header.rows:
        add(list(cells), "header")
    merges += [(start + r0, c0, start + r1, c1) for r0, c0, r1, c1 in header.merges]
    header_lines = tuple(range(start, len(lines)))

    def repeat_header() -> None:
        for cells in header.rows:
            add(list(cells), "junk")

    if draw(weighted((False, 6), (True, 1))):
        numbers = draw(pick(("({})", "{}")))
        add([numbers.format(i + 1) if "(" in numbers else i + 1 for i in range(layout.width)],
            "junk")  # fmt: skip

    # The officers, in sections.
    count = draw(st.integers(1, 6))
    statuses = ["none"] * count
    if status:
        statuses = [
            draw(weighted(("completed", 4), ("not", 3), ("unclear", 1))) for _ in range(count)
        ]
        if unclear and "unclear" not in statuses:
            statuses[draw(st.integers(0, count - 1))] = "unclear"
    code_style = draw(weighted(("number", 6), ("E-", 1), ("CHN/", 1)))
    step = draw(st.integers(1, 9))
    headings = draw(weighted((False, 3), (True, 1)))
    subtotals = draw(weighted((False, 3), (True, 1)))
    restart_serials = draw(st.booleans())
    section_names = iter(draw(_SECTION_ORDER))
    section: list[_Officer] = []
    section_name = next(section_names)
    serial = 0

    def open_section() -> None:
        if headings:
            heading = draw(pick(("first", "merged, repeated", "name column")))
            at = (layout.index("name") or 0) if heading == "name column" else 0
            repeated = heading == "merged, repeated"
            add(
                [section_name if i == at or repeated else None for i in range(layout.width)],
                "junk",
            )
            if heading != "name column":
                merges.append((len(lines) - 1, 0, len(lines) - 1, layout.width - 1))

    def close_section() -> None:
        if subtotals and section:
            add(draw(_subtotal(layout, section_name, len(section))), "junk")

    open_section()
    for index in range(count):
        if index:
            if (headings or subtotals) and draw(weighted((False, 3), (True, 1))):
                close_section()
                section, section_name = [], next(section_names)
                if restart_serials:
                    serial = 0
                if draw(weighted((False, 3), (True, 1))):
                    add(draw(_blank(layout)), "blank")
                open_section()
            else:
                gap = draw(weighted(("none", 10), ("blank", 2), ("header", 1)))
                if gap == "blank":
                    for _ in range(draw(st.integers(1, 2))):
                        add(draw(_blank(layout)), "blank")
                elif gap == "header":
                    repeat_header()
        serial += 1
        officer = draw(
            _officer(layout.columns, first_code + index * step, code_style, serial, statuses[index])
        )
        section.append(officer)
        add(layout.row({i: officer.cells[c] for i, c in enumerate(layout.columns)}),
            "unclear" if officer.unclear else "officer", officer)  # fmt: skip
    close_section()

    # What comes below the table.
    for _ in range(draw(weighted((0, 2), (1, 3), (2, 1)))):
        add(draw(_total(layout, count)), "junk")
    for _ in range(draw(st.integers(0, 2))):
        add(draw(_blank(layout)), "blank")
    for note in draw(_NOTE_LINES):
        if draw(st.booleans()):
            add([note] + [None] * (layout.width - 1), "junk")
        else:
            add([note] * layout.width, "junk")
            merges.append((len(lines) - 1, 0, len(lines) - 1, layout.width - 1))
    if draw(st.booleans()):
        if draw(st.booleans()):
            add(draw(_blank(layout)), "blank")
        for cells in draw(_signature(layout)):
            add(cells, "junk")

    summary = f"{header.style}; columns {', '.join(layout.columns)}"
    if status:
        summary += f"; status header {status_kind}"
    return _Sheet(name, lines, merges, header_lines, summary)


@st.composite
def _cover_sheet(draw: Draw, name: str, unit: str) -> _Sheet:
    """A covering letter or an instructions list: a sheet with no table of officers."""
    if draw(st.booleans()):
        texts = draw(_COVER_LINES)
        lines = [_Line([t.format(unit=unit)], "cover") for t in texts]
    else:
        count = draw(st.integers(1, len(COVER_INSTRUCTIONS)))
        lines = [_Line(list(cells), "cover") for cells in COVER_INSTRUCTIONS[:count]]
    return _Sheet(name, lines, [], (), "no table")


@st.composite
def unit_reports(
    draw: Draw,
    *,
    max_sheets: int = 3,
    cover: bool = True,
    missing: Sometimes = "sometimes",
    status: Sometimes = "sometimes",
    unclear: bool = False,
) -> GeneratedReport:
    """A unit's report: its workbook, and the exact truth about it.

    `max_sheets` bounds the sheets (a .csv file has one); `cover` allows a sheet
    without a table; `missing` says whether a required column is left out;
    `status` whether the report has a status column; `unclear` makes at least
    one status on the first table sheet unclear.
    """
    left_out: str | None = None
    if missing == "always" or (missing == "sometimes" and draw(weighted((False, 6), (True, 1)))):
        left_out = draw(pick(("employee_code", "name")))
    with_status = status == "always" or (status == "sometimes" and draw(st.booleans()))
    unclear = unclear and with_status
    has_cover = cover and max_sheets > 1 and draw(weighted((False, 3), (True, 1)))
    tables = draw(weighted(*((n, 2 ** (3 - n)) for n in range(1, max_sheets + 1 - has_cover))))
    names = draw(_sheet_names(tables))
    unit = draw(pick(UNITS))
    code = draw(st.integers(1000, 89_999))
    sheets: list[_Sheet] = []
    for index, name in enumerate(names):
        sheets.append(
            draw(_table_sheet(name, unit, code, left_out, with_status, unclear and index == 0))
        )
        code += 100  # the next sheet's officers have other codes
    if has_cover:
        sheet = draw(_cover_sheet(draw(pick(COVER_SHEET_NAMES)), unit))
        sheets.insert(0 if draw(st.booleans()) else len(sheets), sheet)
    return _assemble(
        draw,
        draw(pick(FILE_NAMES)),
        sheets,
        PRINTED_HEADERS[left_out] if left_out else None,
    )


def _assemble(
    draw: Draw, file: str, sheets: Sequence[_Sheet], missing: str | None
) -> GeneratedReport:
    """The sheets numbered as Excel shows them, and the truth about each row."""
    raw_sheets = []
    truth: list[OfficerTruth] = []
    junk: set[tuple[str, int]] = set()
    unclear: set[tuple[str, int]] = set()
    kinds: dict[tuple[str, int], RowKind] = {}
    merges: list[Merge] = []
    header_rows: dict[str, tuple[int, ...]] = {}
    for sheet in sheets:
        # Some readers leave blank rows out (rows keep their numbers); some trim each row.
        blank_rows_kept = draw(weighted((True, 3), (False, 1)))
        trimmed = draw(weighted((False, 3), (True, 1)))
        rows = []
        for number, line in enumerate(sheet.lines, start=1):
            blank = all(c is None or (isinstance(c, str) and not c.strip()) for c in line.cells)
            if blank and not blank_rows_kept:
                continue
            cells = list(line.cells)
            while trimmed and cells and cells[-1] is None:
                cells.pop()
            rows.append(RawRow(number, tuple(cells)))
            key = (sheet.name, number)
            kinds[key] = line.kind
            officer = line.officer
            if officer is None:
                junk.add(key)
                continue
            if officer.unclear:
                unclear.add(key)
            if missing is None:
                truth.append(
                    OfficerTruth(
                        officer.employee_code,
                        officer.name,
                        officer.designation,
                        officer.mobile,
                        officer.email,
                        officer.completed,
                        sheet.name,
                        number,
                    )
                )
        raw_sheets.append(RawSheet(sheet.name, tuple(rows)))
        merges += [Merge(sheet.name, r0 + 1, c0, r1 + 1, c1) for r0, c0, r1, c1 in sheet.merges]
        if sheet.header_lines:
            header_rows[sheet.name] = tuple(i + 1 for i in sheet.header_lines)
    summary = "; ".join(f"{s.name!r}: {s.summary}" for s in sheets)
    if missing:
        summary += f"; no {missing!r} column"
    return GeneratedReport(
        workbook=RawWorkbook(file, tuple(raw_sheets)),
        truth=tuple(truth),
        junk_rows=frozenset(junk),
        unknown_status_rows=frozenset(unclear) if missing is None else frozenset(),
        missing_required=missing,
        header_rows=header_rows,
        merges=tuple(merges),
        kinds=kinds,
        summary=summary,
    )


# --- judging a reading -----------------------------------------------------------------------

OfficerKey = tuple[str | None, str | None, str | None, str | None, str | None, bool, str, int]


def officer_key(row: OfficerRow | OfficerTruth) -> OfficerKey:
    """What must match exactly: code, name, designation, mobile, e-mail, completed, where."""
    return (
        row.employee_code,
        row.name,
        row.designation,
        row.mobile,
        row.email,
        row.completed,
        row.sheet,
        row.row,
    )


def _officer_text(row: OfficerRow | OfficerTruth) -> str:
    code, name, designation, mobile, email, completed, sheet, number = officer_key(row)
    return (
        f"{sheet}!{number}: code={code!r} name={name!r} designation={designation!r}"
        f" mobile={mobile!r} email={email!r} completed={completed}"
    )


@dataclass(frozen=True)
class Reading:
    """How what a reader made of a generated report compares with its truth."""

    missed: tuple[OfficerTruth, ...]  # officers not read exactly (or not at all)
    extra: tuple[OfficerRow, ...]  # rows read that are not an officer exactly as the truth says
    false_completed: tuple[OfficerRow, ...]  # officers counted completed whose status says not
    junk_read: tuple[OfficerRow, ...]  # rows that are no officer, read as one
    unclear_unflagged: tuple[tuple[str, int], ...]  # unclear statuses with no problem on the row
    refusal: str | None  # what is wrong about readable/reason, if anything

    @property
    def exact(self) -> bool:
        return not (
            self.missed
            or self.extra
            or self.false_completed
            or self.junk_read
            or self.unclear_unflagged
            or self.refusal
        )

    def officer_differences(self) -> str:
        """The officers missed and the rows read wrongly, a line each."""
        lines = [f"expected {_officer_text(t)}" for t in self.missed]
        lines += [f"read     {_officer_text(r)}" for r in self.extra]
        return "\n".join(lines)

    def problems(self, limit: int = 3) -> list[str]:
        """What went wrong, a line each, most serious first."""
        found = []
        if self.refusal:
            found.append(self.refusal)
        found += [f"counted completed: {_officer_text(r)}" for r in self.false_completed]
        found += [f"junk read as an officer: {_officer_text(r)}" for r in self.junk_read]
        found += [f"unclear status, no problem: {s}!{r}" for s, r in self.unclear_unflagged]
        missed = {(t.sheet, t.row): t for t in self.missed}
        for row in self.extra:
            truth = missed.pop((row.sheet, row.row), None)
            if truth is not None:
                found.append(f"expected {_officer_text(truth)}\n      read {_officer_text(row)}")
        found += [f"not read: {_officer_text(t)}" for t in missed.values()]
        return found[:limit]


def compare(gen: GeneratedReport, report: ParsedReport) -> Reading:
    """What `report`, a reading of `gen.workbook`, got wrong."""
    truth = {officer_key(t): t for t in gen.truth}
    by_place = {(t.sheet, t.row): t for t in gen.truth}
    read = {officer_key(r): r for r in report.rows}
    refusal = None
    if gen.missing_required is not None:
        if report.readable:
            refusal = f"read although the {gen.missing_required!r} column is missing"
        elif gen.missing_required not in (report.reason or ""):
            refusal = f"the reason {report.reason!r} does not name {gen.missing_required!r}"
        elif report.rows:
            refusal = f"unreadable, yet {len(report.rows)} officer rows were given"
    elif not report.readable:
        refusal = f"unreadable: {report.reason}"
    flagged = {(p.sheet, p.row) for p in report.problems}
    return Reading(
        missed=tuple(t for k, t in truth.items() if k not in read),
        extra=tuple(r for k, r in read.items() if k not in truth),
        false_completed=tuple(
            r
            for r in report.rows
            if r.completed and (t := by_place.get((r.sheet, r.row))) is not None and not t.completed
        ),
        junk_read=tuple(r for r in report.rows if (r.sheet, r.row) in gen.junk_rows),
        unclear_unflagged=tuple(sorted(gen.unknown_status_rows - flagged)),
        refusal=refusal,
    )


def unlisted_junk(gen: GeneratedReport, skipped: Iterable[SkippedRow]) -> list[tuple[str, int]]:
    """Junk rows below a header that no `SkippedRow(sheet, row, last_row, reason)` covers."""
    spans = [(s.sheet, s.row, s.last_row) for s in skipped]
    return sorted(
        (sheet, row)
        for sheet, row in gen.junk_rows
        if sheet in gen.header_rows
        and row > max(gen.header_rows[sheet])
        and not any(s == sheet and first <= row <= last for s, first, last in spans)
    )
