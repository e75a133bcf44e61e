"""The normal forms of cell values, by table and by property."""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from daemon.core.normalise import (
    DateResult,
    EmailResult,
    MobileResult,
    _collapse,
    _is_collapsed,
    cell_text,
    certificate,
    completion_date,
    completion_status,
    designation,
    email,
    employee_code,
    header_without_notes,
    is_government_email,
    mobile,
    name,
    normalise_header,
)

DIGITS = "a mobile number has 10 digits"
START = "a mobile number starts with 6, 7, 8 or 9"
BAD_EMAIL = "this is not a valid email address"
DATE = "this is not a date; write the date of completion as DD.MM.YYYY"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Emp.\nCode", "emp code"),
        ("E-mail ID", "e mail id"),
        ("Sl. No.", "sl no"),
        ("  NAME   of the\tOfficer ", "name of the officer"),
        ("Contact No:", "contact no"),
        ("Completed (Yes/No)", "completed yes no"),
        ("Emp_Code #", "emp code"),
        ("Name\xa0of\xa0Officer", "name of officer"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_header(text: object, expected: str) -> None:
    assert normalise_header(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (40123, "40123"),
        (40123.0, "40123"),
        (" 40123 ", "40123"),
        ("E-40123", "E-40123"),
        ("040123", "040123"),
        (1.23456789012e15, "1234567890120000"),
        (40123.5, "40123.5"),
        ("40123.0", "40123"),
        ("40123.00", "40123"),
        ("40123.5", "40123.5"),
        ("4.0123E4", "4.0123E4"),
        ("", None),
        ("   ", None),
        ("\xa0", None),
        (None, None),
        ("NA", None),
        ("N/A", None),
        ("-", None),
        ("Nil", None),
    ],
)
def test_employee_code(value: object, expected: str | None) -> None:
    assert employee_code(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("R. Selvam", "R. Selvam"),
        ("  R.\xa0\xa0Selvam \n", "R. Selvam"),
        ("K.\nPRIYA", "K. PRIYA"),
        ("s\u200bundar", "sundar"),
        ("", None),
        (" \n ", None),
        (None, None),
    ],
)
def test_name_collapses_white_space_and_keeps_case(value: object, expected: str | None) -> None:
    assert name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Assistant\nCommissioner", "Assistant Commissioner"),
        (" Superintendent ", "Superintendent"),
        ("", None),
        (None, None),
    ],
)
def test_designation(value: object, expected: str | None) -> None:
    assert designation(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (9876543210, MobileResult("9876543210", None)),
        (9876543210.0, MobileResult("9876543210", None)),
        (9.87654321e9, MobileResult("9876543210", None)),
        (919876543210, MobileResult("9876543210", None)),
        ("9876543210", MobileResult("9876543210", None)),
        ("98765 43210", MobileResult("9876543210", None)),
        ("98765-43210", MobileResult("9876543210", None)),
        ("98765.43210", MobileResult("9876543210", None)),
        ("(98765) 43210", MobileResult("9876543210", None)),
        ("+91 98765 43210", MobileResult("9876543210", None)),
        ("+91-9876543210", MobileResult("9876543210", None)),
        ("91 9876543210", MobileResult("9876543210", None)),
        ("09876543210", MobileResult("9876543210", None)),
        ("+91 0 98765 43210", MobileResult("9876543210", None)),
        ("9876543210.0", MobileResult("9876543210", None)),
        ("9.87654321E9", MobileResult("9876543210", None)),
        ("Mob: 98765 43210", MobileResult("9876543210", None)),
        ("98765 43210 / 94430 12345", MobileResult("9876543210", None)),
        ("12345 / 94430 12345", MobileResult("9443012345", None)),
        ("9876543210 / 9123456789", MobileResult("9876543210", None)),
        ("9876543210, 9123456789", MobileResult("9876543210", None)),
        ("9876543210; 9123456789", MobileResult("9876543210", None)),
        ("098765-43210", MobileResult("9876543210", None)),
        ("9876543210 (O)", MobileResult("9876543210", None)),
        ("98765 43210 (Personal)", MobileResult("9876543210", None)),
        ("(+91) 98765 43210", MobileResult("9876543210", None)),
        ("6000000000", MobileResult("6000000000", None)),
        ("98765", MobileResult(None, DIGITS)),
        (98765, MobileResult(None, DIGITS)),
        ("987654321012", MobileResult(None, DIGITS)),
        (98765.5, MobileResult(None, DIGITS)),
        ("5876543210", MobileResult(None, START)),
        ("044-24351234", MobileResult(None, START)),
        (1234567890, MobileResult(None, START)),
        ("not known", MobileResult(None, "this is not a mobile number; write the 10-digit number")),
        ("", MobileResult(None, None)),
        ("  ", MobileResult(None, None)),
        (None, MobileResult(None, None)),
        ("NA", MobileResult(None, None)),
        ("-", MobileResult(None, None)),
    ],
)
def test_mobile(value: object, expected: MobileResult) -> None:
    assert mobile(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("r.selvam@example.gov.in", EmailResult("r.selvam@example.gov.in", None)),
        ("  R.Selvam@example.gov.in ", EmailResult("r.selvam@example.gov.in", None)),
        ("mailto:r.selvam@example.gov.in", EmailResult("r.selvam@example.gov.in", None)),
        ("MAILTO:R.Selvam@example.gov.in", EmailResult("r.selvam@example.gov.in", None)),
        ("r.selvam @ example.gov.in", EmailResult("r.selvam@example.gov.in", None)),
        ("r.selvam[at]example[dot]gov[dot]in", EmailResult("r.selvam@example.gov.in", None)),
        ("R. Selvam <r.selvam@example.gov.in>", EmailResult("r.selvam@example.gov.in", None)),
        (
            "r.selvam@example.gov.in, rselvam@gmail.example.com",
            EmailResult("r.selvam@example.gov.in", None),
        ),
        ("a@example.gov.in; b@gmail.example.com", EmailResult("a@example.gov.in", None)),
        ("b@gmail.example.com; a@example.gov.in", EmailResult("a@example.gov.in", None)),
        ("b@gmail.example.com / a@cbic.nic.in", EmailResult("a@cbic.nic.in", None)),
        ("b@gmail.example.com, c@yahoo.example.com", EmailResult("b@gmail.example.com", None)),
        ("bad@, b@gmail.example.com", EmailResult("b@gmail.example.com", None)),
        ("mailto: R.Selvam @ example.gov.in", EmailResult("r.selvam@example.gov.in", None)),
        ("first.last+tag@cbic.nic.in", EmailResult("first.last+tag@cbic.nic.in", None)),
        ("r.selvam", EmailResult(None, BAD_EMAIL)),
        ("r.selvam@gov", EmailResult(None, BAD_EMAIL)),
        ("r..selvam@example.gov.in", EmailResult(None, BAD_EMAIL)),
        ("r.selvam@@example.gov.in", EmailResult(None, BAD_EMAIL)),
        ("@example.gov.in", EmailResult(None, BAD_EMAIL)),
        (40123, EmailResult(None, BAD_EMAIL)),
        ("", EmailResult(None, None)),
        (None, EmailResult(None, None)),
        ("NIL", EmailResult(None, None)),
    ],
)
def test_email(value: object, expected: EmailResult) -> None:
    assert email(value) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("a@example.gov.in", True),
        ("a@example.nic.in", True),
        ("a@cbic.gov.in", True),
        ("cccochin@excise.nic.in", True),
        ("A@example.gov.in", True),
        ("a@gmail.example.com", False),
        ("a@notgov.in", False),
        ("a@example.gov.in.example.com", False),
        ("a@example.nic.in.co", False),
        ("gov.in@gmail.example.com", False),
    ],
)
def test_is_government_email(address: str, expected: bool) -> None:
    assert is_government_email(address) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Completed", True),
        ("completed", True),
        (" COMPLETED ", True),
        ("Complete", True),
        ("Yes", True),
        ("Y", True),
        ("y", True),
        ("Done", True),
        ("✓", True),
        ("✔", True),
        (True, True),
        ("Not completed", False),
        ("Not-Completed", False),
        ("No", False),
        ("N", False),
        ("Pending", False),
        ("Not done", False),
        ("In progress", False),
        ("In-Progress", False),
        ("Awaited", False),
        ("Not yet", False),
        ("Yet to be completed", False),
        (False, False),
        ("", None),
        (None, None),
        ("maybe", None),
        ("Registered", None),
        (1, None),
        ("100%", True),
        ("100 %", True),
        ("50%", False),
        ("0%", False),
        ("Completed on 21.04.2023", True),
        ("Completed on 12/4", True),
        ("Completed (certificate attached)", True),
        ("Not completed (on leave)", False),
        ("Cmpltd", True),
        ("पूर्ण", True),
        ("हाँ", True),
        ("अपूर्ण", False),
        ("नहीं", False),
        ("முடிந்தது", True),
        ("ஆம்", True),
        ("முடியவில்லை", False),
        ("இல்லை", False),
        ("पूर्ण / Completed", True),
        ("अपूर्ण / Not Completed", False),
        ("Yes/No", None),  # the template's own words, left unanswered
        ("Completed / Not completed", None),
        ("Partly", None),
        ("Exempted", None),
        ("No 5", None),
    ],
)
def test_completion_status(value: object, expected: bool | None) -> None:
    assert completion_status(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2023, 4, 25), "2023-04-25"),
        (dt.datetime(2023, 4, 25, 10, 30), "2023-04-25 10:30:00"),
        (True, "TRUE"),
        (98765.0, "98765"),
        (float("nan"), None),
        ("  a \n b ", "a b"),
    ],
)
def test_cell_text(value: object, expected: str | None) -> None:
    assert cell_text(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Name of the Officer (in capitals)", "name of the officer"),
        ("Contact No. (Mobile)", "contact no"),
        ("Date of completion\n(DD.MM.YYYY)", "date of completion"),
        ("Name [as in service book]", "name"),
        ("Email ID*", "email id"),
        ("(Mobile)", ""),
        (None, ""),
    ],
)
def test_header_without_notes(text: object, expected: str) -> None:
    assert header_without_notes(text) == expected


APRIL_21 = DateResult(dt.date(2023, 4, 21), None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2023, 4, 21, 0, 0), APRIL_21),
        (dt.date(2023, 4, 21), APRIL_21),
        (45037, APRIL_21),
        (45037.0, APRIL_21),
        (45037.75, APRIL_21),
        ("45037", APRIL_21),
        ("21.04.2023", APRIL_21),
        ("21.4.2023", APRIL_21),
        ("21/04/2023", APRIL_21),
        ("21-04-2023", APRIL_21),
        ("21.04.23", APRIL_21),
        (" 21 . 04 . 2023 ", APRIL_21),
        ("2023-04-21", APRIL_21),
        ("2023-04-21 00:00:00", APRIL_21),
        ("21-Apr-2023", APRIL_21),
        ("21 April 2023", APRIL_21),
        ("21st April, 2023", APRIL_21),
        ("21-APR-23", APRIL_21),
        ("April 21, 2023", APRIL_21),
        ("Apr 21st 2023", APRIL_21),
        ("01.01.2099", DateResult(dt.date(2099, 1, 1), None)),
        ("", DateResult(None, None)),
        (None, DateResult(None, None)),
        ("NA", DateResult(None, None)),
        ("-", DateResult(None, None)),
        ("31.02.2023", DateResult(None, DATE)),
        ("21.13.2023", DateResult(None, DATE)),
        ("21 Foo 2023", DateResult(None, DATE)),
        ("soon", DateResult(None, DATE)),
        ("April 2023", DateResult(None, DATE)),
        (12, DateResult(None, DATE)),
        (float("nan"), DateResult(None, DATE)),
        (True, DateResult(None, DATE)),
    ],
)
def test_completion_date(value: object, expected: DateResult) -> None:
    assert completion_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("IGOT/ET/2023/00123", "IGOT/ET/2023/00123"),
        ("  IGOT 123 ", "IGOT 123"),
        (778812, "778812"),
        (778812.0, "778812"),
        ("NA", None),
        ("-", None),
        ("", None),
        (None, None),
    ],
)
def test_certificate(value: object, expected: str | None) -> None:
    assert certificate(value) == expected


def test_an_email_result_says_whether_the_address_is_a_government_one() -> None:
    assert email("R.Selvam@example.gov.in").government
    assert email("a@cbic.nic.in").government
    assert not email("a@gmail.example.com").government
    assert not email("").government
    assert not email("not an address").government


# Properties ---------------------------------------------------------------

valid_mobiles = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("6789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
separators = st.sampled_from(["", " ", "-", ".", "  ", " - "])
prefixes = st.sampled_from(["", "+91", "+91 ", "+91-", "91", "91 ", "0", "0 ", "(+91) ", "+91 0"])


@given(number=valid_mobiles, prefix=prefixes, data=st.data())
def test_a_written_mobile_number_normalises_to_its_ten_digits(
    number: str, prefix: str, data: st.DataObject
) -> None:
    written = number[0]
    for digit in number[1:]:
        written += data.draw(separators) + digit
    padding = data.draw(st.sampled_from(["", " ", "\xa0", "\n"]))
    assert mobile(padding + prefix + written + padding) == MobileResult(number, None)


@given(number=valid_mobiles)
def test_a_mobile_number_stored_as_a_number_normalises_to_its_ten_digits(number: str) -> None:
    assert mobile(int(number)) == MobileResult(number, None)
    assert mobile(float(number)) == MobileResult(number, None)
    assert mobile(int("91" + number)) == MobileResult(number, None)


@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=9))
def test_too_few_digits_is_reported_as_such(digits: str) -> None:
    assert mobile(digits) == MobileResult(None, DIGITS)


@given(value=st.one_of(st.text(), st.integers(), st.floats()))
def test_mobile_gives_a_number_or_a_problem_never_both(value: object) -> None:
    result = mobile(value)
    assert result.number is None or result.problem is None
    if result.number is not None:
        assert len(result.number) == 10
        assert result.number.isdigit()
        assert result.number[0] in "6789"


local_parts = st.from_regex(r"[a-z0-9_+-]{1,10}(\.[a-z0-9_+-]{1,10}){0,2}", fullmatch=True)
domains = st.from_regex(r"([a-z0-9]{1,10}\.){1,3}[a-z]{2,6}", fullmatch=True)


@given(local=local_parts, domain=domains, data=st.data())
def test_email_normal_form_is_lower_case_trimmed_and_idempotent(
    local: str, domain: str, data: st.DataObject
) -> None:
    address = f"{local}@{domain}"
    written = data.draw(st.sampled_from([address, address.upper(), address.title()]))
    written = data.draw(st.sampled_from(["", "mailto:", "MAILTO:"])) + written
    written = data.draw(st.sampled_from(["", " ", "\xa0", "\n"])) + written + " "
    result = email(written)
    assert result == EmailResult(address, None)
    assert email(result.address) == result


@given(text=st.text())
def test_email_of_any_text_is_idempotent(text: str) -> None:
    result = email(text)
    assert result.address is None or result.problem is None
    if result.address is not None:
        assert result.address == result.address.lower() == result.address.strip()
        assert email(result.address) == result


@given(n=st.integers(min_value=-(2**53), max_value=2**53))
def test_employee_code_of_a_whole_number_is_its_digits(n: int) -> None:
    assert employee_code(n) == str(n) == employee_code(float(n)) == employee_code(str(n))


@given(n=st.integers(min_value=10**15, max_value=10**300))
def test_large_numbers_are_never_written_in_scientific_notation(n: int) -> None:
    code = employee_code(float(n))
    assert code is not None
    assert code.isdigit()


@given(text=st.text())
def test_normalise_header_is_idempotent(text: str) -> None:
    once = normalise_header(text)
    assert normalise_header(once) == once
    assert once == once.strip()
    assert "  " not in once


@given(text=st.text())
def test_name_is_idempotent_and_has_no_runs_of_white_space(text: str) -> None:
    once = name(text)
    assume(once is not None)
    assert name(once) == once
    assert once == once.strip()
    assert "  " not in once


@given(
    first=valid_mobiles,
    second=valid_mobiles,
    separator=st.sampled_from([" / ", ", ", "; ", " or ", "\n"]),
)
def test_of_two_mobile_numbers_in_a_cell_the_first_valid_one_is_taken(
    first: str, second: str, separator: str
) -> None:
    assert mobile(f"{first}{separator}{second}") == MobileResult(first, None)
    assert mobile(f"{first[:5]}{separator}{second}") == MobileResult(second, None)


@given(number=valid_mobiles, note=st.sampled_from(["(O)", "(R)", "(Personal)", "(WhatsApp)"]))
def test_a_note_after_a_mobile_number_is_ignored(number: str, note: str) -> None:
    assert mobile(f"{number} {note}") == MobileResult(number, None)


addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)
government_addresses = st.builds(
    lambda local, domain: f"{local}@{domain}",
    local_parts,
    st.sampled_from(["gov.in", "nic.in", "cbic.gov.in", "example.gov.in", "excise.nic.in"]),
)


@given(
    others=st.lists(addresses.filter(lambda a: not is_government_email(a)), max_size=3),
    governments=st.lists(government_addresses, max_size=2),
    separator=st.sampled_from(["; ", ", ", " / ", " "]),
    data=st.data(),
)
def test_of_several_addresses_the_first_government_one_is_taken_else_the_first(
    others: list[str], governments: list[str], separator: str, data: st.DataObject
) -> None:
    written = data.draw(st.permutations(others + governments))
    assume(written)
    expected = next((a for a in written if is_government_email(a)), written[0])
    result = email(separator.join(written))
    assert result == EmailResult(expected, None)
    assert result.government == bool(governments)


@given(n=st.integers(min_value=0, max_value=10**12), zeros=st.integers(min_value=1, max_value=3))
def test_an_employee_code_written_as_a_float_in_text_loses_its_zeros(n: int, zeros: int) -> None:
    assert employee_code(f"{n}.{'0' * zeros}") == str(n)


codes = st.text(
    alphabet=st.characters(categories=["Lu", "Ll", "Nd"], include_characters="-/ "), max_size=15
)


@given(code=codes)
def test_an_employee_code_in_text_is_kept_as_written_and_is_idempotent(code: str) -> None:
    result = employee_code(code)
    if result is not None:
        assert result == " ".join(code.split())
        assert employee_code(result) == result


@given(text=st.text())
def test_header_without_notes_is_normalised_and_idempotent(text: str) -> None:
    bare = header_without_notes(text)
    assert normalise_header(bare) == bare
    assert header_without_notes(bare) == bare


days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
_WRITTEN_DATES = [
    lambda d: d.strftime("%d.%m.%Y"),
    lambda d: f"{d.day}/{d.month}/{d.year}",
    lambda d: d.strftime("%d-%m-%y"),
    lambda d: d.strftime("%d-%b-%Y"),
    lambda d: d.strftime("%d %B %Y").upper(),
    lambda d: d.strftime("%B %d, %Y"),
    lambda d: d.isoformat(),
    lambda d: dt.datetime(d.year, d.month, d.day),
    lambda d: (d - dt.date(1899, 12, 30)).days,
    lambda d: str((d - dt.date(1899, 12, 30)).days),
]


@given(day=days, write=st.sampled_from(_WRITTEN_DATES))
def test_a_date_as_offices_write_it_gives_that_date(day: dt.date, write: object) -> None:
    assert completion_date(write(day)) == DateResult(day, None)  # type: ignore[operator]


@given(value=st.one_of(st.text(), st.integers(), st.floats(), st.datetimes()))
def test_completion_date_gives_a_date_or_a_problem_never_both(value: object) -> None:
    result = completion_date(value)
    assert result.date is None or result.problem is None


@given(text=st.text())
def test_cell_text_drops_control_characters_and_collapses_white_space(text: str) -> None:
    kept = "".join(
        ch
        for ch in text
        if ch not in "\u200b\ufeff\u00ad" and (ch.isspace() or unicodedata.category(ch) != "Cc")
    )
    assert cell_text(text) == (" ".join(kept.split()) or None)


def test_collapsing_keeps_every_printable_character() -> None:
    # cell_text returns printable, single-spaced text as it is, without collapsing it
    # (`_is_collapsed`): that is right only if collapsing keeps every such character.
    printable = (chr(code) for code in range(sys.maxunicode + 1) if chr(code).isprintable())
    assert [c for c in printable if _collapse(f"a{c}b") != f"a{c}b"] == []


# Letters, spaces, and the characters collapsing drops or splits on.
_SPACES_AND_INVISIBLES = st.text(alphabet="aÉ \xa0\u3000\u2028\t\n\x00\x1f\x85\u200b\ufeff\xad")


@given(text=st.one_of(st.text(), _SPACES_AND_INVISIBLES))
def test_cell_text_of_plain_text_is_collapsing_it(text: str) -> None:
    if _is_collapsed(text):
        assert _collapse(text) == text
    assert cell_text(text) == (_collapse(text) or None)


cell_values = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
)


@given(value=cell_values)
def test_every_normaliser_takes_any_cell_value(value: object) -> None:
    for normaliser in (cell_text, employee_code, name, designation, certificate):
        text = normaliser(value)
        if text is not None:
            assert text == " ".join(text.split())
            assert not any(unicodedata.category(ch) == "Cc" for ch in text)
    assert completion_status(value) in (True, False, None)
    assert mobile(value).number is None or mobile(value).problem is None
    assert email(value).address is None or email(value).problem is None
    assert completion_date(value).date is None or completion_date(value).problem is None


@given(value=cell_values)
def test_a_designation_is_read_as_a_name_is(value: object) -> None:
    assert designation(value) == name(value)
    once = designation(value)
    assert once is None or designation(once) == once


_PLACEHOLDER_WORDS = ["", " ", "NA", "N/A", "n.a.", "Nil", "NIL", "-", "None", "null", "nan"]


@given(text=st.text(), placeholder=st.sampled_from(_PLACEHOLDER_WORDS))
def test_a_certificate_is_its_text_unless_it_is_a_placeholder(text: str, placeholder: str) -> None:
    assert certificate(placeholder) is None
    once = certificate(text)
    assert once is None or (once == cell_text(text) and certificate(once) == once)


_SAID_COMPLETED = ["Completed", "complete", "YES", "y", "Done", "Course completed"]
_SAID_NOT = ["Not completed", "incomplete", "No", "N", "Pending", "in progress", "Not yet"]


@given(
    said=st.sampled_from([(w, True) for w in _SAID_COMPLETED] + [(w, False) for w in _SAID_NOT]),
    case=st.sampled_from([str.lower, str.upper, str.title, str]),
    padding=st.sampled_from(["", " ", "\xa0", "\n", "  "]),
    punctuation=st.sampled_from(["", ".", "!", " -"]),
)
def test_a_status_is_read_whatever_its_case_spacing_or_punctuation(
    said: tuple[str, bool], case: object, padding: str, punctuation: str
) -> None:
    word, meaning = said
    written = padding + case(word) + punctuation + padding  # type: ignore[operator]
    assert completion_status(written) is meaning


@given(mark=st.sampled_from("✓✔☑✗✘☒"), padding=st.sampled_from(["", " ", "\xa0", "\n"]))
def test_a_tick_or_a_cross_is_read_as_completed_or_not(mark: str, padding: str) -> None:
    assert completion_status(padding + mark + padding) is (mark in "✓✔☑")


@given(value=st.one_of(st.text(), st.integers(), st.floats(), st.booleans()))
def test_completion_status_is_true_false_or_unclear(value: object) -> None:
    result = completion_status(value)
    assert result in (True, False, None)
    if isinstance(value, bool):
        assert result is value


@given(
    local=local_parts,
    subdomain=st.sampled_from(["", "cbic.", "a.b.", "EXAMPLE."]),
    suffix=st.sampled_from(["gov.in", "nic.in", "GOV.IN", "gov.in."]),
)
def test_an_address_on_gov_in_or_nic_in_is_a_government_one(
    local: str, subdomain: str, suffix: str
) -> None:
    assert is_government_email(f"{local}@{subdomain}{suffix}")


@given(
    local=local_parts,
    domain=st.sampled_from(
        ["gov.in.example.com", "notgov.in", "gov.io", "nic.in.evil.org", "gmail.com", "govin"]
    ),
)
def test_an_address_only_looking_like_a_government_one_is_not(local: str, domain: str) -> None:
    assert not is_government_email(f"{local}@{domain}")


@given(text=st.text())
def test_is_government_email_takes_any_text(text: str) -> None:
    assert is_government_email(text) in (True, False)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("कर्मचारी कोड", "कर्मचारी कोड"),
        ("क्रम सं. / Sl. No", "क्रम सं sl no"),
        ("பணியாளர் குறியீடு", "பணியாளர் குறியீடு"),
        ("स्थिति।", "स्थिति"),  # the danda is punctuation
    ],
)
def test_words_in_indian_scripts_keep_their_vowel_signs(header: str, expected: str) -> None:
    assert normalise_header(header) == expected
