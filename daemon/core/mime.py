"""Turn a raw RFC 5322 message into the parts anupalan reads: sender, subject, text, files.

Parsing bytes is computation, not I/O, so it lives in the core. The walker is
defensive: a malformed header or part degrades to an empty value, never an
exception, because a message that cannot be understood must still be held for
review rather than lost.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import email.utils
import functools
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import Any

MAX_DEPTH = 10  # forwarded-within-forwarded messages deeper than this are not opened

MAX_HEADER_CHARS = 4096
"""A header is read up to this many characters. The standard library's header
parser takes time that grows with the square of a header's length, and
nothing anupalan reads (a sender, a subject, a file name) is longer."""

MAX_REPLY_TO = 20  # a Reply-To naming more addresses than this is read no further

MAX_MULTIPARTS = 1000
"""A mail with more multipart boundaries than this is read for its headers only.
The parser checks every line against the boundary of every enclosing part, so
parts nested thousands deep take it minutes; no mail a person sends has a
thousand."""


class _TolerantPolicy(email.policy.EmailPolicy):
    """The default policy, except that reading a header never raises and never stalls.

    A header the parser cannot make sense of (nested comments deeper than
    Python's recursion limit, say) reads as empty.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):
            return value  # already parsed
        return _parsed_header(name, value)


_POLICY = _TolerantPolicy()


@functools.lru_cache(maxsize=1024)
def _parsed_header(name: str, value: str) -> Any:
    """A header as the default policy reads it, or empty if it cannot be read.

    The parser asks for a part's Content-Type many times, and the same lines
    recur from message to message; each is parsed once. A header object is
    never changed once made, so one can serve every message that has the line.
    """
    try:
        return email.policy.EmailPolicy.header_fetch_parse(_POLICY, name, value[:MAX_HEADER_CHARS])
    except Exception:
        return email.policy.EmailPolicy.header_fetch_parse(_POLICY, name, "")


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
    sender_doubt: str | None = None
    """Why the From header does not plainly name one sender (None when it does)."""
    reply_to: tuple[str, ...] = ()
    return_path: str | None = None
    """The envelope sender the delivering server recorded, when it did."""
    damaged: bool = False
    """The parts could not be read (nested beyond reason, or malformed); only the headers were."""
    keyed_by_sender: bool = False
    """Another sender's message holds this Message-ID: this one's key names its sender too."""

    @property
    def key(self) -> str:
        """The identity used to ingest a message once: its Message-ID, else its content hash.

        Where two senders' messages carry one Message-ID (two offices' software
        alike), the later one's key is its Message-ID with its sender: two
        different senders never merge.
        """
        if self.message_id is None:
            return f"sha256:{self.sha256}"
        if self.keyed_by_sender:
            return f"{self.message_id} from {self.from_address or '(no address)'}"
        return self.message_id


def parse_message(raw: bytes) -> MailMessage:
    """Parse raw message bytes; never raises for malformed input."""
    sha256 = hashlib.sha256(raw).hexdigest()
    if raw.lower().count(b"boundary") > MAX_MULTIPARTS:
        return _headers_only(raw, sha256)
    try:
        msg = email.message_from_bytes(raw, policy=_POLICY)
        return _from_message(msg, sha256, depth=0)
    except Exception:
        # The parser recurses once per nested part, so parts nested hundreds deep
        # exhaust the stack. What the headers say is still worth keeping.
        return _headers_only(raw, sha256)


def _headers_only(raw: bytes, sha256: str) -> MailMessage:
    try:
        msg = BytesParser(policy=_POLICY).parsebytes(raw, headersonly=True)
        return _message(msg, sha256, damaged=True)
    except Exception:
        return MailMessage(None, None, "", "", None, "", "", (), (), sha256, damaged=True)


def _message(
    msg: Message,
    sha256: str,
    body_text: str = "",
    body_html: str = "",
    attachments: tuple[Attachment, ...] = (),
    forwarded: tuple[MailMessage, ...] = (),
    damaged: bool = False,
) -> MailMessage:
    """What the headers of `msg` say, with the parts read from its body (if they were)."""
    name, address, doubt = _sender(msg)
    return MailMessage(
        message_id=_message_id(msg),
        from_address=address,
        from_name=name,
        subject=_header(msg, "subject"),
        date=_date(msg),
        body_text=body_text,
        body_html=body_html,
        attachments=attachments,
        forwarded=forwarded,
        sha256=sha256,
        automatic=_automatic(msg),
        sender_doubt=doubt,
        reply_to=_reply_to(msg),
        return_path=_return_path(msg),
        damaged=damaged,
    )


def _from_message(msg: Message, sha256: str, depth: int) -> MailMessage:
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
                    forwarded.append(_forwarded(inner, sha256, len(forwarded), depth + 1))
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
    return _message(msg, sha256, body, "\n".join(html_parts), tuple(attachments), tuple(forwarded))


def _forwarded(inner: Message, outer_sha256: str, index: int, depth: int) -> MailMessage:
    """An attached message, read like the message itself; never raises."""
    try:
        inner_sha = hashlib.sha256(inner.as_bytes()).hexdigest()
    except Exception:  # a message nested too deep to be written out again
        inner_sha = hashlib.sha256(f"{outer_sha256}/{index}".encode()).hexdigest()
    try:
        return _from_message(inner, inner_sha, depth)
    except Exception:
        return MailMessage(None, None, "", "", None, "", "", (), (), inner_sha, damaged=True)


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
    """Every non-multipart part, in order, not descending into attached messages.

    Walked with a stack rather than by recursion: parts may be nested as deep
    as the parser allows.
    """
    if not msg.is_multipart():
        return [msg]
    out: list[Message] = []
    stack: list[Message] = [msg]
    while stack:
        part = stack.pop()
        if part is not msg and (
            part.get_content_type() == "message/rfc822" or not part.is_multipart()
        ):
            out.append(part)
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(reversed([p for p in payload if isinstance(p, Message)]))
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
        return email.message_from_bytes(data, policy=_POLICY) if data else None
    return inner


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot decode is treated as absent
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _raw_values(msg: Message, name: str) -> list[str]:
    """Every value of a header as it stands in the message, before any parsing.

    Bytes that are not UTF-8 (which the parser keeps as lone surrogates) read as
    U+FFFD, so that whatever comes of the value can be stored.
    """
    try:
        return [
            str(v).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            for k, v in msg.raw_items()
            if k.lower() == name
        ]
    except Exception:
        return []


# An address in angle brackets, as in `Name <address>`; quoted text and comments
# are removed first, so that `"x <a@b>" <c@d>` finds only c@d.
_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"?')
_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")


def _sender(msg: Message) -> tuple[str, str | None, str | None]:
    """The sender's name and address, and why that address is in doubt (None when it is not)."""
    values = _raw_values(msg, "from")
    if not values:
        return "", None, None
    name, address, doubt = _mailbox(values[0])
    others = sorted({a for v in values[1:] if (a := _mailbox(v)[1]) and a != address})
    if doubt is None and others:
        doubt = f"the mail has more than one From header ({', '.join([address or '?', *others])})"
    return name, address, doubt


def _mailbox(raw: str) -> tuple[str, str | None, str | None]:
    """The mailbox a From header names: a name, an address, and what makes it doubtful.

    A well-formed header is read as the standard library parses it. One the
    parser has to repair ("ccu-chennai-north@example.gov.in <x@example.com>")
    is read as mail programs show it: the address in angle brackets is the
    sender, the text before it only a name, and a header naming a second
    address is in doubt.
    """
    try:
        header = email.policy.default.header_fetch_parse("from", raw[:MAX_HEADER_CHARS])
        found = [(a.display_name, a.addr_spec.strip().lower()) for a in header.addresses]
        malformed = any(isinstance(d, email.errors.InvalidHeaderDefect) for d in header.defects)
    except Exception:
        found, malformed = [], True
    found = [(n, a) for n, a in found if "@" in a]
    if not malformed:
        if not found:
            return "", None, None
        addresses = sorted({a for _, a in found})
        doubt = (
            f"the From header names more than one address ({', '.join(addresses)})"
            if len(addresses) > 1
            else None
        )
        return found[0][0].strip(), found[0][1], doubt
    bare = _COMMENT.sub(" ", _QUOTED.sub(" ", " ".join(raw[:MAX_HEADER_CHARS].split())))
    angled = [a.lower() for a in _ANGLE_ADDRESS.findall(bare)]
    address = angled[-1] if angled else (found[0][1] if found else None)
    if address is None:
        return "", None, None
    name = next((n.strip() for n, a in found if a == address), "")
    named = {address, *angled, *(a for _, a in found)}
    if len(named) > 1 or bare.count("@") > 1:
        shown = _CONTROL.sub("", " ".join(raw.split()))
        shown = shown if len(shown) <= 200 else shown[:200] + "..."
        return name, address, f"the From header is malformed: {shown}"
    return name, address, None


def _reply_to(msg: Message) -> tuple[str, ...]:
    addresses: list[str] = []
    for raw in _raw_values(msg, "reply-to"):
        try:
            header = email.policy.default.header_fetch_parse("reply-to", raw[:MAX_HEADER_CHARS])
            parsed = [a.addr_spec for a in header.addresses]
        except Exception:
            parsed = []
        bare = _COMMENT.sub(" ", _QUOTED.sub(" ", raw[:MAX_HEADER_CHARS]))
        for address in (*parsed, *_ANGLE_ADDRESS.findall(bare)):
            address = address.strip().lower()
            if "@" in address and address not in addresses:
                addresses.append(address)
    return tuple(addresses[:MAX_REPLY_TO])


def _return_path(msg: Message) -> str | None:
    """The envelope sender, from the Return-Path the delivering server put on top."""
    values = _raw_values(msg, "return-path")
    if not values:
        return None
    text = " ".join(values[0][:MAX_HEADER_CHARS].split())
    angled = _ANGLE_ADDRESS.findall(text)
    address = (angled[0] if angled else text.strip("<> ")).lower()
    return address if "@" in address else None


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


# Control characters (a NUL, a terminal escape) are never part of a file's name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _file_name(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    if not name:
        return None
    # Only the last path component: a file name is never a path.
    name = re.split(r"[\\/]", _CONTROL.sub("", str(name)).strip())[-1].strip()
    return name if name not in ("", ".", "..") else None


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


# Each pattern stops at the next "<", so that markup full of unclosed tags is read
# in time proportional to its length.
_TAG = re.compile(r"<[^<>]+>")
_BLOCK = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d)\b[^<>]*>", re.IGNORECASE)
_SCRIPT_START = re.compile(r"<(script|style)\b", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body, enough to look for unit names in it."""
    text = _without_scripts(markup)
    text = _BLOCK.sub("\n", text)
    text = _TAG.sub(" ", text)
    return html.unescape(text)


def _without_scripts(markup: str) -> str:
    """The markup less its <script> and <style> elements; one never closed is left as it is."""
    kept: list[str] = []
    position = 0
    unclosed: set[str] = set()  # no end tag follows: none will for a later start tag either
    for start in _SCRIPT_START.finditer(markup):
        element = start.group(1).lower()
        if start.start() < position or element in unclosed:
            continue
        end = re.compile(rf"</{element}\s*>", re.IGNORECASE).search(markup, start.end())
        if end is None:
            unclosed.add(element)
            continue
        kept.append(markup[position : start.start()])
        kept.append(" ")
        position = end.end()
    kept.append(markup[position:])
    return "".join(kept)
