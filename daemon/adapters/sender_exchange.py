"""The Exchange sender: each mail goes out through EWS, with a copy kept in Sent Items.

The mail's stored bytes are sent unchanged as the new item's MIME content
(CreateItem with MessageDisposition SendAndSaveCopy), so its attachments, its
headers and its deterministic Message-ID travel as they were rendered; Exchange
keeps a Message-ID it finds in the MIME content. Exchange delivers to the
addresses in the To, Cc and Bcc headers: the outbox puts every recipient there.

Every failure is translated here into one of the two errors the outbox knows:
`TransientSendError` (a busy or unreachable server, a refused login, a mailbox
the account may not send from: tried again later) or `PermanentSendError` (the
server refused this mail: invalid recipients, too large, unreadable). Each
message names the server and never holds a password, a secret or a token.

The one seam is `account_factory`, which returns an exchangelib `Account`
(`exchange_account` is the real one).
"""

from __future__ import annotations

from collections.abc import Callable
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from functools import partial

import structlog
from exchangelib import Account, Message

from daemon.adapters.exchange import EWS_ERRORS, exchange_account, explain, release, server_name
from daemon.config import ExchangeOutgoing
from daemon.errors import PermanentSendError, SendError, TransientSendError
from daemon.ports import OutgoingMail

log = structlog.get_logger("anupalan.exchange")

AccountFactory = Callable[[], Account]


class ExchangeSender:
    """Sends each mail through EWS and saves a copy in Sent Items (the MailSender port).

    The account is made on first use and kept between mails; any failure other
    than a refused mail lets it go, and the next mail starts afresh.
    """

    def __init__(
        self, settings: ExchangeOutgoing, account_factory: AccountFactory | None = None
    ) -> None:
        self.settings = settings
        self._factory = account_factory or partial(exchange_account, settings)
        self._account: Account | None = None

    @property
    def server(self) -> str:
        """The server as messages name it: its EWS address, or how it is found."""
        return server_name(self.settings, self._account)

    def send(self, mail: OutgoingMail) -> None:
        if not mail.recipients:
            raise PermanentSendError(f"mail {mail.message_id} has no recipients")
        _warn_unlisted(mail)
        try:
            if self._account is None:
                self._account = self._factory()
            Message(account=self._account, mime_content=mail.content).send_and_save()
        except SendError:
            raise
        except EWS_ERRORS as exc:
            raise self._translate(exc, mail) from None

    def _translate(self, exc: BaseException, mail: OutgoingMail) -> SendError:
        failure = explain(exc, self.settings, f"sending mail {mail.message_id}", self.server)
        if failure.cause == "rejected":
            return PermanentSendError(failure.message)
        self.close()
        return TransientSendError(failure.message)

    def close(self) -> None:
        """Let go of the connection; the next mail opens a new one."""
        account, self._account = self._account, None
        if account is not None:
            release(account)


def _warn_unlisted(mail: OutgoingMail) -> None:
    """Log the recipients Exchange will not send to because no header names them."""
    headers = BytesHeaderParser().parsebytes(mail.content)
    named = {
        address.lower()
        for _, address in getaddresses(
            [str(value) for field in ("to", "cc", "bcc") for value in headers.get_all(field, [])]
        )
    }
    unlisted = [r for r in mail.recipients if r.lower() not in named]
    if unlisted:
        log.warning("exchange_recipients_not_in_headers", mail=mail.key, unlisted=unlisted)
