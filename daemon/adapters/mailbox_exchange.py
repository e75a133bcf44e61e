"""Exchange as a mail source: a folder of an on-premises Exchange mailbox, read through EWS.

`ExchangeMailSource` reads the configured folder incrementally with
SyncFolderItems. An item id is the EWS item id. Each message is read whole as
its MIME content, which carries every attachment as a MIME part: files
(FileAttachment) as they are, and attached mails (ItemAttachment, a forwarded
mail) as message/rfc822 parts, so ingestion reads them exactly as it reads IMAP
mail.

The sync state is never ahead of what is stored. A SyncFolderItems batch's new
state is saved only once every message of the batch was handed over and the
caller came back for more, having stored each one (or failed to) before asking
for the next. A crash before then leaves the old state, and the next poll offers
the batch again; what was stored meanwhile is skipped through `seen`. Messages
handed over but never reported stored (`processed`), because they failed to
store, are kept in the sync state too and offered again at every poll, as the
port promises.

The one seam is `account_factory`, which returns an exchangelib `Account`
(`exchange_account` is the real one). Every third-party exception is
translated here into `MailboxLoginError` or `MailboxError`, whose messages name
the server and never hold a password, a secret or a token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

import structlog
from exchangelib import SHALLOW, Account, Folder, FolderCollection, ItemId, Message
from exchangelib.errors import ErrorFolderExists, ErrorInvalidSyncStateData, ErrorItemNotFound
from exchangelib.fields import FieldPath
from exchangelib.items import ID_ONLY
from exchangelib.services import CreateFolder, SyncFolderItems

from daemon.adapters.exchange import (
    EWS_ERRORS,
    exchange_account,
    explain,
    release,
    server_name,
)
from daemon.config import ExchangeMailbox
from daemon.errors import MailboxError, MailboxLoginError
from daemon.ports import IncomingMessage, SyncState

log = structlog.get_logger("anupalan.exchange")

AccountFactory = Callable[[], Account]

# Names of the values kept in the sync state.
SYNC_STATE = "sync_state"  # the SyncState EWS gave with the last batch stored in full
FOLDER_ID = "folder_id"  # the folder that sync state belongs to
PENDING = "pending"  # ids handed over but not reported stored: offered again

FETCH_CHUNK = 10  # messages whose MIME content one GetItem asks for
_CREATED = (SyncFolderItems.CREATE, SyncFolderItems.UPDATE)
_RECEIVED = FieldPath(field=Message.get_field_by_fieldname("datetime_received"))
_NEVER = datetime.max.replace(tzinfo=UTC)


class ExchangeMailSource:
    """A folder of an Exchange mailbox, read incrementally through EWS (the MailSource port).

    `folder` is a path under the mailbox root, such as Inbox or Inbox/Returns;
    Inbox is found by its well-known id, whatever its display name. With
    `after_ingest: move`, each stored message is moved to `processed_folder`
    (a path under the mailbox root, created when missing).
    """

    def __init__(
        self, settings: ExchangeMailbox, account_factory: AccountFactory | None = None
    ) -> None:
        self.settings = settings
        self._factory = account_factory or partial(exchange_account, settings)
        self._account: Account | None = None
        self._folder: Any = None  # the folder read, once found
        self._processed_folder: Any = None
        # Handed over in this poll and not yet reported stored.
        self._unconfirmed: dict[str, None] = {}

    @property
    def identity(self) -> str:
        return self.settings.identity

    # -- reading ------------------------------------------------------------------

    def new_messages(self, seen: Container[str], state: SyncState) -> Iterator[IncomingMessage]:
        folder = self._open_folder()
        folder_id = str(folder.id)
        self._unconfirmed = {}
        offered: set[str] = set()
        sync_state = state.get(SYNC_STATE)
        if sync_state and state.get(FOLDER_ID) != folder_id:
            log.warning(
                "exchange_folder_changed", mailbox=self.identity, folder=self.settings.folder
            )
            sync_state = None  # the state of another folder: this one is read from the start

        again = [item for item in _ids(state.get(PENDING)) if item not in seen]
        if again:
            log.info("exchange_offering_again", mailbox=self.identity, items=len(again))
        yield from self._messages(again, offered)

        while True:
            ids, next_state, last = self._changes(folder, sync_state)
            new = [item for item in ids if item not in seen and item not in offered]
            log.debug("exchange_polled", mailbox=self.identity, changes=len(ids), new=len(new))
            yield from self._messages(new, offered)
            # The caller came back for more: each message of the batch is stored, or
            # failed and is still unconfirmed. Only now may the state move on.
            state.set(PENDING, json.dumps(list(self._unconfirmed)))
            state.set(FOLDER_ID, folder_id)
            state.set(SYNC_STATE, next_state)
            if last or next_state == sync_state:
                return
            sync_state = next_state

    def _changes(self, folder: Any, sync_state: str | None) -> tuple[list[str], str, bool]:
        """One SyncFolderItems batch: ids of new or changed items, oldest first; the next state."""
        with self._guard(f"reading folder {self.settings.folder}"):
            account = self._open()
            try:
                return self._sync(account, folder, sync_state)
            except ErrorInvalidSyncStateData:
                if sync_state is None:
                    raise
                # Expired or corrupt: read the folder from the start; what is stored is skipped.
                log.warning("exchange_sync_state_invalid", mailbox=self.identity)
                return self._sync(account, folder, None)

    def _sync(
        self, account: Account, folder: Any, sync_state: str | None
    ) -> tuple[list[str], str, bool]:
        service = SyncFolderItems(account=account)
        changes = list(
            service.call(
                folder=folder,
                shape=ID_ONLY,
                additional_fields={_RECEIVED},
                sync_state=sync_state,
                ignore=None,
                max_changes_returned=self.settings.batch_size,
                sync_scope=None,
            )
        )
        items = [item for kind, item in changes if kind in _CREATED and item.id]
        items.sort(key=lambda item: item.datetime_received or _NEVER)
        ids = list(dict.fromkeys(str(item.id) for item in items))
        return ids, str(service.sync_state), bool(service.includes_last_item_in_range)

    def _messages(self, ids: Sequence[str], offered: set[str]) -> Iterator[IncomingMessage]:
        """The messages with these ids, read as MIME, a few per request; those gone are skipped."""
        for start in range(0, len(ids), FETCH_CHUNK):
            chunk = ids[start : start + FETCH_CHUNK]
            with self._guard("reading messages"):
                account = self._open()
                fetched = list(
                    account.fetch(
                        ids=[ItemId(id=item) for item in chunk],
                        folder=self._folder,
                        only_fields=["mime_content"],
                    )
                )
            for item, found in zip(chunk, fetched, strict=False):
                offered.add(item)
                if isinstance(found, ErrorItemNotFound):
                    continue  # moved or deleted since
                if isinstance(found, Exception) or not getattr(found, "mime_content", None):
                    # Unreadable for now (ErrorMimeContentConversionFailed, ...): kept
                    # unconfirmed, so it is tried again at the next poll.
                    log.warning(
                        "exchange_message_unreadable",
                        mailbox=self.identity,
                        item=item,
                        error=type(found).__name__ if isinstance(found, Exception) else "empty",
                    )
                    self._unconfirmed[item] = None
                    continue
                self._unconfirmed[item] = None
                yield IncomingMessage(item, bytes(found.mime_content))

    # -- after storing ------------------------------------------------------------

    def processed(self, item: str) -> None:
        """Note that the message is stored; move it to `processed_folder` if so configured."""
        self._unconfirmed.pop(item, None)
        if self.settings.after_ingest != "move":
            return
        with self._guard(f"moving a message to {self.settings.processed_folder}"):
            account = self._open()
            target = self._processed_target(account)
            for result in account.bulk_move(ids=[ItemId(id=item)], to_folder=target):
                if isinstance(result, ErrorItemNotFound):
                    log.info("exchange_item_gone", mailbox=self.identity, item=item)
                elif isinstance(result, Exception):
                    raise result

    def _processed_target(self, account: Account) -> Any:
        if self._processed_folder is None:
            self._processed_folder = self._find(account, self.settings.processed_folder, True)
        return self._processed_folder

    # -- folders ------------------------------------------------------------------

    def _open_folder(self) -> Any:
        if self._folder is None:
            with self._guard(f"opening folder {self.settings.folder}"):
                self._folder = self._find(self._open(), self.settings.folder, False)
        return self._folder

    def _find(self, account: Account, path: str, create: bool) -> Any:
        """The folder at `path` under the mailbox root; made level by level if `create`."""
        names = [name for name in path.strip("/").split("/") if name.strip()]
        if names and names[0].strip().lower() == "inbox":
            current, names = account.inbox, names[1:]
        else:
            current = account.msg_folder_root
        for name in names:
            child = _child(account, current, name.strip())
            if child is None:
                if not create:
                    raise MailboxError(
                        f"the mailbox {self.settings.primary_smtp_address} has no folder "
                        f"'{path}' (folder)"
                    )
                child = _make_child(account, current, name.strip())
                log.info("exchange_folder_created", mailbox=self.identity, folder=path)
            current = child
        return current

    # -- the connection -----------------------------------------------------------

    def _open(self) -> Account:
        if self._account is None:
            self._account = self._factory()
        return self._account

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Translate what goes wrong in the block into MailboxError; start afresh next time."""
        try:
            yield
        except MailboxError:
            self._drop()
            raise
        except EWS_ERRORS as exc:
            failure = explain(exc, self.settings, doing, server_name(self.settings, self._account))
            self._drop()
            if failure.cause == "login":
                raise MailboxLoginError(failure.message) from None
            raise MailboxError(failure.message) from None

    def _drop(self) -> None:
        account, self._account = self._account, None
        self._folder = None
        self._processed_folder = None
        if account is not None:
            release(account)

    def waiting(self, seen: Container[str], state: SyncState) -> list[datetime] | None:
        """Not known without moving the sync state on; the health check does without it."""
        return None

    def close(self) -> None:
        self._drop()


def _child(account: Account, parent: Any, name: str) -> Any:
    """The direct sub-folder of `parent` called `name` (as Exchange does, ignoring case)."""
    wanted = name.lower()
    for folder in FolderCollection(account=account, folders=[parent]).find_folders(depth=SHALLOW):
        if isinstance(folder, Exception):
            raise folder
        if (folder.name or "").lower() == wanted:
            return folder
    return None


def _make_child(account: Account, parent: Any, name: str) -> Any:
    folder = Folder(parent=parent, name=name, folder_class="IPF.Note")
    try:
        return CreateFolder(account=account).get(parent_folder=parent, folders=[folder])
    except ErrorFolderExists:  # made meanwhile by someone else
        found = _child(account, parent, name)
        if found is None:
            raise
        return found


def _ids(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
