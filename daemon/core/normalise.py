"""Normal forms of the values units write into report cells.

Every function here takes a cell value exactly as the spreadsheet reader
gives it (text, an int, a float, a bool, a date or nothing) and returns the
normal form the rest of anupalan compares, stores and reports, or says what
is wrong with it in words a clerk can act on. Nothing here does I/O.

A missing value is never a problem at this level: whether a column may be
empty is the report mapper's decision.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from decimal import Decimal

MOBILE_DIGITS_MESSAGE = "a mobile number has 10 digits"
MOBILE_START_MESSAGE = "a mobile number starts with 6, 7, 8 or 9"
MOBILE_NOT_A_NUMBER_MESSAGE = "this is not a mobile number; write the 10-digit number"
EMAIL_MESSAGE = "this is not a valid email address"

# What offices write in a cell to mean "nothing to report here".
_PLACEHOLDERS = frozenset({"", "na", "n a", "nil", "none", "null", "not available", "nan"})

# Characters that are never part of a value but turn up in pasted text.
_INVISIBLE = {0x200B: None, 0xFEFF: None, 0x00AD: None}

# Anything but a letter, a digit or a vowel sign: Python counts the vowel signs and
# viramas of Indian scripts (U+0900-U+0DFF, dandas excepted) as punctuation, and
# would break "कर्मचारी" into pieces.
_HEADER_PUNCTUATION = re.compile(r"(?:[^\w\u0900-\u0963\u0966-\u0DFF]|_)+")


def normalise_header(text: object) -> str:
    """A column header reduced to lower-case words, for matching headers as written.

    Line breaks, punctuation and runs of white space all become one space, so
    "Emp.\\nCode" gives "emp code", "E-mail ID" gives "e mail id" and
    "Sl. No." gives "sl no".
    """
    if text is None:
        return ""
    return _normalised(text if type(text) is str else str(text))


@functools.lru_cache(maxsize=8192)
def _normalised(text: str) -> str:
    # Every test of a report's row reads its cells normalised (is it the header again,
    # a total, a placeholder, the same officer as another row): each cell is reduced once.
    return _HEADER_PUNCTUATION.sub(" ", text.lower()).strip()


_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def header_without_notes(text: object) -> str:
    """A header with its bracketed notes removed, normalised as by `normalise_header`.

    "Name of the Officer (in capitals)" gives "name of the officer",
    "Contact No. (Mobile)" gives "contact no", and a note within a note goes
    with it: "नाम (Name (as per HRMS))" gives "नाम".
    """
    if text is None:
        return ""
    text = str(text)
    while "(" in text or "[" in text:
        bare = _BRACKETED.sub(" ", text)
        if bare == text:
            break
        text = bare
    return normalise_header(text)


def cell_text(value: object) -> str | None:
    """A cell value as a person sees it in the sheet, white space collapsed; None when empty.

    Whole numbers lose their ".0" and are never written in scientific
    notation; TRUE/FALSE are written the way Excel shows them; a date without
    a time is written as YYYY-MM-DD.
    """
    if value is None:
        return None
    if type(value) is str and _is_collapsed(value):
        return value or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value) or None
    if isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    return _collapse(text) or None


def employee_code(value: object) -> str | None:
    """The employee code as written, stripped; a number loses its ".0"; None when empty.

    Text such as "40123.0" is a whole number that went through a program that
    wrote it as a float, and loses its ".0" too. Placeholders such as "NA",
    "Nil" or "-" count as empty, so that officers without a code are
    reported as missing one rather than as sharing the code "NA".
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # digits are never a placeholder, and have no ".0" to lose
    text = cell_text(value)
    if text is None or _is_placeholder(text):
        return None
    if _WHOLE_NUMBER_AS_FLOAT.match(text):  # "40123.0", from a program that wrote a float
        return text.partition(".")[0]
    return text


_WHOLE_NUMBER_AS_FLOAT = re.compile(r"^\d+\.0+$")


def name(value: object) -> str | None:
    """The officer's name with its white space collapsed and its case kept; None when empty."""
    return cell_text(value)


def designation(value: object) -> str | None:
    """The designation with its white space collapsed and its case kept; None when empty."""
    return cell_text(value)


@dataclass(frozen=True)
class MobileResult:
    """A mobile number in normal form, or what is wrong with the value; both None when empty."""

    number: str | None
    problem: str | None = None


_MOBILE_SEPARATORS = re.compile(r"[\s\-.()\[\]+]+")
_MOBILE_LABEL = re.compile(
    r"^(?:mob(?:ile)?|ph(?:one)?|cell|tel|contact|m|p)\s*(?:no|number)?\s*[.:\-]*\s*",
    re.IGNORECASE,
)
_MOBILE_NOTE = re.compile(r"\([^()\d]*\)")  # "(O)", "(Personal)", "(WhatsApp)"
_MOBILE_ALTERNATIVES = re.compile(r"\s*(?:[,;/&\n]|\bor\b)\s*", re.IGNORECASE)
_DECIMAL_NUMBER = re.compile(r"^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def mobile(value: object) -> MobileResult:
    """The 10-digit Indian mobile number in a cell.

    Accepts numbers (including floats such as 9876543210.0 or 9.87654321E9)
    and text with spaces, dashes, dots or brackets, a leading +91, 91 or 0, and
    a note such as "(O)". Where a cell holds several numbers ("98765 43210 /
    94430 12345", or one per line) the first valid one is taken. An empty
    cell gives no number and no problem.
    """
    if value is None or isinstance(value, bool):
        return MobileResult(None, None if value is None else MOBILE_NOT_A_NUMBER_MESSAGE)
    if isinstance(value, int):
        return _mobile_from_digits(str(abs(value)))
    if isinstance(value, float):
        if not math.isfinite(value):
            return MobileResult(None, None)
        if not value.is_integer():
            return MobileResult(None, MOBILE_DIGITS_MESSAGE)
        return _mobile_from_digits(str(abs(int(value))))
    text = cell_text(value)
    if text is None or _is_placeholder(text):
        return MobileResult(None, None)
    # Split before white space is collapsed: a line break inside the cell
    # (Alt+Enter) separates two numbers as a slash or a comma does.
    parts = [p for part in _MOBILE_ALTERNATIVES.split(str(value)) if (p := cell_text(part))]
    results = [_mobile_from_text(part) for part in parts]
    if not results:
        return MobileResult(None, None)
    found = next((r for r in results if r.number is not None), None)
    if found is None and len(parts) > 1:
        whole = _mobile_from_text(text)  # "98765\n43210": one number broken over two lines
        found = whole if whole.number is not None else None
    return found or results[0]


def _mobile_from_text(text: str) -> MobileResult:
    text = _MOBILE_NOTE.sub(" ", text)
    text = _MOBILE_LABEL.sub("", text.strip(), count=1).strip()
    digits = _MOBILE_SEPARATORS.sub("", text)
    as_written = (
        _mobile_from_digits(digits)
        if digits.isdigit() and digits.isascii()
        else MobileResult(None, MOBILE_NOT_A_NUMBER_MESSAGE)
    )
    if as_written.number is not None or not _DECIMAL_NUMBER.match(text):
        return as_written
    # Text such as "9876543210.0" or "9.87654321E9" is a number that went
    # through a program that wrote it as a float.
    number = Decimal(text)
    if number.adjusted() > 20 or number != number.to_integral_value():
        return MobileResult(None, MOBILE_DIGITS_MESSAGE)
    return _mobile_from_digits(str(int(number)))


def _mobile_from_digits(digits: str) -> MobileResult:
    while len(digits) > 10:
        if digits.startswith("0"):
            digits = digits[1:]
        elif digits.startswith("91") and len(digits) >= 12:
            digits = digits[2:]
        else:
            break
    if len(digits) != 10:
        return MobileResult(None, MOBILE_DIGITS_MESSAGE)
    if digits[0] not in "6789":
        return MobileResult(None, MOBILE_START_MESSAGE)
    return MobileResult(digits, None)


@dataclass(frozen=True)
class EmailResult:
    """An email address in normal form, or what is wrong with the value; both None when empty."""

    address: str | None
    problem: str | None = None

    @property
    def government(self) -> bool:
        """Whether the address is on gov.in or nic.in (False when there is no address)."""
        return self.address is not None and is_government_email(self.address)


_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_EMAIL_OBFUSCATION = (
    (re.compile(r"\s*[\[(]\s*at\s*[\])]\s*"), "@"),
    (re.compile(r"\s*[\[(]\s*dot\s*[\])]\s*"), "."),
)
_EMAIL_ALTERNATIVES = re.compile(r"[,;/\s]+")
_EMAIL_IN_BRACKETS = re.compile(r"<([^<>@]+@[^<>]+)>")


def email(value: object) -> EmailResult:
    """The email address in a cell: lower-case, trimmed, without "mailto:" or inner spaces.

    Addresses written the way government web pages print them
    ("r.selvam[at]gov[dot]in") are accepted. Where a cell holds several
    addresses ("a@example.gov.in; b@gmail.example.com") the first government (gov.in or
    nic.in) address is taken, else the first valid one. An empty cell gives
    no address and no problem.
    """
    text = cell_text(value)
    if text is None:
        return EmailResult(None, None)
    text = text.lower()
    if _EMAIL.match(text):
        return EmailResult(text, None)  # a plain address, as most cells hold: nothing to clean
    if _is_placeholder(text):
        return EmailResult(None, None)
    # Each step below runs only where the characters it looks for are in the text;
    # in most addresses they are not, and a large report has thousands of addresses.
    if "[" in text or "(" in text:
        for pattern, replacement in _EMAIL_OBFUSCATION:
            text = pattern.sub(replacement, text)
    if "<" in text:
        bracketed = _EMAIL_IN_BRACKETS.findall(text)
        if len(bracketed) == 1:  # "R. Selvam <r.selvam@example.gov.in>"
            text = bracketed[0]
    candidates = [_clean_address(text)]
    if text.count("@") > 1:
        parts = [p for p in _EMAIL_ALTERNATIVES.split(text) if p]
        if sum("@" in p for p in parts) > 1:
            candidates = [_clean_address(p) for p in parts if "@" in p]
    valid = [candidate for candidate in candidates if _EMAIL.match(candidate)]
    if not valid:
        return EmailResult(None, EMAIL_MESSAGE)
    for address in valid:
        if is_government_email(address):
            return EmailResult(address, None)
    return EmailResult(valid[0], None)


def _clean_address(text: str) -> str:
    text = "".join(text.split())
    text = text.removeprefix("mailto:")
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    return text.rstrip(".,;:")


_GOVERNMENT_DOMAINS = ("gov.in", "nic.in")
_GOVERNMENT_SUBDOMAINS = tuple("." + domain for domain in _GOVERNMENT_DOMAINS)


def is_government_email(address: str) -> bool:
    """Whether the address is on gov.in or nic.in or a subdomain of either."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    return domain in _GOVERNMENT_DOMAINS or domain.endswith(_GOVERNMENT_SUBDOMAINS)


_COMPLETED = frozenset(
    {
        "completed",
        "complete",
        "yes",
        "y",
        "done",
        "true",
        "course completed",
        "completed successfully",
        "successfully completed",
        "yes completed",
        "completed yes",
        "cmpltd",
        "compltd",
        "completd",
        "passed",
        # Hindi: "complete", "completed", "yes"
        "पूर्ण",
        "पूरा",
        "पूर्ण किया",
        "पूरा किया",
        "पूर्ण हुआ",
        "संपन्न",
        "हाँ",
        "हां",
        "हा",
        "जी हाँ",
        "जी हां",
        # Tamil: "completed", "yes"
        "முடிந்தது",
        "முடித்தார்",
        "முடித்துவிட்டார்",
        "முடிக்கப்பட்டது",
        "நிறைவு",
        "நிறைவடைந்தது",
        "ஆம்",
    }
)
_NOT_COMPLETED = frozenset(
    {
        "not completed",
        "not complete",
        "incomplete",
        "no",
        "n",
        "false",
        "pending",
        "not done",
        "in progress",
        "under progress",
        "ongoing",
        "not started",
        "not yet completed",
        "yet to complete",
        "yet to be completed",
        "not yet",
        "awaited",
        "no not completed",
        "not completed no",
        "failed",
        # Hindi: "incomplete", "no", "pending", "not completed", "in progress"
        "अपूर्ण",
        "अधूरा",
        "नहीं",
        "नही",
        "जी नहीं",
        "लंबित",
        "पूर्ण नहीं",
        "पूरा नहीं",
        "पूर्ण नहीं किया",
        "प्रगति में",
        "जारी",
        # Tamil: "not completed", "no", "pending", "in progress"
        "முடியவில்லை",
        "முடிக்கவில்லை",
        "முடிக்கப்படவில்லை",
        "இல்லை",
        "நிலுவை",
        "நிலுவையில்",
        "நடைபெறுகிறது",
    }
)
_TICKS = frozenset("✓✔☑√")
_CROSSES = frozenset("✗✘☒×")
_PERCENT = re.compile(r"^(\d{1,3}(?:\.\d+)?)\s*%$")
# "Completed on 21.04.2023", "Completed dt. 21/04/23": the date adds nothing to the status.
_TRAILING_DATE = re.compile(
    r"(?:\s(?:on|dt|dated|date))?"
    r"\s(?:\d{1,2}\s(?:\d{1,2}|[a-z]{3,9})(?:\s\d{2,4})?|\d{4}\s\d{1,2}\s\d{1,2})$"
)
# "पूर्ण / Completed": the same status in two languages.
_BILINGUAL = re.compile(r"\s*[/|\n]\s*")


def completion_status(value: object) -> bool | None:
    """Whether a status cell says the course was completed; None when empty or unclear.

    "Completed", "Yes", "Y", "Done", "100%", a tick and their Hindi and Tamil
    words (पूर्ण, हाँ, முடிந்தது, ஆம்) mean completed; "Not completed", "No",
    "N", "Pending", "In progress", a percentage below 100, a cross and their
    Hindi and Tamil words (अपूर्ण, नहीं, முடியவில்லை, இல்லை) mean not. A note in
    brackets or a date after the word ("Completed on 21.04.2023", "Completed
    on 12/4") changes nothing, nor the same word in two languages ("पूर्ण /
    Completed"). Anything else is unclear: never taken as completed.
    """
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text is None:
        return None
    if text in _TICKS:
        return True
    if text in _CROSSES:
        return False
    if percent := _PERCENT.match(text):
        return float(percent.group(1)) >= 100
    said = _status_words(text)
    if said is None and _BILINGUAL.search(text):
        meanings = {_status_words(part) for part in _BILINGUAL.split(text) if part.strip()}
        if len(meanings) == 1:
            said = meanings.pop()  # every part says the same; "Yes/No" says nothing
    return said


def _status_words(text: str) -> bool | None:
    words = normalise_header(text)
    if "(" in text or "[" in text:
        words = header_without_notes(text) or words
    for candidate in (words, _TRAILING_DATE.sub("", words)):
        if candidate in _COMPLETED:
            return True
        if candidate in _NOT_COMPLETED:
            return False
    return None


DATE_MESSAGE = "this is not a date; write the date of completion as DD.MM.YYYY"

# Excel counts days from 30 December 1899. Serial numbers outside this century
# are not dates anyone completed a course on, so they are taken as mistakes.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_FIRST_SERIAL = (dt.date(2000, 1, 1) - _EXCEL_EPOCH).days
_LAST_SERIAL = (dt.date(2099, 12, 31) - _EXCEL_EPOCH).days

_MONTHS = {
    word: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for word in names
}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s*[./\-]\s*(\d{1,2})\s*[./\-]\s*(\d{4}|\d{2})$")
_YEAR_MONTH_DAY = re.compile(
    r"^(\d{4})[./\-](\d{1,2})[./\-](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_DAY_NAME_YEAR = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?[\s.,\-/]*([a-z]{3,9})[\s.,\-/]*(\d{4}|\d{2})$"
)
_NAME_DAY_YEAR = re.compile(r"^([a-z]{3,9})[\s.\-]*(\d{1,2})(?:st|nd|rd|th)?[\s,.\-]*(\d{4})$")


@dataclass(frozen=True)
class DateResult:
    """A date in a cell, or what is wrong with the value; both None when empty."""

    date: dt.date | None
    problem: str | None = None


def completion_date(value: object) -> DateResult:
    """The date a date cell holds.

    Accepts dates, Excel serial numbers (45040 is 24 April 2023), and text as
    Indian offices write dates: day first ("21.04.2023", "21/4/23",
    "21-Apr-2023", "21st April, 2023"), or year first ("2023-04-21").
    Nothing here knows today's date, so a date in the future is still a date.
    """
    if value is None:
        return DateResult(None, None)
    if isinstance(value, dt.datetime):
        return DateResult(value.date(), None)
    if isinstance(value, dt.date):
        return DateResult(value, None)
    if isinstance(value, bool):
        return DateResult(None, DATE_MESSAGE)
    if isinstance(value, int | float):
        return _date_from_serial(float(value))
    text = cell_text(value)
    if text is None or _is_placeholder(text):
        return DateResult(None, None)
    if _DECIMAL_NUMBER.match(text):
        return _date_from_serial(float(text))
    return _date_from_text(text.lower())


def _date_from_serial(serial: float) -> DateResult:
    if not math.isfinite(serial) or not _FIRST_SERIAL <= serial <= _LAST_SERIAL:
        return DateResult(None, DATE_MESSAGE)
    return DateResult(_EXCEL_EPOCH + dt.timedelta(days=int(serial)), None)


def _date_from_text(text: str) -> DateResult:
    day: int | str
    month: int | str
    if found := _DAY_MONTH_YEAR.match(text):
        day, month, year = found.groups()
    elif found := _YEAR_MONTH_DAY.match(text):
        year, month, day = found.groups()
    elif found := _DAY_NAME_YEAR.match(text):
        day, month_name, year = found.groups()
        month = _MONTHS.get(month_name, 0)
    elif found := _NAME_DAY_YEAR.match(text):
        month_name, day, year = found.groups()
        month = _MONTHS.get(month_name, 0)
    else:
        return DateResult(None, DATE_MESSAGE)
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    try:
        return DateResult(dt.date(full_year, int(month), int(day)), None)
    except ValueError:
        return DateResult(None, DATE_MESSAGE)


def certificate(value: object) -> str | None:
    """A certificate number as written, white space collapsed; None when empty or a placeholder."""
    text = cell_text(value)
    if text is None or _is_placeholder(text):
        return None
    return text


# Control characters (Unicode category Cc) other than white space.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def _collapse(text: str) -> str:
    return " ".join(_CONTROL.sub("", text.translate(_INVISIBLE)).split())


def _is_collapsed(text: str) -> bool:
    """Whether `_collapse` would give the text back unchanged; cheaper than collapsing it.

    Most cells are such plain text. A printable text holds no control or invisible
    character, and no white space but the plain space (`str.isprintable` is False
    for every character `_collapse` drops or `str.split` splits on); it is collapsed
    when no space leads, trails or follows another.
    """
    return (
        text.isprintable()
        and "  " not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
    )


def _is_placeholder(text: str) -> bool:
    return normalise_header(text) in _PLACEHOLDERS


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return ""
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text
