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
import math
import re
import unicodedata
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

_HEADER_PUNCTUATION = re.compile(r"[\W_]+")


def normalise_header(text: object) -> str:
    """A column header reduced to lower-case words, for matching headers as written.

    Line breaks, punctuation and runs of white space all become one space, so
    "Emp.\\nCode" gives "emp code", "E-mail ID" gives "e mail id" and
    "Sl. No." gives "sl no".
    """
    if text is None:
        return ""
    return _HEADER_PUNCTUATION.sub(" ", str(text).lower()).strip()


def cell_text(value: object) -> str | None:
    """A cell value as a person sees it in the sheet, white space collapsed; None when empty.

    Whole numbers lose their ".0" and are never written in scientific
    notation; TRUE/FALSE are written the way Excel shows them; a date without
    a time is written as YYYY-MM-DD.
    """
    if value is None:
        return None
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

    Placeholders such as "NA", "Nil" or "-" count as empty, so that officers
    without a code are reported as missing one rather than as sharing the
    code "NA".
    """
    text = cell_text(value)
    if text is None or _is_placeholder(text):
        return None
    return text


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
_MOBILE_ALTERNATIVES = re.compile(r"\s*(?:[,;/&\n]|\bor\b)\s*", re.IGNORECASE)
_DECIMAL_NUMBER = re.compile(r"^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def mobile(value: object) -> MobileResult:
    """The 10-digit Indian mobile number in a cell.

    Accepts numbers (including floats such as 9876543210.0 or 9.87654321E9)
    and text with spaces, dashes, dots or brackets and a leading +91, 91 or 0.
    Where a cell holds several numbers ("98765 43210 / 94430 12345") the
    first valid one is taken. An empty cell gives no number and no problem.
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
    results = [_mobile_from_text(part) for part in _MOBILE_ALTERNATIVES.split(text) if part]
    if not results:
        return MobileResult(None, None)
    return next((r for r in results if r.number is not None), results[0])


def _mobile_from_text(text: str) -> MobileResult:
    text = _MOBILE_LABEL.sub("", text, count=1).strip()
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
    addresses the first valid one is taken. An empty cell gives no address
    and no problem.
    """
    text = cell_text(value)
    if text is None or _is_placeholder(text):
        return EmailResult(None, None)
    text = text.lower()
    for pattern, replacement in _EMAIL_OBFUSCATION:
        text = pattern.sub(replacement, text)
    bracketed = _EMAIL_IN_BRACKETS.findall(text)
    if len(bracketed) == 1:  # "R. Selvam <r.selvam@gov.in>"
        text = bracketed[0]
    candidates = [_clean_address(text)]
    parts = [p for p in _EMAIL_ALTERNATIVES.split(text) if p]
    if sum("@" in p for p in parts) > 1:
        candidates = [_clean_address(p) for p in parts if "@" in p]
    for candidate in candidates:
        if _EMAIL.match(candidate):
            return EmailResult(candidate, None)
    return EmailResult(None, EMAIL_MESSAGE)


def _clean_address(text: str) -> str:
    text = "".join(text.split())
    text = text.removeprefix("mailto:")
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    return text.rstrip(".,;:")


_GOVERNMENT_DOMAINS = ("gov.in", "nic.in")


def is_government_email(address: str) -> bool:
    """Whether the address is on gov.in or nic.in or a subdomain of either."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in _GOVERNMENT_DOMAINS)


_COMPLETED = frozenset(
    {
        "completed",
        "complete",
        "yes",
        "y",
        "done",
        "course completed",
        "completed successfully",
        "yes completed",
    }
)
_NOT_COMPLETED = frozenset(
    {
        "not completed",
        "not complete",
        "incomplete",
        "no",
        "n",
        "pending",
        "not done",
        "in progress",
        "under progress",
        "ongoing",
        "not started",
        "not yet completed",
        "yet to complete",
        "no not completed",
    }
)
_TICKS = frozenset("✓✔☑")
_CROSSES = frozenset("✗✘☒")


def completion_status(value: object) -> bool | None:
    """Whether a status cell says the course was completed; None when empty or unclear.

    "Completed", "Yes", "Y", "Done", "Complete" and a tick mean completed;
    "Not completed", "No", "N", "Pending", "Not done" and "In progress" mean not.
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
    words = normalise_header(text)
    if words in _COMPLETED:
        return True
    if words in _NOT_COMPLETED:
        return False
    return None


def _collapse(text: str) -> str:
    text = "".join(
        ch for ch in text.translate(_INVISIBLE) if ch.isspace() or unicodedata.category(ch) != "Cc"
    )
    return " ".join(text.split())


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
