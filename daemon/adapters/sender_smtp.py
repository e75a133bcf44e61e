"""The SMTP sender: each mail goes to the office's SMTP server through smtplib.

Every failure is translated here into one of the two errors the outbox knows:
`TransientSendError` (tried again later, with back-off) or `PermanentSendError`
(marked failed and reported). Each message names the server as host:port and
quotes its reply; none ever contains the password or the OAuth2 token.

The connection is the one seam: `SmtpSender` takes a `connect` factory that
returns a connected (and, where configured, encrypted) `smtplib.SMTP`; the
default, `open_connection`, follows the `security` setting and never falls back
to sending in the clear.
"""

from __future__ import annotations

import re
import shlex
import smtplib
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterable, Mapping
from functools import partial

import structlog

from daemon.config import SmtpOutgoing
from daemon.errors import PermanentSendError, SendError, TransientSendError
from daemon.logging_setup import register_secrets
from daemon.ports import OutgoingMail

log = structlog.get_logger("anupalan.smtp")

TOKEN_COMMAND_TIMEOUT = 30.0  # seconds an OAuth2 token command may take

# Replies that mean "your login is not accepted": fixed in the configuration, after
# which the mail must still go, so they are retried rather than given up at once.
_LOGIN_REFUSED = frozenset({530, 534, 535})
_LINE_END = re.compile(rb"\r\n|\r|\n")


def wire_form(content: bytes) -> bytes:
    """The mail's bytes with every line ending in CRLF, as SMTP carries them (RFC 5321 2.3.8).

    Rendered mail is stored with the line ends Python's email package writes (LF);
    servers refuse or mangle bare LF, so only the line ends change on the wire.
    """
    return _LINE_END.sub(b"\r\n", content)


def server_name(settings: SmtpOutgoing) -> str:
    """The server as host:port, as every message about it names it."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.effective_port}"


def tls_context(settings: SmtpOutgoing) -> ssl.SSLContext:
    """A verifying TLS context: the system's CAs, or the bundle named by `tls_ca`."""
    try:
        return ssl.create_default_context(
            cafile=str(settings.tls_ca) if settings.tls_ca is not None else None
        )
    except (OSError, ssl.SSLError) as exc:
        detail = getattr(exc, "strerror", None) or exc
        raise TransientSendError(
            f"cannot use the CA bundle {settings.tls_ca} to verify {server_name(settings)}: "
            f"{detail}"
        ) from exc


def open_connection(settings: SmtpOutgoing) -> smtplib.SMTP:
    """Connect as `security` says: TLS from the first byte, STARTTLS, or (loopback only) none.

    With starttls, a server that does not offer or complete STARTTLS is an error:
    nothing is ever sent in the clear instead.
    """
    host, port, timeout = settings.host, settings.effective_port, settings.timeout
    if settings.security == "tls":
        return smtplib.SMTP_SSL(host, port, context=tls_context(settings), timeout=timeout)
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if settings.security == "none":
        return smtp
    try:
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            raise TransientSendError(
                f"{server_name(settings)} does not offer STARTTLS, so nothing was sent "
                "(security: starttls never falls back to sending in the clear); "
                "check the port and the server, or use security: tls"
            )
        try:
            smtp.starttls(context=tls_context(settings))
        except smtplib.SMTPResponseException as exc:
            # Not the mail's fault, and never a reason to go on in the clear.
            raise TransientSendError(
                f"{server_name(settings)} offered STARTTLS but refused it"
                f" ({_reply(exc.smtp_code, exc.smtp_error)}), so nothing was sent"
            ) from exc
        smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


class _XOAuth2:
    """The XOAUTH2 initial response; an empty answer to the server's error challenge."""

    def __init__(self, username: str, token: str) -> None:
        self._response = f"user={username}\x01auth=Bearer {token}\x01\x01"

    def __call__(self, challenge: bytes | None = None, /) -> str:
        return self._response if challenge is None else ""


class _LoginProblem(Exception):
    """The credentials could not even be put together (token command failed, file unreadable)."""


class SmtpSender:
    """Delivers each mail over one SMTP connection, logging in when a username is set.

    `connect` returns a connected `smtplib.SMTP` (default: `open_connection`);
    `copy_to_sent`, if given, receives the mail's bytes after it was accepted
    (to keep a copy in a Sent folder); its failure is logged, never raised.
    """

    def __init__(
        self,
        settings: SmtpOutgoing,
        connect: Callable[[], smtplib.SMTP] | None = None,
        copy_to_sent: Callable[[bytes], None] | None = None,
    ) -> None:
        self.settings = settings
        self._connect = connect if connect is not None else partial(open_connection, settings)
        self._copy_to_sent = copy_to_sent
        self._tokens: set[str] = set()  # OAuth2 tokens used so far, kept out of every message

    @property
    def server(self) -> str:
        """The server as host:port."""
        return server_name(self.settings)

    def send(self, mail: OutgoingMail) -> None:
        if not mail.recipients:
            raise PermanentSendError(f"mail {mail.message_id} has no recipients")
        try:
            smtp = self._connect()
        except SendError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise self._translate(exc) from exc
        try:
            self._log_in(smtp)
            refused = smtp.sendmail(
                mail.sender,
                list(mail.recipients),
                wire_form(mail.content),
                mail_options=_utf8_options(mail.sender, mail.recipients),
            )
        except SendError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._every_recipient_refused(exc.recipients) from exc
        except _LoginProblem as exc:
            raise TransientSendError(str(exc)) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self._translate(exc) from exc
        except UnicodeEncodeError as exc:
            raise PermanentSendError(
                f"{self.server}: an address of mail {mail.message_id} is not plain ASCII"
                " and cannot be written in an SMTP command"
            ) from exc
        finally:
            _quit(smtp)
        if refused:
            log.warning(
                "smtp_recipients_refused",
                mail=mail.key,
                server=self.server,
                refused=_describe_refusals(refused),
                delivered=[r for r in mail.recipients if r not in refused],
            )
        self._keep_copy(mail)

    # -- logging in ---------------------------------------------------------------

    def _log_in(self, smtp: smtplib.SMTP) -> None:
        settings = self.settings
        if not settings.username:
            return
        try:
            if settings.password is not None:
                smtp.login(settings.username, settings.password.get_secret_value())
            elif settings.oauth2_token_command or settings.oauth2_token_path is not None:
                token = self._oauth2_token()
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("auth"):
                    raise smtplib.SMTPNotSupportedError(
                        "SMTP AUTH extension not supported by server."
                    )
                smtp.auth("XOAUTH2", _XOAuth2(settings.username, token))
        except UnicodeEncodeError:
            # smtplib sends credentials as ASCII only.
            raise _LoginProblem(
                f"cannot log in to {self.server}: the username, password or token contains"
                " characters other than plain ASCII, which SMTP login cannot carry here"
            ) from None

    def _oauth2_token(self) -> str:
        """A fresh access token, from the command or the file; read again at every login."""
        settings = self.settings
        if settings.oauth2_token_command:
            token = self._run_token_command(settings.oauth2_token_command)
            source = "the oauth2_token_command"
        else:
            path = settings.oauth2_token_path
            try:
                token = path.read_text(encoding="utf-8").strip() if path is not None else ""
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or "not readable as UTF-8 text"
                raise _LoginProblem(
                    f"cannot log in to {self.server}: cannot read the OAuth2 token file "
                    f"{path}: {reason}"
                ) from None
            source = f"the OAuth2 token file {path}"
        if not token:
            raise _LoginProblem(f"cannot log in to {self.server}: {source} gave no token")
        self._tokens.add(token)
        register_secrets([token])
        return token

    def _run_token_command(self, command: str) -> str:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise _LoginProblem(
                f"cannot log in to {self.server}: the oauth2_token_command cannot be split"
                f" into words ({exc})"
            ) from None
        if not argv:
            raise _LoginProblem(
                f"cannot log in to {self.server}: the oauth2_token_command is empty"
            )
        program = argv[0]
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                timeout=TOKEN_COMMAND_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise _LoginProblem(
                f"cannot log in to {self.server}: the OAuth2 token command {program} did not"
                f" finish within {TOKEN_COMMAND_TIMEOUT:g} s"
            ) from None
        except OSError as exc:
            raise _LoginProblem(
                f"cannot log in to {self.server}: cannot run the OAuth2 token command"
                f" {program}: {exc.strerror or exc}"
            ) from None
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            said = f": {lines[-1][:200]}" if lines else ""
            raise _LoginProblem(
                f"cannot log in to {self.server}: the OAuth2 token command {program} failed"
                f" with exit status {done.returncode}{said}"
            )
        return done.stdout.decode("utf-8", "replace").strip()

    # -- outcomes -----------------------------------------------------------------

    def _keep_copy(self, mail: OutgoingMail) -> None:
        if self._copy_to_sent is None:
            return
        try:
            self._copy_to_sent(mail.content)
        except Exception as exc:
            # The mail went out; a missing copy in Sent must not send it again.
            log.warning(
                "smtp_copy_to_sent_failed", mail=mail.key, error=str(exc) or type(exc).__name__
            )

    def _every_recipient_refused(
        self, refusals: Mapping[str, tuple[int, bytes]]
    ) -> PermanentSendError | TransientSendError:
        described = "; ".join(f"{a} ({r})" for a, r in _describe_refusals(refusals).items())
        if any(400 <= code < 500 for code, _ in refusals.values()):
            # Greylisting and full mailboxes answer 4xx: the next attempt may get through.
            return TransientSendError(
                f"{self.server} turned away every recipient for now: {described}"
            )
        return PermanentSendError(f"{self.server} refused every recipient: {described}")

    def _translate(self, exc: smtplib.SMTPException | OSError) -> SendError:
        server = self.server
        if isinstance(exc, smtplib.SMTPConnectError):
            return TransientSendError(
                f"{server} refused the connection: {_reply(exc.smtp_code, exc.smtp_error)}"
            )
        if isinstance(exc, smtplib.SMTPAuthenticationError) or (
            isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code in _LOGIN_REFUSED
        ):
            reply = self._scrub(_reply(exc.smtp_code, exc.smtp_error))
            if not self.settings.username:
                return TransientSendError(
                    f"{server} wants a login first: {reply}; set username and password"
                    " (or an OAuth2 token) under outgoing"
                )
            return TransientSendError(
                f"{server} refused the login as {self.settings.username}: {reply};"
                " check the username and password (or token) in the configuration"
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            reply = _reply(exc.smtp_code, exc.smtp_error)
            what = _refused_what(exc)
            if 500 <= exc.smtp_code < 600:
                return PermanentSendError(f"{server} refused {what}: {reply}")
            return TransientSendError(f"{server} did not accept {what} for now: {reply}")
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            if isinstance(exc.__context__, TimeoutError):  # smtplib wraps a read timeout
                return self._translate(exc.__context__)
            return TransientSendError(f"{server} closed the connection: {exc}")
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return _not_supported(server, exc)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return TransientSendError(
                f"cannot verify the TLS certificate of {server}: {exc.verify_message};"
                " if the server uses its own CA, name its certificate in tls_ca"
            )
        if isinstance(exc, ssl.SSLError):
            return TransientSendError(f"TLS with {server} failed: {exc.reason or exc}")
        if isinstance(exc, TimeoutError):
            return TransientSendError(f"{server} did not answer within {self.settings.timeout:g} s")
        if isinstance(exc, socket.gaierror):
            return TransientSendError(
                f"cannot find the mail server {self.settings.host}: {exc.strerror or exc}"
            )
        if isinstance(exc, OSError):
            return TransientSendError(f"cannot reach {server}: {exc.strerror or exc}")
        return TransientSendError(f"{server}: {self._scrub(str(exc))}")

    def _scrub(self, text: str) -> str:
        """Take the password and tokens out of a server's reply, in case a server echoes them."""
        password = self.settings.password
        secrets = {*self._tokens, password.get_secret_value() if password is not None else ""}
        for secret in sorted(secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, "***")
        return text


def _utf8_options(sender: str, recipients: Iterable[str]) -> list[str]:
    """SMTPUTF8 when an address needs it (a Unicode local part); nothing otherwise."""
    return [] if all(a.isascii() for a in (sender, *recipients)) else ["SMTPUTF8"]


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}".strip()


def _describe_refusals(refusals: Mapping[str, tuple[int, bytes]]) -> dict[str, str]:
    return {address: _reply(code, text) for address, (code, text) in refusals.items()}


def _refused_what(exc: smtplib.SMTPResponseException) -> str:
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"the sender address {exc.sender!r}"
    if isinstance(exc, smtplib.SMTPDataError):
        return "the message"
    if isinstance(exc, smtplib.SMTPHeloError):
        return "the greeting (EHLO)"
    return "the command"


def _not_supported(server: str, exc: smtplib.SMTPNotSupportedError) -> SendError:
    text = str(exc).lower()
    if "auth" in text:
        return TransientSendError(
            f"{server} does not offer a login (SMTP AUTH), but a username is configured:"
            " check the port and security settings"
        )
    if "smtputf8" in text:
        return PermanentSendError(
            f"{server} cannot take non-ASCII addresses (no SMTPUTF8 support): {exc}"
        )
    return TransientSendError(f"{server}: {exc}")


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
