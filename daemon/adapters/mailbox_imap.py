"""IMAP as a mail source: read by UID, never marking anything read, woken by IMAP IDLE.

`ImapMailSource` reads a folder incrementally. An item id is
`UIDVALIDITY:UID`; the ids already stored (the `seen` set, written in the
same transaction as each message) are the cursor, so a message that fails to
store is offered again at the next poll. Between polls only a little is kept
in the sync state: the folder's UIDVALIDITY, the date the first run read from
(`since`) and the lowest UID worth searching (`min_uid`). A poll costs the
same few commands however full the folder is: SELECT, one UID SEARCH, and
FETCH only for messages not seen before, in bounded batches.

`ImapIdleWatcher` waits for new mail between polls; `ImapSentFolder` keeps
a copy of sent mail in a folder of the mailbox.

The one seam is `connect`, a factory of connected (not yet logged-in)
`IMAPClient`s; `connect_imap` is the real one. Every third-party exception
is translated here into `MailboxLoginError` or `MailboxError`; neither a
password nor a token ever appears in a message or a log line.
"""

from __future__ import annotations

import re
import shlex
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Container, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import structlog
from imapclient import DELETED, FLAGGED, SEEN, IMAPClient, SocketTimeout
from imapclient.exceptions import (
    CapabilityError,
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
)

from daemon.config import ImapMailbox
from daemon.errors import AnupalanError, MailboxError, MailboxLoginError
from daemon.logging_setup import register_secrets
from daemon.ports import IncomingMessage, SyncState

log = structlog.get_logger("anupalan.imap")

Connect = Callable[[], IMAPClient]

# Names of the values kept in the sync state.
UIDVALIDITY = "uidvalidity"
SINCE = "since"
MIN_UID = "min_uid"
WAITING_SAMPLE = 200  # the health check looks at this many waiting messages at most

TOKEN_COMMAND_TIMEOUT = 30.0
_BODY = b"BODY[]"
_IDLE_SLICE = 1.0  # seconds between looks at the stop event while idling
_FIRST_DELAY = 1.0
_MAX_DELAY = 60.0
_QUICK_EMPTY_LIMIT = 3  # empty wake-ups in a row that mean the server has gone


def connect_imap(settings: ImapMailbox) -> IMAPClient:
    """A connection to the configured server, encrypted as configured, not yet logged in.

    `tls` verifies the server's certificate and name against the system's CAs
    or `tls_ca`; `starttls` connects in the clear and upgrades with the same
    checks before anything else is sent; `none` is allowed by the configuration
    only to this machine. Every socket operation times out after
    `settings.timeout` seconds.
    """
    timeout = SocketTimeout(connect=settings.timeout, read=settings.timeout)
    host, port = settings.host, settings.effective_port
    if settings.security == "none":
        return IMAPClient(host, port, ssl=False, timeout=timeout)
    context = _tls_context(settings)
    if settings.security == "tls":
        return IMAPClient(host, port, ssl=True, ssl_context=context, timeout=timeout)
    client = IMAPClient(host, port, ssl=False, timeout=timeout)
    try:
        client.starttls(context)
    except CapabilityError:
        _shutdown(client)
        raise MailboxError(
            f"the IMAP server {host}:{port} does not offer STARTTLS;"
            " use security: tls (usually port 993) instead"
        ) from None
    except BaseException:
        _shutdown(client)
        raise
    return client


def _tls_context(settings: ImapMailbox) -> ssl.SSLContext:
    cafile = str(settings.tls_ca) if settings.tls_ca is not None else None
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise MailboxError(f"cannot use the CA bundle {cafile} (tls_ca): {reason}") from exc


def _shutdown(client: IMAPClient) -> None:
    with suppress(Exception):
        client.shutdown()


class _Connection:
    """One logged-in connection, made on demand; any error drops it, the next use reconnects."""

    def __init__(self, settings: ImapMailbox, connect: Connect | None) -> None:
        self.settings = settings
        self._connect = connect or partial(connect_imap, settings)
        self._secrets: set[str] = set()
        if settings.password is not None:
            self._secrets.add(settings.password.get_secret_value())
        self.client: IMAPClient | None = None
        self.selected: int | None = None  # UIDVALIDITY of the folder selected, if any
        self._folders: set[str] = set()  # folders known to exist

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.effective_port}"

    def open(self) -> IMAPClient:
        """The live connection, connecting and logging in first if there is none."""
        if self.client is not None:
            return self.client
        with self.guard("connecting"):
            client = self._connect()
        try:
            with self.guard("logging in"):
                self._login(client)
        except BaseException:
            _shutdown(client)
            raise
        self.client = client
        return client

    def _login(self, client: IMAPClient) -> None:
        settings = self.settings
        user = settings.username
        if user is None:
            return  # no credentials configured: the server authenticates the connection
        if settings.password is not None:
            password = settings.password.get_secret_value()
            if f"{user}{password}".isascii():
                client.login(user, password)
            else:
                # LOGIN carries plain ASCII only; AUTHENTICATE PLAIN carries UTF-8 (RFC 4616).
                client.plain_login(user, password)
            return
        if settings.oauth2_token_command:
            token = self._token_from_command(settings.oauth2_token_command)
        elif settings.oauth2_token_path is not None:
            token = self._token_from_file()
        else:
            raise self._login_refused(
                "no password, oauth2_token_command or oauth2_token_path is configured"
            )
        self._secrets.add(token)
        register_secrets([token])
        client.oauth2_login(user, token)

    def _login_refused(self, reason: str) -> MailboxLoginError:
        settings = self.settings
        return MailboxLoginError(
            f"login to {settings.host} as {settings.username} was refused: {reason}"
        )

    def _token_from_command(self, command: str) -> str:
        try:
            args = shlex.split(command)
        except ValueError as exc:
            raise self._login_refused(f"oauth2_token_command cannot be read: {exc}") from None
        if not args:
            raise self._login_refused("oauth2_token_command is empty")
        program = args[0]
        try:
            done = subprocess.run(
                args,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TOKEN_COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise self._login_refused(
                f"the OAuth2 token command {program} did not finish within "
                f"{TOKEN_COMMAND_TIMEOUT:g} s"
            ) from None
        except OSError as exc:
            raise self._login_refused(
                f"cannot run the OAuth2 token command {program}: {exc.strerror or exc}"
            ) from None
        if done.returncode != 0:
            detail = done.stderr.strip().splitlines()[-1:] or ["no message"]
            raise self._login_refused(
                f"the OAuth2 token command {program} failed with exit status "
                f"{done.returncode}: {detail[0][:200]}"
            )
        token = done.stdout.strip()
        if not token:
            raise self._login_refused(f"the OAuth2 token command {program} printed no token")
        return token

    def _token_from_file(self) -> str:
        path = self.settings.oauth2_token_path
        try:
            token = path.read_text(encoding="utf-8").strip() if path is not None else ""
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise self._login_refused(
                f"cannot read the OAuth2 token file {path}: {reason}"
            ) from None
        if not token:
            raise self._login_refused(f"the OAuth2 token file {path} is empty")
        return token

    def select(self, readonly: bool) -> tuple[IMAPClient, int, int | None]:
        """Select the configured folder; its UIDVALIDITY and UIDNEXT (if the server gives it)."""
        folder = self.settings.folder
        with self.guard(f"opening folder {folder}"):
            client = self.open()
            self.selected = None
            response = client.select_folder(folder, readonly=readonly)
            uidvalidity = int(response[b"UIDVALIDITY"])
            uidnext = response.get(b"UIDNEXT")
        self.selected = uidvalidity
        return client, uidvalidity, int(uidnext) if uidnext is not None else None

    def ensure_folder(self, client: IMAPClient, folder: str) -> None:
        """Create the folder unless it exists."""
        if folder in self._folders:
            return
        if not client.folder_exists(folder):
            try:
                client.create_folder(folder)
            except IMAPClientError:
                if not client.folder_exists(folder):  # not made meanwhile by another client
                    raise
        self._folders.add(folder)

    def drop(self) -> None:
        """Forget the connection without a word to the server (it may be gone already)."""
        client, self.client = self.client, None
        self.selected = None
        self._folders.clear()
        if client is not None:
            _shutdown(client)

    def close(self) -> None:
        """Log out politely; whatever fails then no longer matters."""
        client, self.client = self.client, None
        self.selected = None
        self._folders.clear()
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            _shutdown(client)

    @contextmanager
    def guard(self, doing: str) -> Iterator[None]:
        """Translate what goes wrong in the block into MailboxError; drop the connection."""
        try:
            yield
        except MailboxError:
            self.drop()
            raise
        except (IMAPClientError, OSError) as exc:
            self.drop()
            raise self._translate(exc, doing) from None

    def _translate(self, exc: Exception, doing: str) -> MailboxError:
        where = self.where
        if isinstance(exc, LoginError):
            reason = _server_text(exc).removeprefix("login failed: ")
            return self._login_refused(self._scrub(reason.removeprefix("authenticate failed: ")))
        if isinstance(exc, ssl.SSLCertVerificationError):
            message = (
                f"the certificate of the IMAP server {where} could not be verified "
                f"({exc.verify_message}); if the server's certificate is signed by a "
                "private CA, set tls_ca to that CA's certificate"
            )
        elif isinstance(exc, ssl.SSLError) and exc.reason == "WRONG_VERSION_NUMBER":
            message = (
                f"the IMAP server {where} did not answer in TLS; is {self.settings.effective_port}"
                " a port for security: tls (usually 993)?"
            )
        elif isinstance(exc, ssl.SSLError):
            message = f"TLS with the IMAP server {where} failed while {doing}: {exc.reason or exc}"
        elif isinstance(exc, TimeoutError):
            message = (
                f"the IMAP server {where} did not answer within "
                f"{self.settings.timeout:g} s while {doing}"
            )
        elif isinstance(exc, ConnectionRefusedError):
            message = f"cannot connect to the IMAP server {where}: connection refused"
        elif isinstance(exc, socket.gaierror):
            message = f"cannot find the IMAP server {self.settings.host}: {exc.strerror or exc}"
        elif isinstance(exc, OSError):
            message = (
                f"the connection to the IMAP server {where} failed while {doing}: "
                f"{exc.strerror or exc}"
            )
        elif isinstance(exc, CapabilityError):
            message = f"the IMAP server {where} cannot do what {doing} needs: {exc}"
        elif isinstance(exc, IMAPClientAbortError):
            message = f"the IMAP server {where} closed the connection while {doing} ({exc})"
        else:
            message = f"the IMAP server {where} refused {doing}: {exc}"
        return MailboxError(self._scrub(message))

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def _server_text(exc: Exception) -> str:
    """The server's words in an imaplib error, which may arrive as the repr of bytes."""
    text = str(exc.args[0]) if exc.args else str(exc)
    if exc.args and isinstance(exc.args[0], bytes):
        text = exc.args[0].decode("utf-8", "replace")
    match = re.fullmatch(r"b(['\"])(.*)\1", text, re.DOTALL)
    return match.group(2) if match else text


def _item(uidvalidity: int, uid: int) -> str:
    return f"{uidvalidity}:{uid}"


def _parse_item(item: str) -> tuple[int, int] | None:
    uidvalidity, _, uid = item.partition(":")
    if not (uidvalidity.isdigit() and uid.isdigit()):
        return None
    return int(uidvalidity), int(uid)


def _criteria(min_uid: int, since: date | None) -> list[Any]:
    criteria: list[Any] = ["UID", f"{min_uid}:*"]
    if since is not None:
        criteria += ["SINCE", since]
    return criteria


def _advance_min_uid(
    state: SyncState, pending: list[int], found: list[int], uidnext: int | None
) -> None:
    """Start the next search at the first message not stored yet.

    Every message below it is stored; new mail always gets a UID at or above
    UIDNEXT, and a message that failed to store is still pending, so nothing
    is passed over. A folder whose mail is all stored then answers the search
    with next to nothing, however full it is.
    """
    if pending:
        lowest = pending[0]
    elif uidnext is not None:
        lowest = uidnext
    elif found:
        lowest = found[-1] + 1
    else:
        return
    if lowest > int(state.get(MIN_UID) or 1):
        state.set(MIN_UID, str(lowest))


class ImapMailSource:
    """A folder on an IMAP server, read incrementally by UID (the MailSource port).

    On the first run against a folder, `first_run` decides where reading starts:
    at `campaign_start` (by the date the server received each message), at the
    beginning, or at the next message to arrive. That choice is kept in the sync
    state and holds from then on. When the server renumbers the folder (a new
    UIDVALIDITY), the folder is read again from the same start: ingestion
    recognises the messages already stored by their Message-ID, so nothing is
    lost and nothing is counted twice.
    """

    def __init__(
        self,
        settings: ImapMailbox,
        campaign_start: date | None,
        connect: Connect | None = None,
    ) -> None:
        self.settings = settings
        self.campaign_start = campaign_start
        self._connection = _Connection(settings, connect)

    @property
    def identity(self) -> str:
        return self.settings.identity

    @property
    def _readonly(self) -> bool:
        return self.settings.after_ingest == "leave"

    def new_messages(self, seen: Container[str], state: SyncState) -> Iterator[IncomingMessage]:
        client, uidvalidity, uidnext = self._open_folder()
        with self._connection.guard(f"searching folder {self.settings.folder}"):
            uids = self._uids_to_read(client, state, uidvalidity, uidnext)
        pending = [uid for uid in uids if _item(uidvalidity, uid) not in seen]
        log.debug("imap_polled", mailbox=self.identity, found=len(uids), new=len(pending))
        _advance_min_uid(state, pending, uids, uidnext)
        size = self.settings.batch_size
        for start in range(0, len(pending), size):
            batch = pending[start : start + size]
            with self._connection.guard("fetching messages"):
                current = self._client_for(uidvalidity)
                if current is None:
                    return  # renumbered meanwhile: the next poll reads the folder again
                fetched = current.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                raw = fetched.get(uid, {}).get(_BODY)
                if raw is None:
                    continue  # deleted since the search
                yield IncomingMessage(_item(uidvalidity, uid), bytes(raw))

    def waiting(self, seen: Container[str], state: SyncState) -> list[datetime] | None:
        """When the messages in reading range but not yet ingested arrived (INTERNALDATE)."""
        stored = state.get(UIDVALIDITY)
        client, uidvalidity, _ = self._open_folder()
        if stored != str(uidvalidity):
            return None  # never read, or renumbered: the next poll reads the folder again
        since_text = state.get(SINCE)
        since = date.fromisoformat(since_text) if since_text else None
        min_uid = int(state.get(MIN_UID) or 1)
        with self._connection.guard("looking for mail not yet ingested"):
            found = client.search(_criteria(min_uid, since))
            pending = [u for u in found if u >= min_uid and _item(uidvalidity, u) not in seen]
            if not pending:
                return []
            client.normalise_times = False  # aware times, whatever the server's zone
            dates = client.fetch(pending[:WAITING_SAMPLE], ["INTERNALDATE"])
        return [d[b"INTERNALDATE"] for d in dates.values() if b"INTERNALDATE" in d]

    def _open_folder(self) -> tuple[IMAPClient, int, int | None]:
        """Select the folder, reconnecting once if a connection kept from before has died."""
        reused = self._connection.client is not None
        try:
            return self._connection.select(readonly=self._readonly)
        except MailboxLoginError:
            raise
        except MailboxError as exc:
            if not reused:
                raise
            log.info("imap_reconnect", mailbox=self.identity, reason=str(exc))
            return self._connection.select(readonly=self._readonly)

    def _client_for(self, uidvalidity: int) -> IMAPClient | None:
        """The connection with the folder selected under this UIDVALIDITY, or None if renumbered."""
        connection = self._connection
        if connection.client is None or connection.selected is None:
            connection.select(readonly=self._readonly)
        if connection.selected != uidvalidity:
            return None
        return connection.client

    def _uids_to_read(
        self, client: IMAPClient, state: SyncState, uidvalidity: int, uidnext: int | None
    ) -> list[int]:
        """UIDs of the messages in reading range, oldest first; keeps the sync state."""
        stored = state.get(UIDVALIDITY)
        since_text = state.get(SINCE)
        since = date.fromisoformat(since_text) if since_text else None
        if stored == str(uidvalidity):
            min_uid = int(state.get(MIN_UID) or 1)
            found = client.search(_criteria(min_uid, since))
            return sorted(int(uid) for uid in found if int(uid) >= min_uid)

        if uidnext is None:  # an old server: the next UID is one past the highest
            uidnext = max((int(uid) for uid in client.search("ALL")), default=0) + 1
        if stored is None:
            # The first run (or one cut short before it stored the UIDVALIDITY).
            policy = self.settings.first_run
            if since_text is None:
                if policy == "since_campaign_start":
                    since = self.campaign_start
                elif policy == "new_only":
                    # Only kept for a renumbering later on: then the folder is read
                    # again from here. A day early, as servers compare in their own
                    # time zone.
                    since = date.today() - timedelta(days=1)
                if since is not None:
                    state.set(SINCE, since.isoformat())
            log.info(
                "imap_first_run",
                mailbox=self.identity,
                policy=policy,
                since=since.isoformat() if since else None,
                uidvalidity=uidvalidity,
            )
            if policy == "new_only":
                min_uid = int(state.get(MIN_UID) or uidnext)
                state.set(MIN_UID, str(min_uid))
                state.set(UIDVALIDITY, str(uidvalidity))
                if min_uid >= uidnext:
                    return []
                found = client.search(_criteria(min_uid, since))
                return sorted(int(uid) for uid in found if int(uid) >= min_uid)
        else:
            log.warning(
                "imap_uidvalidity_changed",
                mailbox=self.identity,
                was=stored,
                now=uidvalidity,
                reading_since=since_text or "the beginning",
            )
        found = sorted(int(uid) for uid in client.search(_criteria(1, since)))
        state.set(MIN_UID, str(found[0] if found else uidnext))
        state.set(UIDVALIDITY, str(uidvalidity))
        return found

    def processed(self, item: str) -> None:
        """Flag or move the message once it is stored, as `after_ingest` says."""
        action = self.settings.after_ingest
        parsed = _parse_item(item)
        if action == "leave" or parsed is None:
            return
        uidvalidity, uid = parsed
        doing = (
            "flagging a message"
            if action == "flag"
            else f"moving a message to {self.settings.processed_folder}"
        )
        with self._connection.guard(doing):
            client = self._client_for(uidvalidity)
            if client is None:
                log.info("imap_item_renumbered", mailbox=self.identity, item=item)
                return
            if action == "flag":
                client.add_flags([uid], [FLAGGED], silent=True)
            else:
                self._move(client, uid)

    def _move(self, client: IMAPClient, uid: int) -> None:
        folder = self.settings.processed_folder
        self._connection.ensure_folder(client, folder)
        if client.has_capability("MOVE"):
            client.move([uid], folder)
            return
        client.copy([uid], folder)
        client.add_flags([uid], [DELETED], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            # A plain EXPUNGE would also remove what the office's own mail client
            # marked deleted; the copy is left marked for that client to expunge.
            log.warning("imap_left_marked_deleted", mailbox=self.identity, uid=uid)

    def close(self) -> None:
        self._connection.close()


class ImapIdleWatcher:
    """Tells, between polls, that mail has arrived in the folder (IMAP IDLE).

    Runs in a thread of its own with a connection of its own. Whatever goes wrong,
    it starts over after a pause that doubles from 1 s to 60 s, and after each
    reconnection calls `on_mail` once, so that mail that came meanwhile is read.
    """

    def __init__(self, settings: ImapMailbox, connect: Connect | None = None) -> None:
        self.settings = settings
        self._connect = connect

    def watch(self, stop: threading.Event, on_mail: Callable[[], None]) -> None:
        """Call `on_mail` when new mail arrives, until `stop` is set.

        Returns at once if the server cannot IDLE (or `idle` is off): polling alone
        then finds the mail.
        """
        delay = _FIRST_DELAY
        reconnecting = False
        while not stop.is_set():
            connection = _Connection(self.settings, self._connect)
            try:
                client, _, _ = connection.select(readonly=True)
                with connection.guard("asking what the server can do"):
                    can_idle = client.has_capability("IDLE")
                if not (self.settings.idle and can_idle):
                    log.info(
                        "imap_idle_unavailable",
                        mailbox=self.settings.identity,
                        reason="turned off" if not self.settings.idle else "server lacks IDLE",
                    )
                    return
                if reconnecting:
                    on_mail()
                with connection.guard("starting IDLE"):
                    client.idle()
                delay = _FIRST_DELAY
                self._idle(connection, client, stop, on_mail)
            except Exception as exc:  # the watchdog: whatever happened, start over
                if stop.is_set():
                    break
                reason = str(exc) if isinstance(exc, AnupalanError) else type(exc).__name__
                log.warning(
                    "imap_idle_reconnect",
                    mailbox=self.settings.identity,
                    reason=reason,
                    retry_in=delay,
                )
                connection.drop()
                reconnecting = True
                stop.wait(delay)
                delay = min(delay * 2, _MAX_DELAY)
            finally:
                connection.close()

    def _idle(
        self,
        connection: _Connection,
        client: IMAPClient,
        stop: threading.Event,
        on_mail: Callable[[], None],
    ) -> None:
        """Wait in IDLE until `stop` is set, renewing it before servers give up on it."""
        renew = float(self.settings.idle_renew_seconds)
        started = time.monotonic()
        quick_empty = 0
        while not stop.is_set():
            remaining = started + renew - time.monotonic()
            if remaining <= 0:
                with connection.guard("renewing IDLE"):
                    client.idle_done()
                    client.idle()
                started = time.monotonic()
                continue
            wait = min(_IDLE_SLICE, remaining)
            began = time.monotonic()
            with connection.guard("waiting for new mail"):
                responses = client.idle_check(timeout=wait)
            if any(response[:1] == (b"BYE",) for response in responses):
                raise MailboxError(
                    f"the IMAP server {connection.where} closed the connection while waiting"
                    " for new mail"
                )
            # idle_check returns nothing at once, again and again, once the server
            # has closed the connection.
            quick = not responses and time.monotonic() - began < wait / 2
            quick_empty = quick_empty + 1 if quick else 0
            if quick_empty >= _QUICK_EMPTY_LIMIT:
                raise MailboxError(
                    f"the connection to the IMAP server {connection.where} was closed"
                    " while waiting for new mail"
                )
            if any(
                len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")
                for response in responses
            ):
                on_mail()
        with suppress(IMAPClientError, OSError):
            client.idle_done()


class ImapSentFolder:
    """Keeps a copy of each sent mail in a folder of the IMAP mailbox, marked as read."""

    def __init__(self, settings: ImapMailbox, folder: str, connect: Connect | None = None) -> None:
        self.settings = settings
        self.folder = folder
        self._connect = connect

    def append(self, content: bytes) -> None:
        connection = _Connection(self.settings, self._connect)
        try:
            with connection.guard(f"saving a copy in folder {self.folder}"):
                client = connection.open()
                connection.ensure_folder(client, self.folder)
                client.append(self.folder, content, flags=[SEEN])
        finally:
            connection.close()
