"""Turn a raw RFC 5322 message into the parts anupalan reads: sender, subject, text, files.

Parsing bytes is computation, not I/O, so it lives in the core. The walker is
defensive: a malformed header or part degrades to an empty value, never an
exception, because a message that cannot be understood must still be held for
review rather than lost.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message

MAX_DEPTH = 10  # forwarded-within-forwarded messages deeper than this are not opened


@dataclass(frozen=True)
class Attachment:
    """A file carried by a message."""

    file_name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MailMessage:
    """The parts of a message that anupalan acts on."""

    message_id: str | None
    from_address: str | None
    from_name: str
    subject: str
    date: datetime | None
    body_text: str
    body_html: str
    attachments: tuple[Attachment, ...]
    forwarded: tuple[MailMessage, ...]
    sha256: str
    automatic: bool = False  # an auto-reply or other machine-sent mail (RFC 3834)

    @property
    def key(self) -> str:
        """The identity used to ingest a message once: its Message-ID, else its content hash."""
        return self.message_id or f"sha256:{self.sha256}"


def parse_message(raw: bytes) -> MailMessage:
    """Parse raw message bytes; never raises for malformed input."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return _from_message(msg, hashlib.sha256(raw).hexdigest(), depth=0)


def _from_message(msg: Message, sha256: str, depth: int) -> MailMessage:
    name, address = _sender(msg)
    attachments: list[Attachment] = []
    forwarded: list[MailMessage] = []
    plain: list[str] = []
    html_parts: list[str] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            if depth < MAX_DEPTH:
                inner = _inner_message(part)
                if inner is not None:
                    inner_bytes = inner.as_bytes()
                    inner_sha = hashlib.sha256(inner_bytes).hexdigest()
                    forwarded.append(_from_message(inner, inner_sha, depth + 1))
            continue
        file_name = _file_name(part)
        if file_name is not None or part.get_content_disposition() == "attachment":
            data = _payload(part)
            attachments.append(
                Attachment(file_name=file_name or "attachment", content_type=ctype, data=data)
            )
        elif ctype == "text/plain":
            plain.append(_text(part))
        elif ctype == "text/html":
            html_parts.append(_text(part))
    body = "\n".join(plain) if plain else "\n".join(html_to_text(h) for h in html_parts)
    return MailMessage(
        message_id=_message_id(msg),
        from_address=address,
        from_name=name,
        subject=_header(msg, "subject"),
        date=_date(msg),
        body_text=body,
        body_html="\n".join(html_parts),
        attachments=tuple(attachments),
        forwarded=tuple(forwarded),
        sha256=sha256,
        automatic=_automatic(msg),
    )


def _automatic(msg: Message) -> bool:
    """Whether a machine sent it: answering such mail risks a loop between two robots."""
    auto_submitted = _header(msg, "auto-submitted").lower()
    precedence = _header(msg, "precedence").lower()
    return (
        (bool(auto_submitted) and auto_submitted != "no")
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or any(_header(msg, name) for name in ("x-autoreply", "x-autorespond"))
    )


def _leaves(msg: Message) -> list[Message]:
    """Every non-multipart part, in order, not descending into attached messages."""
    if not msg.is_multipart():
        return [msg]
    out: list[Message] = []
    payload = msg.get_payload()
    if isinstance(payload, list):
        for part in payload:
            if isinstance(part, Message):
                if part.get_content_type() == "message/rfc822":
                    out.append(part)
                else:
                    out.extend(_leaves(part))
    return out


def _inner_message(part: Message) -> Message | None:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        return None
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding in ("base64", "quoted-printable"):
        # Some clients encode an attached message, which RFC 2046 forbids; the parser
        # then sees only encoded text, so decode it and parse the message inside.
        carrier = email.message.Message()
        carrier["Content-Transfer-Encoding"] = encoding
        carrier.set_payload(inner.get_payload())
        data = _payload(carrier)
        return email.message_from_bytes(data, policy=email.policy.default) if data else None
    return inner


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot decode is treated as absent
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _sender(msg: Message) -> tuple[str, str | None]:
    name, address = email.utils.parseaddr(_header(msg, "from"))
    address = address.strip().lower()
    return name.strip(), address if "@" in address else None


def _message_id(msg: Message) -> str | None:
    value = _header(msg, "message-id").strip()
    return value or None


def _date(msg: Message) -> datetime | None:
    value = _header(msg, "date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _file_name(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    if not name:
        return None
    # Only the last path component: a file name is never a path.
    name = re.split(r"[\\/]", name.strip())[-1]
    return name or None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def _text(part: Message) -> str:
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
            if isinstance(content, str):
                return content
        except Exception:  # unknown charset or broken transfer encoding
            pass
    return _payload(part).decode("utf-8", errors="replace")


_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d)\b[^>]*>", re.IGNORECASE)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body, enough to look for unit names in it."""
    text = _SCRIPT.sub(" ", markup)
    text = _BLOCK.sub("\n", text)
    text = _TAG.sub(" ", text)
    return html.unescape(text)
