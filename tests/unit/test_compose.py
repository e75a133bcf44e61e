"""How a mail is encoded: the same bytes as the standard library's default policy writes."""

from __future__ import annotations

import email.policy
import email.utils
import re
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from daemon.adapters.templates import RenderedMail
from daemon.services.mail_content import compose

WHEN = datetime(2023, 4, 21, 15, 2, tzinfo=UTC)


def mail(n: int) -> RenderedMail:
    return RenderedMail(
        f"Report received: Level-1 Online Course on Emerging Technologies — इकाई {n % 3}",
        f"Sir/Madam,\n\nWe have recorded report {n} with {n % 7} officers completed.\n",
        f"<html><body><p>We have recorded report {n}.</p></body></html>\n",
    )


def by_default_policy(rendered: RenderedMail, n: int, attachments: list) -> EmailMessage:
    """What `compose` wrote when every header was parsed afresh."""
    msg = EmailMessage()
    msg["From"] = "अनुपालन प्रकोष्ठ <compliance-cell@example.gov.in>"
    msg["To"] = f"ccu-unit-{n % 4}@example.gov.in"
    msg["Subject"] = rendered.subject
    msg["Date"] = email.utils.format_datetime(WHEN)
    msg["Message-ID"] = f"<m{n}.anupalan@example.gov.in>"
    msg["In-Reply-To"] = f"<r{n}@example.gov.in>"
    msg["References"] = f"<r{n}@example.gov.in>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    for name, data, content_type in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def wire(msg: EmailMessage) -> bytes:
    raw = msg.as_bytes(policy=email.policy.SMTP)
    # boundaries are drawn at random each time a message is written
    return re.sub(rb"=+\d+==", b"BOUNDARY", raw)


def test_mails_are_encoded_as_the_default_policy_encodes_them() -> None:
    for n in range(40):
        attachments = (
            [("report.xlsx", bytes(range(n)), "application/octet-stream")] if n % 5 else []
        )
        ours = compose(
            mail(n),
            sender="अनुपालन प्रकोष्ठ <compliance-cell@example.gov.in>",
            to=[f"ccu-unit-{n % 4}@example.gov.in"],
            message_id=f"<m{n}.anupalan@example.gov.in>",
            date_sent=WHEN,
            in_reply_to=f"<r{n}@example.gov.in>",
            attachments=attachments,
        )
        assert wire(ours) == wire(by_default_policy(mail(n), n, attachments))


@pytest.mark.parametrize("subject", ["Report\r\nBcc: everyone@example.com", "Report\nX: y"])
def test_a_header_with_a_line_break_is_refused(subject: str) -> None:
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        compose(
            RenderedMail(subject, "text", "<p>html</p>"),
            sender="Cell <compliance-cell@example.gov.in>",
            to=["ccu-unit-1@example.gov.in"],
            message_id="<m.anupalan@example.gov.in>",
            date_sent=WHEN,
        )


def test_two_offices_on_one_domain_never_share_a_message_id_and_each_repeats_its_own() -> None:
    from daemon.services.mail_content import message_id_for

    zone_a = message_id_for("upstream:et", "Cell <ccu-a@example.gov.in>", "CGST A Zone")
    zone_b = message_id_for("upstream:et", "Cell <ccu-b@example.gov.in>", "CGST B Zone")
    same_address = message_id_for("upstream:et", "Cell <ccu-a@example.gov.in>", "CGST B Zone")
    assert len({zone_a, zone_b, same_address}) == 3
    assert zone_a == message_id_for("upstream:et", "ccu-a@example.gov.in", "CGST A Zone")
    assert zone_a.endswith(".anupalan@example.gov.in>")
