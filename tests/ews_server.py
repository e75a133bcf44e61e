"""A fake Exchange Web Services endpoint on loopback, answering from recorded EWS responses.

No Exchange server can run here, so the Exchange adapters are tested through
exchangelib against this instead: an HTTP server in a thread that answers the
SOAP operations the adapters use with responses shaped as Exchange Server 2016
sends them (the templates in tests/ews/), over a small mailbox kept in memory.

What it covers: basic authentication (a wrong password gets HTTP 401); HTTPS
with a given certificate; the version probe (ConvertId); GetFolder by id and by
well-known name; FindFolder (shallow or deep); CreateFolder; SyncFolderItems
with sync states, batches (MaxChangesReturned), deletions and invalid states;
GetItem with the MIME content; CreateItem (SendOnly, SaveOnly, SendAndSaveCopy,
recording the MIME content sent); MoveItem (items get new ids, as in
Exchange); ErrorServerBusy faults with BackOffMilliseconds (`busy_next`); any
error response code for the next request of an operation (`fail_next`).
What it does not: NTLM, OAuth2 or autodiscover; restrictions (refused, and
listed in `unsupported`); item properties other than ids, the folder and the
time received; Update and ReadFlagChange sync changes; GetAttachment (the MIME
content carries the attachments); throttling by HTTP status; any check that a
MIME content is a valid message.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from typing import Any
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import pytest
from defusedxml.ElementTree import fromstring

TEMPLATES = Path(__file__).parent / "ews"
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
M = "{http://schemas.microsoft.com/exchange/services/2006/messages}"
T = "{http://schemas.microsoft.com/exchange/services/2006/types}"

ADDRESS = "compliance-cell@example.gov.in"
USERNAME = "EXAMPLE\\compliance-cell"
PASSWORD = "ews-secret-7"

# The folders of a new mailbox: well-known id, display name, parent's well-known id.
_STANDARD_FOLDERS = (
    ("root", "Root", None),
    ("msgfolderroot", "Top of Information Store", "root"),
    ("inbox", "Inbox", "msgfolderroot"),
    ("sentitems", "Sent Items", "msgfolderroot"),
    ("drafts", "Drafts", "msgfolderroot"),
    ("deleteditems", "Deleted Items", "msgfolderroot"),
)


class Xml(str):
    """A fragment of XML put into a template as it is (other values are escaped)."""


@dataclass
class FakeFolder:
    """A folder of the fake mailbox."""

    id: str
    changekey: str
    name: str
    parent: str | None  # the parent's id
    well_known: str | None = None
    folder_class: str | None = "IPF.Note"
    # Its change log for SyncFolderItems: (sequence number, "create" or "delete", item id).
    log: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class FakeItem:
    """A message in the fake mailbox: its ids, its MIME content and where it is."""

    id: str
    changekey: str
    mime: bytes
    folder: str  # the folder's id
    received: datetime


class _SoapFault(Exception):
    """Answer the request with an error response message of this code."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(code)
        self.code = code
        self.text = text


class FakeEws:
    """A fake EWS endpoint serving one mailbox at `url`; use as a context manager.

    `requests` lists the SOAP operations received, in order (`calls` adds when
    each arrived); `sent` holds the MIME content of each mail sent.
    """

    def __init__(
        self,
        address: str = ADDRESS,
        username: str = USERNAME,
        password: str | None = PASSWORD,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.address = address
        self.tls = tls
        self.username = username
        self.password = password
        self.folders: list[FakeFolder] = []
        self.items: list[FakeItem] = []
        self.sent: list[bytes] = []  # MIME content created with SendAndSaveCopy
        self.sent_without_copy: list[bytes] = []  # ... with SendOnly
        self.calls: list[tuple[str, float]] = []
        self.logins_refused = 0
        self.unsupported: list[str] = []  # requests the fake cannot answer
        self.failures: list[str] = []  # requests the fake failed on
        self._busy: list[int] = []  # back-off in ms of each busy answer still to give
        self._scripted: dict[str, list[tuple[str, str]]] = {}
        self._sequence = 0
        self._numbers = 0
        self._lock = threading.RLock()
        self._clock = datetime(2023, 4, 20, 5, 30, tzinfo=UTC)
        for well_known, name, parent in _STANDARD_FOLDERS:
            parent_id = self._well_known(parent).id if parent else None
            self._add_folder(name, parent_id, well_known, None if parent is None else "IPF.Note")
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- the mailbox ----------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake EWS server is not running")
        host, port = self._server.server_address[:2]
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host!s}:{port}/EWS/Exchange.asmx"

    @property
    def requests(self) -> list[str]:
        with self._lock:
            return [name for name, _ in self.calls]

    def add_message(
        self, raw: bytes, folder: str = "Inbox", received: datetime | None = None
    ) -> str:
        """Deliver a message into the folder named `folder`; its new item id."""
        with self._lock:
            target = self.folder(folder)
            if received is None:
                self._clock += timedelta(minutes=1)
                received = self._clock
            item = FakeItem(self._new_id("item"), self._new_changekey(), raw, target.id, received)
            self.items.append(item)
            self._log(target, "create", item.id)
            return item.id

    def add_folder(self, name: str, parent: str = "Inbox") -> FakeFolder:
        """Make a folder under the folder named `parent`."""
        with self._lock:
            return self._add_folder(name, self.folder(parent).id, None, "IPF.Note")

    def folder(self, name: str) -> FakeFolder:
        """The folder with this display name (ignoring case)."""
        with self._lock:
            for each in self.folders:
                if each.name.lower() == name.lower():
                    return each
        raise KeyError(name)

    def messages(self, folder: str = "Inbox") -> list[bytes]:
        """The MIME content of the messages in the folder named `folder`, oldest first."""
        with self._lock:
            target = self.folder(folder)
            return [item.mime for item in self.items if item.folder == target.id]

    def item_ids(self, folder: str = "Inbox") -> list[str]:
        with self._lock:
            target = self.folder(folder)
            return [item.id for item in self.items if item.folder == target.id]

    def busy_next(self, times: int, back_off_ms: int) -> None:
        """Answer the next `times` requests with ErrorServerBusy asking to wait `back_off_ms`."""
        with self._lock:
            self._busy.extend([back_off_ms] * times)

    def fail_next(self, operation: str, code: str, text: str = "") -> None:
        """Answer the next `operation` request with the EWS error `code`."""
        with self._lock:
            message = text or f"The request failed ({code})."
            self._scripted.setdefault(operation, []).append((code, message))

    # -- running --------------------------------------------------------------------

    def start(self) -> FakeEws:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so that stopping takes no time
            name="fake-ews",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections, self._connections = set(self._connections), set()
        for connection in connections:  # kept alive by clients: cut them off too
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeEws:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- answering ------------------------------------------------------------------

    def answer(self, authorization: str | None, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        """The HTTP status, body and extra headers answering one POST."""
        if self.password is not None and authorization != _basic(self.username, self.password):
            with self._lock:
                self.logins_refused += 1
            return 401, b"", {"WWW-Authenticate": 'Basic realm="127.0.0.1"'}
        request = fromstring(body)
        payload = request.find(f"{SOAP}Body")
        operation_elem = payload[0] if payload is not None and len(payload) else None
        operation = _local(operation_elem.tag) if operation_elem is not None else "?"
        with self._lock:
            self.calls.append((operation, time.monotonic()))
            if self._busy:
                back_off = self._busy.pop(0)
                return 500, _render("server_busy.xml", back_off_ms=str(back_off)).encode(), {}
            handler = getattr(self, f"_op_{operation}", None)
            if handler is None or operation_elem is None:
                self.unsupported.append(operation)
                return 501, f"the fake EWS server does not answer {operation}".encode(), {}
            scripted = self._scripted.get(operation)
            if scripted:
                code, text = scripted.pop(0)
                messages = [_error(operation, code, text)]
            else:
                try:
                    messages = handler(operation_elem)
                except _SoapFault as fault:
                    messages = [_error(operation, fault.code, fault.text)]
        document = _render("envelope.xml", operation=operation, messages=Xml("\n".join(messages)))
        return 200, document.encode(), {}

    def _op_ConvertId(self, request: Element) -> list[str]:
        # exchangelib asks with a dummy id only to read the server's version header.
        return [
            _error("ConvertId", "ErrorInvalidIdMalformed", "Id is malformed.")
            for _ in request.iter(f"{T}AlternateId")
        ]

    def _op_GetFolder(self, request: Element) -> list[str]:
        messages = []
        for ref in _children(request.find(f"{M}FolderIds")):
            try:
                folder = self._resolve_folder(ref)
            except _SoapFault as fault:
                messages.append(_error("GetFolder", fault.code, fault.text))
                continue
            messages.append(_render("get_folder.xml", folder=Xml(self._folder_xml(folder))))
        return messages

    def _op_FindFolder(self, request: Element) -> list[str]:
        if request.find(f"{M}Restriction") is not None:
            self.unsupported.append("FindFolder with a restriction")
            return [_error("FindFolder", "ErrorInvalidRestriction", "Not supported by the fake.")]
        deep = request.get("Traversal") == "Deep"
        messages = []
        for ref in _children(request.find(f"{M}ParentFolderIds")):
            try:
                parent = self._resolve_folder(ref)
            except _SoapFault as fault:
                messages.append(_error("FindFolder", fault.code, fault.text))
                continue
            found = self._descendants(parent) if deep else self._subfolders(parent)
            folders = "\n".join(self._folder_xml(f) for f in found)
            messages.append(_render("find_folder.xml", count=str(len(found)), folders=Xml(folders)))
        return messages

    def _op_CreateFolder(self, request: Element) -> list[str]:
        parent = self._resolve_folder(_first(request.find(f"{M}ParentFolderId")))
        messages = []
        for spec in _children(request.find(f"{M}Folders")):
            name = (spec.findtext(f"{T}DisplayName") or "").strip()
            if any(f.name.lower() == name.lower() for f in self._subfolders(parent)):
                messages.append(
                    _error(
                        "CreateFolder",
                        "ErrorFolderExists",
                        "A folder with the specified name already exists.",
                    )
                )
                continue
            made = self._add_folder(name, parent.id, None, spec.findtext(f"{T}FolderClass"))
            messages.append(_render("create_folder.xml", id=made.id, changekey=made.changekey))
        return messages

    def _op_SyncFolderItems(self, request: Element) -> list[str]:
        try:
            folder = self._resolve_folder(_first(request.find(f"{M}SyncFolderId")))
        except _SoapFault as fault:
            return [_error("SyncFolderItems", fault.code, fault.text)]
        token = request.findtext(f"{M}SyncState")
        since = 0
        if token:
            try:
                folder_id, _, number = base64.b64decode(token).decode().rpartition("|")
                since = int(number)
            except ValueError:
                folder_id = ""
            if folder_id != folder.id:
                return [
                    _error(
                        "SyncFolderItems",
                        "ErrorInvalidSyncStateData",
                        "Synchronization state data is corrupt or otherwise invalid.",
                    )
                ]
        limit = int(request.findtext(f"{M}MaxChangesReturned") or 512)
        wanted = {uri.get("FieldURI") for uri in request.iter(f"{T}FieldURI")}
        changes, upto, last = self._changes(folder, since, limit)
        fragments = []
        for kind, item_id in changes:
            item = self._item(item_id)
            changekey = item.changekey if item else "CQAAABYAAAA="
            if kind == "create" and item is not None:
                received = ""
                if "item:DateTimeReceived" in wanted:
                    stamp = item.received.strftime("%Y-%m-%dT%H:%M:%SZ")
                    received = f"<t:DateTimeReceived>{stamp}</t:DateTimeReceived>"
                fragments.append(
                    _render(
                        "sync_create.xml", id=item.id, changekey=changekey, received=Xml(received)
                    )
                )
            else:
                fragments.append(_render("sync_delete.xml", id=item_id, changekey=changekey))
        state = base64.b64encode(f"{folder.id}|{upto}".encode()).decode()
        return [
            _render(
                "sync_folder_items.xml",
                sync_state=state,
                last="true" if last else "false",
                changes=Xml("\n".join(fragments)),
            )
        ]

    def _op_GetItem(self, request: Element) -> list[str]:
        wanted = {uri.get("FieldURI") for uri in request.iter(f"{T}FieldURI")}
        with_mime = "item:MimeContent" in wanted or (
            request.findtext(f"{M}ItemShape/{T}IncludeMimeContent") == "true"
        )
        messages = []
        for ref in _children(request.find(f"{M}ItemIds")):
            item = self._item(ref.get("Id", ""))
            if item is None:
                messages.append(
                    _error(
                        "GetItem",
                        "ErrorItemNotFound",
                        "The specified object was not found in the store.",
                    )
                )
                continue
            folder = self._folder_by_id(item.folder)
            mime = ""
            if with_mime:
                encoded = base64.b64encode(item.mime).decode()
                mime = f'<t:MimeContent CharacterSet="UTF-8">{encoded}</t:MimeContent>'
            messages.append(
                _render(
                    "get_item.xml",
                    id=item.id,
                    changekey=item.changekey,
                    folder_id=folder.id,
                    folder_changekey=folder.changekey,
                    mime_content=Xml(mime),
                )
            )
        return messages

    def _op_CreateItem(self, request: Element) -> list[str]:
        disposition = request.get("MessageDisposition", "SaveOnly")
        saved_in = request.find(f"{M}SavedItemFolderId")
        messages = []
        for spec in _children(request.find(f"{M}Items")):
            encoded = spec.findtext(f"{T}MimeContent")
            if encoded is None:
                self.unsupported.append("CreateItem without MimeContent")
                messages.append(
                    _error("CreateItem", "ErrorInvalidRequest", "Not supported by the fake.")
                )
                continue
            mime = base64.b64decode(encoded)
            if disposition == "SendAndSaveCopy":
                self.sent.append(mime)
            elif disposition == "SendOnly":
                self.sent_without_copy.append(mime)
            if disposition in ("SaveOnly", "SendAndSaveCopy"):
                if saved_in is not None:
                    target = self._resolve_folder(_first(saved_in))
                else:
                    target = self._well_known(
                        "drafts" if disposition == "SaveOnly" else "sentitems"
                    )
                self.add_message(mime, target.name)
            messages.append(_render("create_item.xml"))
        return messages

    def _op_MoveItem(self, request: Element) -> list[str]:
        target = self._resolve_folder(_first(request.find(f"{M}ToFolderId")))
        messages = []
        for ref in _children(request.find(f"{M}ItemIds")):
            item = self._item(ref.get("Id", ""))
            if item is None:
                messages.append(
                    _error(
                        "MoveItem",
                        "ErrorItemNotFound",
                        "The specified object was not found in the store.",
                    )
                )
                continue
            self._log(self._folder_by_id(item.folder), "delete", item.id)
            # A moved item gets a new id, as in Exchange.
            moved = FakeItem(
                self._new_id("item"), self._new_changekey(), item.mime, target.id, item.received
            )
            self.items[self.items.index(item)] = moved
            self._log(target, "create", moved.id)
            messages.append(_render("move_item.xml", id=moved.id, changekey=moved.changekey))
        return messages

    # -- the mailbox's insides ------------------------------------------------------

    def _changes(
        self, folder: FakeFolder, since: int, limit: int
    ) -> tuple[list[tuple[str, str]], int, bool]:
        """Changes to the folder after `since`, oldest first, at most `limit`; where they end."""
        known: set[str] = set()
        for number, kind, item_id in folder.log:
            if number > since:
                break
            if kind == "create":
                known.add(item_id)
            else:
                known.discard(item_id)
        present = {item.id for item in self.items if item.folder == folder.id}
        pending: dict[str, tuple[int, str]] = {}
        for number, kind, item_id in folder.log:
            if number <= since:
                continue
            if kind == "create" and item_id in present and item_id not in known:
                pending[item_id] = (number, "create")
            elif kind == "delete" and item_id in known and item_id not in present:
                pending[item_id] = (number, "delete")
        ordered = sorted(pending.items(), key=lambda entry: entry[1][0])
        taken = ordered[:limit]
        last = len(taken) == len(ordered)
        upto = folder.log[-1][0] if last and folder.log else (taken[-1][1][0] if taken else since)
        return [(kind, item_id) for item_id, (_, kind) in taken], max(upto, since), last

    def _resolve_folder(self, ref: Element | None) -> FakeFolder:
        if ref is None:
            raise _SoapFault("ErrorInvalidRequest", "No folder id.")
        if _local(ref.tag) == "DistinguishedFolderId":
            mailbox = ref.findtext(f"{T}Mailbox/{T}EmailAddress")
            if mailbox is not None and mailbox.lower() != self.address.lower():
                raise _SoapFault(
                    "ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it."
                )
            try:
                return self._well_known(ref.get("Id", ""))
            except KeyError:
                raise _SoapFault(
                    "ErrorFolderNotFound", "The specified folder could not be found in the store."
                ) from None
        try:
            return self._folder_by_id(ref.get("Id", ""))
        except KeyError:
            raise _SoapFault(
                "ErrorFolderNotFound", "The specified folder could not be found in the store."
            ) from None

    def _folder_xml(self, folder: FakeFolder) -> str:
        parent = ""
        if folder.parent is not None:
            above = self._folder_by_id(folder.parent)
            parent = f'<t:ParentFolderId Id="{above.id}" ChangeKey="{above.changekey}"/>'
        folder_class = (
            f"<t:FolderClass>{folder.folder_class}</t:FolderClass>" if folder.folder_class else ""
        )
        return _render(
            "folder.xml",
            id=folder.id,
            changekey=folder.changekey,
            parent=Xml(parent),
            folder_class=Xml(folder_class),
            name=folder.name,
            total=str(sum(1 for item in self.items if item.folder == folder.id)),
            children=str(len(self._subfolders(folder))),
            unread="0",
        )

    def _add_folder(
        self, name: str, parent: str | None, well_known: str | None, folder_class: str | None
    ) -> FakeFolder:
        folder = FakeFolder(
            self._new_id("folder"), self._new_changekey(), name, parent, well_known, folder_class
        )
        self.folders.append(folder)
        return folder

    def _well_known(self, name: str) -> FakeFolder:
        for folder in self.folders:
            if folder.well_known == name:
                return folder
        raise KeyError(name)

    def _folder_by_id(self, folder_id: str) -> FakeFolder:
        for folder in self.folders:
            if folder.id == folder_id:
                return folder
        raise KeyError(folder_id)

    def _subfolders(self, parent: FakeFolder) -> list[FakeFolder]:
        return [f for f in self.folders if f.parent == parent.id]

    def _descendants(self, parent: FakeFolder) -> list[FakeFolder]:
        found = []
        for child in self._subfolders(parent):
            found.append(child)
            found.extend(self._descendants(child))
        return found

    def _item(self, item_id: str) -> FakeItem | None:
        return next((item for item in self.items if item.id == item_id), None)

    def _log(self, folder: FakeFolder, kind: str, item_id: str) -> None:
        self._sequence += 1
        folder.log.append((self._sequence, kind, item_id))

    def _new_id(self, kind: str) -> str:
        self._numbers += 1
        # Shaped like Exchange's: base64 of a binary entry id.
        raw = f"AAMkADk2{kind}{self._numbers:06d}".encode() + bytes(20)
        return base64.b64encode(raw).decode()

    def _new_changekey(self) -> str:
        self._numbers += 1
        return base64.b64encode(b"\x16\x00\x00\x00" + self._numbers.to_bytes(8, "big")).decode()


class _Handler(BaseHTTPRequestHandler):
    """Serves POSTs to the fake's EWS address over HTTP/1.1 with keep-alive, as IIS does."""

    protocol_version = "HTTP/1.1"
    timeout = 10
    disable_nagle_algorithm = True  # headers and body leave at once, without a delayed-ACK wait
    server_fake: FakeEws

    def setup(self) -> None:
        super().setup()
        with self.server_fake._lock:
            self.server_fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.server_fake._lock:
            self.server_fake._connections.discard(self.connection)
        super().finish()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.lower() != "/ews/exchange.asmx":
            status, content, extra = 404, b"", {}
        else:
            try:
                status, content, extra = self.server_fake.answer(
                    self.headers.get("Authorization"), body
                )
            except Exception as exc:  # a defect of the fake: shown to the test, not hidden
                self.server_fake.failures.append(repr(exc))
                status, content, extra = 500, repr(exc).encode(), {}
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet


def _render(template: str, /, **values: str) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    safe = {
        key: value if isinstance(value, Xml) else escape(value, {'"': "&quot;"})
        for key, value in values.items()
    }
    return Template(text).substitute(safe)


def _error(operation: str, code: str, text: str) -> str:
    if operation == "SyncFolderItems":  # its errors carry an empty state, as Exchange's do
        return _render("sync_folder_items_error.xml", code=code, text=text)
    return _render("error.xml", operation=operation, code=code, text=text)


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: Element | None) -> list[Element]:
    return list(element) if element is not None else []


def _first(element: Element | None) -> Element | None:
    return element[0] if element is not None and len(element) else None


@pytest.fixture
def fake_ews() -> Iterator[FakeEws]:
    """A fake EWS endpoint on loopback with an empty mailbox (basic auth, USERNAME/PASSWORD)."""
    with FakeEws() as server:
        yield server
